"""Source profiles: resolve (preset + overrides), check, match a file's headers, suggest.

A profile maps *fields* of one or more entities to *headers* of a file. Field names may be
qualified (``order_lines.amount``) when a profile fills several entities that share a
field name; a bare name applies to every entity of the profile that has the field.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ordertrack.entities import ENTITIES
from ordertrack.errors import InputError, UserError
from ordertrack.ingest.normalize import header_key
from ordertrack.ingest.presets import PRESETS

if TYPE_CHECKING:
    from ordertrack.config import Config, Profile


@dataclass
class ResolvedProfile:
    name: str
    origin: str  # "workspace" | "preset"
    description: str
    entities: list[str]
    files: list[str]
    columns: dict[str, list[str]]  # "entity.field" → header alternatives
    values: dict[str, dict[str, str]]  # "entity.field" → raw → value
    defaults: dict[str, Any]  # "entity.field" → value
    key: list[str] | None
    sheet: str | int | None = None
    header_row: int | None = None
    skip_rows: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    date_formats: list[str] = field(default_factory=list)
    day_first: bool = False
    decimal: str = "."
    thousands: str | None = None

    def fields_of(self, entity: str) -> dict[str, list[str]]:
        return {
            q.split(".", 1)[1]: h for q, h in self.columns.items() if q.split(".", 1)[0] == entity
        }


def qualify(name: str, entities: list[str]) -> list[str]:
    """``"amount"`` → ``["orders.amount", "order_lines.amount"]`` (those that have it)."""
    if "." in name:
        ent, fld = name.split(".", 1)
        if ent in entities and fld in ENTITIES[ent].field_names:
            return [name]
        return []
    return [f"{e}.{name}" for e in entities if name in ENTITIES[e].field_names]


def _merged(profile: Profile) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if profile.preset:
        data = {
            k: (dict(v) if isinstance(v, dict) else v) for k, v in PRESETS[profile.preset].items()
        }
    own = profile.model_dump(exclude_unset=True)
    for k, v in own.items():
        if k in ("columns", "values", "defaults") and isinstance(v, dict):
            data[k] = {**data.get(k, {}), **v}
        else:
            data[k] = v
    return data


def check_profile(name: str, profile: Profile) -> list[tuple[str, str]]:
    """Problems with one ``[profiles.NAME]``: (dotted key, message) pairs."""
    base = f"profiles.{name}"
    problems: list[tuple[str, str]] = []
    if profile.preset is not None and profile.preset not in PRESETS:
        from ordertrack.config import _unknown

        problems.append((f"{base}.preset", _unknown("preset", profile.preset, sorted(PRESETS))))
        return problems
    data = _merged(profile)
    entities = data.get("entity") or []
    if isinstance(entities, str):
        entities = [entities]
    if not entities:
        problems.append(
            (f"{base}.entity", 'missing: say which entity the file fills, e.g. "orders"')
        )
        return problems
    for section in ("columns", "values", "defaults"):
        for key in data.get(section) or {}:
            if not qualify(key, entities):
                known = sorted({f for e in entities for f in ENTITIES[e].field_names})
                from ordertrack.config import _unknown

                problems.append(
                    (
                        f"{base}.{section}.{key}",
                        _unknown(f"field of {'/'.join(entities)}", key, known),
                    )
                )
    for key, spec in (data.get("columns") or {}).items():
        headers = [spec] if isinstance(spec, str) else spec
        if not headers or any(not str(h).strip() for h in headers):
            problems.append((f"{base}.columns.{key}", "empty header name"))
    for k in data.get("key") or []:
        if not qualify(k, entities[:1]):
            problems.append((f"{base}.key", f'"{k}" is not a field of {entities[0]}'))
    for fmt in data.get("date_formats") or []:
        if "%" not in fmt:
            problems.append(
                (f"{base}.date_formats", f'"{fmt}" is not a strptime format like "%d.%m.%Y"')
            )
    return problems


def resolve(name: str, config: Config | None) -> ResolvedProfile:
    """The profile called ``name``: a workspace profile, else a built-in preset."""
    from ordertrack.config import Profile

    if config is not None and name in config.profiles:
        profile, origin = config.profiles[name], "workspace"
    elif name in PRESETS:
        profile, origin = Profile(preset=name), "preset"
    else:
        known = sorted({*(config.profiles if config else {}), *PRESETS})
        from ordertrack.config import _unknown

        raise UserError(
            _unknown("profile", name, known), hint="`ordertrack profile list` shows them."
        )
    data = _merged(profile)
    entities = data["entity"] if isinstance(data["entity"], list) else [data["entity"]]
    # dependency order: orders before lines etc.
    order = list(ENTITIES)
    entities = sorted(entities, key=order.index)

    def expand(section: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        # bare names first, then qualified ones override them
        for key in sorted(data.get(section) or {}, key=lambda k: "." in k):
            value = data[section][key]
            for q in qualify(key, entities):
                out[q] = value
        return out

    columns = {q: ([v] if isinstance(v, str) else list(v)) for q, v in expand("columns").items()}
    return ResolvedProfile(
        name=name,
        origin=origin,
        description=data.get("description", ""),
        entities=entities,
        files=list(data.get("files") or []),
        columns=columns,
        values=expand("values"),
        defaults=expand("defaults"),
        key=data.get("key"),
        sheet=data.get("sheet"),
        header_row=data.get("header_row"),
        skip_rows=data.get("skip_rows", 0) or 0,
        encoding=data.get("encoding"),
        delimiter=data.get("delimiter"),
        date_formats=list(data.get("date_formats") or []),
        day_first=bool(data.get("day_first", False)),
        decimal=data.get("decimal", ".") or ".",
        thousands=data.get("thousands"),
    )


def all_profiles(config: Config | None) -> list[ResolvedProfile]:
    names = list(config.profiles) if config else []
    names += [p for p in PRESETS if p not in names]
    return [resolve(n, config) for n in names]


# -- matching ----------------------------------------------------------------------------


@dataclass
class Match:
    profile: ResolvedProfile
    header_row: int  # Excel row number of the header
    header_index: int  # index into the preview
    columns: dict[str, int]  # "entity.field" → column index
    missing: list[str]  # required "entity.field" not found (and without a default)
    matched_headers: int
    duplicates: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def required_fields(p: ResolvedProfile) -> list[str]:
    out: list[str] = []
    for e in p.entities:
        ent = ENTITIES[e]
        for f in ent.fields:
            if f.required:
                out.append(f"{e}.{f.name}")
        if ent.derived_key and f"{e}.{ent.key[0]}" not in p.columns:
            continue
    return out


def match_row(p: ResolvedProfile, cells: list[str]) -> tuple[dict[str, int], int, list[str]]:
    """Which column each field of ``p`` maps to in a header row."""
    keys = [header_key(c) for c in cells]
    positions: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if k:
            positions.setdefault(k, []).append(i)
    columns: dict[str, int] = {}
    used: set[int] = set()
    duplicates: list[str] = []
    for q, alternatives in p.columns.items():
        for alt in alternatives:
            hits = positions.get(header_key(alt))
            if hits:
                columns[q] = hits[0]
                used.add(hits[0])
                if len(hits) > 1:
                    duplicates.append(cells[hits[0]])
                break
    return columns, len(used), sorted(set(duplicates))


def match(p: ResolvedProfile, preview: list[list[str]], rows: list[int]) -> Match | None:
    """Find ``p``'s header row in the preview (or use the configured one)."""
    candidates = range(len(preview))
    if p.header_row is not None:
        candidates = range(0)
        for i, r in enumerate(rows):
            if r == p.header_row:
                candidates = range(i, i + 1)
    best: Match | None = None
    for i in candidates:
        columns, n, dups = match_row(p, preview[i])
        if n == 0:
            continue
        missing = [q for q in required_fields(p) if q not in columns and q not in p.defaults]
        m = Match(p, rows[i], i, columns, missing, n, dups)
        if best is None or (len(m.missing), -m.matched_headers) < (
            len(best.missing),
            -best.matched_headers,
        ):
            best = m
    return best


