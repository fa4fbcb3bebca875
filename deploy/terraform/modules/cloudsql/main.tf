# The two MySQL databases of the architecture's Tier 4: main (primary + 3 read replicas) and
# warehouse (primary + 1 read replica). Primaries are regional (a standby in the second zone),
# replicas alternate between the zones; private addresses only, TLS required, PITR on.
#
# Two kinds of client: the pods and the management VMs, through the Cloud SQL Auth Proxy beside
# them (IAM and TLS with a client certificate, the URLs naming the proxy on loopback), and the
# Cloud Functions, which have no proxy and connect to the private addresses directly over TLS,
# checking the server's certificate against the instances' CAs (kit/db.server_tls, `?ssl_ca=`;
# docs/operations.md, "Secure connections"). So the instances take any TLS connection
# (ENCRYPTED_ONLY: the functions hold no client certificate) and their certificates come from the
# region's shared CA, which names the instance's addresses: the host check of the functions'
# connections passes, which a per-instance CA's certificate (no addresses) fails.

locals {
  # The topology is the architecture's, not a per-environment knob: preprod and sandbox rehearse
  # the same replica routing and failover as prod, on smaller tiers.
  clusters = {
    main      = { database = "orchid_main", replicas = 3 }
    warehouse = { database = "orchid_warehouse", replicas = 1 }
  }
  replicas = merge([
    for cluster, spec in local.clusters : {
      for i in range(1, spec.replicas + 1) : "${cluster}-replica-${i}" => { cluster = cluster, index = i }
    }
  ]...)

  flags = merge({
    character_set_server = "utf8mb4"
    # The isolation the integration tests run under (MariaDB's and MySQL's default), so the
    # stock-locking code behaves the same in production.
    transaction_isolation = "REPEATABLE-READ"
    # gh-ost (online schema changes) reads full row images from the binary log.
    binlog_row_image = "full"
    slow_query_log   = "on"
    log_output       = "FILE" # slow queries go to Cloud Logging, not a table on the primary
    long_query_time  = tostring(var.long_query_time)
    max_connections  = tostring(var.max_connections)
    local_infile     = "off" # no LOAD DATA LOCAL: a client must not read the server's files
  }, var.extra_flags)
}

resource "google_sql_database_instance" "primary" {
  for_each = local.clusters
  #checkov:skip=CKV_GCP_6:TLS is required (ENCRYPTED_ONLY) but no client certificate: the functions connect without the proxy and hold none.

  project             = var.project_id
  name                = "${var.name_prefix}-${each.key}"
  region              = var.region
  database_version    = var.database_version
  encryption_key_name = var.encryption_key
  deletion_protection = var.deletion_protection

  settings {
    tier                        = var.tiers[each.key]
    edition                     = "ENTERPRISE"
    availability_type           = "REGIONAL"
    disk_type                   = "PD_SSD"
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = var.labels

    location_preference {
      zone           = var.zones[0]
      secondary_zone = var.zones[1]
    }

    ip_configuration {
      ipv4_enabled       = false # private service access only
      private_network    = var.network_id
      allocated_ip_range = var.allocated_ip_range
      # TLS always, with the password; a client certificate only through the proxy (the
      # functions connect without one).
      ssl_mode       = "ENCRYPTED_ONLY"
      server_ca_mode = "GOOGLE_MANAGED_CAS_CA"
    }

    backup_configuration {
      enabled                        = true
      binary_log_enabled             = true # point-in-time recovery for MySQL
      start_time                     = var.backup_start_time
      location                       = var.region # backups stay in India (DPDP)
      transaction_log_retention_days = var.transaction_log_retention_days
      backup_retention_settings {
        retained_backups = var.retained_backups
        retention_unit   = "COUNT"
      }
    }

    maintenance_window {
      day          = var.maintenance_window.day
      hour         = var.maintenance_window.hour
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      query_string_length     = 1024
      record_application_tags = true
      record_client_address   = false # client addresses are personal data we do not need
    }

    dynamic "database_flags" {
      for_each = local.flags
      content {
        name  = database_flags.key
        value = database_flags.value
      }
    }
  }
}

resource "google_sql_database_instance" "replica" {
  for_each = local.replicas
  #checkov:skip=CKV_GCP_14:Cloud SQL refuses backup settings on read replicas; their primary is backed up with PITR.
  #checkov:skip=CKV_GCP_6:TLS is required (ENCRYPTED_ONLY) but no client certificate: the functions connect without the proxy and hold none.

  project              = var.project_id
  name                 = "${var.name_prefix}-${each.key}"
  region               = var.region
  database_version     = var.database_version
  master_instance_name = google_sql_database_instance.primary[each.value.cluster].name
  encryption_key_name  = var.encryption_key
  deletion_protection  = var.deletion_protection

  settings {
    tier                        = var.replica_tiers[each.value.cluster]
    edition                     = "ENTERPRISE"
    availability_type           = "ZONAL" # a lost replica is skipped by the router, not failed over
    disk_type                   = "PD_SSD"
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = merge(var.labels, { role = "replica" })

    # Replicas alternate zones: replica-1 in zone A, replica-2 in zone B, …
    location_preference {
      zone = var.zones[(each.value.index - 1) % length(var.zones)]
    }

    ip_configuration {
      ipv4_enabled       = false
      private_network    = var.network_id
      allocated_ip_range = var.allocated_ip_range
      ssl_mode           = "ENCRYPTED_ONLY"
      server_ca_mode     = "GOOGLE_MANAGED_CAS_CA"
    }

    maintenance_window {
      day          = var.maintenance_window.day
      hour         = var.maintenance_window.hour
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      query_string_length     = 1024
      record_application_tags = true
      record_client_address   = false
    }

    dynamic "database_flags" {
      for_each = local.flags
      content {
        name  = database_flags.key
        value = database_flags.value
      }
    }
  }
}

