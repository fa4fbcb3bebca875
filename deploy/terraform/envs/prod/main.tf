# prod: the shop itself.
# The platform (modules/platform) with prod's values: the environment facts are
# orchid.deploy.environments.ENVIRONMENTS["prod"]'s, the rest is sizing.

locals {
  # providers.tf configures the providers with these too.
  environment = "prod"
  project_id  = "orchid-prod"
  region      = "asia-south1"
}

module "platform" {
  source = "../../modules/platform"

  environment  = local.environment
  project_id   = local.project_id
  region       = local.region
  zones        = ["asia-south1-a", "asia-south1-b"]
  domain       = "orchid.example"
  cluster_name = "orchid-prod"

  ranges = {
    nodes            = "10.0.0.0/20"
    pods             = "10.4.0.0/14"
    services         = "10.8.0.0/20"
    management       = "10.0.16.0/24"
    data             = "10.0.32.0/24"
    functions        = "10.0.48.0/23"
    private_services = "10.9.0.0/16"
    control_plane    = "172.16.0.0/28"
  }
  staff_networks = ["203.0.113.0/24", "198.51.100.0/24"]

  gke_rbac_security_group = "gke-security-groups@orchid.example"

  # 150 k shoppers a day on the general pool; the burst pool takes the sale day's 4×.
  general_pool = { machine_type = "n2-standard-8", min_per_zone = 3, max_per_zone = 12 }
  burst_pool   = { machine_type = "n2-standard-8", min_per_zone = 0, max_per_zone = 20 }

  sql_tiers           = { main = "db-custom-16-65536", warehouse = "db-custom-8-32768" }
  sql_replica_tiers   = { main = "db-custom-8-32768", warehouse = "db-custom-4-16384" }
  sql_max_connections = 4000

  redis_memory_size_gb = 16

  function_source = { bucket = "orchid-prod-functions", object = "functions/orchid-functions.zip" }

  waf_sensitivity = 1

  # One named instance each, at <management subnet>.<host> (deploy/ansible/inventories).
  management_groups = {
    manage-01      = { machine_type = "e2-standard-4", host = 10 }
    manage-api     = { machine_type = "e2-standard-8", host = 11 }
    manage-util-01 = { machine_type = "e2-standard-4", host = 12 }
  }

  maintenance_address = "192.0.2.200"
  deletion_protection = true
}
