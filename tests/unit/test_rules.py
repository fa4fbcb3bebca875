"""The rules, their promtool tests, Alertmanager's configuration and the runbooks agree: every
alert is complete, fires in a test and stays silent in one, and has a runbook page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from orchid.monitoring.alertmanager import Receivers, config
from orchid.monitoring.alerts import SEVERITIES, TEAMS, all_alerts
from orchid.monitoring.tree import RECEIVER_SECRETS, differences
from orchid.stack.servers import binary

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
RUNBOOKS = ROOT / "docs" / "runbooks.md"
RULE_TESTS = sorted((MONITORING / "tests").glob("*.test.yml"))


def run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=600)


def test_deploy_monitoring_is_generated_from_the_code() -> None:
    assert differences(MONITORING) == [], "run `orchid monitoring generate`"


def test_promtool_accepts_every_rules_file() -> None:
    files = sorted(str(p) for p in (MONITORING / "rules").glob("*.rules.yml"))
    assert len(files) == 2
    done = run(binary("promtool"), "check", "rules", *files)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_rule_tests_pass(test_file: Path) -> None:
    done = run(binary("promtool"), "test", "rules", test_file.name, cwd=test_file.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def _expectations() -> dict[str, set[bool]]:
    """alertname → {True if some test expects it firing, False if some expects silence}."""
    found: dict[str, set[bool]] = {}
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for check in test.get("alert_rule_test", []):
                found.setdefault(check["alertname"], set()).add(bool(check.get("exp_alerts")))
    return found


def test_every_alert_is_tested_firing_and_silent() -> None:
    expectations = _expectations()
    incomplete = {alert.name: sorted(expectations.get(alert.name, set()))
                  for alert in all_alerts() if expectations.get(alert.name) != {True, False}}
    assert incomplete == {}


def test_every_alert_says_who_how_bad_and_what_to_do() -> None:
    headings = set(re.findall(r"^### (\S+)", RUNBOOKS.read_text(), flags=re.MULTILINE))
    names = [alert.name for alert in all_alerts()]
    assert len(names) == len(set(names))
    for alert in all_alerts():
        rule = alert.rule()
        labels, annotations = rule["labels"], rule["annotations"]
        assert isinstance(labels, dict) and isinstance(annotations, dict)
        assert labels["severity"] in SEVERITIES and labels["team"] in TEAMS, alert.name
        assert annotations["summary"] and annotations["description"], alert.name
        assert annotations["runbook_url"] == f"docs/runbooks.md#{alert.name.lower()}"
        assert alert.name in headings, f"docs/runbooks.md has no '### {alert.name}'"


def test_every_runbook_page_says_meaning_confirmation_and_fix() -> None:
    pages = re.split(r"^### ", RUNBOOKS.read_text(), flags=re.MULTILINE)[1:]
    assert len(pages) >= len(all_alerts())
    for page in pages:
        name = page.split()[0]
        for part in ("**Means**", "**Confirm**", "**Fix**"):
            assert part in page, f"{name}'s runbook has no {part}"


@pytest.mark.parametrize("where", ["stack", "cluster"])
def test_amtool_accepts_the_alertmanager_configuration(where: str, tmp_path: Path) -> None:
    receivers = (Receivers.sinks("http://127.0.0.1:9") if where == "stack"
                 else Receivers.mounted(RECEIVER_SECRETS))
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config(receivers)))
    done = run(binary("amtool"), "check-config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("labels", "receivers"), [
    (["severity=page", "team=data"], "pager,pager-escalation,chat-data"),
    (["severity=ticket", "team=data"], "chat-data"),
    (["severity=page", "team=commerce"], "pager,pager-escalation,chat-commerce"),
    (["severity=ticket", "team=security"], "chat-security"),
    (["severity=ticket"], "chat-platform"),
])
def test_alerts_route_by_severity_and_team(labels: list[str], receivers: str) -> None:
    path = MONITORING / "alertmanager" / "alertmanager.yml"
    done = run(binary("amtool"), "config", "routes", "test", f"--config.file={path}", *labels)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == receivers
