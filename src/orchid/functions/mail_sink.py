"""The stack's mail sink: a real SMTP server on loopback that delivers nowhere, keeping each
message it receives as one JSON line in a file (what `orchid functions mail-sink` runs, and
what ORCHID_SMTP_URL points the functions at on one machine).

    serve_sink("127.0.0.1", 2525, state / "mail" / "messages.jsonl")   # until SIGTERM/SIGINT
    read_messages(state / "mail" / "messages.jsonl")[-1]["subject"]

A line: {"from", "to" (the envelope's recipients), "subject", "text" (the plain-text body),
"received_at" (UTC, ISO 8601)}. Lines are appended whole, so a reader never sees half a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

log = structlog.get_logger("orchid.mail_sink")
SERVER_NAME = "orchid-mail-sink"  # its EHLO name (the default would ask DNS for the FQDN)
CLOSE_SECONDS = 5.0


def text_of(message: EmailMessage) -> str:
    """The plain-text body of a message ("" when it has none), with the wire's CRLFs as \\n."""
    body = message.get_body(preferencelist=("plain",))
    return str(body.get_content()).replace("\r\n", "\n") if body is not None else ""


class SinkHandler:
    """aiosmtpd's handler: append every message to the messages file."""

    def __init__(self, messages: Path) -> None:
        self.messages = messages

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        content = raw if isinstance(raw, bytes) else raw.encode()
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)  # what policy.default builds
        line = json.dumps({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                           "subject": str(parsed.get("Subject", "")), "text": text_of(parsed),
                           "received_at": datetime.now(UTC).isoformat()}, ensure_ascii=False)
        with self.messages.open("a", encoding="utf-8") as out:
            out.write(line + "\n")  # one write per message: lines never interleave
        log.info("mail_sink_received", recipients=len(envelope.rcpt_tos), bytes=len(content))
        return "250 Message accepted for delivery"


@contextlib.asynccontextmanager
async def running_sink(host: str, port: int, messages: Path) -> AsyncIterator[asyncio.Server]:
    """Listen for SMTP on host:port while the block runs, keeping messages in `messages`."""
    messages.parent.mkdir(parents=True, exist_ok=True)
    handler = SinkHandler(messages)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname=SERVER_NAME, loop=loop),
                                      host=host, port=port)
    try:
        yield server
    finally:
        server.close()
        # From Python 3.12 this waits for open connections too: bounded, not forever.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), CLOSE_SECONDS)


async def _serve(host: str, port: int, messages: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running_sink(host, port, messages):
        log.info("mail_sink_listening", host=host, port=port, messages=str(messages))
        await stop.wait()
    log.info("mail_sink_stopped")


def serve_sink(host: str, port: int, messages: Path) -> None:
    """Receive mail on host:port into `messages` until SIGTERM or SIGINT (main thread only)."""
    asyncio.run(_serve(host, port, messages))


def read_messages(path: Path) -> list[dict[str, Any]]:
    """Return the messages the sink kept in `path`, oldest first ([] before the first)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    # A line still being written has no newline yet: it is read next time.
    complete = text if text.endswith("\n") else text.rpartition("\n")[0]
    return [json.loads(line) for line in complete.splitlines() if line.strip()]
