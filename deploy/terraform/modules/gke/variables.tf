variable "project_id" {
  type        = string
  description = "The project the cluster runs in."
}

variable "name" {
  type        = string
  description = "The cluster's name: orchid-<environment> (orchid.deploy.environments.Environment.cluster)."

  validation {
    condition     = can(regex("^orchid-[a-z0-9]+$", var.name))
    error_message = "name must be orchid-<environment>."
  }
}

variable "region" {
  type        = string
  description = "The region of the regional cluster (its control plane is replicated across the region's zones)."
}

variable "zones" {
  type        = list(string)
  description = "The zones the nodes run in (zones A and B of the region)."

  validation {
    condition     = length(var.zones) >= 2
    error_message = "Nodes run in at least two zones, so a zone outage leaves the shop up."
  }
}

variable "network_id" {
  type        = string
  description = "The VPC the nodes attach to."
}

variable "subnet_id" {
  type        = string
  description = "The GKE subnet (its primary range holds the nodes)."
}

variable "pods_range_name" {
  type        = string
  description = "The GKE subnet's secondary range for pods."
}

variable "services_range_name" {
  type        = string
  description = "The GKE subnet's secondary range for Services."
}

variable "control_plane_cidr" {
  type        = string
  description = "The /28 the control plane's private endpoint takes (Ranges.control_plane)."

  validation {
    condition     = can(cidrnetmask(var.control_plane_cidr)) && endswith(var.control_plane_cidr, "/28")
    error_message = "control_plane_cidr must be a /28."
  }
}

variable "private_endpoint" {
  type        = bool
  description = "Whether the control plane has only a private endpoint (then CI and staff reach it from inside the VPC)."
  default     = false
}

variable "authorized_networks" {
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  description = "Networks allowed to reach the control plane (staff, CI runners, the management subnet)."

  validation {
    condition     = alltrue([for n in var.authorized_networks : can(cidrnetmask(n.cidr_block)) && n.cidr_block != "0.0.0.0/0"])
    error_message = "Authorized networks must be CIDR blocks, never 0.0.0.0/0."
  }
}

variable "rbac_security_group" {
  type        = string
  description = "The Google Group whose member groups Kubernetes RBAC bindings may name."

  validation {
    condition     = startswith(var.rbac_security_group, "gke-security-groups@")
    error_message = "GKE only reads groups nested in gke-security-groups@<domain>."
  }
}

variable "release_channel" {
  type        = string
  description = "The GKE release channel that upgrades the control plane and nodes."
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "database_encryption_key" {
  type        = string
  description = "The Cloud KMS key that encrypts Kubernetes secrets in etcd (same region as the cluster)."
}

variable "boot_disk_encryption_key" {
  type        = string
  description = "The Cloud KMS key of the nodes' boot disks."
}

variable "autoscaling_profile" {
  type        = string
  description = "Cluster autoscaler profile: OPTIMIZE_UTILIZATION removes idle nodes sooner (night savings), BALANCED keeps headroom."
  default     = "OPTIMIZE_UTILIZATION"

  validation {
    condition     = contains(["BALANCED", "OPTIMIZE_UTILIZATION"], var.autoscaling_profile)
    error_message = "autoscaling_profile must be BALANCED or OPTIMIZE_UTILIZATION."
  }
}

variable "general_pool" {
  type = object({
    machine_type = string
    min_per_zone = number
    max_per_zone = number
    disk_size_gb = optional(number, 100)
  })
  description = "The pool every day's load runs on; min/max are nodes per zone."

  validation {
    condition     = var.general_pool.min_per_zone >= 1 && var.general_pool.max_per_zone >= var.general_pool.min_per_zone
    error_message = "general_pool needs at least one node per zone and max_per_zone >= min_per_zone."
  }
}

variable "burst_pool" {
  type = object({
    machine_type = string
    min_per_zone = number
    max_per_zone = number
    disk_size_gb = optional(number, 100)
  })
  description = "The sale day's extra capacity (regular VMs, never spot); usually min_per_zone = 0, min/max are per zone."

  validation {
    condition     = var.burst_pool.min_per_zone >= 0 && var.burst_pool.max_per_zone >= var.burst_pool.min_per_zone
    error_message = "burst_pool needs max_per_zone >= min_per_zone >= 0."
  }
}

variable "spot_pool" {
  type = object({
    machine_type = string
    min_per_zone = number
    max_per_zone = number
    disk_size_gb = optional(number, 100)
  })
  description = "An optional Spot VM pool, tainted cloud.google.com/gke-spot=true:NoSchedule, for workloads that opt in (deploy/k8s's spot-nodes component); null for none."
  default     = null
}

variable "node_tags" {
  type        = list(string)
  description = "Network tags on the nodes (the firewall's load-balancer rule targets them)."
}

variable "maintenance_window" {
  type = object({
    start_time = string
    end_time   = string
    recurrence = string
  })
  description = "When GKE may upgrade: RFC 3339 UTC times and an RRULE; keep it inside 01:00–07:00 IST (19:30–01:30 UTC)."
  default = {
    start_time = "2025-01-01T20:30:00Z" # 02:00 IST
    end_time   = "2025-01-02T00:30:00Z" # 06:00 IST
    recurrence = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH"
  }
}

variable "maintenance_exclusions" {
  type = map(object({
    start_time = string
    end_time   = string
  }))
  description = "Named windows with no upgrades at all (sale days), RFC 3339 UTC."
  default     = {}
}

variable "labels" {
  type        = map(string)
  description = "Labels on the cluster and its nodes."
  default     = {}
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to destroy the cluster from Terraform."
  default     = true
}
