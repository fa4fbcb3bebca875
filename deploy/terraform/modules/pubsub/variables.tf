variable "project_id" {
  type        = string
  description = "The project of the topics."
}

variable "region" {
  type        = string
  description = "The only region messages are stored in."
}

variable "name_prefix" {
  type        = string
  description = "Topic and subscription names are <prefix><name>. None by default: the relay publishes to, and `orchid events dlq` reads, the names the code gives (orchid.events.topics.TOPICS, FunctionSpec.subscription), in the environment's own project."
  default     = ""
}

variable "topics" {
  type = map(object({
    publishers                 = optional(list(string), [])
    message_retention_duration = optional(string, "604800s")
    subscriptions = optional(map(object({
      subscribers                = optional(list(string), [])
      push_to                    = optional(string) # a key of push_endpoints; null: pulled
      ack_deadline_seconds       = optional(number, 60)
      max_delivery_attempts      = optional(number, 5)
      minimum_backoff            = optional(string, "10s")
      maximum_backoff            = optional(string, "600s")
      message_retention_duration = optional(string, "604800s")
      enable_message_ordering    = optional(bool, true)
      filter                     = optional(string)
    })), {})
  }))
  description = "Topic name → its publishers (names in members), retention and subscriptions (name → the function it pushes to or the subscribers that pull it, and delivery settings). Subscription names are unique across topics."

  validation {
    condition = alltrue(flatten([
      for t in values(var.topics) : [for s in values(t.subscriptions) : s.max_delivery_attempts >= 5 && s.max_delivery_attempts <= 100]
    ]))
    error_message = "max_delivery_attempts must be 5-100 (Pub/Sub's bounds)."
  }

  validation {
    condition = alltrue(flatten([
      for t in values(var.topics) : [for s in values(t.subscriptions) : s.ack_deadline_seconds >= 10 && s.ack_deadline_seconds <= 600]
    ]))
    error_message = "ack_deadline_seconds must be 10-600."
  }

  validation {
    condition = alltrue(flatten([
      for t in values(var.topics) : [for s in values(t.subscriptions) : length(s.filter == null ? "" : s.filter) <= 256]
    ]))
    error_message = "A subscription's filter is at most 256 bytes (Pub/Sub's limit)."
  }

  validation {
    condition = length(flatten([for t in values(var.topics) : keys(t.subscriptions)])) == length(distinct(flatten([
      for t in values(var.topics) : keys(t.subscriptions)
    ])))
    error_message = "Subscription names must be unique across topics."
  }

  validation {
    condition = alltrue(flatten([
      for t in values(var.topics) : concat(
        [for n in t.publishers : contains(keys(var.members), n)],
        flatten([for s in values(t.subscriptions) : [for n in s.subscribers : contains(keys(var.members), n)]]),
      )
    ]))
    error_message = "Every publisher and subscriber must be a key of members."
  }
}

variable "members" {
  type        = map(string)
  description = "Principal name (a workload) → its IAM member (serviceAccount:…), for publishers and subscribers."
  default     = {}
}

variable "push_endpoints" {
  type        = map(string)
  description = "Function name → its URL (the functions module's urls), for subscriptions with push_to."
  default     = {}
}

variable "push_service_account" {
  type        = string
  description = "The email of the service account push subscriptions authenticate as (orchid-events: the bus's deliverer, invoker of the triggered functions)."
  default     = null
}

variable "dead_letter_retention" {
  type        = string
  description = "How long dead letters are kept (at most 31 days)."
  default     = "2678400s"
}

variable "service_agent" {
  type        = string
  description = "The Pub/Sub service agent (serviceAccount:service-<number>@gcp-sa-pubsub.iam.gserviceaccount.com)."

  validation {
    condition     = can(regex("^serviceAccount:service-[0-9]+@gcp-sa-pubsub\\.iam\\.gserviceaccount\\.com$", var.service_agent))
    error_message = "service_agent must be the project's Pub/Sub service agent."
  }
}

variable "encryption_key" {
  type        = string
  description = "The Cloud KMS key that encrypts messages at rest."
}

variable "labels" {
  type        = map(string)
  description = "Labels on every topic and subscription."
  default     = {}
}
