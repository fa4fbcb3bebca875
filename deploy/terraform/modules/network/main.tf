# One custom-mode VPC per environment: a subnet per tier and one for the functions, private
# service access for Cloud SQL and Memorystore, Cloud NAT as the only way out, and firewall rules
# that let the internet in on 80/443 only through Google's load balancers (where Cloud Armor
# filters it).

locals {
  subnets = {
    gke = {
      range = var.ranges.nodes
      secondary = {
        (var.pods_range_name)     = var.ranges.pods
        (var.services_range_name) = var.ranges.services
      }
    }
    management = { range = var.ranges.management, secondary = {} }
    data       = { range = var.ranges.data, secondary = {} }
    # The Cloud Functions' addresses (Direct VPC egress): Cloud Run takes them 16 at a time,
    # two per instance; a range of their own lets the firewall name them.
    functions = { range = var.ranges.functions, secondary = {} }
  }
  # Everything that lives inside the environment: nodes, pods, Services, VMs, functions,
  # managed services.
  internal_ranges = [
    var.ranges.nodes, var.ranges.pods, var.ranges.services, var.ranges.management,
    var.ranges.data, var.ranges.functions, var.ranges.private_services, var.ranges.control_plane,
  ]
  private_services = split("/", var.ranges.private_services)
  # private.googleapis.com: reachable from VMs without external addresses (Private Google Access).
  private_api_addresses = [for i in range(4) : cidrhost(var.private_apis_range, i)]
}

resource "google_compute_network" "this" {
  project                 = var.project_id
  name                    = var.name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

resource "google_compute_subnetwork" "this" {
  for_each = local.subnets

  project                  = var.project_id
  name                     = "${var.name}-${each.key}"
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = each.value.range
  private_ip_google_access = true

  dynamic "secondary_ip_range" {
    for_each = each.value.secondary
    content {
      range_name    = secondary_ip_range.key
      ip_cidr_range = secondary_ip_range.value
    }
  }

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = var.flow_log_sampling
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Private service access: Cloud SQL and Memorystore get addresses from this range, peered in.
resource "google_compute_global_address" "private_services" {
  project       = var.project_id
  name          = "${var.name}-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  address       = local.private_services[0]
  prefix_length = tonumber(local.private_services[1])
  network       = google_compute_network.this.id
}

resource "google_service_networking_connection" "private_services" {
  network                 = google_compute_network.this.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}

# Cloud NAT on fixed addresses: payment and SMS providers allow-list the shop's egress IPs.
resource "google_compute_router" "this" {
  project = var.project_id
  name    = "${var.name}-router"
  region  = var.region
  network = google_compute_network.this.id
}

resource "google_compute_address" "nat" {
  count = var.nat_address_count

  project = var.project_id
  name    = "${var.name}-nat-${count.index + 1}"
  region  = var.region
}

resource "google_compute_router_nat" "this" {
  project                            = var.project_id
  name                               = "${var.name}-nat"
  router                             = google_compute_router.this.name
  region                             = var.region
  nat_ip_allocate_option             = "MANUAL_ONLY"
  nat_ips                            = google_compute_address.nat[*].self_link
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  dynamic "subnetwork" {
    for_each = google_compute_subnetwork.this
    content {
      name                    = subnetwork.value.id
      source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
    }
  }

  # Ports grow with a node's connections (a sale day's payment calls) instead of a fixed slice.
  enable_dynamic_port_allocation      = true
  enable_endpoint_independent_mapping = false
  min_ports_per_vm                    = 64
  max_ports_per_vm                    = 8192

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# Private Google APIs: inside the VPC, Google's API and serverless domains resolve to
# private.googleapis.com, so pods and VMs reach Secret Manager, Pub/Sub and the internal-only
# Cloud Functions on a fixed range the cluster's network policies can name, never through NAT
# (and Cloud Run counts those calls as internal).
resource "google_dns_managed_zone" "private_apis" {
  for_each = toset(var.private_api_domains)

  project     = var.project_id
  name        = "${var.name}-${replace(each.key, ".", "-")}"
  dns_name    = "${each.key}."
  description = "${each.key} through private.googleapis.com for the ${var.name} network"
  visibility  = "private"

  private_visibility_config {
    networks {
      network_url = google_compute_network.this.id
    }
  }
}

resource "google_dns_record_set" "private_apis" {
  for_each = google_dns_managed_zone.private_apis

  project      = var.project_id
  managed_zone = each.value.name
  name         = each.value.dns_name
  type         = "A"
  ttl          = 300
  rrdatas      = local.private_api_addresses
}

resource "google_dns_record_set" "private_apis_wildcard" {
  for_each = google_dns_managed_zone.private_apis

  project      = var.project_id
  managed_zone = each.value.name
  name         = "*.${each.value.dns_name}"
  type         = "CNAME"
  ttl          = 300
  rrdatas      = [each.value.dns_name]
}

# The GKE Ingresses' addresses (the shop's, the staff API's), reserved here so DNS can point at
# them before the Ingress controller, which names them in global-static-ip-name, builds the
# load balancers.
resource "google_compute_global_address" "ingress" {
  for_each = toset(var.ingress_address_names)

  project = var.project_id
  name    = each.key
}
