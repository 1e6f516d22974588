"""``report send``: a pack's report e-mailed to its readers through the outbox.

One message per recipient::

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain                 the headline figures (render_text)
    │   └── multipart/related
    │       ├── text/html              the report, charts as <img src="cid:chartN@ordertrack">
    │       └── image/png …            one per chart, Content-ID <chartN@ordertrack>
    └── application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
                                       the KPI tables, "<pack>-<period>.xlsx"

Mail clients block ``data:`` images, hence the related parts. The messages are queued in
the ``outbox`` table in one transaction and then delivered at once by
:func:`ordertrack.alerts.outbox.deliver`, so a report gets the digests' guarantees: a
message the server did not take stays ``queued`` with its error, and ``ordertrack outbox
retry`` sends it later, once.

Recipients are e-mail addresses, people (``[people.KEY]``: the key, an alias or their
address) or roles (``[roles]``): a role stands for those of its members who have an
address (login names listed next to the person's address are passed over); a person named
directly must have one.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ordertrack.errors import UserError

if TYPE_CHECKING:
    import duckdb

    from ordertrack.alerts.outbox import Delivery
    from ordertrack.config import Config
    from ordertrack.report.packs import Report
    from ordertrack.workspace import Workspace

__all__ = ["Recipient", "make_report_email", "resolve_recipients", "send_report", "subject"]

#: RFC 5322 with CRLF line ends, and 7-bit bodies (Chinese goes out base64 or
#: quoted-printable: no 8BITMIME needed from the server). As the digests' messages.
_POLICY = SMTP.clone(cte_type="7bit")

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # as [people.KEY] email

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

_SMTP_HINT = (
    "Add the mail server to ordertrack.toml:\n"
    "  [notify.smtp]\n"
    '  host = "smtp.example.com"\n'
    '  security = "starttls"        # or "ssl" (port 465), "plain"\n'
    "  port = 587                   # optional\n"
    '  sender = "ordertrack@example.com"\n'
    '  user = "ordertrack@example.com"   # to log in (optional)\n'
    '  password_env = "OT_SMTP_PASSWORD" # the variable holding the password\n'
    "or write the report to a file instead: `ordertrack report build --pack PACK`."
)


@dataclass(frozen=True)
class Recipient:
    """Where one copy of the report goes: an address, and the person's name if known."""

    address: str
    name: str | None = None


def _one_line(value: str) -> str:
    """A header value on one line (a CR or LF in a header would start a new header)."""
    return " ".join(value.split())


def resolve_recipients(config: Config, entries: list[str]) -> list[Recipient]:
    """Addresses, people and roles → one :class:`Recipient` per address, in order.

    An entry containing "@" is an address; a role (``[roles]``) expands to its members;
    anything else is a person: their key, an alias or their address (case does not
    matter). Raises :class:`UserError` naming every entry that leads to no address.
    """
    people = config.people
    alias: dict[str, str] = {}
    for key, person in people.items():
        for a in (key, person.email, *person.aliases):
            if a:
                alias.setdefault(a.strip().lower(), key)
    out: dict[str, Recipient] = {}
    problems: list[str] = []

    def person_for(text: str) -> str | None:
        return alias.get(text.strip().lower())

    def add(address: str, key: str | None) -> None:
        name = (people[key].name or key) if key is not None else None
        out.setdefault(address.lower(), Recipient(address, name))

    def member(text: str) -> bool:
        """Add one person or address; False when it leads to no address."""
        key = person_for(text)
        if "@" in text:
            if not _ADDRESS.match(text):
                return False
            add(text, key)
            return True
        address = people[key].email if key is not None else None
        if address is None:
            return False
        add(address, key)
        return True

    roles = config.roles
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        if entry in roles or entry in config.known_roles:
            found = [m for m in roles.get(entry, []) if member(m.strip())]
            if not found:
                problems.append(
                    f'role "{entry}" has nobody with an e-mail address (list addresses under '
                    f"[roles] {entry}, or give its people [people.KEY] email)"
                )
        elif not member(entry):
            who = person_for(entry)
            if "@" in entry:
                problems.append(f'"{entry}" is not an e-mail address')
            elif who is not None:
                problems.append(f'"{entry}" ([people.{who}]) has no email')
            else:
                problems.append(
                    f'"{entry}" is not an e-mail address, a person in [people] or a role in [roles]'
                )
    if problems:
        raise UserError(
            "cannot mail the report: " + "; ".join(problems),
            hint="Recipients are e-mail addresses, [people] keys or aliases, or [roles] names.",
        )
    return list(out.values())


