"""The inventory service (see docs/checkout.md)."""
