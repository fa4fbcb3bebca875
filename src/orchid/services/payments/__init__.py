"""Payments: intents per order, the sandbox card provider and COD, signed webhooks, refunds.

`service.PaymentsService` is the interface other services call (docs/checkout.md);
`api.router` serves the webhook, the sandbox's 3-D Secure page and a staff lookup.
"""
