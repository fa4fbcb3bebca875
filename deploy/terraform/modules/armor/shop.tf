resource "google_compute_security_policy" "shop" {
  project     = var.project_id
  name        = var.shop_policy_name
  description = "Public shop: India only, rate limits, OWASP CRS, bots"
  type        = "CLOUD_ARMOR"

  adaptive_protection_config {
    layer_7_ddos_defense_config {
      enable          = true
      rule_visibility = "STANDARD"
    }
  }

  advanced_options_config {
    json_parsing = "STANDARD" # the API's JSON bodies are inspected field by field
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
    priority    = 200
    action      = "deny(404)"
    description = "internal paths are never public"
    match {
      expr {
        expression = local.hidden_paths
      }
    }
  }

  rule {
    priority    = 210
    action      = "deny(404)"
    description = "staff API only on the staff hosts"
    match {
      expr {
        expression = local.staff_api_elsewhere
      }
    }
  }

  # Log4Shell probes (CVE-2021-44228), whatever the sensitivity below.
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
    action      = "deny(403)"
    preview     = var.waf_preview
    description = "OWASP CRS: sqli xss lfi rfi rce"
    match {
      expr {
        expression = local.waf[0]
      }
    }
  }

  rule {
    priority    = 1001
    action      = "deny(403)"
    preview     = var.waf_preview
    description = "OWASP CRS: scanners, protocol, sessions"
    match {
      expr {
        expression = local.waf[1]
      }
    }
  }

  rule {
    priority    = 2000
    action      = "deny(403)"
    description = "known bad bots and scanners"
    match {
      expr {
        expression = local.bad_bots
      }
    }
  }

  # The storefront's reCAPTCHA Enterprise session tokens: a session scored as a bot is refused.
  # A request without a token never matches, so clients that carry none (the app) go on.
  rule {
    priority    = 2100
    action      = "deny(403)"
    description = "reCAPTCHA session scored as a bot"
    match {
      expr {
        expression = "token.recaptcha_session.valid && token.recaptcha_session.score < ${var.recaptcha_min_score}"
      }
    }
  }

  # India only; inside India each client is limited, and one that keeps exceeding is banned.
  rule {
    priority    = 9000
    action      = "rate_based_ban"
    description = "India, rate limited per client IP"
    match {
      expr {
        expression = "origin.region_code == 'IN'"
      }
    }
    rate_limit_options {
      conform_action   = "allow"
      exceed_action    = "deny(429)"
      enforce_on_key   = "IP"
      ban_duration_sec = var.rate_limit.ban_seconds
      rate_limit_threshold {
        count        = var.rate_limit.requests
        interval_sec = var.rate_limit.interval_seconds
      }
      ban_threshold {
        count        = var.rate_limit.ban_requests
        interval_sec = var.rate_limit.ban_interval_seconds
      }
    }
  }

  rule {
    priority    = 2147483647
    action      = "deny(403)"
    description = "outside India"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}
