"""A busy database: real processes holding the DuckDB file.

A helper process opens the workspace's database and holds it; ``ordertrack`` runs in
another process (``python -m ordertrack``) and must exit 3 at once with a message that
says what to do, or, given ``--wait``, succeed once the holder lets go.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import PYTHON, subprocess_env

from ordertrack.errors import EXIT_BUSY, EXIT_OK
from ordertrack.store import SCHEMA_VERSION

# Opens the file (read-write unless told otherwise), says "ready", holds it for the given
# seconds, then closes it and says "released".
HOLDER = """
import sys, time, duckdb
path, seconds, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
con = duckdb.connect(path, read_only=(mode == "ro"))
con.execute("SELECT count(*) FROM orders").fetchall()
print("ready", flush=True)
time.sleep(seconds)
con.close()
print("released", flush=True)
"""

Hold = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def hold(workspace: Path) -> Iterator[Hold]:
    """``hold(seconds, mode="rw")`` starts a process holding the workspace's database."""
    started: list[subprocess.Popen[str]] = []

    def start(seconds: float, mode: str = "rw") -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [PYTHON, "-c", HOLDER, str(workspace / "ordertrack.duckdb"), str(seconds), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )
        started.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the file is held (or the helper died)
        assert line == "ready\n", proc.stderr.read() if proc.stderr else line
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def ordertrack(workspace: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``python -m ordertrack ARGS`` with the workspace in ORDERTRACK_HOME; time it."""
    began = time.monotonic()
    proc = subprocess.run(
        [PYTHON, "-m", "ordertrack", *args],
        capture_output=True,
        text=True,
        env=subprocess_env(ORDERTRACK_HOME=str(workspace)),
        cwd=workspace.parent,
        timeout=60,
    )
    return proc, time.monotonic() - began


def assert_busy(proc: subprocess.CompletedProcess[str], holder_pid: int) -> None:
    assert proc.returncode == EXIT_BUSY, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "Error: the order center is busy (another ordertrack command is writing to "
        "ordertrack.duckdb); try again or use --wait 60",
        f"Hint: Held by process {holder_pid}. Commands that only read (status, sql, orders "
        "list) can run together; a command that writes needs the file to itself.",
    ]
    assert "Traceback" not in proc.stderr


# How long a refused command may take: start-up plus one failed open, not a wait.
PROMPTLY = 4.0


@pytest.mark.parametrize(
    "args",
    [("status",), ("status", "--json"), ("sql", "select 1")],
    ids=["status", "status-json", "sql"],
)
def test_reader_is_refused_while_a_writer_holds_the_file(
    hold: Hold, workspace: Path, args: tuple[str, ...]
) -> None:
    holder = hold(30)
    proc, elapsed = ordertrack(workspace, *args)
    assert_busy(proc, holder.pid)
    assert elapsed < PROMPTLY
    assert holder.poll() is None  # still holding: the refusal did not wait for it


def test_init_force_is_refused_and_changes_nothing(hold: Hold, workspace: Path) -> None:
    config = workspace / "ordertrack.toml"
    before = config.read_text(encoding="utf-8")
    holder = hold(30)
    proc, elapsed = ordertrack(workspace, "init", "--force", str(workspace))
    assert_busy(proc, holder.pid)
    assert elapsed < PROMPTLY
    assert config.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in workspace.iterdir()) == ["ordertrack.duckdb", "ordertrack.toml"]


def test_writer_is_refused_while_a_reader_holds_the_file(hold: Hold, workspace: Path) -> None:
    holder = hold(30, "ro")
    proc, elapsed = ordertrack(workspace, "init", "--force", str(workspace))
    assert_busy(proc, holder.pid)
    assert elapsed < PROMPTLY


def test_readers_run_together(hold: Hold, workspace: Path) -> None:
    hold(30, "ro")
    proc, _ = ordertrack(workspace, "sql", "select count(*) as n from orders", "-f", "csv")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stdout == "n\n0\n"


@pytest.mark.parametrize(
    "args",
    [("status", "--json", "--wait", "5"), ("sql", "select 42 as x", "-f", "csv", "--wait", "5")],
    ids=["status", "sql"],
)
def test_wait_succeeds_once_the_holder_lets_go(
    hold: Hold, workspace: Path, args: tuple[str, ...]
) -> None:
    holder = hold(1.0)
    proc, elapsed = ordertrack(workspace, *args)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert holder.wait(timeout=10) == 0
    assert holder.stdout is not None and holder.stdout.read() == "released\n"
    assert elapsed < 5 + PROMPTLY
    if args[0] == "sql":
        assert proc.stdout == "x\n42\n"
    else:
        assert f'"schema_version": {SCHEMA_VERSION}' in proc.stdout


def test_wait_gives_up_after_the_time_given(hold: Hold, workspace: Path) -> None:
    holder = hold(30)
    proc, elapsed = ordertrack(workspace, "status", "--wait", "1")
    assert_busy(proc, holder.pid)
    assert 1.0 <= elapsed < 1.0 + PROMPTLY


def test_reader_with_an_edited_flow_runs_beside_another_reader(hold: Hold, workspace: Path) -> None:
    """The flow cannot be mirrored while another reader holds the file: read anyway."""
    config = workspace / "ordertrack.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('sla = "2h"', 'sla = "5h"'), encoding="utf-8"
    )
    hold(30, "ro")
    proc, elapsed = ordertrack(
        workspace, "sql", "select count(*) as n from flow_stages", "-f", "csv", "--wait", "10"
    )
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stdout == "n\n9\n"
    assert elapsed < PROMPTLY  # did not wait for the other reader
