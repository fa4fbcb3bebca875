output "shop_policy_name" {
  description = "The public shop's Cloud Armor policy (BackendConfig spec.securityPolicy.name)."
  value       = google_compute_security_policy.shop.name
}

output "manage_policy_name" {
  description = "The management hosts' Cloud Armor policy."
  value       = google_compute_security_policy.manage.name
}

output "manage_policy_id" {
  description = "The management policy's self link, for backend services built by Terraform."
  value       = google_compute_security_policy.manage.self_link
}

output "ssl_policy_name" {
  description = "The TLS policy's name (FrontendConfig spec.sslPolicy)."
  value       = google_compute_ssl_policy.this.name
}

output "ssl_policy_id" {
  description = "The TLS policy's self link, for target proxies built by Terraform."
  value       = google_compute_ssl_policy.this.self_link
}