resource "google_sql_database" "this" {
  for_each = local.clusters

  project   = var.project_id
  instance  = google_sql_database_instance.primary[each.key].name
  name      = each.value.database
  charset   = "utf8mb4"
  collation = "utf8mb4_0900_ai_ci"
}

# The application's user. Its password is generated into Secret Manager by modules/secrets and
# read here ephemerally into write-only arguments: it is in neither the plan nor the state.
ephemeral "google_secret_manager_secret_version" "user_password" {
  project = var.project_id
  secret  = var.user_password_secret
  version = var.user_password_secret_version
}

locals {
  password = ephemeral.google_secret_manager_secret_version.user_password.secret_data
  # Instance key → its proxy port (main-primary, main-replica-1, …) for each database.
  proxied = {
    for cluster, spec in local.clusters : cluster => {
      primary  = "${cluster}-primary"
      replicas = [for i in range(1, spec.replicas + 1) : "${cluster}-replica-${i}"]
    }
  }
  # What the app's settings take (config.py): a primary URL and the replicas' URLs, comma
  # separated, all through the Cloud SQL Auth Proxy beside the pod (which does TLS and IAM).
  urls = merge([
    for cluster, names in local.proxied : {
      "${cluster}_primary" = "mysql+asyncmy://${var.user_name}:${local.password}@127.0.0.1:${var.proxy_ports[names.primary]}/${local.clusters[cluster].database}"
      "${cluster}_replicas" = join(",", [
        for key in names.replicas : "mysql+asyncmy://${var.user_name}:${local.password}@127.0.0.1:${var.proxy_ports[key]}/${local.clusters[cluster].database}"
      ])
    }
  ]...)
  # The same for clients without a proxy (the functions): each instance's private address, TLS
  # verified against the CA bundle at server_ca_file.
  instances = merge(
    { for cluster, instance in google_sql_database_instance.primary : "${cluster}-primary" => instance },
    google_sql_database_instance.replica,
  )
  ssl_ca = var.server_ca_file == null ? "" : "?ssl_ca=${var.server_ca_file}"
  direct_urls = merge([
    for cluster, names in local.proxied : {
      "${cluster}_primary" = "mysql+asyncmy://${var.user_name}:${local.password}@${local.instances[names.primary].private_ip_address}:3306/${local.clusters[cluster].database}${local.ssl_ca}"
      "${cluster}_replicas" = join(",", [
        for key in names.replicas : "mysql+asyncmy://${var.user_name}:${local.password}@${local.instances[key].private_ip_address}:3306/${local.clusters[cluster].database}${local.ssl_ca}"
      ])
    }
  ]...)
}

resource "google_sql_user" "orchid" {
  for_each = local.clusters

  project             = var.project_id
  instance            = google_sql_database_instance.primary[each.key].name
  name                = var.user_name
  host                = "%"
  password_wo         = local.password
  password_wo_version = var.user_password_secret_version
}

# The database URL secrets the workloads mount hold the same generated password, so they are
# written here too, write-only, and rewritten whenever the password is rotated.
resource "google_secret_manager_secret_version" "url" {
  for_each = var.url_secrets

  secret                 = each.value
  secret_data_wo         = local.urls[each.key]
  secret_data_wo_version = var.user_password_secret_version

  lifecycle {
    create_before_destroy = true
    precondition {
      condition     = alltrue([for names in values(local.proxied) : alltrue([for k in concat([names.primary], names.replicas) : contains(keys(var.proxy_ports), k)])])
      error_message = "proxy_ports must name a port for every instance key (main-primary, main-replica-1, …)."
    }
  }

  depends_on = [google_sql_user.orchid]
}

# A write-only value is rewritten only when its version moves: an instance recreated with a new
# address (a restore to a new instance) needs db_password_generation raised, as a rotation does.
resource "google_secret_manager_secret_version" "direct_url" {
  for_each = var.direct_url_secrets

  secret                 = each.value
  secret_data_wo         = local.direct_urls[each.key]
  secret_data_wo_version = var.user_password_secret_version

  lifecycle {
    create_before_destroy = true
    precondition {
      condition     = var.server_ca_file != null
      error_message = "direct_url_secrets need server_ca_file: the URLs verify the servers with it."
    }
  }

  depends_on = [google_sql_user.orchid]
}

# Every CA an instance's certificate may be signed by (the current and, before a rotation, the
# next), all instances' in one bundle: what a direct client trusts. Not secret; kept in Secret
# Manager so the functions mount it as a file.
data "google_sql_ca_certs" "this" {
  for_each = var.server_ca_secret == null ? {} : { for key, instance in local.instances : key => instance.name }

  project  = var.project_id
  instance = each.value
}

locals {
  # The listed CAs and each instance's own serverCaCert (with the shared CA: its chain), once.
  server_cas = distinct(flatten(concat(
    [for found in values(data.google_sql_ca_certs.this) : [for c in found.certs : trimspace(c.cert)]],
    [for instance in values(local.instances) : [for c in instance.server_ca_cert : trimspace(c.cert)]],
  )))
}

resource "google_secret_manager_secret_version" "server_ca" {
  count = var.server_ca_secret == null ? 0 : 1

  secret      = var.server_ca_secret
  secret_data = "${join("\n", local.server_cas)}\n"
}
