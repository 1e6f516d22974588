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
from dataclasses import dataclass
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
    already is not sent it again (unless ``resend``), and one whose copy still waits in
    the outbox (a send interrupted, a server down) gets that copy, not a second one; so
    running the command again after a crash, or from cron twice, mails nobody twice.
    """
    from ordertrack.alerts.outbox import Delivery, deliver
    from ordertrack.clock import current_user
    from ordertrack.report.output import render_html, render_text, write_xlsx
    from ordertrack.report.packs import build_report, pack_def

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
        with store.transaction() as con:
            earlier = _earlier_copies(
                con, pack.id, report.period.label, [r.address for r in recipients]
            )
            for rcpt in recipients:
                copy = earlier.get(rcpt.address.lower())
                if copy is not None and copy[1] == "queued":
                    ids.append(copy[0])  # the copy an earlier send left: deliver that one
                    continue
                if copy is not None and copy[1] == "sent" and not resend:
                    done.append(
                        Delivery(
                            copy[0],
                            "email",
                            rcpt.address,
                            "sent",
                            note=f"sent already at {copy[2]:%Y-%m-%d %H:%M}; "
                            "--resend sends it again",
                        )
                    )
                    continue
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
            con.execute(
                "INSERT INTO audit_log (logged_at, actor, command, args, changes) "
                "VALUES (?, ?, 'report send', ?, ?)",
                [
                    now,
                    actor,
                    json.dumps(
                        {"pack": pack.id, "period": report.period.label, "to": entries},
                        ensure_ascii=False,
                    ),
                    json.dumps({"outbox": ids, "sent_already": [d.message_id for d in done]}),
                ],
            )
        return done + deliver(store.con, config, ws.root, now, ids=ids)


def _key_prefix(pack_id: str, period_label: str, address: str) -> str:
    """The outbox ``dedupe_key`` of a report's copy starts so: pack, period, reader."""
    return f"report|{pack_id}|{period_label}|{address.lower()}|"


def _earlier_copies(
    con: duckdb.DuckDBPyConnection, pack_id: str, period_label: str, addresses: list[str]
) -> dict[str, tuple[int, str, datetime]]:
    """Per reader's address (lower case): the latest copy of this pack and period in the
    outbox that was sent or still waits (message id, status, when), failed ones aside."""
    rows = con.execute(
        "SELECT r.address, arg_max(o.message_id, o.message_id), "
        "arg_max(o.status, o.message_id), arg_max(coalesce(o.sent_at, o.created_at), "
        "o.message_id) "
        "FROM (SELECT unnest(?::VARCHAR[]) AS address) r "
        "JOIN outbox o ON starts_with(o.dedupe_key, ? || r.address || '|') "
        "WHERE o.status IN ('queued', 'sent') GROUP BY r.address",
        [[a.lower() for a in addresses], f"report|{pack_id}|{period_label}|"],
    ).fetchall()
    return {r[0]: (int(r[1]), str(r[2]), r[3]) for r in rows}
