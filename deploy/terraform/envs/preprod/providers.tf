# The providers the platform's modules use, configured for this environment (main.tf's locals).
# Their versions are the modules' versions.tf; `terraform init` pins them in the lock file.

provider "google" {
  project = local.project_id
  region  = local.region
}

provider "google-beta" {
  project = local.project_id
  region  = local.region
}

# Route 53 is global, but the DNSSEC signing key of a zone created here must be in us-east-1.
provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = { app = "orchid", environment = local.environment, managed-by = "terraform" }
  }
}

provider "random" {}

# The cluster's add-ons go in as the pipeline's identity, through the control plane's endpoint.
data "google_client_config" "this" {}

provider "helm" {
  kubernetes {
    host                   = "https://${module.platform.cluster_access.endpoint}"
    token                  = data.google_client_config.this.access_token
    cluster_ca_certificate = base64decode(module.platform.cluster_access.ca_certificate)
  }
}
