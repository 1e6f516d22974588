"""The flow engine: move orders between stages, one order or ten thousand, set-based.

Every move — by command (``via = 'cli'``), by an imported file (``import``), by a rule
(``rule``) or by a stage's ``auto`` condition (``auto``) — goes through :func:`plan_and_apply`:
a handful of SQL statements over a temp table of requests, whatever their number.

For each request the engine works out, in SQL:

* the current stage (an order the flow never moved is in the first stage) and the target
  (the one asked for, or the next stage whose ``when`` holds for the order);
* the first reason to refuse it: unknown order or stage, cancelled / on hold / closed,
  already there, moving back without ``force``, the actor lacking the role that owns the
  current stage, a stage in between that applies to the order (it must be passed, not
  jumped), a guard (``requires``) of the target that does not hold;
* then, for the accepted ones, one ``stage_events`` row per stage passed over
  (``kind = 'skip'``, so conditional stages are recorded, not silently jumped) and per move,
  the orders' new stage, and the target's ``on_enter`` effects (tasks, status, forms).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from ordertrack.config import Config, Stage
from ordertrack.errors import UserError
from ordertrack.store.text import lit as _lit

EVENT_COLUMNS = "order_id, from_stage, to_stage, event_at, actor, via, kind, note, import_id"


class TransitionRefused(UserError):
    """A move the flow does not allow (exit 2); the message says why and what to do."""


@dataclass
class Transition:
    order_id: str
    from_stage: str
    to_stage: str
    skipped: list[str]
    via: str
    actor: str
    at: datetime
    note: str | None = None


@dataclass
class Refusal:
    order_id: str | None
    to_stage: str | None
    reason: str
    row: int | None = None


@dataclass
class MoveResult:
    moved: list[Transition] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    tasks: int = 0
    forms: list[str] = field(default_factory=list)
    dry_run: bool = False

    def asdict(self) -> dict[str, Any]:
        # by hand: dataclasses.asdict deep-copies, which is slow for 10,000 moves
        return {
            "moved": [t.__dict__.copy() for t in self.moved],
            "refused": [r.__dict__.copy() for r in self.refused],
            "tasks": self.tasks,
            "forms": list(self.forms),
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class MoveOptions:
    actor: str
    via: str = "cli"
    note: str | None = None
    force: bool = False  # move back, or jump over stages that apply
    strict: bool = False  # any refusal: nothing moves
    check_guards: bool = True
    check_roles: bool = True
    import_id: int | None = None


def _stage_list(stages: list[Stage]) -> str:
    return "(" + ", ".join(_lit(s.id) for s in stages) + ")"


_VALIDATED: set[str] = set()


def require_valid_conditions(config: Config, con: duckdb.DuckDBPyConnection | None = None) -> None:
    """No condition runs before DuckDB's parser has proved it one safe expression.

    Checked once per set of conditions: remembered in the process and, given ``con`` (a
    writable connection), in the database's ``meta`` table, so later commands skip it.
    """
    import hashlib

    from ordertrack import __version__
    from ordertrack.config import condition_keys, condition_problems
    from ordertrack.errors import ConfigError

    keys = condition_keys(config)
    if not keys:
        return
    digest = hashlib.sha256(repr((keys, __version__, duckdb.__version__)).encode()).hexdigest()
    if digest in _VALIDATED:
        return
    if con is not None:
        row = con.execute("SELECT value FROM meta WHERE key = 'conditions_checked'").fetchall()
        if row and row[0][0] == digest:
            _VALIDATED.add(digest)
            return
    problems = condition_problems(config)
    if problems:
        raise ConfigError(problems)
    _VALIDATED.add(digest)
    if con is not None:
        con.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('conditions_checked', ?)", [digest]
        )


def plan_and_apply(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    opts: MoveOptions,
    now: datetime,
    *,
    dry_run: bool = False,
) -> MoveResult:
    """Move the orders listed in temp table ``_req(row_no, order_id, to_stage, note)``.

    Runs inside the caller's transaction; writes nothing when ``dry_run`` or (with
    ``strict``) when anything is refused.
    """
    require_valid_conditions(config, con)
    stages = config.flow.stages
    first, last = stages[0].id, stages[-1].id
    n = len(stages)

    # 1. facts: which conditional stages apply to each order, which guards hold
    cond_cols: list[str] = []
    for i, s in enumerate(stages):
        if s.when:
            cond_cols.append(f"coalesce(({s.when}), false) AS a{i}")
        for j, g in enumerate(s.requires):
            cond_cols.append(f"coalesce(({g.when}), false) AS g{i}_{j}")
    if cond_cols:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _cond AS SELECT order_id, {', '.join(cond_cols)} "
            "FROM v_order_facts WHERE order_id IN (SELECT order_id FROM _req)"
        )
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE _cond AS SELECT DISTINCT order_id FROM _req")

    def applies(i: int, alias: str) -> str:
        return f"coalesce({alias}.a{i}, false)" if stages[i].when else "true"

    # next applicable stage after the current one
    next_pos = (
        "CASE "
        + " ".join(f"WHEN b.cur_pos < {i} AND {applies(i, 'c')} THEN {i}" for i in range(n))
        + " END"
    )
    # the first stage strictly between current and target that applies (must be passed)
    blocking = (
        "CASE "
        + " ".join(
            f"WHEN t.cur_pos >= 0 AND t.cur_pos < {i} AND {i} < t.target_pos AND {applies(i, 't')} "
            f"THEN {_lit(stages[i].id)}"
            for i in range(n)
        )
        + " END"
    )
    guard_cases = []
    for i, s in enumerate(stages):
        if s.requires:
            inner = " ".join(
                f"WHEN NOT coalesce(t.g{i}_{j}, false) THEN {_lit(g.message)}"
                for j, g in enumerate(s.requires)
            )
            guard_cases.append(f"WHEN {i} THEN (CASE {inner} END)")
    guard = f"(CASE t.target_pos {' '.join(guard_cases)} END)" if guard_cases else "NULL"
    cond_star = "c.* EXCLUDE (order_id)," if cond_cols else ""
    values = ", ".join(f"({i}, {_lit(s.id)}, {_lit(s.owner)})" for i, s in enumerate(stages))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _plan AS
        WITH st AS (SELECT * FROM (VALUES {values}) v(pos, stage_id, owner_role)),
        base AS (
            SELECT r.row_no, r.order_id, nullif(trim(r.to_stage), '') AS asked, r.note,
                   o.order_id IS NOT NULL AS known, o.state, o.customer,
                   coalesce(o.stage, {_lit(first)}) AS cur,
                   coalesce(cs.pos, -1) AS cur_pos, cs.owner_role AS cur_owner,
                   row_number() OVER (PARTITION BY r.order_id ORDER BY r.row_no) AS nth,
                   first(r.row_no) OVER (PARTITION BY r.order_id ORDER BY r.row_no) AS first_row
            FROM _req r
            LEFT JOIN orders o ON o.order_id = r.order_id
            LEFT JOIN st cs ON cs.stage_id = coalesce(o.stage, {_lit(first)})
        ),
        targeted AS (
            SELECT b.*, {cond_star}
                   CASE WHEN b.asked IS NULL THEN {next_pos} ELSE ts.pos END AS target_pos
            FROM base b
            LEFT JOIN _cond c ON c.order_id = b.order_id
            LEFT JOIN st ts ON ts.stage_id = b.asked
        )
        SELECT t.*, st.stage_id AS target,
               {blocking} AS blocked_by,
               {guard} AS guard_failed
        FROM targeted t LEFT JOIN st ON st.pos = t.target_pos
        """
    )
    allowed = _allowed_stages(config, opts)
    stage_ids = _stage_list(stages)
    reasons = [
        ("order_id IS NULL OR trim(order_id) = ''", "'blank order id'"),
        ("NOT known", "'unknown order ' || order_id"),
        (
            f"asked IS NOT NULL AND asked NOT IN {stage_ids}",
            "'unknown stage \"' || asked || '\"'",
        ),
        ("nth > 1", "'order listed twice (first on row ' || first_row || ')'"),
        (
            "state = 'cancelled'",
            "'order is cancelled; reopen it first (ordertrack reopen ORDER --reason …)'",
        ),
        (
            "state = 'on_hold'",
            "'order is on hold; resume it first (ordertrack resume ORDER --reason …)'",
        ),
        (
            "state = 'closed' AND NOT " + _bool(opts.force),
            "'order is closed (it reached ' || cur || '); reopen it first'",
        ),
        (
            "cur_pos = -1 AND asked IS NULL",
            "'the order sits in ' || cur || ', which the flow no longer has: name the stage to "
            "move it to with --to (or rename the stage: ordertrack flow rename-stage)'",
        ),
        ("target IS NULL", "'no next stage: the order is in the last stage (' || cur || ')'"),
        ("target = cur", "'already in ' || cur"),
    ]
    if opts.via in ("import", "auto", "rule"):
        reasons.append(("target_pos < cur_pos", "'moves ' || cur || ' back'"))
    else:
        reasons.append(
            (
                f"target_pos < cur_pos AND NOT {_bool(opts.force)}",
                "'moving back from ' || cur || ' to ' || target || ' needs --force and a --note'",
            )
        )
    if allowed is not None:
        reasons.append(
            (
                f"cur NOT IN {allowed}",
                "'leaving ' || cur || ' needs the role ' || cur_owner || '; ' || "
                f"{_lit(opts.actor)} || ' has {_roles_text(config, opts.actor)}'",
            )
        )
    if not opts.force and opts.via not in ("import",):
        reasons.append(
            (
                "blocked_by IS NOT NULL",
                "'must pass ' || blocked_by || ' first (it applies to this order); "
                "use --force to jump over it'",
            )
        )
    if opts.check_guards:
        reasons.append(
            ("guard_failed IS NOT NULL", "'cannot enter ' || target || ': ' || guard_failed")
        )
    case = "CASE " + " ".join(f"WHEN {w} THEN {r}" for w, r in reasons) + " END"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _plan AS SELECT *, {case} AS reason FROM _plan")
    refused = [
        Refusal(order_id=r[0], to_stage=r[1], reason=r[2], row=r[3])
        for r in con.execute(
            "SELECT order_id, coalesce(asked, target), reason, row_no FROM _plan "
            "WHERE reason IS NOT NULL ORDER BY row_no"
        ).fetchall()
    ]
    _did_you_mean(refused, [s.id for s in stages])
    result = MoveResult(refused=refused, dry_run=dry_run)
    accepted = con.execute("SELECT count(*) FROM _plan WHERE reason IS NULL").fetchone()
    if not accepted or not accepted[0] or dry_run or (opts.strict and refused):
        result.moved = _transitions(con, stages, opts, now, only_preview=True)
        if opts.strict and refused:
            result.moved = []
        return result

    # 2. write: skipped stages, moves, orders, effects
    note = opts.note
    between = (
        f"SELECT p.order_id, st.stage_id, st.pos, p.target_pos FROM _plan p "
        f"JOIN (SELECT * FROM (VALUES {values}) v(pos, stage_id, owner_role)) st "
        "ON st.pos > p.cur_pos AND st.pos < p.target_pos WHERE p.reason IS NULL AND p.cur_pos >= 0"
    )
    con.execute(
        f"INSERT INTO stage_events ({EVENT_COLUMNS}) "
        f"SELECT b.order_id, b.stage_id, b.stage_id, ?, ?, ?, 'skip', "
        f"CASE WHEN {_applies_by_pos(stages, 'b.pos', 'c')} THEN ? "
        "ELSE 'does not apply to this order' END, ? "
        f"FROM ({between}) b LEFT JOIN _cond c USING (order_id) ORDER BY b.order_id, b.pos",
        [
            now,
            opts.actor,
            opts.via,
            "passed over: " + ("shown by an imported file" if opts.via == "import" else "--force"),
            opts.import_id,
        ],
    )
    con.execute(
        f"INSERT INTO stage_events ({EVENT_COLUMNS}) "
        "SELECT order_id, cur, target, ?, ?, ?, 'move', coalesce(note, ?), ? FROM _plan "
        "WHERE reason IS NULL ORDER BY row_no",
        [now, opts.actor, opts.via, note, opts.import_id],
    )
    con.execute(
        "UPDATE orders SET stage = p.target, stage_entered_at = ?, updated_at = ?, "
        f"state = CASE WHEN p.target = {_lit(last)} THEN 'closed' "
        "WHEN orders.state = 'closed' THEN 'open' ELSE orders.state END "
        "FROM _plan p WHERE p.reason IS NULL AND orders.order_id = p.order_id",
        [now, now],
    )
    result.tasks = _effects(con, stages, now, opts)
    result.moved = _transitions(con, stages, opts, now, only_preview=False)
    return result


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _applies_by_pos(stages: list[Stage], pos: str, alias: str) -> str:
    cases = " ".join(
        f"WHEN {i} THEN coalesce({alias}.a{i}, false)" for i, s in enumerate(stages) if s.when
    )
    return f"(CASE {pos} {cases} ELSE true END)" if cases else "true"


