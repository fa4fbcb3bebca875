# The platform's edge: Cloud Armor, the management VMs behind their load balancers, and DNS.

locals {
  management_load_balancers = {
    for name, lb in module.workloads.management_load_balancers : name => merge(lb, { host = "${lb.host}.${var.domain}" })
  }
}

module "armor" {
  source = "../armor"

  project_id      = var.project_id
  staff_networks  = var.staff_networks
  staff_hosts     = [for h in module.workloads.staff_api_hosts : "${h}.${var.domain}"]
  waf_sensitivity = var.waf_sensitivity

  depends_on = [google_project_service.this]
}

module "management" {
  source = "../management"

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
  source = "../route53"

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
