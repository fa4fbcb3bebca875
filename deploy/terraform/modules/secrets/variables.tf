variable "project_id" {
  type        = string
  description = "The project of the secrets."
}

variable "region" {
  type        = string
  description = "The only region the secrets are replicated to."
}

variable "secrets" {
  type        = list(string)
  description = "Secret ids to create (values are added outside Terraform, except the generated ones)."

  validation {
    condition     = alltrue([for s in var.secrets : can(regex("^[a-zA-Z0-9_-]{1,255}$", s))])
    error_message = "Secret ids are letters, digits, '-' and '_'."
  }
}

variable "generated" {
  type        = list(string)
  description = "Secrets among `secrets` whose value Terraform generates (database passwords only)."
  default     = []

  validation {
    condition     = alltrue([for s in var.generated : contains(var.secrets, s)])
    error_message = "Every generated secret must be listed in secrets."
  }
}

variable "public_values" {
  type        = map(string)
  description = "Secret id → a value that is not secret (configuration the workloads read with their secrets)."
  default     = {}

  validation {
    condition     = alltrue([for s in keys(var.public_values) : contains(var.secrets, s) && !contains(var.generated, s)])
    error_message = "public_values may only name secrets listed in secrets, and not generated ones."
  }
}

variable "generation" {
  type        = number
  description = "Generation of the generated passwords; incrementing it writes new versions (rotation)."
  default     = 1
}

variable "accessors" {
  type        = map(list(string))
  description = "Secret id → the principals (names in members) that may read it."
  default     = {}

  validation {
    condition     = alltrue([for s in keys(var.accessors) : contains(var.secrets, s)])
    error_message = "accessors may only name secrets listed in secrets."
  }

  validation {
    condition     = alltrue(flatten([for names in values(var.accessors) : [for n in names : contains(keys(var.members), n)]]))
    error_message = "Every accessor must be a key of members."
  }
}

variable "members" {
  type        = map(string)
  description = "Principal name (a workload, \"management\") → its IAM member (serviceAccount:…)."
  default     = {}
}

variable "encryption_key" {
  type        = string
  description = "The Cloud KMS key (in the region) the secrets are encrypted with."
}

variable "labels" {
  type        = map(string)
  description = "Labels on every secret."
  default     = {}
}
