variable "namespace" {
  type        = string
  description = "Namespace of the monitoring stack; the app's NetworkPolicies admit scrapes from it (orchid.deploy.groups.MONITORING_NAMESPACE)."
  default     = "monitoring"
}

variable "chart_repository" {
  type        = string
  description = "The Helm repository both charts come from (the Prometheus community's)."
  default     = "https://prometheus-community.github.io/helm-charts"
}

variable "prometheus_stack_version" {
  type        = string
  description = "kube-prometheus-stack chart version, pinned (Prometheus, Alertmanager, node exporters, the operator)."
  default     = "65.1.1"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.prometheus_stack_version))
    error_message = "Pin an exact chart version (x.y.z)."
  }
}

variable "adapter_version" {
  type        = string
  description = "prometheus-adapter chart version, pinned."
  default     = "4.11.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.adapter_version))
    error_message = "Pin an exact chart version (x.y.z)."
  }
}

variable "requests_metric" {
  type        = string
  description = "The per-pod request rate the autoscalers scale on (orchid.deploy.groups.REQUESTS_METRIC)."
  default     = "orchid_http_requests_per_second"
}

variable "retention" {
  type        = string
  description = "How long Prometheus keeps samples (long-term history is the observability issue's)."
  default     = "15d"
}

variable "storage_size" {
  type        = string
  description = "Prometheus's persistent volume (SSD, regional balanced disk)."
  default     = "100Gi"
}

variable "storage_class" {
  type        = string
  description = "StorageClass of Prometheus's volume."
  default     = "premium-rwo"
}

variable "project_id" {
  type        = string
  description = "The environment's project (Alertmanager's identity and its receivers' secrets live there)."
}

variable "workload_pool" {
  type        = string
  description = "The cluster's Workload Identity pool (PROJECT.svc.id.goog)."
}

variable "alertmanager_config" {
  type        = string
  description = "Alertmanager's configuration as YAML: deploy/monitoring/alertmanager/alertmanager.yml, written by `orchid monitoring generate`."
}

variable "receiver_secrets" {
  type        = map(string)
  description = "File under Alertmanager's receivers mount → the Secret Manager secret holding it (a Slack webhook per team, the two PagerDuty routing keys)."
  default = {
    "slack-platform-url"      = "orchid-alerts-slack-platform-url"
    "slack-data-url"          = "orchid-alerts-slack-data-url"
    "slack-search-url"        = "orchid-alerts-slack-search-url"
    "slack-commerce-url"      = "orchid-alerts-slack-commerce-url"
    "slack-security-url"      = "orchid-alerts-slack-security-url"
    "pagerduty-primary-key"   = "orchid-alerts-pagerduty-primary-key"
    "pagerduty-secondary-key" = "orchid-alerts-pagerduty-secondary-key"
  }
}

variable "otel_chart_repository" {
  type        = string
  description = "The Helm repository of the OpenTelemetry Collector's chart."
  default     = "https://open-telemetry.github.io/opentelemetry-helm-charts"
}

variable "otel_collector_version" {
  type        = string
  description = "opentelemetry-collector chart version, pinned (its contrib image carries the Cloud Trace exporter)."
  default     = "0.108.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.otel_collector_version))
    error_message = "Pin an exact chart version (x.y.z)."
  }
}

variable "otel_collector_name" {
  type        = string
  description = "The collector's Service (the app's ORCHID_OTLP_ENDPOINT: orchid.deploy.environments.OTEL_COLLECTOR)."
  default     = "otel-collector"
}

variable "otlp_http_port" {
  type        = number
  description = "The collector's OTLP/HTTP port (the app sends its spans there; orchid.deploy.environments.OTLP_HTTP_PORT)."
  default     = 4318
}

variable "app_namespace" {
  type        = string
  description = "The shop's namespace: the only one whose pods may send spans to the collector (orchid.deploy.platform.NAMESPACE)."
  default     = "orchid"
}
