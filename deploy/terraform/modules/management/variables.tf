variable "project_id" {
  type        = string
  description = "The project of the management VMs."
}

variable "region" {
  type        = string
  description = "The region of the instance groups."
}

variable "zones" {
  type        = list(string)
  description = "Zones A and B the instance groups spread over."

  validation {
    condition     = length(var.zones) >= 2
    error_message = "The management tier runs in two zones."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name (orchid-manage-01, orchid-manage-api, …)."
  default     = "orchid-"
}

variable "subnet_id" {
  type        = string
  description = "The management subnet."
}

variable "subnet_range" {
  type        = string
  description = "The management subnet's range, in which each instance's address is reserved."
}

variable "groups" {
  type = map(object({
    machine_type = string
    host         = number
    disk_size_gb = optional(number, 50)
  }))
  description = "Instance (manage-01, manage-api, manage-util-01) → machine type and host number of its private address in the subnet (10 → <subnet>.10)."

  validation {
    condition     = alltrue([for g in values(var.groups) : g.host >= 2 && g.host <= 250]) && length(distinct([for g in values(var.groups) : g.host])) == length(var.groups)
    error_message = "Host numbers are distinct, between 2 and 250 (the subnet's first and last addresses are Google's)."
  }
}

variable "load_balancers" {
  type = map(object({
    group           = string
    host            = string
    timeout_seconds = optional(number, 60)
  }))
  description = "HTTPS load balancer → the instance group it serves, its host name (managed certificate) and backend timeout."

  validation {
    condition     = alltrue([for lb in values(var.load_balancers) : contains(keys(var.groups), lb.group)])
    error_message = "Every load balancer must serve one of groups."
  }
}

variable "backend_port" {
  type        = number
  description = "The port the VMs serve HTTP (and /healthz) on; the firewall opens it to the load balancers."
  default     = 80

  validation {
    condition     = contains([80, 443], var.backend_port)
    error_message = "Only 80 and 443 are open to the load balancers."
  }
}

variable "image" {
  type        = string
  description = "The boot image Ansible expects (a Debian 12 family)."
  default     = "debian-cloud/debian-12"
}

variable "disk_encryption_key" {
  type        = string
  description = "The Cloud KMS key of the boot disks."
}

variable "tags" {
  type        = list(string)
  description = "Network tags (the firewall's load-balancer and IAP SSH rules target them)."
}

variable "roles" {
  type        = list(string)
  description = "Project roles of the VMs' service account (e.g. Cloud SQL client, log and metric writer)."

  validation {
    condition     = alltrue([for r in var.roles : startswith(r, "roles/") && !contains(["roles/owner", "roles/editor", "roles/viewer"], r)])
    error_message = "Predefined roles only, never the basic owner/editor/viewer."
  }
}

variable "security_policy" {
  type        = string
  description = "The Cloud Armor policy of every management backend (orchid-manage)."
}

variable "ssl_policy" {
  type        = string
  description = "The TLS policy of the HTTPS proxies."
}

variable "labels" {
  type        = map(string)
  description = "Labels on the VMs."
  default     = {}
}
