"""Who is told what: one digest per recipient per sweep, queued in the outbox first.

An alert is **due** for notification when it fired and nobody was told yet (``new``),
rose to a new escalation step (``escalated``), is still firing ``repeat`` after the last
notice (``firing``), or resolved by itself and its rule has ``notify_resolved``
(``resolved``). Muted, and left due for later: snoozed alerts, alerts of orders on hold,
alerts whose rule another firing rule on the same order ``inhibits``. Acknowledged alerts
get no repeats or escalations (their resolution is still told).

Targets expand set-based (roles → people, ``@sales_rep`` → the order's rep, …) to
recipients; each recipient gets one message per channel: e-mail (a person with an
address, when ``[notify.smtp]`` is set), chat robot (``#name``), or a file in
``[alerts] digest_dir`` (everyone else — so nothing is silently dropped). Messages are
written to the ``outbox`` in the sweep's transaction, together with the alerts' "told"
marks: either both happen or neither. Delivery (``ordertrack.alerts.outbox``) follows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from ordertrack.alerts.settings import ORDER_FIELDS, Rule
from ordertrack.config import Config
from ordertrack.store.text import lit

__all__ = ["Queued", "queue_digests"]

SECTIONS = ("new", "escalated", "firing", "resolved")


@dataclass(frozen=True)
class Queued:
    """A digest put in the outbox."""

    message_id: int
    channel: str
    recipient: str
    recipient_name: str
    alerts: int


def _targets_table(con: duckdb.DuckDBPyConnection, config: Config, rules: list[Rule]) -> None:
    """``_targets(rule_id, level, target)``, ``_role_people``, ``_people`` from the config."""
    rows = []
    for r in rules:
        rows += [(r.id, 0, t) for t in r.notify_targets]
        for k, step in enumerate(r.escalate, start=1):
            rows += [(r.id, k, t) for t in step.notify]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _targets (rule_id VARCHAR, level INTEGER, target VARCHAR)"
    )
    if rows:
        con.executemany("INSERT INTO _targets VALUES (?, ?, ?)", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE _role_people (role VARCHAR, person VARCHAR)")
    pairs = [(role, p) for role, people in config.roles.items() for p in people]
    if pairs:
        con.executemany("INSERT INTO _role_people VALUES (?, ?)", pairs)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _people (person VARCHAR, name VARCHAR, email VARCHAR)"
    )
    people = [(k, p.name or k, p.email) for k, p in config.people.items()]
    if people:
        con.executemany("INSERT INTO _people VALUES (?, ?, ?)", people)
    # every way a person is written (key, e-mail, aliases) → the person: a role listing
    # "zhangwei" and "zhangwei@example.com", and orders saying "张伟", reach one recipient
    con.execute("CREATE OR REPLACE TEMP TABLE _alias (alias VARCHAR, person VARCHAR)")
    aliases: dict[str, str] = {}
    for key, person in config.people.items():
        for a in (key, person.email, *person.aliases):
            if a:
                aliases.setdefault(a.strip().lower(), key)
    if aliases:
        con.executemany("INSERT INTO _alias VALUES (?, ?)", list(aliases.items()))
    con.execute("CREATE OR REPLACE TEMP TABLE _inhibit (by_rule VARCHAR, muted VARCHAR)")
    inh = [(r.id, m) for r in rules for m in r.inhibits]
    if inh:
        con.executemany("INSERT INTO _inhibit VALUES (?, ?)", inh)


def due_alerts(
    con: duckdb.DuckDBPyConnection, config: Config, rules: list[Rule], now: datetime
) -> int:
    """Temp table ``_due(alert_id, section, level)``: the alerts to tell about now."""
    _targets_table(con, config, rules)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _due AS
        WITH a AS (
            SELECT a.*, r.repeat_s, r.notify_resolved, o.state AS order_state
            FROM alerts a
            JOIN _rules r USING (rule_id)
            LEFT JOIN orders o USING (order_id)
            WHERE a.rule_id IN (SELECT rule_id FROM _targets)
              AND (a.state = 'firing'
                   OR (a.state = 'resolved' AND r.notify_resolved AND a.resolved_notified_at IS NULL
                       AND a.last_notified_at IS NOT NULL AND a.resolved_reason = 'condition cleared'))
        ),
        inhibited AS (
            SELECT DISTINCT a.alert_id FROM a
            JOIN _inhibit i ON i.muted = a.rule_id
            JOIN alerts b ON b.rule_id = i.by_rule AND b.order_id = a.order_id AND b.state = 'firing'
            WHERE a.state = 'firing'
        )
        SELECT alert_id,
               CASE WHEN state = 'resolved' THEN 'resolved'
                    WHEN last_notified_at IS NULL THEN 'new'
                    WHEN escalation_level > notified_level THEN 'escalated'
                    ELSE 'firing' END AS section,
               escalation_level AS level
        FROM a
        WHERE state = 'resolved'
           OR (coalesce(order_state, 'open') = 'open'
               AND (snoozed_until IS NULL OR snoozed_until <= $now)
               AND alert_id NOT IN (SELECT alert_id FROM inhibited)
               AND (last_notified_at IS NULL
                    OR (acked_at IS NULL
                        AND (escalation_level > notified_level
                             OR epoch($now) - epoch(last_notified_at) >= repeat_s))))
        """,
        {"now": now},
    )
    row = con.execute("SELECT count(*) FROM _due").fetchone()
    return int(row[0]) if row else 0


