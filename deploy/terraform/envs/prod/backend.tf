# State in a versioned GCS bucket of the environment's own project, created once by hand before
# the first init (gcloud storage buckets create gs://orchid-prod-tfstate --location=asia-south1
# --uniform-bucket-level-access && gcloud storage buckets update gs://orchid-prod-tfstate --versioning).
terraform {
  backend "gcs" {
    bucket = "orchid-prod-tfstate"
    prefix = "orchid"
  }
}
