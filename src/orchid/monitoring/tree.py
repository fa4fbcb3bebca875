"""deploy/monitoring, written from this package: the rules, their promtool tests, Alertmanager's
configuration for the cluster, and the dashboards. `orchid monitoring generate --check` (run by
the tests) fails when a file differs from what the code writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from orchid.monitoring import alertmanager, rule_tests, rules

HEADER = "# Written by `orchid monitoring generate` from src/orchid/monitoring; do not edit.\n"
RECEIVER_SECRETS = "/etc/alertmanager/secrets/orchid-receivers"  # the chart's secret mount


def _yaml(data: object) -> str:
    return HEADER + yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True)


def files() -> dict[str, str]:
    """Relative path → content of every generated file."""
    found = {f"rules/{name}": _yaml(content) for name, content in rules.rule_files().items()}
    found["tests/slo-fast.test.yml"] = _yaml(rule_tests.fast_tests())
    found["tests/slo-slow.test.yml"] = _yaml(rule_tests.slow_tests())
    found["alertmanager/alertmanager.yml"] = _yaml(
        alertmanager.config(alertmanager.Receivers.mounted(RECEIVER_SECRETS)))
    for name, dashboard in dashboards().items():
        found[f"dashboards/{name}.json"] = json.dumps(dashboard, indent=2, sort_keys=True) + "\n"
    return found


def dashboards() -> dict[str, dict[str, Any]]:
    """The dashboards (monitoring/dashboards.py)."""
    from orchid.monitoring.dashboards import all_dashboards

    return all_dashboards()


def generated(root: Path) -> list[Path]:
    """The files under `root` that this module owns (all but the hand-written tests)."""
    return [path for folder in ("rules", "alertmanager", "dashboards")
            for path in sorted((root / folder).glob("*")) if path.is_file()] + [
        path for path in sorted((root / "tests").glob("slo-*.test.yml"))]


def write(root: Path) -> list[Path]:
    """Write every file; remove generated ones no longer written. Returns the removed."""
    wanted = files()
    for relative, text in wanted.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    stale = [p for p in generated(root) if str(p.relative_to(root)) not in wanted]
    for path in stale:
        path.unlink()
    return stale


def differences(root: Path) -> list[str]:
    """What `write` would change, one line each."""
    wanted = files()
    found = [f"differs: {relative}" for relative, text in wanted.items()
             if not (root / relative).exists() or (root / relative).read_text() != text]
    found += [f"stale: {p.relative_to(root)}" for p in generated(root)
              if str(p.relative_to(root)) not in wanted]
    return found
