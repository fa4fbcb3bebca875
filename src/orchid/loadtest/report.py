"""The bench's reports: report.json (everything), report.md (tables for BENCHMARKS.md), a table
on the terminal; plus where they were measured (machine, commit)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.table import Table

from orchid.loadtest.plan import REQUEST_TYPES
from orchid.loadtest.stats import StepResult

REPO = Path(__file__).resolve().parents[3]
CLOSED_LOOP = ("Locust is closed-loop per user: a user sends its next request only after the "
               "previous one answered. Many users, each at a low constant throughput, "
               "approximate an open-loop offered rate while answers take less than the pause "
               "between a user's tasks; beyond that the achieved rate falls below the offered one.")


def machine() -> dict[str, Any]:
    """Cores, CPU model, kernel and Python of this machine."""
    model = next((line.split(":", 1)[1].strip()
                  for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cores": os.cpu_count(), "model": model, "kernel": platform.release(),
            "python": platform.python_version(), "load_average": list(os.getloadavg())}


def git_commit(repo: Path = REPO) -> dict[str, Any]:
    """The commit checked out, and whether the tree has uncommitted changes."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "HEAD")
    return {"commit": head or None, "short": head[:7] or None,
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")) if head else None}


def step_dict(result: StepResult) -> dict[str, Any]:
    """A step as JSON-ready data."""
    return asdict(result)


def write(report: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """Write report.json and report.md into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "report.json", folder / "report.md"
    json_path.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    md_path.write_text(markdown(report))
    return json_path, md_path


def _ms(value: dict[str, Any] | None, key: str) -> str:
    return "—" if value is None else f"{value[key]:.1f}"


def us(value: float | None) -> str:
    """Microseconds as a table cell: grouped thousands, a dash when not measured."""
    return "—" if value is None else f"{value:,.0f}"


def _kinds(steps: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for step in steps:
        seen.update((k, None) for k in step["cpu"]["by_kind_us"])
    return list(seen)


def markdown(report: dict[str, Any]) -> str:
    """The report as markdown: context, one row per step, then per request type."""
    steps: list[dict[str, Any]] = report["steps"]
    kinds = _kinds(steps)
    git, box, target = report["git"], report["machine"], report["target"]
    commit = f"{git['short']}{' + uncommitted changes' if git['dirty'] else ''}"
    lines = [
        f"## Shopping mix ({report['mode']}) — {target['source']} at {target['base_url']}", "",
        f"Date {report['started_at'][:10]}, commit {commit}. Machine: {box['cores']} cores "
        f"({box['model']}), Linux {box['kernel']}, Python {box['python']}; load average "
        f"{box['load_average'][0]:.2f} at the start. Wall time {report['wall_seconds']:.0f} s.",
        "", f"Method: {report['method']['summary']} {CLOSED_LOOP}", ""]
    if report.get("saturation"):
        sat = report["saturation"]
        best = f"{sat['best_rps']:g} requests/s" if sat["best_rps"] else "none of the rates"
        lines += [f"Saturation: {best} held with overall p99 ≤ {sat['p99_ms']:g} ms and no "
                  f"errors (search stopped: {sat['stopped']}).", ""]
    head = ["offered/s", "users", "achieved/s", "requests", "errors", "p50 ms", "p95 ms",
            "p99 ms", *(f"{k} µs/req" for k in kinds), "target µs/req", "generator µs/req",
            "others' cores"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for step in steps:
        overall, cpu = step["overall"], step["cpu"]
        row = [f"{step['offered_rps']:g}", str(step["users"]), f"{step['throughput']:.1f}",
               f"{step['requests']:,}", str(step["errors"]), _ms(overall, "p50"),
               _ms(overall, "p95"), _ms(overall, "p99"),
               *(us(cpu["by_kind_us"].get(k)) for k in kinds), us(cpu["target_us"]),
               us(cpu["generator_us"]), f"{cpu['other_busy_cores']:.2f}"]
        lines.append("| " + " | ".join(row) + " |")
    for index, step in enumerate(steps, 1):
        lines += ["", f"Step {index} ({step['offered_rps']:g}/s offered) by request type:", "",
                  "| type | requests | /s | errors | p50 ms | p95 ms | p99 ms | max ms | "
                  "statuses | outcomes |", "|---|---|---|---|---|---|---|---|---|---|"]
        for name, figures in step["types"].items():
            statuses = ", ".join(f"{k}×{v}" for k, v in sorted(figures["statuses"].items()))
            outcomes = ", ".join(f"{k}×{v}" for k, v in sorted(figures["outcomes"].items()))
            lat = figures["latency"]
            lines.append(f"| {name} | {figures['requests']:,} | {figures['rps']:.1f} | "
                         f"{figures['errors']} | {_ms(lat, 'p50')} | {_ms(lat, 'p95')} | "
                         f"{_ms(lat, 'p99')} | {_ms(lat, 'max')} | {statuses} | "
                         f"{outcomes or '—'} |")
    notes = list(report.get("notes", []))
    notes += [f"step {i}: {r}" for i, s in enumerate(steps, 1) for r in s["restarts"]]
    notes += [f"step {i}: {e}" for i, s in enumerate(steps, 1) for e in s["task_errors"][:3]]
    if notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def table(report: dict[str, Any]) -> Table:
    """A terminal table: one row per request type of the last (or best) step, then overall."""
    steps = report["steps"]
    chosen = steps[-1]
    if report.get("saturation") and report["saturation"]["best_index"] is not None:
        chosen = steps[report["saturation"]["best_index"]]
    grid = Table(title=f"{report['mode']}: {chosen['offered_rps']:g}/s offered, "
                       f"{chosen['throughput']:.1f}/s achieved, {chosen['errors']} errors")
    for column in ("type", "requests", "/s", "errors", "p50 ms", "p95 ms", "p99 ms"):
        grid.add_column(column, justify="left" if column == "type" else "right")
    order = [t for t in REQUEST_TYPES if t in chosen["types"]]
    order += [t for t in chosen["types"] if t not in order]
    for name in order:
        f = chosen["types"][name]
        grid.add_row(name, f"{f['requests']:,}", f"{f['rps']:.1f}", str(f["errors"]),
                     _ms(f["latency"], "p50"), _ms(f["latency"], "p95"),
                     _ms(f["latency"], "p99"))
    overall = chosen["overall"]
    grid.add_row("overall", f"{chosen['requests']:,}", f"{chosen['throughput']:.1f}",
                 str(chosen["errors"]), _ms(overall, "p50"), _ms(overall, "p95"),
                 _ms(overall, "p99"), style="bold")
    cpu = chosen["cpu"]
    grid.caption = "CPU µs/request: " + ", ".join(
        [*(f"{k} {us(v)}" for k, v in cpu["by_kind_us"].items()),
         f"target {us(cpu['target_us'])}", f"generator {us(cpu['generator_us'])}"])
    return grid
