# What the cluster runs beside Orchid's workloads, as Helm charts pinned by version:
#   kube-prometheus-stack — Prometheus, which scrapes every Orchid pod through the PodMonitor in
#                           deploy/k8s, Alertmanager and node exporters (the observability issue
#                           adds its rules, routes and dashboards). Grafana is AGPL and stays out.
#   prometheus-adapter    — serves each pod's request rate to the autoscalers as a custom
#                           metric (deploy/k8s's HPAs scale on it beside CPU and memory).

resource "helm_release" "prometheus" {
  name             = "kube-prometheus-stack"
  repository       = var.chart_repository
  chart            = "kube-prometheus-stack"
  version          = var.prometheus_stack_version
  namespace        = var.namespace
  create_namespace = true
  atomic           = true
  timeout          = 900

  values = [yamlencode({
    grafana = { enabled = false }
    prometheus = {
      prometheusSpec = {
        retention = var.retention
        # Pick up PodMonitors from every namespace, not only the chart's own.
        podMonitorSelectorNilUsesHelmValues = false
        podMonitorNamespaceSelector         = {}
        resources = {
          requests = { cpu = "500m", memory = "4Gi" }
          limits   = { memory = "4Gi" }
        }
        storageSpec = {
          volumeClaimTemplate = {
            spec = {
              storageClassName = var.storage_class
              accessModes      = ["ReadWriteOnce"]
              resources        = { requests = { storage = var.storage_size } }
            }
          }
        }
      }
    }
  })]
}

resource "helm_release" "adapter" {
  name       = "prometheus-adapter"
  repository = var.chart_repository
  chart      = "prometheus-adapter"
  version    = var.adapter_version
  namespace  = var.namespace
  atomic     = true
  timeout    = 600

  values = [yamlencode({
    prometheus = {
      url  = "http://kube-prometheus-stack-prometheus.${var.namespace}.svc"
      port = 9090
    }
    rules = {
      default = false
      custom = [{
        # orchid_http_requests_total carries the pod and namespace Prometheus scraped it from.
        seriesQuery  = "orchid_http_requests_total{namespace!=\"\",pod!=\"\"}"
        resources    = { overrides = { namespace = { resource = "namespace" }, pod = { resource = "pod" } } }
        name         = { matches = "^orchid_http_requests_total$", as = var.requests_metric }
        metricsQuery = "sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)"
      }]
    }
  })]

  depends_on = [helm_release.prometheus]
}
