# The platform's data and events: Secret Manager, Cloud SQL, Memorystore, Pub/Sub and the
# functions they trigger.

locals {
  # Secrets Terraform writes: the generated database password, what is derived from it (the
  # database URLs), Memorystore's AUTH string, and the load balancers' ranges (not secret).
  db_password_secret = "orchid-db-password"
  redis_auth_secret  = "orchid-redis-auth"
  db_url_secrets = {
    main_primary       = "orchid-main-primary-url"
    main_replicas      = "orchid-main-replica-urls"
    warehouse_primary  = "orchid-warehouse-primary-url"
    warehouse_replicas = "orchid-warehouse-replica-urls"
  }
  # Whose X-Forwarded-For the apps believe: Google's front ends, and the Ingresses' own
  # addresses, which the load balancer appends after the client's (docs/deploy.md).
  trusted_proxies = concat(var.load_balancer_ranges,
  [for address in values(module.network.ingress_addresses) : "${address}/32"])
  public_values = { orchid-trusted-proxies = join(",", local.trusted_proxies) }
}

locals {
  # Alertmanager alone reads its receivers' webhooks and keys.
  receiver_accessors = { for secret in module.cluster_addons.receiver_secrets : secret => ["alertmanager"] }
}

module "secrets" {
  source = "../secrets"

  project_id     = var.project_id
  region         = var.region
  secrets        = concat(module.workloads.secrets, module.cluster_addons.receiver_secrets)
  generated      = [local.db_password_secret]
  generation     = var.db_password_generation
  public_values  = local.public_values
  accessors      = merge(module.workloads.secret_accessors, local.receiver_accessors)
  members        = local.members
  encryption_key = module.kms.key_ids["secrets"]
  labels         = local.labels

  depends_on = [google_project_service.this]
}

module "cloudsql" {
  source = "../cloudsql"

  project_id                   = var.project_id
  region                       = var.region
  zones                        = var.zones
  network_id                   = module.network.private_services_network
  allocated_ip_range           = module.network.private_services_range_name
  tiers                        = var.sql_tiers
  replica_tiers                = var.sql_replica_tiers
  max_connections              = var.sql_max_connections
  encryption_key               = module.kms.key_ids["cloudsql"]
  user_password_secret         = module.secrets.ids[local.db_password_secret]
  user_password_secret_version = module.secrets.generated_versions[local.db_password_secret]
  url_secrets                  = { for key, name in local.db_url_secrets : key => module.secrets.ids[name] }
  proxy_ports                  = module.workloads.sql_proxy_ports
  # The functions' own URLs (no proxy beside them) and the CA bundle those URLs verify with.
  direct_url_secrets  = { for key, name in module.workloads.function_url_secrets : key => module.secrets.ids[name] if key != "redis" }
  server_ca_secret    = module.secrets.ids[module.workloads.function_ca_files.cloudsql.secret]
  server_ca_file      = module.workloads.function_ca_files.cloudsql.path
  labels              = local.labels
  deletion_protection = var.deletion_protection

  depends_on = [google_project_service.this]
}

module "memorystore" {
  source = "../memorystore"

  project_id          = var.project_id
  region              = var.region
  zones               = var.zones
  memory_size_gb      = var.redis_memory_size_gb
  network_id          = module.network.private_services_network
  reserved_ip_range   = module.network.private_services_range_name
  encryption_key      = module.kms.key_ids["redis"]
  auth_secret_id      = module.secrets.ids[local.redis_auth_secret]
  server_ca_secret_id = module.secrets.ids[module.workloads.function_ca_files.redis.secret]
  client_url = {
    secret_id = module.secrets.ids[module.workloads.function_url_secrets.redis]
    ca_file   = module.workloads.function_ca_files.redis.path
  }
  labels              = local.labels
  deletion_protection = var.deletion_protection

  depends_on = [google_project_service.this]
}

module "pubsub" {
  source = "../pubsub"

  project_id     = var.project_id
  region         = var.region
  service_agent  = local.agents.pubsub
  encryption_key = module.kms.key_ids["pubsub"]
  labels         = local.labels
  topics         = module.workloads.event_topics
  members        = module.iam.members
  # Subscriptions push to the functions as orchid-events (the functions module's).
  push_endpoints       = module.functions.urls
  push_service_account = module.functions.events_service_account

  depends_on = [google_project_service.this]
}

# The functions reach the stores themselves (Direct VPC egress on their own subnet), with the
# secrets Terraform writes above (their URLs, the servers' CAs) and those set by hand, which
# must each have a version before they deploy (deploy/terraform/README.md).
module "functions" {
  source = "../functions"

  project_id     = var.project_id
  region         = var.region
  source_archive = var.function_source
  topic_ids      = module.pubsub.topic_ids
  labels         = local.labels
  functions      = module.workloads.functions
  members        = module.iam.members
  network        = { network = module.network.network_id, subnetwork = module.network.subnet_ids["functions"] }
  ca_files       = module.workloads.function_ca_files
  settings       = merge(module.workloads.function_settings, { ORCHID_ENV = var.environment })

  depends_on = [google_project_service.this, module.secrets, module.cloudsql, module.memorystore]
}

