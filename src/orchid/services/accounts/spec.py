"""The accounts' registration: customers, credentials, sessions and addresses."""

from __future__ import annotations

from orchid.services import MAIN_DB, REDIS, ServiceSpec
from orchid.services.accounts import api
from orchid.services.accounts.peers import Peers
from orchid.services.accounts.service import AccountsService, build

SPEC = ServiceSpec(name="accounts", interface=AccountsService, peers=Peers, build=build,
                   router=api.router, stores=frozenset({MAIN_DB, REDIS}))
