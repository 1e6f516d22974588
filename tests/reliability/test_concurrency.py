"""Two and four ``ordertrack`` processes importing, advancing and sweeping at once.

DuckDB lets one process write a file at a time. Each command must therefore either run
to its end (exit 0) or be refused at once with exit 3 and the documented "busy" message —
never a traceback, never another exit code. Afterwards:

* the database is exactly what running the completed commands one after the other gives
  (their order is read back from the audit log; a sweep, which has no audit row, is tried
  at each place in it): replayed in-process on a copy of the starting point and compared
  table by table;
* running the refused commands again (at once, with ``--wait``) completes them: every
  order of every file is there once, every move happened once, every alert once.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Invoke
from test_alerts import _cli_built_once  # noqa: F401  (the in-process replays: fixture)

try:  # tests/reliability is a folder of modules, or a package
    from _helpers import (
        NOW,
        Done,
        Proc,
        assert_busy,
        checksums,
        configure,
        copy_ws,
        ok,
        ot,
        query,
        write_moves,
        write_orders,
    )
except ImportError:  # pragma: no cover
    from reliability._helpers import (  # type: ignore[no-redef]
        NOW,
        Done,
        Proc,
        assert_busy,
        checksums,
        configure,
        copy_ws,
        ok,
        ot,
        query,
        write_moves,
        write_orders,
    )

from ordertrack.errors import EXIT_BUSY, EXIT_OK

BASE_ORDERS = 2_000
FILE_ORDERS = 3_000
SLICE = 400  # orders moved by one advance file


@dataclass(frozen=True)
class Cmd:
    """One command of a round; ``key`` names its file in the audit log (None: a sweep)."""

    args: tuple[str, ...]
    key: str | None

    def __str__(self) -> str:
        return " ".join(a if "/" not in a else Path(a).name for a in self.args)


@dataclass
class Data:
    base: Path  # BASE_ORDERS orders (SO-…), the test rules
    folder: Path  # the files the commands read (outside every workspace and cwd)

    def import_cmd(self, name: str) -> Cmd:
        """Import FILE_ORDERS new orders (prefix ``name``)."""
        path = self.folder / f"{name}.csv"
        if not path.exists():
            write_orders(path, FILE_ORDERS, prefix=name)
        return Cmd(("import", str(path)), path.name)

    def advance_cmd(self, k: int) -> Cmd:
        """Move the k-th slice of the base orders to business review."""
        path = self.folder / f"moves{k}.csv"
        if not path.exists():
            write_moves(path, (f"SO-{i:07d}" for i in range(k * SLICE, (k + 1) * SLICE)))
        return Cmd(("advance", "--from-file", str(path)), path.name)


SWEEP = Cmd(("alerts", "run"), None)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Data:
    root = tmp_path_factory.mktemp("concurrency")
    base = root / "base"
    ok(ot(base, "init", str(base)))
    configure(base)
    folder = root / "files"
    folder.mkdir()
    ok(ot(base, "import", str(write_orders(folder / "base.csv", BASE_ORDERS))))
    return Data(base, folder)


def run_at_once(ws: Path, cmds: Sequence[Cmd]) -> list[Done]:
    """Start every command, then wait for all: each completes or is refused as busy."""
    procs = [Proc(ws, *c.args) for c in cmds]
    done = [p.wait() for p in procs]
    pids = {p.pid for p in procs}
    for d in done:
        assert "Traceback" not in d.stderr, str(d)
        assert d.returncode in (EXIT_OK, EXIT_BUSY), str(d)
        if d.returncode == EXIT_BUSY:
            assert_busy(d)
            holder = int(d.stderr.split("Held by process ")[1].split(".")[0])
            assert holder in pids  # one of the others
    assert any(d.returncode == EXIT_OK for d in done), "\n".join(map(str, done))
    return done


def replay(invoke: Invoke, ws: Path, cmds: Sequence[Cmd]) -> None:
    """Run ``cmds`` one after the other, in this process, at the pinned clock."""
    for c in cmds:
        result = invoke(*c.args, "-w", str(ws), env={"ORDERTRACK_NOW": NOW})
        assert result.exit_code == EXIT_OK, result.output


def serial_orders(ws: Path, completed: Sequence[Cmd]) -> list[list[Cmd]]:
    """The orders the completed commands may have run in: those with an audit row in its
    order, each sweep at any place among them (identical sweeps are interchangeable)."""
    by_key = {c.key: c for c in completed if c.key is not None}
    audited = [
        by_key[Path(json.loads(args)["file"]).name]
        for (args,) in query(
            ws,
            "SELECT args FROM audit_log WHERE command IN ('import', 'advance --from-file') "
            "ORDER BY audit_id",
        )
        if Path(json.loads(args)["file"]).name in by_key
    ]
    assert sorted(map(str, audited)) == sorted(str(c) for c in completed if c.key), (
        "a completed command left no audit row, or a refused one did"
    )
    sweeps = [c for c in completed if c.key is None]
    orders = []
    for places in itertools.combinations_with_replacement(range(len(audited) + 1), len(sweeps)):
        order = list(audited)
        for offset, place in enumerate(sorted(places)):
            order.insert(place + offset, SWEEP)
        orders.append(order)
    return orders


def check_round(
    invoke: Invoke, ws: Path, cmds: Sequence[Cmd], scratch: Path
) -> tuple[list[Cmd], list[Cmd]]:
    """Run ``cmds`` at once on ``ws``; check the outcome against the serial replays.
    Returns (completed, refused)."""
    start = copy_ws(ws, scratch / "start")
    done = run_at_once(ws, cmds)
    completed = [c for c, d in zip(cmds, done, strict=True) if d.returncode == EXIT_OK]
    refused = [c for c, d in zip(cmds, done, strict=True) if d.returncode != EXIT_OK]
    got = checksums(ws)
    tried = []
    for n, order in enumerate(serial_orders(ws, completed)):
        copy = copy_ws(start, scratch / f"serial{n}")
        replay(invoke, copy, order)
        if checksums(copy) == got:
            break
        tried.append(" → ".join(map(str, order)))
    else:
        pytest.fail(f"the database is no serial order of {completed}; tried: {tried}")
    shutil.rmtree(scratch)
    return completed, refused


def check_nothing_lost(ws: Path, data: Data, cmds: Sequence[Cmd]) -> None:
    """Every command of ``cmds`` has done its work exactly once."""
    files = [c for c in cmds if c.args[0] == "import"]
    slices = [c for c in cmds if c.args[0] == "advance"]
    orders = BASE_ORDERS + FILE_ORDERS * len(files)
    assert query(ws, "SELECT count(*), count(DISTINCT order_id) FROM orders") == [(orders, orders)]
    assert query(ws, "SELECT count(*), count(DISTINCT sha256) FROM imports") == [
        (1 + len(files), 1 + len(files))
    ]
    moved = SLICE * len(slices)
    assert query(ws, "SELECT count(*), count(DISTINCT order_id) FROM stage_events") == [
        (moved, moved)
    ]
    assert query(ws, "SELECT count(*) FROM orders WHERE stage = 'business_review'") == [(moved,)]
    [(alerts, keys)] = query(ws, "SELECT count(*), count(DISTINCT alert_key) FROM alerts")
    assert alerts == keys
    if SWEEP in cmds:  # every order is late: after the last sweep, each has its alert
        late = query(ws, "SELECT count(DISTINCT order_id) FROM alerts WHERE rule_id = 'ship_due'")
        assert late[0][0] >= BASE_ORDERS


def rounds(invoke: Invoke, ws: Path, tmp_path: Path, plan: list[list[Cmd]], data: Data) -> None:
    everything: list[Cmd] = []
    for r, cmds in enumerate(plan):
        _, refused = check_round(invoke, ws, cmds, tmp_path / f"round{r}")
        # again, at once, told to wait their turn (the documented remedy): all complete
        for proc in [Proc(ws, *c.args, "--wait", "120") for c in refused]:
            ok(proc.wait())
        everything += cmds
        check_nothing_lost(ws, data, everything)


def plan_of(data: Data, kind: str, n: int, round_: int = 0) -> list[Cmd]:
    if kind == "import":
        return [data.import_cmd(f"R{round_}P{i}") for i in range(n)]
    if kind == "advance":
        return [data.advance_cmd(round_ * n + i) for i in range(n)]
    if kind == "sweep":
        return [SWEEP] * n
    mixed = [
        data.import_cmd(f"R{round_}P0"),
        data.advance_cmd(2 * round_),
        SWEEP,
        data.import_cmd(f"R{round_}P1"),
    ]
    return mixed[:n]


@pytest.mark.parametrize(
    ("kind", "n"),
    [
        ("import", 2),
        ("advance", 2),
        ("sweep", 2),
        ("mixed", 4),
    ],
)
def test_processes_writing_at_once_complete_or_exit_3_and_never_corrupt_or_lose(
    invoke: Invoke, data: Data, tmp_path: Path, kind: str, n: int
) -> None:
    ws = copy_ws(data.base, tmp_path / "ws")
    rounds(invoke, ws, tmp_path, [plan_of(data, kind, n)], data)


@pytest.mark.slow
def test_four_processes_of_every_kind_for_three_rounds(
    invoke: Invoke, data: Data, tmp_path: Path
) -> None:
    ws = copy_ws(data.base, tmp_path / "ws")
    rounds(invoke, ws, tmp_path, [plan_of(data, "mixed", 4, r) for r in range(3)], data)
