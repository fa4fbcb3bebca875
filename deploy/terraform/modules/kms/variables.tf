variable "project_id" {
  type        = string
  description = "The project that holds the key ring."
}

variable "region" {
  type        = string
  description = "The key ring's location; the regional services it serves must be in it."
}

variable "key_ring_name" {
  type        = string
  description = "The key ring's name (key rings cannot be deleted, so choose once)."
}

variable "keys" {
  type        = map(list(string))
  description = "Key name → the IAM members (service agents) allowed to encrypt and decrypt with it."

  validation {
    condition     = alltrue([for members in values(var.keys) : alltrue([for m in members : startswith(m, "serviceAccount:")])])
    error_message = "Keys are granted to service accounts (serviceAccount:…) only."
  }
}

variable "service_identities" {
  type        = list(string)
  description = "APIs whose service agent must be created before it is granted a key (e.g. sqladmin.googleapis.com)."
  default     = []
}

variable "rotation_period" {
  type        = string
  description = "How often a new key version becomes primary, in seconds with an 's' suffix."
  default     = "7776000s" # 90 days

  validation {
    condition     = can(regex("^[0-9]+s$", var.rotation_period)) && tonumber(trimsuffix(var.rotation_period, "s")) <= 7776000
    error_message = "rotation_period must be like \"7776000s\" and at most 90 days."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels on every key."
  default     = {}
}
