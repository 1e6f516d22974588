"""The workspace configuration (``ordertrack.toml``): one typed declaration.

Unknown keys are refused; every problem names the file, the dotted key and the reason,
and all problems are collected, not only the first::

    ordertrack.toml: flow.stages[3].sla: expected a duration like "24h" or "2d", got "soon"

``docs/configuration.md`` is generated from these models (``ordertrack.docgen``), so the
``description`` of each field is the user documentation: keep it short and concrete.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ordertrack.alerts.settings import AlertSettings, InventorySettings, Notify, Person, Rule
from ordertrack.calendar import CalendarConfig
from ordertrack.durations import Duration
from ordertrack.entities import ENTITIES
from ordertrack.errors import ConfigError, Problem, show_value
from ordertrack.report.settings import PackConfig
from ordertrack.schedule.settings import ScheduleSettings

CONFIG_FILE = "ordertrack.toml"

BUILTIN_ROLES = (
    "sales",
    "business",
    "finance",
    "sales_director",
    "director",
    "warehouse",
    "logistics",
    "purchasing",
    "ceo",
    "admin",
)

IDENT = r"^[a-z][a-z0-9_]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class WorkspaceSettings(_Model):
    """General settings of the workspace."""

    name: str = Field("ordertrack", description="Company or workspace name, shown in reports.")
    database: str = Field(
        "ordertrack.duckdb",
        description="The DuckDB file, relative to the workspace folder (or absolute).",
    )
    timezone: str | None = Field(
        None,
        description='IANA time zone, e.g. "Asia/Shanghai". Times in imported files without a '
        "zone are read in it, and DuckDB's `TimeZone` is pinned to it. Default: the machine's zone.",
    )
    lang: Literal["zh", "en"] = Field("en", description="Language of reports and stage names.")
    clock: datetime | None = Field(
        None,
        description='Pretend it is always this moment, e.g. "2026-06-30T17:00" (in `timezone`). '
        "For demos, training and replaying the past; leave it out in real use. "
        "The ORDERTRACK_NOW environment variable overrides it.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f'unknown time zone "{value}"; use an IANA name such as "Asia/Shanghai" or "UTC"'
            ) from None
        return value


class Guard(_Model):
    """A condition an order must meet to enter a stage (`[[flow.stages.requires]]`)."""

    when: str = Field(
        ..., description='SQL condition over v_order_facts that must hold, e.g. "NOT is_short".'
    )
    message: str = Field(..., description="Shown to the user when the condition does not hold.")


class TaskEffect(_Model):
    """A task created for a role when an order enters the stage."""

    role: str = Field(..., description="Role the task is for.")
    title: str = Field(..., description="Task title; {order_id} and {customer} are filled in.")
    due: Duration | None = Field(None, description='Time to do it, e.g. "4h". None: no due time.')


class Effect(_Model):
    """Something that happens when an order enters the stage (`[[flow.stages.on_enter]]`).

    Give exactly one of the keys.
    """

    form: Literal["pick_list"] | None = Field(
        None,
        description='A form written to the workspace\'s out/ folder: "pick_list" (出库单, XLSX '
        "and printable HTML, one per move command, all orders entering the stage).",
    )
    task: TaskEffect | None = Field(None, description="A task for a role.")
    set_status: str | None = Field(None, description="Set the order's status text.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Effect:
        given = [k for k in ("form", "task", "set_status") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of form, task, set_status"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class Stage(_Model):
    """One stage of the flow. Orders pass the stages in the order they are listed."""

    id: str = Field(
        ..., pattern=IDENT, description="Stage id used in commands and SQL (lower_snake_case)."
    )
    name: str | None = Field(None, description="Display name, e.g. 商务审核. Default: the id.")
    owner: str = Field(..., description="Role that owns the stage and may move orders out of it.")
    cc: list[str] = Field(default_factory=list, description="Roles kept informed (notifications).")
    sla: Duration | None = Field(
        None, description='Time limit in the stage, e.g. "2h" or "3d". None: no limit.'
    )
    when: str | None = Field(
        None,
        description="SQL condition over the order's facts; the stage applies only when it holds, "
        'e.g. "amount > 100000". Orders that do not meet it skip the stage (recorded as skipped).',
    )
    requires: list[Guard] = Field(
        default_factory=list, description="Guards: conditions an order must meet to enter."
    )
    on_enter: list[Effect] = Field(
        default_factory=list, description="What happens when an order enters: forms, tasks, status."
    )
    auto: str | None = Field(
        None,
        description="SQL condition: an order in this stage for which it holds moves on by itself "
        '(via = auto), e.g. "credit_limit IS NOT NULL AND amount <= credit_limit".',
    )

    @property
    def label(self) -> str:
        return self.name or self.id


DEFAULT_ON_IMPORT = {
    "shipped": "shipped",
    "delivered": "signed",
    "invoiced": "invoiced",
    "paid": "paid",
}


class OnImport(_Model):
    """Where an import moves an order when a file shows it has progressed.

    Each value is a stage id. Left out: the default stage when the flow has a stage of
    that id (shipped → "shipped", delivered → "signed", invoiced → "invoiced",
    paid → "paid"), else no move. "" turns the move off.
    """

    shipped: str | None = Field(None, description="Stage for orders with a shipment that left.")
    delivered: str | None = Field(
        None, description="Stage for orders whose every shipment was delivered / signed for."
    )
    invoiced: str | None = Field(None, description="Stage for orders with an invoice.")
    paid: str | None = Field(None, description="Stage for orders paid in full.")

    def resolved(self, stage_ids: list[str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for event, default in DEFAULT_ON_IMPORT.items():
            value = getattr(self, event)
            if value is None:
                out[event] = default if default in stage_ids else None
            else:
                out[event] = value or None
        return out


def default_stages() -> list[Stage]:
    from ordertrack.templates import DEFAULT_STAGES

    return [Stage(**s) for s in DEFAULT_STAGES]


class Flow(_Model):
    """The stages every order goes through."""

    stages: list[Stage] = Field(
        default_factory=default_stages, description="The stages, in order (`[[flow.stages]]`)."
    )
    on_import: OnImport = Field(
        default_factory=OnImport,
        description="Automatic moves when an import shows progress (`[flow.on_import]`).",
    )

    def stage(self, stage_id: str) -> Stage:
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)

    @property
    def stage_ids(self) -> list[str]:
        return [s.id for s in self.stages]


ColumnSpec = str | list[str]


class Profile(_Model):
    """How one kind of export file maps to entities (`[profiles.NAME]`)."""

    description: str = Field("", description="What export this is, for people.")
    preset: str | None = Field(
        None,
        description="Start from a built-in preset (see docs/importing.md) and override keys here.",
    )
    entity: list[str] = Field(
        default_factory=list,
        description='Entity or entities the file fills, e.g. "orders" or ["orders", "order_lines"].',
    )
    files: list[str] = Field(
        default_factory=list,
        description='File-name globs that pick this profile automatically, e.g. ["*销售订单*.xlsx"].',
    )
    sheet: str | int | None = Field(
        None, description="Sheet name, or its position counting from 1. Default: the first sheet."
    )
    header_row: int | None = Field(
        None, ge=1, description="Row of the header as numbered in Excel. Default: found by looking."
    )
    skip_rows: int = Field(0, ge=0, description="Rows right below the header to skip (units etc.).")
    encoding: str | None = Field(
        None,
        description='CSV encoding, e.g. "gb18030". Default: UTF-8 (with or without BOM), '
        "else GB18030, detected.",
    )
    delimiter: str | None = Field(None, description="CSV delimiter. Default: detected.")
    columns: dict[str, ColumnSpec] = Field(
        default_factory=dict,
        description="field = header (or a list of alternative headers). With several entities, "
        '"entity.field" maps a field of one entity only.',
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='Value maps per field, e.g. `[profiles.x.values.status]` `"已发货" = "shipped"`.',
    )
    defaults: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Values for fields the file lacks or leaves blank."
    )
    key: list[str] | None = Field(
        None, description="Fields forming the key. Default: the entity's key (see docs)."
    )
    date_formats: list[str] = Field(
        default_factory=list,
        description='strptime formats tried first, e.g. ["%d.%m.%Y"]. ISO dates, 2026/6/3, '
        "6/3/2026 2:05 PM, 2026年6月3日 and Excel serial numbers are always understood.",
    )
    day_first: bool = Field(False, description="Read 3/6/2026 as 3 June (default: March 6).")
    decimal: Literal[".", ","] = Field(".", description="Decimal separator.")
    thousands: str | None = Field(
        None, description="Thousands separator. Default: the other of , and . (and spaces)."
    )

    @field_validator("entity", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("entity")
    @classmethod
    def _known_entity(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in ENTITIES:
                raise ValueError(_unknown("entity", name, list(ENTITIES)))
        return value

    @field_validator("files", mode="before")
    @classmethod
    def _glob_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Config(_Model):
    """Everything in ``ordertrack.toml``."""

    workspace: WorkspaceSettings = Field(
        default_factory=WorkspaceSettings,
        description="General settings (`[workspace]`).",
    )
    roles: dict[str, list[str]] = Field(
        default_factory=dict,
        description="role = [people]: login names and e-mail addresses that hold the role. "
        f"Built-in roles: {', '.join(BUILTIN_ROLES)}; you may add your own.",
    )
    flow: Flow = Field(default_factory=Flow, description="The flow (`[flow]`).")
    profiles: dict[str, Profile] = Field(
        default_factory=dict, description="Source profiles for imports (`[profiles.NAME]`)."
    )
    calendar: CalendarConfig | None = Field(
        None,
        description="Work calendar (`[calendar]`): stage time limits count business hours on "
        "work days, and whole days count as work days. Absent: wall-clock time.",
    )
    inventory: InventorySettings = Field(
        default_factory=InventorySettings, description="Which stock counts (`[inventory]`)."
    )
    rules: list[Rule] = Field(
        default_factory=list, description="If…Then rules (`[[rules]]`); see docs/rules.md."
    )
    alerts: AlertSettings = Field(
        default_factory=AlertSettings, description="Alert behaviour (`[alerts]`)."
    )
    notify: Notify = Field(
        default_factory=Notify, description="Mail server and chat robots (`[notify]`)."
    )
    packs: dict[str, PackConfig] = Field(
        default_factory=dict,
        description="Report packs of your own (`[packs.NAME]`); see docs/reports.md.",
    )
    people: dict[str, Person] = Field(
        default_factory=dict,
        description="Who gets notifications and how (`[people.KEY]`): KEY as roles and "
        "orders name them.",
    )
    schedule: ScheduleSettings = Field(
        default_factory=ScheduleSettings,
        description="What `ordertrack schedule run` does and when (`[schedule]`); see "
        "docs/scheduling.md.",
    )

    @property
    def known_roles(self) -> list[str]:
        return list(dict.fromkeys([*BUILTIN_ROLES, *self.roles]))

    @property
    def roles_enforced(self) -> bool:
        """Permissions apply once anyone is listed under [roles]; before that (a new
        workspace, one user) everyone may do everything."""
        return any(self.roles.values())

    def roles_of(self, actor: str) -> list[str]:
        """The roles ``actor`` (a login name or e-mail address) holds."""
        who = actor.strip().lower()
        return [r for r, people in self.roles.items() if who in (p.strip().lower() for p in people)]


# ---------------------------------------------------------------------------------------
# loading and checking


def load_config(path: Path, display: str | None = None) -> Config:
    """Read, validate and check ``path``; raise ``ConfigError`` listing every problem."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            [Problem(shown, "", "file not found")], "Run `ordertrack init` to create it."
        ) from None
    except UnicodeDecodeError as e:
        raise ConfigError(
            [Problem(shown, "", f"not UTF-8 text ({e.reason} at byte {e.start})")],
            "Save the file as UTF-8.",
        ) from None
    return parse_config(text, shown)


