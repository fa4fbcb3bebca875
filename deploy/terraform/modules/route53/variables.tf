variable "zone_name" {
  type        = string
  description = "The public hosted zone of the environment's domain (e.g. orchid.example)."
}

variable "create_zone" {
  type        = bool
  description = "Create the hosted zone (signed, query-logged) instead of looking up an existing one."
  default     = false
}

variable "records" {
  type = map(object({
    name    = string
    address = string
  }))
  description = "Host key → its fully qualified name and the Google load balancer address it points at while healthy."

  validation {
    condition     = alltrue([for r in values(var.records) : can(cidrhost("${r.address}/32", 0))])
    error_message = "Every record's address must be an IPv4 address."
  }
}

variable "maintenance_address" {
  type        = string
  description = "IPv4 address of the static maintenance site, answered while a host's health check fails."

  validation {
    condition     = can(cidrhost("${var.maintenance_address}/32", 0))
    error_message = "maintenance_address must be an IPv4 address."
  }
}

variable "ttl" {
  type        = number
  description = "TTL of the records in seconds (short, so a failover reaches clients quickly)."
  default     = 60
}

variable "failure_threshold" {
  type        = number
  description = "Consecutive failed checks before a host fails over."
  default     = 3

  validation {
    condition     = var.failure_threshold >= 1 && var.failure_threshold <= 10
    error_message = "failure_threshold must be 1-10."
  }
}

variable "request_interval" {
  type        = number
  description = "Seconds between health checks from each checker (10 or 30)."
  default     = 30

  validation {
    condition     = contains([10, 30], var.request_interval)
    error_message = "request_interval must be 10 or 30."
  }
}

variable "health_check_regions" {
  type        = list(string)
  description = "Route 53 checker regions (at least three); the Asia-Pacific ones are nearest the shop."
  default     = ["ap-southeast-1", "ap-southeast-2", "ap-northeast-1"]

  validation {
    condition     = length(var.health_check_regions) >= 3
    error_message = "Route 53 needs at least three checker regions."
  }
}

variable "query_log_retention_days" {
  type        = number
  description = "Days a created zone's query logs are kept."
  default     = 365
}

variable "tags" {
  type        = map(string)
  description = "Tags on the AWS resources."
  default     = {}
}
