variable "project_id" {
  type        = string
  description = "The project of the functions."
}

variable "region" {
  type        = string
  description = "The functions' region (and their triggers')."
}

variable "name_prefix" {
  type        = string
  description = "Function names are <prefix><name>."
  default     = "orchid-"
}

variable "account_prefix" {
  type        = string
  description = "Function service account ids are <prefix><name>."
  default     = "orchid-fn-"
}

variable "functions" {
  type = map(object({
    entry_point     = string
    description     = optional(string, "")
    trigger_topic   = optional(string) # a key of topic_ids; null for a function called over HTTP
    invokers        = optional(list(string), [])
    roles           = optional(list(string), [])
    memory          = optional(string, "256M")
    timeout_seconds = optional(number, 60)
    max_instances   = optional(number, 20)
  }))
  description = "Function name → entry point, trigger topic (or none: HTTP), the principals (names in members) that may invoke it, and its own project roles."

  validation {
    condition     = alltrue([for name in keys(var.functions) : can(regex("^[a-z][-a-z0-9]{1,19}$", name))])
    error_message = "Function names must be lower-case labels of at most 20 characters (they prefix service account ids)."
  }

  validation {
    condition = alltrue(flatten([
      for fn in values(var.functions) : [for n in fn.invokers : contains(keys(var.members), n)]
    ]))
    error_message = "Invokers must be keys of members (workload service accounts): never allUsers or allAuthenticatedUsers."
  }

  validation {
    condition = alltrue(flatten([
      for fn in values(var.functions) : [for r in fn.roles : startswith(r, "roles/") && !contains(["roles/owner", "roles/editor", "roles/viewer"], r)]
    ]))
    error_message = "Function roles must be predefined roles other than the basic owner/editor/viewer."
  }
}

variable "members" {
  type        = map(string)
  description = "Principal name (a Kubernetes workload) → its service account member (serviceAccount:…), for invokers."
  default     = {}

  validation {
    condition     = alltrue([for m in values(var.members) : startswith(m, "serviceAccount:")])
    error_message = "Only service accounts invoke functions."
  }
}

variable "topic_ids" {
  type        = map(string)
  description = "Pub/Sub topic id by name (from the pubsub module), for triggered functions."
  default     = {}
}

variable "runtime" {
  type        = string
  description = "The functions' runtime."
  default     = "python312"
}

variable "source_archive" {
  type = object({
    bucket = string
    object = string
  })
  description = "The GCS object (zip of the functions' source) the pipeline uploads before applying."
}

variable "labels" {
  type        = map(string)
  description = "Labels on every function."
  default     = {}
}