def parse_config(text: str, file: str = CONFIG_FILE) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(
            [Problem(file, "", f"not valid TOML: {e}")],
            "Check quotes, brackets and `key = value` lines around that line.",
        ) from None
    try:
        config = Config.model_validate(data)
    except ValidationError as e:
        problems = [_problem(file, err) for err in e.errors()]
        # Also list the problems of the rest of the file: check what validates once the
        # broken keys are set aside.
        rest = _without_errors(data, e)
        if rest is not None:
            seen = {p.key for p in problems}
            problems += [p for p in check_config(rest, file) if p.key not in seen]
        raise ConfigError(problems) from None
    problems = check_config(config, file)
    if problems:
        raise ConfigError(problems)
    return config


def _without_errors(data: dict[str, Any], error: ValidationError, tries: int = 5) -> Config | None:
    """The config with the keys pydantic refused removed (for a second round of checks)."""
    import copy

    current = copy.deepcopy(data)
    for _ in range(tries):
        for err in error.errors():
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            if err["type"] == "missing":
                loc = loc[:-1]  # the item lacking a required key goes
            try:
                _drop(current, loc)
            except _GiveUp:
                return None
        try:
            return Config.model_validate(current)
        except ValidationError as again:
            error = again
    return None


class _GiveUp(Exception):
    pass