def choose(
    profiles: list[ResolvedProfile], file_name: str, preview: list[list[str]], rows: list[int]
) -> tuple[Match | None, list[Match]]:
    """The best complete match, and the near misses (to explain a failure)."""
    matches = [m for p in profiles if (m := match(p, preview, rows)) is not None]

    def rank(m: Match) -> tuple[int, int, int, int]:
        by_glob = any(fnmatch.fnmatch(file_name, g) for g in m.profile.files)
        return (
            int(m.complete),
            int(by_glob),
            m.matched_headers,
            int(m.profile.origin == "workspace"),
        )

    matches.sort(key=rank, reverse=True)
    complete = [m for m in matches if m.complete]
    return (complete[0] if complete else None), matches


def no_match_error(
    file: str,
    preview: list[list[str]],
    near: list[Match],
    wanted: ResolvedProfile | None,
    sheets: list[str] | None = None,
    sheet: str | None = None,
) -> InputError:
    seen = next((r for r in preview if any(c for c in r)), [])
    shown = ", ".join(c for c in seen[:12] if c) or "(nothing)"
    where = f" (sheet {sheet})" if sheet and sheets and len(sheets) > 1 else ""
    if wanted is not None:
        msg = (
            f"{file}{where}: header row not found for profile {wanted.name}; headers seen: {shown}"
        )
    else:
        msg = f"{file}{where}: no profile matches the headers; headers seen: {shown}"

    def expected(p: ResolvedProfile, fields: list[str]) -> str:
        out: dict[str, str] = {}
        for q in fields:
            name = q.split(".", 1)[1]
            out.setdefault(name, f"{name} ({' / '.join(p.columns.get(q, ['?'])[:3])})")
        return ", ".join(out.values())

    lines = [
        f"{m.profile.name} matched {m.matched_headers} headers but is missing: "
        f"{expected(m.profile, m.missing)}"
        for m in near[:3]
    ]
    if wanted is not None and not lines:
        lines = [f"{wanted.name} expects: {expected(wanted, required_fields(wanted))}"]
    other = [s for s in (sheets or []) if s != sheet]
    sheet_hint = (
        f" The workbook has other sheets ({', '.join(other)}): if the data is there, set "
        f'sheet = "{other[0]}" in the profile.'
        if other
        else ""
    )
    if lines:
        hint = (
            f"Closest: {'; '.join(lines)}. Map the missing headers in ordertrack.toml "
            "(`ordertrack profile suggest FILE` prints a profile to start from)." + sheet_hint
        )
    else:
        hint = (
            "No profile recognised any header. `ordertrack profile suggest FILE` prints a "
            "profile to start from." + sheet_hint
        )
    return InputError(msg, hint=hint)


