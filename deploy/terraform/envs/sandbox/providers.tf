terraform {
  required_version = ">= 1.11"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.11"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 7.11"
    }
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 2.17"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}

# Route 53 is global, but the DNSSEC signing key of a zone created here must be in us-east-1.
provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = { app = "orchid", environment = var.environment, managed-by = "terraform" }
  }
}

provider "random" {}

# The cluster's add-ons go in as the pipeline's identity, through the control plane's endpoint.
data "google_client_config" "this" {}

provider "helm" {
  kubernetes {
    host                   = "https://${module.gke.endpoint}"
    token                  = data.google_client_config.this.access_token
    cluster_ca_certificate = base64decode(module.gke.ca_certificate)
  }
}
