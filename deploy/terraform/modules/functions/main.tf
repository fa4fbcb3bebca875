# Orchid's background functions (Cloud Functions 2nd gen), one per function of the code's
# registry (modules/workloads/events.tf): reachable only from inside the project, each running as
# its own service account orchid-<name> (runtime.service_account_email), and invocable only by
#   - the workloads named for it (its SPEC's callers: Kubernetes services calling with their
#     Workload Identity's ID token),
#   - orchid-events, the bus's deliverer, when topics trigger it: the pubsub module's push
#     subscriptions deliver as that account (runtime.EVENTS_CALLER),
#   - orchid-scheduler, when it has a schedule: a Cloud Scheduler job calls it with an OIDC token.
# Pub/Sub push and Cloud Scheduler count as internal traffic for ALLOW_INTERNAL_ONLY (same
# project). Push subscriptions rather than Eventarc triggers: Eventarc filters a Pub/Sub event
# only on its CloudEvent type (always messagePublished), not on the message's `type` attribute,
# names the subscriptions itself and leaves their dead letters unmanaged.
#
# Each function reaches its stores itself, as the process that builds every service it calls
# (orchid.deploy.function_settings): through Direct VPC egress on the functions' own subnet, to
# Cloud SQL's and Memorystore's private addresses (TLS verified with the mounted server CAs) and
# Elasticsearch's internal one, with its settings from Secret Manager, each secret readable by
# the functions that read it and nobody else here.

locals {
  # Keyed by principal name, not member: for_each keys must be known at plan time.
  invokers = merge([
    for name, fn in var.functions : { for n in fn.invokers : "${name} ${n}" => { function = name, member = var.members[n] } }
  ]...)
  grants = merge([
    for name, fn in var.functions : { for r in fn.roles : "${name} ${r}" => { function = name, role = r } }
  ]...)
  # Keyed by secret name, not id: for_each keys must be known at plan time.
  secret_reads = merge([
    for name, fn in var.functions : {
      for secret in distinct(concat(values(fn.secrets), [for f in fn.ca_files : var.ca_files[f].secret if contains(keys(var.ca_files), f)])) :
      "${name} ${secret}" => { function = name, secret = secret }
    }
  ]...)
  triggered = { for name, fn in var.functions : name => fn if length(fn.trigger_topics) > 0 }
  scheduled = { for name, fn in var.functions : name => fn if fn.schedule != null }
}

resource "google_service_account" "function" {
  for_each = var.functions

  project      = var.project_id
  account_id   = "${var.account_prefix}${each.key}"
  display_name = "Orchid function ${each.key}"
  description  = "Runtime identity of the ${each.key} function; managed by Terraform."
}

# Who calls the functions other than the workloads: the bus's pushes and the scheduler's jobs.
resource "google_service_account" "caller" {
  for_each = toset(["events", "scheduler"])

  project      = var.project_id
  account_id   = "${var.account_prefix}${each.key}"
  display_name = "Orchid ${each.key} (calls functions)"
  description  = "Invokes the functions ${each.key == "events" ? "Pub/Sub pushes events to" : "Cloud Scheduler runs"}; managed by Terraform."
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

# A function reads only its own secrets (the secrets module creates them and grants the
# workloads theirs).
resource "google_secret_manager_secret_iam_member" "function" {
  for_each = local.secret_reads

  project   = var.project_id
  secret_id = each.value.secret
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}

resource "google_cloudfunctions2_function" "this" {
  for_each = var.functions

  project     = var.project_id
  name        = "${var.name_prefix}${each.key}"
  location    = var.region
  description = each.value.description
  labels      = var.labels

  # deploy/functions/main.py names each entry point (`orchid deploy events` writes it).
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
    environment_variables          = var.settings

    # Private addresses through the VPC (Cloud SQL, Memorystore, Elasticsearch); the rest
    # straight out, unless the function's provider allow-lists Cloud NAT's addresses.
    direct_vpc_egress = "VPC_EGRESS_${each.value.egress}"
    dynamic "direct_vpc_network_interface" {
      for_each = var.network == null ? [] : [var.network]
      content {
        network    = direct_vpc_network_interface.value.network
        subnetwork = direct_vpc_network_interface.value.subnetwork
      }
    }

    dynamic "secret_environment_variables" {
      for_each = each.value.secrets
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }

    # A file each, the secret's latest version: a CA bundle rotated in Secret Manager reaches
    # the next instances without a redeploy.
    dynamic "secret_volumes" {
      for_each = { for f in each.value.ca_files : f => var.ca_files[f] if contains(keys(var.ca_files), f) }
      content {
        mount_path = dirname(secret_volumes.value.path)
        project_id = var.project_id
        secret     = secret_volumes.value.secret
        versions {
          version = "latest"
          path    = basename(secret_volumes.value.path)
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.network != null || (length(each.value.secrets) == 0 && length(each.value.ca_files) == 0)
      error_message = "A function that reads a store reaches it through the VPC: give network."
    }
    precondition {
      condition     = alltrue([for f in each.value.ca_files : contains(keys(var.ca_files), f)])
      error_message = "A function's ca_files must be keys of the ca_files variable."
    }
  }

  depends_on = [google_project_iam_member.build, google_secret_manager_secret_iam_member.function]
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

# The pubsub module's push subscriptions deliver a topic's messages as orchid-events.
resource "google_cloud_run_v2_service_iam_member" "events" {
  for_each = local.triggered

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this[each.key].name
  role     = "roles/run.invoker"
  member   = google_service_account.caller["events"].member
}

resource "google_cloud_run_v2_service_iam_member" "scheduler" {
  for_each = local.scheduled

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this[each.key].name
  role     = "roles/run.invoker"
  member   = google_service_account.caller["scheduler"].member
}

# A scheduled function's runs: the CloudEvent the stack's scheduler sends
# (orchid.functions.client.scheduled); the function names each run after the job and the
# scheduled minute (X-CloudScheduler-ScheduleTime), since this body is the same every time.
resource "google_cloud_scheduler_job" "this" {
  for_each = local.scheduled

  project          = var.project_id
  region           = var.region
  name             = "${var.name_prefix}${each.key}"
  description      = "Calls the ${each.key} function on its schedule; managed by Terraform."
  schedule         = each.value.schedule
  time_zone        = var.time_zone
  attempt_deadline = "${each.value.timeout_seconds + 30}s"

  # One retry: the functions are idempotent, and the next run is the real catch-up.
  retry_config {
    retry_count          = 1
    min_backoff_duration = "60s"
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.this[each.key].service_config[0].uri
    headers     = { "Content-Type" = "application/cloudevents+json" }
    body = base64encode(jsonencode({
      specversion     = "1.0"
      type            = "google.cloud.scheduler.job.v1.executed"
      source          = "//orchid/scheduler/${each.key}"
      id              = each.key
      datacontenttype = "application/json"
      data            = {}
    }))

    oidc_token {
      service_account_email = google_service_account.caller["scheduler"].email
      audience              = google_cloudfunctions2_function.this[each.key].service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.scheduler]
}
