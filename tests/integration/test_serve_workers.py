"""`orchid serve --workers N --services X`: every worker process serves X only, as one would."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.processes import OrchidProcess
from tests.support.stack import TEST_SECRET


def test_every_worker_serves_only_the_services_asked_for(data_dir: Path, tmp_path: Path) -> None:
    env = {"ORCHID_DATA_DIR": str(data_dir), "ORCHID_SECRET_KEY": TEST_SECRET,
           "ORCHID_LOG_JSON": "false"}
    process = OrchidProcess(env, tmp_path / "orchid.log", services="catalog", workers=2)
    try:
        process.wait_ready(timeout=60)
        # A fresh connection each time, so the kernel hands requests to both workers.
        for _ in range(20):
            with httpx.Client(base_url=process.url, timeout=10) as client:
                assert client.get("/api/v1/catalog/brands").status_code == 200
                assert client.get("/api/v1/cart").status_code == 404
                assert client.get("/api/v1/accounts/preferences").status_code == 404
    finally:
        process.stop()
