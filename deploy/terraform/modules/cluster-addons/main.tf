# What the cluster runs beside Orchid's workloads, as Helm charts pinned by version:
#   kube-prometheus-stack — Prometheus, which scrapes every Orchid pod through the PodMonitor in
#                           deploy/k8s, Alertmanager and node exporters (the observability issue
#                           adds its rules, routes and dashboards). Grafana is AGPL and stays out.
#   prometheus-adapter    — serves each pod's request rate to the autoscalers as a custom
#                           metric (deploy/k8s's HPAs scale on it beside CPU and memory).
#   opentelemetry-collector — receives the app's spans over OTLP/HTTP (ORCHID_OTLP_ENDPOINT)
#                           and sends them to Cloud Trace, where they are queried; as its own
#                           Google identity, which may only write traces.
#
# Prometheus loads every PrometheusRule (deploy/k8s/base/monitoring.yaml holds the shop's);
# Alertmanager routes with deploy/monitoring/alertmanager/alertmanager.yml, its receivers' Slack
# webhooks and PagerDuty keys read from Secret Manager through the CSI driver, as its own
# Google identity (values are added with `gcloud secrets versions add`, never here).

locals {
  receivers_class = "orchid-receivers"
  receivers_mount = "/etc/alertmanager/secrets/orchid-receivers" # orchid.monitoring.tree.RECEIVER_SECRETS
  alertmanager_sa = "kube-prometheus-stack-alertmanager"         # the chart's service account
  collector_sa    = var.otel_collector_name
}

resource "google_service_account" "alertmanager" {
  project      = var.project_id
  account_id   = "orchid-alertmanager"
  display_name = "Alertmanager: reads its receivers' webhooks and keys"
}

resource "google_service_account_iam_member" "alertmanager_identity" {
  service_account_id = google_service_account.alertmanager.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.workload_pool}[${var.namespace}/${local.alertmanager_sa}]"
}

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
    alertmanager = {
      config = yamldecode(var.alertmanager_config)
      serviceAccount = {
        name        = local.alertmanager_sa
        annotations = { "iam.gke.io/gcp-service-account" = google_service_account.alertmanager.email }
      }
      alertmanagerSpec = {
        volumes = [{
          name = local.receivers_class
          csi = {
            driver           = "secrets-store-gke.csi.k8s.io"
            readOnly         = true
            volumeAttributes = { secretProviderClass = local.receivers_class }
          }
        }]
        volumeMounts = [{ name = local.receivers_class, mountPath = local.receivers_mount, readOnly = true }]
      }
    }
    extraManifests = [{
      apiVersion = "secrets-store.csi.x-k8s.io/v1"
      kind       = "SecretProviderClass"
      metadata   = { name = local.receivers_class, namespace = var.namespace }
      spec = {
        provider = "gke"
        parameters = {
          secrets = yamlencode([for file, secret in var.receiver_secrets : {
            resourceName = "projects/${var.project_id}/secrets/${secret}/versions/latest"
            path         = file
          }])
        }
      }
    }]
    prometheus = {
      prometheusSpec = {
        retention = var.retention
        # Load PrometheusRules from every namespace too (the shop's are in its own).
        ruleSelectorNilUsesHelmValues = false
        ruleNamespaceSelector         = {}
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

resource "google_service_account" "collector" {
  project      = var.project_id
  account_id   = "orchid-otel-collector"
  display_name = "OpenTelemetry Collector: writes the shop's spans to Cloud Trace"
}

resource "google_service_account_iam_member" "collector_identity" {
  service_account_id = google_service_account.collector.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.workload_pool}[${var.namespace}/${local.collector_sa}]"
}

resource "google_project_iam_member" "collector_traces" {
  project = var.project_id
  role    = "roles/cloudtrace.agent"
  member  = google_service_account.collector.member
}

resource "helm_release" "collector" {
  name       = var.otel_collector_name
  repository = var.otel_chart_repository
  chart      = "opentelemetry-collector"
  version    = var.otel_collector_version
  namespace  = var.namespace
  atomic     = true
  timeout    = 600

  values = [yamlencode({
    mode             = "deployment"
    fullnameOverride = var.otel_collector_name
    image            = { repository = "otel/opentelemetry-collector-contrib" }
    serviceAccount = {
      create      = true
      name        = local.collector_sa
      annotations = { "iam.gke.io/gcp-service-account" = google_service_account.collector.email }
    }
    # Spans come from the shop's pods only, over OTLP/HTTP; the chart's other receivers are off.
    ports = {
      otlp           = { enabled = false }
      jaeger-compact = { enabled = false }
      jaeger-thrift  = { enabled = false }
      jaeger-grpc    = { enabled = false }
      zipkin         = { enabled = false }
      otlp-http      = { enabled = true, containerPort = var.otlp_http_port, servicePort = var.otlp_http_port }
    }
    config = {
      receivers = {
        otlp = { protocols = { grpc = null, http = { endpoint = "0.0.0.0:${var.otlp_http_port}" } } }
      }
      processors = {
        memory_limiter = { check_interval = "1s", limit_percentage = 80, spike_limit_percentage = 20 }
        batch          = { send_batch_size = 512, timeout = "5s" }
      }
      exporters = { googlecloud = { project = var.project_id } }
      service = {
        pipelines = {
          traces = { receivers = ["otlp"], processors = ["memory_limiter", "batch"], exporters = ["googlecloud"] }
        }
      }
    }
    replicaCount        = 2
    autoscaling         = { enabled = true, minReplicas = 2, maxReplicas = 6, targetCPUUtilizationPercentage = 70 }
    podDisruptionBudget = { enabled = true, maxUnavailable = 1 }
    resources = {
      requests = { cpu = "200m", memory = "512Mi" }
      limits   = { memory = "512Mi" }
    }
    securityContext = {
      runAsNonRoot             = true
      readOnlyRootFilesystem   = true
      allowPrivilegeEscalation = false
      capabilities             = { drop = ["ALL"] }
    }
    podSecurityContext = { seccompProfile = { type = "RuntimeDefault" } }
    # Only the shop's namespace may send spans.
    networkPolicy = {
      enabled          = true
      allowIngressFrom = [{ namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = var.app_namespace } } }]
    }
  })]

  depends_on = [helm_release.prometheus]
}
