"""Charts for KPI packs: plain Python data in, PNG bytes out (matplotlib, Agg).

Four chart kinds cover the packs (design, "Reports"): :func:`trend` (a KPI over periods),
:func:`ranking` (top customers, slowest stages), :func:`share` (exception outcomes) and
:func:`funnel` (orders reaching each stage). Each returns a :class:`Chart`: the PNG, its
size in pixels, a one-line ``alt`` text in the report's language and, when Chinese text
had to be drawn without a CJK font, a ``warning`` saying how to install one.

Why it is built this way:

- **matplotlib is imported inside the functions only.** It costs ~0.4-0.8 s to import;
  ``ordertrack --help`` and every command that draws nothing must not pay that (the
  import-hygiene tests check it).
- **No pyplot.** Each chart is a :class:`matplotlib.figure.Figure` with its own Agg
  canvas: nothing is registered in pyplot's global figure list, so there is nothing to
  close and nothing to leak; the figure is garbage when the function returns.
- **One style, whatever the machine.** The style is applied per chart with
  ``matplotlib.style.context(["default", ...])``, so a user's ``matplotlibrc`` cannot
  change ordertrack's charts, and the process-wide ``rcParams`` are restored afterwards.
  rcParams are process-wide, so render charts from one thread at a time.
- **Chinese must render as glyphs, not boxes.** A CJK font is looked up once per process
  (:func:`find_cjk_font`) and put first in the font family list, with DejaVu Sans as the
  fallback for anything it lacks. Without one the chart still renders, and says why
  it may show boxes instead of failing the whole report.
- **Deterministic bytes.** A fixed size and no metadata (no ``Software`` chunk, and Agg
  writes no timestamp), so the same data gives the same PNG: golden files stay stable,
  and an unchanged chart means an unchanged e-mail.
"""

from __future__ import annotations

import base64
import io
import math
import os
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal, SupportsFloat

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Lang = Literal["zh", "en"]

#: Size of every chart with data: 7.2 x 3.6 in at 100 dpi. Shown at 1:1 in HTML and e-mail
#: (720 px fits a 600-800 px mail column and an A4 page width at ~96 dpi).
WIDTH_PX = 720
HEIGHT_PX = 360
#: The "no data" placeholder is lower, so an empty section does not take a chart's space.
EMPTY_HEIGHT_PX = 160
DPI = 100

#: Okabe-Ito: distinguishable with the common colour-vision deficiencies and in grey print.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
)
OTHER_COLOR = "#A0A0A0"
TEXT_COLOR = "#222222"
MUTED_COLOR = "#666666"
GRID_COLOR = "#E5E5E5"

#: A ranking shows at most this many bars (the largest); more would not be readable.
MAX_RANKING_ITEMS = 15
#: A share donut names at most this many parts; the rest, and every part under
#: :data:`SMALL_SHARE`, is merged into "其他"/"Other".
MAX_SHARE_PARTS = 7
SMALL_SHARE = 0.03
#: Category labels longer than this many columns (a Chinese character counts two) are
#: cut with "…", so one long customer name cannot squeeze the bars.
MAX_LABEL_COLUMNS = 24

NO_CJK_FONT_ENV = "ORDERTRACK_NO_CJK_FONT"

_NO_DATA = {"zh": "无数据", "en": "No data"}
_OTHER = {"zh": "其他", "en": "Other"}
_SECOND = {"zh": "对比", "en": "Comparison"}

#: Family names of fonts with CJK glyphs, best first: simplified-Chinese sans faces, then
#: other regions' faces of the same fonts, then serif faces, then older fallbacks.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK TC",
    "Noto Sans CJK HK",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "Source Han Sans TC",
    "Source Han Sans J",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Source Han Serif CN",
    "Noto Serif CJK TC",
    "Noto Serif CJK JP",
    "Noto Serif CJK KR",
    "Droid Sans Fallback",
    "Heiti SC",
    "STHeiti",
    "SimHei",
    "Arial Unicode MS",
)

