"""Getting a rendered notification out: e-mail over SMTP, and chat-robot webhooks.

Only the standard library is used (``email``, ``smtplib``, ``urllib``): the messages are
small, and the robots' protocols are one JSON POST each.

Every failure becomes a :class:`DeliveryError` whose text says what failed, where
(``host:port``, or the robot's name and its URL with the token masked) and what to check,
and whose ``retry`` says whether sending the same message later may succeed. The outbox
uses ``retry`` to choose between "try again" and "give up and tell someone". Messages
never contain the SMTP password, a signing secret or a webhook's access token.

Robot formats and signing follow the vendors' public documentation:

* DingTalk custom robot (钉钉自定义机器人): message types
  https://open.dingtalk.com/document/orgapp/custom-bot-send-message-type and signing
  (加签) https://open.dingtalk.com/document/orgapp/customize-robot-security-settings
* WeCom group robot (企业微信群机器人): https://developer.work.weixin.qq.com/document/path/91770
* Feishu custom bot (飞书自定义机器人), including 签名校验:
  https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import re
import smtplib
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

from ordertrack.errors import OrdertrackError

__all__ = [
    "DeliveryError",
    "SmtpSettings",
    "WebhookSettings",
    "make_email",
    "send_email",
    "send_webhook",
    "webhook_body",
]


class DeliveryError(OrdertrackError):
    """A message that could not be delivered.

    ``str()`` says what failed and where, and what to check, e.g. ``SMTP smtp.qq.com:465:
    authentication failed (535 …); check notify.smtp.user and notify.smtp.password_env``.
    ``retry`` is True when sending again later may help (connection refused, timeout, a
    4xx SMTP reply, HTTP 5xx/429, a robot's rate limit) and False when it will not until
    someone changes something (wrong password, refused recipient, bad webhook URL, HTTP 4xx).

    It is an :class:`~ordertrack.errors.OrdertrackError`, so a command that lets it escape
    (``ordertrack notify test``, say) shows ``Error: …`` instead of a traceback.
    """

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


# --------------------------------------------------------------------------- e-mail


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server (resolved from ``[notify.smtp]`` by the caller)."""

    host: str
    port: int
    security: str  # "starttls" | "ssl" | "plain"
    user: str | None
    password: str | None  # already resolved from the environment by the caller
    sender: str  # address, e.g. "ordertrack@example.com"
    sender_name: str | None  # display name, may be Chinese, e.g. "订单预警"
    timeout: float = 20.0


#: RFC 5322 with CRLF line ends (``email.policy.SMTP``), and 7-bit bodies: Chinese text
#: goes out base64/quoted-printable, so the message needs no 8BITMIME from the server and
#: every line of it is ASCII.
_MAIL_POLICY = SMTP.clone(cte_type="7bit")


def _header_text(value: str) -> str:
    """A header value on one line (a CR or LF in a header would start a new header)."""
    return " ".join(value.split())


def make_email(
    settings: SmtpSettings,
    to_addr: str,
    to_name: str | None,
    subject: str,
    html: str,
    text: str,
    message_id: str,
    date: datetime,
) -> bytes:
    """A complete RFC 5322 message: multipart/alternative with text/plain, then text/html.

    Non-ASCII display names and subjects are RFC 2047 encoded-words (the ``email``
    package does that when it folds the headers). ``message_id`` is used as given, with
    ``<>`` added when missing; ``date`` becomes the Date header (give an aware datetime,
    so the header carries its UTC offset).
    """
    msg = EmailMessage(policy=_MAIL_POLICY)
    msg["From"] = Address(
        display_name=_header_text(settings.sender_name or ""), addr_spec=settings.sender
    )
    msg["To"] = Address(display_name=_header_text(to_name or ""), addr_spec=to_addr)
    msg["Subject"] = _header_text(subject)
    msg["Date"] = format_datetime(date)
    message_id = message_id.strip()
    if not message_id.startswith("<"):
        message_id = f"<{message_id}>"
    msg["Message-ID"] = message_id
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg.as_bytes()


def _reply(code: int, text: bytes | str) -> str:
    """An SMTP reply for a message: ``535 5.7.8 Authentication credentials invalid``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def _is_transient(code: int) -> bool:
    """4xx SMTP replies mean "try again later" (RFC 5321 §4.2.1); 5xx mean "don't"."""
    return 400 <= code < 500


def send_email(settings: SmtpSettings, to_addrs: list[str], message: bytes) -> None:
    """Send ``message`` (from :func:`make_email`) to ``to_addrs`` through the server.

    ``security``: "ssl" connects with TLS from the start (port 465), "starttls" connects
    in the clear and upgrades (port 587; refused if the server does not offer STARTTLS,
    so a password is never sent unencrypted by mistake), "plain" never encrypts. Logs in
    when ``user`` is set. Server certificates are verified against the system's CAs.

    Raises :class:`DeliveryError` for every failure. When the server refuses some of
    several recipients, the others have been sent the message; the error (retry=False)
    names the refused ones.
    """
    where = f"SMTP {settings.host}:{settings.port}"
    secret = settings.password

    def fail(what: str, retry: bool) -> DeliveryError:
        return DeliveryError(_scrub(f"{where}: {what}", [secret]), retry=retry)

    if settings.security not in ("starttls", "ssl", "plain"):
        raise fail(
            f'unknown security "{settings.security}"; use "starttls", "ssl" or "plain" '
            "(notify.smtp.security)",
            retry=False,
        )
    context = ssl.create_default_context()
    try:
        server: smtplib.SMTP
        if settings.security == "ssl":
            server = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with server:
            server.ehlo()
            if settings.security == "starttls":
                if not server.has_extn("starttls"):
                    raise fail(
                        'the server does not offer STARTTLS; use security = "ssl" (usually '
                        'port 465), or "plain" only on a trusted network (notify.smtp.security, '
                        "notify.smtp.port)",
                        retry=False,
                    )
                server.starttls(context=context)
                server.ehlo()
            if settings.user:
                if not server.has_extn("auth"):
                    raise fail(
                        "the server does not offer login (AUTH)"
                        + (
                            ' without encryption; use security = "starttls" or "ssl"'
                            if settings.security == "plain"
                            else ""
                        )
                        + ", or remove notify.smtp.user if it needs none",
                        retry=False,
                    )
                try:
                    server.login(settings.user, settings.password or "")
                except UnicodeEncodeError:
                    # smtplib sends AUTH data as ASCII only.
                    raise fail(
                        "the user name or password contains non-ASCII characters, which "
                        "cannot be sent; use an ASCII password (or the provider's app "
                        "password / authorization code)",
                        retry=False,
                    ) from None
            refused = server.sendmail(settings.sender, to_addrs, message)
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as e:
        raise fail(
            f"authentication failed ({_reply(e.smtp_code, e.smtp_error)}); check "
            "notify.smtp.user and the password in the variable named by notify.smtp.password_env",
            retry=_is_transient(e.smtp_code),
        ) from None
    except smtplib.SMTPRecipientsRefused as e:
        replies = "; ".join(f"{rcpt}: {_reply(c, t)}" for rcpt, (c, t) in e.recipients.items())
        raise fail(
            f"recipient refused ({replies}); check the address",
            retry=all(_is_transient(c) for c, _ in e.recipients.values()),
        ) from None
    except smtplib.SMTPSenderRefused as e:
        raise fail(
            f"sender {e.sender} refused ({_reply(e.smtp_code, e.smtp_error)}); check "
            "notify.smtp.sender (many servers only accept the login's own address)",
            retry=_is_transient(e.smtp_code),
        ) from None
    except smtplib.SMTPDataError as e:
        raise fail(
            f"message refused ({_reply(e.smtp_code, e.smtp_error)})",
            retry=_is_transient(e.smtp_code),
        ) from None
    except smtplib.SMTPConnectError as e:
        raise fail(
            f"the server refused the connection ({_reply(e.smtp_code, e.smtp_error)})",
            retry=e.smtp_code < 500,
        ) from None
    except smtplib.SMTPNotSupportedError as e:
        raise fail(f"not supported by the server: {e}", retry=False) from None
    except smtplib.SMTPResponseException as e:
        raise fail(
            f"unexpected reply ({_reply(e.smtp_code, e.smtp_error)})",
            retry=_is_transient(e.smtp_code),
        ) from None
    except smtplib.SMTPServerDisconnected as e:
        if isinstance(e.__context__, TimeoutError):
            # smtplib turns a reply that does not come in time into "Connection
            # unexpectedly closed: timed out": the server is slow, it closed nothing
            raise fail(
                f"no answer within {settings.timeout:g} s; check notify.smtp.host, "
                "notify.smtp.port and the firewall",
                retry=True,
            ) from None
        hint = (
            '; if the server expects TLS from the start, use security = "ssl"'
            if settings.security != "ssl"
            else ""
        )
        raise fail(f"the server closed the connection ({e}){hint}", retry=True) from None
    except smtplib.SMTPException as e:
        raise fail(f"SMTP error: {e}", retry=True) from None
    except ssl.SSLCertVerificationError as e:
        raise fail(
            f"the server's TLS certificate is not trusted ({e.verify_message}); check "
            "notify.smtp.host (it must match the certificate)",
            retry=False,
        ) from None
    except ssl.SSLError as e:
        raise fail(
            f"TLS handshake failed ({e.reason or e}); "
            + (
                'the port may not speak TLS from the start: try security = "starttls" '
                "(usually port 587) or check notify.smtp.port"
                if settings.security == "ssl"
                else "check notify.smtp.security and notify.smtp.port"
            ),
            retry=False,
        ) from None
    except socket.gaierror as e:
        raise fail(
            f"cannot resolve the host name ({e.strerror}); check notify.smtp.host and the network",
            retry=True,
        ) from None
    except ConnectionRefusedError:
        raise fail(
            "connection refused; is the server up, and are notify.smtp.host and "
            "notify.smtp.port right?",
            retry=True,
        ) from None
    except TimeoutError:
        raise fail(
            f"no answer within {settings.timeout:g} s; check notify.smtp.host, "
            "notify.smtp.port and the firewall",
            retry=True,
        ) from None
    except OSError as e:
        raise fail(f"network error ({e.strerror or e})", retry=True) from None
    if refused:
        replies = "; ".join(f"{rcpt}: {_reply(c, t)}" for rcpt, (c, t) in refused.items())
        delivered = len(to_addrs) - len(refused)
        raise fail(
            f"recipient refused ({replies}); sent to the other {delivered} recipient(s)",
            retry=False,
        )


# --------------------------------------------------------------------------- webhooks


@dataclass(frozen=True)
class WebhookSettings:
    """One chat robot (resolved from ``[notify.webhooks.NAME]`` by the caller)."""

    name: str  # config key, e.g. "sales_group"
    kind: str  # "dingtalk" | "wecom" | "feishu" | "json"
    url: str
    secret: str | None = None  # DingTalk / Feishu signing secret, already resolved
    timeout: float = 10.0


#: WeCom rejects markdown.content longer than 4096 bytes (UTF-8).
_WECOM_LIMIT = 4096

#: Robot error codes that mean "too many messages, slow down": worth retrying later.
#: DingTalk 130101 (send too fast), WeCom 45009 (api freq out of limit), Feishu 9499 and
#: 11232 (frequency limited).
_RATE_LIMITED = {
    "dingtalk": {130101},
    "wecom": {45009},
    "feishu": {9499, 11232},
}

_KINDS = ("dingtalk", "wecom", "feishu", "json")


def _hmac_b64(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode("ascii")


def _truncate_utf8_lines(text: str, limit: int, marker: str = "…") -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes at a line boundary, ending in a
    ``marker`` line, so a robot with a size limit still gets well-formed Markdown."""
    if len(text.encode("utf-8")) <= limit:
        return text
    budget = limit - len(marker.encode("utf-8")) - 1  # the marker and its line break
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        size = len(line.encode("utf-8")) + 1
        if used + size > budget:
            if not kept:  # one enormous first line: cut it by characters
                cut = line.encode("utf-8")[: max(0, budget - 1)].decode("utf-8", "ignore")
                kept.append(cut)
            break
        kept.append(line)
        used += size
    return "\n".join(kept) + "\n" + marker


def _feishu_markdown(markdown: str) -> str:
    """Feishu card Markdown: headings become bold lines (older Feishu clients do not
    render ``#`` headings inside a card's markdown element)."""
    return re.sub(r"(?m)^#{1,6} +(.+?)\s*$", r"**\1**", markdown)


def _json_default(value: object) -> object:
    """JSON for the values digests carry: dates as ISO 8601, decimals as strings (exact)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def webhook_body(
    settings: WebhookSettings, title: str, markdown: str, data: dict[str, Any], now: datetime
) -> tuple[str, bytes]:
    """``(url, body)`` to POST to the robot: the URL (signed when DingTalk has a secret)
    and the JSON body as UTF-8 bytes. ``now`` is the signing time (so tests can pin it;
    DingTalk and Feishu refuse signatures more than an hour old)."""
    url = settings.url
    body: dict[str, Any]
    if settings.kind == "dingtalk":
        # https://open.dingtalk.com/document/orgapp/custom-bot-send-message-type (markdown)
        body = {"msgtype": "markdown", "markdown": {"title": title, "text": markdown}}
        if settings.secret:
            # 加签: sign = urlencode(base64(HmacSHA256(key=secret, "<ms timestamp>\n<secret>")))
            # https://open.dingtalk.com/document/orgapp/customize-robot-security-settings
            timestamp = str(int(now.timestamp() * 1000))
            sign = _hmac_b64(
                settings.secret.encode("utf-8"), f"{timestamp}\n{settings.secret}".encode()
            )
            query = urllib.parse.urlencode({"timestamp": timestamp, "sign": sign})
            url += ("&" if urllib.parse.urlsplit(url).query else "?") + query
    elif settings.kind == "wecom":
        # https://developer.work.weixin.qq.com/document/path/91770 (markdown, ≤ 4096 bytes)
        body = {
            "msgtype": "markdown",
            "markdown": {"content": _truncate_utf8_lines(markdown, _WECOM_LIMIT)},
        }
    elif settings.kind == "feishu":
        # https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot: an interactive
        # card with a header title and one markdown element renders Markdown.
        body = {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": title}},
                "elements": [{"tag": "markdown", "content": _feishu_markdown(markdown)}],
            },
        }
        if settings.secret:
            # 签名校验: sign = base64(HmacSHA256(key="<s timestamp>\n<secret>", msg=""))
            timestamp = str(int(now.timestamp()))
            body = {
                "timestamp": timestamp,
                "sign": _hmac_b64(f"{timestamp}\n{settings.secret}".encode(), b""),
                **body,
            }
    elif settings.kind == "json":
        body = {"title": title, "text": markdown, "data": data}
    else:
        raise DeliveryError(
            f'webhook {settings.name}: unknown kind "{settings.kind}"; use one of '
            f"{', '.join(_KINDS)} (notify.webhooks.{settings.name}.kind)",
            retry=False,
        )
    payload = json.dumps(body, ensure_ascii=False, default=_json_default).encode("utf-8")
    return url, payload


def _token_like(segment: str) -> bool:
    """A path segment that looks like a credential (Feishu puts the hook token in the path)."""
    return len(segment) >= 16 and re.fullmatch(r"[A-Za-z0-9_\-]+", segment) is not None


def _mask_url(url: str) -> str:
    """The URL as error messages show it: query values and token-like path segments
    replaced by ``***`` (``…/robot/send?access_token=***``)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    path = "/".join("***" if _token_like(s) else s for s in parts.path.split("/"))
    query = "&".join(
        f"{k}=***" for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    )
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, query, ""))


