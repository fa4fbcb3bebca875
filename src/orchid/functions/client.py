"""Calling a function over HTTP as a service does on GCP: a CloudEvent, with an identity token
of the caller's service account for the function's URL.

    client = FunctionClient(http, ServiceAccount.read(settings.service_account_file),
                            settings.function_urls)
    await client.call("abandoned-cart", scheduled("abandoned-cart", now))
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from cloudevents.conversion import to_structured
from cloudevents.http import CloudEvent

from orchid.kit.errors import Unavailable
from orchid.kit.identity import ServiceAccount, mint

SCHEDULED = "google.cloud.scheduler.job.v1.executed"  # what Cloud Scheduler's call carries


def scheduled(job: str, at: datetime, data: dict[str, Any] | None = None) -> CloudEvent:
    """The CloudEvent of a scheduler job's run at `at` (its id: the job and the minute, so a
    retried run is recognisable)."""
    return CloudEvent({"type": SCHEDULED, "source": f"//orchid/scheduler/{job}",
                       "id": f"{job}@{at.strftime('%Y-%m-%dT%H:%M')}",
                       "time": at.isoformat(), "datacontenttype": "application/json"},
                      data or {})


def ad_hoc(source: str, data: dict[str, Any]) -> CloudEvent:
    """A CloudEvent for a one-off call (an operator's, a test's)."""
    return CloudEvent({"type": "orchid.call", "source": source, "id": str(uuid.uuid4()),
                       "datacontenttype": "application/json"}, data)


class FunctionClient:
    """A service's calls to functions, each with a fresh identity token."""

    def __init__(self, http: httpx.AsyncClient, account: ServiceAccount,
                 urls: dict[str, str], *, clock: Callable[[], float] = time.time) -> None:
        self.http, self.account, self.urls, self.clock = http, account, urls, clock

    async def call(self, name: str, event: CloudEvent) -> httpx.Response:
        """POST `event` to function `name`; the function's answer (2xx when it ran)."""
        if name not in self.urls:
            raise Unavailable(f"no URL for function {name} (ORCHID_FUNCTION_URLS)",
                              code="function_unknown")
        url = self.urls[name]
        headers, body = to_structured(event)
        token = mint(self.account, audience=url, now=self.clock())
        return await self.http.post(url, content=body,
                                    headers={**headers, "Authorization": f"Bearer {token}"})
