"""The inbox: files dropped into a folder are imported, then moved to ``done/`` or
``failed/`` (with ``NAME.reason.txt`` beside a failed file). Nothing is ever deleted.

The import itself is ``ingest.import_files`` (one transaction per file, idempotent by
content): a file already imported is "skipped" and goes to ``done/`` too. When the
import cannot run at all (the database busy, the configuration broken) every file stays
where it is for the next run.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ordertrack.errors import UserError
from ordertrack.words import counted

if TYPE_CHECKING:
    from ordertrack.ingest import ImportResult
    from ordertrack.schedule.settings import InboxJob
    from ordertrack.workspace import Workspace

__all__ = ["InboxFile", "InboxResult", "inbox_folder", "process_inbox", "ready_files"]

DONE = "done"
FAILED = "failed"
_TEMPORARY = (".tmp", ".part", ".partial", ".crdownload", ".download", ".swp", ".lock")


@dataclass
class InboxFile:
    """One file taken from the inbox: how its import went and where it went."""

    name: str
    status: str  # ok | skipped | failed (as the import result says)
    moved_to: str
    import_id: int | None = None
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    message: str | None = None


@dataclass
class InboxResult:
    folder: str
    files: list[InboxFile] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # still being written: next run

    def asdict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        if not self.files and not self.waiting:
            return "no new files"
        done = [f for f in self.files if f.status != "failed"]
        failed = [f for f in self.files if f.status == "failed"]
        parts = [counted(len(self.files), "file")]
        if done:
            parts.append(
                f"{len(done)} to done/ ({sum(f.inserted for f in done)} inserted, "
                f"{sum(f.updated for f in done)} updated, {sum(f.rejected for f in done)} "
                "rejected)"
            )
        if failed:
            parts.append(f"{len(failed)} to failed/ ({', '.join(f.name for f in failed)})")
        if self.waiting:
            parts.append(f"{len(self.waiting)} still being written ({', '.join(self.waiting)})")
        return "; ".join(parts)


def inbox_folder(ws: Workspace, job: InboxJob) -> Path:
    return (ws.root / job.folder).expanduser()


def _candidate(path: Path) -> bool:
    name = path.name
    if name.startswith((".", "~$", "~")) or name.lower().endswith(_TEMPORARY):
        return False
    return path.is_file()


def ready_files(
    folder: Path, settle: float, now: float | None = None
) -> tuple[list[Path], list[Path]]:
    """(files to import, files still being written) at the top of ``folder``, by name.

    A file modified less than ``settle`` seconds ago, or whose size or time changes while
    we look, is still being written."""
    now = time.time() if now is None else now
    ready: list[tuple[Path, tuple[int, int]]] = []
    waiting: list[Path] = []
    for path in sorted(folder.iterdir()):
        try:
            if not _candidate(path):
                continue
            st = path.stat()
        except OSError:
            continue  # gone meanwhile
        if now - st.st_mtime < settle:
            waiting.append(path)
        else:
            ready.append((path, (st.st_size, st.st_mtime_ns)))
    if not ready:
        return [], waiting
    # a last look: a writer that paused longer than `settle` and resumed is caught here
    time.sleep(0.05)
    still: list[Path] = []
    for path, seen in ready:
        try:
            st = path.stat()
        except OSError:
            continue
        if (st.st_size, st.st_mtime_ns) != seen:
            waiting.append(path)
        else:
            still.append(path)
    return still, sorted(waiting)


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem-2.ext``, ``-3``, … when taken."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while target.exists() or target.with_name(target.name + ".reason.txt").exists():
        n += 1
        target = folder / f"{stem}-{n}{suffix}"
    return target


def _reason_text(result: ImportResult, when: datetime) -> str:
    lines = [f"{result.file_name}: not imported ({when:%Y-%m-%d %H:%M:%S %z})", ""]
    lines.append(result.message or "the import failed")
    if result.hint:
        lines += ["", f"Hint: {result.hint}"]
    lines += [
        "",
        "Fix the file (or ordertrack.toml) and put it back into the inbox folder; "
        "`ordertrack import FILE` shows the same message.",
    ]
    return "\n".join(lines) + "\n"


def _rejects_text(result: ImportResult, when: datetime) -> str:
    lines = [
        f"{result.file_name}: imported as #{result.import_id} ({when:%Y-%m-%d %H:%M:%S %z}) "
        f"with {counted(result.rejected, 'row')} rejected; the first:",
        "",
    ]
    for r in result.rejects:
        where = ", ".join(f"{k} {v}" for k, v in r.items() if v not in (None, ""))
        lines.append(f"  {where}")
    lines += ["", f"All of them: ordertrack imports rejects {result.import_id}"]
    return "\n".join(lines) + "\n"


def process_inbox(ws: Workspace, job: InboxJob, *, actor: str | None = None) -> InboxResult:
    """Import the files that are ready, then move each to done/ or failed/.

    Raises what the import raises when it cannot run at all (``DatabaseBusy``, a
    ``StorageError`` such as a full disk, a ``ConfigError``): then no file has moved.
    """
    from ordertrack.ingest import ImportOptions, import_files

    folder = inbox_folder(ws, job)
    if folder.exists() and not folder.is_dir():
        raise UserError(
            f"the inbox {folder} is a file, not a folder",
            hint="Point [schedule.inbox] folder at a folder, or move the file away.",
        )
    for sub in (folder / DONE, folder / FAILED):
        sub.mkdir(parents=True, exist_ok=True)
    result = InboxResult(str(folder))
    ready, waiting = ready_files(folder, job.settle.total_seconds())
    result.waiting = [p.name for p in waiting]
    if not ready:
        return result
    results = import_files(ws, ready, ImportOptions(actor=actor))
    by_name = {r.file_name: r for r in results}
    now = ws.now()
    for path in ready:
        r = by_name.get(path.name)
        if r is None:  # cannot happen: every file named gets a result
            continue
        failed = r.status == "failed"
        target = _free_name(folder / (FAILED if failed else DONE), path.name)
        try:
            shutil.move(str(path), target)
        except FileNotFoundError:
            continue  # someone took it meanwhile
        if failed:
            target.with_name(target.name + ".reason.txt").write_text(
                _reason_text(r, now), encoding="utf-8"
            )
        elif r.rejected and r.status == "ok":
            target.with_name(target.name + ".rejects.txt").write_text(
                _rejects_text(r, now), encoding="utf-8"
            )
        result.files.append(
            InboxFile(
                path.name,
                r.status,
                str(target.relative_to(folder)),
                import_id=r.import_id,
                inserted=r.inserted,
                updated=r.updated,
                rejected=r.rejected,
                message=r.message,
            )
        )
    return result
