# Secret Manager secrets of the platform, replicated only in the environment's region (DPDP) and
# encrypted with its key; each readable only by the workloads that need it.
#
# Values are set outside Terraform (gcloud secrets versions add …) so they never sit in code or
# state — except passwords nobody has to know: a database password is generated here, written
# straight into its first version and handed to Cloud SQL by reference (modules/cloudsql sets
# the user's password and the database URL secrets from it). Ephemeral generation and write-only
# arguments keep even that value out of the plan and the state. Values that are not secret at
# all but are read with the secrets (the load balancers' ranges) are written from public_values.

locals {
  # Keyed by principal name, not member: members of accounts made in the same apply are unknown
  # at plan time, and for_each keys must be known.
  accessors = merge([
    for secret, names in var.accessors : { for n in names : "${secret} ${n}" => { secret = secret, member = var.members[n] } }
  ]...)
}

resource "google_secret_manager_secret" "this" {
  for_each = toset(var.secrets)

  project   = var.project_id
  secret_id = each.key
  labels    = var.labels

  replication {
    user_managed {
      replicas {
        location = var.region
        customer_managed_encryption {
          kms_key_name = var.encryption_key
        }
      }
    }
  }
}

ephemeral "random_password" "generated" {
  for_each = toset(var.generated)

  length = 32
  # Letters, digits and URL-safe symbols only: the password goes into database URLs unescaped.
  override_special = "-_"
}

resource "google_secret_manager_secret_version" "generated" {
  for_each = toset(var.generated)

  secret                 = google_secret_manager_secret.this[each.key].id
  secret_data_wo         = ephemeral.random_password.generated[each.key].result
  secret_data_wo_version = var.generation # bump to rotate: a new version with a new password

  lifecycle {
    create_before_destroy = true # the secret always has a version to read
  }
}

resource "google_secret_manager_secret_version" "public" {
  for_each = var.public_values

  secret      = google_secret_manager_secret.this[each.key].id
  secret_data = each.value
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.accessors

  project   = var.project_id
  secret_id = google_secret_manager_secret.this[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}
