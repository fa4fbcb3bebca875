"""Catalog and accounts in two processes: staff checks made by catalog reach accounts over HTTP.

The same routes and the same calling code run in the one-process tests; here only the
configuration differs (ORCHID_SERVICES, ORCHID_PEER_URLS and the caller keys).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import STAFF_EMAIL, STAFF_PASSWORD
from tests.support.processes import OrchidProcess
from tests.support.stack import TEST_SECRET, split_env

PRODUCT = {
    "slug": "kesar-glow-face-oil", "name": "Kesar Glow Face Oil", "brand": "kesar-co",
    "category": "face-oils", "published": True,
    "variants": [{"sku": "KES-OIL-30", "name": "30 ml", "size": "30 ml",
                  "mrp_paise": 89900, "price_paise": 74900}],
}


@pytest.fixture
def split(data_dir: Path, tmp_path: Path) -> Iterator[tuple[OrchidProcess, OrchidProcess]]:
    """An accounts process and a catalog process that know each other as peers."""
    base = {"ORCHID_DATA_DIR": str(data_dir), "ORCHID_SECRET_KEY": TEST_SECRET,
            "ORCHID_LOG_JSON": "false"}
    subprocess.run([sys.executable, "-m", "orchid", "user", "create", "--email", STAFF_EMAIL],
                   env={**os.environ, **base, "ORCHID_NEW_USER_PASSWORD": STAFF_PASSWORD},
                   check=True, capture_output=True)
    accounts = OrchidProcess({**base, **split_env(["accounts"])},
                             tmp_path / "accounts.log", services="accounts")
    catalog = OrchidProcess({**base, **split_env(["catalog"]),
                             "ORCHID_PEER_URLS": f"accounts={accounts.url}"},
                            tmp_path / "catalog.log", services="catalog")
    try:
        yield accounts.wait_ready(), catalog.wait_ready()
    finally:
        catalog.stop()
        accounts.stop()
    assert accounts.proc.poll() is not None and catalog.proc.poll() is not None


def test_each_process_serves_only_its_services(split: tuple[OrchidProcess, OrchidProcess]) -> None:
    accounts, catalog = split
    assert httpx.get(f"{catalog.url}/api/v1/catalog/brands").status_code == 200
    assert httpx.get(f"{accounts.url}/api/v1/catalog/brands").status_code == 404
    assert httpx.post(f"{catalog.url}/api/v1/accounts/login", json={}).status_code == 404


def test_staff_write_on_catalog_is_authorised_by_remote_accounts(
        split: tuple[OrchidProcess, OrchidProcess]) -> None:
    accounts, catalog = split
    login = httpx.post(f"{accounts.url}/api/v1/accounts/login",
                       json={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert login.status_code == 200, login.text
    staff = {"Authorization": f"Bearer {login.json()['token']}"}
    customer = httpx.post(f"{accounts.url}/api/v1/accounts/register", json={
        "email": "asha@example.in", "password": "a-long-password-1", "name": "Asha Rao"})
    assert customer.status_code == 201, customer.text
    as_customer = {"Authorization": f"Bearer {customer.json()['token']}"}

    with httpx.Client(base_url=catalog.url) as client:
        assert client.post("/api/v1/catalog/brands", headers=staff,
                           json={"slug": "kesar-co", "name": "Kesar & Co."}).status_code == 201
        assert client.post("/api/v1/catalog/categories", headers=staff,
                           json={"slug": "face-oils", "name": "Face Oils"}).status_code == 201
        assert client.post("/api/v1/catalog/products", headers=as_customer,
                           json=PRODUCT).status_code == 403
        assert client.post("/api/v1/catalog/products", json=PRODUCT).status_code == 401
        created = client.post("/api/v1/catalog/products", headers=staff, json=PRODUCT)
        assert created.status_code == 201, created.text
        page = client.get("/api/v1/catalog/products/kesar-glow-face-oil")
        assert page.status_code == 200 and page.json()["brand"]["name"] == "Kesar & Co."
        metrics = client.get("/metrics").text
    assert 'orchid_remote_calls_total{outcome="ok",service="accounts"}' in metrics


def test_catalog_answers_503_when_accounts_is_gone(
        split: tuple[OrchidProcess, OrchidProcess]) -> None:
    accounts, catalog = split
    login = httpx.post(f"{accounts.url}/api/v1/accounts/login",
                       json={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    token = login.json()["token"]
    accounts.stop()
    response = httpx.post(f"{catalog.url}/api/v1/catalog/brands",
                          headers={"Authorization": f"Bearer {token}"},
                          json={"slug": "late-brand", "name": "Late Brand"})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert httpx.get(f"{catalog.url}/api/v1/catalog/brands").status_code == 200
