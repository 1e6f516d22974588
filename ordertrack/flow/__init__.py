"""The flow engine: the stages every order passes, and the moves between them.

    >>> from ordertrack import open_workspace
    >>> from ordertrack.flow import advance
    >>> advance(open_workspace(), "SO-1001", to="picking", by="alice")   # doctest: +SKIP

Every function opens the workspace's database for writing, does its work in one
transaction and returns what happened; a refused move raises :class:`TransitionRefused`
(exit 2) and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ordertrack.errors import NotFound, UserError
from ordertrack.flow.engine import (
    MoveOptions,
    MoveResult,
    Refusal,
    Transition,
    TransitionRefused,
    audit,
    entered_with_form,
    plan_and_apply,
)
from ordertrack.workspace import Workspace

__all__ = [
    "MoveResult",
    "Refusal",
    "StateChange",
    "Transition",
    "TransitionRefused",
    "advance",
    "advance_many",
    "auto_moves",
    "change_state",
    "whoami",
]


def _actor(by: str | None) -> str:
    from ordertrack.clock import current_user

    return (by or current_user()).strip()


def advance(
    ws: Workspace,
    order_id: str,
    *,
    to: str | None = None,
    by: str | None = None,
    note: str | None = None,
    force: bool = False,
) -> Transition:
    """Move one order to ``to`` (default: the next stage that applies to it)."""
    result = advance_many(ws, [(order_id, to)], by=by, note=note, force=force, strict=True)
    return result.moved[0]


def advance_many(
    ws: Workspace,
    requests: Iterable[tuple[str, str | None]],
    *,
    by: str | None = None,
    note: str | None = None,
    force: bool = False,
    strict: bool = False,
    dry_run: bool = False,
    command: str = "advance",
) -> MoveResult:
    """Move many orders in one transaction; refusals are reported per order (``strict``:
    any refusal moves nothing and raises)."""
    names = {s.label: s.id for s in ws.config.flow.stages}  # 仓库配货 → picking
    rows = [
        (i + 1, str(o).strip() if o is not None else "", names.get(t, t) if t else t)
        for i, (o, t) in enumerate(requests)
    ]
    return _run(
        ws, rows, by=by, note=note, force=force, strict=strict, dry_run=dry_run, command=command
    )


def advance_from_file(
    ws: Workspace,
    path: Path,
    *,
    by: str | None = None,
    note: str | None = None,
    force: bool = False,
    strict: bool = False,
    dry_run: bool = False,
) -> MoveResult:
    """Move the orders listed in an export (order id and, optionally, target stage columns;
    Chinese or English headers); row numbers in refusals are the file's."""
    from ordertrack.flow.files import read_requests

    rows = read_requests(path, ws.config)
    return _run(
        ws,
        rows,
        by=by,
        note=note,
        force=force,
        strict=strict,
        dry_run=dry_run,
        command="advance --from-file",
        source=str(path),
    )


def _run(
    ws: Workspace,
    rows: list[tuple[int, str, str | None]],
    *,
    by: str | None,
    note: str | None,
    force: bool,
    strict: bool,
    dry_run: bool,
    command: str,
    source: str | None = None,
) -> MoveResult:
    actor = _actor(by)
    if force and not (note and note.strip()):
        raise UserError("--force needs a --note saying why", hint='e.g. --note "customer called"')
    if not rows:
        raise UserError("nothing to move: no orders given")
    opts = MoveOptions(actor=actor, via="cli", note=note, force=force, strict=strict)
    now = ws.now()
    with ws.connect() as store:
        con = store.con
        with store.transaction():
            _load_requests(con, rows)
            result = plan_and_apply(con, ws.config, opts, now, dry_run=dry_run)
            if strict and result.refused:
                raise _refusal_error(result.refused, len(rows))
            if result.moved and not dry_run:
                audit(
                    con,
                    now,
                    actor,
                    command,
                    {"orders": len(rows), "force": force, "note": note, "file": source},
                    {
                        "moved": len(result.moved),
                        "refused": len(result.refused),
                        "order_ids": [t.order_id for t in result.moved[:100]],
                    },
                )
        if result.moved and not dry_run:
            result.forms = write_forms(ws, store, entered_with_form(ws.config, result.moved), now)
    return result


