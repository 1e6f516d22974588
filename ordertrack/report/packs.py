"""Packs: which KPIs and charts one audience reads, and how a pack becomes a report.

A pack lists KPI ids (:data:`ordertrack.report.kpis.KPIS`). The report shows each scalar
KPI as a tile (value, the previous period's, the change with an arrow coloured by
whether up is good), each table KPI as a table, and draws the charts the pack's KPIs call
for: a trend over the last six periods for the headline rates, a ranking for per-stage
dwell (the bottleneck highlighted), for late orders per customer or rep and for the open
orders in each stage (work in progress, not a conversion funnel). Built-in packs: ``ceo``,
``sales``, ``production``; ``[packs.NAME]`` in ``ordertrack.toml`` adds or replaces one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ordertrack.errors import UserError

if TYPE_CHECKING:
    from ordertrack.report.charts import Chart
    from ordertrack.report.kpis import KpiSession, KpiValue
    from ordertrack.report.periods import Period
    from ordertrack.workspace import Workspace

__all__ = [
    "BUILTIN_PACKS",
    "PackDef",
    "Report",
    "Section",
    "Tile",
    "Written",
    "build_report",
    "list_packs",
    "pack_def",
    "write_report",
]


@dataclass(frozen=True)
class PackDef:
    """A pack: an audience and its KPIs (charts follow from the KPIs)."""

    id: str
    title_en: str
    title_zh: str
    audience: str
    kpis: tuple[str, ...]
    period: str = "week"  # the default period kind: week | month | quarter
    recipients: tuple[str, ...] = ()
    trends: tuple[str, ...] = ()  # KPIs drawn over the last six periods

    audience_zh: str | None = None

    def title_for(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def audience_for(self, lang: str) -> str:
        return self.audience_zh if lang == "zh" and self.audience_zh else self.audience


BUILTIN_PACKS: dict[str, PackDef] = {
    p.id: p
    for p in (
        PackDef(
            "ceo",
            "Order fulfilment — management summary",
            "订单履约 — 管理层摘要",
            "CEO / general manager",
            (
                "on_time_delivery",
                "order_cycle_time",
                "late_now",
                "at_risk",
                "exception_share",
                "automation_rate",
                "expedite_freight_cost",
                "inventory_turnover",
                "exception_effort",
                "nps",
                "complaint_rate",
                "flow_config_changes",
                "stage_dwell",
                "open_funnel",
            ),
            recipients=("ceo",),
            trends=("on_time_delivery", "order_cycle_time"),
            audience_zh="总经理",
        ),
        PackDef(
            "sales",
            "Sales — delivery to customers",
            "销售 — 客户交付",
            "sales director and reps",
            (
                "on_time_delivery",
                "late_now",
                "at_risk",
                "complaint_rate",
                "nps",
                "top_late_reps",
                "top_late_customers",
            ),
            recipients=("sales_director",),
            trends=("on_time_delivery",),
            audience_zh="销售总监与业务员",
        ),
        PackDef(
            "production",
            "Production — capacity and material",
            "生产 — 产能与物料",
            "production director, warehouse, purchasing",
            (
                "stage_dwell",
                "sla_breaches",
                "inventory_turnover",
                "expedite_freight_cost",
                "exception_effort",
                "stock_shortages",
                "open_funnel",
            ),
            recipients=("director",),
            trends=("inventory_turnover",),
            audience_zh="生产总监、仓库、采购",
        ),
    )
}


def pack_def(ws: Workspace, pack_id: str) -> PackDef:
    """A pack by id: ``[packs.ID]`` in the configuration, else a built-in one."""
    packs = all_packs(ws)
    if pack_id not in packs:
        from ordertrack.config import _closest

        hint = _closest(pack_id, list(packs))
        raise UserError(
            f'unknown pack "{pack_id}"' + (f'; did you mean "{hint}"?' if hint else ""),
            hint=f"Packs: {', '.join(packs)} (`ordertrack report list`).",
        )
    return packs[pack_id]


def all_packs(ws: Workspace) -> dict[str, PackDef]:
    packs = dict(BUILTIN_PACKS)
    for pid, p in ws.config.packs.items():
        packs[pid] = PackDef(
            pid,
            p.title or pid,
            p.title or pid,
            p.audience or "",
            tuple(p.kpis),
            period=p.period,
            recipients=tuple(p.recipients),
            trends=tuple(p.trends),
        )
    return packs


# -- the report ---------------------------------------------------------------------------------


@dataclass
class Tile:
    """A scalar KPI: this period, the previous one, and whether the change is good."""

    kpi_id: str
    name: str
    unit: str
    value: Any
    previous: Any
    delta: float | None
    good: bool | None  # None: neither direction is better, or no comparison
    note: str | None
    formula: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Section:
    """A table KPI (rows), with the chart drawn from it if any."""

    kpi_id: str
    name: str
    formula: str
    columns: list[str]
    rows: list[dict[str, Any]]
    note: str | None
    chart: Chart | None = None
    headline: str | None = None  # e.g. the bottleneck stage


@dataclass
class Report:
    """Everything a pack shows for one period: ready for HTML, XLSX and e-mail."""

    pack: PackDef
    workspace: str
    lang: str
    period: Period
    previous: Period
    generated_at: datetime
    tiles: list[Tile] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    trends: list[Chart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.pack.title_for(self.lang)

    def charts(self) -> list[Chart]:
        return [*self.trends, *(s.chart for s in self.sections if s.chart is not None)]


def _delta(value: Any, before: Any) -> float | None:
    try:
        return None if value is None or before is None else float(value) - float(before)
    except (TypeError, ValueError):
        return None


def build_report(
    ws: Workspace,
    pack_id: str,
    period_text: str | None = None,
    *,
    charts: bool = True,
) -> Report:
    """Compute a pack's KPIs over a period (and the one before) and draw its charts."""
    from ordertrack.report.kpis import KPIS, KpiSession
    from ordertrack.report.periods import parse_period, previous

    pack = pack_def(ws, pack_id)
    unknown = [k for k in pack.kpis if k not in KPIS]
    if unknown:
        raise UserError(f'pack "{pack.id}": unknown KPI "{unknown[0]}"; known: {", ".join(KPIS)}')
    lang = ws.config.workspace.lang
    now = ws.now()
    period = parse_period(period_text, today=now.date(), default=pack.period)
    report = Report(pack, ws.config.workspace.name, lang, period, previous(period), now)
    with ws.connect(read_only=True) as store:
        from ordertrack.alerts.sweep import live_shadow

        snapshot = [k for k in pack.kpis if KPIS[k].snapshot]
        over_period = [k for k in pack.kpis if not KPIS[k].snapshot]
        trend_ids = [k for k in pack.trends if k in pack.kpis] if charts else []
        periods = _trend_periods(period)
        with KpiSession(store.con, ws.timezone, lang) as session:
            # every block once, over the report's periods and the trends' six
            needs = {k: [report.previous, period] for k in over_period}
            for tid in trend_ids:
                needs[tid] = periods
            session.prepare(needs)
            pairs = session.compare(over_period, period) if over_period else {}
            known = {kid: (pairs[kid][1].value, pairs[kid][0].value) for kid in pairs}
            trend_points = _trend_points(session, trend_ids, periods, lang, known)
        if snapshot:  # open orders now: over the live orders only (a fraction of them all)
            with live_shadow(store.con), KpiSession(store.con, ws.timezone, lang) as session:
                pairs.update(session.compare(snapshot, period))
        for kid in pack.kpis:
            cur, before = pairs[kid]
            k = cur.kpi
            if cur.rows is not None and isinstance(cur.value, int | float):
                # a table KPI with a number for headline: a tile too (e.g. orders at risk)
                report.tiles.append(_tile(cur, before, lang))
            if cur.rows is not None:  # a table KPI: a section, its headline above the table
                rows = cur.rows
                headline = None
                if kid == "stage_dwell" and cur.value is not None:
                    headline = str(cur.extra.get("name") or cur.value)
                report.sections.append(
                    Section(
                        kid,
                        k.name_for(lang),
                        k.formula_for(lang),
                        list(rows[0]) if rows else [],
                        rows,
                        cur.note,
                        headline=headline,
                    )
                )
                continue
            report.tiles.append(_tile(cur, before, lang))
    if charts:
        _draw(report, trend_points)
    return report


