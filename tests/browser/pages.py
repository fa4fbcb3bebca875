"""What the browser tests check on every page: its weight, basic accessibility, that its
Content-Security-Policy blocked nothing, and a screenshot."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Page, Response

MAX_PAGE_BYTES = 100 * 1024  # HTML + CSS + JS of one page, before images
OTP_TEXT = re.compile(r"\b([0-9]{6}) is your Orchid sign-in code")

# Runs in the page: the basic accessibility rules every shop page must keep.
AUDIT_JS = """() => {
  const problems = [];
  if (document.documentElement.lang !== "en-IN") problems.push("html lang is not en-IN");
  const h1s = document.querySelectorAll("h1").length;
  if (h1s !== 1) problems.push(`${h1s} h1 elements`);
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`img without alt: ${img.src}`);
  }
  const fields = document.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea");
  for (const el of fields) {
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label")
      || el.getAttribute("aria-labelledby");
    if (!named) problems.push(`unlabelled ${el.tagName} ${el.name}`);
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    const alts = [...el.querySelectorAll("img[alt]")].map(i => i.alt).join("").trim();
    const text = (el.textContent || "").trim() || el.getAttribute("aria-label") || alts;
    if (!text) problems.push(`${el.tagName} without a name: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll("[tabindex]")) {
    if (Number(el.getAttribute("tabindex")) > 0) problems.push("a positive tabindex");
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    problems.push("the page scrolls sideways");
  }
  return problems;
}"""


# Runs before the page's own scripts: remember every CSP violation the page reports.
WATCH_CSP_JS = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e => window.__cspViolations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:` +
  `${e.lineNumber}`));"""


@dataclass(frozen=True)
class Viewport:
    """A browser window size the journey runs in."""

    name: str
    width: int
    height: int
    mobile: bool = False


@dataclass
class Recorder:
    """Screenshots, weights and accessibility findings of the pages one run visits."""

    page: Page
    folder: Path
    weights: dict[str, int] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)  # the browser's CSP complaints

    def __post_init__(self) -> None:
        self.page.add_init_script(WATCH_CSP_JS)
        self.page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.blocked.append(message.text)

    def check(self, name: str, response: Response | None = None) -> None:
        """Screenshot the current page, weigh it and audit it; fail on any limit, and on
        anything the page's Content-Security-Policy blocked."""
        self.page.wait_for_load_state("load")
        if response is not None:
            assert "script-src 'self'" in response.headers["content-security-policy"], name
        violations: list[str] = self.page.evaluate("window.__cspViolations || []")
        assert (violations, self.blocked) == ([], []), name
        self.folder.mkdir(parents=True, exist_ok=True)
        # From the top: a sticky header would sit mid-picture on a page scrolled to an anchor.
        self.page.evaluate("window.scrollTo(0, 0)")
        # A full-page picture shows what lies below the fold: load lazy images first.
        self.page.evaluate("document.querySelectorAll('img[loading=lazy]')"
                           ".forEach(img => { img.loading = 'eager'; })")
        self.page.wait_for_function("() => [...document.images].every(img => img.complete)")
        self.page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        self.weights[name] = weigh(self.page, response)
        (self.folder / "page-weights.json").write_text(json.dumps(self.weights, indent=2))
        assert self.weights[name] <= MAX_PAGE_BYTES, (name, self.weights[name])
        problems: list[str] = self.page.evaluate(AUDIT_JS)
        assert problems == [], (name, problems)


def weigh(page: Page, response: Response | None) -> int:
    """Bytes of the page's HTML plus every stylesheet and script it loads."""
    html = response.body() if response is not None else page.content().encode()
    urls: list[str] = page.evaluate("""() => [
        ...[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href),
        ...[...document.querySelectorAll('script[src]')].map(s => s.src)]""")
    assets = sum(len(page.context.request.get(url).body()) for url in urls)
    return len(html) + assets


def read_otp(log: Path, phone: str, *, timeout: float = 10.0) -> str:
    """Return the last sign-in code the dev SMS sender logged for `phone`."""
    deadline = time.monotonic() + timeout
    while True:
        for line in reversed(log.read_text().splitlines()):
            entry: dict[str, Any] = {}
            if line.startswith("{"):
                entry = json.loads(line)
            if entry.get("event") == "sms_dev_send" and entry.get("phone") == phone:
                found = OTP_TEXT.search(str(entry.get("text", "")))
                if found:
                    return found.group(1)
        if time.monotonic() > deadline:
            raise AssertionError(f"no sign-in code for {phone} in {log}")
        time.sleep(0.1)
