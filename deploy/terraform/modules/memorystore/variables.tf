variable "project_id" {
  type        = string
  description = "The project of the instance."
}

variable "name" {
  type        = string
  description = "The instance's name."
  default     = "orchid-redis"
}

variable "region" {
  type        = string
  description = "The instance's region."
}

variable "zones" {
  type        = list(string)
  description = "Zone A (primary) and zone B (replica)."

  validation {
    condition     = length(var.zones) >= 2 && var.zones[0] != var.zones[1]
    error_message = "The replica needs a zone of its own."
  }
}

variable "memory_size_gb" {
  type        = number
  description = "Memory of the instance, in GiB."

  validation {
    condition     = var.memory_size_gb >= 1 && var.memory_size_gb <= 300
    error_message = "memory_size_gb must be 1-300."
  }
}

variable "redis_version" {
  type        = string
  description = "The Redis version."
  default     = "REDIS_7_2"
}

variable "network_id" {
  type        = string
  description = "The VPC peered through private service access."
}

variable "reserved_ip_range" {
  type        = string
  description = "The name of the private service access range the instance's address comes from."
}

variable "encryption_key" {
  type        = string
  description = "The Cloud KMS key of the instance's data at rest (snapshots included)."
}

variable "rdb_snapshot_period" {
  type        = string
  description = "How often Redis writes an RDB snapshot."
  default     = "ONE_HOUR"

  validation {
    condition     = contains(["ONE_HOUR", "SIX_HOURS", "TWELVE_HOURS", "TWENTY_FOUR_HOURS"], var.rdb_snapshot_period)
    error_message = "rdb_snapshot_period must be ONE_HOUR, SIX_HOURS, TWELVE_HOURS or TWENTY_FOUR_HOURS."
  }
}

variable "maintenance_window" {
  type = object({
    day  = string
    hour = number
  })
  description = "Weekly maintenance start, UTC: day (MONDAY … SUNDAY) and hour. 21 UTC is 02:30 IST."
  default     = { day = "WEDNESDAY", hour = 21 }

  validation {
    condition     = contains(["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"], var.maintenance_window.day) && var.maintenance_window.hour >= 0 && var.maintenance_window.hour <= 23
    error_message = "day must be a weekday name in capitals and hour 0-23."
  }
}

variable "auth_secret_id" {
  type        = string
  description = "The Secret Manager secret (id) the AUTH string is stored in."
}

variable "server_ca_secret_id" {
  type        = string
  description = "The Secret Manager secret (id) to write the instance's server CA certificates to, as one PEM bundle; null: none."
  default     = null
}

variable "client_url" {
  type = object({
    secret_id = string
    ca_file   = string
  })
  description = "A Secret Manager secret (id) to write a client's URL to (rediss://, AUTH, the primary's address, TLS verified with the CA bundle at ca_file: the functions'); null: none."
  default     = null
}

variable "labels" {
  type        = map(string)
  description = "Labels on the instance."
  default     = {}
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to destroy the instance from Terraform."
  default     = true
}
