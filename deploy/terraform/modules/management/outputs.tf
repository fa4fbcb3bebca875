output "addresses" {
  description = "Each management load balancer's IPv4 address, by name (Route53 points its host at it)."
  value       = { for name, address in google_compute_global_address.lb : name => address.address }
}

output "hosts" {
  description = "Each management load balancer's host name, by name."
  value       = { for name, lb in var.load_balancers : name => lb.host }
}

output "service_account_email" {
  description = "The management VMs' service account."
  value       = google_service_account.vm.email
}

output "service_account_member" {
  description = "The management VMs' service account as an IAM member."
  value       = google_service_account.vm.member
}

output "private_addresses" {
  description = "Each instance's reserved private address, by name (Ansible's inventory)."
  value       = { for name, address in google_compute_address.instance : name => address.address }
}

output "instance_groups" {
  description = "Each instance group's URL, by name (Ansible's inventory finds the VMs through it)."
  value       = { for name, mig in google_compute_region_instance_group_manager.this : name => mig.instance_group }
}
