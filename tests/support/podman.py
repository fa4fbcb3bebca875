"""Podman for the image test: the Python base made from a debootstrapped root, the build, and
containers run as the cluster runs them — non-root, read-only root, all capabilities dropped.

No registry is reachable here, so the Dockerfile's pinned `python:3.11-slim` base is replaced by
`.cache/debian/bookworm-python.tar` (scripts/debian-root.sh: Debian 12 with its Python 3.11)
imported under BASE_IMAGE and passed as the PYTHON_IMAGE build argument. Containers run with
runc and low limits: crun, and higher limits, are refused on these machines (setrlimit).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

from orchid.stack.servers import free_port
from tests.support.ports import port_was_taken
from tests.support.waiting import until

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "image" / "Dockerfile"
BASE_TARBALL = ROOT / ".cache" / "debian" / "bookworm-python.tar"
BASE_IMAGE = "localhost/orchid/python-base:3.11-bookworm"
DEPS_IMAGE = "localhost/orchid/build-deps:latest"  # the dependencies' wheels, kept as a cache
INSTALL_HINT = "run `make deploy-tools` (Debian's podman and runc, and the debootstrapped root)"
RUNTIME = ["--runtime", "runc"]
LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
# How the pods run (deploy/k8s): read-only root, no capabilities, no privilege escalation; the
# data folder and /tmp are the only writable places (emptyDir volumes there).
HARDENED = ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--tmpfs", "/tmp:rw,U", "--tmpfs", "/var/lib/orchid:rw,U"]
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def require_podman() -> None:
    """Fail, saying how to install them, when podman, runc or the base root are missing."""
    missing = [tool for tool in ("podman", "runc") if shutil.which(tool) is None]
    if not BASE_TARBALL.exists():
        missing.append(str(BASE_TARBALL.relative_to(ROOT)))
    assert not missing, f"missing {', '.join(missing)}: {INSTALL_HINT}"


def podman(*args: str, timeout: float = 120, check: bool = True) -> str:
    """Run one podman command; its output, or an AssertionError carrying what it printed."""
    done = podman_result(*args, timeout=timeout)
    if check:
        assert done.returncode == 0, (f"podman {' '.join(args[:3])} … exited "
                                      f"{done.returncode}:\n{done.stdout[-3000:]}\n"
                                      f"{done.stderr[-3000:]}")
    return done.stdout


def podman_result(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run one podman command and return how it ended, whatever that was."""
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def import_base() -> str:
    """The debootstrapped root as the Python base image; return its name.

    Named by what is installed in it (the digest of its dpkg status), and imported only when no
    image of that name exists: a root debootstrapped again with the same packages is the same
    base, so podman's layer cache from earlier builds still applies to it.
    """
    with tarfile.open(BASE_TARBALL) as tar:
        status = tar.extractfile("./var/lib/dpkg/status")
        assert status is not None, f"{BASE_TARBALL} has no dpkg status"
        packages = hashlib.sha256(status.read()).hexdigest()[:16]
    name = f"{BASE_IMAGE}-{packages}"
    if podman_result("image", "exists", name).returncode != 0:
        podman("import", "--change", "CMD [\"/usr/bin/python3\"]", str(BASE_TARBALL), name)
    return name


def build(tag: str, *, base: str) -> None:
    """Build the Dockerfile from the repository root on `base`, tagging the image `tag`.

    The dependencies' stage is built and tagged first (DEPS_IMAGE): a tagged image keeps its
    layers through `prune`, so the next build reuses them unless pyproject.toml changed.
    """
    args = ["build", *RUNTIME, *LIMITS, "--network", "host", "--layers",
            "--build-arg", f"PYTHON_IMAGE={base}", "-f", str(DOCKERFILE)]
    if CA_BUNDLE.exists():  # this machine's proxy CA, for pip in the wheel stages
        args += ["--secret", f"id=ca-bundle,src={CA_BUNDLE}"]
    podman(*args, "--target", "deps", "-t", DEPS_IMAGE, str(ROOT), timeout=1200)
    podman(*args, "-t", tag, str(ROOT), timeout=1200)


def remove(tag: str) -> None:
    """Remove an image and the untagged stages its build left (the dependencies' stay)."""
    podman("rmi", "--force", tag, check=False)
    podman("image", "prune", "--force", check=False)


def inspect(image: str) -> dict[str, object]:
    """The image's configuration as `podman image inspect` reports it."""
    found: list[dict[str, object]] = json.loads(podman("image", "inspect", image))
    return found[0]


def files_of(image: str) -> dict[str, str]:
    """Every path in the image's filesystem, with its type ('f', 'd', 'l')."""
    container = podman("create", image).strip()
    try:
        listing = subprocess.run(
            f"podman export {container} | tar -tv", shell=True, capture_output=True, text=True,
            timeout=120, check=True).stdout
    finally:
        podman("rm", "--force", container)
    kinds = {"-": "f", "d": "d", "l": "l", "h": "f"}
    found = {}
    for line in listing.splitlines():
        parts = line.split(maxsplit=5)
        name = parts[5].split(" -> ")[0].removeprefix("./").rstrip("/")
        found["/" + name] = kinds.get(line[0], line[0])
    return found


def run_once(image: str, *args: str, env: Mapping[str, str] | None = None,
             volumes: Mapping[Path, str] | None = None,
             entrypoint: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the image's command to its end (hardened, host network) and return how it ended."""
    options = [*_options(env, volumes), "--rm"]
    if entrypoint is not None:
        options += ["--entrypoint", entrypoint]
    return podman_result(*RUNTIME, "run", *options, image, *args, timeout=300)


@dataclass
class Container:
    """A detached container serving HTTP on 127.0.0.1:port (host network)."""

    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return podman("logs", self.name, check=False)

    def running(self) -> bool:
        return podman("container", "inspect", "--format", "{{.State.Running}}", self.name,
                      check=False).strip() == "true"


@contextmanager
def serving(image: str, name: str, *, env: Mapping[str, str],
            volumes: Mapping[Path, str] | None = None,
            attempts: int = 3) -> Iterator[Container]:
    """`orchid serve` from the image on a free loopback port; stopped and removed after."""
    for attempt in range(attempts):
        container = Container(name, free_port())
        served = {**env, "ORCHID_HOST": "127.0.0.1", "ORCHID_PORT": str(container.port)}
        podman(*RUNTIME, "run", "--detach", "--name", name, *_options(served, volumes), image)
        try:
            until(partial(_settled, container), timeout=90, what=f"{name} answering /healthz")
            if not container.running():
                logs = container.logs()
                assert port_was_taken(logs) and attempt < attempts - 1, logs[-3000:]
                continue
            yield container
            return
        finally:
            podman("stop", "--time", "10", name, check=False)
            podman("rm", "--force", name, check=False)


def _settled(container: Container) -> bool:
    """True once the container answers /healthz, or has stopped (a taken port, a crash)."""
    return _answers(container) or not container.running()


def _answers(container: Container) -> bool:
    try:
        return httpx.get(f"{container.url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _options(env: Mapping[str, str] | None, volumes: Mapping[Path, str] | None) -> list[str]:
    options = [*LIMITS, *HARDENED, "--network", "host"]
    for key, value in (env or {}).items():
        options += ["--env", f"{key}={value}"]
    for source, target in (volumes or {}).items():
        options += ["--volume", f"{source}:{target}:ro"]
    return options
