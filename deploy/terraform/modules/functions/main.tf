# Orchid's background functions (Cloud Functions 2nd gen): reachable only from inside the VPC,
# each running as its own service account, and invocable only by the workloads named for it
# (Kubernetes services call them with their Workload Identity's ID token; Pub/Sub-triggered ones
# are invoked by Eventarc as the function's own account).

locals {
  # Keyed by principal name, not member: for_each keys must be known at plan time.
  invokers = merge([
    for name, fn in var.functions : { for n in fn.invokers : "${name} ${n}" => { function = name, member = var.members[n] } }
  ]...)
  grants = merge([
    for name, fn in var.functions : { for r in fn.roles : "${name} ${r}" => { function = name, role = r } }
  ]...)
  triggered = { for name, fn in var.functions : name => fn if fn.trigger_topic != null }
}

resource "google_service_account" "function" {
  for_each = var.functions

  project      = var.project_id
  account_id   = "${var.account_prefix}${each.key}"
  display_name = "Orchid function ${each.key}"
  description  = "Runtime identity of the ${each.key} function; managed by Terraform."
}

# One build identity for all functions, instead of the Compute Engine default account.
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name_prefix}functions-build"
  display_name = "Orchid functions build"
  description  = "Builds the functions' images from the source archive; managed by Terraform."
}

# What a function build needs: read the source archive, push the image, write its log. (Not
# roles/cloudbuild.builds.builder, which may act as other service accounts.)
resource "google_project_iam_member" "build" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer", "roles/storage.objectViewer"])

  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}

resource "google_project_iam_member" "function" {
  for_each = local.grants

  project = var.project_id
  role    = each.value.role
  member  = google_service_account.function[each.value.function].member
}

resource "google_cloudfunctions2_function" "this" {
  for_each = var.functions

  project     = var.project_id
  name        = "${var.name_prefix}${each.key}"
  location    = var.region
  description = each.value.description
  labels      = var.labels

  build_config {
    runtime         = var.runtime
    entry_point     = each.value.entry_point
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = var.source_archive.bucket
        object = var.source_archive.object
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.function[each.key].email
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    available_memory               = each.value.memory
    timeout_seconds                = each.value.timeout_seconds
    min_instance_count             = 0
    max_instance_count             = each.value.max_instances
  }

  dynamic "event_trigger" {
    for_each = each.value.trigger_topic == null ? [] : [each.value.trigger_topic]
    content {
      trigger_region        = var.region
      event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
      pubsub_topic          = var.topic_ids[event_trigger.value]
      retry_policy          = "RETRY_POLICY_RETRY" # functions consume idempotently
      service_account_email = google_service_account.function[each.key].email
    }
  }

  depends_on = [google_project_iam_member.build]
}

# Only the named callers may invoke a function; never allUsers or allAuthenticatedUsers.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.invokers

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this[each.value.function].name
  role     = "roles/run.invoker"
  member   = each.value.member
}

# Eventarc delivers a topic's messages as the function's own account.
resource "google_cloud_run_v2_service_iam_member" "trigger" {
  for_each = local.triggered

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this[each.key].name
  role     = "roles/run.invoker"
  member   = google_service_account.function[each.key].member
}
