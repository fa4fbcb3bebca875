# Tier 1's DNS on Route 53: every public host (the shop and the management hosts) is a failover
# pair. The primary answer is the host's Google load balancer while Route 53's HTTPS check of
# /healthz passes; otherwise the maintenance site's address is served, so a dead platform shows
# a maintenance page instead of a browser error.

locals {
  zone_id = var.create_zone ? aws_route53_zone.this[0].zone_id : data.aws_route53_zone.this[0].zone_id
}

data "aws_route53_zone" "this" {
  count = var.create_zone ? 0 : 1

  name         = var.zone_name
  private_zone = false
}

resource "aws_route53_health_check" "this" {
  for_each = var.records

  type              = "HTTPS"
  ip_address        = each.value.address
  fqdn              = each.value.name # Host header and SNI of the check
  enable_sni        = true
  port              = 443
  resource_path     = "/healthz"
  failure_threshold = var.failure_threshold
  request_interval  = var.request_interval
  regions           = var.health_check_regions

  tags = merge(var.tags, { Name = each.value.name })
}

resource "aws_route53_record" "primary" {
  for_each = var.records
  #checkov:skip=CKV2_AWS_23:The A record points at a Google Cloud load balancer's static address reserved in the same plan (modules/network, modules/management), not at an AWS resource, so there is nothing in AWS to attach.

  zone_id         = local.zone_id
  name            = each.value.name
  type            = "A"
  ttl             = var.ttl
  records         = [each.value.address]
  set_identifier  = "${each.key}-gclb"
  health_check_id = aws_route53_health_check.this[each.key].id

  failover_routing_policy {
    type = "PRIMARY"
  }
}

resource "aws_route53_record" "secondary" {
  for_each = var.records
  #checkov:skip=CKV2_AWS_23:The A record points at the static maintenance site (a fixed address outside AWS, var.maintenance_address), not at an AWS resource.

  zone_id        = local.zone_id
  name           = each.value.name
  type           = "A"
  ttl            = var.ttl
  records        = [var.maintenance_address]
  set_identifier = "${each.key}-maintenance"

  failover_routing_policy {
    type = "SECONDARY"
  }
}
