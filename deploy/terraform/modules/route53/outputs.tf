output "zone_id" {
  description = "The hosted zone's id."
  value       = local.zone_id
}

output "name_servers" {
  description = "The zone's name servers (to delegate the domain to when the zone was created here)."
  value       = var.create_zone ? aws_route53_zone.this[0].name_servers : data.aws_route53_zone.this[0].name_servers
}

output "health_check_ids" {
  description = "Route 53 health check id by host key."
  value       = { for key, check in aws_route53_health_check.this : key => check.id }
}

output "ds_record" {
  description = "The DS record to publish at the registrar for a zone created (and signed) here; null otherwise."
  value       = var.create_zone ? aws_route53_key_signing_key.this[0].ds_record : null
}