def _allowed_stages(config: Config, opts: MoveOptions) -> str | None:
    """The stages the actor may move orders out of (None: any)."""
    if not opts.check_roles or opts.via != "cli" or not config.roles_enforced:
        return None
    roles = set(config.roles_of(opts.actor))
    if "admin" in roles:
        return None
    ids = [s.id for s in config.flow.stages if s.owner in roles]
    # no stage at all: a list nothing is in (NOT IN (NULL) would be NULL: never refused)
    return "(" + ", ".join(_lit(i) for i in ids) + ")" if ids else "('\x00no stage')"


def _roles_text(config: Config, actor: str) -> str:
    roles = config.roles_of(actor)
    text = f"the roles {', '.join(roles)}" if roles else "no role"
    return text.replace("'", "''")


def _did_you_mean(refused: list[Refusal], ids: list[str]) -> None:
    import difflib

    for r in refused:
        if r.reason.startswith("unknown stage") and r.to_stage:
            close = difflib.get_close_matches(r.to_stage, ids, n=1, cutoff=0.5)
            hint = f'did you mean "{close[0]}"? ' if close else ""
            r.reason += f"; {hint}stages: {', '.join(ids)}"


def _transitions(
    con: duckdb.DuckDBPyConnection,
    stages: list[Stage],
    opts: MoveOptions,
    now: datetime,
    *,
    only_preview: bool,
) -> list[Transition]:
    rows = con.execute(
        "SELECT order_id, cur, target, cur_pos, target_pos, note FROM _plan "
        "WHERE reason IS NULL ORDER BY row_no"
    ).fetchall()
    out = []
    for order_id, cur, target, cp, tp, note in rows:
        # (an order in a stage the flow no longer has, cp = -1, passes over nothing)
        skipped = [stages[i].id for i in range(cp + 1, tp)] if tp > cp >= 0 else []
        out.append(
            Transition(order_id, cur, target, skipped, opts.via, opts.actor, now, note or opts.note)
        )
    return out


