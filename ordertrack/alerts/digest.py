"""Alert digests: one message per recipient listing what changed since the last sweep.

The rule engine decides *what* goes into a digest (which alerts, which sections, how many
per section) and builds a :class:`Digest`; this module only decides how it *looks*:

* :func:`render_digest` gives an e-mail's subject, HTML body and plain-text alternative;
* :func:`render_markdown` gives a short title and Markdown for chat robots.

Both are pure functions of the :class:`Digest` (no clock, no locale, no database), so the
same digest renders the same bytes on every machine and the tests can pin them exactly.

The HTML is written for mail clients, not browsers: Outlook (Word's renderer), Foxmail
and Gmail drop ``<style>`` blocks, scripts and external resources in various ways, so the
template uses tables and inline ``style`` attributes only. Labels come in Chinese and
English (``Digest.lang``); values (rule titles, customers, …) are shown as given and
escaped by jinja2's autoescape.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from typing import Any

from ordertrack.render import render

__all__ = ["Digest", "DigestItem", "DigestSection", "render_digest", "render_markdown"]

#: Section kinds in the order a digest lists them.
SECTION_KINDS = ("new", "escalated", "firing", "resolved")

#: Sections whose alerts are still open (the others have resolved).
_OPEN_KINDS = frozenset({"new", "escalated", "firing"})


@dataclass(frozen=True)
class DigestItem:
    """One alert as a digest row; every field is already a display value."""

    alert_id: int
    rule_id: str
    rule_title: str  # the rule's description (may be Chinese)
    severity: str  # "info" | "warning" | "critical"
    order_id: str | None
    sku: str | None
    customer: str | None
    sales_rep: str | None
    stage: str | None  # display name of the current stage
    amount: Decimal | float | None
    promised_date: date | None
    planned_ship_date: date | None
    fired_at: datetime | None
    resolved_at: datetime | None
    escalation_level: int  # 0 = not escalated


@dataclass(frozen=True)
class DigestSection:
    """Alerts of one kind; ``items`` is already truncated, ``total`` counts them all."""

    kind: str  # "new" | "escalated" | "firing" (still firing, re-notified) | "resolved"
    items: tuple[DigestItem, ...]
    total: int  # >= len(items)


@dataclass(frozen=True)
class Digest:
    """Everything one recipient is told after one sweep."""

    recipient: str  # display name, e.g. "张伟" or "sales director"
    workspace: str  # workspace (company) name, e.g. "华东精密"
    as_of: datetime  # aware: the sweep's "now"; times are shown in its time zone
    lang: str  # "zh" | "en": language of labels and subject
    sections: tuple[DigestSection, ...]  # non-empty sections, in SECTION_KINDS order


# --------------------------------------------------------------------------- labels

_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "订单预警",
        "to": "致 {recipient}",
        "as_of": "截至 {time}",
        "new": "新预警",
        "escalated": "已升级",
        "firing": "持续中",
        "resolved": "已恢复",
        "heading_count": "（{n} 条）",
        "critical": "严重",
        "warning": "警告",
        "info": "提示",
        "col_id": "编号",
        "col_severity": "级别",
        "col_rule": "规则",
        "col_order": "订单",
        "col_customer": "客户",
        "col_sku": "SKU",
        "col_stage": "阶段",
        "col_promised": "承诺交期",
        "col_planned": "计划发货",
        "col_amount": "金额",
        "col_fired": "触发时间",
        "col_resolved": "恢复时间",
        "col_level": "升级级别",
        "more_open": "…另有 {n} 条未列出，运行 `ordertrack alerts list --open` 查看全部",
        "more_resolved": "…另有 {n} 条未列出",
        "more_md": "…另有 {n} 条",
        "promised_md": "承诺 {date}",
        "footer_ack": "确认预警：`ordertrack alerts ack 编号`",
        "footer_snooze": "暂停提醒一天：`ordertrack alerts snooze 编号 --for 1d`",
        "footer_sent": "本邮件由 ordertrack 为 {workspace} 自动发送。",
        "nothing": "没有需要报告的预警。",
        # subject
        "subj_head": "[{workspace}] 订单预警",
        "subj_critical": "（{n} 条严重）",
        "subj_sep": "：",
        "subj_join": "，",
        "subj_new": "{n} 条新预警",
        "subj_escalated": "{n} 条升级",
        "subj_firing": "{n} 条持续中",
        "subj_resolved": "{n} 条已恢复",
        "subj_nothing": "无变化",
    },
    "en": {
        "title": "Order alerts",
        "to": "To {recipient}",
        "as_of": "As of {time}",
        "new": "New alerts",
        "escalated": "Escalated",
        "firing": "Still firing",
        "resolved": "Resolved",
        "heading_count": " ({n})",
        "critical": "critical",
        "warning": "warning",
        "info": "info",
        "col_id": "ID",
        "col_severity": "Severity",
        "col_rule": "Rule",
        "col_order": "Order",
        "col_customer": "Customer",
        "col_sku": "SKU",
        "col_stage": "Stage",
        "col_promised": "Promised",
        "col_planned": "Planned ship",
        "col_amount": "Amount",
        "col_fired": "Fired at",
        "col_resolved": "Resolved at",
        "col_level": "Level",
        "more_open": "…and {n} more — run `ordertrack alerts list --open`",
        "more_resolved": "…and {n} more",
        "more_md": "…and {n} more",
        "promised_md": "promised {date}",
        "footer_ack": "Acknowledge: `ordertrack alerts ack ID`",
        "footer_snooze": "Snooze for a day: `ordertrack alerts snooze ID --for 1d`",
        "footer_sent": "Sent automatically by ordertrack for {workspace}.",
        "nothing": "No alerts to report.",
        "subj_head": "[{workspace}] Order alerts",
        "subj_critical": " ({n} critical)",
        "subj_sep": ": ",
        "subj_join": ", ",
        "subj_new": "{n} new",
        "subj_escalated": "{n} escalated",
        "subj_firing": "{n} still firing",
        "subj_resolved": "{n} resolved",
        "subj_nothing": "no changes",
    },
}

#: Badge colours (background; text is white). Dark enough for white text to stay legible.
_SEVERITY_COLORS = {"critical": "#c62828", "warning": "#b45309", "info": "#1565c0"}
_UNKNOWN_COLOR = "#616161"

#: A coloured bar left of each section heading.
_SECTION_COLORS = {
    "new": "#1565c0",
    "escalated": "#c62828",
    "firing": "#b45309",
    "resolved": "#2e7d32",
}


def _labels(lang: str) -> Mapping[str, str]:
    """The label strings of ``lang``; an unknown language falls back to English (the
    configuration is validated elsewhere, and a readable digest beats no digest)."""
    return _LABELS.get(lang, _LABELS["en"])


# --------------------------------------------------------------------------- view model


@dataclass(frozen=True)
class _Column:
    key: str
    label: str
    numeric: bool = False


@dataclass(frozen=True)
class _Row:
    alert_id: str
    severity: str  # label in the digest's language
    color: str  # badge background
    cells: dict[str, str]


@dataclass(frozen=True)
class _Section:
    kind: str
    heading: str  # label plus count, e.g. "新预警（3 条）"
    color: str
    columns: tuple[_Column, ...]
    rows: tuple[_Row, ...]
    more: str | None  # "…and N more" line, or None


def _zone(as_of: datetime) -> tzinfo:
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("Digest.as_of must be an aware datetime (it sets the time zone shown)")
    return as_of.tzinfo


def _zone_name(as_of: datetime) -> str:
    """ "Asia/Shanghai" for a ZoneInfo, else the zone's own name ("UTC", "UTC+08:00")."""
    key = getattr(as_of.tzinfo, "key", None)
    if isinstance(key, str):
        return key
    return as_of.tzname() or as_of.strftime("%z")


