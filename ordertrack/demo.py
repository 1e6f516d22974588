"""``ordertrack demo``: a complete workspace from the bundled sample data, and a day in its life.

The day: import every export (orders move by what the files show, and by their stages'
``auto`` conditions) → the people who own the stages advance a few orders (one over
100,000 through director approval, one that skips it, one stopped by a guard) → the
alert sweep cron would run (rules fire, tasks and statuses are set, one digest per person
is written to out/digests/: the demo has no mail server) → the managers' reports
(out/ceo.html, sales.html, production.html) → look at the order center.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ordertrack
from ordertrack.config import CONFIG_FILE
from ordertrack.errors import WorkspaceError

if TYPE_CHECKING:
    from ordertrack.alerts import SweepResult
    from ordertrack.flow import MoveResult
    from ordertrack.ingest import ImportResult
    from ordertrack.overview import StatusReport
    from ordertrack.report.packs import Written


MARKER = ".ordertrack-demo"  # a folder `demo --force` may remove


def sample_data_dir() -> Path:
    """The bundled sample data: inside the installed package, or the repository's folder."""
    packaged = Path(str(files("ordertrack") / "_sample_data"))
    if (packaged / CONFIG_FILE).is_file():
        return packaged
    repo = Path(ordertrack.__file__).resolve().parents[1] / "sample_data"
    if (repo / CONFIG_FILE).is_file():
        return repo
    raise WorkspaceError(
        "the bundled sample data is missing from this installation",
        hint="Reinstall ordertrack, or run the demo from a clone of the repository.",
    )


@dataclass
class DemoMove:
    why: str
    order_id: str
    by: str
    result: MoveResult


@dataclass
class DemoResult:
    root: Path
    exports: Path
    imports: list[ImportResult] = field(default_factory=list)
    moves: list[DemoMove] = field(default_factory=list)
    sweep: SweepResult | None = None
    reports: list[Written] = field(default_factory=list)
    status: StatusReport | None = None


def build_demo(directory: Path | str, *, force: bool = False) -> DemoResult:
    """Create the demo workspace in ``directory`` and run the daily job on it."""
    from ordertrack.ingest import ImportOptions, import_files
    from ordertrack.overview import status
    from ordertrack.workspace import open_workspace

    root = Path(directory).expanduser().resolve()
    made_by_demo = (root / MARKER).is_file()
    if (root / CONFIG_FILE).exists() and not (force and made_by_demo):
        raise WorkspaceError(
            f"{root} already holds a workspace",
            hint="Use --force to rebuild a demo there (only a folder `ordertrack demo` made "
            "is ever removed), or name another folder."
            if not made_by_demo
            else "Use --force to rebuild the demo there, or name another folder.",
        )
    if root.exists() and force and made_by_demo:
        shutil.rmtree(root)
    elif root.exists() and any(root.iterdir()):
        raise WorkspaceError(
            f"{root} is not empty and is not a demo workspace",
            hint="Name a new or empty folder.",
        )
    source = sample_data_dir()
    exports = root / "exports"
    exports.mkdir(parents=True)
    (root / MARKER).write_text("made by `ordertrack demo`; `demo --force` may remove this folder\n")
    for f in sorted(source.iterdir()):
        if f.is_file() and f.suffix.lower() in (".csv", ".xlsx", ".xls"):
            shutil.copy2(f, exports / f.name)
    shutil.copy2(source / CONFIG_FILE, root / CONFIG_FILE)
    ws = open_workspace(root)
    from ordertrack.store import Store

    Store.open(ws.db_path, create=True, timezone=ws.timezone).close()
    result = DemoResult(root=root, exports=exports)
    result.imports = import_files(ws, sorted(exports.iterdir()), ImportOptions(actor="demo"))
    result.moves = _advance_a_few(ws)
    from ordertrack.alerts import run_sweep

    # the cron job: rules evaluated, alerts opened, tasks made, one digest per person
    # (no [notify.smtp] in the demo: the digests are written to out/digests/)
    result.sweep = run_sweep(ws, notify=True, by="demo")
    from ordertrack.report.packs import BUILTIN_PACKS, write_report

    # the managers' reports: every built-in pack over its default period (last full week)
    result.reports = [write_report(ws, pack) for pack in BUILTIN_PACKS]
    result.status = status(ws)
    return result


# (why, SQL picking the order, or None when there is none)
_PICKS = [
    (
        "over 100,000: the director approves it",
        "SELECT order_id FROM v_order_facts WHERE state = 'open' AND stage = 'director_approval' "
        "AND NOT is_short ORDER BY amount DESC LIMIT 1",
    ),
    (
        "100,000 or less: business review passes it on",
        "SELECT order_id FROM v_order_facts WHERE state = 'open' AND stage = 'business_review' "
        "AND amount <= 100000 AND NOT is_short ORDER BY amount DESC LIMIT 1",
    ),
    (
        "… and finance approves it: director approval does not apply and is skipped",
        "SELECT order_id FROM stage_events WHERE via = 'cli' AND to_stage = 'finance_approval' "
        "ORDER BY event_id DESC LIMIT 1",
    ),
    (
        "short of stock: the picking guard stops it",
        "SELECT order_id FROM v_order_facts WHERE state = 'open' AND stage = 'finance_approval' "
        "AND is_short ORDER BY order_id LIMIT 1",
    ),
    (
        "a new order: sales hands it to business review",
        "SELECT order_id FROM v_order_facts WHERE state = 'open' AND stage = 'order_entry' "
        "ORDER BY order_id LIMIT 1",
    ),
]


def _advance_a_few(ws: Any) -> list[DemoMove]:
    from ordertrack.flow import advance_many

    moves = []
    for why, sql in _PICKS:
        with ws.connect(read_only=True) as store:
            row = store.fetchone(sql)
            stage = (
                store.scalar("SELECT stage FROM v_order_facts WHERE order_id = ?", [row[0]])
                if row
                else None
            )
        if not row:
            continue
        owner = ws.config.flow.stage(stage).owner
        people = [p for p in ws.config.roles.get(owner, []) if "@" not in p] or ["demo"]
        res = advance_many(ws, [(row[0], None)], by=people[0], note="demo")
        moves.append(DemoMove(why, row[0], people[0], res))
    return moves
