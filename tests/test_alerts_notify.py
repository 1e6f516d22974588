"""Who is told what, and when: digests, repeats, acks, snoozes, inhibition, escalation,
and delivery through a real SMTP server (aiosmtpd) and a real chat-robot endpoint
(http.server), both on 127.0.0.1, started by the tests.

The order center is the alert shop of ``test_alerts`` (:data:`test_alerts.ORDERS`); the
people are :data:`test_alerts.ROLES` and :data:`test_alerts.PEOPLE`: 马骏 (majun) is the
sales director, listed under the role by login and by e-mail address; 张伟 — the sales
rep of SO-1 and SO-3 as the exports spell him — is the person ``zhangwei``; 李娜 (SO-2)
has no ``[people]`` entry; the CEO is ``boss``. The clock is ``ORDERTRACK_NOW``.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import test_transport
from aiosmtpd.controller import Controller
from conftest import Invoke, set_config
from test_alerts import (  # noqa: F401  (fixtures)
    ORDERS,
    _cli_built_once,
    alert_shop_template_fixture,
    alerts,
    ashop_fixture,
    at,
    import_orders,
    iso,
    one_row,
    run_cli,
    set_rules,
    sweep,
    table_state,
    with_amount,
)
from test_import import rows
from test_transport import (
    PASSWORD,
    USER,
    Inbox,
    Robot,
    StartServer,
    authenticator,
    free_port,
)

from ordertrack.errors import EXIT_CONDITION, EXIT_OK

# the real servers of test_transport: a recording chat robot, and aiosmtpd
robot = test_transport.robot
smtp_server = test_transport.smtp_server

BIG = """
[[rules]]
id = "big_order"
description = "Order over 100,000"
when = "amount > 100000"
{extra}
actions = [{{ notify = {targets} }}]
"""
SHIP = """
[[rules]]
id = "ship_due"
description = "Planned ship date reached, not shipped"
severity = "critical"
when = "planned_ship_date <= as_of::DATE AND before_shipped"
{extra}
actions = [{{ notify = {targets} }}]
"""


def big(targets: list[str], extra: str = "") -> str:
    return BIG.format(targets=json.dumps(targets, ensure_ascii=False), extra=extra)


def ship(targets: list[str], extra: str = "") -> str:
    return SHIP.format(targets=json.dumps(targets, ensure_ascii=False), extra=extra)


OUTBOX = "channel, recipient, recipient_name, subject, alert_count, status, attempts"


def outbox(ws: Path, where: str = "true") -> list[tuple[Any, ...]]:
    return rows(ws, f"SELECT {OUTBOX} FROM outbox WHERE {where} ORDER BY message_id")


def subjects(result: dict[str, Any], ws: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of the messages a sweep queued, by recipient."""
    ids = [q["message_id"] for q in result["queued"]]
    if not ids:
        return []
    return rows(
        ws,
        "SELECT recipient, subject FROM outbox WHERE list_contains(?, message_id) ORDER BY recipient",
        [ids],
    )


def digest_text(ws: Path, message_id: int) -> str:
    """The plain-text part of a file digest (from the outbox payload)."""
    payload = one_row(ws, "SELECT payload FROM outbox WHERE message_id = ?", [message_id])
    return str(json.loads(bytes(payload))["text"])


def alert_id(ws: Path, rule: str, order: str) -> int:
    return int(
        one_row(
            ws,
            "SELECT alert_id FROM alerts WHERE rule_id = ? AND order_id = ? AND state <> 'resolved'",
            [rule, order],
        )
    )


# ---------------------------------------------------------------------------------------
# digests: one per recipient per sweep; files without [notify.smtp]