def _time(value: datetime | None, zone: tzinfo) -> str:
    """``YYYY-MM-DD HH:MM`` in ``zone``; a naive time is taken as already in ``zone`` (the
    convention of ``ordertrack.clock.now`` for a pinned clock)."""
    if value is None:
        return ""
    value = value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
    return value.strftime("%Y-%m-%d %H:%M")


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _amount(value: Decimal | float | None) -> str:
    """Thousands separators and two decimals: ``1,234,567.50``."""
    if value is None:
        return ""
    return f"{value:,.2f}"


def _sections(d: Digest) -> tuple[_Section, ...]:
    labels = _labels(d.lang)
    zone = _zone(d.as_of)
    out = []
    for section in d.sections:
        items = section.items
        keys = ["id", "severity", "rule", "order", "customer"]
        if any(i.sku for i in items):
            keys.append("sku")
        keys += ["stage", "promised", "planned", "amount", "fired"]
        if section.kind == "resolved" and any(i.resolved_at for i in items):
            keys.append("resolved")
        if any(i.escalation_level > 0 for i in items):
            keys.append("level")
        columns = tuple(_Column(k, labels[f"col_{k}"], numeric=k in ("amount", "id")) for k in keys)
        rows = tuple(
            _Row(
                alert_id=str(i.alert_id),
                severity=labels.get(i.severity, i.severity),
                color=_SEVERITY_COLORS.get(i.severity, _UNKNOWN_COLOR),
                cells={
                    "id": str(i.alert_id),
                    "severity": labels.get(i.severity, i.severity),
                    "rule": i.rule_title,
                    "order": i.order_id or "",
                    "customer": i.customer or "",
                    "sku": i.sku or "",
                    "stage": i.stage or "",
                    "promised": _day(i.promised_date),
                    "planned": _day(i.planned_ship_date),
                    "amount": _amount(i.amount),
                    "fired": _time(i.fired_at, zone),
                    "resolved": _time(i.resolved_at, zone),
                    "level": str(i.escalation_level) if i.escalation_level > 0 else "",
                },
            )
            for i in items
        )
        hidden = section.total - len(items)
        more = None
        if hidden > 0:
            key = "more_open" if section.kind in _OPEN_KINDS else "more_resolved"
            more = labels[key].format(n=hidden)
        out.append(
            _Section(
                kind=section.kind,
                heading=labels.get(section.kind, section.kind)
                + labels["heading_count"].format(n=section.total),
                color=_SECTION_COLORS.get(section.kind, _UNKNOWN_COLOR),
                columns=columns,
                rows=rows,
                more=more,
            )
        )
    return tuple(out)


