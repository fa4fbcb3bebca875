"""Which topic carries an aggregate's events (the Pub/Sub topics of deploy/terraform's
`event_topics`): one per service that publishes, so a subscriber takes only what it needs."""

from __future__ import annotations

from orchid.kit.outbox import Event

TOPICS: dict[str, str] = {
    "order": "orders",
    "payment": "payments",
    "product": "catalog",
    "stock": "inventory",
    "reservation": "inventory",
    "customer": "customers",
}


class UnknownAggregate(KeyError):
    """An event of an aggregate no topic carries: a programming error, caught by the tests."""


def topic_of(event: Event) -> str:
    try:
        return TOPICS[event.aggregate_type]
    except KeyError:
        raise UnknownAggregate(f"no topic for {event.aggregate_type!r} ({event.type})") from None
