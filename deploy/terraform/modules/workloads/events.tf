# Written by `orchid deploy events` from the function registry (orchid.functions.FUNCTION_MODULES
# and each module's SPEC) and orchid.events.topics.TOPICS: edit those and regenerate.
# tests/deploy/test_events.py compares (src/orchid/deploy/events.py says how each entry is made).

locals {
  # Topic → its publishers (the relay publishes both outboxes) and its subscriptions: one per
  # function trigger, pushed to that function (push_to) as orchid-events, taking the trigger's
  # event types (filter), dead-lettered to <subscription>-dead after max_delivery_attempts.
  event_topics = {
    orders = {
      publishers = ["relay"]
      subscriptions = {
        order-notifications = { push_to = "order-notifications", max_delivery_attempts = 5, filter = "attributes.type = \"order.paid\" OR attributes.type = \"order.confirmed\" OR attributes.type = \"order.shipped\" OR attributes.type = \"order.delivered\"" }
        daily-sales         = { push_to = "daily-sales", max_delivery_attempts = 5, filter = "attributes.type = \"order.confirmed\" OR attributes.type = \"order.paid\" OR attributes.type = \"order.cancelled\" OR attributes.type = \"order.refunded\"" }
      }
    }
    payments = { publishers = ["relay"], subscriptions = {} }
    catalog = {
      publishers = ["relay"]
      subscriptions = {
        search-index-catalog = { push_to = "search-index", max_delivery_attempts = 5, filter = "attributes.type = \"product.created\" OR attributes.type = \"product.changed\" OR attributes.type = \"product.published\" OR attributes.type = \"product.price_changed\"" }
        cache-invalidation   = { push_to = "cache-invalidation", max_delivery_attempts = 5, filter = "attributes.type = \"product.created\" OR attributes.type = \"product.changed\" OR attributes.type = \"product.published\" OR attributes.type = \"product.price_changed\"" }
      }
    }
    inventory = {
      publishers = ["relay"]
      subscriptions = {
        search-index-inventory = { push_to = "search-index", max_delivery_attempts = 5, filter = "attributes.type = \"stock.changed\"" }
        low-stock              = { push_to = "low-stock", max_delivery_attempts = 5, filter = "attributes.type = \"stock.changed\"" }
      }
    }
    customers = { publishers = ["relay"], subscriptions = {} }
  }

  # Cloud Function → its entry point in deploy/functions/main.py, the topics whose
  # subscriptions push to it, the workloads that may invoke it over HTTP, and the cron of the
  # Cloud Scheduler job that calls it (functions the scheduler calls).
  functions = {
    search-index        = { entry_point = "search_index", trigger_topics = ["catalog", "inventory"], invokers = ["catalog"] }
    cache-invalidation  = { entry_point = "cache_invalidation", trigger_topics = ["catalog"], invokers = ["catalog"] }
    order-notifications = { entry_point = "order_notifications", trigger_topics = ["orders"], invokers = ["orders"] }
    low-stock           = { entry_point = "low_stock", trigger_topics = ["inventory"], invokers = [] }
    daily-sales         = { entry_point = "daily_sales", trigger_topics = ["orders"], invokers = [] }
    abandoned-cart      = { entry_point = "abandoned_cart", trigger_topics = [], invokers = [], schedule = "*/30 * * * *" }
  }
}