def _one_line(text: str) -> str:
    """Header values and Markdown bullets must stay on one line."""
    return " ".join(text.split())


def _subject(d: Digest) -> str:
    labels = _labels(d.lang)
    head = labels["subj_head"].format(workspace=_one_line(d.workspace))
    critical = sum(
        1 for s in d.sections if s.kind in _OPEN_KINDS for i in s.items if i.severity == "critical"
    )
    if critical:
        # Before the counts, so an inbox that cuts long subjects still shows it.
        head += labels["subj_critical"].format(n=critical)
    parts = [
        labels[f"subj_{s.kind}"].format(n=s.total)
        for s in d.sections
        if f"subj_{s.kind}" in labels and s.total > 0
    ]
    return head + labels["subj_sep"] + (labels["subj_join"].join(parts) or labels["subj_nothing"])


# --------------------------------------------------------------------------- text layout


def _width(text: str) -> int:
    """Columns ``text`` takes in a fixed-width font: CJK (wide / full-width) count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    """``text`` left-justified to ``width`` display columns (``str.ljust`` counts CJK as one)."""
    return text + " " * max(0, width - _width(text))


@cache
def _text_env() -> Any:
    """A jinja2 environment for the plain-text template.

    ``ordertrack.render`` has one environment for HTML (autoescape on); plain text must not
    be HTML-escaped, so this one has the same strictness with autoescape off.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ordertrack", "templates/text"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pad"] = _pad
    env.filters["width"] = _width
    return env


