"""The bench's reports: JSON, markdown for BENCHMARKS.md, the terminal table, machine, commit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console

from orchid.loadtest import report
from orchid.loadtest.plan import Load
from orchid.loadtest.stats import summarise
from tests.unit.test_loadtest_stats import KINDS, raw_step


def sample_report(*, saturate: bool = False) -> dict[str, Any]:
    """A report as `session.run_bench` builds it, around two summarised steps."""
    steps = [summarise(raw_step(), Load(20, 0.96, 20.0), KINDS),
             summarise(raw_step(seconds=5.0), Load(40, 0.96, 40.0), KINDS)]
    steps[1].restarts = ["app-2 restarted: pid 10 → 11, restarts 0 → 1"]
    return {
        "version": 1, "mode": "saturate" if saturate else "fixed",
        "started_at": "2026-11-24T10:00:00+00:00", "wall_seconds": 42.0,
        "target": {"source": "stack", "base_url": "http://127.0.0.1:18080"},
        "machine": report.machine(), "git": report.git_commit(),
        "method": {"summary": "Locust, the mix."},
        "steps": [report.step_dict(s) for s in steps],
        "saturation": {"best_rps": 20.0, "best_index": 0, "p99_ms": 100.0,
                       "stopped": "bisection done"} if saturate else None,
        "notes": ["no --app-pid: the app's CPU is not measured"],
    }


def test_machine_and_commit_are_read_from_this_machine_and_checkout() -> None:
    box = report.machine()
    assert isinstance(box["cores"], int) and box["cores"] >= 1
    assert box["model"] and box["python"].count(".") == 2
    git = report.git_commit()
    assert git["commit"] is None or len(git["commit"]) == 40
    assert report.git_commit(Path("/")) == {"commit": None, "short": None, "dirty": None}


def test_writes_json_and_markdown(tmp_path: Path) -> None:
    written = sample_report()
    json_path, md_path = report.write(written, tmp_path / "out")
    assert json.loads(json_path.read_text()) == json.loads(json.dumps(written))
    step = json.loads(json_path.read_text())["steps"][0]
    assert step["cpu"]["by_kind_us"]["app"] == 8000
    assert step["types"]["product"]["latency"]["p95"] == 95
    text = md_path.read_text()
    assert text.startswith("## Shopping mix (fixed) — stack at http://127.0.0.1:18080")
    assert ("| offered/s | users | achieved/s | requests | errors | p50 ms | p95 ms | p99 ms "
            "| app µs/req | mariadb µs/req | target µs/req | generator µs/req | others' cores |"
            in text)
    assert "| 20 | 20 | 20.0 | 200 | 0 | 40.0 | 90.0 | 98.0 | 8,000 | 1,000 | 9,000 | 500 |" \
        in text
    assert "| checkout | 50 | 5.0 | 0 | 40.0 | 40.0 | 90.0 | 90.0 | 201×50 | out_of_stock×2 |" \
        in text
    assert "- step 2: app-2 restarted: pid 10 → 11" in text
    assert "- no --app-pid" in text
    assert "Locust is closed-loop per user" in text


def test_saturation_is_summarised(tmp_path: Path) -> None:
    _, md_path = report.write(sample_report(saturate=True), tmp_path)
    assert ("Saturation: 20 requests/s held with overall p99 ≤ 100 ms and no errors "
            "(search stopped: bisection done)." in md_path.read_text())


def test_terminal_table_shows_the_best_step() -> None:
    console = Console(record=True, width=120)
    console.print(report.table(sample_report(saturate=True)))
    text = console.export_text()
    assert "saturate: 20/s offered, 20.0/s achieved, 0 errors" in text
    assert "product" in text and "overall" in text and "app 8,000" in text
    assert text.index("product") < text.index("search") < text.index("checkout")
