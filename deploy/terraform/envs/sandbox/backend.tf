# State in a versioned GCS bucket of the environment's own project, created once by hand before
# the first init (gcloud storage buckets create gs://orchid-sandbox-tfstate --location=asia-south1
# --uniform-bucket-level-access && gcloud storage buckets update gs://orchid-sandbox-tfstate --versioning).
terraform {
  backend "gcs" {
    bucket = "orchid-sandbox-tfstate"
    prefix = "orchid"
  }
}