# --------------------------------------------------------------------------- public API


def render_digest(d: Digest) -> tuple[str, str, str]:
    """``(subject, html, text)`` of the digest e-mail.

    The subject counts each section's ``total`` (e.g. ``[华东精密] 订单预警：3 条新预警，1 条
    升级，2 条已恢复``); when open alerts listed are critical, their number comes right after
    the prefix (``[Acme] Order alerts (2 critical): 3 new, …``). The HTML is a complete
    document with inline styles only; the text part carries the same content.
    """
    labels = _labels(d.lang)
    sections = _sections(d)
    context = {
        "lang": "zh-CN" if d.lang == "zh" else "en",
        "title": labels["title"],
        "workspace": d.workspace,
        "to": labels["to"].format(recipient=d.recipient),
        "as_of": labels["as_of"].format(
            time=f"{d.as_of.strftime('%Y-%m-%d %H:%M')} ({_zone_name(d.as_of)})"
        ),
        "sections": sections,
        "nothing": labels["nothing"],
        "footer": [
            labels["footer_ack"],
            labels["footer_snooze"],
            labels["footer_sent"].format(workspace=d.workspace),
        ],
    }
    html = render("digest.html", **context)
    label_width = max(
        (
            _width(c.label)
            for s in sections
            for c in s.columns
            if c.key not in ("id", "severity", "rule")
        ),
        default=0,
    )
    text = _text_env().get_template("digest.txt").render(label_width=label_width, **context)
    return _subject(d), html, text


def _md_safe(text: str) -> str:
    """A value made harmless inside a Markdown bullet.

    The robots' Markdown also reads some HTML-like tags (Feishu ``<at id=all>`` mentions
    everyone, ``<font>`` colours text), so ``<`` and ``>`` become their full-width forms,
    and line breaks would end the bullet, so they become spaces.
    """
    return _one_line(text).replace("<", "＜").replace(">", "＞")


def render_markdown(d: Digest, limit: int = 20) -> tuple[str, str]:
    """``(title, markdown)`` for a chat robot: per section a ``###`` heading and at most
    ``limit`` bullets ``severity · rule · order · customer · promised date``, then
    "…and N more" when the section holds more.

    Only what DingTalk, WeCom and Feishu Markdown all render is used: ``###`` headings,
    ``**bold**``, ``-`` bullets and line breaks (blocks are separated by blank lines, which
    DingTalk needs to start a new paragraph). The title is the e-mail subject.
    """
    labels = _labels(d.lang)
    zone = _zone(d.as_of)
    as_of = d.as_of.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    blocks = [f"**{_md_safe(d.workspace)}** · {labels['as_of'].format(time=as_of)}"]
    if not d.sections:
        blocks.append(labels["nothing"])
    for section in d.sections:
        heading = labels.get(section.kind, section.kind) + labels["heading_count"].format(
            n=section.total
        )
        lines = [f"### {_md_safe(heading)}"]
        shown = section.items[: max(0, limit)]
        for item in shown:
            fields = [
                f"**{_md_safe(labels.get(item.severity, item.severity))}**",
                _md_safe(item.rule_title),
                _md_safe(item.order_id or ""),
                _md_safe(item.customer or ""),
                labels["promised_md"].format(date=_day(item.promised_date))
                if item.promised_date
                else "",
                f"#{item.alert_id}",
            ]
            lines.append("- " + " · ".join(f for f in fields if f))
        blocks.append("\n".join(lines))
        hidden = section.total - len(shown)
        if hidden > 0:
            blocks.append(labels["more_md"].format(n=hidden))
    return _subject(d), "\n\n".join(blocks) + "\n"