def _drop(data: Any, loc: list[Any]) -> None:
    node = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    if not loc:
        return
    last = loc[-1]
    if isinstance(node, dict):
        node.pop(last, None)
    else:
        # A whole list item is broken: removing it would shift the positions the other
        # problems are reported at, so give up the second round instead.
        raise _GiveUp


def check_config(config: Config, file: str = CONFIG_FILE) -> list[Problem]:
    """Problems the types alone cannot see: duplicates and references between sections."""
    problems: list[Problem] = []
    add = lambda key, msg: problems.append(Problem(file, key, msg))  # noqa: E731
    stages = config.flow.stages
    ids = [s.id for s in stages]
    roles = config.known_roles
    if not stages:
        add("flow.stages", "the flow needs at least one stage")
    seen: set[str] = set()
    for i, s in enumerate(stages):
        if s.id in seen:
            add(f"flow.stages[{i}].id", f'duplicate stage id "{s.id}"; stage ids must be unique')
        seen.add(s.id)
        if s.owner not in roles:
            add(f"flow.stages[{i}].owner", _unknown("role", s.owner, roles))
        for j, role in enumerate(s.cc):
            if role not in roles:
                add(f"flow.stages[{i}].cc[{j}]", _unknown("role", role, roles))
        if s.when is not None and not s.when.strip():
            add(f"flow.stages[{i}].when", "empty condition; remove the key or write a condition")
        for j, effect in enumerate(s.on_enter):
            if effect.task is not None and effect.task.role not in roles:
                add(
                    f"flow.stages[{i}].on_enter[{j}].task.role",
                    _unknown("role", effect.task.role, roles),
                )
    for event, target in config.flow.on_import.model_dump().items():
        if target and ids and target not in ids:
            add(f"flow.on_import.{event}", _unknown("stage", target, ids))
    for role, people in config.roles.items():
        if not re.match(IDENT, role):
            add(f"roles.{role}", "role names are lower_snake_case")
        if len(set(people)) != len(people):
            add(f"roles.{role}", "a person is listed twice")
    problems += rule_problems(config, file)
    problems += pack_problems(config, file)
    problems += schedule_problems(config, file)
    from ordertrack.ingest.profiles import check_profile

    for name, profile in config.profiles.items():
        for key, msg in check_profile(name, profile):
            add(key, msg)
    return problems


