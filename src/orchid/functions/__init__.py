"""Background functions (docs/events.md): one module per function, each with a `SPEC` and a
CloudEvent `handle` (functions/runtime.py), hosted by its own process or, embedded, by the app.
"""

# Function name → its module. The name is also its subscriptions', process's and service
# account's name.
FUNCTION_MODULES: dict[str, str] = {
    "search-index": "orchid.functions.search_index",
    "cache-invalidation": "orchid.functions.cache_invalidation",
    "order-notifications": "orchid.functions.order_notifications",
    "low-stock": "orchid.functions.low_stock",
    "daily-sales": "orchid.functions.daily_sales",
    "abandoned-cart": "orchid.functions.abandoned_cart",
}
