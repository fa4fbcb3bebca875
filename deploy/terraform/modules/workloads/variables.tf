variable "namespace" {
  type        = string
  description = "The Kubernetes namespace the workloads run in (orchid.deploy.environments.Environment.namespace)."
  default     = "orchid"
}
