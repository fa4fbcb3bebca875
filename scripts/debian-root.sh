#!/usr/bin/env bash
# A minimal Debian 12 root with Python 3.11, made once into .cache/debian/bookworm-python.tar:
# `podman import` turns it into the image test's Python base (the Dockerfile's PYTHON_IMAGE),
# and the Ansible test unpacks it as a throwaway management VM to run the playbook against.
# Needs root (debootstrap); the downloaded packages stay in .cache/debian/debs for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/.cache/debian
tarball=$out/bookworm-python.tar
[ -s "$tarball" ] && exit 0
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$out/debs"
root=$(mktemp -d "$out/root.XXXXXX")
chmod 0755 "$root"  # the image's / and the VM's: mktemp made it 0700
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm (minbase + python3) into $root"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  --cache-dir="$out/debs" bookworm "$root" "$mirror" > "$out/debootstrap.log" 2>&1 \
  || { tail -n 30 "$out/debootstrap.log"; exit 1; }
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
echo "made $tarball"
