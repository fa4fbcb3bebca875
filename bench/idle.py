"""What a running stack costs while nobody shops: CPU per component over a quiet window.

    .venv/bin/python -m bench.idle --state-dir /tmp/stack-s --seconds 60

Reads the ready stack's state.json (every component's pid), samples each component's process
tree from /proc before and after the window (orchid.loadtest.cpu: descendants included, the
other components' subtrees left out) and prints CPU milliseconds per second of wall time, the
busiest first. Sends no request: whatever it measures is polling, timers and housekeeping.
Writes bench/results/idle.md.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

from bench.edge import commit, machine, publish
from orchid.loadtest import cpu
from orchid.loadtest.target import from_state

RESULTS = Path(__file__).parent / "results" / "idle.md"


def measure(state_dir: Path, seconds: float) -> tuple[dict[str, float | None], float]:
    """CPU seconds per component over `seconds` of wall time, and the window's length."""
    target = from_state(state_dir)
    started, before = time.monotonic(), cpu.sample(target.roots)
    time.sleep(seconds)  # the window itself: nothing else is being waited for
    after, spent = cpu.sample(target.roots), time.monotonic() - started
    if from_state(state_dir).roots != target.roots:
        raise SystemExit("a component was restarted during the window: measure again")
    return cpu.delta(before, after), spent


def report(used: dict[str, float | None], window: float, args: argparse.Namespace) -> str:
    rows = sorted(((name, seconds) for name, seconds in used.items() if seconds is not None),
                  key=lambda row: -row[1])
    total = sum(seconds for _, seconds in rows)
    lines = [
        f"Date {datetime.date.today()}, commit {commit()}.",
        f"Machine: {machine()}.",
        "",
        f"Method: `.venv/bin/python -m bench.idle --state-dir {args.state_dir} --seconds "
        f"{args.seconds:g}` on a ready `orchid up` stack with no traffic; CPU from "
        f"/proc/<pid>/stat of each component's process tree over {window:.1f} s.",
        "",
        "| component | CPU ms per second |",
        "|---|---|",
        *(f"| {name} | {1000 * seconds / window:.1f} |" for name, seconds in rows),
        f"| **all** | **{1000 * total / window:.1f}** |",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".orchid/stack"))
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    used, window = measure(args.state_dir, args.seconds)
    text = report(used, window, args)
    publish(RESULTS, text)


if __name__ == "__main__":
    main()
