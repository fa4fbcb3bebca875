variable "project_id" {
  type        = string
  description = "The project of the instances."
}

variable "region" {
  type        = string
  description = "The instances' region (backups are kept in it too)."
}

variable "zones" {
  type        = list(string)
  description = "Zones A and B: the primaries' preferred and standby zones; replicas alternate between them."

  validation {
    condition     = length(var.zones) >= 2
    error_message = "Regional primaries need two zones."
  }
}

variable "name_prefix" {
  type        = string
  description = "Instance names are <prefix>-main, <prefix>-main-replica-<n>, <prefix>-warehouse, …"
  default     = "orchid"
}

variable "network_id" {
  type        = string
  description = "The VPC the instances get private addresses in (through private service access)."
}

variable "allocated_ip_range" {
  type        = string
  description = "The private service access range the instances' addresses come from."
}

variable "database_version" {
  type        = string
  description = "The MySQL version of every instance."
  default     = "MYSQL_8_0"

  validation {
    condition     = startswith(var.database_version, "MYSQL_8")
    error_message = "Orchid runs on MySQL 8."
  }
}

variable "tiers" {
  type = object({
    main      = string
    warehouse = string
  })
  description = "Machine tier of each primary (e.g. db-custom-8-32768)."
}

variable "replica_tiers" {
  type = object({
    main      = string
    warehouse = string
  })
  description = "Machine tier of each database's read replicas."
}

variable "encryption_key" {
  type        = string
  description = "The Cloud KMS key of the instances' disks and backups (in the instances' region)."
}

variable "retained_backups" {
  type        = number
  description = "How many automated daily backups are kept."
  default     = 14

  validation {
    condition     = var.retained_backups >= 7 && var.retained_backups <= 365
    error_message = "Keep between 7 and 365 backups."
  }
}

variable "transaction_log_retention_days" {
  type        = number
  description = "Days of binary logs kept for point-in-time recovery."
  default     = 7

  validation {
    condition     = var.transaction_log_retention_days >= 1 && var.transaction_log_retention_days <= 7
    error_message = "Cloud SQL for MySQL keeps 1 to 7 days of transaction logs."
  }
}

variable "backup_start_time" {
  type        = string
  description = "When the daily backup starts, HH:MM UTC (20:00 UTC is 01:30 IST)."
  default     = "20:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_start_time))
    error_message = "backup_start_time must be HH:MM."
  }
}

variable "maintenance_window" {
  type = object({
    day  = number
    hour = number
  })
  description = "Weekly maintenance: day 1-7 (Monday = 1) and hour 0-23, in UTC. 21 UTC is 02:30 IST."
  default     = { day = 2, hour = 21 }

  validation {
    condition     = var.maintenance_window.day >= 1 && var.maintenance_window.day <= 7 && var.maintenance_window.hour >= 0 && var.maintenance_window.hour <= 23
    error_message = "day must be 1-7 and hour 0-23."
  }
}

variable "max_connections" {
  type        = number
  description = "MySQL max_connections on every instance (the app pools × pods must fit under it)."
  default     = 2000
}

variable "long_query_time" {
  type        = number
  description = "Seconds after which a query is written to the slow query log."
  default     = 1
}

variable "extra_flags" {
  type        = map(string)
  description = "More MySQL flags, or overrides of this module's, by name."
  default     = {}

  validation {
    condition     = lookup(var.extra_flags, "local_infile", "off") == "off"
    error_message = "local_infile stays off."
  }
}

variable "user_name" {
  type        = string
  description = "The application's MySQL user on both primaries."
  default     = "orchid"
}

variable "user_password_secret" {
  type        = string
  description = "The Secret Manager secret (id) holding the application user's password."
}

variable "user_password_secret_version" {
  type        = string
  description = "The secret's version to set as the password; a new version rotates it."
}

variable "url_secrets" {
  type        = map(string)
  description = "Secret id to write each database URL to, by main_primary, main_replicas, warehouse_primary, warehouse_replicas."

  validation {
    condition     = alltrue([for k in keys(var.url_secrets) : contains(["main_primary", "main_replicas", "warehouse_primary", "warehouse_replicas"], k)])
    error_message = "url_secrets keys are main_primary, main_replicas, warehouse_primary and warehouse_replicas."
  }
}

variable "direct_url_secrets" {
  type        = map(string)
  description = "Secret id to write each database URL for clients without the proxy (the functions: private address, TLS verified with server_ca_file) to, by main_primary, main_replicas, warehouse_primary, warehouse_replicas."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.direct_url_secrets) : contains(["main_primary", "main_replicas", "warehouse_primary", "warehouse_replicas"], k)])
    error_message = "direct_url_secrets keys are main_primary, main_replicas, warehouse_primary and warehouse_replicas."
  }
}

variable "server_ca_secret" {
  type        = string
  description = "The Secret Manager secret (id) to write the instances' server CA certificates to, as one PEM bundle; null: none."
  default     = null
}

variable "server_ca_file" {
  type        = string
  description = "Where clients without the proxy find that bundle: the direct URLs' ssl_ca."
  default     = null

  validation {
    condition     = var.server_ca_file == null || startswith(coalesce(var.server_ca_file, "/"), "/")
    error_message = "server_ca_file is an absolute path."
  }
}

variable "proxy_ports" {
  type        = map(number)
  description = "Loopback port of the pods' Cloud SQL proxy per instance key (orchid.deploy.pods.SQL_PORTS)."
}

variable "labels" {
  type        = map(string)
  description = "Labels on every instance."
  default     = {}
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse deletion from Terraform and from the Cloud SQL API."
  default     = true
}
