"""Payments HTTP routes: the provider's webhook, the sandbox's 3-D Secure page, a staff lookup.

Intents are created by orders through the service interface, never by a public route.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from orchid.kit.errors import problems
from orchid.services.accounts.deps import StaffUser
from orchid.services.payments import pages, signing
from orchid.services.payments.errors import IntentNotFound
from orchid.services.payments.schemas import IntentRead, WebhookAck
from orchid.services.payments.service import PaymentsService

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
# The bank's page: never cached, and its own policy (its styles are allowed by hash).
PAGE_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": pages.POLICY}
IntentId = Annotated[str, Path(max_length=64)]


async def get_payments(request: Request) -> PaymentsService:
    """Return the payments service of this process."""
    payments: PaymentsService = request.app.state.services.payments
    return payments


PaymentsDep = Annotated[PaymentsService, Depends(get_payments)]


@router.post("/webhooks/sandbox", responses=problems({
    401: "Bad signature or stale timestamp", 404: "Unknown payment intent",
    409: "Event already received", 422: "Not a known event"}))
async def sandbox_webhook(payments: PaymentsDep, request: Request) -> WebhookAck:
    """Receive a signed event from the sandbox provider."""
    # The signature covers the exact bytes, so the body is read raw, never re-serialised.
    await payments.handle_webhook(raw_body=await request.body(),
                                  signature_header=request.headers.get(signing.HEADER, ""))
    return WebhookAck()


@router.get("/sandbox/3ds/{intent_id}", response_class=HTMLResponse,
            responses=problems({404: "No sandbox payment has this id"}))
async def challenge_page(payments: PaymentsDep, intent_id: IntentId) -> HTMLResponse:
    """Show the sandbox bank's 3-D Secure page."""
    intent = await payments.get_challenge(intent_id=intent_id)
    return HTMLResponse(pages.challenge(intent), headers=PAGE_HEADERS)


@router.post("/sandbox/3ds/{intent_id}", response_class=HTMLResponse, responses=problems({
    404: "No sandbox payment has this id", 409: "Not waiting for 3-D Secure",
    422: "result must be approve or deny"}))
async def answer_challenge(payments: PaymentsDep, intent_id: IntentId,
                           result: Annotated[Literal["approve", "deny"], Query()]) -> HTMLResponse:
    """Approve or deny the payment; the outcome reaches the shop as a webhook."""
    approved = result == "approve"
    intent = await payments.complete_challenge(intent_id=intent_id, approve=approved)
    return HTMLResponse(pages.answered(approved=approved, order_number=intent.order_number),
                        headers=PAGE_HEADERS)


@router.get("/intents/{order_number}", responses=problems({
    401: "Not logged in", 403: "Not staff", 404: "This order has no payment"}))
async def get_intent(payments: PaymentsDep, _staff: StaffUser,
                     order_number: Annotated[str, Path(max_length=64)]) -> IntentRead:
    """Return the payment intent of an order (staff)."""
    intent = await payments.get_intent(order_number=order_number)
    if intent is None:
        raise IntentNotFound("This order has no payment.")
    return intent
