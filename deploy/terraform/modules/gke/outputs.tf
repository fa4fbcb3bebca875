output "name" {
  description = "The cluster's name."
  value       = google_container_cluster.this.name
}

output "id" {
  description = "The cluster's id."
  value       = google_container_cluster.this.id
}

output "endpoint" {
  description = "The control plane's address."
  value       = google_container_cluster.this.endpoint
  sensitive   = true
}

output "ca_certificate" {
  description = "The cluster CA certificate (base64), for kubectl and the pipelines."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
  sensitive   = true
}

output "workload_pool" {
  description = "The Workload Identity pool (<project>.svc.id.goog), known once the cluster exists."
  value       = google_container_cluster.this.workload_identity_config[0].workload_pool
}

output "node_service_account" {
  description = "The nodes' service account email."
  value       = google_service_account.nodes.email
}