def test_one_digest_per_recipient_written_to_files_without_smtp(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(ashop, big(["sales_director"]) + ship(["@sales_rep", "sales_director"]))

    result = run_cli(invoke, ashop, "alerts", "run", "--notify")

    assert result.exit_code == EXIT_OK, result.stderr
    folder = ashop / "out" / "digests" / "2026-06-30"
    tail = result.stdout[result.stdout.index("Digests queued") :]
    assert " ".join(tail.split()) == f"Digests queued: 2 2 digest(s) written to {folder}"
    assert result.stderr == ""
    # 马骏 is listed twice under sales_director (login and e-mail): one digest, 3 alerts;
    # 张伟 (the orders' spelling) is the person zhangwei: one digest for SO-1 and SO-3
    assert outbox(ashop) == [
        ("file", "majun", "马骏", "[My Company] Order alerts (2 critical): 3 new", 3, "sent", 1),
        ("file", "zhangwei", "张伟", "[My Company] Order alerts (2 critical): 2 new", 2, "sent", 1),
    ]
    assert rows(
        ashop, "SELECT DISTINCT created_at, last_attempt_at, sent_at, last_error FROM outbox"
    ) == [(at(0), at(0), at(0), None)]
    assert sorted(p.name for p in folder.iterdir()) == [
        "020000-1-majun.html",
        "020000-1-majun.txt",
        "020000-2-zhangwei.html",
        "020000-2-zhangwei.txt",
    ]
    majun = (folder / "020000-1-majun.txt").read_text(encoding="utf-8")
    assert majun.startswith(
        "Order alerts · My Company\nTo 马骏 · As of 2026-06-30 02:00 (UTC)\n\nNew alerts (3)\n"
    )
    assert [line.split("] ", 1)[1] for line in majun.splitlines() if line.startswith("#")] == [
        "Planned ship date reached, not shipped",
        "Planned ship date reached, not shipped",
        "Order over 100,000",
    ]
    assert {o for o in ("SO-1", "SO-2", "SO-3") if f"Order         {o}\n" in majun} == {
        "SO-1",
        "SO-2",
        "SO-3",
    }
    zhang = (folder / "020000-2-zhangwei.txt").read_text(encoding="utf-8")
    assert "SO-2" not in zhang and "SO-1" in zhang and "SO-3" in zhang
    html = (folder / "020000-2-zhangwei.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "ACME Ltd." in html
    assert rows(ashop, "SELECT DISTINCT last_notified_at, notify_count FROM alerts") == [(at(0), 1)]


def test_nobody_to_tell_is_a_warning_not_an_error(
    ashop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_alerts import api_sweep

    set_rules(ashop, big(["logistics"]))  # a role nobody holds

    result = api_sweep(ashop, monkeypatch, notify=True)

    assert result.warnings == [
        "rule big_order: 1 alert(s) had nobody to tell (the order has no sales rep / "
        "follow-up, or the role lists nobody in [roles])"
    ]
    assert outbox(ashop) == []
    # told (nobody): no warning again on the next sweep
    assert api_sweep(ashop, monkeypatch, 10, notify=True).warnings == []


def test_the_nobody_to_tell_warning_is_printed_as_written(invoke: Invoke, ashop: Path) -> None:
    """Not read as rich markup: "[roles]" stays in the text."""
    set_rules(ashop, big(["logistics"]))

    result = run_cli(invoke, ashop, "alerts", "run", "--notify")

    assert result.exit_code == EXIT_OK
    assert " ".join(result.stderr.split()) == (  # (wrapped at the terminal's width)
        "Warning: rule big_order: 1 alert(s) had nobody to tell (the order has no sales rep / "
        "follow-up, or the role lists nobody in [roles])"
    )


def test_repeat_re_notifies_after_its_time_and_ack_stops_it(invoke: Invoke, ashop: Path) -> None:
    set_rules(ashop, ship(["@sales_rep"], 'repeat = "1h"'))
    first = sweep(invoke, ashop, "--notify")
    assert subjects(first, ashop) == [("zhangwei", "[My Company] Order alerts (2 critical): 2 new")]

    assert sweep(invoke, ashop, "--notify", minutes=30)["queued"] == []
    repeated = sweep(invoke, ashop, "--notify", minutes=61)
    assert subjects(repeated, ashop) == [
        ("zhangwei", "[My Company] Order alerts (2 critical): 2 still firing")
    ]
    text = digest_text(ashop, repeated["queued"][0]["message_id"])
    assert "\nStill firing (2)\n" in text and "New alerts" not in text

    so1 = alert_id(ashop, "ship_due", "SO-1")
    acked = run_cli(
        invoke, ashop, "alerts", "ack", str(so1), "--note", "calling the carrier", minutes=65
    )
    assert acked.exit_code == EXIT_OK, acked.stderr
    assert sweep(invoke, ashop, "--notify", minutes=100)["queued"] == []
    again = sweep(invoke, ashop, "--notify", minutes=122)
    assert subjects(again, ashop) == [
        ("zhangwei", "[My Company] Order alerts (1 critical): 1 still firing")
    ]
    assert "SO-1" not in digest_text(ashop, again["queued"][0]["message_id"])
    assert rows(
        ashop, "SELECT order_id, notify_count, last_notified_at FROM alerts ORDER BY order_id"
    ) == [
        ("SO-1", 2, at(61)),
        ("SO-3", 3, at(122)),
    ]


def test_a_snoozed_alert_is_not_told_until_the_snooze_ends(invoke: Invoke, ashop: Path) -> None:
    set_rules(ashop, ship(["@sales_rep"], 'repeat = "1h"'))
    sweep(invoke, ashop, "--notify")
    so1 = alert_id(ashop, "ship_due", "SO-1")
    snoozed = run_cli(invoke, ashop, "alerts", "snooze", str(so1), "--for", "2h", minutes=5)
    assert snoozed.exit_code == EXIT_OK, snoozed.stderr
    assert one_row(
        ashop, "SELECT snoozed_until, snoozed_by FROM alerts WHERE alert_id = ?", [so1]
    ) == (
        at(125),
        "tester",
    )

    during = sweep(invoke, ashop, "--notify", minutes=61)
    assert "SO-1" not in digest_text(ashop, during["queued"][0]["message_id"])
    assert during["firing"] == {"info": 0, "warning": 0, "critical": 1}  # snoozed: not counted
    assert sweep(invoke, ashop, "--notify", minutes=120)["queued"] == []

    after = sweep(invoke, ashop, "--notify", minutes=126)  # SO-3's repeat is due again too
    assert subjects(after, ashop) == [
        ("zhangwei", "[My Company] Order alerts (2 critical): 2 still firing")
    ]
    assert "SO-1" in digest_text(ashop, after["queued"][0]["message_id"])
    assert after["firing"] == {"info": 0, "warning": 0, "critical": 2}


def test_notify_resolved_tells_the_recipients_once_when_it_resolves(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(
        ashop,
        big(["sales_director"], "notify_resolved = true")
        + """
[[rules]]
id = "very_big"
when = "amount > 120000"
actions = [{ notify = ["sales_director"] }]
""",
    )
    sweep(invoke, ashop, "--notify")
    # acknowledged: no more reminders, but its resolution is still told
    acked = run_cli(
        invoke, ashop, "alerts", "ack", str(alert_id(ashop, "big_order", "SO-2")), minutes=5
    )
    assert acked.exit_code == EXIT_OK
    import_orders(invoke, ashop, with_amount("SO-2", "90000"))

    resolved = sweep(invoke, ashop, "--notify", minutes=30)

    assert [r["resolved"] for r in resolved["rules"]] == [1, 1]
    # only the rule with notify_resolved is told
    assert subjects(resolved, ashop) == [("majun", "[My Company] Order alerts: 1 resolved")]
    text = digest_text(ashop, resolved["queued"][0]["message_id"])
    assert "\nResolved (1)\n" in text and "Order over 100,000" in text
    assert rows(ashop, "SELECT rule_id, resolved_notified_at FROM alerts ORDER BY rule_id") == [
        ("big_order", at(30)),
        ("very_big", None),
    ]
    assert sweep(invoke, ashop, "--notify", minutes=40)["queued"] == []


def test_an_inhibited_alert_keeps_firing_silently_until_the_inhibiting_one_resolves(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(
        ashop,
        big(["sales_director"], 'inhibits = ["watched"]')
        + """
[[rules]]
id = "watched"
description = "Watched order"
when = "order_id IN ('SO-1', 'SO-2')"
actions = [{ notify = ["sales_director"] }]
""",
    )
    first = sweep(invoke, ashop, "--notify")

    assert subjects(first, ashop) == [("majun", "[My Company] Order alerts: 2 new")]
    watched_so2 = alert_id(ashop, "watched", "SO-2")
    assert f"#{watched_so2} " not in digest_text(ashop, first["queued"][0]["message_id"])
    assert one_row(
        ashop, "SELECT state, last_notified_at FROM alerts WHERE alert_id = ?", [watched_so2]
    ) == (
        "firing",
        None,
    )

    import_orders(invoke, ashop, with_amount("SO-2", "90000"))  # big_order resolves
    later = sweep(invoke, ashop, "--notify", minutes=30)

    assert subjects(later, ashop) == [("majun", "[My Company] Order alerts: 1 new")]
    text = digest_text(ashop, later["queued"][0]["message_id"])
    assert f"#{watched_so2} [warning] Watched order" in text
    assert "Order         SO-2\n" in text


def test_escalation_tells_the_next_level_after_its_time_unless_acknowledged(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(ashop, ship(["@sales_rep"], 'escalate = [{ after = "1h", notify = ["ceo"] }]'))
    sweep(invoke, ashop, "--notify")
    so1 = alert_id(ashop, "ship_due", "SO-1")
    assert run_cli(invoke, ashop, "alerts", "ack", str(so1), minutes=10).exit_code == EXIT_OK

    assert sweep(invoke, ashop, "--notify", minutes=30)["queued"] == []
    escalated = sweep(invoke, ashop, "--notify", minutes=61)

    assert escalated["escalated"] == 1
    # the CEO is told, and so are the rule's own recipients (an escalation adds people)
    assert subjects(escalated, ashop) == [
        ("boss", "[My Company] Order alerts (1 critical): 1 escalated"),
        ("zhangwei", "[My Company] Order alerts (1 critical): 1 escalated"),
    ]
    boss_id = next(q["message_id"] for q in escalated["queued"] if q["recipient"] == "boss")
    text = digest_text(ashop, boss_id)
    assert text.startswith("Order alerts · My Company\nTo 沈国栋 ·")
    assert "\nEscalated (1)\n" in text and "SO-3" in text and "SO-1" not in text
    assert rows(ashop, "SELECT order_id, escalation_level FROM alerts ORDER BY order_id") == [
        ("SO-1", 0),
        ("SO-3", 1),
    ]
    assert sweep(invoke, ashop, "--notify", minutes=90)["queued"] == []


# ---------------------------------------------------------------------------------------
# e-mail through a real SMTP server on 127.0.0.1


def smtp_config(port: int, extra: str = "") -> str:
    return f"""
[notify.smtp]
host = "127.0.0.1"
port = {port}
security = "plain"
sender = "ot@example.com"
sender_name = "订单预警"
timeout = 3
{extra}
"""


def chinese_workspace(ws: Path) -> None:
    set_config(ws, 'name = "My Company"', 'name = "华东精密"')
    set_config(ws, 'lang = "en"', 'lang = "zh"')


def parse(envelope: Any) -> EmailMessage:
    msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_each_recipient_gets_one_e_mail_with_chinese_headers_and_two_parts(
    invoke: Invoke, ashop: Path, smtp_server: StartServer
) -> None:
    controller, inbox = smtp_server()
    chinese_workspace(ashop)
    set_rules(
        ashop,
        big(["sales_director", "@sales_rep"])
        + ship(["@sales_rep", "sales_director"])
        + smtp_config(controller.port),
    )

    result = sweep(invoke, ashop, "--notify")

    assert sorted((d["channel"], d["recipient"], d["status"]) for d in result["deliveries"]) == [
        ("email", "majun@example.com", "sent"),
        ("email", "zhangwei@example.com", "sent"),
        ("file", "李娜", "sent"),  # no [people] entry, no address: a digest file, not dropped
    ]
    assert sorted(tuple(e.rcpt_tos) for e in inbox.received) == [
        ("majun@example.com",),
        ("zhangwei@example.com",),
    ]
    by_to = {e.rcpt_tos[0]: parse(e) for e in inbox.received}
    majun = by_to["majun@example.com"]
    assert majun["Subject"] == "[华东精密] 订单预警（2 条严重）：3 条新预警"
    assert majun["From"].addresses[0].display_name == "订单预警"
    assert majun["From"].addresses[0].addr_spec == "ot@example.com"
    assert majun["To"].addresses[0].display_name == "马骏"
    assert majun.get_content_type() == "multipart/alternative"
    plain, html = majun.iter_parts()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert plain.get_content().startswith("订单预警 · 华东精密\r\n致 马骏 · ")
    assert all(o in html.get_content() for o in ("SO-1", "SO-2", "SO-3", "苏州凯越"))
    assert by_to["zhangwei@example.com"]["Subject"] == "[华东精密] 订单预警（2 条严重）：2 条新预警"
    assert outbox(ashop, "channel = 'email'") == [
        (
            "email",
            "majun@example.com",
            "马骏",
            "[华东精密] 订单预警（2 条严重）：3 条新预警",
            3,
            "sent",
            1,
        ),
        (
            "email",
            "zhangwei@example.com",
            "张伟",
            "[华东精密] 订单预警（2 条严重）：2 条新预警",
            2,
            "sent",
            1,
        ),
    ]

    # nothing new: nothing is sent
    before = table_state(ashop)
    again = sweep(invoke, ashop, "--notify", minutes=10)
    assert again["queued"] == [] and again["deliveries"] == []
    assert len(inbox.received) == 2
    assert table_state(ashop) == before


def queued_error(ws: Path) -> tuple[Any, ...]:
    return one_row(ws, "SELECT message_id, status, attempts, last_error, sent_at FROM outbox")


@pytest.mark.parametrize("resend", ["outbox retry", "alerts run --notify"])
def test_a_stopped_server_leaves_the_message_queued_and_it_goes_out_exactly_once_later(
    invoke: Invoke, ashop: Path, resend: str
) -> None:
    first = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    first.start()
    port = first.port
    first.stop()  # the mail server goes down
    set_rules(ashop, big(["sales_director"]) + smtp_config(port))

    down = run_cli(invoke, ashop, "alerts", "run", "--notify")

    assert down.exit_code == EXIT_OK
    error = f"SMTP 127.0.0.1:{port}: connection refused"
    message_id, status, attempts, last_error, sent_at = queued_error(ashop)
    assert (status, attempts, sent_at) == ("queued", 1, None)
    assert last_error.startswith(error), last_error
    assert " ".join(down.stderr.split()).startswith(
        f"Warning: message {message_id} to majun@example.com not sent: {error}"
    )
    assert "majun@example.com: queued" in down.stdout

    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()  # and comes back
    try:
        inbox = controller.handler
        if resend == "outbox retry":
            retried = run_cli(invoke, ashop, "outbox", "retry", minutes=15)
            assert retried.exit_code == EXIT_OK, retried.stderr
            assert retried.stdout == f"{message_id} email majun@example.com: sent\n"
            assert (
                run_cli(invoke, ashop, "outbox", "retry", minutes=20).stdout == "Nothing to send.\n"
            )
        else:
            sent = sweep(invoke, ashop, "--notify", minutes=15)
            assert sent["queued"] == []  # not queued again: the waiting message is sent
            assert [(d["message_id"], d["status"]) for d in sent["deliveries"]] == [
                (message_id, "sent")
            ]
        assert sweep(invoke, ashop, "--notify", minutes=20)["deliveries"] == []
        assert [e.rcpt_tos for e in inbox.received] == [["majun@example.com"]]
        assert queued_error(ashop) == (message_id, "sent", 2, None, at(15))
    finally:
        controller.stop()


def test_a_missing_password_variable_leaves_the_message_queued_naming_it(
    invoke: Invoke, ashop: Path, smtp_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller, inbox = smtp_server()
    monkeypatch.delenv("OT_SMTP_PASSWORD", raising=False)
    set_rules(
        ashop,
        big(["sales_director"])
        + smtp_config(controller.port, f'user = "{USER}"\npassword_env = "OT_SMTP_PASSWORD"'),
    )

    result = sweep(invoke, ashop, "--notify")

    error = "notify.smtp.password_env: the environment variable OT_SMTP_PASSWORD is not set"
    assert [(d["status"], d["error"]) for d in result["deliveries"]] == [("queued", error)]
    assert queued_error(ashop)[1:] == ("queued", 1, error, None)
    assert inbox.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_login_fails_the_message_until_outbox_retry_after_the_fix(
    invoke: Invoke, ashop: Path, smtp_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller, inbox = smtp_server(
        authenticator=authenticator, auth_require_tls=False, auth_required=True
    )
    monkeypatch.setenv("OT_SMTP_PASSWORD", "wrong-Pa55word")
    set_rules(
        ashop,
        big(["sales_director"], 'repeat = "1h"')
        + smtp_config(controller.port, f'user = "{USER}"\npassword_env = "OT_SMTP_PASSWORD"'),
    )

    sweep(invoke, ashop, "--notify")
    message_id, status, attempts, error, _ = queued_error(ashop)
    assert (status, attempts) == ("failed", 1)
    assert error.startswith(f"SMTP 127.0.0.1:{controller.port}: authentication failed (535 ")
    assert "wrong-Pa55word" not in error

    # not retried by itself (a later sweep only queues what is due: nothing here)
    assert sweep(invoke, ashop, "--notify", minutes=10)["deliveries"] == []
    assert queued_error(ashop)[1:3] == ("failed", 1)

    # retried by hand with the password still wrong: still failed, exit 1
    still = run_cli(invoke, ashop, "outbox", "retry", minutes=20)
    assert still.exit_code == EXIT_CONDITION
    assert still.stderr == (
        "Error: 1 message(s) not sent; `ordertrack outbox list` shows the errors\n"
    )
    assert queued_error(ashop)[1:3] == ("failed", 2)

    monkeypatch.setenv("OT_SMTP_PASSWORD", PASSWORD)
    fixed = run_cli(invoke, ashop, "outbox", "retry", str(message_id), minutes=30)
    assert fixed.exit_code == EXIT_OK, fixed.stderr
    assert fixed.stdout == f"{message_id} email majun@example.com: sent\n"
    assert queued_error(ashop) == (message_id, "sent", 3, None, at(30))
    assert len(inbox.received) == 1


# ---------------------------------------------------------------------------------------
# chat robots on a real HTTP server on 127.0.0.1

TOKEN = "abc7f3e9d1c2b4a6"
SECRET = "SEC0123456789abcdef"


def robot_config(robot: Robot) -> str:
    return f"""
[notify.webhooks.ops]
kind = "dingtalk"
url = "{robot.url(f"/robot/send?access_token={TOKEN}")}"
secret_env = "OT_DT_SECRET"
"""


def test_a_dingtalk_robot_gets_one_signed_markdown_post_per_sweep(
    invoke: Invoke, ashop: Path, robot: Robot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OT_DT_SECRET", SECRET)
    set_rules(ashop, big(["#ops"]) + ship(["#ops"]) + robot_config(robot))

    result = sweep(invoke, ashop, "--notify")

    (hit,) = robot.hits
    assert hit.path == "/robot/send"
    assert hit.query["access_token"] == TOKEN
    assert hit.query["timestamp"] == str(int(at(0).timestamp() * 1000))
    key = f"{hit.query['timestamp']}\n{SECRET}".encode()
    assert (
        hit.query["sign"]
        == base64.b64encode(hmac.new(SECRET.encode(), key, hashlib.sha256).digest()).decode()
    )
    assert hit.body["msgtype"] == "markdown"
    text = hit.body["markdown"]["text"]
    assert all(o in text for o in ("SO-1", "SO-2", "SO-3"))
    assert hit.body["markdown"]["title"] == "[My Company] Order alerts (2 critical): 3 new"
    assert outbox(ashop) == [
        ("webhook", "ops", "#ops", "[My Company] Order alerts (2 critical): 3 new", 3, "sent", 1)
    ]
    assert [(d["channel"], d["recipient"], d["status"]) for d in result["deliveries"]] == [
        ("webhook", "ops", "sent")
    ]
    assert sweep(invoke, ashop, "--notify", minutes=10)["deliveries"] == []
    assert len(robot.hits) == 1


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (
            {"errcode": 310000, "errmsg": "keywords not in content"},
            "failed",
            "310000 keywords not in content",
        ),
        ({"errcode": 130101, "errmsg": "send too fast"}, "queued", "130101 send too fast"),
    ],
)
def test_a_robot_refusing_the_message_keeps_it_per_the_retry_rule_and_hides_the_token(
    invoke: Invoke,
    ashop: Path,
    robot: Robot,
    monkeypatch: pytest.MonkeyPatch,
    answer: dict[str, Any],
    status: str,
    words: str,
) -> None:
    monkeypatch.setenv("OT_DT_SECRET", SECRET)
    robot.reply(**answer)
    set_rules(ashop, big(["#ops"]) + robot_config(robot))

    result = run_cli(invoke, ashop, "alerts", "run", "--notify")

    assert result.exit_code == EXIT_OK
    _, got_status, attempts, error, sent_at = queued_error(ashop)
    assert (got_status, attempts, sent_at) == (status, 1, None)
    assert error.startswith(
        f"webhook ops (dingtalk) http://127.0.0.1:{robot.port}/robot/send?access_token=***"
    )
    assert f"the robot refused the message: {words}" in error
    assert TOKEN not in error and SECRET not in error
    assert TOKEN not in result.output and SECRET not in result.output
