# One environment of Orchid on Google Cloud (and its DNS on Route 53). This file is the same in
# every envs/<name>/; what differs between environments is in terraform.tfvars and backend.tf
# (tests/deploy/test_terraform.py holds them to src/orchid/deploy/environments.py).

locals {
  labels       = { app = "orchid", environment = var.environment, managed-by = "terraform" }
  network_name = "orchid-${var.environment}"
  node_tag     = "orchid-gke-node"
  manage_tag   = "orchid-manage"
  data_tag     = "orchid-data"

  # Google's service agents that encrypt with the environment's keys.
  project_number = data.google_project.this.number
  agents = {
    gke      = "serviceAccount:service-${local.project_number}@container-engine-robot.iam.gserviceaccount.com"
    compute  = "serviceAccount:service-${local.project_number}@compute-system.iam.gserviceaccount.com"
    cloudsql = "serviceAccount:service-${local.project_number}@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    redis    = "serviceAccount:service-${local.project_number}@cloud-redis.iam.gserviceaccount.com"
    pubsub   = "serviceAccount:service-${local.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
    secrets  = "serviceAccount:service-${local.project_number}@gcp-sa-secretmanager.iam.gserviceaccount.com"
  }

  # The principals the grants name: each workload, and "management" for the VMs.
  members = merge(module.iam.members, { management = module.management.service_account_member })

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

  management_load_balancers = {
    for name, lb in module.workloads.management_load_balancers : name => merge(lb, { host = "${lb.host}.${var.domain}" })
  }

  apis = [
    "compute.googleapis.com", "container.googleapis.com", "sqladmin.googleapis.com",
    "servicenetworking.googleapis.com", "redis.googleapis.com", "pubsub.googleapis.com",
    "secretmanager.googleapis.com", "cloudkms.googleapis.com", "cloudfunctions.googleapis.com",
    "run.googleapis.com", "eventarc.googleapis.com", "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com", "dns.googleapis.com", "iam.googleapis.com",
    "monitoring.googleapis.com", "logging.googleapis.com", "binaryauthorization.googleapis.com",
    "recaptchaenterprise.googleapis.com",
  ]
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "this" {
  for_each = toset(local.apis)

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# What runs on the platform (the same in every environment).
module "workloads" {
  source = "../../modules/workloads"
}

module "kms" {
  source = "../../modules/kms"

  project_id         = var.project_id
  region             = var.region
  key_ring_name      = "orchid-${var.environment}"
  service_identities = ["sqladmin.googleapis.com", "secretmanager.googleapis.com", "pubsub.googleapis.com"]
  keys = {
    gke-secrets = [local.agents.gke]
    disks       = [local.agents.compute]
    cloudsql    = [local.agents.cloudsql]
    redis       = [local.agents.redis]
    pubsub      = [local.agents.pubsub]
    secrets     = [local.agents.secrets]
  }
  labels = local.labels

  depends_on = [google_project_service.this]
}

module "network" {
  source = "../../modules/network"

  project_id           = var.project_id
  name                 = local.network_name
  region               = var.region
  ranges               = var.ranges
  load_balancer_ranges = var.load_balancer_ranges
  web_target_tags      = [local.node_tag, local.manage_tag]
  ssh_target_tags      = [local.manage_tag, local.data_tag]

  depends_on = [google_project_service.this]
}

module "gke" {
  source = "../../modules/gke"

  project_id          = var.project_id
  name                = var.cluster_name
  region              = var.region
  zones               = var.zones
  network_id          = module.network.network_id
  subnet_id           = module.network.subnet_ids["gke"]
  pods_range_name     = module.network.pods_range_name
  services_range_name = module.network.services_range_name
  control_plane_cidr  = var.ranges.control_plane
  authorized_networks = concat(
    [for cidr in var.staff_networks : { cidr_block = cidr, display_name = "staff" }],
    [{ cidr_block = var.ranges.management, display_name = "management" }],
    var.control_plane_networks,
  )
  rbac_security_group      = var.gke_rbac_security_group
  database_encryption_key  = module.kms.key_ids["gke-secrets"]
  boot_disk_encryption_key = module.kms.key_ids["disks"]
  general_pool             = var.general_pool
  burst_pool               = var.burst_pool
  spot_pool                = var.spot_pool
  node_tags                = [local.node_tag]
  maintenance_exclusions   = var.gke_maintenance_exclusions
  labels                   = local.labels
  deletion_protection      = var.deletion_protection

  depends_on = [google_project_service.this]
}

# Prometheus, Alertmanager and the adapter that serves the autoscalers' request-rate metric.
module "cluster_addons" {
  source = "../../modules/cluster-addons"

  depends_on = [module.gke]
}

module "iam" {
  source = "../../modules/iam"

  project_id    = var.project_id
  workload_pool = module.gke.workload_pool
  namespace     = module.workloads.namespace
  workloads     = module.workloads.workloads
  custom_roles  = module.workloads.custom_roles
  roles         = module.workloads.workload_roles

  depends_on = [google_project_service.this]
}

module "secrets" {
  source = "../../modules/secrets"

  project_id     = var.project_id
  region         = var.region
  secrets        = module.workloads.secrets
  generated      = [local.db_password_secret]
  generation     = var.db_password_generation
  public_values  = local.public_values
  accessors      = module.workloads.secret_accessors
  members        = local.members
  encryption_key = module.kms.key_ids["secrets"]
  labels         = local.labels

  depends_on = [google_project_service.this]
}

module "cloudsql" {
  source = "../../modules/cloudsql"

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
  labels                       = local.labels
  deletion_protection          = var.deletion_protection

  depends_on = [google_project_service.this]
}

module "memorystore" {
  source = "../../modules/memorystore"

  project_id          = var.project_id
  region              = var.region
  zones               = var.zones
  memory_size_gb      = var.redis_memory_size_gb
  network_id          = module.network.private_services_network
  reserved_ip_range   = module.network.private_services_range_name
  encryption_key      = module.kms.key_ids["redis"]
  auth_secret_id      = module.secrets.ids[local.redis_auth_secret]
  labels              = local.labels
  deletion_protection = var.deletion_protection

  depends_on = [google_project_service.this]
}

module "pubsub" {
  source = "../../modules/pubsub"

  project_id     = var.project_id
  region         = var.region
  service_agent  = local.agents.pubsub
  encryption_key = module.kms.key_ids["pubsub"]
  labels         = local.labels
  topics         = module.workloads.event_topics
  members        = module.iam.members

  depends_on = [google_project_service.this]
}

module "functions" {
  source = "../../modules/functions"

  project_id     = var.project_id
  region         = var.region
  source_archive = var.function_source
  topic_ids      = module.pubsub.topic_ids
  labels         = local.labels
  functions      = module.workloads.functions
  members        = module.iam.members

  depends_on = [google_project_service.this]
}

module "armor" {
  source = "../../modules/armor"

  project_id      = var.project_id
  staff_networks  = var.staff_networks
  staff_hosts     = [for h in module.workloads.staff_api_hosts : "${h}.${var.domain}"]
  waf_sensitivity = var.waf_sensitivity

  depends_on = [google_project_service.this]
}

module "management" {
  source = "../../modules/management"

  project_id          = var.project_id
  region              = var.region
  zones               = var.zones
  subnet_id           = module.network.subnet_ids["management"]
  subnet_range        = var.ranges.management
  groups              = var.management_groups
  load_balancers      = local.management_load_balancers
  roles               = module.workloads.management_roles
  security_policy     = module.armor.manage_policy_id
  ssl_policy          = module.armor.ssl_policy_id
  disk_encryption_key = module.kms.key_ids["disks"]
  tags                = [local.manage_tag]
  labels              = local.labels

  depends_on = [google_project_service.this]
}

module "route53" {
  source = "../../modules/route53"

  zone_name           = var.domain
  create_zone         = var.route53_create_zone
  maintenance_address = var.maintenance_address
  # The shop and the staff API are the GKE Ingresses; the other management hosts are the VMs'
  # load balancers. Keys come from configuration, so they are known when planning from scratch.
  records = merge(
    {
      shop      = { name = "www.${var.domain}", address = module.network.ingress_addresses["orchid-shop"] }
      staff-api = { name = "${module.workloads.staff_api_hosts[0]}.${var.domain}", address = module.network.ingress_addresses["orchid-manage"] }
    },
    { for name, lb in local.management_load_balancers : name => { name = lb.host, address = module.management.addresses[name] } },
  )
  tags = local.labels
}
