"""What the bench runs against: the full stack (its state.json) or one `orchid serve` process.

    target = from_state(Path(".orchid/stack"))      # every component's pid and kind
    target = from_url("http://127.0.0.1:8000", app_pid=4242)

The stack's pids are read again before every step and at the end: a pid that changed, or a
restart count that grew, means the supervisor restarted a process during the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchid.stack.state import read_state

DEFAULT_STATE_DIR = Path(".orchid/stack")


class TargetUnavailable(RuntimeError):
    """There is nothing ready to bench at the given place."""


@dataclass(frozen=True)
class Component:
    """One process (tree) whose CPU is measured."""

    name: str
    kind: str
    pid: int
    restarts: int = 0


@dataclass
class Target:
    """A base URL and the processes behind it."""

    base_url: str
    source: str  # "stack" or "url"
    components: list[Component]
    state_dir: Path | None = None
    topology: str | None = None
    workers: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def roots(self) -> dict[str, int]:
        """Component name → pid, for the CPU sampler."""
        return {c.name: c.pid for c in self.components}

    @property
    def kinds(self) -> dict[str, str]:
        """Component name → kind."""
        return {c.name: c.kind for c in self.components}

    def refreshed(self) -> Target:
        """Read the pids again (the stack's processes may have been restarted)."""
        return from_state(self.state_dir) if self.state_dir is not None else self


def from_state(state_dir: Path) -> Target:
    """Read a running stack's state.json; fails unless its phase is ready."""
    state = read_state(state_dir / "state.json")
    if state is None:
        raise TargetUnavailable(f"no {state_dir / 'state.json'}: start the stack with "
                                "`orchid up`, or bench one process with --url and --app-pid")
    if state.get("phase") != "ready" or not state.get("base_url"):
        raise TargetUnavailable(f"the stack in {state_dir} is {state.get('phase')!r}, "
                                f"not ready{': ' + state['error'] if state.get('error') else ''}")
    components = [Component(row["name"], row["kind"], int(row["pid"]), int(row.get("restarts", 0)))
                  for row in state.get("components", []) if row.get("pid")]
    return Target(base_url=str(state["base_url"]).rstrip("/"), source="stack",
                  components=components, state_dir=state_dir, topology=state.get("topology"),
                  workers=state.get("workers"))


def from_url(url: str, *, app_pid: int | None) -> Target:
    """A single `orchid serve` at `url`; its CPU is measured when its pid is given."""
    components = [Component("app", "app", app_pid)] if app_pid else []
    notes = [] if app_pid else ["no --app-pid: the app's CPU is not measured"]
    return Target(base_url=url.rstrip("/"), source="url", components=components, notes=notes)


def restarts(before: Target, after: Target) -> list[str]:
    """Describe the components restarted between two readings of the stack."""
    then = {c.name: c for c in before.components}
    changes = []
    for now in after.components:
        old = then.get(now.name)
        if old is None:
            changes.append(f"{now.name} appeared (pid {now.pid})")
        elif old.pid != now.pid or old.restarts != now.restarts:
            changes.append(f"{now.name} restarted: pid {old.pid} → {now.pid}, restarts "
                           f"{old.restarts} → {now.restarts}")
    gone = set(then) - {c.name for c in after.components}
    return changes + [f"{name} is gone (was pid {then[name].pid})" for name in sorted(gone)]