def _recipients(con: duckdb.DuckDBPyConnection, config: Config, email_on: bool) -> None:
    """``_rcpt(alert_id, section, key, name, channel, address)``: due alerts × recipients."""
    roles = config.known_roles
    role_list = "[" + ", ".join(lit(r) for r in roles) + "]::VARCHAR[]"
    fields = {
        "@sales_rep": "o.sales_rep",
        "@follow_up": "coalesce(o.follow_up, o.sales_rep)",
    }
    assert set(f[1:] for f in fields) | {"owner"} == set(ORDER_FIELDS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _rcpt AS
        WITH d AS (
            SELECT d.alert_id, d.section, d.level, a.rule_id, a.order_id FROM _due d
            JOIN alerts a USING (alert_id)
        ),
        t AS (   -- the targets that apply: the base ones, and escalation steps reached
            SELECT d.*, t.target FROM d JOIN _targets t ON t.rule_id = d.rule_id AND t.level <= d.level
        ),
        o AS (SELECT order_id, any_value(sales_rep) AS sales_rep, any_value(follow_up) AS follow_up,
                     any_value(stage) AS stage FROM orders
              WHERE order_id IN (SELECT order_id FROM d) GROUP BY order_id),
        people AS (   -- each target as the people (or addresses, or robots) it names
            SELECT t.alert_id, t.section, p.person FROM t JOIN _role_people p ON p.role = t.target
            UNION ALL
            SELECT t.alert_id, t.section, t.target FROM t
            WHERE NOT list_contains({role_list}, t.target) AND t.target[1] NOT IN ('@', '#')
            UNION ALL
            SELECT t.alert_id, t.section, t.target FROM t WHERE t.target[1] = '#'
            UNION ALL
            SELECT t.alert_id, t.section,
                   CASE t.target WHEN '@sales_rep' THEN {fields["@sales_rep"]}
                                 ELSE {fields["@follow_up"]} END
            FROM t JOIN o USING (order_id) WHERE t.target IN ('@sales_rep', '@follow_up')
            UNION ALL
            SELECT t.alert_id, t.section, rp.person FROM t JOIN o USING (order_id)
            JOIN flow_stages fs ON fs.stage_id = o.stage
            JOIN _role_people rp ON rp.role = fs.owner_role
            WHERE t.target = '@owner'
        )
        , resolved AS (
            SELECT p.alert_id, p.section, coalesce(al.person, trim(p.person)) AS person
            FROM people p LEFT JOIN _alias al ON al.alias = lower(trim(p.person))
            WHERE p.person IS NOT NULL AND trim(p.person) <> ''
        )
        SELECT DISTINCT p.alert_id, p.section, p.person AS key,
               CASE WHEN p.person[1] = '#' THEN p.person ELSE coalesce(pp.name, p.person) END AS name,
               CASE WHEN p.person[1] = '#' THEN 'webhook'
                    WHEN {lit(email_on)} AND coalesce(pp.email, CASE WHEN contains(p.person, '@')
                                                       THEN p.person END) IS NOT NULL THEN 'email'
                    ELSE 'file' END AS channel,
               CASE WHEN p.person[1] = '#' THEN substr(p.person, 2)
                    WHEN {lit(email_on)} THEN coalesce(pp.email, p.person)
                    ELSE p.person END AS address
        FROM resolved p LEFT JOIN _people pp ON pp.person = p.person
        """
    )


def _items(
    con: duckdb.DuckDBPyConnection, key: str, channel: str, limit: int
) -> dict[str, tuple[list[Any], int]]:
    """Per section: the first ``limit`` alerts of a recipient (with the order's facts) and the total."""
    from ordertrack.alerts.digest import DigestItem

    rows = con.execute(
        """
        WITH mine AS (
            SELECT r.alert_id, r.section FROM _rcpt r WHERE r.key = $key AND r.channel = $channel
        ),
        ranked AS (
            SELECT m.*, a.severity, a.fired_at,
                   row_number() OVER (PARTITION BY m.section
                                      ORDER BY CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                                               a.fired_at, a.alert_id) AS n,
                   count(*) OVER (PARTITION BY m.section) AS total
            FROM mine m JOIN alerts a USING (alert_id)
        )
        SELECT k.section, k.total, a.alert_id, a.rule_id, r.title, a.severity, a.order_id, a.sku,
               o.customer, o.sales_rep, coalesce(fs.name, o.stage), o.amount, o.promised_date,
               o.planned_ship_date, a.fired_at, a.resolved_at, a.escalation_level
        FROM ranked k
        JOIN alerts a USING (alert_id)
        LEFT JOIN _rules r USING (rule_id)
        LEFT JOIN orders o USING (order_id)
        LEFT JOIN flow_stages fs ON fs.stage_id = coalesce(o.stage, (SELECT stage_id FROM flow_stages ORDER BY position LIMIT 1))
        WHERE k.n <= $limit
        ORDER BY k.section, k.n
        """,
        {"key": key, "channel": channel, "limit": limit},
    ).fetchall()
    out: dict[str, tuple[list[Any], int]] = {}
    for row in rows:
        section, total = row[0], int(row[1])
        items, _ = out.get(section, ([], total))
        items.append(DigestItem(*row[2:]))
        out[section] = (items, total)
    return out


def queue_digests(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    rules: list[Rule],
    now: datetime,
    sweep_id: int,
    workspace_name: str,
) -> tuple[list[Queued], list[str]]:
    """Put one digest per recipient and channel in the outbox; mark the alerts told.

    Runs in the sweep's transaction. Returns the messages queued and warnings (alerts
    nobody could be told about).
    """
    from ordertrack.alerts.digest import Digest, DigestSection, render_digest, render_markdown

    warnings: list[str] = []
    if not due_alerts(con, config, rules, now):
        return [], warnings
    smtp = config.notify.smtp
    _recipients(con, config, email_on=smtp is not None)
    orphans = con.execute(
        "SELECT a.rule_id, count(*) FROM _due d JOIN alerts a USING (alert_id) "
        "WHERE d.alert_id NOT IN (SELECT alert_id FROM _rcpt) GROUP BY ALL ORDER BY 1"
    ).fetchall()
    for rule_id, n in orphans:
        warnings.append(
            f"rule {rule_id}: {n} alert(s) had nobody to tell (the order has no sales rep / "
            "follow-up, or the role lists nobody in [roles])"
        )
    recipients = con.execute(
        "SELECT key, any_value(name), channel, any_value(address), count(DISTINCT alert_id) "
        "FROM _rcpt GROUP BY key, channel ORDER BY channel, key"
    ).fetchall()
    queued: list[Queued] = []
    limit = config.alerts.digest_limit
    lang = config.workspace.lang
    for key, name, channel, address, n_alerts in recipients:
        by_section = _items(con, key, channel, limit)
        sections = tuple(
            DigestSection(kind, tuple(by_section[kind][0]), by_section[kind][1])
            for kind in SECTIONS
            if kind in by_section
        )
        digest = Digest(
            recipient=name, workspace=workspace_name, as_of=now, lang=lang, sections=sections
        )
        subject, html, text = render_digest(digest)
        dedupe = f"{sweep_id}|{channel}|{key}"
        if channel == "email":
            assert smtp is not None
            from ordertrack.alerts.outbox import smtp_settings
            from ordertrack.alerts.transport import make_email

            msg_id = _next_message_id(con)
            payload = make_email(
                smtp_settings(config, password=None),
                address,
                name if name != address else None,
                subject,
                html,
                text,
                f"<ordertrack-{msg_id}.{now:%Y%m%dT%H%M%S}@ordertrack>",
                now,
            )
        elif channel == "webhook":
            title, markdown = render_markdown(digest)
            counts = {s.kind: s.total for s in sections}
            payload = json.dumps(
                {
                    "title": title,
                    "markdown": markdown,
                    "data": {"counts": counts, "as_of": now.isoformat()},
                },
                ensure_ascii=False,
            ).encode()
            msg_id = _next_message_id(con)
        else:
            payload = json.dumps(
                {"subject": subject, "html": html, "text": text}, ensure_ascii=False
            ).encode()
            msg_id = _next_message_id(con)
        con.execute(
            "INSERT INTO outbox (message_id, dedupe_key, sweep_id, channel, recipient, recipient_name, "
            "subject, payload, alert_count, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?) ON CONFLICT (dedupe_key) DO NOTHING",
            [msg_id, dedupe, sweep_id, channel, address, name, subject, payload, n_alerts, now],
        )
        queued.append(Queued(msg_id, channel, address, name, int(n_alerts)))
    # told: all due alerts (also those nobody could be told about: no repeats of the warning)
    con.execute(
        """
        UPDATE alerts SET last_notified_at = $now, notify_count = notify_count + 1,
                          notified_level = escalation_level
        WHERE alert_id IN (SELECT alert_id FROM _due WHERE section <> 'resolved')
        """,
        {"now": now},
    )
    con.execute(
        "UPDATE alerts SET resolved_notified_at = $now "
        "WHERE alert_id IN (SELECT alert_id FROM _due WHERE section = 'resolved')",
        {"now": now},
    )
    return queued, warnings


def _next_message_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT nextval('seq_message_id')").fetchone()
    assert row is not None
    return int(row[0])
