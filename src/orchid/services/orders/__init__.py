"""The orders service (see docs/checkout.md)."""
