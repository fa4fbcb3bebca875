terraform {
  # Data only: no resources, no providers.
  required_version = ">= 1.11"
}
