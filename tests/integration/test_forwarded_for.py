"""Per-IP limits and Secure cookies follow the edge's forwarded headers, a forged header elsewhere
is ignored, and no forwarded header unlocks /metrics.

Three OTP sends from three forwarded addresses: with the edge trusted each address has its own
budget (one send each, all accepted); without it the header is ignored and all three count
against 127.0.0.1, so the second is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import OrchidProcess
from tests.support.stack import TEST_SECRET

SHOPPERS = ("49.36.10.1", "106.51.20.2", "117.99.30.3")


@pytest.fixture(params=[True, False], ids=["edge-trusted", "no-proxy-trusted"])
def server(request: pytest.FixtureRequest, data_dir: Path,
           tmp_path: Path) -> Iterator[tuple[OrchidProcess, bool]]:
    trusted: bool = request.param
    env = {"ORCHID_DATA_DIR": str(data_dir), "ORCHID_SECRET_KEY": TEST_SECRET,
           "ORCHID_LOG_JSON": "false", "ORCHID_OTP_SENDS_PER_IP": "1"}
    if trusted:
        env["ORCHID_TRUSTED_PROXIES"] = "127.0.0.1"
    process = OrchidProcess(env, tmp_path / "orchid.log", services="accounts")
    try:
        yield process.wait_ready(), trusted
    finally:
        process.stop()


def test_per_ip_limits_use_the_forwarded_address_only_from_the_edge(
        server: tuple[OrchidProcess, bool]) -> None:
    process, trusted = server
    statuses = []
    for i, address in enumerate(SHOPPERS):
        answer = httpx.post(f"{process.url}/api/v1/accounts/otp/send",
                            json={"phone": f"98123 4567{i}"},
                            headers={"X-Forwarded-For": address}, timeout=10)
        statuses.append(answer.status_code)
    if trusted:
        assert statuses == [202, 202, 202]
    else:
        assert statuses == [202, 429, 429]


def test_cookies_are_secure_when_the_edge_says_tls_carried_the_request(
        server: tuple[OrchidProcess, bool]) -> None:
    process, trusted = server
    answer = httpx.put(f"{process.url}/api/v1/accounts/preferences", json={"currency": "USD"},
                       headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert answer.status_code == 200, answer.text
    attributes = [part.strip().lower() for part in answer.headers["set-cookie"].split(";")]
    # uvicorn believes X-Forwarded-Proto from the trusted edge only, as it does X-Forwarded-For.
    assert ("secure" in attributes) is trusted


def test_a_forwarded_header_never_unlocks_metrics(server: tuple[OrchidProcess, bool]) -> None:
    process, trusted = server
    assert httpx.get(f"{process.url}/metrics", timeout=10).status_code == 200  # a scrape
    # Trusted, uvicorn makes the client 49.36.10.1 or 127.0.0.1 from the header; untrusted, it
    # keeps the loopback peer. Either way the request came through (or claims) a proxy.
    for claimed in ("49.36.10.1", "127.0.0.1"):
        refused = httpx.get(f"{process.url}/metrics", headers={"X-Forwarded-For": claimed},
                            timeout=10)
        assert refused.status_code == 403, (trusted, claimed)
        assert refused.headers["content-type"] == "application/problem+json"