#: Where the usual packages put those fonts. matplotlib's font cache is built once, so a
#: font installed after it is missing from the cache; these files are added on demand.
CJK_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch noto-fonts-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # RHEL/CentOS
    "/usr/share/fonts/google-noto-sans-cjk-ttc/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\msyh.ttc",  # Windows: Microsoft YaHei
    "C:\\Windows\\Fonts\\simhei.ttf",
)

#: Characters a usable font must have: a few common ones from ordertrack's own labels.
_PROBE = "订单交付率无数据"

_MISSING_FONT = {
    "en": (
        "No CJK font found: Chinese text in charts is drawn as boxes. Install one, then run "
        "again: Debian/Ubuntu `sudo apt-get install fonts-noto-cjk`; CentOS/RHEL "
        "`sudo yum install google-noto-sans-cjk-ttc-fonts`; macOS has one built in "
        "(PingFang); Windows has one built in (Microsoft YaHei). If it is installed but not "
        "found, delete matplotlib's font cache (~/.cache/matplotlib/fontlist-*.json)."
    ),
    "zh": (
        "未找到中文字体：图表中的中文会显示为方框。请安装后重新运行：Debian/Ubuntu "
        "`sudo apt-get install fonts-noto-cjk`；CentOS/RHEL "
        "`sudo yum install google-noto-sans-cjk-ttc-fonts`；macOS 自带（苹方 PingFang）；"
        "Windows 自带（微软雅黑 Microsoft YaHei）。若已安装仍未找到，请删除 matplotlib 的字体缓存"
        "（~/.cache/matplotlib/fontlist-*.json）。"
    ),
}


@dataclass(frozen=True)
class FontInfo:
    """A font with CJK glyphs: its family name (as matplotlib knows it) and file."""

    family: str
    path: str
    face_index: int = 0  # the face inside a .ttc collection


@dataclass(frozen=True)
class Chart:
    """One rendered chart.

    ``png`` is shown at ``width_px`` x ``height_px`` CSS pixels; ``alt`` is one line for
    the ``alt`` attribute (and screen readers); ``warning`` is set when the chart holds
    Chinese text but no CJK font was found (the report engine shows it once).
    """

    png: bytes
    width_px: int
    height_px: int
    alt: str
    warning: str | None = None

    def data_uri(self) -> str:
        """``data:image/png;base64,…`` for a self-contained HTML file.

        (E-mail clients often block data URIs: attach ``png`` as a related part with a
        Content-ID and use ``cid:…`` there instead.)
        """
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def missing_font_warning(lang: Lang = "en") -> str:
    """The message shown when no CJK font is installed: how to install one, per system."""
    return _MISSING_FONT[_check_lang(lang)]


def find_cjk_font() -> FontInfo | None:
    """The best installed font with CJK glyphs, or None.

    Searched once per process (matplotlib's font list, then well-known files). Setting
    ``ORDERTRACK_NO_CJK_FONT=1`` makes it return None, to see what a machine without one
    produces (the tests use it).
    """
    if os.environ.get(NO_CJK_FONT_ENV, "") not in ("", "0"):
        return None
    return _search_cjk_font()


@cache
def _search_cjk_font() -> FontInfo | None:
    from matplotlib import font_manager

    found = _cjk_font_in_manager()
    if found is not None:
        return found
    added = False
    for path in CJK_FONT_PATHS:
        if os.path.isfile(path):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue  # unreadable or not a font: try the next one
            added = True
    return _cjk_font_in_manager() if added else None


