output "urls" {
  description = "Each function's internal URL, by name (what the Kubernetes services call, and the pubsub module's push subscriptions push to)."
  value       = { for name, fn in google_cloudfunctions2_function.this : name => fn.service_config[0].uri }
}

output "service_accounts" {
  description = "Each function's runtime service account email, by name."
  value       = { for name, sa in google_service_account.function : name => sa.email }
}

output "events_service_account" {
  description = "The email of orchid-events, the account the push subscriptions deliver as (runtime.EVENTS_CALLER)."
  value       = google_service_account.caller["events"].email
}

output "scheduler_service_account" {
  description = "The email of orchid-scheduler, the account the Cloud Scheduler jobs call as."
  value       = google_service_account.caller["scheduler"].email
}
