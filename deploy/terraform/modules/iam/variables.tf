variable "project_id" {
  type        = string
  description = "The project of the service accounts and of the Workload Identity pool (<project>.svc.id.goog)."
}

variable "workload_pool" {
  type        = string
  description = "The cluster's Workload Identity pool, <project>.svc.id.goog (from the gke module, so the pool exists first)."

  validation {
    condition     = var.workload_pool == "${var.project_id}.svc.id.goog"
    error_message = "workload_pool must be <project_id>.svc.id.goog."
  }
}

variable "workloads" {
  type        = list(string)
  description = "The Kubernetes workloads that run as their own Google identity (orchid.deploy.workloads.google_identities())."

  validation {
    condition     = alltrue([for w in var.workloads : can(regex("^[a-z][-a-z0-9]{1,22}$", w))]) && length(distinct(var.workloads)) == length(var.workloads)
    error_message = "Workload names must be unique lower-case labels short enough for a service account id."
  }
}

variable "namespace" {
  type        = string
  description = "The Kubernetes namespace of the workloads' Kubernetes service accounts (each named after its workload)."
  default     = "orchid"
}

variable "account_prefix" {
  type        = string
  description = "Prefix of the service account ids: <prefix><workload>."
  default     = "orchid-"
}

variable "custom_roles" {
  type = map(object({
    title       = string
    description = string
    permissions = list(string)
  }))
  description = "Project custom roles by role id, for workloads whose need no predefined role matches narrowly."
  default     = {}
}

variable "roles" {
  type        = map(list(string))
  description = "Workload → project roles: predefined (roles/…) or a key of custom_roles. Basic roles are refused."
  default     = {}

  validation {
    condition = alltrue(flatten([
      for roles in values(var.roles) : [for r in roles : !contains(["roles/owner", "roles/editor", "roles/viewer"], r)]
    ]))
    error_message = "Basic roles (roles/owner, roles/editor, roles/viewer) are never granted: name the narrow roles a workload needs."
  }

  validation {
    condition     = alltrue([for w in keys(var.roles) : contains(var.workloads, w)])
    error_message = "Every workload in roles must be one of workloads."
  }

  validation {
    condition = alltrue(flatten([
      for roles in values(var.roles) : [for r in roles : startswith(r, "roles/") || contains(keys(var.custom_roles), r)]
    ]))
    error_message = "A role must be predefined (roles/…) or a key of custom_roles."
  }
}
