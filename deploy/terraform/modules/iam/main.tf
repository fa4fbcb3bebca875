# One Google service account per Kubernetes workload, bound to the workload's Kubernetes service
# account by Workload Identity, holding only the project roles that workload needs: a pod never
# carries a key file, and a compromised workload reaches only what its own account can.

locals {
  grants = merge([
    for workload, roles in var.roles : { for role in roles : "${workload} ${role}" => { workload = workload, role = role } }
  ]...)
}

resource "google_service_account" "workload" {
  for_each = toset(var.workloads)

  project      = var.project_id
  account_id   = "${var.account_prefix}${each.key}"
  display_name = "Orchid ${each.key} (Kubernetes ${var.namespace}/${each.key})"
  description  = "Workload Identity of the ${each.key} workload; managed by Terraform."
}

resource "google_service_account_iam_member" "workload_identity" {
  for_each = toset(var.workloads)

  service_account_id = google_service_account.workload[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.workload_pool}[${var.namespace}/${each.key}]"
}

# Narrower than any predefined role where one would be too broad (the backup job needs to start
# a Cloud SQL backup, which predefined roles grant only with editor-level rights).
resource "google_project_iam_custom_role" "this" {
  for_each = var.custom_roles

  project     = var.project_id
  role_id     = each.key
  title       = each.value.title
  description = each.value.description
  permissions = each.value.permissions
}

resource "google_project_iam_member" "workload" {
  for_each = local.grants

  project = var.project_id
  role    = startswith(each.value.role, "roles/") ? each.value.role : google_project_iam_custom_role.this[each.value.role].name
  member  = google_service_account.workload[each.value.workload].member
}