# -- suggest -----------------------------------------------------------------------------


def _alias_index() -> dict[str, list[tuple[str, str]]]:
    """header key → [(entity, field)] from every preset and the field names themselves."""
    index: dict[str, list[tuple[str, str]]] = {}
    for preset in PRESETS.values():
        ents = preset["entity"]
        for key, spec in preset["columns"].items():
            for q in qualify(key, ents):
                e, f = q.split(".", 1)
                for h in [spec] if isinstance(spec, str) else spec:
                    lst = index.setdefault(header_key(h), [])
                    if (e, f) not in lst:
                        lst.append((e, f))
    for e, ent in ENTITIES.items():
        for fld in ent.fields:
            lst = index.setdefault(header_key(fld.name), [])
            if (e, fld.name) not in lst:
                lst.append((e, fld.name))
    return index


@dataclass
class Suggestion:
    name: str
    entities: list[str]
    header_row: int
    columns: dict[str, str]  # field (qualified when needed) → header
    unmapped: list[str]
    missing: list[str]
    sheet: str | None
    encoding: str | None
    files: str | None = None  # the glob for the file it was drafted from

    def toml(self) -> str:
        lines = [f"[profiles.{self.name}]"]
        ents = self.entities
        lines.append(
            "entity = "
            + (f'"{ents[0]}"' if len(ents) == 1 else "[" + ", ".join(f'"{e}"' for e in ents) + "]")
        )
        files = self.files or f"{self.name}*"
        lines.append(f'files = ["{files}"]    # file names that pick this profile')
        if self.sheet:
            lines.append(f'sheet = "{self.sheet}"')
        if self.header_row != 1:
            lines.append(f"header_row = {self.header_row}")
        if self.encoding and self.encoding not in ("utf-8", "utf-8-sig"):
            lines.append(f'encoding = "{self.encoding}"')
        lines.append("")
        lines.append(f"[profiles.{self.name}.columns]")
        for f, h in self.columns.items():
            key = f if "." not in f else f'"{f}"'
            lines.append(f'{key} = "{h}"')
        for q in self.missing:
            lines.append(f'# {q} = "?"    # required: no header looked like it')
        if self.unmapped:
            lines.append("# not mapped (kept in attrs): " + ", ".join(self.unmapped))
        return "\n".join(lines) + "\n"


