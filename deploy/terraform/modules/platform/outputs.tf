output "cluster_name" {
  description = "The GKE cluster (gcloud container clusters get-credentials <name> --region <region>)."
  value       = module.gke.name
}

output "ingress_addresses" {
  description = "The Ingresses' global addresses by name (their kubernetes.io/ingress.global-static-ip-name)."
  value       = module.network.ingress_addresses
}

output "security_policies" {
  description = "Cloud Armor policy names for the BackendConfigs (shop, manage) and the TLS policy for the FrontendConfig."
  value = {
    shop   = module.armor.shop_policy_name
    manage = module.armor.manage_policy_name
    tls    = module.armor.ssl_policy_name
  }
}

output "workload_service_accounts" {
  description = "Google service account email by workload (the Kubernetes service accounts' iam.gke.io/gcp-service-account)."
  value       = module.iam.emails
}

output "databases" {
  description = "Cloud SQL primaries and replicas: names, connection names, private addresses."
  value = {
    primaries = module.cloudsql.primaries
    replicas  = module.cloudsql.replicas
  }
}

output "redis" {
  description = "Memorystore's private address and TLS port."
  value       = { host = module.memorystore.host, port = module.memorystore.port }
}

output "function_urls" {
  description = "Internal URL of each Cloud Function."
  value       = module.functions.urls
}

output "nat_addresses" {
  description = "Cloud NAT's egress addresses (for providers' allow-lists)."
  value       = module.network.nat_addresses
}

output "name_servers" {
  description = "The Route 53 zone's name servers."
  value       = module.route53.name_servers
}

output "management" {
  description = "The management VMs: load balancer addresses, reserved private addresses (Ansible's inventory), service account."
  value = {
    load_balancers    = module.management.addresses
    private_addresses = module.management.private_addresses
    service_account   = module.management.service_account_email
  }
}

# For the helm provider of the roots (providers.tf), which installs the cluster's add-ons.
output "cluster_access" {
  description = "The control plane's endpoint and CA certificate (base64), for the roots' helm provider."
  value = {
    endpoint       = module.gke.endpoint
    ca_certificate = module.gke.ca_certificate
  }
  sensitive = true
}
