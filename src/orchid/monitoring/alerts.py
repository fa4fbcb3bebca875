"""Every alert: the SLOs' burn-rate alerts and the cause alerts, with who gets them and why.

An alert has a severity (page: someone acts now; ticket: someone acts today), a team (routes it
in Alertmanager), a summary (what is wrong, with the labels that say where) and a runbook page
in docs/runbooks.md whose anchor is the alert's name in lower case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchid.monitoring.slos import PAGE_FAST, PAGE_SLOW, SLOS, TICKET, BurnRate, Slo, burning

RUNBOOKS = "docs/runbooks.md"
SEVERITIES = ("page", "ticket")
TEAMS = ("platform", "data", "search", "commerce", "security")


@dataclass(frozen=True)
class Alert:
    """One alerting rule."""

    name: str
    expr: str
    severity: str
    team: str
    summary: str
    description: str
    wait: str = "0s"  # Prometheus's `for`: how long the condition must hold
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def runbook_anchor(self) -> str:
        return self.name.lower()

    def rule(self) -> dict[str, object]:
        """The rule as Prometheus reads it."""
        rule: dict[str, object] = {"alert": self.name, "expr": self.expr}
        if self.wait != "0s":
            rule["for"] = self.wait
        rule["labels"] = {"severity": self.severity, "team": self.team, **self.labels}
        rule["annotations"] = {"summary": self.summary, "description": self.description,
                               "runbook_url": f"{RUNBOOKS}#{self.runbook_anchor}"}
        return rule


def burn_alerts(slo: Slo) -> list[Alert]:
    """The page (two window pairs) and the ticket of one SLO."""
    def percent(rate: BurnRate) -> str:
        return f"{rate.factor * slo.budget * 100:.3g} %"

    labels = {"journey": slo.journey, "slo": slo.kind}
    page = Alert(
        f"{slo.alert_base}BudgetBurn",
        f"({burning(slo, PAGE_FAST)}) or ({burning(slo, PAGE_SLOW)})",
        "page", slo.team,
        f"{slo.journey} {slo.kind} is burning its error budget fast",
        f"SLO: {slo.description}. Bad events over {percent(PAGE_FAST)} for 1 h (and 5 m), "
        f"or over {percent(PAGE_SLOW)} for 6 h (and 30 m): at this pace the 30-day budget "
        "is gone in days.", "1m", labels)
    ticket = Alert(
        f"{slo.alert_base}BudgetBurnSlow", burning(slo, TICKET), "ticket", slo.team,
        f"{slo.journey} {slo.kind} is spending its error budget faster than it earns it",
        f"SLO: {slo.description}. Bad events over {percent(TICKET)} for 3 days (and 6 h).",
        "1h", labels)
    return [page, ticket]


DATA, PLATFORM = "data", "platform"

CAUSE_ALERTS = (
    Alert("DatabasePrimaryDown",
          "max by (database) (orchid_db_member_writable) == 0", "page", DATA,
          "No writable {{ $labels.database }} database primary",
          "No member of the {{ $labels.database }} database takes writes: checkouts and sign-ups "
          "fail. Fail over unless the primary is coming back.", "30s"),
    Alert("DatabaseMemberDown",
          "orchid_db_member_up == 0 unless on (database) "
          "(max by (database) (orchid_db_member_writable) == 0)", "ticket", DATA,
          "Database member {{ $labels.member }} does not answer",
          "{{ $labels.member }} ({{ $labels.database }}) has not answered the probe for a "
          "minute; reads move to the other replicas.", "1m"),
    Alert("DatabaseReplicationStopped",
          "orchid_db_replication_running == 0", "page", DATA,
          "Replication stopped on {{ $labels.member }}",
          "A replication thread of {{ $labels.member }} ({{ $labels.database }}) is not "
          "running: it falls further behind every second and the app stops reading from it.",
          "1m"),
    Alert("DatabaseReplicationLag",
          "orchid_db_replication_lag_seconds > 1", "ticket", DATA,
          "{{ $labels.member }} is {{ $value | humanize }} s behind its primary",
          "Replica lag over 1 s for 2 minutes: reads that need fresh data go to the primary "
          "and it takes their load.", "2m"),
    Alert("RedisDown", "orchid_redis_up == 0", "page", DATA,
          "Redis does not answer",
          "Carts, sessions, rate limits and caches live in Redis: sign-ins and carts fail, "
          "and every cached read goes to the databases.", "30s"),
    Alert("ElasticsearchRed",
          'orchid_elasticsearch_up == 0 or orchid_elasticsearch_cluster_status{color="red"} == 1',
          "page", "search",
          "Elasticsearch is down or red",
          "Search answers from the degraded SQL fallback (no typo tolerance, slower); a red "
          "cluster has lost primary shards.", "1m"),
    Alert("ElasticsearchYellow",
          'orchid_elasticsearch_cluster_status{color="yellow"} == 1', "ticket", "search",
          "Elasticsearch is yellow",
          "Replica shards are unassigned: one more node lost would lose data.", "10m"),
    Alert("WafBlockSurge",
          'sum(rate(orchid_edge_requests_total{block="waf"}[5m])) > 1 and '
          'sum(rate(orchid_edge_requests_total{block="waf"}[5m])) '
          "> 0.05 * sum(rate(orchid_edge_requests_total[5m]))",
          "ticket", "security",
          "The WAF blocks {{ $value | humanize }} requests/s",
          "Over 5 % of the edge's requests (and over 1/s) are blocked by ModSecurity: an "
          "attack, or a release the rules now refuse.", "5m"),
    Alert("ServerErrorSpike",
          'sum(rate(orchid_http_requests_total{status=~"5.."}[1m])) > 0.5 and '
          'sum(rate(orchid_http_requests_total{status=~"5.."}[1m])) '
          "> 0.05 * sum(rate(orchid_http_requests_total[1m]))",
          "page", PLATFORM,
          "{{ $value | printf \"%.1f\" }} server errors per second",
          "Over 5 % of all answers (and over 0.5/s) are 5xx — often a bad release: compare "
          "with the last deploy.", "1m"),
    Alert("AppProcessDown",
          'up{job="orchid-app"} == 0', "ticket", PLATFORM,
          "App process {{ $labels.instance }} is not scraped",
          "An app process has not answered Prometheus for 2 minutes; its peers take its load "
          "while it restarts.", "2m"),
    Alert("StoreProbeDown",
          'up{job="orchid-probe"} == 0 or absent(up{job="orchid-probe"})', "ticket", PLATFORM,
          "The stores' probe is not scraped",
          "Without the probe no database, Redis, Elasticsearch, disk or backup alert can fire.",
          "5m"),
    Alert("HpaAtMaximum",
          'kube_horizontalpodautoscaler_status_current_replicas{namespace="orchid"} '
          '>= kube_horizontalpodautoscaler_spec_max_replicas{namespace="orchid"}',
          "ticket", PLATFORM,
          "{{ $labels.horizontalpodautoscaler }} runs at its maximum replicas",
          "The autoscaler cannot add pods: latency rises with traffic. Raise the maximum or "
          "the node pool's, or find what made pods slower.", "15m"),
    Alert("DiskFilling",
          "orchid_disk_avail_bytes / orchid_disk_size_bytes < 0.05 or "
          "(orchid_disk_avail_bytes / orchid_disk_size_bytes < 0.15 and "
          "predict_linear(orchid_disk_avail_bytes[6h], 4 * 3600) < 0)",
          "page", DATA,
          "The disk of {{ $labels.path }} is filling",
          "Under 5 % free, or under 15 % and full within 4 hours at the last 6 hours' pace: "
          "MariaDB stops writing when it is full.", "15m"),
    Alert("BackupTooOld",
          "time() - orchid_backup_last_success_timestamp_seconds > 26 * 3600",
          "ticket", DATA,
          "The last {{ $labels.database }} backup is {{ $value | humanizeDuration }} old",
          "The nightly backup has not completed for over 26 hours: a restore would lose more "
          "than a day, and binlogs kept for point-in-time recovery keep growing.", "10m"),
    Alert("OutboxLagging",
          "orchid_outbox_lag_seconds > 60",
          "ticket", PLATFORM,
          "Events of the {{ $labels.database }} database wait {{ $value | humanizeDuration }} "
          "to be published",
          "The oldest unpublished outbox row is over a minute old: search, caches and "
          "notifications fall behind the shop. Orders and payments still commit.", "5m"),
    # Where a process delivers the events (embedded, the stack) it counts what it gives up
    # on; on GKE Pub/Sub parks them in <subscription>-dead itself and the probe reads how many
    # wait there (monitoring/cloud.py), so the ticket stays open until they are replayed.
    Alert("EventsDeadLettered",
          "increase(orchid_events_dead_lettered_total[15m]) > 0 or "
          "max by (subscription) (orchid_events_dead_letters_waiting) > 0",
          "ticket", PLATFORM,
          "Subscription {{ $labels.subscription }} gave up on events",
          "A subscriber failed an event on every attempt: its effect (an email, an index "
          "update, an aggregate) did not happen until the event is replayed."),
    # A ticket, like OutboxLagging, which follows it: nothing is lost and no shopper's request
    # fails; emails, search updates and cache invalidations wait (docs/runbooks.md).
    Alert("EventsRelayDown",
          'sum(up{job="orchid-relay"}) == 0 or absent(up{job="orchid-relay"})',
          "ticket", PLATFORM,
          "No events relay is scraped",
          "No outbox relay has answered Prometheus for 5 minutes: nothing publishes the "
          "outboxes. Every event waits in its outbox and goes out, in order, once a relay is "
          "back; meanwhile emails, search updates and cache invalidations wait.", "5m"),
    Alert("FunctionProcessDown",
          'up{job="orchid-functions"} == 0', "ticket", PLATFORM,
          "Function process {{ $labels.instance }} is not scraped",
          "A background function's process has not answered Prometheus for 2 minutes: its "
          "subscriptions' events wait in Pub/Sub and calls to it fail until it is back.", "2m"),
)


def all_alerts() -> list[Alert]:
    """Every alert, SLO burns first."""
    return [alert for slo in SLOS for alert in burn_alerts(slo)] + list(CAUSE_ALERTS)
