# The regional private cluster the Orchid services run on: nodes in two zones with no external
# address, a control plane reached only from named networks, Workload Identity instead of node
# credentials, Dataplane V2 enforcing the manifests' NetworkPolicies, and Kubernetes secrets
# encrypted with the environment's own key.

locals {
  workload_pool = "${var.project_id}.svc.id.goog"
  pools = merge(
    { general = var.general_pool, burst = var.burst_pool },
    var.spot_pool == null ? {} : { spot = var.spot_pool },
  )
  # What the nodes themselves need: write logs and metrics, pull images. Workloads get their own
  # identities (modules/iam), never these.
  node_roles = [
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
    "roles/artifactregistry.reader",
  ]
  node_metadata = { disable-legacy-endpoints = "true" }
}

resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${var.name}-nodes"
  display_name = "GKE nodes of ${var.name}"
  description  = "Least-privilege identity of the ${var.name} nodes (not the Compute default account)."
}

resource "google_project_iam_member" "nodes" {
  for_each = toset(local.node_roles)

  project = var.project_id
  role    = each.value
  member  = google_service_account.nodes.member
}

resource "google_container_cluster" "this" {
  project        = var.project_id
  name           = var.name
  location       = var.region
  node_locations = var.zones

  network         = var.network_id
  subnetwork      = var.subnet_id
  networking_mode = "VPC_NATIVE"
  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_range_name
    services_secondary_range_name = var.services_range_name
  }

  # Node pools are managed below; the default pool exists only while the cluster is created.
  remove_default_node_pool = true
  initial_node_count       = 1
  # It runs hardened like the real pools, as their service account, for the minutes it lives.
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    metadata        = local.node_metadata
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
  }

  release_channel {
    channel = var.release_channel
  }

  workload_identity_config {
    workload_pool = local.workload_pool
  }

  enable_shielded_nodes       = true
  datapath_provider           = "ADVANCED_DATAPATH" # Dataplane V2: enforces NetworkPolicy itself
  enable_intranode_visibility = true                # pod-to-pod flows on one node reach flow logs
  # Calico network policy stays off: Dataplane V2 enforces policies, and GKE refuses both.
  network_policy {
    enabled = false
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = var.private_endpoint
    master_ipv4_cidr_block  = var.control_plane_cidr
    master_global_access_config {
      enabled = false
    }
  }

  master_authorized_networks_config {
    gcp_public_cidrs_access_enabled = false
    dynamic "cidr_blocks" {
      for_each = var.authorized_networks
      content {
        cidr_block   = cidr_blocks.value.cidr_block
        display_name = cidr_blocks.value.display_name
      }
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  # Kubernetes RBAC names Google Groups (members of gke-security-groups@…), not single people.
  authenticator_groups_config {
    security_group = var.rbac_security_group
  }

  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  # The pods mount their Secret Manager secrets as files through GKE's CSI add-on; rotated
  # versions reach running pods within the interval.
  secret_manager_config {
    enabled = true
    rotation_config {
      enabled           = true
      rotation_interval = "300s"
    }
  }

  database_encryption {
    state    = "ENCRYPTED"
    key_name = var.database_encryption_key
  }

  security_posture_config {
    mode               = "BASIC"
    vulnerability_mode = "VULNERABILITY_BASIC"
  }

  cluster_autoscaling {
    enabled             = false # node auto-provisioning off: the two pools below are the shapes
    autoscaling_profile = var.autoscaling_profile
  }

  addons_config {
    http_load_balancing {
      disabled = false # the GKE Ingress controller builds the shop's load balancer
    }
    horizontal_pod_autoscaling {
      disabled = false
    }
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS"]
  }

  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS"]
    # Prometheus runs in the cluster (the cluster-addons module): managed collection would
    # scrape everything a second time.
    managed_prometheus {
      enabled = false
    }
  }

  maintenance_policy {
    recurring_window {
      start_time = var.maintenance_window.start_time
      end_time   = var.maintenance_window.end_time
      recurrence = var.maintenance_window.recurrence
    }
    dynamic "maintenance_exclusion" {
      for_each = var.maintenance_exclusions
      content {
        exclusion_name = maintenance_exclusion.key
        start_time     = maintenance_exclusion.value.start_time
        end_time       = maintenance_exclusion.value.end_time
        exclusion_options {
          scope = "NO_UPGRADES"
        }
      }
    }
  }

  resource_labels     = var.labels
  deletion_protection = var.deletion_protection

  lifecycle {
    # node_config shapes only the removed default pool; changing it must not replace the cluster.
    ignore_changes = [node_config]
  }

  depends_on = [google_project_iam_member.nodes]
}

resource "google_container_node_pool" "this" {
  for_each = local.pools

  project        = var.project_id
  name           = each.key
  cluster        = google_container_cluster.this.id
  location       = var.region
  node_locations = var.zones

  initial_node_count = max(each.value.min_per_zone, 1)
  autoscaling {
    min_node_count  = each.value.min_per_zone
    max_node_count  = each.value.max_per_zone
    location_policy = "BALANCED" # keep the zones even, so losing one zone loses half
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    strategy        = "SURGE"
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type      = each.value.machine_type
    image_type        = "COS_CONTAINERD"
    disk_type         = "pd-balanced"
    disk_size_gb      = each.value.disk_size_gb
    boot_disk_kms_key = var.boot_disk_encryption_key
    # Spot VMs only in the optional spot pool, which only pods that opt in tolerate (deploy/k8s's
    # spot-nodes component). The burst pool stays regular: a preempted node mid-checkout on the
    # sale day costs more than the discount saves.
    spot            = each.key == "spot"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    tags            = var.node_tags
    metadata        = local.node_metadata
    resource_labels = var.labels

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    dynamic "taint" {
      for_each = each.key == "spot" ? ["spot"] : []
      content {
        key    = "cloud.google.com/gke-spot"
        value  = "true"
        effect = "NO_SCHEDULE"
      }
    }
  }

  lifecycle {
    # The autoscaler owns the size after creation.
    ignore_changes = [initial_node_count]
  }
}
