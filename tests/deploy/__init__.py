"""Deploy tests: the image, the manifests, Terraform, Ansible and the pipelines."""
