"""A throwaway Debian 12 machine made from the debootstrapped root (scripts/debian-root.sh).

    with debian_root(tmp_path / "root") as root:   # unpacked, /proc mounted, no services start
        root.run("nginx", "-t")                    # a command inside it, as its root user

Packages installed inside never start their services (a policy-rc.d that refuses), and every
mount made here is undone when the block ends, whatever happened in it; the root is then
deleted, but only once nothing is mounted under it any more.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARBALL = REPO / ".cache" / "debian" / "bookworm-python.tar"
POLICY = "#!/bin/sh\n# Packages installed in this root never start their services.\nexit 101\n"


class DebianRoot:
    """An unpacked Debian root and the mounts made under it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.mounts: list[Path] = []

    def inside(self, path: str) -> Path:
        """The host's path of `path` inside the root."""
        return self.path / path.lstrip("/")

    def run(self, *argv: str, env: dict[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `argv` inside the root as its root user; stdout and stderr captured."""
        done = subprocess.run(["chroot", str(self.path), *argv], capture_output=True, text=True,
                              env=env or {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                          "LANG": "C.UTF-8"})
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {done.returncode} in {self.path}:\n"
                                 f"{done.stdout[-2000:]}{done.stderr[-3000:]}")
        return done

    def mount(self, *argv: str, at: str) -> None:
        """Mount (`mount argv… <root>/<at>`), remembered for the unmount at the end."""
        target = self.inside(at)
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *argv, str(target)], check=True)
        self.mounts.append(target)

    def unmount_all(self) -> None:
        """Undo every mount, newest first; a busy one is detached lazily."""
        while self.mounts:
            target = self.mounts.pop()
            if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "--lazy", str(target)], check=True)

    def mounted_under(self) -> list[str]:
        """Mount points under the root that the kernel still lists."""
        prefix = str(self.path.resolve()) + "/"
        points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
        return [point for point in points if point.startswith(prefix)]


def require_tarball() -> None:
    """Fail (never skip) when the Debian root has not been made."""
    if not TARBALL.is_file():
        raise AssertionError(f"{TARBALL} is missing: run `make deploy-tools` (as root) first")


APT_ARCHIVES = "/var/cache/apt/archives"


@contextmanager
def debian_root(path: Path) -> Iterator[DebianRoot]:
    """Unpack the Debian root at `path` with /proc mounted; unmount and delete it afterwards."""
    require_tarball()
    path.mkdir(parents=True)
    root = DebianRoot(path)
    try:
        subprocess.run(["tar", "-C", str(path), "--numeric-owner", "-xf", str(TARBALL)],
                       check=True)
        path.chmod(0o755)  # mktemp's 0700 in the tarball: a machine's / is open to its users
        policy = root.inside("/usr/sbin/policy-rc.d")
        policy.write_text(POLICY)
        policy.chmod(0o755)
        resolv = root.inside("/etc/resolv.conf")
        resolv.unlink(missing_ok=True)
        shutil.copyfile("/etc/resolv.conf", resolv)  # apt inside reaches Debian's mirror
        resolv.chmod(0o644)
        root.mount("-t", "proc", "proc", at="/proc")  # some packages' scripts read it
        # apt's own download cache, shared with this machine's (the same Debian 12 packages):
        # a package fetched once is not fetched again by the next run.
        root.mount("--bind", APT_ARCHIVES, at=APT_ARCHIVES)
        yield root
    finally:
        root.unmount_all()
        left = root.mounted_under()
        assert not left, f"still mounted under {path}: {left}; not deleting it"
        shutil.rmtree(path, ignore_errors=True)
