output "topic_ids" {
  description = "Topic id (projects/…/topics/…) by topic name, for publishers and the functions' trigger topics."
  value       = { for name, topic in google_pubsub_topic.this : name => topic.id }
}

output "dead_letter_topic_ids" {
  description = "Dead-letter topic id (<subscription>-dead) by subscription name."
  value       = { for name, topic in google_pubsub_topic.dead_letter : name => topic.id }
}

output "subscription_ids" {
  description = "Subscription id by subscription name."
  value       = { for name, sub in google_pubsub_subscription.this : name => sub.id }
}
