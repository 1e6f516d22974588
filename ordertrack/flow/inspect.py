"""Looking at orders and the flow: orders list/show, the audit log, flow show/check/rename."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ordertrack.config import CONFIG_FILE, Config
from ordertrack.errors import NotFound, Problem, UserError
from ordertrack.store import as_dicts
from ordertrack.workspace import Workspace

# -- orders ------------------------------------------------------------------------------

LIST_COLUMNS = (
    "order_id, customer, sales_rep, stage, stage_name, owner_role, state, status, amount, "
    "promised_date, planned_ship_date, round(stage_business_hours, 1) AS stage_hours, sla_hours, "
    "overdue, is_short"
)


@dataclass(frozen=True)
class OrderFilter:
    stage: str | None = None
    owner: str | None = None
    overdue: bool = False
    customer: str | None = None
    state: str | None = "open"
    limit: int = 100


def list_orders(ws: Workspace, f: OrderFilter) -> list[dict[str, Any]]:
    where, params = ["true"], []
    if f.stage:
        if f.stage not in ws.config.flow.stage_ids:
            from ordertrack.config import _unknown

            raise UserError(_unknown("stage", f.stage, ws.config.flow.stage_ids))
        where.append("stage = ?")
        params.append(f.stage)
    if f.owner:
        where.append("owner_role = ?")
        params.append(f.owner)
    if f.overdue:
        where.append("overdue")
    if f.customer:
        where.append("(customer ILIKE ? OR customer_id = ?)")
        params += [f"%{f.customer}%", f.customer]
    if f.state and f.state != "all":
        where.append("state = ?")
        params.append(f.state)
    with ws.connect(read_only=True) as store:
        return as_dicts(
            store.con.execute(
                f"SELECT {LIST_COLUMNS} FROM v_order_facts WHERE {' AND '.join(where)} "
                "ORDER BY overdue DESC, stage_hours DESC NULLS LAST, order_id LIMIT ?",
                [*params, f.limit],
            )
        )


@dataclass
class OrderDetail:
    facts: dict[str, Any]
    lines: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    shipments: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    tasks: list[dict[str, Any]]

    def asdict(self) -> dict[str, Any]:
        return asdict(self)


def show_order(ws: Workspace, order_id: str) -> OrderDetail:
    with ws.connect(read_only=True) as store:
        con = store.con
        facts = as_dicts(con.execute("SELECT * FROM v_order_facts WHERE order_id = ?", [order_id]))
        if not facts:
            close = [
                r[0]
                for r in con.execute(
                    "SELECT order_id FROM orders ORDER BY jaro_winkler_similarity(order_id, ?) DESC LIMIT 3",
                    [order_id],
                ).fetchall()
            ]
            raise NotFound(
                f"unknown order {order_id}",
                hint=f"Similar: {', '.join(close)}." if close else "Nothing has been imported yet.",
            )
        lines = as_dicts(
            con.execute(
                "SELECT line_no, sku, description, qty, available, shortage_qty, is_short, warehouse "
                "FROM v_line_facts WHERE order_id = ? ORDER BY line_no",
                [order_id],
            )
        )
        timeline = as_dicts(
            con.execute(
                "SELECT e.event_at, e.kind, e.from_stage, e.to_stage, e.actor, e.via, e.note, "
                "round(d.hours, 1) AS hours, round(d.business_hours, 1) AS business_hours, "
                "fs.sla_hours, d.business_hours > fs.sla_hours AS over_sla "
                "FROM stage_events e "
                "LEFT JOIN v_stage_durations d ON d.order_id = e.order_id AND d.entered_at = e.event_at "
                "AND d.stage = e.to_stage AND e.kind = 'move' "
                "LEFT JOIN flow_stages fs ON fs.stage_id = e.to_stage "
                "WHERE e.order_id = ? ORDER BY e.event_at, e.event_id",
                [order_id],
            )
        )
        shipments = as_dicts(
            con.execute(
                "SELECT shipment_id, carrier, tracking_no, status, shipped_at, delivered_at, expedited "
                "FROM shipments WHERE order_id = ? ORDER BY shipped_at NULLS LAST",
                [order_id],
            )
        )
        alerts = as_dicts(
            con.execute(
                "SELECT alert_id, rule_id, severity, state, fired_at, sku FROM alerts "
                "WHERE order_id = ? AND state = 'firing' ORDER BY fired_at",
                [order_id],
            )
        )
        tasks = as_dicts(
            con.execute(
                "SELECT task_id, title, role, assignee, state, opened_at, due_at FROM tasks "
                "WHERE order_id = ? AND state = 'open' ORDER BY opened_at",
                [order_id],
            )
        )
        return OrderDetail(facts[0], lines, timeline, shipments, alerts, tasks)


# -- audit log ---------------------------------------------------------------------------


def read_log(
    ws: Workspace, order_id: str | None = None, since: datetime | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The audit log, newest first; with ``order_id``, that order's stage events too."""
    with ws.connect(read_only=True) as store:
        if order_id:
            return as_dicts(
                store.con.execute(
                    "SELECT event_at AS at, actor, via, kind AS what, "
                    "coalesce(from_stage, '') || ' → ' || coalesce(to_stage, '') AS detail, note "
                    "FROM stage_events WHERE order_id = ? AND (? IS NULL OR event_at >= ?) "
                    "ORDER BY event_at DESC, event_id DESC LIMIT ?",
                    [order_id, since, since, limit],
                )
            )
        return as_dicts(
            store.con.execute(
                "SELECT logged_at AS at, actor, command AS what, args::VARCHAR AS detail, "
                "changes::VARCHAR AS changes FROM audit_log WHERE (? IS NULL OR logged_at >= ?) "
                "ORDER BY logged_at DESC, audit_id DESC LIMIT ?",
                [since, since, limit],
            )
        )


