output "network_id" {
  description = "The VPC's id (projects/…/global/networks/…)."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "The VPC's name."
  value       = google_compute_network.this.name
}

output "subnet_ids" {
  description = "Subnet ids by tier: gke, management, data, functions."
  value       = { for tier, subnet in google_compute_subnetwork.this : tier => subnet.id }
}

output "pods_range_name" {
  description = "The GKE subnet's secondary range for pods."
  value       = var.pods_range_name
}

output "services_range_name" {
  description = "The GKE subnet's secondary range for Services."
  value       = var.services_range_name
}

output "private_services_range_name" {
  description = "The allocated range Cloud SQL and Memorystore take their private addresses from."
  value       = google_compute_global_address.private_services.name
}

output "private_services_network" {
  description = "The VPC id, read from the private service access peering: Cloud SQL and Memorystore take it as their network, so they wait for the peering."
  value       = google_service_networking_connection.private_services.network
}

output "nat_addresses" {
  description = "Cloud NAT's external addresses (to give providers that allow-list callers)."
  value       = google_compute_address.nat[*].address
}

output "ingress_addresses" {
  description = "Each Ingress address's IPv4 address, by name (orchid-shop, orchid-manage): Route53 points the hosts at them."
  value       = { for name, address in google_compute_global_address.ingress : name => address.address }
}
