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
  # subscriptions push to it, the workloads that may invoke it over HTTP, what it sends through
  # the VPC (egress: everything when it texts, to leave by Cloud NAT), the CA files it mounts,
  # its secrets by environment variable, and the cron of the Cloud Scheduler job that calls it
  # (functions the scheduler calls).
  functions = {
    search-index = {
      entry_point    = "search_index"
      trigger_topics = ["catalog", "inventory"]
      invokers       = ["catalog"]
      egress         = "PRIVATE_RANGES_ONLY"
      ca_files       = ["cloudsql", "redis"]
      secrets        = { ORCHID_ELASTICSEARCH_URL = "orchid-elasticsearch-url", ORCHID_MAIN_PRIMARY_URL = "orchid-main-primary-url-functions", ORCHID_MAIN_REPLICA_URLS = "orchid-main-replica-urls-functions", ORCHID_REDIS_URL = "orchid-redis-url-functions", ORCHID_SECRET_KEY = "orchid-secret-key", ORCHID_SMS_API_KEY = "orchid-sms-api-key", ORCHID_WAREHOUSE_PRIMARY_URL = "orchid-warehouse-primary-url-functions", ORCHID_WAREHOUSE_REPLICA_URLS = "orchid-warehouse-replica-urls-functions" }
    }
    cache-invalidation = {
      entry_point    = "cache_invalidation"
      trigger_topics = ["catalog"]
      invokers       = ["catalog"]
      egress         = "PRIVATE_RANGES_ONLY"
      ca_files       = ["redis"]
      secrets        = { ORCHID_REDIS_URL = "orchid-redis-url-functions" }
    }
    order-notifications = {
      entry_point    = "order_notifications"
      trigger_topics = ["orders"]
      invokers       = ["orders"]
      egress         = "ALL_TRAFFIC"
      ca_files       = ["cloudsql", "redis"]
      secrets        = { ORCHID_MAIN_PRIMARY_URL = "orchid-main-primary-url-functions", ORCHID_MAIN_REPLICA_URLS = "orchid-main-replica-urls-functions", ORCHID_REDIS_URL = "orchid-redis-url-functions", ORCHID_SECRET_KEY = "orchid-secret-key", ORCHID_SMS_API_KEY = "orchid-sms-api-key", ORCHID_SMTP_URL = "orchid-smtp-url" }
    }
    low-stock = {
      entry_point    = "low_stock"
      trigger_topics = ["inventory"]
      invokers       = []
      egress         = "PRIVATE_RANGES_ONLY"
      ca_files       = ["cloudsql"]
      secrets        = { ORCHID_MAIN_PRIMARY_URL = "orchid-main-primary-url-functions", ORCHID_MAIN_REPLICA_URLS = "orchid-main-replica-urls-functions", ORCHID_SMTP_URL = "orchid-smtp-url" }
    }
    daily-sales = {
      entry_point    = "daily_sales"
      trigger_topics = ["orders"]
      invokers       = []
      egress         = "PRIVATE_RANGES_ONLY"
      ca_files       = ["cloudsql", "redis"]
      secrets        = { ORCHID_MAIN_PRIMARY_URL = "orchid-main-primary-url-functions", ORCHID_MAIN_REPLICA_URLS = "orchid-main-replica-urls-functions", ORCHID_REDIS_URL = "orchid-redis-url-functions", ORCHID_SECRET_KEY = "orchid-secret-key", ORCHID_SMS_API_KEY = "orchid-sms-api-key", ORCHID_WAREHOUSE_PRIMARY_URL = "orchid-warehouse-primary-url-functions", ORCHID_WAREHOUSE_REPLICA_URLS = "orchid-warehouse-replica-urls-functions" }
    }
    abandoned-cart = {
      entry_point    = "abandoned_cart"
      trigger_topics = []
      invokers       = []
      egress         = "PRIVATE_RANGES_ONLY"
      ca_files       = ["cloudsql", "redis"]
      secrets        = { ORCHID_MAIN_PRIMARY_URL = "orchid-main-primary-url-functions", ORCHID_MAIN_REPLICA_URLS = "orchid-main-replica-urls-functions", ORCHID_REDIS_URL = "orchid-redis-url-functions", ORCHID_SECRET_KEY = "orchid-secret-key", ORCHID_SMS_API_KEY = "orchid-sms-api-key", ORCHID_SMTP_URL = "orchid-smtp-url", ORCHID_WAREHOUSE_PRIMARY_URL = "orchid-warehouse-primary-url-functions", ORCHID_WAREHOUSE_REPLICA_URLS = "orchid-warehouse-replica-urls-functions" }
      schedule       = "*/30 * * * *"
    }
  }

  # The server CAs a function verifies Cloud SQL and Memorystore with: the secret Terraform
  # writes each to, mounted at this path (the URLs below name it).
  function_ca_files = {
    cloudsql = { secret = "orchid-cloudsql-server-ca", path = "/etc/secrets/cloudsql/server-ca.pem" }
    redis    = { secret = "orchid-redis-server-ca", path = "/etc/secrets/redis/server-ca.pem" }
  }

  # Where Terraform writes the functions' own store URLs (the instances' private addresses,
  # TLS verified with the CA files): Cloud SQL's by url_secrets key, and Redis's.
  function_url_secrets = { main_primary = "orchid-main-primary-url-functions", main_replicas = "orchid-main-replica-urls-functions", warehouse_primary = "orchid-warehouse-primary-url-functions", warehouse_replicas = "orchid-warehouse-replica-urls-functions", redis = "orchid-redis-url-functions" }

  # What every function gets as plain environment variables (the platform adds ORCHID_ENV).
  function_settings = { ORCHID_LOG_JSON = "true", ORCHID_DATA_DIR = "/tmp/orchid" }
}
