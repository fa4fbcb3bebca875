"""Mail: which mailer the settings give, SMTP URLs, the MIME message, an unreachable server,
and a development mailer that keeps messages without logging them."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from orchid.config import Settings
from orchid.kit.errors import Unavailable
from orchid.kit.mail import DevMailer, SmtpMailer, mailer, parse_smtp_url
from tests.support.ports import refusing_address


def test_smtp_urls_give_host_and_port() -> None:
    assert parse_smtp_url("smtp://127.0.0.1:2525") == ("127.0.0.1", 2525)
    assert parse_smtp_url("smtp://mail.internal:25/") == ("mail.internal", 25)


@pytest.mark.parametrize(("url", "says"), [
    ("smtps://mail.internal:465", "scheme 'smtps'"),
    ("http://mail.internal:25", "scheme 'http'"),
    ("mail.internal:25", "must be smtp://host:port"),
    ("smtp://mail.internal", "must name a host and a port"),
    ("smtp://:25", "must name a host and a port"),
    ("smtp://mail.internal:port", "not a number"),
    ("smtp://mail.internal:70000", "not a number"),
    ("smtp://user:secret@mail.internal:25", "no user, path or query"),
    ("smtp://mail.internal:25/relay", "no user, path or query"),
])
def test_a_bad_smtp_url_is_refused_saying_why(url: str, says: str) -> None:
    with pytest.raises(ValueError, match="ORCHID_SMTP_URL") as refused:
        SmtpMailer(url, "orders@orchid.example")
    assert says in str(refused.value)


def test_the_settings_choose_the_mailer(tmp_path: Path) -> None:
    smtp = mailer(Settings(data_dir=tmp_path, smtp_url="smtp://127.0.0.1:2525",
                           mail_from="Orchid <orders@orchid.example>"))
    assert isinstance(smtp, SmtpMailer) and (smtp.host, smtp.port) == ("127.0.0.1", 2525)
    assert smtp.sender == "Orchid <orders@orchid.example>"
    assert isinstance(mailer(Settings(data_dir=tmp_path, smtp_url="")), DevMailer)
    with pytest.raises(RuntimeError, match="ORCHID_SMTP_URL"):
        mailer(Settings.model_construct(data_dir=tmp_path, smtp_url=None, env="prod"))


def test_the_message_has_text_and_an_html_alternative() -> None:
    smtp = SmtpMailer("smtp://127.0.0.1:2525", "Orchid <orders@orchid.example>")
    message = smtp.message(to="asha@example.in", subject="Order OR-1 has shipped",
                           text="On its way: ₹1,299.00", html="<p>On its way</p>")
    assert (message["From"], message["To"]) == ("Orchid <orders@orchid.example>",
                                                 "asha@example.in")
    assert message["Message-ID"].endswith("@orchid.example>")
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and plain.get_content().strip() == "On its way: ₹1,299.00"
    assert html is not None and "<p>On its way</p>" in html.get_content()
    only_text = smtp.message(to="asha@example.in", subject="s", text="plain")
    assert only_text.get_content_type() == "text/plain"


def test_a_header_cannot_be_smuggled_through_the_subject() -> None:
    smtp = SmtpMailer("smtp://127.0.0.1:2525", "orders@orchid.example")
    with pytest.raises(ValueError):
        smtp.message(to="asha@example.in", subject="Hi\r\nBcc: all@example.in", text="x")


async def test_an_unreachable_server_is_unavailable_and_logged_without_the_address() -> None:
    with refusing_address() as address, capture_logs() as logs:
        smtp = SmtpMailer(f"smtp://{address}", "orders@orchid.example", timeout=2)
        with pytest.raises(Unavailable) as refused:
            await smtp.send(to="asha@example.in", subject="s", text="secret body")
    assert refused.value.code == "mail_unavailable" and refused.value.status == 503
    assert [e["event"] for e in logs] == ["mail_unsent"]
    assert logs[0]["to_domain"] == "example.in" and "asha" not in str(logs)


async def test_the_dev_mailer_keeps_messages_and_logs_no_body_or_address() -> None:
    dev = DevMailer()
    with capture_logs() as logs:
        await dev.send(to="asha@example.in", subject="Order OR-1 confirmed",
                       text="Keep ₹1,299.00 ready", html="<p>Keep it ready</p>")
        await dev.send(to="ravi@example.in", subject="Order OR-2 confirmed", text="…")
    assert [m.subject for m in dev.to("asha@example.in")] == ["Order OR-1 confirmed"]
    assert dev.messages[0].html == "<p>Keep it ready</p>" and len(dev.messages) == 2
    assert [e["event"] for e in logs] == ["mail_dev_send", "mail_dev_send"]
    logged = str(logs)
    assert "₹1,299.00" not in logged and "Keep it ready" not in logged
    assert "asha" not in logged and "ravi" not in logged
