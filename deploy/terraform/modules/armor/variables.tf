variable "project_id" {
  type        = string
  description = "The project of the policies."
}

variable "shop_policy_name" {
  type        = string
  description = "Name of the public shop's policy; the Kubernetes BackendConfigs reference it by this name."
  default     = "orchid-shop"
}

variable "manage_policy_name" {
  type        = string
  description = "Name of the management hosts' policy; the management load balancers and BackendConfigs reference it."
  default     = "orchid-manage"
}

variable "ssl_policy_name" {
  type        = string
  description = "Name of the TLS policy of the HTTPS front ends (the Ingresses' FrontendConfig names it)."
  default     = "orchid-tls"
}

variable "staff_networks" {
  type        = list(string)
  description = "The staff CIDRs (office, VPN) allowed on the management hosts."

  validation {
    condition     = length(var.staff_networks) >= 1 && length(var.staff_networks) <= 10 && alltrue([for n in var.staff_networks : can(cidrnetmask(n)) && n != "0.0.0.0/0"])
    error_message = "Give 1-10 staff CIDR blocks (one Cloud Armor rule holds at most 10), never 0.0.0.0/0."
  }
}

variable "staff_hosts" {
  type        = list(string)
  description = "Host names on which the staff API prefixes are served (the management hosts); denied with 404 on every other host."

  validation {
    condition     = length(var.staff_hosts) + length(var.staff_api_prefixes) <= 5 && alltrue([for h in var.staff_hosts : can(regex("^[a-z0-9.-]+$", h))])
    error_message = "Staff hosts and staff API prefixes are at most 5 together (a Cloud Armor expression holds at most 5 subexpressions)."
  }
}

variable "staff_api_prefixes" {
  type        = list(string)
  description = "URL prefixes of the staff API (orchid.deploy.workloads.ADMIN_PREFIXES)."
  default     = ["/api/v1/admin", "/api/v1/accounts/admin"]
}

variable "hidden_paths" {
  type        = list(string)
  description = "URL prefixes never served to the internet, answered 404."
  default     = ["/internal/", "/metrics"]

  validation {
    condition     = length(var.hidden_paths) >= 1 && length(var.hidden_paths) <= 5 && alltrue([for p in var.hidden_paths : startswith(p, "/") && !strcontains(p, "'")])
    error_message = "Give 1-5 path prefixes starting with '/' and without quotes."
  }
}

variable "waf_rule_sets" {
  type        = list(string)
  description = "Preconfigured OWASP CRS rule sets refused with 403 (two rules of up to five sets each)."
  default = [
    "sqli-v33-stable", "xss-v33-stable", "lfi-v33-stable", "rfi-v33-stable", "rce-v33-stable",
    "scannerdetection-v33-stable", "protocolattack-v33-stable", "sessionfixation-v33-stable",
  ]

  validation {
    condition     = length(var.waf_rule_sets) >= 6 && length(var.waf_rule_sets) <= 10 && alltrue([for r in var.waf_rule_sets : can(regex("^[a-z0-9.-]+$", r))])
    error_message = "Give 6-10 rule set names (they fill two rules of up to five)."
  }
}

variable "waf_sensitivity" {
  type        = number
  description = "OWASP CRS paranoia level of the WAF rules: 1 (fewest false positives) to 4."
  default     = 1

  validation {
    condition     = contains([1, 2, 3, 4], var.waf_sensitivity)
    error_message = "waf_sensitivity must be 1, 2, 3 or 4."
  }
}

variable "waf_preview" {
  type        = bool
  description = "Log what the OWASP CRS rules would block without blocking it (tuning a new sensitivity)."
  default     = false
}

variable "bad_bot_user_agents" {
  type        = list(string)
  description = "Lower-case user-agent fragments refused outright (scanners, scrapers)."
  default     = ["sqlmap", "nikto", "nmap", "masscan", "zgrab", "nuclei", "dirbuster", "gobuster", "wpscan", "acunetix", "netsparker", "scrapy"]

  validation {
    condition     = length(var.bad_bot_user_agents) >= 1 && alltrue([for a in var.bad_bot_user_agents : can(regex("^[a-z0-9 _-]+$", a))])
    error_message = "User-agent fragments are lower-case letters, digits, spaces, '_' and '-'."
  }
}

variable "recaptcha_min_score" {
  type        = number
  description = "reCAPTCHA Enterprise session score (0.0-1.0) below which a request carrying a session token is refused as a bot."
  default     = 0.3

  validation {
    condition     = var.recaptcha_min_score > 0 && var.recaptcha_min_score < 1
    error_message = "recaptcha_min_score must be between 0 and 1."
  }
}

variable "rate_limit" {
  type = object({
    requests             = number
    interval_seconds     = number
    ban_requests         = number
    ban_interval_seconds = number
    ban_seconds          = number
  })
  description = "Per client IP: requests allowed per interval (429 above), and the rate that earns a ban of ban_seconds."
  # Generous: Indian mobile carriers put many shoppers behind one address (carrier-grade NAT),
  # and a sale-day page view is tens of requests.
  default = {
    requests             = 1200
    interval_seconds     = 60
    ban_requests         = 10000
    ban_interval_seconds = 600
    ban_seconds          = 600
  }

  validation {
    condition     = contains([10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600], var.rate_limit.interval_seconds) && contains([10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600], var.rate_limit.ban_interval_seconds)
    error_message = "Cloud Armor intervals are 10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700 or 3600 seconds."
  }
}

variable "log_level" {
  type        = string
  description = "Cloud Armor request logging: NORMAL, or VERBOSE while tuning the WAF."
  default     = "NORMAL"

  validation {
    condition     = contains(["NORMAL", "VERBOSE"], var.log_level)
    error_message = "log_level must be NORMAL or VERBOSE."
  }
}