def _cjk_font_in_manager() -> FontInfo | None:
    """The first of :data:`CJK_FAMILIES` matplotlib knows and that has CJK glyphs."""
    from matplotlib import font_manager as fm

    known = {entry.name for entry in fm.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family not in known:
            continue
        try:
            path = fm.findfont(fm.FontProperties(family=family), fallback_to_default=False)
            font = fm.get_font(path)
        except (OSError, RuntimeError, ValueError):
            continue
        if all(font.get_char_index(ord(ch)) != 0 for ch in _PROBE):
            return FontInfo(family, str(path), int(getattr(path, "face_index", 0)))
    return None


# ----------------------------------------------------------------------------- charts


def trend(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    y_label: str,
    unit: str,
    lang: Lang,
    second: Sequence[tuple[str, float | None]] | None = None,
    second_label: str | None = None,
) -> Chart:
    """A line over periods (x labels are the period labels, in the order given).

    ``None`` (or NaN) is a gap in the line, not a zero: a month without deliveries has no
    on-time rate. ``second`` is drawn dashed on its own right-hand axis (e.g. order count
    next to OTD %); its periods are matched to ``points`` by label.
    """
    lang = _check_lang(lang)
    first = {str(label): _number(v) for label, v in points}
    other = {str(label): _number(v) for label, v in second or ()}
    labels = [*first, *(label for label in other if label not in first)]
    y1 = [first.get(label) for label in labels]
    y2 = [other.get(label) for label in labels]
    if all(v is None for v in y1 + y2):
        return _no_data(title, lang)
    name2 = second_label or _SECOND[lang]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        xs = list(range(len(labels)))
        handles = ax.plot(
            xs, _nan(y1), color=PALETTE[0], linewidth=2, marker="o", markersize=4, label=y_label
        )
        ax.set_ylabel(_with_unit(y_label, unit))
        ax.yaxis.set_major_formatter(_tick)
        ax.grid(axis="y", color=GRID_COLOR)
        ticks = _period_ticks([_truncate(label, 12) for label in labels])
        ax.set_xticks(ticks, [_truncate(labels[i], 12) for i in ticks])
        ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.margins(y=0.15)  # room for the value printed above the last point
        last = next(
            ((x, v) for x, v in zip(reversed(xs), reversed(y1), strict=True) if v is not None), None
        )
        if last is not None:
            ax.annotate(
                _fmt_value(last[1], unit),
                last,
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                color=PALETTE[0],
                fontweight="bold",
            )
        if second is not None:
            ax2 = ax.twinx()
            ax2.spines["right"].set_visible(True)
            handles += ax2.plot(
                xs, _nan(y2), color=PALETTE[1], linewidth=2, linestyle="--", marker="s",
                markersize=4, label=name2,
            )  # fmt: skip
            ax2.set_ylabel(name2)
            ax2.yaxis.set_major_formatter(_tick)
            ax2.margins(y=0.15)
            fig.legend(handles=handles, loc="outside upper right", frameon=False, ncols=2)

    values = [v for v in y1 if v is not None]
    latest, lo, hi = (
        (_fmt_value(values[-1], unit), _fmt_value(min(values), unit), _fmt_value(max(values), unit))
        if values
        else ("", "", "")
    )
    span = f"{labels[0]}–{labels[-1]}" if len(labels) > 1 else labels[0]
    if lang == "zh":
        alt = f"折线图：{title}，{span}，共 {len(labels)} 期"
        alt += f"；最新 {latest}，最低 {lo}，最高 {hi}" if values else "；无数据"
        alt += f"；虚线为{name2}（右轴）。" if second is not None else "。"
    else:
        alt = f"Line chart: {title}, {span}, {len(labels)} periods"
        alt += f"; latest {latest}, lowest {lo}, highest {hi}" if values else "; no values"
        alt += f"; dashed: {name2} (right axis)." if second is not None else "."
    texts = [*labels, y_label, *([name2] if second is not None else [])]
    return _render(title, lang, texts, draw, alt)


def ranking(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str,
    lang: Lang,
    highlight: str | None = None,
    in_order: bool = False,
    titled: bool = True,
) -> Chart:
    """Horizontal bars, largest on top, each value printed at its bar's end.

    At most :data:`MAX_RANKING_ITEMS` bars (the largest) are drawn; long labels are cut
    with "…". ``highlight`` names the item drawn in the accent colour (e.g. "our" stage).
    ``in_order``: the bars in the order given, first on top (e.g. the flow's stages).
    ``titled=False`` leaves the title out of the image (a heading above it says it
    already); it still opens the alt text.
    """
    lang = _check_lang(lang)
    clean = [(str(name), v) for name, raw in items if (v := _number(raw)) is not None]
    if not clean:
        return _no_data(title, lang)
    ranked = (clean if in_order else sorted(clean, key=lambda item: -item[1]))[:MAX_RANKING_ITEMS]
    slots = max(len(ranked), 5)  # few bars stay thin and at the top

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ys = [slots - 1 - i for i in range(len(ranked))]
        values = [v for _, v in ranked]
        colors = [PALETTE[1] if name == highlight else PALETTE[0] for name, _ in ranked]
        ax.barh(ys, values, height=0.62, color=colors)
        ax.set_yticks(ys, [_truncate(name) for name, _ in ranked])
        ax.set_ylim(-0.6, slots - 0.4)
        hi, lo = max(max(values), 0.0), min(min(values), 0.0)
        pad = (hi - lo or 1.0) * 0.01
        for y, v in zip(ys, values, strict=True):
            # Right of the bar, or right of zero for a negative one: never over the names.
            ax.text(max(v, 0.0) + pad, y, _fmt_value(v, unit), va="center", color=TEXT_COLOR)
        room = (hi - lo or 1.0) * 0.2  # space for the printed values
        ax.set_xlim(lo * 1.02, hi + room)
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0)
        if lo < 0:  # a zero line instead of the frame
            ax.spines["left"].set_visible(False)
            ax.axvline(0, color=MUTED_COLOR, linewidth=0.8)

    top = sorted(ranked, key=lambda item: -item[1])[:3]  # the largest, whatever the order
    if lang == "zh":
        listed = "、".join(f"{name} {_fmt_value(v, unit)}" for name, v in top)
        alt = f"条形图：{title}，共 {len(clean)} 项"
        alt += f"（显示前 {len(ranked)} 项）" if len(ranked) < len(clean) else ""
        alt += f"；前 {len(top)} 名：{listed}。"
    else:
        listed = ", ".join(f"{name} {_fmt_value(v, unit)}" for name, v in top)
        alt = f"Bar chart: {title}, {len(clean)} items"
        alt += f" (top {len(ranked)} shown)" if len(ranked) < len(clean) else ""
        alt += f"; top {len(top)}: {listed}."
    return _render(title, lang, [name for name, _ in ranked], draw, alt, titled=titled)


