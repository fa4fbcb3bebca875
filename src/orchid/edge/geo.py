"""Country address ranges for the nginx geo map, from an offline data set of a maintained package.

Two sources:

- `tor-geoipdb` (Debian): IPv4 and IPv6 ranges converted from the IPFire Location database,
  refreshed with every Tor release. The ranges are listed outright, so the map is exact.
- `iptocc` (PyPI): the five registries' delegations, refreshed nightly, but it only answers
  point look-ups. IPv4 is swept one /24 at a time (the smallest block routed on the Internet,
  so no finer boundary matters to an edge; ~7 s, cached per iptocc version); IPv6 cannot be
  swept, so with this source IPv6 clients are let through and the map says so.

    render_geo_map(("IN",), "auto", prefix / "conf/orchid/geo-countries.conf")
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

from orchid.stack.servers import ROOT

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
TOR_FILES = (Path("/usr/share/tor/geoip"), Path("/usr/share/tor/geoip6"))
SOURCES = ("auto", "tor-geoipdb", "iptocc")
GEO_CACHE = ROOT / ".cache" / "edge"


class GeoDataMissing(RuntimeError):
    """No offline country data set is installed; the message says how to install one."""


def _tor_ranges(path: Path, countries: set[str]) -> Iterator[tuple[Network, ...]]:
    """Yield the CIDRs of each "from,to,CC" line for `countries` (IPv4 as integers)."""
    with path.open(encoding="ascii") as lines:
        for line in lines:
            if line.startswith("#") or line.rstrip()[-2:] not in countries:
                continue
            first, last, _ = line.strip().split(",")
            start = ipaddress.ip_address(int(first) if first.isdigit() else first)
            end = ipaddress.ip_address(int(last) if last.isdigit() else last)
            yield tuple(ipaddress.summarize_address_range(start, end))


def tor_networks(countries: Iterable[str], files: tuple[Path, ...] = TOR_FILES) -> list[Network]:
    """The networks of `countries` in Debian's tor-geoipdb files."""
    wanted = {c.upper() for c in countries}
    found: list[Network] = []
    for path in files:
        for cidrs in _tor_ranges(path, wanted):
            found.extend(cidrs)
    return found


def iptocc_networks(countries: Iterable[str], *, first_octets: range = range(256)
                    ) -> list[Network]:
    """The IPv4 networks of `countries` by sweeping iptocc one /24 at a time."""
    import iptocc

    wanted = {c.upper() for c in countries}
    found: list[Network] = []
    start: int | None = None  # first /24 of the current run of wanted blocks
    for a in first_octets:
        codes = iptocc.country_code([f"{a}.{b}.{c}.0" for b in range(256) for c in range(256)])
        for i, code in enumerate(codes):
            block = (a << 16) | i
            if code in wanted and start is None:
                start = block
            elif code not in wanted and start is not None:
                found.extend(_blocks(start, block - 1))
                start = None
    if start is not None:
        found.extend(_blocks(start, (first_octets[-1] << 16) | 0xFFFF))
    return found


def _blocks(first: int, last: int) -> Iterator[ipaddress.IPv4Network]:
    """CIDRs covering /24 number `first` through /24 number `last`."""
    return ipaddress.summarize_address_range(ipaddress.IPv4Address(first << 8),
                                             ipaddress.IPv4Address((last << 8) | 0xFF))


def resolve_source(source: str) -> str:
    """The source `auto` stands for here, or GeoDataMissing if none is installed."""
    if source not in SOURCES:
        raise ValueError(f"geo source {source!r} is not one of {', '.join(SOURCES)}")
    tor = all(path.exists() for path in TOR_FILES)
    try:
        metadata.version("iptocc")
        has_iptocc = True
    except metadata.PackageNotFoundError:
        has_iptocc = False
    if source in ("auto", "tor-geoipdb") and tor:
        return "tor-geoipdb"
    if source in ("auto", "iptocc") and has_iptocc:
        return "iptocc"
    raise GeoDataMissing("no IP-to-country data: apt-get install tor-geoipdb "
                         "(or pip install iptocc for IPv4 only)")


def render_geo_map(countries: tuple[str, ...], source: str, target: Path) -> None:
    """Write the `CIDR 1;` lines of `countries` to `target`. The map is built once per data
    version and country list into a cache shared by every edge folder (an iptocc sweep takes
    seconds; tor-geoipdb is tens of thousands of ranges), then copied."""
    chosen = resolve_source(source)
    version = "tor-geoipdb" if chosen == "tor-geoipdb" else f"iptocc {metadata.version('iptocc')}"
    if chosen == "tor-geoipdb":
        version += " " + " ".join(str(int(p.stat().st_mtime)) for p in TOR_FILES)
    stamp = f"# {version} {','.join(sorted(countries))}\n"
    cached = GEO_CACHE / f"geo-{hashlib.sha256(stamp.encode()).hexdigest()[:16]}.conf"
    if not _starts_with(cached, stamp):
        networks = (tor_networks(countries) if chosen == "tor-geoipdb"
                    else iptocc_networks(countries))
        v4 = ipaddress.collapse_addresses(n for n in networks if n.version == 4)
        v6 = ipaddress.collapse_addresses(n for n in networks if n.version == 6)
        lines = [f"{net} 1;" for net in (*v4, *v6)]
        if chosen == "iptocc":  # no IPv6 ranges: let IPv6 through rather than lock out Jio & co.
            lines.append("::/0 1;  # iptocc cannot list IPv6 ranges; IPv6 is not filtered")
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")  # concurrent renders never see half
        partial.write_text(stamp + "\n".join(lines) + "\n", encoding="ascii")
        partial.replace(cached)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, target)


def _starts_with(path: Path, stamp: str) -> bool:
    try:
        with path.open(encoding="ascii") as lines:
            return lines.readline() == stamp
    except OSError:
        return False
