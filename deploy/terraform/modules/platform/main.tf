# One environment of Orchid on Google Cloud (and its DNS on Route 53): every other module, wired
# together. Each envs/<name>/main.tf calls this with its environment's values (tests/deploy/
# test_terraform.py holds them to src/orchid/deploy/environments.py); the data stores are wired
# in stores.tf, the edge (WAF, management VMs, DNS) in edge.tf.

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
  members = merge(module.iam.members, {
    management   = module.management.service_account_member
    alertmanager = module.cluster_addons.alertmanager_member
  })

  apis = [
    "compute.googleapis.com", "container.googleapis.com", "sqladmin.googleapis.com",
    "servicenetworking.googleapis.com", "redis.googleapis.com", "pubsub.googleapis.com",
    "secretmanager.googleapis.com", "cloudkms.googleapis.com", "cloudfunctions.googleapis.com",
    "run.googleapis.com", "eventarc.googleapis.com", "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com", "dns.googleapis.com", "iam.googleapis.com",
    "monitoring.googleapis.com", "logging.googleapis.com", "binaryauthorization.googleapis.com",
    "recaptchaenterprise.googleapis.com", "cloudtrace.googleapis.com", "cloudscheduler.googleapis.com",
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
  source = "../workloads"
}

module "kms" {
  source = "../kms"

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
  source = "../network"

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
  source = "../gke"

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
  source = "../cluster-addons"

  project_id          = var.project_id
  workload_pool       = module.gke.workload_pool
  alertmanager_config = file("${path.module}/../../../monitoring/alertmanager/alertmanager.yml")

  depends_on = [module.gke]
}

module "iam" {
  source = "../iam"

  project_id    = var.project_id
  workload_pool = module.gke.workload_pool
  namespace     = module.workloads.namespace
  workloads     = module.workloads.workloads
  custom_roles  = module.workloads.custom_roles
  roles         = module.workloads.workload_roles

  depends_on = [google_project_service.this]
}