def _secrets_of(settings: WebhookSettings, url: str) -> list[str | None]:
    """Everything in a webhook's URL or settings that must never reach a message."""
    found: list[str | None] = [settings.secret]
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return [*found, url]
    found += [v for _, v in urllib.parse.parse_qsl(parts.query) if len(v) >= 4]
    found += [s for s in parts.path.split("/") if _token_like(s)]
    found += [parts.password]
    return found


def _scrub(text: str, secrets: list[str | None]) -> str:
    """``text`` with every secret replaced by ``***`` (a server may echo what it got)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
        quoted = urllib.parse.quote(secret, safe="")
        if quoted != secret:
            text = text.replace(quoted, "***")
    return text


def _robot_error(kind: str, reply: object) -> tuple[int, str] | None:
    """(code, message) when a robot's 200 reply reports an error, else None.

    DingTalk and WeCom answer ``{"errcode": 0, "errmsg": "ok"}``; Feishu answers
    ``{"code": 0, "msg": "success"}`` (older: ``{"StatusCode": 0, ...}``).
    """
    if not isinstance(reply, dict):
        return None
    if kind in ("dingtalk", "wecom"):
        code, message = reply.get("errcode", 0), reply.get("errmsg", "")
    elif kind == "feishu":
        if "code" in reply:
            code, message = reply.get("code", 0), reply.get("msg", "")
        else:
            code, message = reply.get("StatusCode", 0), reply.get("StatusMessage", "")
    else:
        return None
    if code in (0, None, "0"):
        return None
    try:
        number = int(code)
    except (TypeError, ValueError):
        number = -1
    return number, str(message)


def _robot_hint(kind: str, code: int, name: str) -> str:
    key = f"notify.webhooks.{name}"
    if kind == "dingtalk" and code == 310000:
        return (
            f"check the robot's security settings: the signing secret ({key}.secret_env), "
            "its keywords (a keyword must appear in the message) or its IP allow-list"
        )
    if kind == "feishu" and code in (19021, 19022, 19024):
        return f"check the signing secret ({key}.secret_env) and this machine's clock"
    if (kind, code) in (("dingtalk", 300001), ("wecom", 93000), ("feishu", 19001)):
        return f"the robot's URL is not valid (removed from the group?); check {key}.url"
    return f"check {key}"


def send_webhook(
    settings: WebhookSettings, title: str, markdown: str, data: dict[str, Any], now: datetime
) -> None:
    """POST the message to the robot (body from :func:`webhook_body`).

    Succeeds on a 2xx answer that, for the robots, also reports code 0 in its JSON. A
    non-2xx answer, a robot error code, or no answer at all raise :class:`DeliveryError`:
    retry for HTTP 5xx/408/429, robot rate limits and network errors; not for other 4xx,
    robot errors or a bad URL. The URL's token and the secret never appear in the error.
    """
    where = f"webhook {settings.name} ({settings.kind})"
    try:
        scheme = urllib.parse.urlsplit(settings.url).scheme
        host = urllib.parse.urlsplit(settings.url).hostname
    except ValueError:
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise DeliveryError(
            f"{where}: {_mask_url(settings.url)} is not an http(s) URL; check "
            f"notify.webhooks.{settings.name}.url",
            retry=False,
        )
    url, body = webhook_body(settings, title, markdown, data, now)
    secrets = _secrets_of(settings, settings.url)
    where = f"{where} {_mask_url(settings.url)}"

    def fail(what: str, retry: bool) -> DeliveryError:
        return DeliveryError(_scrub(f"{where}: {what}", secrets), retry=retry)

    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as response:
            status = response.status
            answer = response.read(65536)
    except urllib.error.HTTPError as e:
        detail = e.read(300).decode("utf-8", "replace").strip() if e.fp else ""
        detail = " ".join(detail.split())
        retry = e.code >= 500 or e.code in (408, 429)
        what = f"HTTP {e.code} {e.reason}" + (f" ({detail})" if detail else "")
        hint = "" if retry else f"; check notify.webhooks.{settings.name}.url"
        raise fail(what + hint, retry=retry) from None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise fail(
                f"the server's TLS certificate is not trusted ({reason.verify_message})",
                retry=False,
            ) from None
        if isinstance(reason, ConnectionRefusedError):
            raise fail("connection refused", retry=True) from None
        if isinstance(reason, TimeoutError):
            raise fail(f"no answer within {settings.timeout:g} s", retry=True) from None
        if isinstance(reason, socket.gaierror):
            raise fail(
                f"cannot resolve the host name ({reason.strerror}); check the URL and the network",
                retry=True,
            ) from None
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        raise fail(f"cannot connect ({text})", retry=True) from None
    except TimeoutError:
        raise fail(f"no answer within {settings.timeout:g} s", retry=True) from None
    except (http.client.HTTPException, OSError) as e:
        raise fail(f"connection failed ({type(e).__name__}: {e})", retry=True) from None
    if not 200 <= status < 300:  # urlopen raises for most; 1xx/3xx leftovers end here
        raise fail(f"HTTP {status}", retry=False)
    if settings.kind == "json":
        return
    try:
        reply = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        snippet = " ".join(answer[:200].decode("utf-8", "replace").split())
        raise fail(
            f"the answer is not the robot's JSON ({snippet!r}); check "
            f"notify.webhooks.{settings.name}.url and .kind",
            retry=False,
        ) from None
    error = _robot_error(settings.kind, reply)
    if error is not None:
        code, message = error
        rate_limited = code in _RATE_LIMITED.get(settings.kind, set())
        hint = (
            "rate limited, will retry"
            if rate_limited
            else _robot_hint(settings.kind, code, settings.name)
        )
        raise fail(f"the robot refused the message: {code} {message}; {hint}", retry=rate_limited)