def _unit_label(unit: str, lang: str) -> str:
    """A unit as a chart shows it: 天 / 小时 in Chinese; nothing for counts."""
    if unit in ("count", "ratio", "score"):
        return ""
    if lang == "zh":
        return {"d": "天", "h": "小时", "CNY": "元"}.get(unit, unit)
    return {"d": "days", "CNY": "CNY"}.get(unit, unit)


def _tile(cur: KpiValue, before: KpiValue, lang: str) -> Tile:
    k = cur.kpi
    d = _delta(cur.value, before.value)
    good = None if d is None or k.better is None or d == 0 else (d > 0) == (k.better == "higher")
    return Tile(
        k.id,
        k.name_for(lang),
        k.unit,
        cur.value,
        before.value,
        d,
        good,
        cur.note,
        k.formula_for(lang),
        dict(cur.extra),
    )


def _trend_periods(period: Period) -> list[Period]:
    """The last six periods of ``period``'s kind, ending with it."""
    from ordertrack.report.periods import previous

    periods = [period]
    for _ in range(5):
        periods.insert(0, previous(periods[0]))
    return periods


def _trend_points(
    session: KpiSession,
    ids: list[str],
    periods: list[Period],
    lang: str,
    known: dict[str, tuple[Any, Any]],
) -> dict[str, list[tuple[str, Any]]]:
    """The trend KPIs over ``periods``: the last two are the report's own (``known``:
    previous, current), the four before one statement per KPI each."""
    points: dict[str, list[tuple[str, Any]]] = {k: [] for k in ids}
    last = len(periods) - 2
    for i, p in enumerate(periods):
        if i >= last and all(k in known for k in ids):
            values = {k: known[k][i - last] for k in ids}
        else:
            computed = session.compute(ids, p) if ids else {}
            values = {k: computed[k].value for k in ids}
        for kid in ids:
            points[kid].append((p.label_for(lang), values[kid]))
    return points


