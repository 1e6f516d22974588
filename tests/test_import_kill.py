"""An import killed with SIGKILL half-way leaves the database exactly as before, and the
re-run completes (nothing lost, nothing doubled)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ordertrack.workspace import init_workspace

TABLES = ("orders", "order_lines", "stage_events", "imports", "import_rejects", "audit_log")


def checksums(db: Path) -> dict[str, tuple[int, int | None]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: tuple(con.execute(f"SELECT count(*), sum(hash({t})) FROM {t}").fetchone())  # type: ignore[misc]
            for t in TABLES
        }
    finally:
        con.close()


def write_orders(path: Path, n: int, start: int = 0) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["订单编号", "客户名称", "业务员", "下单日期", "承诺交期", "订单金额"])
        for i in range(start, start + n):
            w.writerow(
                [
                    f"SO-{i:07d}",
                    f"客户{i % 997}",
                    "张伟",
                    "2026/6/3",
                    "2026-06-20",
                    f"{i % 9973}.50",
                ]
            )


def run(ws: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ORDERTRACK_HOME": str(ws), "ORDERTRACK_USER": "tester"}
    return subprocess.Popen(
        [sys.executable, "-m", "ordertrack", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("fraction", [0.35, 0.7])
def test_kill_9_during_import_leaves_the_database_as_it_was(
    tmp_path: Path, fraction: float
) -> None:
    ws = tmp_path / "ws"
    init_workspace(ws)
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_orders(small, 50)
    write_orders(big, 200_000, start=1_000)
    p = run(ws, "import", str(small))
    assert p.wait(60) == 0, p.stderr.read() if p.stderr else ""
    db = ws / "ordertrack.duckdb"
    before = checksums(db)

    # how long a whole import of the big file takes here, in a scratch copy
    scratch = tmp_path / "scratch"
    init_workspace(scratch)
    started = time.monotonic()
    p = run(scratch, "import", str(big))
    assert p.wait(300) == 0
    full = time.monotonic() - started

    p = run(ws, "import", str(big))
    time.sleep(full * fraction)
    p.send_signal(signal.SIGKILL)
    p.wait(30)
    assert p.returncode == -signal.SIGKILL

    # The kill may land before the commit (the database is exactly as before) or after it
    # (exactly as after: the whole file, one imports row); never anything in between.
    after_kill = checksums(db)
    committed = after_kill != before
    if committed:
        assert after_kill["orders"][0] == 200_050
        assert after_kill["imports"][0] == 2

    p = run(ws, "import", str(big), "--json")
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err.decode()
    import json

    [result] = json.loads(out)
    if committed:  # the re-run finds it done: nothing doubled
        assert result["status"] == "skipped"
    else:
        assert result["status"] == "ok"
        assert result["inserted"] == 200_000
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT order_id) FROM orders").fetchone() == (
            200_050,
            200_050,
        )
        assert con.execute("SELECT count(*) FROM imports").fetchone() == (2,)
    finally:
        con.close()
