"""Digest rendering: subject, mail-safe HTML, plain text and chat Markdown."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ordertrack.alerts.digest import (
    Digest,
    DigestItem,
    DigestSection,
    render_digest,
    render_markdown,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 6, 30, 14, 0, tzinfo=SHANGHAI)
NASTY = '<b>&"x"'


def item(alert_id: int, severity: str = "warning", **changes: Any) -> DigestItem:
    base = DigestItem(
        alert_id=alert_id,
        rule_id="ship_date_reached",
        rule_title="计划发货日已到，仍未发货",
        severity=severity,
        order_id=f"SO-{1000 + alert_id}",
        sku=None,
        customer="上海精工机械",
        sales_rep="张伟",
        stage="仓库配货",
        amount=Decimal("1234567.5"),
        promised_date=date(2026, 7, 1),
        planned_ship_date=date(2026, 6, 29),
        fired_at=datetime(2026, 6, 30, 6, 0, tzinfo=UTC),  # 14:00 in Shanghai
        resolved_at=None,
        escalation_level=0,
    )
    return replace(base, **changes)


def mixed(lang: str = "zh", workspace: str = "华东精密") -> Digest:
    return Digest(
        recipient="张伟",
        workspace=workspace,
        as_of=AS_OF,
        lang=lang,
        sections=(
            DigestSection(
                "new",
                (item(1, "critical", customer=NASTY), item(2, sku="A-100", amount=9876543.219)),
                5,
            ),
            DigestSection("escalated", (item(3, "critical", escalation_level=2),), 1),
            DigestSection("firing", (item(4, "info", amount=None),), 2),
            DigestSection(
                "resolved",
                (item(5, resolved_at=datetime(2026, 6, 30, 5, 30, tzinfo=UTC)),),
                4,
            ),
        ),
    )


# --------------------------------------------------------------------------- subject


def test_subject_zh_counts_totals_and_puts_critical_first() -> None:
    subject, _, _ = render_digest(mixed("zh"))
    assert subject == (
        "[华东精密] 订单预警（2 条严重）：5 条新预警，1 条升级，2 条持续中，4 条已恢复"
    )


def test_subject_en() -> None:
    subject, _, _ = render_digest(mixed("en", workspace="Acme"))
    assert subject == (
        "[Acme] Order alerts (2 critical): 5 new, 1 escalated, 2 still firing, 4 resolved"
    )


def test_subject_without_critical_and_resolved_criticals_do_not_count() -> None:
    d = Digest(
        "sales director",
        "Acme",
        AS_OF,
        "en",
        (
            DigestSection("new", (item(1), item(2)), 3),
            DigestSection("resolved", (item(3, "critical"),), 2),
        ),
    )
    assert render_digest(d)[0] == "[Acme] Order alerts: 3 new, 2 resolved"
    zh = replace(d, lang="zh", workspace="华东精密")
    assert render_digest(zh)[0] == "[华东精密] 订单预警：3 条新预警，2 条已恢复"


def test_empty_digest_still_renders() -> None:
    subject, html, text = render_digest(Digest("张伟", "华东精密", AS_OF, "zh", ()))
    assert subject == "[华东精密] 订单预警：无变化"
    assert "没有需要报告的预警。" in html
    assert "没有需要报告的预警。" in text


# --------------------------------------------------------------------------- HTML


class _Tags(HTMLParser):
    """Collects start tags and their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def test_html_is_a_mail_safe_document() -> None:
    _, html, _ = render_digest(mixed())
    assert html.startswith("<!DOCTYPE html>")
    assert html.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in html
    tags = parse(html).tags
    names = {name for name, _ in tags}
    assert names.isdisjoint({"script", "style", "link", "img", "iframe", "object", "form"})
    assert not re.search(r"https?://", html)
    assert all(not k.startswith("on") and k not in ("src", "href") for _, a in tags for k in a)
    # Inline styles: every cell, heading and badge carries its own.
    styled = [(n, a) for n, a in tags if n in ("td", "th", "h1", "h2", "span", "p", "table")]
    assert styled
    assert all(a.get("style") for _, a in styled)
    assert "<style" not in html.lower()


def test_html_rows_show_every_column_with_a_coloured_badge() -> None:
    _, html, _ = render_digest(mixed("en"))
    tags = parse(html)
    badges = [a["style"] for n, a in tags.tags if n == "span"]
    assert badges
    assert all(s and "background:#" in s for s in badges)
    text = "".join(tags.text)
    for header in ("ID", "Severity", "Rule", "Order", "Customer", "SKU", "Stage", "Promised"):
        assert header in text
    for header in ("Planned ship", "Amount", "Fired at", "Level", "Resolved at"):
        assert header in text
    assert "2026-07-01" in text  # promised
    assert "2026-06-29" in text  # planned ship
    assert "Acknowledge: ordertrack alerts ack ID" in text
    assert "Snooze for a day: ordertrack alerts snooze ID --for 1d" in text


def test_sku_and_level_columns_only_when_some_row_has_them() -> None:
    d = Digest("x", "Acme", AS_OF, "en", (DigestSection("new", (item(1),), 1),))
    text = "".join(parse(render_digest(d)[1]).text)
    assert "SKU" not in text
    assert "Level" not in text
    assert "Resolved at" not in text


def test_html_escapes_user_text() -> None:
    _, html, text = render_digest(mixed())
    assert NASTY not in html
    assert "&lt;b&gt;&amp;&#34;x&#34;" in html
    assert NASTY in "".join(parse(html).text)  # and reads back as typed
    assert NASTY in text  # plain text is not HTML-escaped


def test_amounts_have_thousands_separators() -> None:
    _, html, text = render_digest(mixed())
    for out in (html, text):
        assert "1,234,567.50" in out
        assert "9,876,543.22" in out