def _load_requests(con: Any, rows: list[tuple[int, str, str | None]]) -> None:
    """The requests as temp table ``_req``: a VALUES list for a few, Arrow for many
    (no per-row statements either way)."""
    if len(rows) <= 200:
        from ordertrack.store.text import lit as _lit

        values = ", ".join(f"({r}, {_lit(o)}, {_lit(t)}, NULL::VARCHAR)" for r, o, t in rows)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _req AS SELECT * FROM "
            f"(VALUES {values}) v(row_no, order_id, to_stage, note)"
        )
        return
    # many: through a temporary CSV file that DuckDB reads (no per-row statements, and
    # no pyarrow/pandas import for a plain list)
    import csv
    import tempfile

    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", prefix="ordertrack-moves-", delete=False, encoding="utf-8", newline=""
    ) as f:
        csv.writer(f).writerows(rows)
        name = f.name
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _req AS SELECT *, NULL::VARCHAR AS note FROM read_csv(?, "
            "header = false, columns = {'row_no': 'BIGINT', 'order_id': 'VARCHAR', "
            "'to_stage': 'VARCHAR'}, auto_detect = false, quote = '\"', escape = '\"', "
            "delim = ',')",
            [name],
        )
    finally:
        Path(name).unlink(missing_ok=True)


def _refusal_error(refused: list[Refusal], total: int) -> TransitionRefused:
    first = refused[0]
    if total == 1:
        return TransitionRefused(
            f"{first.order_id}: {first.reason}",
            hint="Nothing was changed.",
        )
    lines = "\n".join(f"  row {r.row}: {r.order_id or '(blank)'}: {r.reason}" for r in refused[:20])
    more = f"\n  … and {len(refused) - 20} more" if len(refused) > 20 else ""
    return TransitionRefused(
        f"{len(refused)} of {total} moves refused; --strict: nothing was moved\n{lines}{more}",
        hint="Fix those rows, or run without --strict to move the others.",
    )


def write_forms(ws: Workspace, store: Any, forms: dict[str, list[str]], now: Any) -> list[str]:
    """Write the forms of orders that entered a stage (after the moves committed). A form
    that cannot be written does not undo the moves: it is reported in the list instead."""
    from ordertrack.flow.forms import write_pick_list

    written: list[str] = []
    for form, orders in forms.items():
        if form == "pick_list":
            try:
                written += [str(p) for p in write_pick_list(ws, store, orders, now)]
            except OSError as e:
                written.append(f"could not write the pick list for {len(orders)} orders: {e}")
    return written


@dataclass
class StateChange:
    order_id: str
    action: str
    from_state: str
    to_state: str
    stage: str
    actor: str
    reason: str


_STATES = {
    # action: (allowed from, to)
    "hold": (("open",), "on_hold"),
    "resume": (("on_hold",), "open"),
    "cancel": (("open", "on_hold"), "cancelled"),
    "reopen": (("cancelled", "closed"), "open"),
}


