"""Launch a REAL Elasticsearch (the integ-test distribution) for tests and benchmarks.

It binds 127.0.0.1 on a free port, keeps config, data and logs in a folder the caller owns,
runs single-node without security and a small heap, and is stopped by its own pids (the
launcher, and the server it forks). Elasticsearch refuses to run as root, so under root it
runs as `nobody` through `setpriv`, and its folders are handed to that user.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.servers import ServerMissing, free_port

VERSION = os.environ.get("ELASTICSEARCH_VERSION", "8.19.21")
ROOT = Path(__file__).resolve().parents[2]
JAVA_HOMES = ("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/temurin-25-jdk-amd64")
NOBODY = 65534
START_TIMEOUT, STOP_TIMEOUT = 90.0, 30.0
# Every node we start, so an interpreter that exits without stop() leaves no JVM behind.
_live: dict[int, Elasticsearch] = {}
MISSING = ("Elasticsearch not found: run `make test` (it fetches it from Maven Central) "
           "or scripts/fetch-elasticsearch.sh")


def es_home() -> Path:
    """Return the unpacked distribution, or raise ServerMissing saying how to fetch it."""
    home = Path(os.environ.get("ORCHID_ES_HOME", ROOT / ".cache" / "elasticsearch"
                               / f"elasticsearch-{VERSION}"))
    if not (home / "bin" / "elasticsearch").exists():
        raise ServerMissing(MISSING)
    return home


def _java_home() -> str:
    for candidate in (os.environ.get("ES_JAVA_HOME"), *JAVA_HOMES):
        if candidate and Path(candidate, "bin", "java").exists():
            return candidate
    raise ServerMissing("no Java found for Elasticsearch: apt-get install openjdk-17-jre-headless")


@dataclass
class Elasticsearch:
    """One Elasticsearch node on 127.0.0.1:port."""

    port: int
    base: Path
    heap: str = "512m"
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @classmethod
    def start(cls, base: Path | None = None, *, heap: str = "512m") -> Elasticsearch:
        """Start a node whose files live in `base` (a new temp folder by default); wait for it."""
        es_home()  # fail early with the fetch hint
        # Not under pytest's tmp: that folder is private to root and `nobody` must enter it.
        folder = base or Path(tempfile.mkdtemp(prefix="orchid-es-"))
        server = cls(free_port(), folder, heap)
        try:
            server.start_again()
        except BaseException:
            if base is None:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        return server

    @property
    def url(self) -> str:
        """Base URL of the HTTP API."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.base / "es.out"

    def running(self) -> bool:
        """True while the launcher process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start_again(self) -> None:
        """(Re)start on the same port and data folder."""
        if self.running():
            return
        home = es_home()
        config = self.base / "config"
        if not config.exists():
            shutil.copytree(home / "config", config)
        for sub in ("data", "logs", "tmp"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        argv = [str(home / "bin" / "elasticsearch"), "-p", str(self.base / "es.pid"),
                "-E", f"http.port={self.port}", "-E", f"transport.port={free_port()}",
                "-E", "network.host=127.0.0.1", "-E", "discovery.type=single-node",
                "-E", "xpack.security.enabled=false", "-E", "cluster.name=orchid-test",
                "-E", f"path.data={self.base / 'data'}", "-E", f"path.logs={self.base / 'logs'}",
                "-E", "cluster.routing.allocation.disk.threshold_enabled=false"]
        if os.geteuid() == 0:
            _give_to_nobody(self.base)
            argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                    *argv]
        env = {**os.environ, "ES_JAVA_HOME": _java_home(), "ES_PATH_CONF": str(config),
               "ES_TMPDIR": str(self.base / "tmp"),
               "ES_JAVA_OPTS": f"-Xms256m -Xmx{self.heap}"}
        with self.log.open("ab") as out:
            self._proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT)
        _live[id(self)] = self
        self._wait_ready()

    def _wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"elasticsearch exited during startup:\n{self._tail()}")
            try:
                with urllib.request.urlopen(
                        f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s",
                        timeout=3) as answer:
                    if json.load(answer)["status"] in ("green", "yellow"):
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"elasticsearch not ready after {timeout}s:\n{self._tail()}")

    def stop(self) -> None:
        """SIGTERM the launcher (it stops the server); SIGKILL both by pid if they linger."""
        server_pid = self._server_pid()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if server_pid is not None and _alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
        _live.pop(id(self), None)

    def remove(self) -> None:
        """Stop and delete the node's folder."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def _server_pid(self) -> int | None:
        try:
            return int((self.base / "es.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def _tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_live.values()):
        server.stop()


def _give_to_nobody(base: Path) -> None:
    base.chmod(0o755)
    for path in (base, *base.rglob("*")):
        os.chown(path, NOBODY, NOBODY, follow_symlinks=False)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
