"""Tools built from the Go module proxy (Trivy, the Cloud SQL Auth Proxy): where they are, and
a wait for the build `make test` runs beside the tests.

On a fresh machine those builds take ≈ 17 minutes (Trivy is most of it) while the suite leaves
most of the CPU idle, so `make test` starts them in the background (`make go-tools`, its pid in
BUILD_PID) and the tests that use them run last (tests/deploy/conftest.py) and wait for the
build to end — on the build process, not on a clock.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.waiting import until

ROOT = Path(__file__).resolve().parents[2]
TRIVY = ROOT / ".cache" / "bin" / "trivy"
CLOUD_SQL_PROXY = ROOT / ".cache" / "bin" / "cloud-sql-proxy"
BUILD_PID = ROOT / ".cache" / "builds" / "go-tools.pid"
BUILD_LOG = ROOT / ".cache" / "builds" / "go-tools.log"
BUILD_TIMEOUT = 45 * 60.0
HINT = "run `make go-tools` (Go builds from the module proxy)"


def building() -> bool:
    """True while the background build that `make test` started still runs."""
    try:
        pid = int(BUILD_PID.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return False
    return b"make" in cmdline and os.path.exists(f"/proc/{pid}")


def built(binary: Path) -> Path:
    """`binary`, once no build of it is running; fail saying how to build it if missing."""
    if building():
        until(lambda: not building(), timeout=BUILD_TIMEOUT, what=f"the build of {binary.name}")
    where = f" (its build's log: {BUILD_LOG})" if BUILD_LOG.exists() else ""
    assert binary.exists(), f"{binary.relative_to(ROOT)} is missing: {HINT}{where}"
    return binary
