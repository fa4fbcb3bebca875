output "emails" {
  description = "Service account email by workload (the iam.gke.io/gcp-service-account annotation of its Kubernetes service account)."
  value       = { for w, sa in google_service_account.workload : w => sa.email }
}

output "members" {
  description = "IAM member string (serviceAccount:…) by workload, for grants on other resources."
  value       = { for w, sa in google_service_account.workload : w => sa.member }
}
