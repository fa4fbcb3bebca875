"""Cart domain errors (each a kit error with a stable code)."""

from __future__ import annotations

from orchid.kit.errors import InvalidInput, NotFound, Unavailable


class SkuNotFound(NotFound):
    """The catalog knows no such SKU."""

    code, title = "sku_not_found", "No such product"


class SkuUnavailable(InvalidInput):
    """The SKU exists but its product is not for sale."""

    code, title = "sku_unavailable", "Product not available"


class CartFull(InvalidInput):
    """The cart already holds the most lines it may."""

    code, title = "cart_full", "Cart is full"


class BadQuantity(InvalidInput):
    """A quantity outside 1–10."""

    code, title = "invalid_quantity", "Invalid quantity"


class LineNotFound(NotFound):
    """The cart has no line for this SKU."""

    code, title = "line_not_found", "Not in the cart"


class BadCartId(InvalidInput):
    """A cart id that is neither a guest's nor a customer's."""

    code, title = "invalid_cart_id", "Invalid cart id"


class CartBusy(Unavailable):
    """Too many writers raced on one cart; the client may retry."""

    code, title = "cart_busy", "Cart busy"
