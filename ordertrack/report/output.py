"""A report as one self-contained HTML file, an XLSX workbook, or an e-mail.

The HTML has inline CSS only (it is also the body of the e-mail, and mail clients drop
``<style>`` blocks), a table layout 760 px wide that prints on A4, no JavaScript, and the
charts embedded: as ``data:`` URIs in the file, as ``cid:`` references to related image
parts in the e-mail. Every value is escaped by the template engine: customer names, SKUs
and notes come from spreadsheets.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ordertrack.report.charts import Chart
    from ordertrack.report.packs import Report, Section, Tile

__all__ = ["render_html", "render_text", "write_xlsx"]

_LABELS = {
    "en": {
        "period": "Period",
        "compared": "compared with",
        "generated": "generated",
        "for": "For:",
        "headline": "Headline figures",
        "before": "previous period:",
        "bottleneck": "Bottleneck",
        "nothing": "Nothing in this period.",
        "definitions": "How each figure is computed",
        "footer": "figures from the order center's database; definitions in docs/kpis.md",
        "no_change": "no change",
        "no_compare": "no comparison",
    },
    "zh": {
        "period": "统计期间",
        "compared": "对比",
        "generated": "生成于",
        "for": "读者:",
        "headline": "核心指标",
        "before": "上期:",
        "bottleneck": "瓶颈环节",
        "nothing": "本期无数据。",
        "definitions": "指标口径",
        "footer": "数据来自订单中心数据库;指标定义见 docs/kpis.md",
        "no_change": "持平",
        "no_compare": "无对比",
    },
}

_UNIT_SUFFIX = {
    "en": {"%": "%", "h": " h", "d": " days", "CNY": "", "count": "", "ratio": "", "score": ""},
    "zh": {"%": "%", "h": " 小时", "d": " 天", "CNY": "", "count": "", "ratio": "", "score": ""},
}


#: Table headers in each language (the tables' SQL column names; others are shown as is).
_HEADERS: dict[str, tuple[str, str]] = {
    "stage": ("Stage", "环节"),
    "name": ("Name", "名称"),
    "owner_role": ("Owner", "负责角色"),
    "sla_hours": ("SLA (h)", "时限(小时)"),
    "n": ("Stays", "次数"),
    "stays": ("Stays", "停留次数"),
    "median_hours": ("Median (h)", "中位(小时)"),
    "p90_hours": ("P90 (h)", "P90(小时)"),
    "median_business_hours": ("Median, business (h)", "中位工作小时"),
    "sla_ratio": ("Median ÷ SLA", "中位 ÷ 时限"),
    "breaches": ("Over SLA", "超时次数"),
    "breach_share": ("Over SLA (%)", "超时占比(%)"),
    "median_excess_hours": ("Median excess (h)", "超出中位(小时)"),
    "orders": ("Orders", "订单数"),
    "on_hold": ("On hold", "暂停"),
    "customer": ("Customer", "客户"),
    "sales_rep": ("Sales rep", "业务员"),
    "due": ("Due", "到期"),
    "late": ("Late", "延迟"),
    "late_share": ("Late (%)", "延迟占比(%)"),
    "order_id": ("Order", "订单号"),
    "promised_date": ("Promised", "承诺交期"),
    "projected_delivery_date": ("Projected delivery", "预计交付"),
    "days_late_projected": ("Days late (projected)", "预计延迟(天)"),
    "sku": ("SKU", "物料"),
    "short_lines": ("Short lines", "缺货行数"),
    "shortage_qty": ("Quantity short", "缺货数量"),
    "available": ("Available", "可用库存"),
    "open_demand": ("Open demand", "未结需求"),
    "logged_at": ("When", "时间"),
    "actor": ("Who", "操作人"),
    "command": ("Command", "命令"),
    "args": ("Details", "明细"),
}


def header(column: str, lang: str) -> str:
    names = _HEADERS.get(column)
    return column if names is None else names[1 if lang == "zh" else 0]


def format_value(value: Any, unit: str, lang: str) -> str:
    """A KPI value for people: 76.9%, 8.0 days, ¥10,637.50, 1,204."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    number = float(value) if isinstance(value, Decimal | int | float) else None
    if number is None:
        return str(value)
    suffix = _UNIT_SUFFIX["zh" if lang == "zh" else "en"].get(unit, "")
    if unit == "CNY":
        return f"¥{number:,.2f}"
    if unit == "count":
        return f"{number:,.0f}"
    if unit == "ratio":
        return f"{number:,.2f}"
    return f"{number:,.1f}{suffix}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | Decimal):
        return f"{float(value):,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _tile_view(tile: Tile, lang: str) -> dict[str, Any]:
    t = _LABELS[lang]
    if tile.delta is None:
        arrow, delta, color = "", t["no_compare"], "#7b8794"
    elif tile.delta == 0:
        arrow, delta, color = "→", t["no_change"], "#7b8794"
    else:
        arrow = "▲" if tile.delta > 0 else "▼"
        unit = "pp" if tile.unit == "%" else tile.unit
        sign = "+" if tile.delta > 0 else "−"
        delta = (
            f"{sign}{format_value(abs(tile.delta), 'ratio' if unit == 'pp' else tile.unit, lang)}"
        )
        delta += " pp" if unit == "pp" else ""
        color = "#7b8794" if tile.good is None else ("#1a7f37" if tile.good else "#b42318")
    return {
        "name": tile.name,
        "value_text": format_value(tile.value, tile.unit, lang),
        "previous_text": format_value(tile.previous, tile.unit, lang),
        "arrow": arrow,
        "delta_text": delta,
        "color": color,
        "note": tile.note,
    }


