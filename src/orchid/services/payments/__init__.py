"""The payments service (see docs/checkout.md)."""
