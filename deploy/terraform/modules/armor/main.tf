# Tier 1's WAF as Cloud Armor policies on the Google load balancers:
#   orchid-shop   — the public shop (the GKE Ingress's BackendConfigs name it): India only, a
#                   rate-based ban per client, OWASP CRS, bad bots, no internal paths;
#   orchid-manage — the management hosts: staff networks only.
# Rules are evaluated by priority and the first match decides, so the order below is the policy.
# An expression may hold at most five subexpressions; every rule is written out (no dynamic
# blocks), so policy scanners read the policy as Cloud Armor will.

locals {
  # Route 53 probes /healthz from outside India; let exactly that through before the geo rule.
  route53_health_check = "request.path == '/healthz' && request.headers['user-agent'].startsWith('Amazon-Route53-Health-Check-Service')"

  hidden_paths = join(" || ", [for p in var.hidden_paths : "request.path.startsWith('${p}')"])

  # The staff API answers only on the staff hosts; on any other host (www, a bare address, a
  # Host with a port appended) it is as if it did not exist.
  staff_api_elsewhere = join(" && ", concat(
    ["(${join(" || ", [for p in var.staff_api_prefixes : "request.path.startsWith('${p}')"])})"],
    [for h in var.staff_hosts : "request.headers['host'] != '${h}'"],
  ))

  # The OWASP CRS rule sets, five to an expression.
  waf = [
    for sets in chunklist(var.waf_rule_sets, 5) : join(" || ", [
      for set in sets : "evaluatePreconfiguredWaf('${set}', {'sensitivity': ${var.waf_sensitivity}})"
    ])
  ]

  bad_bots = "request.headers['user-agent'].lower().matches('(${join("|", var.bad_bot_user_agents)})')"
}

# TLS 1.2+ with modern ciphers on every HTTPS front end (the Ingresses' FrontendConfig names it).
resource "google_compute_ssl_policy" "this" {
  project         = var.project_id
  name            = var.ssl_policy_name
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_security_policy" "manage" {
  project     = var.project_id
  name        = var.manage_policy_name
  description = "Management hosts: staff networks only"
  type        = "CLOUD_ARMOR"

  advanced_options_config {
    json_parsing = "STANDARD"
    log_level    = var.log_level
  }

  rule {
    priority    = 100
    action      = "allow"
    description = "Route 53 health checks of /healthz"
    match {
      expr {
        expression = local.route53_health_check
      }
    }
  }

  rule {
    priority    = 900
    action      = "deny(403)"
    description = "CVE canaries (Log4j)"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
  }

  rule {
    priority    = 1000
    action      = "allow"
    description = "staff networks"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = var.staff_networks
      }
    }
  }

  rule {
    priority    = 2147483647
    action      = "deny(403)"
    description = "everyone else"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}
