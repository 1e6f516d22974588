"""E-mail and chat-robot delivery against real servers on 127.0.0.1.

SMTP: an aiosmtpd ``Controller`` (a real SMTP server in a thread) that keeps what it
receives. Webhooks: a ``ThreadingHTTPServer`` that records each POST and answers what the
test tells it to. Nothing in smtplib or urllib is mocked.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from ordertrack.alerts.transport import (
    DeliveryError,
    SmtpSettings,
    WebhookSettings,
    make_email,
    send_email,
    send_webhook,
    webhook_body,
)

NOW = datetime(2026, 11, 26, 10, 15, tzinfo=timezone(timedelta(hours=8)))


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (right now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --------------------------------------------------------------------------- SMTP


@dataclass
class Inbox:
    """aiosmtpd handler: keeps each message; refuses the recipients in ``refuse``."""

    received: list[Envelope] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted for delivery"


USER, PASSWORD = "ordertrack", "s3cret-Pa55"


def authenticator(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server sends the 535


StartServer = Callable[..., tuple[Controller, Inbox]]


@pytest.fixture
def smtp_server() -> Iterator[StartServer]:
    """``start(**smtp_kwargs)`` runs an SMTP server on a free port; all stop at teardown."""
    running: list[Controller] = []

    def start(**kwargs: Any) -> tuple[Controller, Inbox]:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        running.append(controller)
        return controller, inbox

    yield start
    for controller in running:
        controller.stop(no_assert=True)


def settings_for(controller: Controller, **changes: Any) -> SmtpSettings:
    base = SmtpSettings(
        host="127.0.0.1",
        port=controller.port,
        security="plain",
        user=None,
        password=None,
        sender="ordertrack@example.com",
        sender_name="订单预警",
        timeout=3.0,
    )
    return replace(base, **changes)


def a_message(settings: SmtpSettings) -> bytes:
    return make_email(
        settings,
        to_addr="zhangwei@example.com",
        to_name="张伟",
        subject="[华东精密] 订单预警：3 条新预警，1 条升级",
        html="<!DOCTYPE html><html><body><p>订单 SO-1001 客户 上海精工</p></body></html>",
        text="订单 SO-1001 客户 上海精工\n",
        message_id="outbox-17.20261126T101500@ordertrack",
        date=NOW,
    )


def test_email_arrives_once_with_chinese_headers_decoded(smtp_server: StartServer) -> None:
    controller, inbox = smtp_server()
    settings = settings_for(controller)
    raw = a_message(settings)

    send_email(settings, ["zhangwei@example.com"], raw)

    assert len(inbox.received) == 1
    envelope = inbox.received[0]
    assert envelope.mail_from == "ordertrack@example.com"
    assert envelope.rcpt_tos == ["zhangwei@example.com"]
    content = envelope.original_content or b""
    content.decode("ascii")  # every line ASCII: RFC 2047 headers, base64/QP bodies
    headers = content.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "=?utf-8?" in headers
    assert "订单" not in headers

    msg = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg["Subject"] == "[华东精密] 订单预警：3 条新预警，1 条升级"
    assert msg["From"].addresses[0].display_name == "订单预警"
    assert msg["From"].addresses[0].addr_spec == "ordertrack@example.com"
    assert msg["To"].addresses[0].display_name == "张伟"
    assert msg["To"].addresses[0].addr_spec == "zhangwei@example.com"
    assert msg["Message-ID"] == "<outbox-17.20261126T101500@ordertrack>"
    assert msg["Date"].datetime == NOW
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content() == "订单 SO-1001 客户 上海精工\r\n"  # SMTP line ends
    assert "客户 上海精工" in parts[1].get_content()
    assert all(p.get_content_charset() == "utf-8" for p in parts)


def test_make_email_keeps_angle_brackets_and_flattens_header_newlines() -> None:
    settings = SmtpSettings("h", 25, "plain", None, None, "ot@example.com", None)
    raw = make_email(
        settings, "a@example.com", None, "two\r\nlines", "<p>x</p>", "x", "<id@ot>", NOW
    )
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Message-ID"] == "<id@ot>"
    assert msg["Subject"] == "two lines"
    assert msg["From"] == "ot@example.com"
    assert msg["To"] == "a@example.com"


def test_stopped_server_is_a_retryable_error_naming_host_and_port() -> None:
    controller = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.stop()  # the port is closed again: connections are refused
    settings = settings_for(controller)

    with pytest.raises(DeliveryError) as info:
        send_email(settings, ["zhangwei@example.com"], a_message(settings))

    assert info.value.retry is True
    assert f"SMTP 127.0.0.1:{controller.port}: connection refused" in str(info.value)
    assert "notify.smtp.port" in str(info.value)


def test_wrong_password_is_final_and_never_shows_the_password(smtp_server: StartServer) -> None:
    controller, inbox = smtp_server(authenticator=authenticator, auth_require_tls=False)
    settings = settings_for(controller, user=USER, password="wrong-Pa55word")

    with pytest.raises(DeliveryError) as info:
        send_email(settings, ["zhangwei@example.com"], a_message(settings))

    message = str(info.value)
    assert info.value.retry is False
    assert message.startswith(f"SMTP 127.0.0.1:{controller.port}: authentication failed (535 ")
    assert "notify.smtp.user" in message
    assert "wrong-Pa55word" not in message
    assert inbox.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_right_password_logs_in_and_sends(smtp_server: StartServer) -> None:
    controller, inbox = smtp_server(
        authenticator=authenticator, auth_require_tls=False, auth_required=True
    )
    settings = settings_for(controller, user=USER, password=PASSWORD)

    send_email(settings, ["zhangwei@example.com"], a_message(settings))

    assert len(inbox.received) == 1


def test_non_ascii_password_is_a_clear_error(smtp_server: StartServer) -> None:
    controller, _ = smtp_server(authenticator=authenticator, auth_require_tls=False)
    settings = settings_for(controller, user=USER, password="密码123")

    with pytest.raises(DeliveryError, match="non-ASCII") as info:
        send_email(settings, ["zhangwei@example.com"], a_message(settings))

    assert info.value.retry is False
    assert "密码123" not in str(info.value)


def test_login_without_auth_offered_is_a_clear_error(smtp_server: StartServer) -> None:
    controller, _ = smtp_server()  # no authenticator: AUTH is not advertised
    settings = settings_for(controller, user=USER, password=PASSWORD)

    with pytest.raises(DeliveryError, match="does not offer login") as info:
        send_email(settings, ["zhangwei@example.com"], a_message(settings))

    assert info.value.retry is False


def test_starttls_against_a_server_without_it_refuses_to_go_on(
    smtp_server: StartServer,
) -> None:
    controller, inbox = smtp_server()
    settings = settings_for(controller, security="starttls", user=USER, password=PASSWORD)

    with pytest.raises(DeliveryError) as info:
        send_email(settings, ["zhangwei@example.com"], a_message(settings))

    assert info.value.retry is False
    assert str(info.value).startswith(
        f"SMTP 127.0.0.1:{controller.port}: the server does not offer STARTTLS;"
    )
    assert inbox.received == []


def test_ssl_against_a_plain_server_fails_fast_and_clearly(smtp_server: StartServer) -> None:
    controller, _ = smtp_server()
    settings = settings_for(controller, security="ssl", timeout=2.0)

    with pytest.raises(DeliveryError) as info:
        send_email(settings, ["zhangwei@example.com"], a_message(settings))

    message = str(info.value)
    assert message.startswith(f"SMTP 127.0.0.1:{controller.port}: TLS handshake failed (")
    assert 'try security = "starttls"' in message
    assert info.value.retry is False


def test_refused_recipient_is_final_for_5xx_and_retryable_for_4xx(
    smtp_server: StartServer,
) -> None:
    controller, inbox = smtp_server()
    inbox.refuse = {
        "nobody@example.com": "550 5.1.1 No such user",
        "busy@example.com": "451 4.3.0 Try again later",
    }
    settings = settings_for(controller)

    with pytest.raises(DeliveryError) as info:
        send_email(settings, ["nobody@example.com"], a_message(settings))
    assert info.value.retry is False
    assert "recipient refused (nobody@example.com: 550 5.1.1 No such user)" in str(info.value)

    with pytest.raises(DeliveryError) as info:
        send_email(settings, ["busy@example.com"], a_message(settings))
    assert info.value.retry is True

    with pytest.raises(DeliveryError) as info:
        send_email(settings, ["zhangwei@example.com", "nobody@example.com"], a_message(settings))
    assert info.value.retry is False
    assert "sent to the other 1 recipient(s)" in str(info.value)
    assert [e.rcpt_tos for e in inbox.received] == [["zhangwei@example.com"]]


def test_unknown_security_is_a_config_error() -> None:
    settings = SmtpSettings("127.0.0.1", 1, "tls", None, None, "ot@example.com", None)
    with pytest.raises(DeliveryError, match='unknown security "tls"') as info:
        send_email(settings, ["a@example.com"], b"")
    assert info.value.retry is False


# --------------------------------------------------------------------------- webhooks


@dataclass
class Hit:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Robot:
    """A recording webhook endpoint: set ``status`` / ``answer`` before a send."""

    port: int
    hits: list[Hit] = field(default_factory=list)
    status: int = 200
    answer: bytes = b'{"errcode":0,"errmsg":"ok"}'

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply(self, status: int = 200, **answer: Any) -> None:
        self.status, self.answer = status, json.dumps(answer).encode()


@pytest.fixture
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[Robot]:
    """A ThreadingHTTPServer on 127.0.0.1 in a thread (no proxy in between)."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")

    state: dict[str, Robot] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            r = state["robot"]
            r.hits.append(
                Hit(
                    path=parts.path,
                    query=dict(urllib.parse.parse_qsl(parts.query)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw.decode("utf-8")),
                )
            )
            self.send_response(r.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(r.answer)))
            self.end_headers()
            self.wfile.write(r.answer)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["robot"] = Robot(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state["robot"]
    server.shutdown()
    server.server_close()
    thread.join(5)


TOKEN = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
SECRET = "SEC0123456789abcdef"
MD = "### 新预警（2 条）\n- **严重** · 承诺交期前 3 天未发货 · SO-1001\n"


def test_dingtalk_markdown_signed_per_the_documented_scheme(robot: Robot) -> None:
    settings = WebhookSettings(
        "sales_group", "dingtalk", robot.url(f"/robot/send?access_token={TOKEN}"), SECRET
    )

    send_webhook(settings, "订单预警", MD, {}, NOW)

    (hit,) = robot.hits
    assert hit.path == "/robot/send"
    assert hit.headers["content-type"] == "application/json; charset=utf-8"
    assert hit.body == {"msgtype": "markdown", "markdown": {"title": "订单预警", "text": MD}}
    assert hit.query["access_token"] == TOKEN
    assert hit.query["timestamp"] == str(int(NOW.timestamp() * 1000))
    expected = base64.b64encode(
        hmac.new(
            SECRET.encode(), f"{hit.query['timestamp']}\n{SECRET}".encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert hit.query["sign"] == expected


def test_dingtalk_without_secret_leaves_the_url_alone() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    got, _ = webhook_body(WebhookSettings("g", "dingtalk", url), "t", "m", {}, NOW)
    assert got == url


def test_wecom_markdown_body(robot: Robot) -> None:
    settings = WebhookSettings("ops", "wecom", robot.url(f"/cgi-bin/webhook/send?key={TOKEN}"))

    send_webhook(settings, "订单预警", MD, {}, NOW)

    (hit,) = robot.hits
    assert hit.query == {"key": TOKEN}
    assert hit.body == {"msgtype": "markdown", "markdown": {"content": MD}}


def test_wecom_content_is_cut_at_a_line_under_4096_bytes() -> None:
    line = "- **警告** · 计划发货日已过 · SO-2026-0001 · 上海精工机械有限公司"
    markdown = "\n".join(f"{line} {i}" for i in range(200))
    _, body = webhook_body(WebhookSettings("ops", "wecom", "https://x/"), "t", markdown, {}, NOW)

    content = json.loads(body)["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    lines = content.split("\n")
    assert lines[-1] == "…"
    assert all(f"{line} {i}" == got for i, got in enumerate(lines[:-1]))
    assert len(lines) > 10


def test_feishu_card_with_header_and_verifiable_sign(robot: Robot) -> None:
    robot.reply(code=0, msg="success", data={})
    settings = WebhookSettings(
        "boss", "feishu", robot.url(f"/open-apis/bot/v2/hook/{TOKEN}"), SECRET
    )

    send_webhook(settings, "订单预警", MD, {}, NOW)

    (hit,) = robot.hits
    body = hit.body
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["title"] == {"tag": "plain_text", "content": "订单预警"}
    (element,) = body["card"]["elements"]
    assert element["tag"] == "markdown"
    assert element["content"].startswith("**新预警（2 条）**\n- **严重** · ")
    assert body["timestamp"] == str(int(NOW.timestamp()))
    key = f"{body['timestamp']}\n{SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def test_generic_json_carries_data(robot: Robot) -> None:
    robot.reply(status=204)
    robot.answer = b""
    settings = WebhookSettings("erp", "json", robot.url("/hooks/ordertrack"))
    data = {"alerts": [{"id": 17, "amount": Decimal("1234.50"), "promised": date(2026, 7, 1)}]}

    send_webhook(settings, "Order alerts", MD, data, NOW)

    (hit,) = robot.hits
    assert hit.body == {
        "title": "Order alerts",
        "text": MD,
        "data": {"alerts": [{"id": 17, "amount": "1234.50", "promised": "2026-07-01"}]},
    }


@pytest.mark.parametrize(
    ("kind", "path", "answer", "retry", "words"),
    [
        (
            "dingtalk",
            f"/robot/send?access_token={TOKEN}",
            {"errcode": 310000, "errmsg": "keywords not in content"},
            False,
            "310000 keywords not in content; check the robot's security settings",
        ),
        (
            "dingtalk",
            f"/robot/send?access_token={TOKEN}",
            {"errcode": 130101, "errmsg": "send too fast"},
            True,
            "130101 send too fast; rate limited",
        ),
        (
            "wecom",
            f"/cgi-bin/webhook/send?key={TOKEN}",
            {"errcode": 93000, "errmsg": "invalid webhook url"},
            False,
            "93000 invalid webhook url; the robot's URL is not valid",
        ),
        (
            "wecom",
            f"/cgi-bin/webhook/send?key={TOKEN}",
            {"errcode": 45009, "errmsg": "api freq out of limit"},
            True,
            "45009 api freq out of limit; rate limited",
        ),
        (
            "feishu",
            f"/open-apis/bot/v2/hook/{TOKEN}",
            {"code": 19021, "msg": "sign match fail", "data": {}},
            False,
            "19021 sign match fail; check the signing secret",
        ),
        (
            "feishu",
            f"/open-apis/bot/v2/hook/{TOKEN}",
            {"code": 11232, "msg": "frequency limited", "data": {}},
            True,
            "11232 frequency limited; rate limited",
        ),
        (
            "feishu",
            f"/open-apis/bot/v2/hook/{TOKEN}",
            {"StatusCode": 9499, "StatusMessage": "Bad Request"},
            True,
            "9499 Bad Request; rate limited",
        ),
    ],
)
def test_robot_error_codes(
    robot: Robot, kind: str, path: str, answer: dict[str, Any], retry: bool, words: str
) -> None:
    robot.reply(**answer)
    settings = WebhookSettings("sales_group", kind, robot.url(path), SECRET)

    with pytest.raises(DeliveryError) as info:
        send_webhook(settings, "t", MD, {}, NOW)

    message = str(info.value)
    assert message.startswith(f"webhook sales_group ({kind}) http://127.0.0.1:{robot.port}/")
    assert f"the robot refused the message: {words}" in message
    assert info.value.retry is retry
    assert TOKEN not in message
    assert SECRET not in message


def test_http_500_is_retryable_and_masks_the_token(robot: Robot) -> None:
    robot.status, robot.answer = 500, f"internal error for access_token={TOKEN}".encode()
    settings = WebhookSettings(
        "sales_group", "dingtalk", robot.url(f"/robot/send?access_token={TOKEN}")
    )

    with pytest.raises(DeliveryError) as info:
        send_webhook(settings, "t", MD, {}, NOW)

    message = str(info.value)
    assert info.value.retry is True
    assert message.startswith(
        f"webhook sales_group (dingtalk) http://127.0.0.1:{robot.port}/robot/send?access_token=***: "
        "HTTP 500 Internal Server Error"
    )
    assert TOKEN not in message


def test_http_404_is_final(robot: Robot) -> None:
    robot.reply(404, error="not found")
    settings = WebhookSettings("boss", "feishu", robot.url(f"/open-apis/bot/v2/hook/{TOKEN}"))

    with pytest.raises(DeliveryError) as info:
        send_webhook(settings, "t", MD, {}, NOW)

    message = str(info.value)
    assert info.value.retry is False
    assert f"http://127.0.0.1:{robot.port}/open-apis/bot/v2/hook/***: HTTP 404" in message
    assert "check notify.webhooks.boss.url" in message
    assert TOKEN not in message


def test_http_429_is_retryable(robot: Robot) -> None:
    robot.reply(429, errcode=0)
    settings = WebhookSettings("ops", "wecom", robot.url(f"/cgi-bin/webhook/send?key={TOKEN}"))
    with pytest.raises(DeliveryError) as info:
        send_webhook(settings, "t", MD, {}, NOW)
    assert info.value.retry is True


def test_non_json_answer_from_a_robot_is_final(robot: Robot) -> None:
    robot.status, robot.answer = 200, b"<html>login portal</html>"
    settings = WebhookSettings("ops", "wecom", robot.url(f"/cgi-bin/webhook/send?key={TOKEN}"))
    with pytest.raises(DeliveryError, match="not the robot's JSON") as info:
        send_webhook(settings, "t", MD, {}, NOW)
    assert info.value.retry is False


def test_connection_refused_is_retryable() -> None:
    port = free_port()
    settings = WebhookSettings(
        "sales_group", "dingtalk", f"http://127.0.0.1:{port}/robot/send?access_token={TOKEN}"
    )

    with pytest.raises(DeliveryError) as info:
        send_webhook(settings, "t", MD, {}, NOW)

    assert info.value.retry is True
    assert str(info.value) == (
        f"webhook sales_group (dingtalk) http://127.0.0.1:{port}/robot/send?access_token=***: "
        "connection refused"
    )


@pytest.mark.parametrize("url", ["file:///etc/passwd", "oapi.dingtalk.com/robot/send", "http://"])
def test_bad_url_is_final(url: str) -> None:
    with pytest.raises(DeliveryError, match="is not an http\\(s\\) URL") as info:
        send_webhook(WebhookSettings("g", "dingtalk", url), "t", MD, {}, NOW)
    assert info.value.retry is False


def test_unknown_kind_is_final() -> None:
    with pytest.raises(DeliveryError, match='unknown kind "slack"') as info:
        webhook_body(WebhookSettings("g", "slack", "https://x/"), "t", MD, {}, NOW)
    assert info.value.retry is False


def test_timestamps_come_from_now_not_the_clock() -> None:
    settings = WebhookSettings("g", "feishu", "https://x/hook/abc", "s")
    earlier = datetime(2020, 1, 1, tzinfo=UTC)
    _, body = webhook_body(settings, "t", MD, {}, earlier)
    assert json.loads(body)["timestamp"] == "1577836800"
