"""The accounts' registration: customers, credentials, sessions and addresses."""

from __future__ import annotations

from orchid.services import ServiceSpec
from orchid.services.accounts import api
from orchid.services.accounts.peers import Peers
from orchid.services.accounts.service import AccountsService, build

SPEC = ServiceSpec(name="accounts", interface=AccountsService, peers=Peers, build=build,
                   router=api.router)
