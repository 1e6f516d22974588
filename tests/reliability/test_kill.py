"""``kill -9`` in the middle of every command that writes a lot: a big import, an alert
sweep, a report send, an ``advance --from-file`` of many orders.

Each case starts from a workspace whose checksums are known (*before*), and a reference
copy where the same command ran to its end on a copy of it (*after*; the clock is pinned,
so its rows are the ones the killed command would have written). The command is killed
at several points; then

* the database is exactly *before* or exactly *after* (every table's checksum), never in
  between (for the commands that deliver mail, *after* means the delivery bookkeeping
  columns aside: a delivery is caught half-way);
* re-running (the same command, or ``outbox retry`` for queued mail) ends exactly at the
  reference's final state: nothing lost, nothing doubled; and the mail server received
  each message exactly once.

Deliveries are killed while the SMTP server holds the sender inside a message (the
server's ``gate``), never in the instant between the server's "250 OK" and the outbox
marking the message sent: that instant is the one documented window of a double send
(``ordertrack/alerts/outbox.py``), which no sender can close without help from the server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

try:  # tests/reliability is a folder of modules, or a package
    from _helpers import (
        DELIVERY,
        RECIPIENTS,
        MailServer,
        Proc,
        checksums,
        configure,
        copy_ws,
        free_port,
        kill_after,
        killed_copy,
        ok,
        ot,
        query,
        smtp_config,
        write_moves,
        write_orders,
    )
except ImportError:  # pragma: no cover
    from reliability._helpers import (  # type: ignore[no-redef]
        DELIVERY,
        RECIPIENTS,
        MailServer,
        Proc,
        checksums,
        configure,
        copy_ws,
        free_port,
        kill_after,
        killed_copy,
        ok,
        ot,
        query,
        smtp_config,
        write_moves,
        write_orders,
    )

Sums = dict[str, tuple[int, int]]


def assert_before_or_after(got: Sums, before: Sums, after: Sums) -> bool:
    """``got`` is exactly ``before`` or exactly ``after``; True for after."""
    assert before != after
    assert got in (before, after), (
        f"neither before nor after: tables differing from before "
        f"{sorted(t for t in got if got[t] != before.get(t))}, from after "
        f"{sorted(t for t in got if got[t] != after.get(t))}"
    )
    return got == after


def changed_tables(a: Sums, b: Sums) -> list[str]:
    return sorted(t for t in a.keys() | b.keys() if a.get(t) != b.get(t))


def kill_at(when: str, start: Callable[[], Proc], mail: MailServer, to_first_mail: float) -> None:
    """SIGKILL the command ``start()`` starts, at ``when``: "N% …" is N% of the time the
    reference run took to reach its first message (a run that gets to its mail sooner is
    held there); "message N": while the mail server holds the N-th message."""
    if when.startswith("message"):
        mail.box.gate = int(when.split()[1])
        proc = start()
        assert mail.box.reached.wait(120), proc.wait()
        assert proc.kill()
    else:
        mail.box.gate = 1
        proc = start()
        seconds = to_first_mail * int(when.split("%")[0]) / 100
        assert kill_after(proc, seconds), f"ordertrack {proc.args} ended before the kill"


# ---------------------------------------------------------------------------------------
# a big import


@dataclass
class ImportCase:
    base: Path  # 50 orders imported
    big: Path  # the file to import
    rows: int
    before: Sums
    after: Sums  # the reference: the big file imported into a copy of base
    seconds: float  # how long that import took


def _import_case(factory: pytest.TempPathFactory, rows: int) -> ImportCase:
    root = factory.mktemp(f"import{rows}")
    base = root / "base"
    ok(ot(base, "init", str(base)))
    ok(ot(base, "import", str(write_orders(root / "small.csv", 50, prefix="OLD"))))
    big = write_orders(root / "big.csv", rows, start=1_000)
    ref = copy_ws(base, root / "ref")
    started = time.monotonic()
    ok(ot(ref, "import", str(big)))
    seconds = time.monotonic() - started
    return ImportCase(base, big, rows, checksums(base), checksums(ref), seconds)


@pytest.fixture(scope="module")
def import_200k(tmp_path_factory: pytest.TempPathFactory) -> ImportCase:
    return _import_case(tmp_path_factory, 200_000)


@pytest.fixture(scope="module")
def import_30k(tmp_path_factory: pytest.TempPathFactory) -> ImportCase:
    return _import_case(tmp_path_factory, 30_000)


def check_import_kill(case: ImportCase, tmp_path: Path, fraction: float) -> None:
    ws = killed_copy(case.base, tmp_path / "ws", ("import", str(case.big)), case.seconds * fraction)

    committed = assert_before_or_after(checksums(ws), case.before, case.after)

    again = ok(ot(ws, "import", str(case.big), "--json"))
    status = '"status": "skipped"' if committed else '"status": "ok"'
    assert status in again.stdout, again.stdout
    assert checksums(ws) == case.after
    assert query(ws, "SELECT count(*), count(DISTINCT order_id) FROM orders") == [
        (case.rows + 50, case.rows + 50)
    ]
    assert query(ws, "SELECT status, count(*) FROM imports GROUP BY ALL") == [("ok", 2)]


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.4, 0.8])
def test_kill_9_during_a_200k_row_import_leaves_before_or_after_and_the_rerun_completes(
    import_200k: ImportCase, tmp_path: Path, fraction: float
) -> None:
    check_import_kill(import_200k, tmp_path, fraction)


def test_kill_9_during_an_import_leaves_before_or_after_and_the_rerun_completes(
    import_30k: ImportCase, tmp_path: Path
) -> None:
    """(the quick variant of the one above)"""
    check_import_kill(import_30k, tmp_path, 0.6)


# ---------------------------------------------------------------------------------------
# an alert sweep that e-mails its digests

SWEEP_ORDERS = 40_000


@dataclass
class SweepCase:
    base: Path
    port: int
    before: Sums
    committed: Sums  # the reference after the sweep, delivery columns aside
    final: Sums  # the reference after the sweep and its deliveries
    to_first_mail: float  # seconds from start to the first message's RCPT


@pytest.fixture(scope="module")
def sweep_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SweepCase]:
    root = tmp_path_factory.mktemp("sweep")
    port = free_port()
    base = root / "base"
    ok(ot(base, "init", str(base)))
    configure(base, extra=smtp_config(port, timeout=5))
    ok(ot(base, "import", str(write_orders(root / "orders.csv", SWEEP_ORDERS))))
    ref = copy_ws(base, root / "ref")
    server = MailServer(port).up()
    try:
        proc = Proc(ref, "alerts", "run", "--notify")
        ok(proc.wait())
        first = server.box.first_rcpt - proc.started
        assert server.recipients() == RECIPIENTS
    finally:
        server.down()
    yield SweepCase(
        base,
        port,
        checksums(base),
        checksums(ref, ignore=DELIVERY),
        checksums(ref),
        first,
    )


@pytest.fixture
def mail(sweep_case: SweepCase) -> Iterator[MailServer]:
    server = MailServer(sweep_case.port).up()
    yield server
    server.down()


@pytest.mark.parametrize(
    "when",
    ["40% of the sweep", "80% of the sweep", "message 1", "message 4"],
)
def test_kill_9_during_a_sweep_and_its_mail_then_the_rerun_sends_each_digest_once(
    sweep_case: SweepCase, mail: MailServer, tmp_path: Path, when: str
) -> None:
    case = sweep_case
    ws = copy_ws(case.base, tmp_path / "ws")
    kill_at(when, lambda: Proc(ws, "alerts", "run", "--notify"), mail, case.to_first_mail)

    committed = assert_before_or_after(checksums(ws, ignore=DELIVERY), case.before, case.committed)
    sent_before = len(mail.box.received)
    if when.startswith("message"):
        assert committed
        assert sent_before == int(when.split()[1]) - 1
    assert query(ws, "SELECT count(*) FROM outbox WHERE status = 'sent'") == [(sent_before,)]
    assert query(ws, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == [
        (len(RECIPIENTS) - sent_before if committed else 0,)
    ]

    mail.heal()
    ok(ot(ws, "alerts", "run", "--notify"))

    assert checksums(ws) == case.final
    assert mail.recipients() == RECIPIENTS  # each digest exactly once
    assert len(set(mail.message_ids())) == len(RECIPIENTS)
    [(alerts, keys)] = query(ws, "SELECT count(*), count(DISTINCT alert_key) FROM alerts")
    assert alerts == keys > SWEEP_ORDERS  # every late order, and the big ones: once each


# ---------------------------------------------------------------------------------------
# a report send


@dataclass
class ReportCase:
    base: Path
    port: int
    before: Sums
    queued: Sums  # the reference after queueing, delivery columns aside
    final: Sums  # the reference after delivering
    to_first_mail: float


REPORT_TO = ("rep0,rep1", "rep2", "boss")  # four messages
REPORT_RECIPIENTS = sorted(
    ["rep0@example.com", "rep1@example.com", "rep2@example.com", "boss@example.com"]
)


def report_send(ws: Path) -> Proc:
    to = [a for t in REPORT_TO for a in ("--to", t)]
    return Proc(ws, "report", "send", "--pack", "ceo", "--period", "2026-06", *to)


@pytest.fixture(scope="module")
def report_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportCase]:
    root = tmp_path_factory.mktemp("report")
    port = free_port()
    base = root / "base"
    ok(ot(base, "init", str(base)))
    configure(base, extra=smtp_config(port, timeout=5))
    ok(ot(base, "import", str(write_orders(root / "orders.csv", 2_000))))
    ref = copy_ws(base, root / "ref")
    server = MailServer(port).up()
    try:
        proc = report_send(ref)
        ok(proc.wait())
        first = server.box.first_rcpt - proc.started
        assert server.recipients() == REPORT_RECIPIENTS
    finally:
        server.down()
    yield ReportCase(
        base,
        port,
        checksums(base),
        checksums(ref, ignore=DELIVERY),
        checksums(ref),
        first,
    )


@pytest.fixture
def report_mail(report_case: ReportCase) -> Iterator[MailServer]:
    server = MailServer(report_case.port).up()
    yield server
    server.down()


def kill_report(case: ReportCase, mail: MailServer, ws: Path, when: str) -> bool:
    """Kill ``report send`` at ``when``; True when its messages were queued by then."""
    kill_at(when, lambda: report_send(ws), mail, case.to_first_mail)
    return assert_before_or_after(checksums(ws, ignore=DELIVERY), case.before, case.queued)


@pytest.mark.parametrize("when", ["50% of the build", "message 1", "message 3"])
def test_kill_9_during_report_send_then_sending_again_mails_each_reader_once(
    report_case: ReportCase, report_mail: MailServer, tmp_path: Path, when: str
) -> None:
    """Running ``report send`` again replaces the copies the killed run left waiting by
    fresh ones (superseded, never sent), and passes over the readers it had sent the
    report to."""
    case, mail = report_case, report_mail
    ws = copy_ws(case.base, tmp_path / "ws")

    queued = kill_report(case, mail, ws, when)

    sent_before = len(mail.box.received)
    if when.startswith("message"):
        assert queued and sent_before == int(when.split()[1]) - 1
    mail.heal()
    ok(report_send(ws).wait())

    got = checksums(ws)
    if queued:  # each reader's copy sent once; the waiting ones superseded, never sent
        assert changed_tables(got, case.final) == ["audit_log", "outbox"]
        assert query(ws, "SELECT count(*) FROM audit_log WHERE command = 'report send'") == [(2,)]
        assert query(ws, "SELECT status, count(*) FROM outbox GROUP BY ALL ORDER BY ALL") == [
            ("sent", len(REPORT_RECIPIENTS)),
            ("superseded", len(REPORT_RECIPIENTS) - sent_before),
        ]
    else:
        assert got == case.final
    assert mail.recipients() == REPORT_RECIPIENTS
    assert ot(ws, "outbox", "retry").stdout == "Nothing to send.\n"
    assert mail.recipients() == REPORT_RECIPIENTS


def test_kill_9_during_report_send_then_outbox_retry_sends_what_waits(
    report_case: ReportCase, report_mail: MailServer, tmp_path: Path
) -> None:
    case, mail = report_case, report_mail
    ws = copy_ws(case.base, tmp_path / "ws")
    assert kill_report(case, mail, ws, "message 2")
    mail.heal()

    ok(ot(ws, "outbox", "retry"))

    assert checksums(ws) == case.final
    assert mail.recipients() == REPORT_RECIPIENTS


# ---------------------------------------------------------------------------------------
# advance --from-file

MOVES = 50_000


@dataclass
class AdvanceCase:
    base: Path
    moves: Path
    before: Sums
    after: Sums
    seconds: float


@pytest.fixture(scope="module")
def advance_case(tmp_path_factory: pytest.TempPathFactory) -> AdvanceCase:
    root = tmp_path_factory.mktemp("advance")
    base = root / "base"
    ok(ot(base, "init", str(base)))
    configure(base)
    ok(ot(base, "import", str(write_orders(root / "orders.csv", MOVES))))
    moves = write_moves(root / "moves.csv", (f"SO-{i:07d}" for i in range(MOVES)))
    ref = copy_ws(base, root / "ref")
    started = time.monotonic()
    ok(ot(ref, "advance", "--from-file", str(moves)))
    seconds = time.monotonic() - started
    return AdvanceCase(base, moves, checksums(base), checksums(ref), seconds)


@pytest.mark.parametrize("fraction", [0.5, 0.85])
def test_kill_9_during_advance_from_file_leaves_before_or_after_and_the_rerun_moves_each_once(
    advance_case: AdvanceCase, tmp_path: Path, fraction: float
) -> None:
    case = advance_case
    args = ("advance", "--from-file", str(case.moves))
    ws = killed_copy(case.base, tmp_path / "ws", args, case.seconds * fraction)

    committed = assert_before_or_after(checksums(ws), case.before, case.after)

    again = ok(ot(ws, "advance", "--from-file", str(case.moves)))
    if committed:  # every order is there already: refused, nothing written
        assert again.stdout.splitlines()[-1] == f"0 orders moved, {MOVES} refused"
    else:
        assert f"{MOVES} orders moved" in again.stdout
    assert checksums(ws) == case.after
    assert query(ws, "SELECT stage, count(*) FROM orders GROUP BY ALL") == [
        ("business_review", MOVES)
    ]
    assert query(ws, "SELECT count(*), count(DISTINCT order_id) FROM stage_events") == [
        (MOVES, MOVES)
    ]
