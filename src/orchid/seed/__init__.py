"""Deterministic demo data for seeding a development or benchmark shop."""
