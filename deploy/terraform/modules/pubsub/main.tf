# Event topics of the transactional outbox (Pub/Sub) and their subscriptions, named as the code
# names them (docs/events.md): a topic per publishing service, a subscription per function
# trigger, and per subscription a dead-letter topic <subscription>-dead with a subscription of
# the same name that keeps what it receives until someone reads or replays it (`orchid events
# dlq`). A message a subscriber keeps failing on is parked there after max_delivery_attempts
# instead of blocking its ordering key forever. A subscription with push_to pushes each message
# to that function, authenticated as push_service_account (an OIDC token for its URL).

locals {
  subscriptions = merge([
    for topic, spec in var.topics : { for name, sub in spec.subscriptions : name => merge(sub, { topic = topic }) }
  ]...)
  # Keyed by principal name, not member: for_each keys must be known at plan time.
  publishers = merge([
    for topic, spec in var.topics : { for n in spec.publishers : "${topic} ${n}" => { topic = topic, member = var.members[n] } }
  ]...)
  subscribers = merge([
    for name, sub in local.subscriptions : { for n in sub.subscribers : "${name} ${n}" => { subscription = name, member = var.members[n] } }
  ]...)
  pushed = { for name, sub in local.subscriptions : name => sub if sub.push_to != null }
}

resource "google_pubsub_topic" "this" {
  for_each = var.topics

  project                    = var.project_id
  name                       = "${var.name_prefix}${each.key}"
  kms_key_name               = var.encryption_key
  message_retention_duration = each.value.message_retention_duration
  labels                     = var.labels

  # Customers' events stay in India (DPDP).
  message_storage_policy {
    allowed_persistence_regions = [var.region]
  }
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = local.subscriptions

  project                    = var.project_id
  name                       = "${var.name_prefix}${each.key}-dead"
  kms_key_name               = var.encryption_key
  message_retention_duration = var.dead_letter_retention
  labels                     = merge(var.labels, { role = "dead-letter" })

  message_storage_policy {
    allowed_persistence_regions = [var.region]
  }
}

# Dead letters are kept here until read; a topic without a subscription would drop them.
resource "google_pubsub_subscription" "dead_letter" {
  for_each = local.subscriptions

  project                    = var.project_id
  name                       = "${var.name_prefix}${each.key}-dead"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  ack_deadline_seconds       = 60
  message_retention_duration = var.dead_letter_retention
  labels                     = merge(var.labels, { role = "dead-letter" })

  expiration_policy {
    ttl = "" # never expires while idle
  }
}

resource "google_pubsub_subscription" "this" {
  for_each = local.subscriptions

  project                    = var.project_id
  name                       = "${var.name_prefix}${each.key}"
  topic                      = google_pubsub_topic.this[each.value.topic].id
  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = each.value.message_retention_duration
  enable_message_ordering    = each.value.enable_message_ordering
  filter                     = each.value.filter
  labels                     = var.labels

  # To the function's URL with the topic in the path: functions-framework names the topic in the
  # CloudEvent it makes of the message (as Eventarc's would).
  dynamic "push_config" {
    for_each = each.value.push_to == null ? [] : [var.push_endpoints[each.value.push_to]]
    content {
      push_endpoint = "${push_config.value}/projects/${var.project_id}/topics/${google_pubsub_topic.this[each.value.topic].name}"
      oidc_token {
        service_account_email = var.push_service_account
        audience              = push_config.value
      }
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = each.value.max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = each.value.minimum_backoff
    maximum_backoff = each.value.maximum_backoff
  }

  expiration_policy {
    ttl = ""
  }
}

# Pub/Sub forwards a dead letter as its own service agent: it must publish to the dead-letter
# topic and acknowledge on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.subscriptions

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = var.service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.this[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = var.service_agent
}

# The service agent signs the push subscriptions' OIDC tokens as the push identity (granted on
# that account alone: projects older than April 2021 do not hold it project-wide).
resource "google_service_account_iam_member" "push_token_creator" {
  count = length(local.pushed) > 0 ? 1 : 0

  service_account_id = "projects/${var.project_id}/serviceAccounts/${var.push_service_account}"
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = var.service_agent
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publishers

  project = var.project_id
  topic   = google_pubsub_topic.this[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = each.value.member
}

resource "google_pubsub_subscription_iam_member" "subscriber" {
  for_each = local.subscribers

  project      = var.project_id
  subscription = google_pubsub_subscription.this[each.value.subscription].name
  role         = "roles/pubsub.subscriber"
  member       = each.value.member
}
