output "namespace" {
  description = "Where Prometheus, Alertmanager and the adapter run."
  value       = var.namespace
}

output "prometheus_url" {
  description = "Prometheus's address inside the cluster (the adapter's, and the management console's, data source)."
  value       = "http://kube-prometheus-stack-prometheus.${var.namespace}.svc:9090"
}

output "requests_metric" {
  description = "The custom metric the autoscalers read."
  value       = var.requests_metric
}

output "alertmanager_member" {
  description = "Alertmanager's Google identity (IAM member), which reads the receivers' secrets."
  value       = google_service_account.alertmanager.member
}

output "receiver_secrets" {
  description = "The Secret Manager secrets of Alertmanager's receivers (the platform creates them)."
  value       = sort(values(var.receiver_secrets))
}

output "otlp_endpoint" {
  description = "Where the app sends its spans (ORCHID_OTLP_ENDPOINT in deploy/k8s's overlays)."
  value       = "http://${var.otel_collector_name}.${var.namespace}.svc.cluster.local:${var.otlp_http_port}"
}
