"""``ordertrack status``: what is in the order center, in one read-only look."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ordertrack.workspace import Workspace

COUNTED = (
    "orders",
    "order_lines",
    "customers",
    "inventory",
    "shipments",
    "invoices",
    "payments",
    "feedback",
    "stage_events",
)


@dataclass
class StageCount:
    stage: str
    name: str
    orders: int
    overdue: int


@dataclass
class LastImport:
    import_id: int
    file_name: str
    status: str
    finished_at: datetime | None
    inserted: int
    updated: int
    unchanged: int
    rejected: int


@dataclass
class StatusReport:
    workspace: str
    config: str
    database: str
    database_bytes: int
    schema_version: int
    timezone: str
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)
    stages: list[StageCount] = field(default_factory=list)
    orders_without_stage: int = 0
    last_import: LastImport | None = None
    imports: int = 0
    open_alerts: int = 0
    open_tasks: int = 0
    queued_messages: int = 0

    def asdict(self) -> dict[str, Any]:
        return asdict(self)


def status(ws: Workspace) -> StatusReport:
    """Counts per entity and stage, the last import, open alerts and tasks."""
    with ws.connect(read_only=True) as store:
        counts_sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in COUNTED)
        counts = {name: int(n) for name, n in store.fetchall(counts_sql)}
        by_stage = {
            stage: (int(n), int(late))
            for stage, n, late in store.fetchall(
                "SELECT stage, count(*), count(*) FILTER (WHERE overdue) FROM v_order_facts "
                "WHERE state IN ('open', 'on_hold') GROUP BY stage"
            )
        }
        stages = [
            StageCount(s.id, s.label, *by_stage.pop(s.id, (0, 0))) for s in ws.config.flow.stages
        ]
        # orders in a stage the flow no longer has (renamed or removed) stay visible
        stages += [
            StageCount(str(k), f"{k} (not in the flow)", n, late)
            for k, (n, late) in by_stage.items()
            if k is not None
        ]
        last = store.fetchone(
            "SELECT import_id, file_name, status, finished_at, inserted, updated, unchanged, "
            "rejected FROM imports WHERE status <> 'skipped' ORDER BY import_id DESC LIMIT 1"
        )
        row = store.fetchone(
            "SELECT (SELECT count(*) FROM imports),"
            " (SELECT count(*) FROM alerts WHERE state = 'firing'),"
            " (SELECT count(*) FROM tasks WHERE state = 'open'),"
            " (SELECT count(*) FROM outbox WHERE sent_at IS NULL),"
            " (SELECT count(*) FROM orders WHERE stage IS NULL)"
        )
        assert row is not None
        return StatusReport(
            workspace=str(ws.root),
            config=str(ws.config_path),
            database=str(ws.db_path),
            database_bytes=ws.db_path.stat().st_size,
            schema_version=store.schema_version(),
            timezone=ws.timezone,
            now=ws.now(),
            counts=counts,
            stages=stages,
            orders_without_stage=int(row[4]),
            last_import=LastImport(*last) if last else None,
            imports=int(row[0]),
            open_alerts=int(row[1]),
            open_tasks=int(row[2]),
            queued_messages=int(row[3]),
        )