def condition_problems(config: Config, file: str = CONFIG_FILE, con: Any = None) -> list[Problem]:
    """Every SQL condition of the configuration that is not one safe boolean expression over
    its view (checked by DuckDB's parser; see ordertrack.conditions). Not part of loading:
    it costs a few hundred milliseconds, so it runs in `config check` / `flow check` and
    before any command evaluates conditions."""
    from ordertrack.conditions import ConditionError, check_condition

    problems: list[Problem] = []
    for key, expr, view in condition_keys(config):
        try:
            check_condition(expr, view=view, con=con)
        except ConditionError as e:
            problems.append(Problem(file, key, str(e)))
    return problems


def condition_keys(config: Config) -> list[tuple[str, str, str]]:
    """Every SQL condition of the configuration: (dotted key, expression, view)."""
    of = "v_order_facts"
    out: list[tuple[str, str, str]] = []
    for i, s in enumerate(config.flow.stages):
        if s.when is not None:
            out.append((f"flow.stages[{i}].when", s.when, of))
        if s.auto is not None:
            out.append((f"flow.stages[{i}].auto", s.auto, of))
        out += [
            (f"flow.stages[{i}].requires[{j}].when", g.when, of) for j, g in enumerate(s.requires)
        ]
    out += [(f"rules[{i}].when ({r.id})", r.when, r.view) for i, r in enumerate(config.rules)]
    return out


