# Customer-managed keys for the data at rest (GKE secrets, Cloud SQL, Memorystore, Pub/Sub,
# Secret Manager, VM disks): one key ring per environment, one key per use, so revoking a key
# stops exactly one service. Each key is granted only to the service agents that use it.

locals {
  grants = merge([
    for key, members in var.keys : { for member in members : "${key} ${member}" => { key = key, member = member } }
  ]...)
}

# Some service agents exist only after they are asked for; make them before granting them keys.
resource "google_project_service_identity" "this" {
  for_each = toset(var.service_identities)
  provider = google-beta

  project = var.project_id
  service = each.value
}

resource "google_kms_key_ring" "this" {
  project  = var.project_id
  name     = var.key_ring_name
  location = var.region
}

resource "google_kms_crypto_key" "this" {
  for_each = var.keys

  name            = each.key
  key_ring        = google_kms_key_ring.this.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = var.rotation_period
  labels          = var.labels

  # Destroying a key destroys every byte encrypted with it: never from a plan.
  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key_iam_member" "this" {
  for_each = local.grants

  crypto_key_id = google_kms_crypto_key.this[each.value.key].id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value.member

  depends_on = [google_project_service_identity.this]
}
