"""Gather into one folder everything a venv needs to run, and nothing else: the image's last stage.

Run by the Dockerfile's `runtime` stage with the base image's own python3:

    python3 runtime_root.py --venv /opt/orchid --into /rootfs --uid 10001

It copies the venv, the interpreter (through its chain of symlinks), the standard library
without the parts a server never imports, every shared library that `ldd` says those ELF files
load (plus libgcc_s, which glibc opens by name when a thread exits), the CA bundle and the time
zones, then writes /etc/passwd, /etc/group and /etc/nsswitch.conf for the one user, and compiles
bytecode ahead (the root filesystem is read-only at run time). No shell, package manager or
coreutils come along. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

# Never imported by a server; tests, GUIs, installers and the 2to3 tool.
STDLIB_LEFT_OUT = frozenset({"test", "tests", "idlelib", "tkinter", "turtledemo", "ensurepip",
                             "lib2to3", "pydoc_data", "idle_test", "__phello__"})
# Opened with dlopen by glibc (thread cancellation and exit), so ldd does not list it.
DLOPENED = ("libgcc_s.so.1",)
LIBRARY_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                "/lib", "/usr/lib", "/usr/local/lib")
DATA = ("/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo", "/etc/ssl/openssl.cnf")
LDD_LINE = re.compile(r"(?:=>\s*)?(/\S+)\s+\(0x[0-9a-f]+\)")


def copy_path(source: Path, root: Path) -> None:
    """Copy one file or symlink to the same place under `root`, following a link's chain."""
    target = root / source.relative_to("/")
    if source.is_symlink():
        link = os.readlink(source)
        if not target.is_symlink():
            ensure_parent(source.parent, root)
            target.symlink_to(link)
        copy_path(Path(os.path.normpath(source.parent / link)), root)
        return
    if target.exists():
        return
    ensure_parent(source.parent, root)
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target)


def ensure_parent(folder: Path, root: Path) -> None:
    """Make `folder` under `root`, keeping symlinked folders (usrmerge's /lib → usr/lib) links."""
    if folder == Path("/"):
        return
    target = root / folder.relative_to("/")
    if target.exists() or target.is_symlink():
        return
    ensure_parent(folder.parent, root)
    if folder.is_symlink():
        target.symlink_to(os.readlink(folder))
        ensure_parent(Path(os.path.normpath(folder.parent / os.readlink(folder))), root)
    else:
        target.mkdir()
        shutil.copystat(folder, target)


def copy_tree(source: Path, root: Path, *, left_out: frozenset[str] = frozenset()) -> None:
    """Copy a folder to the same place under `root`, without the named subfolders."""
    ensure_parent(source.parent, root)
    shutil.copytree(source, root / source.relative_to("/"), symlinks=True, dirs_exist_ok=True,
                    ignore=lambda _, names: [n for n in names if n in left_out])


def is_elf(path: Path) -> bool:
    """True for an ELF file (an executable or a shared library)."""
    try:
        with path.open("rb") as file:
            return file.read(4) == b"\x7fELF"
    except OSError:
        return False


def libraries_of(files: list[Path]) -> set[Path]:
    """The shared libraries (and the loader) that `ldd` says these ELF files load."""
    found: set[Path] = set()
    for path in files:
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
        if "not found" in out.stdout:
            raise SystemExit(f"{path} needs a library the base image lacks:\n{out.stdout}")
        found |= {Path(m.group(1)) for m in LDD_LINE.finditer(out.stdout)}
    return found


def dlopened() -> set[Path]:
    """The libraries glibc opens by name at run time."""
    found = set()
    for name in DLOPENED:
        hits = [Path(d) / name for d in LIBRARY_DIRS if (Path(d) / name).exists()]
        if not hits:
            raise SystemExit(f"{name} is not in the base image")
        found.add(hits[0])
    return found


def write_accounts(root: Path, uid: int) -> None:
    """The image's only users: root (owning the files) and the app's user."""
    etc = root / "etc"
    etc.mkdir(exist_ok=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/nonexistent\n"
                                f"orchid:x:{uid}:{uid}:orchid:/var/lib/orchid:/nonexistent\n")
    (etc / "group").write_text(f"root:x:0:\norchid:x:{uid}:\n")
    (etc / "nsswitch.conf").write_text("passwd: files\ngroup: files\nhosts: files dns\n")


def make_dirs(root: Path, uid: int) -> None:
    """/tmp for everyone, the data folder for the app's user (both volumes in the cluster)."""
    tmp = root / "tmp"
    tmp.mkdir(exist_ok=True)
    tmp.chmod(0o1777)
    data = root / "var" / "lib" / "orchid"
    data.mkdir(parents=True, exist_ok=True)
    os.chown(data, uid, uid)
    data.chmod(0o750)


def main() -> None:
    """Build the runtime root from the arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--into", type=Path, required=True)
    parser.add_argument("--uid", type=int, default=10001)
    args = parser.parse_args()
    root: Path = args.into
    root.mkdir(parents=True, exist_ok=True)

    copy_tree(args.venv, root)
    # pip stays behind: nothing is installed into a running image.
    for leftover in [*(root / args.venv.relative_to("/") / "bin").glob("pip*"),
                     *(root / args.venv.relative_to("/")).glob("lib/python3*/site-packages/pip*")]:
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    copy_path(args.venv / "bin" / "python3", root)  # the chain down to the base's interpreter
    stdlib = Path(sysconfig.get_path("stdlib"))
    copy_tree(stdlib, root, left_out=STDLIB_LEFT_OUT)
    dynload = Path(sysconfig.get_path("platstdlib")) / "lib-dynload"
    if dynload.is_dir() and not dynload.is_relative_to(stdlib):
        copy_tree(dynload, root)
    for item in DATA:
        if Path(item).exists():
            copy_path(Path(item), root)

    elves = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)]
    shipped = [Path("/") / p.relative_to(root) for p in elves]
    for library in sorted(libraries_of(shipped) | dlopened()):
        copy_path(library, root)
    for link, to in (("usr/lib/ssl/cert.pem", "/etc/ssl/certs/ca-certificates.crt"),
                     ("usr/lib/ssl/openssl.cnf", "/etc/ssl/openssl.cnf")):
        if not (root / link).exists() and (root / to.lstrip("/")).exists():
            (root / link).parent.mkdir(parents=True, exist_ok=True)
            (root / link).symlink_to(to)

    write_accounts(root, args.uid)
    make_dirs(root, args.uid)
    for folder in (root / stdlib.relative_to("/"), root / args.venv.relative_to("/")):
        compileall.compile_dir(folder, quiet=1, workers=0, stripdir=str(root), prependdir="/")
    print(f"runtime root: {sum(1 for _ in root.rglob('*'))} entries, "
          f"{len(elves)} ELF files and their libraries", file=sys.stderr)


if __name__ == "__main__":
    main()
