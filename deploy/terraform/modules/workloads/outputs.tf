output "namespace" {
  description = "The workloads' Kubernetes namespace."
  value       = var.namespace
}

output "workloads" {
  description = "Workloads with their own Google identity (orchid.deploy.workloads.google_identities())."
  value       = local.workloads
}

output "workload_roles" {
  description = "Project roles per workload (predefined, or a key of custom_roles)."
  value       = local.workload_roles
}

output "custom_roles" {
  description = "Project custom roles the workload roles may name."
  value       = local.custom_roles
}

output "secrets" {
  description = "Every Secret Manager secret of an environment: the workloads' and the functions'."
  value       = sort(distinct(concat(keys(local.secret_accessors), local.function_secrets)))
}

output "secret_accessors" {
  description = "Secret → the workloads (or \"management\") that read it."
  value       = local.secret_accessors
}

output "sql_proxy_ports" {
  description = "Cloud SQL proxy loopback port per instance key (main-primary, main-replica-1, …)."
  value       = local.sql_proxy_ports
}

output "event_topics" {
  description = "Event topic → publishing workloads and subscriptions (name → the function it pushes to, its attempts and filter), from the code (events.tf)."
  value       = local.event_topics
}

output "functions" {
  description = "Cloud Function → entry point, trigger topics, HTTP invokers (workloads), VPC egress, CA files, secrets by environment variable and schedule, from the code (events.tf)."
  value       = local.functions
}

output "function_ca_files" {
  description = "Server CA (cloudsql, redis) → the secret it is written to and the path a function mounts it at (events.tf)."
  value       = local.function_ca_files
}

output "function_url_secrets" {
  description = "The secrets Terraform writes the functions' store URLs to: Cloud SQL's by url_secrets key (main_primary, …) and redis (events.tf)."
  value       = local.function_url_secrets
}

output "management_load_balancers" {
  description = "Management load balancer → instance group, host label and backend timeout."
  value       = local.management_load_balancers
}

output "management_roles" {
  description = "Project roles of the management VMs' service account."
  value       = local.management_roles
}

output "staff_api_hosts" {
  description = "Host labels the staff API answers on."
  value       = local.staff_api_hosts
}

output "function_settings" {
  description = "ORCHID_* settings every function gets as plain environment variables (events.tf)."
  value       = local.function_settings
}
