"""The edge's own answers: a short HTML page for people, problem+json for API clients.

The request id travels in the X-Request-ID header of every answer, so support can find the
request in the edge's log from a customer's screenshot.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

# name → (status, title, code, what the customer reads)
PAGES: dict[str, tuple[int, str, str, str]] = {
    "geo": (403, "Not available in your region", "geo_blocked",
            "Orchid delivers in India only, so the shop is open to visitors from India. "
            "If you are in India and see this, please write to care@orchid.example with the "
            "request id below."),
    "waf": (403, "Request blocked", "request_blocked",
            "Our firewall stopped this request because it looked like an attack. If you were "
            "only shopping, please try again or write to care@orchid.example."),
    "bot": (403, "Automated client blocked", "bot_blocked",
            "This client identifies as a security scanner, which is not allowed here."),
    "crawler": (403, "Not for crawlers", "crawler_blocked",
                "Search-engine crawlers may read product and search pages only."),
    "manage": (403, "Not reachable from your network", "manage_network",
               "The management site is reachable from the office and VPN networks only."),
    "staff": (401, "Staff sign-in required", "staff_sign_in",
              "Sign in with a staff account to use the management site."),
    "404": (404, "Not found", "not_found", "There is nothing at this address."),
    "429": (429, "Too many requests", "rate_limited",
            "You are sending requests faster than we can serve them. Please wait a moment "
            "(see Retry-After) and try again."),
    "5xx": (503, "Temporarily unavailable", "upstream_unavailable",
            "The shop is briefly unavailable. Please try again in a minute."),
}


def _html(status: int, title: str, detail: str) -> str:
    shown = f"HTTP {status}. " if status < 500 else ""  # 5xx: one page for 502, 503 and 504
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)} — Orchid</title></head>\n"
            f"<body style=\"font-family:sans-serif;max-width:36em;margin:4em auto\">\n"
            f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(detail)}</p>\n"
            f"<p><small>{shown}The request id is in the X-Request-ID response header."
            f"</small></p>\n</body></html>\n")


def _problem(status: int, title: str, code: str, detail: str) -> str:
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status,
                               "code": code, "detail": detail}
    if status >= 500:
        del body["status"]  # one page for 502, 503 and 504
    return json.dumps(body) + "\n"


def write_pages(folder: Path) -> None:
    """Write every page as `<name>.html` and `<name>.json` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (status, title, code, detail) in PAGES.items():
        (folder / f"{name}.html").write_text(_html(status, title, detail), encoding="utf-8")
        (folder / f"{name}.json").write_text(_problem(status, title, code, detail),
                                             encoding="utf-8")
