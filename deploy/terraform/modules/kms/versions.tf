terraform {
  required_version = ">= 1.11"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.11"
    }
    # google_project_service_identity (creating a service agent before it is granted a key) is
    # in the beta provider only.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 7.11"
    }
  }
}
