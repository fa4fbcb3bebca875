"""Events: the outbox relay, the bus it publishes to, and the topics (docs/events.md)."""
