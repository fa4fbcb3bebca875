"""Country ranges from the offline data sets."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from orchid.edge.geo import iptocc_networks, resolve_source, tor_networks


def test_tor_geoipdb_lines_become_networks(tmp_path: Path) -> None:
    v4, v6 = tmp_path / "geoip", tmp_path / "geoip6"
    first, last = int(ipaddress.ip_address("49.32.0.0")), int(ipaddress.ip_address("49.47.255.255"))
    v4.write_text(f"# comment\n{first},{last},IN\n134744072,134744072,US\n")
    v6.write_text("2409:4000::,2409:43ff:ffff:ffff:ffff:ffff:ffff:ffff,IN\n"
                  "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,US\n")
    networks = [str(n) for n in tor_networks(["in"], files=(v4, v6))]
    assert networks == ["49.32.0.0/12", "2409:4000::/22"]


def test_iptocc_sweep_finds_indian_blocks() -> None:
    networks = iptocc_networks(("IN",), first_octets=range(49, 50))
    jio = ipaddress.ip_address("49.36.10.1")
    assert any(jio in net for net in networks)
    assert not any(ipaddress.ip_address("49.0.0.1") in net for net in networks)  # not IN


def test_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError):
        resolve_source("maxmind")
