"""The payments' registration: intents, provider webhooks and refunds."""

from __future__ import annotations

from orchid.services import ServiceSpec
from orchid.services.payments import api
from orchid.services.payments.peers import Peers
from orchid.services.payments.service import PaymentsService, build

SPEC = ServiceSpec(name="payments", interface=PaymentsService, peers=Peers, build=build,
                   router=api.router, close=PaymentsService.close)