def suggest(
    name: str,
    preview: list[list[str]],
    rows: list[int],
    sheet: str | None,
    encoding: str | None,
    file_name: str | None = None,
) -> Suggestion:
    index = _alias_index()
    best_i, best_hits = 0, -1
    for i, cells in enumerate(preview):
        hits = sum(1 for c in cells if header_key(c) in index)
        if hits > best_hits:
            best_i, best_hits = i, hits
    cells = preview[best_i] if preview else []
    votes: dict[str, int] = {}
    for c in cells:
        for e, _ in index.get(header_key(c), []):
            votes[e] = votes.get(e, 0) + 1
    if not votes:
        raise InputError(
            f"{file_name or name}: no header looks like a known field",
            hint="Write the profile by hand; docs/importing.md lists the fields of each entity.",
        )
    top = max(votes.values())
    entities = [e for e in ENTITIES if votes.get(e, 0) == top][:1]
    # a line-level export: order fields and line fields together
    if (
        "order_lines" in votes
        and "orders" in votes
        and votes["orders"] >= 3
        and votes["order_lines"] >= 3
    ):
        entities = ["orders", "order_lines"]
    columns: dict[str, str] = {}
    unmapped: list[str] = []
    for c in cells:
        if not c:
            continue
        targets = [(e, f) for e, f in index.get(header_key(c), []) if e in entities]
        placed = False
        for e, f in targets:
            if f not in columns and f"{e}.{f}" not in columns:
                # qualify when the field exists in several chosen entities with other headers
                shared = sum(1 for x in entities if f in ENTITIES[x].field_names) > 1
                if shared and f == "amount" and len(entities) > 1:
                    # in a line-level export the amount column is the line's
                    whole = any(w in c for w in ("整单", "订单金额", "合计金额"))
                    e = "orders" if whole else "order_lines"
                columns[f"{e}.{f}" if shared and f != "order_id" else f] = c
                placed = True
                break
        if not placed:
            unmapped.append(c)
    p_missing = []
    for e in entities:
        for fld in ENTITIES[e].fields:
            if fld.required and fld.name not in columns and f"{e}.{fld.name}" not in columns:
                p_missing.append(f"{e}.{fld.name}" if len(entities) > 1 else fld.name)
    return Suggestion(
        name=name,
        entities=entities,
        header_row=rows[best_i] if rows else 1,
        columns=columns,
        unmapped=unmapped,
        missing=p_missing,
        sheet=sheet,
        encoding=encoding,
        files=file_glob(file_name) if file_name else None,
    )


def file_glob(file_name: str) -> str:
    """A glob for the next exports of ``file_name``: its stem without the date or number
    it ends in (``U8销售订单列表_0701.csv`` → ``U8销售订单列表_*``)."""
    import re
    from pathlib import PurePath

    stem = PurePath(file_name).stem
    base = re.sub(r"[\d._\-\s]*\d[\dQqWw._\-\s]*$", "", stem)
    if base == stem or not base.strip("_- "):
        return f"{stem}*"
    return f"{stem[: len(base) + (1 if stem[len(base) : len(base) + 1] in '_- ' else 0)]}*"
