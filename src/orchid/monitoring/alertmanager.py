"""Alertmanager's configuration: route by severity and team, group, inhibit, escalate.

Every alert goes to its team's chat channel (a Slack-compatible webhook). A page also goes to
the pager at once, and — Alertmanager has no escalation of its own — to the second pager through
a route that waits ESCALATE_AFTER before its first notification: Alertmanager sends nothing for a
group whose alerts all resolved before it flushed, so only a page still firing after ten minutes
reaches the second receiver.

Where the receivers are differs by place: `orchid up` points them at its sinks
(monitoring/sink.py); the cluster's are read from files the Secret Manager CSI driver mounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchid.monitoring.alerts import TEAMS

ESCALATE_AFTER = "10m"
GROUP_BY = ["alertname", "team", "database", "journey", "slo"]


@dataclass(frozen=True)
class Receivers:
    """Where notifications go: a chat webhook per team, the pager and the second pager."""

    chat: dict[str, dict[str, str]]  # team → slack_configs' api_url or api_url_file
    pager: dict[str, Any]  # one receiver's configs: {"webhook_configs": [...]} or PagerDuty's
    escalation: dict[str, Any]

    @classmethod
    def sinks(cls, base_url: str) -> Receivers:
        """The stack's: every receiver a path of one local sink."""
        return cls(chat={team: {"api_url": f"{base_url}/slack/{team}"} for team in TEAMS},
                   pager=_webhook(f"{base_url}/pager/primary"),
                   escalation=_webhook(f"{base_url}/pager/secondary"))

    @classmethod
    def mounted(cls, folder: str) -> Receivers:
        """The cluster's: Slack webhooks and PagerDuty routing keys read from files (secrets,
        never in this repository), the second pager a PagerDuty service of its own."""
        return cls(chat={team: {"api_url_file": f"{folder}/slack-{team}-url"} for team in TEAMS},
                   pager=_pagerduty(f"{folder}/pagerduty-primary-key"),
                   escalation=_pagerduty(f"{folder}/pagerduty-secondary-key"))


def _webhook(url: str) -> dict[str, Any]:
    return {"webhook_configs": [{"url": url, "send_resolved": True}]}


def _pagerduty(key_file: str) -> dict[str, Any]:
    return {"pagerduty_configs": [{"routing_key_file": key_file, "send_resolved": True,
                                   "description": "{{ .CommonAnnotations.summary }}"}]}


def _chat(team: str, where: dict[str, str]) -> dict[str, Any]:
    return {"name": f"chat-{team}", "slack_configs": [{
        **where, "channel": f"#orchid-{team}", "send_resolved": True,
        "title": '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}',
        "text": ('{{ range .Alerts }}{{ .Labels.severity }}: {{ .Annotations.summary }}\n'
                 '{{ .Annotations.runbook_url }}\n{{ end }}')}]}


def config(receivers: Receivers, *, escalate_after: str = ESCALATE_AFTER,
           group_wait: str = "10s") -> dict[str, Any]:
    """The whole alertmanager.yml (the tests shorten the waits)."""
    page = ['severity="page"']
    routes: list[dict[str, Any]] = [
        {"receiver": "pager", "matchers": page, "group_wait": group_wait, "continue": True},
        {"receiver": "pager-escalation", "matchers": page, "group_wait": escalate_after,
         "group_interval": escalate_after, "repeat_interval": "1h", "continue": True},
        *({"receiver": f"chat-{team}", "matchers": [f'team="{team}"']} for team in TEAMS),
    ]
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {"receiver": "chat-platform", "group_by": GROUP_BY, "group_wait": group_wait,
                  "group_interval": "1m", "repeat_interval": "4h", "routes": routes},
        "inhibit_rules": [
            # A dead primary stops every replica's replication: one page, not five.
            {"source_matchers": ['alertname="DatabasePrimaryDown"'],
             "target_matchers": ['alertname=~"DatabaseReplication.*|DatabaseMemberDown"'],
             "equal": ["database"]},
            {"source_matchers": ['alertname="ElasticsearchRed"'],
             "target_matchers": ['alertname="ElasticsearchYellow"']},
            # A page about an SLO makes its ticket redundant.
            {"source_matchers": ['severity="page"', 'slo=~".+"'],
             "target_matchers": ['severity="ticket"'], "equal": ["journey", "slo"]},
        ],
        "receivers": [
            {"name": "pager", **receivers.pager},
            {"name": "pager-escalation", **receivers.escalation},
            *(_chat(team, where) for team, where in receivers.chat.items()),
        ],
    }
