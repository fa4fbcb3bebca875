output "ids" {
  description = "Secret id (projects/…/secrets/…) by name."
  value       = { for name, secret in google_secret_manager_secret.this : name => secret.id }
}

output "generated_versions" {
  description = "Version number of each generated secret's current value, by name (a new one after rotation)."
  value       = { for name, version in google_secret_manager_secret_version.generated : name => version.version }
}
