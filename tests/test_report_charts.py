"""Charts: real matplotlib, real fonts, real PNG bytes.

Each chart kind must give a valid PNG of the announced size, the same bytes for the same
data (golden files and unchanged e-mails depend on it), an alt text that says what the
chart shows, and never an exception for empty data. Chinese must be drawn with a CJK
font when one is installed (Debian: ``fonts-noto-cjk``), and without one the chart still
renders and the caller gets the install hint.
"""

from __future__ import annotations

import base64
import struct
import subprocess
import textwrap
import warnings
from collections.abc import Callable
from decimal import Decimal

import pytest
from conftest import PYTHON, subprocess_env

from ordertrack.report import charts
from ordertrack.report.charts import Chart

MONTHS = [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]
TITLE_ZH = "订单准时交付率"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG signature and IHDR chunk (the first 24 bytes)."""
    signature, length, chunk, width, height = struct.unpack(">8sI4sII", png[:24])
    assert signature == b"\x89PNG\r\n\x1a\n"
    assert (length, chunk) == (13, b"IHDR")
    assert png.endswith(b"IEND\xaeB`\x82")
    return width, height


def otd_trend() -> Chart:
    return charts.trend(
        [(m, 90 + i * 0.5 if m != "2025-11" else None) for i, m in enumerate(MONTHS)],
        title=TITLE_ZH,
        y_label="准时交付率",
        unit="%",
        lang="zh",
        second=[(m, 1200 + 37 * i) for i, m in enumerate(MONTHS)],
        second_label="订单数",
    )


def top_customers() -> Chart:
    return charts.ranking(
        [
            ("北京朝阳贸易", 987_654.0),
            ("上海华东精密机械制造有限公司第二分公司", 1_234_567.8),
            ("Acme Industrial Supplies International Ltd.", 555_000.0),
            ("成都", 120_000.0),
        ],
        title="前十大客户",
        unit="元",
        lang="zh",
        highlight="北京朝阳贸易",
    )


def outcomes() -> Chart:
    return charts.share(
        [("on time", 8200), ("late", 900), ("in transit", 600), ("exception", 150),
         ("returned", 90), ("lost", 10)],
        title="Shipment outcomes",
        lang="en",
    )  # fmt: skip


def stage_funnel() -> Chart:
    return charts.funnel(
        [("下单", 10_000), ("业务审核", 9_600), ("已发货", 3_800), ("已回款", 1_500)],
        title="订单漏斗",
        lang="zh",
    )


KINDS: dict[str, Callable[[], Chart]] = {
    "trend": otd_trend,
    "ranking": top_customers,
    "share": outcomes,
    "funnel": stage_funnel,
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_chart_is_a_deterministic_png_of_the_announced_size(kind: str) -> None:
    first, again = KINDS[kind](), KINDS[kind]()

    assert png_size(first.png) == (first.width_px, first.height_px) == (720, 360)
    assert first.png == again.png
    assert b"Software" not in first.png and b"tIME" not in first.png
    assert first.alt and "\n" not in first.alt
    assert first == again


def test_alt_texts_say_what_each_chart_shows() -> None:
    assert otd_trend().alt == (
        "折线图：订单准时交付率，2025-07–2026-06，共 12 期；最新 95.5%，最低 90%，最高 95.5%；"
        "虚线为订单数（右轴）。"
    )
    # Largest first, whatever order the data came in; the full name in the alt text.
    assert top_customers().alt == (
        "条形图：前十大客户，共 4 项；前 3 名：上海华东精密机械制造有限公司第二分公司 "
        "1,234,568元、北京朝阳贸易 987,654元、Acme Industrial Supplies International Ltd. "
        "555,000元。"
    )
    # Of 9,950: exception 1.5 %, returned 0.9 %, lost 0.1 %: each under 3 %, merged into Other.
    assert outcomes().alt == (
        "Donut chart: Shipment outcomes; on time 82.4%, late 9.0%, in transit 6.0%, Other 2.5%."
    )
    assert stage_funnel().alt == (
        "漏斗图：订单漏斗；下单 10,000 → 业务审核 9,600 (96.0%) → 已发货 3,800 (38.0%) → "
        "已回款 1,500 (15.0%)。"
    )


def test_share_keeps_a_single_small_part_and_folds_the_datas_own_other() -> None:
    single = charts.share([("A", 98), ("B", 2)], title="t", lang="en")
    assert single.alt == "Donut chart: t; A 98.0%, B 2.0%."

    folded = charts.share(
        [("甲", 90), ("其他", 5), ("乙", 2), ("丙", 2), ("丁", 1), ("戊", 0), ("己", -3)],
        title="占比",
        lang="zh",
    )
    assert folded.alt == "环形图：占比；甲 90.0%、其他 10.0%。"


def test_ranking_shows_the_largest_items_and_says_how_many_there_were() -> None:
    items = [(f"customer {i:02d}", float(i)) for i in range(40)]
    chart = charts.ranking(items, title="Top customers", unit="CNY", lang="en")
    assert chart.alt == (
        "Bar chart: Top customers, 40 items (top 15 shown); "
        "top 3: customer 39 39 CNY, customer 38 38 CNY, customer 37 37 CNY."
    )


def test_values_from_duckdb_decimals_and_nan_gaps_are_accepted() -> None:
    ranked = charts.ranking(
        [("a", Decimal("12.5")), ("b", float("nan")), ("c", Decimal("3"))],  # type: ignore[list-item]
        title="Hours",
        unit="h",
        lang="en",
    )
    assert ranked.alt == "Bar chart: Hours, 2 items; top 2: a 12.5 h, c 3 h."

    gap = charts.trend(
        [("W1", 1.0), ("W2", float("nan")), ("W3", None), ("W4", 2.25)],
        title="Cycle time",
        y_label="Median",
        unit="d",
        lang="en",
    )
    assert gap.alt == (
        "Line chart: Cycle time, W1–W4, 4 periods; latest 2.25 d, lowest 1 d, highest 2.25 d."
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: charts.trend([], title="OTD", y_label="OTD", unit="%", lang="en"),
        lambda: charts.trend(
            [("2026-01", None)], title="OTD", y_label="OTD", unit="%", lang="en",
            second=[("2026-01", None)],
        ),
        lambda: charts.ranking([], title="OTD", unit="h", lang="en"),
        lambda: charts.share([("late", 0), ("on time", 0)], title="OTD", lang="en"),
        lambda: charts.share([], title="OTD", lang="en"),
        lambda: charts.funnel([("entry", 0), ("paid", 0)], title="OTD", lang="en"),
        lambda: charts.funnel([], title="OTD", lang="en"),
    ],
    ids=["trend", "trend-all-none", "ranking", "share-zero", "share", "funnel-zero", "funnel"],
)  # fmt: skip
def test_empty_data_gives_a_small_no_data_chart(make: Callable[[], Chart]) -> None:
    chart = make()
    assert png_size(chart.png) == (720, 160)
    assert chart.alt == "OTD: No data"
    assert chart.warning is None


def test_no_data_in_chinese() -> None:
    chart = charts.funnel([], title="订单漏斗", lang="zh")
    assert chart.alt == "订单漏斗：无数据"
    assert png_size(chart.png) == (720, 160)


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lang must be 'zh' or 'en', not 'fr'"):
        charts.funnel([("a", 1)], title="t", lang="fr")  # type: ignore[arg-type]


def test_long_labels_are_cut_by_display_width() -> None:
    assert charts._truncate("上海华东精密机械制造有限公司第二分公司") == "上海华东精密机械制造有…"
    assert charts._truncate("Acme Industrial Supplies International") == "Acme Industrial Supplie…"
    assert charts._truncate("成都") == "成都"


def test_data_uri_embeds_the_png() -> None:
    chart = stage_funnel()
    prefix = "data:image/png;base64,"
    assert chart.data_uri().startswith(prefix)
    assert base64.b64decode(chart.data_uri()[len(prefix) :]) == chart.png


def test_chinese_is_drawn_with_the_cjk_font_not_boxes() -> None:
    font = charts.find_cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (Debian/Ubuntu: apt-get install fonts-noto-cjk)")
    from matplotlib import font_manager as fm

    cjk = fm.get_font(fm.findfont(fm.FontProperties(family=font.family)))
    dejavu = fm.get_font(fm.findfont(fm.FontProperties(family="DejaVu Sans")))
    assert all(cjk.get_char_index(ord(ch)) != 0 for ch in TITLE_ZH)
    assert all(dejavu.get_char_index(ord(ch)) == 0 for ch in TITLE_ZH)  # DejaVu: boxes

    # End to end: matplotlib warns "Glyph … missing from font(s)" for every box it draws.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with_font = otd_trend()
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    assert with_font.warning is None


def test_without_a_cjk_font_charts_render_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_font = otd_trend()
    monkeypatch.setenv("ORDERTRACK_NO_CJK_FONT", "1")
    assert charts.find_cjk_font() is None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = otd_trend()
    assert [str(w.message) for w in caught] == []  # one hint, not a warning per glyph
    assert png_size(chart.png) == (720, 360)
    assert chart.warning == charts.missing_font_warning("zh")
    for fix in ("apt-get install fonts-noto-cjk", "yum install google-noto-sans-cjk-ttc-fonts"):
        assert fix in chart.warning
    assert "PingFang" in chart.warning and "Microsoft YaHei" in chart.warning
    if charts._search_cjk_font() is not None:  # the same title, drawn in another font
        assert chart.png != with_font.png

    # An English chart warns too if its data holds Chinese names; a plain one does not.
    english = charts.ranking([("华东", 2.0), ("Acme", 1.0)], title="Top", unit="", lang="en")
    assert english.warning == charts.missing_font_warning("en")
    assert "apt-get install fonts-noto-cjk" in english.warning
    assert charts.ranking([("Acme", 1.0)], title="Top", unit="", lang="en").warning is None


def test_rendering_leaves_matplotlib_settings_as_they_were() -> None:
    import matplotlib

    before = dict(matplotlib.rcParams)
    otd_trend()
    assert dict(matplotlib.rcParams) == before


def test_import_loads_no_matplotlib_and_rendering_uses_no_pyplot() -> None:
    code = textwrap.dedent(
        """
        import sys
        import ordertrack.report.charts as charts
        assert "matplotlib" not in sys.modules, "imported at module import"
        chart = charts.funnel([("entry", 10), ("paid", 4)], title="Funnel", lang="en")
        assert chart.png.startswith(b"\\x89PNG")
        assert "matplotlib.pyplot" not in sys.modules, "pyplot keeps figures alive"
        print("ok")
        """
    )
    env = subprocess_env(ORDERTRACK_NO_CJK_FONT="1")
    proc = subprocess.run(
        [PYTHON, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
