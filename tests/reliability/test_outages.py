"""The mail server and the chat robot down, slow, or refusing — then back.

Real servers on loopback (aiosmtpd; an HTTP endpoint), the sweep run as ``ordertrack
alerts run --notify`` in-process. What ``ordertrack/alerts/outbox.py`` documents:

* a failure that may pass — connection refused, no answer within the configured
  ``timeout`` (set to 0.3 s here), SMTP 4xx (421), HTTP 5xx and 429 — leaves the message
  ``queued`` with its error; every later sweep and ``outbox retry`` try it again;
* one that will not — SMTP 550, HTTP 4xx — marks it ``failed``: sweeps leave it alone,
  ``outbox retry`` queues it again (once the cause is fixed);
* ``outbox retry`` exits 1 while something stays unsent, 0 once all is sent;
* when the server is back, each message is received exactly once, and nothing is sent
  again afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Invoke
from test_alerts import _cli_built_once  # noqa: F401  (fixture: the CLI built once)

try:  # tests/reliability is a folder of modules, or a package
    from _helpers import (
        MailServer,
        Robot,
        configure,
        free_port,
        query,
        robot_config,
        smtp_config,
        write_orders,
    )
except ImportError:  # pragma: no cover
    from reliability._helpers import (  # type: ignore[no-redef]
        MailServer,
        Robot,
        configure,
        free_port,
        query,
        robot_config,
        smtp_config,
        write_orders,
    )

from ordertrack.errors import EXIT_CONDITION, EXIT_OK

TIMEOUT = 0.3  # notify.smtp.timeout and notify.webhooks.ops.timeout (defaults: 20 s, 10 s)


def rules(target: str) -> str:
    return f"""