def pack_problems(config: Config, file: str = CONFIG_FILE) -> list[Problem]:
    """Packs name known KPIs, and trend only KPIs they show."""
    if not config.packs:
        return []
    from ordertrack.report.kpis import KPIS

    known = list(KPIS)
    problems: list[Problem] = []
    for name, pack in config.packs.items():
        for i, kid in enumerate(pack.kpis):
            if kid not in KPIS:
                problems.append(
                    Problem(file, f"packs.{name}.kpis[{i}]", _unknown("KPI", kid, known))
                )
        for i, kid in enumerate(pack.trends):
            if kid not in pack.kpis:
                problems.append(
                    Problem(
                        file, f"packs.{name}.trends[{i}]", f'"{kid}" is not among the pack\'s kpis'
                    )
                )
            elif kid in KPIS and KPIS[kid].snapshot:
                problems.append(
                    Problem(
                        file,
                        f"packs.{name}.trends[{i}]",
                        f'"{kid}" is measured now, whatever the period: it has no trend',
                    )
                )
    return problems


def schedule_problems(config: Config, file: str = CONFIG_FILE) -> list[Problem]:
    """Scheduled reports name known packs."""
    if not config.schedule.reports:
        return []
    from ordertrack.report.packs import BUILTIN_PACKS

    known = list(dict.fromkeys([*BUILTIN_PACKS, *config.packs]))
    return [
        Problem(file, f"schedule.reports[{i}].pack", _unknown("pack", job.pack, known))
        for i, job in enumerate(config.schedule.reports)
        if job.pack not in known
    ]