def make_report_email(
    report: Report,
    html: str,
    text: str,
    images: dict[str, bytes],
    xlsx: tuple[str, bytes] | None,
    *,
    sender: Recipient,
    to: Recipient,
    message_id: str,
    date: datetime,
) -> bytes:
    """One recipient's message: text and HTML alternatives, the charts as related
    parts (``images``: Content-ID without ``<>`` → PNG), the XLSX attached."""
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = Address(display_name=_one_line(sender.name or ""), addr_spec=sender.address)
    msg["To"] = Address(display_name=_one_line(to.name or ""), addr_spec=to.address)
    msg["Subject"] = _one_line(subject(report))
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    html_part = list(msg.iter_parts())[1]  # the text/html alternative
    assert isinstance(html_part, EmailMessage)
    for cid, png in images.items():
        html_part.add_related(png, "image", "png", cid=f"<{cid}>", disposition="inline")
    if xlsx is not None:
        filename, data = xlsx
        msg.add_attachment(data, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=filename)
    return msg.as_bytes()


def subject(report: Report) -> str:
    """``[<workspace>] <pack title> <period>``, e.g. ``[华东精工] 订单履约 — 管理层摘要 2026年6月``."""
    return f"[{report.workspace}] {report.title} {report.period.label_for(report.lang)}"


def send_report(
    ws: Workspace,
    pack_id: str,
    period_text: str | None = None,
    *,
    to: list[str] | None = None,
    by: str | None = None,
    resend: bool = False,
) -> list[Delivery]:
    """Build a pack's report and e-mail it: one message per recipient, queued in the
    outbox in one transaction, then delivered now.

    ``to``: addresses, people or roles (default: the pack's ``recipients``). Returns the
    delivery outcomes: a message not ``sent`` waits in the outbox for ``ordertrack outbox
    retry``. Raises :class:`UserError` without ``[notify.smtp]``, for an unknown pack or
    period, and for recipients that lead to no address.

    Sending is idempotent per pack, period and reader: a reader who was sent this report
    already is passed over (a ``skipped`` outcome) unless ``resend``; a copy of it that
    still waits in the outbox, or failed, is replaced by the fresh one (marked
    ``superseded``, so ``outbox retry`` does not send it too). Running the command again
    after a crash, a server outage or a password fix, or from cron twice, mails nobody
    twice; when everyone has it already, the report is not even built.
    """
    from ordertrack.alerts.outbox import Delivery, deliver
    from ordertrack.clock import current_user
    from ordertrack.report.output import render_html, render_text, write_xlsx
    from ordertrack.report.packs import build_report, pack_def
    from ordertrack.report.periods import parse_period

    config = ws.config
    smtp = config.notify.smtp
    if smtp is None:
        raise UserError(
            f"`report send` needs a mail server: there is no [notify.smtp] in {ws.config_path}",
            hint=_SMTP_HINT,
        )
    pack = pack_def(ws, pack_id)
    entries = list(to) if to else list(pack.recipients)
    if not entries:
        raise UserError(
            f'pack "{pack.id}" has no recipients',
            hint=f"Pass --to ADDRESS|PERSON|ROLE, or set recipients in [packs.{pack.id}].",
        )
    recipients = resolve_recipients(config, entries)
    period = parse_period(period_text, today=ws.now().date(), default=pack.period)
    labels = (period.label, period.label_for(config.workspace.lang))
    addresses = [r.address for r in recipients]

    def skipped(rcpt: Recipient, copy: _Copies) -> Delivery | None:
        if resend or copy.sent_id is None:
            return None
        when = f"{copy.sent_at:%Y-%m-%d %H:%M}" if copy.sent_at else "before"
        return Delivery(
            copy.sent_id,
            "email",
            rcpt.address,
            "skipped",
            note=f"sent already at {when}; --resend sends it again",
        )

    with ws.connect(read_only=True) as store:  # everyone has it: nothing to build
        earlier = _earlier_copies(store.con, pack.id, labels, addresses)
    if not resend and all(earlier.get(a.lower(), _NONE).sent_id is not None for a in addresses):
        return [d for r in recipients if (d := skipped(r, earlier[r.address.lower()]))]

    report = build_report(ws, pack.id, period_text)
    html, by_cid = render_html(report, cid=True)
    text = render_text(report)
    images = {cid: chart.png for cid, chart in by_cid.items()}
    filename = f"{pack.id}-{report.period.label}.xlsx"
    with tempfile.TemporaryDirectory(prefix="ordertrack-report-") as tmp:
        xlsx = write_xlsx(report, Path(tmp) / filename).read_bytes()
    sender = Recipient(smtp.sender, smtp.sender_name)
    now = ws.now()
    title = subject(report)
    actor = (by or current_user()).strip()
    with ws.connect() as store:
        ids: list[int] = []
        done: list[Delivery] = []
        superseded: list[int] = []
        with store.transaction() as con:
            # again, in the write transaction: another send may have run meanwhile
            earlier = _earlier_copies(con, pack.id, labels, addresses)
            for rcpt in recipients:
                copy = earlier.get(rcpt.address.lower(), _NONE)
                if (d := skipped(rcpt, copy)) is not None:
                    done.append(d)
                    continue
                superseded += copy.waiting
                row = con.execute("SELECT nextval('seq_message_id')").fetchone()
                assert row is not None
                message_id = int(row[0])
                payload = make_report_email(
                    report,
                    html,
                    text,
                    images,
                    (filename, xlsx),
                    sender=sender,
                    to=rcpt,
                    message_id=f"<ordertrack-{message_id}.{now:%Y%m%dT%H%M%S}@ordertrack>",
                    date=now,
                )
                # the message id keeps two sends at the same (pinned) instant apart
                dedupe = (
                    f"{_key_prefix(pack.id, report.period.label, rcpt.address)}"
                    f"{now.isoformat()}|{message_id}"
                )
                con.execute(
                    "INSERT INTO outbox (message_id, dedupe_key, sweep_id, channel, recipient, "
                    "recipient_name, subject, payload, alert_count, status, created_at) "
                    "VALUES (?, ?, NULL, 'email', ?, ?, ?, ?, NULL, 'queued', ?)",
                    [message_id, dedupe, rcpt.address, rcpt.name, title, payload, now],
                )
                ids.append(message_id)
            if superseded:
                con.execute(
                    "UPDATE outbox SET status = 'superseded' "
                    "WHERE message_id IN (SELECT unnest(?::BIGINT[]))",
                    [superseded],
                )
            changes: dict[str, object] = {"outbox": ids}
            if done:
                changes["skipped"] = [d.message_id for d in done]
            if superseded:
                changes["superseded"] = superseded
            con.execute(
                "INSERT INTO audit_log (logged_at, actor, command, args, changes) "
                "VALUES (?, ?, 'report send', ?, ?)",
                [
                    now,
                    actor,
                    json.dumps(
                        {
                            "pack": pack.id,
                            "period": report.period.label,
                            "to": entries,
                            **({"resend": True} if resend else {}),
                        },
                        ensure_ascii=False,
                    ),
                    json.dumps(changes),
                ],
            )
        return done + deliver(store.con, config, ws.root, now, ids=ids)


@dataclass(frozen=True)
class _Copies:
    """A reader's earlier copies of one report: the last one sent, and those waiting or
    failed (to be superseded by a new copy)."""

    sent_id: int | None = None
    sent_at: datetime | None = None
    waiting: list[int] = field(default_factory=list)


_NONE = _Copies()


def _key_prefix(pack_id: str, period_label: str, address: str) -> str:
    """The outbox ``dedupe_key`` of a report's copy starts so: pack, period, reader."""
    return f"report|{pack_id}|{period_label}|{address.lower()}|"


def _earlier_copies(
    con: duckdb.DuckDBPyConnection, pack_id: str, labels: tuple[str, str], addresses: list[str]
) -> dict[str, _Copies]:
    """Per reader's address (lower case): their earlier copies of this pack and period in
    the outbox. ``labels``: the period's label and its label in the workspace language
    (older keys used the latter)."""
    prefixes = list(dict.fromkeys(f"report|{pack_id}|{label}|".lower() for label in labels))
    rows = con.execute(
        "SELECT r.address, "
        "arg_max(o.message_id, o.message_id) FILTER (WHERE o.status = 'sent'), "
        "max(coalesce(o.sent_at, o.created_at)) FILTER (WHERE o.status = 'sent'), "
        "list(o.message_id ORDER BY o.message_id) "
        "FILTER (WHERE o.status IN ('queued', 'failed')) "
        "FROM (SELECT unnest(?::VARCHAR[]) AS address) r "
        "CROSS JOIN (SELECT unnest(?::VARCHAR[]) AS prefix) p "
        "JOIN outbox o ON starts_with(lower(o.dedupe_key), p.prefix || r.address || '|') "
        "GROUP BY r.address",
        [[a.lower() for a in addresses], prefixes],
    ).fetchall()
    return {
        r[0]: _Copies(None if r[1] is None else int(r[1]), r[2], [int(i) for i in r[3] or []])
        for r in rows
    }
