"""Browser tests: Debian's Chromium, driven by Playwright, against a real `orchid serve`.

The app runs as a child process on an embedded SQLite data dir seeded with 300 products; the
dev SMS sender writes sign-in codes to its log, which is where the tests read them. Screenshots
of every page go to test-artifacts/screenshots/<viewport>/<page>.png.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Playwright, sync_playwright

from orchid.kit.callers import as_pairs
from orchid.services.registry import SERVICE_NAMES, remote_peers
from tests.browser.pages import Viewport
from tests.support.processes import OrchidProcess, seeded_env
from tests.support.stack import split_env

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = Viewport("desktop", 1280, 800)
PHONE = Viewport("phone", 390, 844, mobile=True)


@dataclass(frozen=True)
class Shop:
    """The running shop: where it answers and where it logs."""

    url: str
    log: Path


@pytest.fixture(scope="session")
def shop(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """`orchid serve` on a data dir seeded with 300 products and 10 customers."""
    folder = tmp_path_factory.mktemp("shop")
    env = seeded_env(migrated_template, folder, products=300, customers=10,
                     ORCHID_LOG_JSON="true")
    log = folder / "orchid.log"
    process = OrchidProcess(env, log)
    try:
        yield Shop(process.wait_ready().url, log)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def split_shop(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Shop]:
    """The storefront in its own process, every other service in a second one (as in the
    per-service stack): sign-in, addresses, cart and checkout are remote calls."""
    folder = tmp_path_factory.mktemp("split-shop")
    env = seeded_env(migrated_template, folder, products=300, customers=10,
                     ORCHID_LOG_JSON="true")
    others = [name for name in SERVICE_NAMES if name != "storefront"]
    services = OrchidProcess({**env, **split_env(others)}, folder / "services.log",
                             services=",".join(others))
    peers = as_pairs({name: services.url for name in remote_peers(["storefront"])})
    storefront = OrchidProcess({**env, **split_env(["storefront"]), "ORCHID_PEER_URLS": peers},
                               folder / "storefront.log", services="storefront")
    try:
        services.wait_ready()
        yield Shop(storefront.wait_ready().url, folder / "services.log")
    finally:
        storefront.stop()
        services.stop()


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    """Playwright's driver (its own browser download is never used).

    Per test, not per session: while it runs, its event loop is the thread's running loop, and
    the async tests after these would find it there.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
                    "(apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver


def open_browser(playwright: Playwright, viewport: Viewport, profile: Path, *,
                 javascript: bool = True) -> BrowserContext:
    """Launch headless Chromium with a fresh profile at `viewport`'s size."""
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": viewport.width, "height": viewport.height},
        is_mobile=viewport.mobile, has_touch=viewport.mobile, device_scale_factor=1,
        java_script_enabled=javascript, locale="en-IN", timezone_id="Asia/Kolkata")


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder the screenshots go to (emptied once per session)."""
    folder = ARTIFACTS / "screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
