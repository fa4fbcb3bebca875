variable "project_id" {
  type        = string
  description = "The Google Cloud project the network lives in."
}

variable "name" {
  type        = string
  description = "The VPC's name; subnets, router, NAT and firewall rules are named after it."

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{1,40}$", var.name))
    error_message = "name must be a lower-case RFC 1035 label of at most 41 characters."
  }
}

variable "region" {
  type        = string
  description = "The region of the subnets, router and NAT (the environment's region)."
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
  description = "The environment's address plan (src/orchid/deploy/environments.py, Ranges)."

  validation {
    condition     = alltrue([for r in values(var.ranges) : can(cidrnetmask(r))])
    error_message = "Every range must be an IPv4 CIDR block."
  }

  validation {
    condition     = tonumber(split("/", var.ranges.functions)[1]) <= 26
    error_message = "The functions' range must be a /26 or larger (Direct VPC egress)."
  }
}

variable "pods_range_name" {
  type        = string
  description = "The name of the GKE subnet's secondary range for pods."
  default     = "pods"
}

variable "services_range_name" {
  type        = string
  description = "The name of the GKE subnet's secondary range for Services."
  default     = "services"
}

variable "load_balancer_ranges" {
  type        = list(string)
  description = "Where Google's load balancers and health checks come from; the only sources allowed on 80/443."
  default     = ["130.211.0.0/22", "35.191.0.0/16"]

  validation {
    condition     = !contains(var.load_balancer_ranges, "0.0.0.0/0")
    error_message = "80/443 are open to Google's front ends only, never to 0.0.0.0/0."
  }
}

variable "web_target_tags" {
  type        = list(string)
  description = "Network tags of the instances that serve HTTP behind the load balancers (GKE nodes, management VMs)."
}

variable "ssh_target_tags" {
  type        = list(string)
  description = "Network tags of the VMs Ansible configures over IAP TCP forwarding."
}

variable "iap_range" {
  type        = string
  description = "The range Identity-Aware Proxy's TCP forwarding connects from."
  default     = "35.235.240.0/20"
}

variable "private_apis_range" {
  type        = string
  description = "private.googleapis.com's range (orchid.deploy.environments.GOOGLE_PRIVATE_APIS)."
  default     = "199.36.153.8/30"
}

variable "private_api_domains" {
  type        = list(string)
  description = "Domains answered with private.googleapis.com inside the VPC (Google APIs, Cloud Run and Functions URLs, image registries)."
  default     = ["googleapis.com", "run.app", "cloudfunctions.net", "pkg.dev", "gcr.io"]
}

variable "nat_address_count" {
  type        = number
  description = "How many static external addresses Cloud NAT uses (providers allow-list them)."
  default     = 2

  validation {
    condition     = var.nat_address_count >= 1 && var.nat_address_count <= 8
    error_message = "nat_address_count must be between 1 and 8."
  }
}

variable "flow_log_sampling" {
  type        = number
  description = "The fraction of flows VPC flow logs record (0 to 1]; lower it to cut logging cost."
  default     = 0.5

  validation {
    condition     = var.flow_log_sampling > 0 && var.flow_log_sampling <= 1
    error_message = "flow_log_sampling must be in (0, 1]."
  }
}

variable "ingress_address_names" {
  type        = list(string)
  description = "Global addresses to reserve for the GKE Ingresses (their global-static-ip-name)."
  default     = ["orchid-shop", "orchid-manage"]
}
