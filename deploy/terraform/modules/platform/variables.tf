# What differs between environments, given by each envs/<name>/main.tf. Environment facts
# (project, region, zones, domain, ranges, staff networks, cluster) are
# src/orchid/deploy/environments.py's; the rest is sizing. What runs on the platform is
# modules/workloads'.

variable "environment" {
  type        = string
  description = "The environment's name (a key of orchid.deploy.environments.ENVIRONMENTS)."

  validation {
    condition     = contains(["sandbox", "preprod", "prod"], var.environment)
    error_message = "environment must be sandbox, preprod or prod."
  }
}

variable "project_id" {
  type        = string
  description = "The environment's Google Cloud project."
}

variable "region" {
  type        = string
  description = "The environment's region."
}

variable "zones" {
  type        = list(string)
  description = "Zones A and B of the region, where nodes, VMs and database standbys run."

  validation {
    condition     = length(var.zones) == 2 && alltrue([for z in var.zones : startswith(z, "${var.region}-")])
    error_message = "Give the region's zones A and B."
  }
}

variable "domain" {
  type        = string
  description = "The environment's domain: the shop is www.<domain>, management hosts <host>.<domain>."
}

variable "cluster_name" {
  type        = string
  description = "The GKE cluster's name, orchid-<environment>."

  validation {
    condition     = var.cluster_name == "orchid-${var.environment}"
    error_message = "cluster_name must be orchid-<environment>."
  }
}

variable "ranges" {
  type = object({
    nodes            = string
    pods             = string
    services         = string
    management       = string
    data             = string
    functions        = string
    private_services = string
    control_plane    = string
  })
  description = "The environment's address plan (Environment.ranges); RFC 1918, distinct per environment."
}

variable "load_balancer_ranges" {
  type        = list(string)
  description = "Where Google's load balancers and health checks come from (orchid.deploy.environments.GOOGLE_LB_RANGES)."
  default     = ["130.211.0.0/22", "35.191.0.0/16"]
}

variable "staff_networks" {
  type        = list(string)
  description = "Office and VPN CIDRs: the only sources of the management hosts and the control plane."
}

variable "control_plane_networks" {
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  description = "More networks allowed to reach the GKE control plane (CI runners)."
  default     = []
}

variable "gke_rbac_security_group" {
  type        = string
  description = "gke-security-groups@<workspace domain>: the group whose nested groups Kubernetes RBAC names."
}

variable "gke_maintenance_exclusions" {
  type = map(object({
    start_time = string
    end_time   = string
  }))
  description = "Sale days and other windows with no GKE upgrades, RFC 3339 UTC, by name."
  default     = {}
}

variable "general_pool" {
  type = object({
    machine_type = string
    min_per_zone = number
    max_per_zone = number
  })
  description = "The everyday node pool: machine type and nodes per zone."
}

variable "burst_pool" {
  type = object({
    machine_type = string
    min_per_zone = number
    max_per_zone = number
  })
  description = "The sale day's node pool (regular VMs): machine type and nodes per zone."
}

variable "spot_pool" {
  type = object({
    machine_type = string
    min_per_zone = number
    max_per_zone = number
  })
  description = "A Spot VM node pool for the spot-nodes component of deploy/k8s; null (the default) for none."
  default     = null
}

variable "sql_tiers" {
  type = object({
    main      = string
    warehouse = string
  })
  description = "Cloud SQL machine tier of each primary."
}

variable "sql_replica_tiers" {
  type = object({
    main      = string
    warehouse = string
  })
  description = "Cloud SQL machine tier of each database's read replicas."
}

variable "sql_max_connections" {
  type        = number
  description = "MySQL max_connections of every instance."
}

variable "db_password_generation" {
  type        = number
  description = "Generation of the generated database password: increment it to rotate the password (and the URL secrets)."
  default     = 1
}

variable "redis_memory_size_gb" {
  type        = number
  description = "Memorystore capacity in GiB."
}

variable "function_source" {
  type = object({
    bucket = string
    object = string
  })
  description = "Where the pipeline uploads the functions' source archive."
}

variable "waf_sensitivity" {
  type        = number
  description = "OWASP CRS sensitivity (paranoia level 1-4) of the shop's Cloud Armor rules."
}

variable "management_groups" {
  type = map(object({
    machine_type = string
    host         = number
  }))
  description = "Management instances (manage-01, manage-api, manage-util-01): machine type and host number of the private address (Ansible's inventory)."
}

variable "route53_create_zone" {
  type        = bool
  description = "Create the domain's Route 53 zone here instead of using the existing one."
  default     = false
}

variable "maintenance_address" {
  type        = string
  description = "The static maintenance site's IPv4 address (Route 53's failover answer)."
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the cluster, databases and Redis from deletion."
}