def share(parts: Sequence[tuple[str, float]], *, title: str, lang: Lang) -> Chart:
    """A donut of each part's share of the total, largest first, percentages shown.

    Parts under :data:`SMALL_SHARE` (3 %) and beyond the :data:`MAX_SHARE_PARTS` largest
    are merged into "其他"/"Other" (a single small part keeps its name: merging it alone
    would only hide it). Zero, negative and missing values are left out.
    """
    lang = _check_lang(lang)
    clean = [(str(name), v) for name, raw in parts if (v := _number(raw)) is not None and v > 0]
    total = sum(v for _, v in clean)
    if not clean or total <= 0:
        return _no_data(title, lang)
    other_name = _OTHER[lang]
    given_other = sum(v for name, v in clean if name == other_name)  # the data's own "Other"
    keep: list[tuple[str, float]] = []
    rest: list[tuple[str, float]] = []
    for part in sorted((p for p in clean if p[0] != other_name), key=lambda p: -p[1]):
        big = part[1] / total >= SMALL_SHARE
        (keep if big and len(keep) < MAX_SHARE_PARTS else rest).append(part)
    if len(rest) == 1 and not given_other and len(keep) < MAX_SHARE_PARTS:
        keep, rest = keep + rest, []
    merged = given_other + sum(v for _, v in rest)
    shown = keep + ([(other_name, merged)] if merged > 0 else [])
    colors = [
        OTHER_COLOR if name == other_name else PALETTE[i % len(PALETTE)]
        for i, (name, _) in enumerate(shown)
    ]
    pcts = [100.0 * v / total for _, v in shown]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        wedges, _texts, autotexts = ax.pie(
            [v for _, v in shown],
            colors=colors,
            startangle=90,
            counterclock=False,
            wedgeprops={"width": 0.38, "edgecolor": "white", "linewidth": 1.5},
            autopct=lambda p: f"{p:.1f}%" if p >= 100 * SMALL_SHARE else "",
            pctdistance=0.81,
            textprops={"fontsize": 9},
        )
        for text, color in zip(autotexts, colors, strict=True):
            text.set_color("white" if _luminance(color) < 0.35 else TEXT_COLOR)
        ax.legend(
            wedges,
            [f"{_truncate(name)}  {pct:.1f}%" for (name, _), pct in zip(shown, pcts, strict=True)],
            loc="center left",
            bbox_to_anchor=(1.02, 0.5),
            frameon=False,
        )
        ax.set_aspect("equal")

    sep = "、" if lang == "zh" else ", "
    listed = sep.join(f"{name} {pct:.1f}%" for (name, _), pct in zip(shown, pcts, strict=True))
    alt = f"环形图：{title}；{listed}。" if lang == "zh" else f"Donut chart: {title}; {listed}."
    return _render(title, lang, [name for name, _ in shown], draw, alt)