def change_state(
    ws: Workspace, order_id: str, action: str, *, reason: str, by: str | None = None
) -> StateChange:
    """hold / resume / cancel / reopen an order, with a reason (recorded)."""
    if action not in _STATES:
        raise UserError(f"unknown action {action!r}")
    if not reason or not reason.strip():
        raise UserError(f"{action} needs a --reason", hint='e.g. --reason "customer asked to wait"')
    actor = _actor(by)
    allowed_from, to_state = _STATES[action]
    now = ws.now()
    first = ws.config.flow.stages[0].id
    with ws.connect() as store:
        row = store.fetchone(
            "SELECT state, coalesce(stage, ?) FROM orders WHERE order_id = ?", [first, order_id]
        )
        if row is None:
            raise NotFound(
                f"unknown order {order_id}", hint="`ordertrack orders list` shows the orders."
            )
        state, stage = row
        if state not in allowed_from:
            raise TransitionRefused(
                f"{order_id}: cannot {action} an order that is {state.replace('_', ' ')}",
                hint=f"{action} works on orders that are {' or '.join(allowed_from)}.",
            )
        config = ws.config
        if config.roles_enforced:
            roles = set(config.roles_of(actor))
            owner = config.flow.stage(stage).owner if stage in config.flow.stage_ids else None
            if "admin" not in roles and owner not in roles:
                raise TransitionRefused(
                    f"{order_id}: {action} needs the role {owner} (owner of {stage}) or admin; "
                    f"{actor} has {', '.join(sorted(roles)) or 'no role'}",
                    hint="Ask the stage's owner, or add the person to [roles] in ordertrack.toml.",
                )
        with store.transaction() as con:
            con.execute(
                "INSERT INTO stage_events (order_id, from_stage, to_stage, event_at, actor, via, kind, note) "
                "VALUES (?, ?, ?, ?, ?, 'cli', ?, ?)",
                [order_id, stage, stage, now, actor, action, reason],
            )
            con.execute(
                "UPDATE orders SET state = ?, updated_at = ? WHERE order_id = ?",
                [to_state, now, order_id],
            )
            audit(
                con,
                now,
                actor,
                action,
                {"order": order_id, "reason": reason},
                {"state": [state, to_state]},
            )
    return StateChange(order_id, action, state, to_state, stage, actor, reason)


def auto_moves(
    con: Any, ws_config: Any, now: Any, *, actor: str = "ordertrack", import_id: int | None = None
) -> list[Transition]:
    """Orders whose stage's ``auto`` condition holds move on by themselves (via = auto),
    repeatedly while more stages pass; set-based. Runs inside the caller's transaction."""
    stages = ws_config.flow.stages
    autos = [(s.id, s.auto) for s in stages if s.auto]
    if not autos:
        return []
    from ordertrack.flow.engine import require_valid_conditions

    require_valid_conditions(ws_config, con)  # before any condition reaches SQL
    first = stages[0].id
    ids = ", ".join(f"'{sid}'" for sid, _ in autos)
    moved: list[Transition] = []
    for _ in range(len(stages)):
        # candidates from the orders table first (cheap); the facts only for them
        waiting = con.execute(
            f"SELECT count(*) FROM orders WHERE state = 'open' AND coalesce(stage, '{first}') IN ({ids})"
        ).fetchone()
        if not waiting or not waiting[0]:
            break
        cond = " OR ".join(
            f"(stage = '{sid}' AND coalesce(({expr}), false))" for sid, expr in autos
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _req AS SELECT (row_number() OVER ())::BIGINT AS row_no, "
            "order_id, NULL::VARCHAR AS to_stage, NULL::VARCHAR AS note FROM v_order_facts "
            f"WHERE state = 'open' AND stage IN ({ids}) AND ({cond})"
        )
        n = con.execute("SELECT count(*) FROM _req").fetchone()
        if not n or not n[0]:
            break
        result = plan_and_apply(
            con,
            ws_config,
            MoveOptions(actor=actor, via="auto", note="auto condition holds", import_id=import_id),
            now,
        )
        moved += result.moved
        if not result.moved:
            break
    return moved


@dataclass
class WhoAmI:
    actor: str
    roles: list[str]
    enforced: bool
    may_leave: list[str]


def whoami(ws: Workspace, by: str | None = None) -> WhoAmI:
    actor = _actor(by)
    c = ws.config
    roles = c.roles_of(actor)
    if not c.roles_enforced or "admin" in roles:
        may = c.flow.stage_ids
    else:
        may = [s.id for s in c.flow.stages if s.owner in roles]
    return WhoAmI(actor, roles, c.roles_enforced, may)
