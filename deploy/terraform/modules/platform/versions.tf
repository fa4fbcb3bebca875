terraform {
  required_version = ">= 1.11"

  # Its own resources use google; the modules it calls declare the rest (google-beta, aws,
  # random, helm), which the roots configure.
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.11"
    }
  }
}