def funnel(stages: Sequence[tuple[str, int]], *, title: str, lang: Lang) -> Chart:
    """Centred bars, first stage on top, each with its count and % of the first stage.

    Stages are drawn in the order given (the workflow's order), even where a later stage
    holds more than an earlier one: that is worth seeing, not hiding.
    """
    lang = _check_lang(lang)
    clean = [(str(name), max(0, int(v))) for name, raw in stages if (v := _number(raw)) is not None]
    if not clean or all(count == 0 for _, count in clean):
        return _no_data(title, lang)
    first = clean[0][1]
    widest = max(count for _, count in clean)

    def pct(count: int) -> str:
        return f"{100.0 * count / first:.1f}%" if first > 0 else "–"

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ys = list(range(len(clean) - 1, -1, -1))
        counts = [count for _, count in clean]
        ax.barh(ys, counts, left=[(widest - c) / 2 for c in counts], height=0.72, color=PALETTE[0])
        for y, count in zip(ys, counts, strict=True):
            label = f"{count:,}  ({pct(count)})"
            if count >= 0.3 * widest:  # fits inside the bar
                ax.text(widest / 2, y, label, ha="center", va="center", color="white")
            else:
                x = (widest + count) / 2 + widest * 0.01
                ax.text(x, y, label, ha="left", va="center", color=TEXT_COLOR)
        ax.set_yticks(ys, [_truncate(name) for name, _ in clean])
        ax.set_xlim(0, widest)
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0)

    arrow = " → "
    steps = arrow.join(
        f"{name} {count:,}" + (f" ({pct(count)})" if i else "")
        for i, (name, count) in enumerate(clean)
    )
    alt = f"漏斗图：{title}；{steps}。" if lang == "zh" else f"Funnel chart: {title}; {steps}."
    return _render(title, lang, [name for name, _ in clean], draw, alt)


# ----------------------------------------------------------------------------- rendering


def _no_data(title: str, lang: Lang) -> Chart:
    """A low chart with the title and "无数据"/"No data": a report section never fails."""
    text = _NO_DATA[lang]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=14, color=MUTED_COLOR)

    alt = f"{title}：{text}" if lang == "zh" else f"{title}: {text}"
    return _render(title, lang, [], draw, alt, height_px=EMPTY_HEIGHT_PX)


