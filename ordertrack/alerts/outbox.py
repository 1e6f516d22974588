"""Delivering the outbox: every queued message is tried once per run until it is sent.

A message is marked sent right after the server accepted it (its own tiny transaction),
so a message is never sent twice by ordertrack; a crash in the instant between the
server's "250 OK" and that mark is the only window (the Message-ID then lets mail
clients drop the duplicate). A failure that may pass (server down, timeout, 4xx, rate
limit) leaves the message ``queued`` with its error for the next run; one that will not
(authentication refused, bad address, webhook token rejected) marks it ``failed``:
``ordertrack outbox retry`` queues it again once the configuration is fixed.

Secrets are read from the environment at delivery, never stored.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ordertrack.config import Config

if TYPE_CHECKING:
    from ordertrack.alerts.transport import SmtpSettings, WebhookSettings

__all__ = ["Delivery", "deliver", "smtp_settings", "webhook_settings"]


@dataclass(frozen=True)
class Delivery:
    """The outcome of one delivery attempt."""

    message_id: int
    channel: str
    recipient: str
    status: str  # sent | queued (will be retried) | failed
    error: str | None = None
    path: str | None = None  # file deliveries: where the digest was written
    note: str | None = None  # e.g. why nothing new was sent


def smtp_settings(config: Config, password: str | None) -> SmtpSettings:
    from ordertrack.alerts.transport import SmtpSettings

    s = config.notify.smtp
    assert s is not None
    return SmtpSettings(
        host=s.host,
        port=s.effective_port,
        security=s.security,
        user=s.user,
        password=password,
        sender=s.sender,
        sender_name=s.sender_name,
        timeout=s.timeout,
    )


def _env(name: str | None, what: str) -> str | None:
    from ordertrack.alerts.transport import DeliveryError

    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise DeliveryError(f"{what}: the environment variable {name} is not set", retry=True)
    return value


def webhook_settings(config: Config, name: str) -> WebhookSettings:
    from ordertrack.alerts.transport import DeliveryError, WebhookSettings

    hook = config.notify.webhooks.get(name)
    if hook is None:
        raise DeliveryError(
            f'chat robot "{name}" is no longer in [notify.webhooks]; add it back, or leave the '
            "message failed",
            retry=False,
        )
    url = hook.url or _env(hook.url_env, f"notify.webhooks.{name}.url_env")
    assert url is not None
    secret = _env(hook.secret_env, f"notify.webhooks.{name}.secret_env")
    return WebhookSettings(name=name, kind=hook.kind, url=url, secret=secret, timeout=hook.timeout)


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w.@-]+", "_", text, flags=re.UNICODE).strip("_")[:80] or "recipient"


def _write_file(
    root: Path, config: Config, message_id: int, recipient: str, payload: bytes, created: datetime
) -> str:
    data = json.loads(payload)
    folder = root / config.alerts.digest_dir / created.strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{created:%H%M%S}-{message_id}-{_safe_name(recipient)}"
    for ext, key in (("html", "html"), ("txt", "text")):
        tmp = folder / f".{stem}.{ext}.tmp"
        tmp.write_text(data[key], encoding="utf-8")
        tmp.replace(folder / f"{stem}.{ext}")
    return str(folder / f"{stem}.html")


def deliver(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    root: Path,
    now: datetime,
    *,
    ids: list[int] | None = None,
) -> list[Delivery]:
    """Try every queued message (or those in ``ids``). Each outcome commits on its own."""
    from ordertrack.alerts.transport import DeliveryError, send_email, send_webhook

    where = "status = 'queued'"
    params: list[object] = []
    if ids is not None:
        where += " AND message_id IN (SELECT unnest(?::BIGINT[]))"
        params.append(ids)
    rows = con.execute(
        f"SELECT message_id, channel, recipient, payload, created_at FROM outbox WHERE {where} "
        "ORDER BY message_id",
        params,
    ).fetchall()
    out: list[Delivery] = []
    password: str | None = None
    for message_id, channel, recipient, payload, created in rows:
        path = None
        try:
            if channel == "email":
                if config.notify.smtp is None:
                    raise DeliveryError(
                        "no [notify.smtp] in ordertrack.toml any more; add it back to send this "
                        "message",
                        retry=True,
                    )
                if password is None and config.notify.smtp.password_env:
                    password = _env(config.notify.smtp.password_env, "notify.smtp.password_env")
                send_email(smtp_settings(config, password), [recipient], bytes(payload))
            elif channel == "webhook":
                body = json.loads(bytes(payload))
                send_webhook(
                    webhook_settings(config, recipient),
                    body["title"],
                    body["markdown"],
                    body["data"],
                    now,
                )
            else:
                path = _write_file(root, config, message_id, recipient, bytes(payload), created)
        except DeliveryError as e:
            status = "queued" if e.retry else "failed"
            con.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?, "
                "status = ? WHERE message_id = ?",
                [now, str(e), status, message_id],
            )
            out.append(Delivery(message_id, channel, recipient, status, str(e)))
            continue
        except OSError as e:  # the digest folder
            con.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, last_error = ? "
                "WHERE message_id = ?",
                [now, f"cannot write the digest: {e}", message_id],
            )
            out.append(Delivery(message_id, channel, recipient, "queued", str(e)))
            continue
        con.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, last_error = NULL, "
            "status = 'sent', sent_at = ? WHERE message_id = ?",
            [now, now, message_id],
        )
        out.append(Delivery(message_id, channel, recipient, "sent", path=path))
    return out
