output "host" {
  description = "The primary's private address."
  value       = google_redis_instance.this.host
}

output "port" {
  description = "The port (TLS)."
  value       = google_redis_instance.this.port
}

output "server_ca_certs" {
  description = "The CA certificates clients verify the TLS connection with (PEM)."
  value       = [for c in google_redis_instance.this.server_ca_certs : c.cert]
}

output "auth_secret_version" {
  description = "The Secret Manager version holding the AUTH string."
  value       = google_secret_manager_secret_version.auth.name
}
