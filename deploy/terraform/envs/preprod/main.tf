# preprod: prod's shape at a quarter of its size, for rehearsing releases and sale days.
# The platform (modules/platform) with preprod's values: the environment facts are
# orchid.deploy.environments.ENVIRONMENTS["preprod"]'s, the rest is sizing.

locals {
  # providers.tf configures the providers with these too.
  environment = "preprod"
  project_id  = "orchid-preprod"
  region      = "asia-south1"
}

module "platform" {
  source = "../../modules/platform"

  environment  = local.environment
  project_id   = local.project_id
  region       = local.region
  zones        = ["asia-south1-a", "asia-south1-b"]
  domain       = "preprod.orchid.example"
  cluster_name = "orchid-preprod"

  ranges = {
    nodes            = "10.16.0.0/20"
    pods             = "10.20.0.0/14"
    services         = "10.24.0.0/20"
    management       = "10.16.16.0/24"
    data             = "10.16.32.0/24"
    functions        = "10.16.48.0/23"
    private_services = "10.25.0.0/16"
    control_plane    = "172.16.0.16/28"
  }
  staff_networks = ["203.0.113.0/24"]

  gke_rbac_security_group = "gke-security-groups@orchid.example"

  general_pool = { machine_type = "n2-standard-4", min_per_zone = 1, max_per_zone = 4 }
  burst_pool   = { machine_type = "n2-standard-4", min_per_zone = 0, max_per_zone = 6 }

  sql_tiers           = { main = "db-custom-4-16384", warehouse = "db-custom-2-8192" }
  sql_replica_tiers   = { main = "db-custom-2-8192", warehouse = "db-custom-2-8192" }
  sql_max_connections = 1000

  redis_memory_size_gb = 4

  function_source = { bucket = "orchid-preprod-functions", object = "functions/orchid-functions.zip" }

  waf_sensitivity = 1

  # One named instance each, at <management subnet>.<host> (deploy/ansible/inventories).
  management_groups = {
    manage-01      = { machine_type = "e2-standard-2", host = 10 }
    manage-api     = { machine_type = "e2-standard-2", host = 11 }
    manage-util-01 = { machine_type = "e2-standard-2", host = 12 }
  }

  maintenance_address = "192.0.2.200"
  deletion_protection = true
}
