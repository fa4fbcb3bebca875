terraform {
  required_version = ">= 1.11"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.21" # Direct VPC egress of functions (service_config.direct_vpc_*)
    }
  }
}
