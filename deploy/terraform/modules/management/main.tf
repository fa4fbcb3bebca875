# The management tier of the architecture on VMs: manage-01 (console), manage-api (staff API and
# reporting) and manage-util-01 (long jobs), each a regional managed instance group over zones A
# and B, each host behind its own HTTPS load balancer guarded by the orchid-manage Cloud Armor
# policy (staff networks only). Ansible configures the VMs (deploy/ansible); Terraform only
# builds them: Shielded VM, OS Login, no external address, their own service account.
#
# Each group keeps one named instance on a reserved private address (Ansible's inventory names
# manage-01 at <management subnet>.10, …): autohealing recreates it under the same name and
# address. A stateful group does not move it to the other zone by itself, so a zone outage
# needs an operator (or a second named instance in the other zone, once the app can share).

locals {
  metadata = {
    enable-oslogin         = "TRUE" # SSH access is IAM (roles/compute.osLogin), not keys
    block-project-ssh-keys = "true"
    serial-port-enable     = "false"
  }
}

resource "google_service_account" "vm" {
  project      = var.project_id
  account_id   = "${var.name_prefix}manage-vm"
  display_name = "Orchid management VMs"
  description  = "Identity of manage-01, manage-api and manage-util-01; managed by Terraform."
}

resource "google_project_iam_member" "vm" {
  for_each = toset(var.roles)

  project = var.project_id
  role    = each.value
  member  = google_service_account.vm.member
}

resource "google_compute_health_check" "this" {
  project             = var.project_id
  name                = "${var.name_prefix}manage-healthz"
  check_interval_sec  = 10
  timeout_sec         = 5
  healthy_threshold   = 2
  unhealthy_threshold = 3

  http_health_check {
    port         = var.backend_port
    request_path = "/healthz"
  }

  log_config {
    enable = true
  }
}

resource "google_compute_instance_template" "this" {
  for_each = var.groups

  project        = var.project_id
  name_prefix    = "${var.name_prefix}${each.key}-"
  region         = var.region
  machine_type   = each.value.machine_type
  can_ip_forward = false
  tags           = var.tags
  labels         = merge(var.labels, { group = each.key })
  metadata       = local.metadata

  disk {
    source_image = var.image
    boot         = true
    auto_delete  = true
    disk_type    = "pd-balanced"
    disk_size_gb = each.value.disk_size_gb
    disk_encryption_key {
      kms_key_self_link = var.disk_encryption_key
    }
  }

  # No access_config: no external address; the VMs go out through Cloud NAT.
  network_interface {
    subnetwork = var.subnet_id
  }

  service_account {
    email  = google_service_account.vm.email
    scopes = ["cloud-platform"] # what the account may do is decided by IAM, not scopes
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_address" "instance" {
  for_each = var.groups

  project      = var.project_id
  name         = "${var.name_prefix}${each.key}-internal"
  region       = var.region
  subnetwork   = var.subnet_id
  address_type = "INTERNAL"
  address      = cidrhost(var.subnet_range, each.value.host)
}

resource "google_compute_region_instance_group_manager" "this" {
  for_each = var.groups

  project                   = var.project_id
  name                      = "${var.name_prefix}${each.key}"
  region                    = var.region
  base_instance_name        = each.key
  distribution_policy_zones = var.zones
  # Starts empty: the per-instance config below creates the named instance (and makes the
  # size 1), so the group never holds an extra, randomly named VM.
  target_size = 0

  version {
    instance_template = google_compute_instance_template.this[each.key].self_link_unique
  }

  named_port {
    name = "http"
    port = var.backend_port
  }

  auto_healing_policies {
    health_check      = google_compute_health_check.this.id
    initial_delay_sec = 600 # Ansible's first run must finish before /healthz is judged
  }

  # A named instance with a fixed address is replaced in place: no surge, no redistribution.
  update_policy {
    type                         = "PROACTIVE"
    minimal_action               = "REPLACE"
    replacement_method           = "RECREATE"
    instance_redistribution_type = "NONE"
    max_surge_fixed              = 0
    max_unavailable_fixed        = length(var.zones)
  }

  lifecycle {
    ignore_changes = [target_size]
  }
}

resource "google_compute_region_per_instance_config" "this" {
  for_each = var.groups

  project                       = var.project_id
  region                        = var.region
  region_instance_group_manager = google_compute_region_instance_group_manager.this[each.key].name
  name                          = each.key

  preserved_state {
    internal_ip {
      interface_name = "nic0"
      auto_delete    = "NEVER"
      ip_address {
        address = google_compute_address.instance[each.key].self_link
      }
    }
  }
}

resource "google_compute_global_address" "lb" {
  for_each = var.load_balancers

  project = var.project_id
  name    = "${var.name_prefix}${each.key}"
}

resource "google_compute_managed_ssl_certificate" "lb" {
  for_each = var.load_balancers

  project = var.project_id
  name    = "${var.name_prefix}${each.key}"

  managed {
    domains = [each.value.host]
  }
}

resource "google_compute_backend_service" "lb" {
  for_each = var.load_balancers

  project               = var.project_id
  name                  = "${var.name_prefix}${each.key}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTP" # TLS ends at the front end; Google encrypts its own network
  port_name             = "http"
  timeout_sec           = each.value.timeout_seconds
  health_checks         = [google_compute_health_check.this.id]
  security_policy       = var.security_policy

  backend {
    group           = google_compute_region_instance_group_manager.this[each.value.group].instance_group
    balancing_mode  = "UTILIZATION"
    capacity_scaler = 1
  }

  log_config {
    enable      = true
    sample_rate = 1
  }
}

resource "google_compute_url_map" "lb" {
  for_each = var.load_balancers

  project         = var.project_id
  name            = "${var.name_prefix}${each.key}"
  default_service = google_compute_backend_service.lb[each.key].id
}

resource "google_compute_target_https_proxy" "lb" {
  for_each = var.load_balancers

  project          = var.project_id
  name             = "${var.name_prefix}${each.key}"
  url_map          = google_compute_url_map.lb[each.key].id
  ssl_certificates = [google_compute_managed_ssl_certificate.lb[each.key].id]
  ssl_policy       = var.ssl_policy
}

resource "google_compute_global_forwarding_rule" "lb" {
  for_each = var.load_balancers

  project               = var.project_id
  name                  = "${var.name_prefix}${each.key}"
  target                = google_compute_target_https_proxy.lb[each.key].id
  ip_address            = google_compute_global_address.lb[each.key].address
  ip_protocol           = "TCP"
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}
