# sandbox: the smallest complete copy, for trying things; nothing in it is kept.
# The platform (modules/platform) with sandbox's values: the environment facts are
# orchid.deploy.environments.ENVIRONMENTS["sandbox"]'s, the rest is sizing.

locals {
  # providers.tf configures the providers with these too.
  environment = "sandbox"
  project_id  = "orchid-sandbox"
  region      = "asia-south1"
}

module "platform" {
  source = "../../modules/platform"

  environment  = local.environment
  project_id   = local.project_id
  region       = local.region
  zones        = ["asia-south1-a", "asia-south1-b"]
  domain       = "sandbox.orchid.example"
  cluster_name = "orchid-sandbox"

  ranges = {
    nodes            = "10.32.0.0/20"
    pods             = "10.36.0.0/14"
    services         = "10.40.0.0/20"
    management       = "10.32.16.0/24"
    data             = "10.32.32.0/24"
    functions        = "10.32.48.0/23"
    private_services = "10.41.0.0/16"
    control_plane    = "172.16.0.32/28"
  }
  staff_networks = ["203.0.113.0/24"]

  gke_rbac_security_group = "gke-security-groups@orchid.example"

  general_pool = { machine_type = "e2-standard-4", min_per_zone = 1, max_per_zone = 2 }
  burst_pool   = { machine_type = "e2-standard-4", min_per_zone = 0, max_per_zone = 2 }

  sql_tiers           = { main = "db-custom-2-8192", warehouse = "db-custom-1-3840" }
  sql_replica_tiers   = { main = "db-custom-1-3840", warehouse = "db-custom-1-3840" }
  sql_max_connections = 500

  redis_memory_size_gb = 1

  function_source = { bucket = "orchid-sandbox-functions", object = "functions/orchid-functions.zip" }

  waf_sensitivity = 1

  # One named instance each, at <management subnet>.<host> (deploy/ansible/inventories).
  management_groups = {
    manage-01      = { machine_type = "e2-small", host = 10 }
    manage-api     = { machine_type = "e2-small", host = 11 }
    manage-util-01 = { machine_type = "e2-small", host = 12 }
  }

  maintenance_address = "192.0.2.200"
  deletion_protection = false
}
