"""Inventory service: warehouses, stock per SKU, checkout reservations and the stock audit trail."""
