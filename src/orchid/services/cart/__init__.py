"""The cart service (see docs/checkout.md)."""