def _render(
    title: str,
    lang: Lang,
    texts: Iterable[str],
    draw: Callable[[Figure], None],
    alt: str,
    *,
    height_px: int = HEIGHT_PX,
    titled: bool = True,
) -> Chart:
    """Draw one figure in ordertrack's style and return its PNG.

    ``texts`` are the chart's data labels: with them and the title it decides whether
    the chart needs a CJK font, and so whether to warn that none was found.
    """
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = find_cjk_font()
    warning = None
    if font is None and (lang == "zh" or any(_has_cjk(t) for t in (title, *texts))):
        warning = missing_font_warning(lang)
    with matplotlib.style.context(["default", _style(font)]), warnings.catch_warnings():
        if font is None:  # the boxes are expected; Chart.warning says so once, not per glyph
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        fig = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        if titled:
            fig.suptitle(title, x=0.01, ha="left")
        draw(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return Chart(buf.getvalue(), WIDTH_PX, height_px, alt, warning)


def _style(font: FontInfo | None) -> dict[str, object]:
    """rcParams over matplotlib's defaults: fonts, sizes, colours, a quiet frame."""
    families = [font.family, "DejaVu Sans"] if font is not None else ["DejaVu Sans"]
    return {
        "font.family": families,
        "font.size": 10,
        "figure.titlesize": 13,
        "figure.titleweight": "bold",
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "axes.facecolor": "white",
        "axes.edgecolor": "#BBBBBB",
        "axes.labelcolor": TEXT_COLOR,
        "axes.labelsize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": _cycler(),
        "axes.axisbelow": True,
        "text.color": TEXT_COLOR,
        "xtick.color": MUTED_COLOR,
        "ytick.color": MUTED_COLOR,
        "xtick.labelcolor": TEXT_COLOR,
        "ytick.labelcolor": TEXT_COLOR,
        "legend.fontsize": 9,
        "path.simplify": True,
    }


def _cycler() -> object:
    from cycler import cycler

    return cycler(color=list(PALETTE))


def _tick(value: float, _pos: float | None) -> str:
    """Axis numbers with thousands separators and no scientific offset ("1,200,000")."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


# ----------------------------------------------------------------------------- helpers


def _check_lang(lang: str) -> Lang:
    if lang == "zh":
        return "zh"
    if lang == "en":
        return "en"
    raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")


def _number(value: SupportsFloat | None) -> float | None:
    """A finite float, or None for None/NaN/inf (a missing value, never a zero).

    Accepts what DuckDB returns too (``Decimal`` sums, ints).
    """
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _nan(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else v for v in values]


def _fmt_number(value: float) -> str:
    """Thousands separators; decimals only where they carry information."""
    if float(value).is_integer():
        return f"{int(value):,}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:,.1f}"
    return f"{value:.2f}"


def _fmt_value(value: float, unit: str) -> str:
    """A number with its unit: "95.2%", "1,234元", "36.5 h"."""
    number = _fmt_number(value)
    if not unit:
        return number
    if unit == "%" or _has_cjk(unit[0]):
        return number + unit
    return f"{number} {unit}"


def _with_unit(label: str, unit: str) -> str:
    if not unit:
        return label
    return f"{label}（{unit}）" if _has_cjk(label) else f"{label} ({unit})"


def _period_ticks(labels: Sequence[str]) -> list[int]:
    """Which period labels fit side by side under the plot: every k-th, ending at the latest.

    A label takes about 7 px per column plus a gap (font size 10 at 100 dpi); the plot is
    about 560 px wide. Counting back from the last keeps the most recent period labelled.
    """
    if not labels:
        return []
    widest = max(sum(_columns(ch) for ch in label) for label in labels)
    fit = max(1, 560 // (widest * 7 + 16))
    step = max(1, math.ceil(len(labels) / fit))
    return list(range(len(labels) - 1, -1, -step))[::-1]


def _columns(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _truncate(text: str, columns: int = MAX_LABEL_COLUMNS) -> str:
    """Cut ``text`` to ``columns`` display columns (CJK characters are two wide) with "…"."""
    if sum(_columns(ch) for ch in text) <= columns:
        return text
    used, kept = 0, []
    for ch in text:
        used += _columns(ch)
        if used > columns - 1:
            break
        kept.append(ch)
    return "".join(kept).rstrip() + "…"


def _has_cjk(text: str) -> bool:
    """True if ``text`` holds characters DejaVu Sans lacks (CJK ideographs, kana, hangul)."""
    return any(
        0x2E80 <= cp <= 0x9FFF or 0xAC00 <= cp <= 0xD7AF or 0xF900 <= cp <= 0xFAFF
        or 0xFE30 <= cp <= 0xFE4F or 0xFF00 <= cp <= 0xFFEF or 0x20000 <= cp <= 0x3FFFF
        for cp in map(ord, text)
    )  # fmt: skip


def _luminance(color: str) -> float:
    """Relative luminance of ``#RRGGBB`` (WCAG), to pick white or dark text on it."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
