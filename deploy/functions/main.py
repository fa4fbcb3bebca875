"""Entry points of Orchid's background functions on Cloud Functions (2nd gen): one per
function of orchid.functions.FUNCTION_MODULES, named after its module (Terraform's entry_point).

Written by `orchid deploy events`; tests/deploy/test_events.py compares.
"""

from orchid.deploy.cloud_functions import entry_point

search_index = entry_point("search-index")
cache_invalidation = entry_point("cache-invalidation")
order_notifications = entry_point("order-notifications")
low_stock = entry_point("low-stock")
daily_sales = entry_point("daily-sales")
abandoned_cart = entry_point("abandoned-cart")
