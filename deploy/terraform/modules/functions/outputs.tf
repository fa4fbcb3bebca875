output "urls" {
  description = "Each function's internal URL, by name (what the Kubernetes services call)."
  value       = { for name, fn in google_cloudfunctions2_function.this : name => fn.service_config[0].uri }
}

output "service_accounts" {
  description = "Each function's runtime service account email, by name."
  value       = { for name, sa in google_service_account.function : name => sa.email }
}