def test_times_are_shown_in_the_as_of_time_zone() -> None:
    _, html, text = render_digest(mixed())
    for out in (html, text):
        assert "2026-06-30 14:00" in out  # fired 06:00 UTC
        assert "2026-06-30 13:30" in out  # resolved 05:30 UTC
        assert "06:00" not in out
    assert "截至 2026-06-30 14:00 (Asia/Shanghai)" in text

    in_utc = replace(mixed(), as_of=AS_OF.astimezone(UTC))
    _, html, text = render_digest(in_utc)
    assert "2026-06-30 06:00" in text
    assert "截至 2026-06-30 06:00 (UTC)" in text


def test_naive_fired_at_is_taken_as_local_and_naive_as_of_is_refused() -> None:
    d = Digest(
        "x",
        "Acme",
        AS_OF,
        "en",
        (DigestSection("new", (item(1, fired_at=datetime(2026, 6, 30, 9, 5)),), 1),),
    )
    assert "2026-06-30 09:05" in render_digest(d)[2]
    with pytest.raises(ValueError, match="aware"):
        render_digest(replace(d, as_of=datetime(2026, 6, 30, 14, 0)))


def test_and_n_more_when_the_section_was_truncated() -> None:
    _, html, text = render_digest(mixed("en"))
    for out in (html, text):
        assert "…and 3 more" in out  # new: 5 in all, 2 listed
        assert "…and 1 more" in out  # firing: 2 in all, 1 listed
        assert "…and 3 more" in out  # resolved: 4 in all, 1 listed
    assert text.count("ordertrack alerts list --open") == 2  # not for resolved alerts
    assert "…and 3 more — run <code" in html

    _, _, zh = render_digest(mixed("zh"))
    assert "…另有 3 条未列出，运行 `ordertrack alerts list --open` 查看全部" in zh


# --------------------------------------------------------------------------- text


def _display_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def test_text_has_every_order_and_no_html() -> None:
    d = mixed()
    _, _, text = render_digest(d)
    for section in d.sections:
        for i in section.items:
            assert i.order_id and i.order_id in text
    assert not re.search(r"</?(td|tr|table|p|br|span|code)\b", text)
    assert "&amp;" not in text


def test_text_values_line_up_under_chinese_labels() -> None:
    _, _, text = render_digest(mixed("zh"))
    detail = [line for line in text.splitlines() if line.startswith("    ")]
    assert detail
    # Each detail line is "    <label padded>  <value>": values start at one display column.
    starts = set()
    for line in detail:
        match = re.match(r"^ {4}\S+ +(\S.*)$", line)
        assert match, line
        starts.add(_display_width(line[: match.start(1)]))
    assert len(starts) == 1


def test_text_golden_en() -> None:
    d = Digest(
        "sales director",
        "Acme",
        AS_OF,
        "en",
        (
            DigestSection(
                "new",
                (
                    item(
                        17,
                        "critical",
                        rule_title="Planned ship date reached, not shipped",
                        sku="A-100",
                        customer="Shanghai Precision",
                        stage="Warehouse picking",
                    ),
                ),
                3,
            ),
        ),
    )
    _, _, text = render_digest(d)
    assert text == (
        "Order alerts · Acme\n"
        "To sales director · As of 2026-06-30 14:00 (Asia/Shanghai)\n"
        "\n"
        "New alerts (3)\n"
        "==============\n"
        "\n"
        "#17 [critical] Planned ship date reached, not shipped\n"
        "    Order         SO-1017\n"
        "    Customer      Shanghai Precision\n"
        "    SKU           A-100\n"
        "    Stage         Warehouse picking\n"
        "    Promised      2026-07-01\n"
        "    Planned ship  2026-06-29\n"
        "    Amount        1,234,567.50\n"
        "    Fired at      2026-06-30 14:00\n"
        "\n"
        "…and 2 more — run `ordertrack alerts list --open`\n"
        "\n"
        "-- \n"
        "Acknowledge: `ordertrack alerts ack ID`\n"
        "Snooze for a day: `ordertrack alerts snooze ID --for 1d`\n"
        "Sent automatically by ordertrack for Acme.\n"
    )


# --------------------------------------------------------------------------- Markdown


def test_markdown_zh() -> None:
    title, md = render_markdown(mixed("zh"))
    assert title == render_digest(mixed("zh"))[0]
    assert md.startswith("**华东精密** · 截至 2026-06-30 14:00\n\n### 新预警（5 条）\n")
    assert (
        '- **严重** · 计划发货日已到，仍未发货 · SO-1001 · ＜b＞&"x" · 承诺 2026-07-01 · #1\n' in md
    )
    assert "\n…另有 3 条\n" in md


def test_markdown_limit_truncates_each_section() -> None:
    items = tuple(item(i) for i in range(1, 8))
    d = Digest("ops", "Acme", AS_OF, "en", (DigestSection("firing", items, 9),))

    _, md = render_markdown(d, limit=3)

    bullets = [line for line in md.splitlines() if line.startswith("- ")]
    assert [b.split(" · ")[2] for b in bullets] == ["SO-1001", "SO-1002", "SO-1003"]
    assert md.rstrip().endswith("…and 6 more")
    _, full = render_markdown(d, limit=20)
    assert full.count("\n- ") == 7
    assert full.rstrip().endswith("…and 2 more")


def test_markdown_uses_only_the_common_subset() -> None:
    _, md = render_markdown(mixed("en"))
    for line in md.splitlines():
        assert line == "" or re.match(r"^(### |- \*\*|\*\*|…)", line), line
    assert "<" not in md
    assert ">" not in md
    assert "`" not in md