def _effects(
    con: duckdb.DuckDBPyConnection, stages: list[Stage], now: datetime, opts: MoveOptions
) -> int:
    """on_enter effects of the target stages: tasks and statuses (forms after commit)."""
    tasks = 0
    for s in stages:
        for effect in s.on_enter:
            if effect.task is not None:
                t = effect.task
                due = (
                    f"?::TIMESTAMPTZ + INTERVAL '{int(t.due.total_seconds())} seconds'"
                    if t.due
                    else "NULL"
                )
                title = (
                    f"replace(replace({_lit(t.title)}, '{{order_id}}', p.order_id), "
                    "'{customer}', coalesce(p.customer, ''))"
                )
                params: list[Any] = [now] if t.due else []
                con.execute(
                    "INSERT INTO tasks (dedupe_key, order_id, kind, title, role, state, opened_at, due_at) "
                    f"SELECT 'enter/' || {_lit(s.id)} || '/' || p.order_id || '/' || epoch_ms(?::TIMESTAMPTZ), "
                    f"p.order_id, 'stage', {title}, {_lit(t.role)}, 'open', ?, {due} "
                    f"FROM _plan p WHERE p.reason IS NULL AND p.target = {_lit(s.id)} "
                    "ON CONFLICT DO NOTHING",
                    [now, now, *params],
                )
                row = con.execute(
                    f"SELECT count(*) FROM _plan WHERE reason IS NULL AND target = {_lit(s.id)}"
                ).fetchone()
                tasks += int(row[0]) if row else 0
            if effect.set_status is not None:
                con.execute(
                    "UPDATE orders SET status = ? FROM _plan p WHERE p.reason IS NULL "
                    f"AND p.target = {_lit(s.id)} AND orders.order_id = p.order_id",
                    [effect.set_status],
                )
    return tasks


def entered_with_form(config: Config, moved: list[Transition]) -> dict[str, list[str]]:
    """form name → orders that entered a stage producing it."""
    forms: dict[str, list[str]] = {}
    by_stage = {s.id: s for s in config.flow.stages}
    for t in moved:
        for effect in by_stage[t.to_stage].on_enter:
            if effect.form:
                forms.setdefault(effect.form, []).append(t.order_id)
    return forms


def audit(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    actor: str,
    command: str,
    args: dict[str, Any],
    changes: dict[str, Any],
) -> None:
    con.execute(
        "INSERT INTO audit_log (logged_at, actor, command, args, changes) VALUES (?, ?, ?, ?, ?)",
        [
            now,
            actor,
            command,
            json.dumps(args, ensure_ascii=False, default=str),
            json.dumps(changes, ensure_ascii=False, default=str),
        ],
    )
