# What runs on the platform, the same in every environment: the workloads that have their own
# Google identity, what each may reach, the secrets they read, the events and functions. One copy,
# which modules/platform wires into every environment.
#
# Generated facts live in Python and are held to this file by tests/deploy/test_terraform.py:
#   workloads        = orchid.deploy.workloads.google_identities()
#   secret_accessors = orchid.deploy.secrets.workload_secrets(), per secret (plus "management")
#   sql_proxy_ports  = orchid.deploy.pods.SQL_PORTS (the Cloud SQL proxy's loopback ports)
# The events and functions (event_topics, functions, function_ca_files, function_url_secrets,
# function_settings) are written into events.tf by `orchid deploy events` (src/orchid/deploy/events.py and
# function_settings.py; tests/deploy/test_events.py).

locals {
  workloads = [
    "catalog", "accounts", "cart", "inventory", "payments", "orders", "search", "storefront",
    "migrate", "sweeper", "backup", "probe", "relay",
  ]

  # Project roles per workload. Cloud SQL is reached through the Cloud SQL Auth Proxy (client
  # role); Pub/Sub and Secret Manager are granted per topic and per secret, not here (the relay
  # publishes to every topic: event_topics' publishers).
  workload_roles = {
    catalog   = ["roles/cloudsql.client"]
    accounts  = ["roles/cloudsql.client"]
    inventory = ["roles/cloudsql.client"]
    payments  = ["roles/cloudsql.client"]
    orders    = ["roles/cloudsql.client"]
    migrate   = ["roles/cloudsql.client"]
    sweeper   = ["roles/cloudsql.client"]
    relay     = ["roles/cloudsql.client"]
    backup    = ["orchidCloudSqlBackup"]
    # The stores' probe reads the instances' state and backup runs, and their metrics.
    probe = ["roles/cloudsql.viewer", "roles/monitoring.viewer"]
  }

  # The backup CronJob takes on-demand Cloud SQL backups and deletes the ones its retention
  # lets go (orchid ops cloud-backup); no predefined role grants that without the rest of
  # cloudsql.editor.
  custom_roles = {
    orchidCloudSqlBackup = {
      title       = "Orchid Cloud SQL backup"
      description = "Start and follow on-demand Cloud SQL backups (the backup CronJob)."
      permissions = ["cloudsql.backupRuns.create", "cloudsql.backupRuns.delete", "cloudsql.backupRuns.get", "cloudsql.backupRuns.list", "cloudsql.instances.get", "cloudsql.instances.list"]
    }
  }

  # Secret → who reads it: workloads, and "management" (the management VMs), whose settings
  # Ansible reads on the deploy runner (deploy/ansible/group_vars/all.yml) and the VMs may read
  # too. The orchid-manage-* secrets are the VMs' alone; their database URLs are the pods' (the
  # VMs run the Cloud SQL Auth Proxy on the same loopback ports).
  secret_accessors = {
    orchid-db-password              = ["management"]
    orchid-redis-auth               = ["management"]
    orchid-manage-secret-key        = ["management"]
    orchid-manage-redis-url         = ["management"]
    orchid-manage-elasticsearch-url = ["management"]
    orchid-elasticsearch-url        = ["search", "probe"]
    orchid-internal-callers         = ["catalog", "accounts", "cart", "inventory", "payments", "orders", "search", "sweeper"]
    orchid-internal-keys-cart       = ["cart"]
    orchid-internal-keys-catalog    = ["catalog"]
    orchid-internal-keys-inventory  = ["inventory"]
    orchid-internal-keys-orders     = ["orders", "sweeper"]
    orchid-internal-keys-payments   = ["payments"]
    orchid-internal-keys-search     = ["search"]
    orchid-internal-keys-storefront = ["storefront"]
    orchid-main-primary-url         = ["catalog", "accounts", "payments", "orders", "migrate", "sweeper", "relay", "management"]
    orchid-main-replica-urls        = ["catalog", "accounts", "payments", "orders", "migrate", "sweeper", "relay", "management"]
    orchid-redis-url                = ["catalog", "accounts", "cart", "probe", "relay"]
    orchid-secret-key               = ["payments", "storefront"]
    orchid-sms-api-key              = ["accounts"]
    orchid-trusted-proxies          = ["catalog", "accounts", "cart", "inventory", "payments", "orders", "search", "storefront"]
    orchid-warehouse-primary-url    = ["inventory", "migrate", "relay", "management"]
    orchid-warehouse-replica-urls   = ["inventory", "migrate", "relay", "management"]
  }

  # Where the Cloud SQL Auth Proxy beside each pod listens for each instance: the database URL
  # secrets name 127.0.0.1:<port>.
  sql_proxy_ports = {
    main-primary        = 3306
    main-replica-1      = 3307
    main-replica-2      = 3308
    main-replica-3      = 3309
    warehouse-primary   = 3310
    warehouse-replica-1 = 3311
  }

  # The management hosts on VMs, each behind its own HTTPS load balancer. manage-api.<domain>
  # is the cluster's staff API (the orchid-manage Ingress), so the manage-api VMs answer as
  # reporting.<domain> (the architecture's reporting-manage-lb).
  management_load_balancers = {
    manage      = { group = "manage-01", host = "manage" }
    reporting   = { group = "manage-api", host = "reporting", timeout_seconds = 300 }
    manage-util = { group = "manage-util-01", host = "manage-util", timeout_seconds = 600 }
  }
  management_roles = ["roles/cloudsql.client", "roles/logging.logWriter", "roles/monitoring.metricWriter"]

  # The hosts the staff API answers on (orchid.deploy.ingress.MANAGE_HOSTS).
  staff_api_hosts = ["manage-api"]

  # The secrets the functions read (their own readers are granted by modules/functions): the
  # pods' where a function's value is the same, their own URLs and the servers' CAs.
  function_secrets = distinct(concat(
    flatten([for fn in values(local.functions) : values(fn.secrets)]),
    [for ca in values(local.function_ca_files) : ca.secret],
  ))
}