def rule_problems(config: Config, file: str = CONFIG_FILE) -> list[Problem]:
    """Rules' references: unique ids, known rules, roles, people, robots and stages."""
    from ordertrack.alerts.settings import ORDER_FIELDS

    problems: list[Problem] = []
    add = lambda key, msg: problems.append(Problem(file, key, msg))  # noqa: E731
    ids = [r.id for r in config.rules]
    roles = config.known_roles
    people = set(config.people) | {p for members in config.roles.values() for p in members}
    robots = list(config.notify.webhooks)
    stages = config.flow.stage_ids

    def target(key: str, value: str) -> None:
        if value.startswith("@"):
            if value[1:] not in ORDER_FIELDS:
                add(
                    key,
                    _unknown("order field", value[1:], list(ORDER_FIELDS)).replace(
                        "unknown order field", "unknown @field"
                    )
                    + "; write @sales_rep, @follow_up or @owner",
                )
        elif value.startswith("#"):
            if value[1:] not in robots:
                add(
                    key,
                    _unknown("chat robot", value[1:], robots)
                    + " (define it under [notify.webhooks])",
                )
        elif "@" in value:
            return  # an e-mail address
        elif value not in roles and value not in people:
            add(
                key,
                _unknown("role or person", value, [*roles, *sorted(people)])
                + " (people are listed under [roles] or [people])",
            )

    seen: set[str] = set()
    for i, r in enumerate(config.rules):
        at = f"rules[{i}]"
        if r.id in seen:
            add(f"{at}.id", f'duplicate rule id "{r.id}"; rule ids must be unique')
        seen.add(r.id)
        if not r.when.strip():
            add(f"{at}.when", "empty condition")
        for j, other in enumerate(r.inhibits):
            if other not in ids:
                add(f"{at}.inhibits[{j}]", _unknown("rule", other, ids))
            elif other == r.id:
                add(f"{at}.inhibits[{j}]", "a rule cannot inhibit itself")
        for j, a in enumerate(r.actions):
            for k, t in enumerate(a.notify or []):
                target(f"{at}.actions[{j}].notify[{k}]", t)
            if a.task is not None:
                if a.task.role is not None and a.task.role not in roles:
                    add(f"{at}.actions[{j}].task.role", _unknown("role", a.task.role, roles))
                assignee = a.task.assignee or ""
                if assignee.startswith("@") and assignee[1:] not in ("sales_rep", "follow_up"):
                    add(
                        f"{at}.actions[{j}].task.assignee",
                        "use @sales_rep or @follow_up, or a name",
                    )
            if a.advance is not None and a.advance != "next" and a.advance not in stages:
                add(f"{at}.actions[{j}].advance", _unknown("stage", a.advance, ["next", *stages]))
        for j, step in enumerate(r.escalate):
            for k, t in enumerate(step.notify):
                target(f"{at}.escalate[{j}].notify[{k}]", t)
            if j and step.after <= r.escalate[j - 1].after:
                add(
                    f"{at}.escalate[{j}].after",
                    "escalation steps must come later one after another",
                )
    if any(not name.strip() for name in config.people):
        add("people", "a person's key is empty")
    return problems


def _unknown(kind: str, value: str, known: list[str]) -> str:
    close = _closest(value, known)
    hint = f'did you mean "{close}"? ' if close else ""
    return f'unknown {kind} "{value}"; {hint}known: {", ".join(known) or "(none)"}'


def _closest(value: str, known: list[str]) -> str | None:
    """The known name a typo most likely meant ("sla_hours" → "sla")."""
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    if close:
        return close[0]
    prefixed = [k for k in known if value.startswith(k) or k.startswith(value)]
    if prefixed:
        return max(prefixed, key=len)
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.45)
    return close[0] if close else None


def dotted(loc: tuple[int | str, ...]) -> str:
    """``('flow', 'stages', 3, 'sla')`` → ``flow.stages[3].sla``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _problem(file: str, err: Any) -> Problem:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    # pydantic adds the union member's type name to the location; drop those
    loc = tuple(
        p for p in loc if p not in ("str", "int", "list[str]", "bool", "float", "timedelta")
    )
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        close = _closest(str(loc[-1]), allowed)
        hint = f'did you mean "{close}"? ' if close else ""
        message = f"unknown key; {hint}allowed keys here: {', '.join(allowed)}"
    elif kind == "missing":
        message = "required key is missing"
    elif kind in ("value_error", "assertion_error"):
        message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    elif kind == "literal_error":
        message = f"{err['msg'][0].lower()}{err['msg'][1:]}, got {_show(value)}"
    elif kind == "string_pattern_mismatch":
        message = (
            f"{_show(value)} is not lower_snake_case (letters, digits, _; starts with a letter)"
        )
    else:
        message = f"{err['msg'][0].lower()}{err['msg'][1:]}, got {_show(value)}"
    return Problem(file, dotted(loc), message)


_show = show_value


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed at ``loc`` (for 'did you mean')."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        info = model.model_fields.get(str(part))
        if info is None:  # a dict key such as a profile name
            continue
        model = _inner_model(info.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is None:
        return annotation
    for arg in get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = _inner_model(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation
