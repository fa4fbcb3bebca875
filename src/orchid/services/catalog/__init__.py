"""Catalog service: brands, the category tree, products, variants and their prices."""
