"""Summary tables of the shopping-mix reports in bench/results, for BENCHMARKS.md.

    .venv/bin/python -m bench.summary                    # every shop-*.json, as markdown
    .venv/bin/python -m bench.summary shop-embedded shop-stack-all-in-one

One row per report: the fixed-rate step, or for a saturation ramp every step with the verdict,
so the numbers in BENCHMARKS.md are copied from the reports, never retyped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from orchid.loadtest.report import us

RESULTS = Path(__file__).parent / "results"
KINDS = ("app", "mariadb", "redis", "elasticsearch", "edge")


def _row(name: str, step: dict[str, Any], verdict: str = "") -> str:
    latency, cpu = step["overall"], step["cpu"]
    by_kind = cpu["by_kind_us"]
    cells = [name, f"{step['offered_rps']:g}", f"{step['throughput']:.1f}", str(step["errors"]),
             f"{latency['p50']:.1f}", f"{latency['p95']:.1f}", f"{latency['p99']:.1f}",
             *(us(by_kind.get(kind)) for kind in KINDS), us(cpu["target_us"]),
             us(cpu["generator_us"])]
    if verdict:
        cells[0] += f" ({verdict})"
    return "| " + " | ".join(cells) + " |"


def table(names: list[str]) -> str:
    """The markdown table of the named reports (file stems in bench/results)."""
    lines = ["| report | offered/s | achieved/s | errors | p50 ms | p95 ms | p99 ms | "
             + " | ".join(f"{k} µs/req" for k in KINDS) + " | all measured µs/req | "
             "generator µs/req |", "|---" * (9 + len(KINDS)) + "|"]
    commits = set()
    for name in names:
        report = json.loads((RESULTS / f"{name}.json").read_text())
        commits.add(report["git"]["short"])
        saturation = report.get("saturation")
        for index, step in enumerate(report["steps"]):
            verdict = ""
            if saturation:
                verdict = saturation["verdicts"][index] or "held"
            lines.append(_row(name, step, verdict))
        if saturation:
            best = saturation["best_rps"]
            lines.append(f"| ↳ highest rate with p99 ≤ {saturation['p99_ms']:g} ms: "
                         f"**{f'{best:g}/s' if best else 'none'}** |" + " |" * (8 + len(KINDS)))
    return "\n".join(lines) + f"\n\nCommits: {', '.join(sorted(commits))}."


def main() -> None:
    names = sys.argv[1:] or sorted(p.stem for p in RESULTS.glob("shop-*.json"))
    print(table(names))


if __name__ == "__main__":
    main()
