"""One scheduler per workspace: an exclusive ``flock`` on ``.ordertrack/schedule.pid``.

The lock belongs to the open file, so the kernel lets go of it when the process ends in
any way (even ``kill -9``): a lock file left behind by a dead process is simply taken over.
The file says who holds it (pid, start time, host) for the message a second one prints.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ordertrack.errors import EXIT_BUSY, OrdertrackError

__all__ = ["LOCK_FILE", "InstanceLock", "LockHolder", "ScheduleLocked", "read_holder"]

LOCK_FILE = Path(".ordertrack") / "schedule.pid"


class ScheduleLocked(OrdertrackError):
    """Another scheduler runs for this workspace (exit 3)."""

    exit_code = EXIT_BUSY


@dataclass(frozen=True)
class LockHolder:
    pid: int
    started: str  # ISO timestamp, in the workspace time zone
    host: str

    def describe(self) -> str:
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"process {self.pid}{where}, started {self.started}"


def read_holder(path: Path) -> LockHolder | None:
    """Who wrote the lock file (None: empty or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
        return LockHolder(int(data["pid"]), str(data["started"]), str(data["host"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def is_held(path: Path) -> bool:
    """Whether a live process holds the lock (tries it without keeping it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


class InstanceLock:
    """``with InstanceLock(root, started):`` — or ``ScheduleLocked`` naming the holder."""

    def __init__(self, root: Path, started: datetime) -> None:
        self.path = root / LOCK_FILE
        self.started = started
        self.stale: LockHolder | None = None  # the dead process whose lock was taken over
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            holder = read_holder(self.path)
            who = holder.describe() if holder else "another process"
            raise ScheduleLocked(
                f"a scheduler already runs for this workspace: {who} holds {self.path}",
                hint="Stop it first (kill -TERM "
                + (str(holder.pid) if holder else "PID")
                + "), or leave it running: one scheduler per workspace.",
            ) from None
        self.stale = read_holder(self.path)
        record = {
            "pid": os.getpid(),
            "started": self.started.isoformat(timespec="seconds"),
            "host": socket.gethostname(),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        # Emptied, not removed: removing a locked file lets two processes lock two files.
        os.ftruncate(self._fd, 0)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
