"""The payments' registration: intents, provider webhooks and refunds."""

from __future__ import annotations

from orchid.services import MAIN_DB, ServiceSpec
from orchid.services.payments import api
from orchid.services.payments.peers import Peers
from orchid.services.payments.service import PaymentsService, build

SPEC = ServiceSpec(name="payments", interface=PaymentsService, peers=Peers, build=build,
                   router=api.router, stores=frozenset({MAIN_DB}), close=PaymentsService.close)
