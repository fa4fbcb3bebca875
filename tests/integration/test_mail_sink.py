"""The stack's mail sink as its own process: a real SMTP server on loopback that SmtpMailer
delivers to, keeping each message as a JSON line, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from orchid.functions.mail_sink import read_messages
from orchid.kit.mail import SmtpMailer
from orchid.stack.servers import free_port
from tests.support.ports import START_ATTEMPTS, listens, log_since, log_size, port_was_taken
from tests.support.waiting import until

SERVE = "from pathlib import Path; import sys; from orchid.functions.mail_sink import serve_sink; "\
        "serve_sink('127.0.0.1', int(sys.argv[1]), Path(sys.argv[2]))"


@dataclass
class Sink:
    """A running mail-sink process."""

    proc: subprocess.Popen[bytes]
    port: int
    messages: Path
    log: Path

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def settled(proc: subprocess.Popen[bytes], port: int) -> bool:
    """True once the process listens on `port` or has exited."""
    return proc.poll() is not None or listens(proc.pid, port)


def start_sink(folder: Path) -> Sink:
    """Start the sink on a free port (another one if someone took it before the bind)."""
    log, messages = folder / "sink.log", folder / "mail" / "messages.jsonl"
    for _ in range(START_ATTEMPTS):
        port, offset = free_port(), log_size(log)
        with log.open("ab") as out:
            proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port), str(messages)],
                                    stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy())
        until(partial(settled, proc, port), timeout=20, what="the mail sink listening")
        if proc.poll() is None:
            return Sink(proc, port, messages, log)
        if not port_was_taken(log_since(log, offset)):
            raise AssertionError(f"the mail sink exited: {log_since(log, offset)}")
    raise AssertionError(f"the mail sink found no free port in {START_ATTEMPTS} tries")


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[Sink]:
    started = start_sink(tmp_path)
    yield started
    if started.proc.poll() is None:
        started.proc.kill()
        started.proc.wait(timeout=10)


async def test_messages_sent_through_smtp_arrive_as_json_lines(sink: Sink) -> None:
    assert read_messages(sink.messages) == []
    mailer = SmtpMailer(sink.url, "Orchid <orders@orchid.example>", timeout=5)
    before = datetime.now(UTC)
    await mailer.send(to="asha@example.in", subject="Order OR-2026-000042 has shipped",
                      text="Hi Asha,\nTotal: ₹1,299.00\n", html="<p>Total: ₹1,299.00</p>")
    await mailer.send(to="stock-team@orchid.example", subject="Low stock: KAJAL-1",
                      text="4 available")
    got = read_messages(sink.messages)
    assert [(m["from"], m["to"], m["subject"]) for m in got] == [
        ("orders@orchid.example", ["asha@example.in"], "Order OR-2026-000042 has shipped"),
        ("orders@orchid.example", ["stock-team@orchid.example"], "Low stock: KAJAL-1")]
    assert got[0]["text"] == "Hi Asha,\nTotal: ₹1,299.00\n"  # the plain part, not the HTML
    received = datetime.fromisoformat(got[0]["received_at"])
    assert received.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= received <= datetime.now(UTC)


def test_sigterm_stops_the_sink_cleanly(sink: Sink) -> None:
    sink.proc.send_signal(signal.SIGTERM)
    assert sink.proc.wait(timeout=10) == 0
    assert not listens(sink.proc.pid, sink.port)
    assert "mail_sink_stopped" in sink.log.read_text()


def test_a_half_written_line_is_not_read_yet(tmp_path: Path) -> None:
    path = tmp_path / "messages.jsonl"
    path.write_text('{"subject": "one"}\n{"subject": "tw')
    assert read_messages(path) == [{"subject": "one"}]