def _draw(report: Report, trend_points: dict[str, list[tuple[str, Any]]]) -> None:
    from ordertrack.report import charts
    from ordertrack.report.kpis import KPIS

    lang: charts.Lang = "zh" if report.lang == "zh" else "en"
    for kid, points in trend_points.items():
        k = KPIS[kid]
        report.trends.append(
            charts.trend(
                points,
                title=k.name_for(lang),
                y_label=k.name_for(lang),
                unit=_unit_label(k.unit, lang),
                lang=lang,
            )
        )
    for s in report.sections:
        if s.kpi_id == "stage_dwell" and s.rows:
            items = [
                (str(r.get("name") or r.get("stage")), float(r.get("median_hours") or 0))
                for r in s.rows
                if r.get("n")
            ]
            s.chart = charts.ranking(
                items,
                title=s.name,
                unit=_unit_label("h", lang),
                lang=lang,
                highlight=s.headline,
                in_order=True,  # the flow's order: where the bottleneck sits in it
                titled=False,  # the section's heading is the title
            )
        elif s.kpi_id in ("top_late_customers", "top_late_reps") and s.rows:
            key = next(iter(s.rows[0]))
            items = [(str(r.get(key)), float(r.get("late") or 0)) for r in s.rows]
            s.chart = charts.ranking(items, title=s.name, unit="", lang=lang, titled=False)
        elif s.kpi_id == "open_funnel" and s.rows:
            stages = [
                (str(r.get("name") or r.get("stage")), float(r.get("orders") or 0)) for r in s.rows
            ]
            s.chart = charts.ranking(
                stages, title=s.name, unit="", lang=lang, in_order=True, titled=False
            )
    report.warnings += sorted({c.warning for c in report.charts() if c.warning})


# -- what the commands call -------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """Files a `report build` wrote."""

    html: Path
    xlsx: Path | None
    report: Report


def write_report(
    ws: Workspace,
    pack_id: str,
    period_text: str | None = None,
    *,
    html: Path | None = None,
    xlsx: Path | None = None,
) -> Written:
    """Build a pack and write it: HTML (default ``out/<pack>.html``) and optionally XLSX."""
    from ordertrack.report.output import render_html, write_xlsx

    report = build_report(ws, pack_id, period_text)
    html = html if html is not None else ws.out_dir / f"{pack_id}.html"
    text, _ = render_html(report)
    html.parent.mkdir(parents=True, exist_ok=True)
    tmp = html.with_name(f".{html.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(html)
    if xlsx is not None:
        write_xlsx(report, xlsx)
    return Written(html, xlsx, report)


def list_packs(ws: Workspace) -> list[dict[str, Any]]:
    """Every pack: id, title, audience, KPIs, default period, recipients, where from."""
    lang = ws.config.workspace.lang
    return [
        {
            "pack": p.id,
            "title": p.title_for(lang),
            "audience": p.audience,
            "kpis": list(p.kpis),
            "period": p.period,
            "recipients": list(p.recipients),
            "from": "config" if p.id in ws.config.packs else "built in",
        }
        for p in all_packs(ws).values()
    ]
