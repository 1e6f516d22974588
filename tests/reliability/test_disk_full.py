"""The disk fills up during an import: a clear error, exit 2, the database unchanged.

The workspace lives on a small tmpfs mounted for the test (8 MiB; skipped, saying why,
where the tests cannot mount one: not root, or no ``mount``). A filler file leaves a
known amount of space, then a real ``python -m ordertrack import`` runs out of it — either
while DuckDB writes the new rows to the database file (a big file: more than one row
group, written before the commit), or while it writes the log at ``COMMIT`` (a smaller
file). Both must say "No space left on device" and what to do, with the exit code of a
user error (docs/exit-codes.md: 2, "the database is left as it was"), no traceback; the
database reopens with every table's checksum as before; and once space is freed the
same import completes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

try:  # tests/reliability is a folder of modules, or a package
    from _helpers import checksums, copy_ws, ok, ot, query, write_orders
except ImportError:  # pragma: no cover
    from reliability._helpers import (  # type: ignore[no-redef]
        checksums,
        copy_ws,
        ok,
        ot,
        query,
        write_orders,
    )

from ordertrack.errors import EXIT_USER

SIZE = "8m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of :data:`SIZE` at ``tmp_path/disk``, unmounted afterwards."""
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (run as root, or in a container)")
    if shutil.which("mount") is None:
        pytest.skip("no `mount` command to make a small tmpfs with")
    disk = tmp_path / "disk"
    disk.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield disk
    finally:
        if subprocess.run(["umount", str(disk)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def fill(disk: Path, leave_kib: int) -> Path:
    """A file taking all the space of ``disk`` but ``leave_kib`` KiB."""
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    filler = disk / "filler"
    with filler.open("wb") as f:
        chunk = b"\0" * (1 << 20)
        left = free - leave_kib * 1024
        while left > 0:
            left -= f.write(chunk[: min(len(chunk), left)])
    return filler


@pytest.mark.parametrize(
    ("rows", "leave_kib"),
    [
        pytest.param(150_000, 200, id="writing-the-rows"),
        pytest.param(20_000, 400, id="writing-the-log-at-commit"),
    ],
)
def test_disk_full_during_import_is_a_clear_error_and_changes_nothing(
    workspace: Path, small_disk: Path, tmp_path: Path, rows: int, leave_kib: int
) -> None:
    ws = copy_ws(workspace, small_disk / "ws")
    logs = tmp_path / "logs"  # the commands' output, not on the full disk
    ok(ot(ws, "import", str(write_orders(tmp_path / "first.csv", 2_000)), logs=logs))
    export = write_orders(tmp_path / "next.csv", rows, start=10_000)
    filler = fill(small_disk, leave_kib)
    before = checksums(ws)

    full = ot(ws, "import", str(export), logs=logs)

    assert full.returncode == EXIT_USER, str(full)
    stderr = " ".join(full.stderr.split())  # (rich wraps long lines)
    assert stderr.startswith("Error: cannot write the database: "), full.stderr
    assert "No space left on device" in stderr and "Traceback" not in stderr
    assert stderr.endswith("Hint: Free disk space; nothing was written.")
    assert checksums(ws) == before
    ok(ot(ws, "status", logs=logs))

    filler.unlink()
    again = ok(ot(ws, "import", str(export), "--json", logs=logs))
    assert '"status": "ok"' in again.stdout
    assert query(ws, "SELECT count(*), count(DISTINCT order_id) FROM orders") == [
        (2_000 + rows, 2_000 + rows)
    ]
    assert query(ws, "SELECT status, count(*) FROM imports GROUP BY ALL") == [("ok", 2)]


def test_a_full_disk_leaves_the_inbox_files_where_they_are(
    workspace: Path, small_disk: Path, tmp_path: Path
) -> None:
    """The scheduler's inbox job: a full disk is nobody's file's fault, so the files stay
    in the inbox (not moved to failed/) and are imported by the next run once there is
    room."""
    ws = copy_ws(workspace, small_disk / "ws")
    with (ws / "ordertrack.toml").open("a", encoding="utf-8") as f:
        f.write('\n[schedule.inbox]\nfolder = "%s"\nsettle = "1s"\n' % (tmp_path / "inbox"))
    logs = tmp_path / "logs"
    ok(ot(ws, "import", str(write_orders(tmp_path / "first.csv", 2_000)), logs=logs))
    (tmp_path / "inbox").mkdir()
    export = write_orders(tmp_path / "inbox" / "next.csv", 150_000, start=10_000)
    os.utime(export, (time.time() - 60, time.time() - 60))  # written a minute ago
    filler = fill(small_disk, 200)
    before = checksums(ws)

    full = ot(ws, "schedule", "once", "inbox", logs=logs)

    assert full.returncode == EXIT_USER, str(full)
    assert "No space left on device" in " ".join(full.stderr.split())
    assert "Traceback" not in full.stderr
    assert export.exists() and not any((tmp_path / "inbox" / "failed").glob("*"))
    assert checksums(ws) == before

    filler.unlink()
    ok(ot(ws, "schedule", "once", "inbox", logs=logs))
    assert not export.exists() and (tmp_path / "inbox" / "done" / "next.csv").exists()