def _shown_columns(s: Section) -> list[str]:
    """The columns a reader sees: a stage's name, not also its id (the XLSX keeps both)."""
    if "name" in s.columns:
        return [c for c in s.columns if c != "stage"]
    return list(s.columns)


def _header(s: Section, column: str, lang: str) -> str:
    """A column's header; a stage's name is headed "Stage" (its id is not shown)."""
    return header("stage" if column == "name" and "stage" in s.columns else column, lang)


def _section_view(s: Section, src: dict[int, str], lang: str) -> dict[str, Any]:
    columns = _shown_columns(s)
    numeric = {
        c
        for c in columns
        if any(
            isinstance(r.get(c), int | float | Decimal) and not isinstance(r.get(c), bool)
            for r in s.rows
        )
    }
    return {
        "name": s.name,
        "headline": s.headline,
        "note": s.note,
        "columns": columns,
        "headers": [_header(s, c, lang) for c in columns],
        "numeric": numeric,
        "rows": [{c: _cell(r.get(c)) for c in columns} for r in s.rows],
        "chart": _chart_view(s.chart, src) if s.chart is not None else None,
    }


def _chart_view(chart: Chart, src: dict[int, str]) -> dict[str, Any]:
    return {"src": src[id(chart)], "width": chart.width_px, "alt": chart.alt}


def render_html(report: Report, *, cid: bool = False) -> tuple[str, dict[str, Chart]]:
    """The report as HTML, and the charts by Content-ID when ``cid`` (for e-mail)."""
    from ordertrack.render import render

    lang = "zh" if report.lang == "zh" else "en"
    src: dict[int, str] = {}
    by_cid: dict[str, Chart] = {}
    for i, chart in enumerate(report.charts(), start=1):
        if cid:
            name = f"chart{i}@ordertrack"
            by_cid[name] = chart
            src[id(chart)] = f"cid:{name}"
        else:
            src[id(chart)] = chart.data_uri()
    tiles = [_tile_view(t, lang) for t in report.tiles]
    definitions = [{"name": t.name, "formula": t.formula} for t in report.tiles]
    definitions += [{"name": s.name, "formula": s.formula} for s in report.sections]
    html = render(
        "report.html",
        lang=lang,
        t=_LABELS[lang],
        workspace=report.workspace,
        title=report.title,
        audience=report.pack.audience_for(lang),
        period_label=report.period.label_for(lang),
        previous_label=report.previous.label_for(lang),
        generated=report.generated_at.strftime("%Y-%m-%d %H:%M"),
        warnings=report.warnings,
        tile_rows=[tiles[i : i + 3] for i in range(0, len(tiles), 3)],
        trends=[_chart_view(c, src) for c in report.trends],
        sections=[_section_view(s, src, lang) for s in report.sections],
        definitions=definitions,
    )
    return html, by_cid


def render_text(report: Report) -> str:
    """The e-mail's text alternative: the headline figures and the tables' first rows."""
    lang = "zh" if report.lang == "zh" else "en"
    t = _LABELS[lang]
    out = [
        f"{report.workspace} · {report.title}",
        f"{t['period']}: {report.period.label_for(lang)} ({t['compared']} {report.previous.label_for(lang)})",
        "",
    ]
    for tile in report.tiles:
        v = _tile_view(tile, lang)
        out.append(f"- {tile.name}: {v['value_text']}  {v['arrow']} {v['delta_text']}".rstrip())
    for s in report.sections:
        out += ["", s.name + (f" — {t['bottleneck']}: {s.headline}" if s.headline else "")]
        columns = _shown_columns(s)
        if not s.rows:
            out.append("  " + (s.note or t["nothing"]))
            continue
        out.append("  " + " | ".join(_header(s, c, lang) for c in columns))
        for r in s.rows[:10]:
            out.append("  " + " | ".join(_cell(r.get(c)) for c in columns))
        if len(s.rows) > 10:
            out.append(f"  … {len(s.rows) - 10:,}" + (" more" if lang == "en" else " 行未列出"))
    for w in report.warnings:
        out += ["", w]
    return "\n".join(out) + "\n"


def write_xlsx(report: Report, path: Path) -> Path:
    """One sheet of headline figures and one per table KPI, with typed cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lang = "zh" if report.lang == "zh" else "en"
    wb = Workbook()
    ws = wb.active
    ws.title = "KPIs" if lang == "en" else "核心指标"
    head = [
        "kpi",
        "name",
        "unit",
        report.period.label_for(lang),
        report.previous.label_for(lang),
        "change",
        "note",
    ]
    ws.append(head)
    for c in ws[1]:
        c.font = Font(bold=True)
    for tile in report.tiles:
        _row(
            ws,
            [tile.kpi_id, tile.name, tile.unit, tile.value, tile.previous, tile.delta, tile.note],
        )
    for s in report.sections:
        sheet = wb.create_sheet(_sheet_name(s.kpi_id, wb.sheetnames))
        sheet.append([header(c, lang) for c in s.columns] or ["(nothing)"])
        for c in sheet[1]:
            c.font = Font(bold=True)
        for r in s.rows:
            _row(sheet, [r.get(c) for c in s.columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _row(sheet: Any, values: list[Any]) -> None:
    """Append a row with typed cells: numbers stay numbers (Decimal as float); a text that
    looks like a formula (a customer named "=HYPERLINK(…)") is stored as text, never run."""
    sheet.append([float(v) if isinstance(v, Decimal) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@"):
            cell.data_type = "s"


def _sheet_name(name: str, taken: list[str]) -> str:
    base = name[:31]
    out, n = base, 2
    while out in taken:
        out = f"{base[:28]}_{n}"
        n += 1
    return out