[[rules]]
id = "ship_due"
severity = "critical"
when = "planned_ship_date <= as_of::DATE AND before_shipped"
actions = [{{ notify = ["{target}"] }}]
"""


def at(minutes: int) -> dict[str, str]:
    """The clock ``minutes`` after 10:00 Shanghai, 2026-06-30."""
    return {"ORDERTRACK_NOW": f"2026-06-30T10:{minutes:02d}:00+08:00"}


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer(free_port()).up()
    yield server
    server.down()


@pytest.fixture
def robot() -> Iterator[Robot]:
    server = Robot(free_port()).up()
    yield server
    server.down()


def shop(ws: Path, extra: str, target: str) -> Path:
    """Two late orders (sales reps rep0 and rep1) and a rule telling ``target``."""
    configure(ws, rules=rules(target), extra=extra)
    return ws


def cli(invoke: Invoke, ws: Path, minutes: int, *args: str) -> Any:
    result = invoke(*args, "-w", str(ws), env=at(minutes))
    assert "Traceback" not in result.output
    return result


def outbox(ws: Path) -> list[tuple[Any, ...]]:
    return query(ws, "SELECT recipient, status, attempts, last_error FROM outbox ORDER BY 1")


# (fault, how to cause it, status, words of the error)
EMAIL_FAULTS = [
    ("down", {"down": True}, "queued", "connection refused"),
    ("slow", {"delay": 1.5}, "queued", f"no answer within {TIMEOUT:g} s"),
    ("421", {"refuse": "421 4.3.2 Service not available"}, "queued", "421 4.3.2"),
    ("550", {"refuse": "550 5.1.1 No such user"}, "failed", "550 5.1.1 No such user"),
]
WEBHOOK_FAULTS = [
    ("down", {"down": True}, "queued", "connection refused"),
    ("slow", {"delay": 1.5}, "queued", f"no answer within {TIMEOUT:g} s"),
    ("503", {"status": 503}, "queued", "HTTP 503"),
    ("429", {"status": 429}, "queued", "HTTP 429"),
    ("400", {"status": 400}, "failed", "HTTP 400"),
]


def check_outage_then_recovery(
    invoke: Invoke,
    ws: Path,
    server: MailServer | Robot,
    fault: dict[str, Any],
    status: str,
    words: str,
    recipients: list[str],
    received: Any,
) -> None:
    orders = write_orders(ws.parent / "orders.csv", 2)
    assert cli(invoke, ws, 0, "import", str(orders)).exit_code == EXIT_OK

    if fault.get("down"):
        server.down()
    for key in ("delay", "refuse", "status"):
        if key in fault:
            setattr(server.box if isinstance(server, MailServer) else server.state, key, fault[key])

    # the sweep queues and tries: not sent; the sweep itself is fine (exit 0)
    swept = cli(invoke, ws, 0, "alerts", "run", "--notify")
    assert swept.exit_code == EXIT_OK, swept.output
    rows = outbox(ws)
    assert [(r[0], r[1], r[2]) for r in rows] == [(r, status, 1) for r in recipients]
    assert all(words in r[3] for r in rows), rows
    assert "not sent" in swept.stderr

    # later, still out: a sweep retries what is queued (only), nothing new is queued
    cli(invoke, ws, 10, "alerts", "run", "--notify")
    attempts = 2 if status == "queued" else 1
    assert [(r[1], r[2]) for r in outbox(ws)] == [(status, attempts)] * len(recipients)
    still = cli(invoke, ws, 15, "outbox", "retry")  # failed ones are queued again, too
    assert still.exit_code == EXIT_CONDITION
    assert still.stderr.startswith(f"Error: {len(recipients)} message(s) not sent")
    assert [(r[1], r[2]) for r in outbox(ws)] == [(status, attempts + 1)] * len(recipients)
    assert received() == []

    # the server is back
    if fault.get("down"):
        server.up()
    server.heal()
    if status == "queued":  # the next sweep sends what waits
        cli(invoke, ws, 20, "alerts", "run", "--notify")
    else:  # failed: only by hand, once the cause is fixed
        cli(invoke, ws, 20, "alerts", "run", "--notify")
        assert received() == []
        assert cli(invoke, ws, 20, "outbox", "retry").exit_code == EXIT_OK
    assert [(r[1], r[2], r[3]) for r in outbox(ws)] == [("sent", attempts + 2, None)] * len(
        recipients
    )
    assert received() == recipients

    # and never again
    assert cli(invoke, ws, 25, "outbox", "retry").stdout == "Nothing to send.\n"
    cli(invoke, ws, 30, "alerts", "run", "--notify")
    assert received() == recipients


@pytest.mark.parametrize(
    ("fault", "status", "words"),
    [pytest.param(f, s, w, id=name) for name, f, s, w in EMAIL_FAULTS],
)
def test_mail_server_out_then_back_each_digest_is_sent_once(
    invoke: Invoke,
    workspace: Path,
    mail: MailServer,
    fault: dict[str, Any],
    status: str,
    words: str,
) -> None:
    ws = shop(workspace, smtp_config(mail.port, timeout=TIMEOUT), "@sales_rep")
    check_outage_then_recovery(
        invoke,
        ws,
        mail,
        fault,
        status,
        words,
        ["rep0@example.com", "rep1@example.com"],
        mail.recipients,
    )


@pytest.mark.parametrize(
    ("fault", "status", "words"),
    [pytest.param(f, s, w, id=name) for name, f, s, w in WEBHOOK_FAULTS],
)
def test_chat_robot_out_then_back_each_message_is_posted_once(
    invoke: Invoke,
    workspace: Path,
    robot: Robot,
    fault: dict[str, Any],
    status: str,
    words: str,
) -> None:
    ws = shop(workspace, robot_config(robot.port, timeout=TIMEOUT), "#ops")

    def posted() -> list[str]:
        return ["ops" for _ in robot.state.bodies]

    check_outage_then_recovery(invoke, ws, robot, fault, status, words, ["ops"], posted)
    (body,) = robot.state.bodies
    assert {"title", "text", "data"} <= body.keys()
