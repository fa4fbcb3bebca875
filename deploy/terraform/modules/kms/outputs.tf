output "key_ids" {
  description = "Crypto key ids by name (projects/…/locations/…/keyRings/…/cryptoKeys/…), once their service agents may use them."
  value       = { for name, key in google_kms_crypto_key.this : name => key.id }

  # A service handed a key before its agent is granted it fails to create its resource.
  depends_on = [google_kms_crypto_key_iam_member.this]
}

output "key_ring_id" {
  description = "The key ring's id."
  value       = google_kms_key_ring.this.id
}
