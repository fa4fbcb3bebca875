output "platform" {
  description = "The platform module's outputs (modules/platform/outputs.tf; terraform output -json platform), but the control plane's access, which is for the helm provider."
  value       = { for name, value in module.platform : name => value if name != "cluster_access" }
}
