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
  description = "Service account ids are <prefix><name>, for the functions and their callers events and scheduler: orchid-<name>, as orchid.functions.runtime.service_account_email names them."
  default     = "orchid-"
}

variable "functions" {
  type = map(object({
    entry_point     = string
    description     = optional(string, "")
    trigger_topics  = optional(list(string), []) # keys of topic_ids whose subscriptions push to it
    invokers        = optional(list(string), [])
    schedule        = optional(string) # cron (time_zone) of a Cloud Scheduler job calling it
    roles           = optional(list(string), [])
    egress          = optional(string, "PRIVATE_RANGES_ONLY") # what goes through the VPC
    ca_files        = optional(list(string), [])              # keys of ca_files it mounts
    secrets         = optional(map(string), {})               # environment variable → secret id
    memory          = optional(string, "256M")
    timeout_seconds = optional(number, 60)
    max_instances   = optional(number, 20)
  }))
  description = "Function name → entry point, trigger topics (delivered by the pubsub module's push subscriptions as orchid-events), the principals (names in members) that may invoke it over HTTP, its schedule, its own project roles, what it sends through the VPC (PRIVATE_RANGES_ONLY, or ALL_TRAFFIC to leave by Cloud NAT), the CA files it mounts and the secrets it reads as environment variables."

  validation {
    condition     = alltrue([for name in keys(var.functions) : can(regex("^[a-z][-a-z0-9]{1,19}$", name)) && !contains(["events", "scheduler"], name)])
    error_message = "Function names must be lower-case labels of at most 20 characters (they are service account ids after the prefix), other than events and scheduler."
  }

  validation {
    condition = alltrue(flatten([
      for fn in values(var.functions) : [for t in fn.trigger_topics : contains(keys(var.topic_ids), t)]
    ]))
    error_message = "Trigger topics must be keys of topic_ids (the pubsub module's topics)."
  }

  validation {
    condition     = alltrue([for fn in values(var.functions) : fn.schedule == null || length(split(" ", fn.schedule == null ? "" : fn.schedule)) == 5])
    error_message = "A schedule is a five-field cron expression."
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

  validation {
    condition     = alltrue([for fn in values(var.functions) : contains(["PRIVATE_RANGES_ONLY", "ALL_TRAFFIC"], fn.egress)])
    error_message = "egress is PRIVATE_RANGES_ONLY or ALL_TRAFFIC."
  }

  validation {
    condition = alltrue(flatten([
      for fn in values(var.functions) : [for name in keys(fn.secrets) : can(regex("^ORCHID_[A-Z0-9_]+$", name))]
    ]))
    error_message = "Secrets are given as ORCHID_* settings (orchid.config.Settings)."
  }
}

variable "network" {
  type = object({
    network    = string
    subnetwork = string
  })
  description = "The VPC and the subnet the functions take their addresses from (Direct VPC egress), so they reach Cloud SQL's and Memorystore's private addresses and Elasticsearch's internal one. Null only for functions that read no secret."
  default     = null
}

variable "ca_files" {
  type = map(object({
    secret = string
    path   = string
  }))
  description = "Server CA (cloudsql, redis) → its secret id and the file a function reads it at (each in a folder of its own: a mounted secret hides the rest of its folder)."
  default     = {}
}

variable "settings" {
  type        = map(string)
  description = "ORCHID_* settings every function gets as plain environment variables (ORCHID_ENV, …): what is not secret."
  default     = {}
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
  description = "Pub/Sub topic id by name (from the pubsub module): the topics trigger_topics may name."
  default     = {}
}

variable "time_zone" {
  type        = string
  description = "The time zone the schedules are read in: the shop's clock, as its CronJobs' (orchid.deploy.tasks.ZONE)."
  default     = "Asia/Kolkata"
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