# -- the flow ----------------------------------------------------------------------------


def flow_mermaid(config: Config) -> str:
    """The flow as a mermaid diagram: conditions on the arrows, bypasses dashed."""

    def q(text: str) -> str:
        return text.replace('"', "'")

    out = ["flowchart LR"]
    stages = config.flow.stages
    for s in stages:
        sla = f" · {_fmt(s.sla)}" if s.sla else ""
        # an auto condition moves an order on to whichever next stage applies to it
        auto = f"<br/>auto when {q(s.auto)}" if s.auto else ""
        out.append(f'    {s.id}["{q(s.label)}<br/>{s.owner}{sla}{auto}"]')
    for i, s in enumerate(stages[:-1]):
        nxt = stages[i + 1]
        label = f"|{q(nxt.when)}|" if nxt.when else ""
        out.append(f"    {s.id} -->{label} {nxt.id}")
        if nxt.when and i + 2 < len(stages):
            out.append(f'    {s.id} -.->|"otherwise"| {stages[i + 2].id}')
    return "\n".join(out) + "\n"


def flow_text(config: Config) -> str:
    lines = []
    for i, s in enumerate(config.flow.stages, start=1):
        extra = []
        if s.when:
            extra.append(f"only when {s.when}")
        if s.requires:
            extra.append("requires " + "; ".join(g.when for g in s.requires))
        if s.auto:
            extra.append(f"auto when {s.auto}")
        if s.on_enter:
            extra.append(
                "on enter: "
                + ", ".join(
                    e.form or (f"task for {e.task.role}" if e.task else f"status {e.set_status}")
                    for e in s.on_enter
                )
            )
        sla = _fmt(s.sla) if s.sla else "no limit"
        lines.append(f"{i}. {s.id} ({s.label}) — owner {s.owner}, {sla}")
        lines += [f"     {x}" for x in extra]
    return "\n".join(lines) + "\n"


def _fmt(td: Any) -> str:
    from ordertrack.durations import format_duration

    return format_duration(td)


@dataclass
class FlowCheck:
    problems: list[Problem] = field(default_factory=list)
    orders_in_unknown_stages: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.orders_in_unknown_stages


def check_flow(ws: Workspace) -> FlowCheck:
    """Every problem of the flow: conditions that do not compile against the view, roles
    nobody holds, orders sitting in stages the flow no longer has."""
    from ordertrack.config import condition_problems

    config = ws.config
    result = FlowCheck()
    with ws.connect(read_only=True) as store:
        result.problems += condition_problems(config, con=store.con)
        for i, s in enumerate(config.flow.stages):
            if config.roles_enforced and not config.roles.get(s.owner):
                result.problems.append(
                    Problem(
                        CONFIG_FILE,
                        f"flow.stages[{i}].owner",
                        f'nobody holds the role "{s.owner}": orders could not leave {s.id}',
                    )
                )
        ids = config.flow.stage_ids
        for stage, n in store.fetchall(
            "SELECT stage, count(*) FROM orders WHERE stage IS NOT NULL "
            "AND state IN ('open', 'on_hold') GROUP BY stage"
        ):
            if stage not in ids:
                result.orders_in_unknown_stages[stage] = int(n)
    return result


def rename_stage(ws: Workspace, old: str, new: str, *, by: str | None = None) -> dict[str, int]:
    """Rename a stage in ordertrack.toml and in the order center's history."""
    from ordertrack.clock import current_user
    from ordertrack.config import IDENT, parse_config
    from ordertrack.flow.engine import audit

    if not re.match(IDENT, new):
        raise UserError(f'"{new}" is not a valid stage id (lower_snake_case)')
    if new in ws.config.flow.stage_ids:
        raise UserError(f'a stage "{new}" already exists')
    text = ws.config_path.read_text(encoding="utf-8")
    in_config = old in ws.config.flow.stage_ids
    if in_config:
        # only the stage's own id line and [flow.on_import] targets: a role or a name that
        # happens to read like the stage id stays as it is
        text = re.sub(rf'^(\s*id\s*=\s*)"{re.escape(old)}"', rf'\g<1>"{new}"', text, flags=re.M)
        text = re.sub(
            rf'^(\s*(?:shipped|delivered|invoiced|paid)\s*=\s*)"{re.escape(old)}"',
            rf'\g<1>"{new}"',
            text,
            flags=re.M,
        )
        parse_config(text)  # refuse to write a broken file
    now = ws.now()
    with ws.connect() as store, store.transaction() as con:

        def changed(sql: str) -> int:
            row = con.execute(sql, [new, old]).fetchone()
            return int(row[0]) if row else 0

        counts = {
            "orders": changed("UPDATE orders SET stage = ? WHERE stage = ?"),
            "events_to": changed("UPDATE stage_events SET to_stage = ? WHERE to_stage = ?"),
            "events_from": changed("UPDATE stage_events SET from_stage = ? WHERE from_stage = ?"),
        }
        if not in_config and not any(counts.values()):
            raise NotFound(f'no stage "{old}" in the flow or the order center')
        audit(con, now, by or current_user(), "flow rename-stage", {"old": old, "new": new}, counts)
        if in_config:
            # the new file is ready beside the old one before the database commits, and
            # replaces it (atomically) only once the database has
            staged = ws.config_path.with_name(ws.config_path.name + ".new")
            staged.write_text(text, encoding="utf-8")
    if in_config:
        staged.replace(ws.config_path)
    return counts
