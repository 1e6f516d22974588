"""Report packs end to end: `report build|list|send` on real workspaces, the HTML in a
real browser, the e-mail through a real SMTP server.

Two order centers:

* the demo (``ordertrack demo``, built once per session): Chinese names, the workspace
  clock pinned to 2026-06-30 17:00 Asia/Shanghai. Its ceo report for 2026-06 is built
  once (:func:`ceo_june`) and checked against golden files, opened in headless Chromium
  and mailed.
* a small shop imported from CSV (:data:`SHOP_ORDERS`) whose customer is named
  ``<script>alert(1)</script>``, whose sales rep and SKU are ``<b>x</b>`` and whose
  workspace is ``A&B <Co>``: the escaping tests, and the outbox tests (clock:
  ``ORDERTRACK_NOW``, as in ``test_alerts``).

Golden files (``tests/data/report/``): ``ceo-2026-06.html`` is the demo's ceo report with
every chart's ``data:`` URI replaced by a placeholder naming the chart and its PNG size
(the chart bytes depend on matplotlib and the fonts; ``test_report_charts`` checks them),
and ``ceo-2026-06.json`` holds ``report build --json`` (figures rounded to 6 decimals,
file paths and formula prose left out). The "generated" time is the demo's pinned clock.
Where no CJK font is installed, the report carries a warning saying so; it is taken out
before comparing. To regenerate both after an intended change, run::

    OT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_report.py

and review ``git diff tests/data/report``.

The browser test needs Debian's ``chromium`` (``/usr/bin/chromium``) and is skipped
without it; the Chinese text is drawn with ``fonts-noto-cjk``.
"""

from __future__ import annotations

import base64
import email
import email.policy
import io
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import duckdb
import pytest
import test_transport
from aiosmtpd.controller import Controller
from conftest import DATA, Invoke, set_config
from test_alerts import (  # noqa: F401  (fixtures)
    LINES_HEADER,
    ORDERS_HEADER,
    PEOPLE,
    ROLES,
    _cli_built_once,
    build_template,
    iso,
    run_cli,
    set_roles,
    set_rules,
    use_template,
)
from test_import import import_one, rows, write_csv
from test_transport import (
    Inbox,
    StartServer,
    free_port,
)
from typer.testing import CliRunner

from ordertrack.cli import app
from ordertrack.cli._common import reset_consoles
from ordertrack.errors import EXIT_CONDITION, EXIT_OK, EXIT_USER

# the real SMTP server of test_transport: aiosmtpd on 127.0.0.1
smtp_server = test_transport.smtp_server

GOLDEN = DATA / "report"
UPDATE = os.environ.get("OT_UPDATE_GOLDEN", "") == "1"
CHROMIUM = Path("/usr/bin/chromium")
DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
CEO_TITLE_ZH = "订单履约 — 管理层摘要"
DEMO_NAME = "华东精工科技有限公司"


# ---------------------------------------------------------------------------------------
# helpers


def check_golden(name: str, text: str) -> None:
    """``text`` equals ``tests/data/report/NAME`` (written instead with OT_UPDATE_GOLDEN=1)."""
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; write it with OT_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if the change is intended, regenerate it "
        "with OT_UPDATE_GOLDEN=1 and review the diff"
    )


def png_info(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking it all with the standard library: the
    signature, every chunk's CRC, IHDR first and IEND last, and the image data inflating
    to exactly the bytes the header announces (each row: a filter byte and the pixels)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, chunks, idat = 8, [], b""
    width = height = 0
    bits = color = interlace = 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        body = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        chunks.append(kind)
        if kind == b"IHDR":
            width, height, bits, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and pos == len(png)
    assert interlace == 0 and bits == 8
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if channels is not None:  # (palette images: one byte per pixel too)
        assert len(zlib.decompress(idat)) == height * (1 + width * channels)
    else:
        assert color == 3 and len(zlib.decompress(idat)) == height * (1 + width)
    return width, height


def data_uri_pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m, validate=True) for m in DATA_URI.findall(html)]


def _font_warning_lines(text: str) -> str:
    """Without a CJK font the report warns about it (machine-dependent): drop that line."""
    from markupsafe import escape

    from ordertrack.report.charts import missing_font_warning

    warnings = {str(escape(missing_font_warning(lang))) for lang in ("en", "zh")}
    return "".join(
        line for line in text.splitlines(keepends=True) if not any(w in line for w in warnings)
    )


def normalized_html(html: str) -> str:
    """The HTML with each chart replaced by ``data:image/png;base64,CHART-N-WxH``."""
    counter = iter(range(1, 1000))

    def placeholder(m: re.Match[str]) -> str:
        w, h = png_info(base64.b64decode(m.group(1)))
        return f"data:image/png;base64,CHART-{next(counter)}-{w}x{h}"

    return _font_warning_lines(DATA_URI.sub(placeholder, html))


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


def normalized_json(data: dict[str, Any]) -> str:
    from ordertrack.report.charts import missing_font_warning

    out = {k: v for k, v in data.items() if k not in ("html", "xlsx")}
    out["tiles"] = [{k: v for k, v in t.items() if k != "formula"} for t in data["tiles"]]
    fonts = {missing_font_warning("en"), missing_font_warning("zh")}
    out["warnings"] = [w for w in data["warnings"] if w not in fonts]
    return json.dumps(rounded(out), ensure_ascii=False, indent=2) + "\n"


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def smtp_config(port: int) -> str:
    return f"""
[notify.smtp]
host = "127.0.0.1"
port = {port}
security = "plain"
sender = "ot@example.com"
sender_name = "订单中心"
timeout = 3
"""


def add_smtp(ws: Path, port: int) -> None:
    with (ws / "ordertrack.toml").open("a", encoding="utf-8") as f:
        f.write(smtp_config(port))


REPORT_OUTBOX = "message_id, recipient, recipient_name, subject, alert_count, status, attempts"


def report_outbox(ws: Path) -> list[tuple[Any, ...]]:
    return rows(
        ws,
        f"SELECT {REPORT_OUTBOX} FROM outbox WHERE dedupe_key LIKE 'report|%' ORDER BY message_id",
    )


def session_cli(*args: str, env: dict[str, str] | None = None) -> Any:
    """``ordertrack ARGS`` for session fixtures (outside the per-test environment)."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("ORDERTRACK_"):
                mp.delenv(key)
        mp.setenv("TZ", "UTC")
        mp.setenv("ORDERTRACK_USER", "tester")
        mp.setenv("COLUMNS", "100")
        mp.setenv("NO_COLOR", "1")
        reset_consoles()
        result = CliRunner().invoke(
            app, list(args), env=env, catch_exceptions=False, prog_name="ordertrack"
        )
        reset_consoles()
    return result


# ---------------------------------------------------------------------------------------
# the demo, and its ceo report for June 2026 (built once)


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ordertrack demo`` once per session (tests get copies)."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    result = session_cli("demo", str(root))
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def demo(tmp_path: Path, _demo_template: Path) -> Path:
    """A fresh copy of the demo workspace at ``tmp_path/demo``."""
    root = tmp_path / "demo"
    shutil.copytree(_demo_template, root)
    return root


class Built:
    def __init__(self, folder: Path, result: Any) -> None:
        self.folder = folder
        self.html_path = folder / "ceo.html"
        self.xlsx_path = folder / "ceo.xlsx"
        self.exit_code: int = result.exit_code
        self.stderr: str = result.stderr
        self.data: dict[str, Any] = json.loads(result.stdout) if result.exit_code == 0 else {}

    @property
    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def ceo_june(tmp_path_factory: pytest.TempPathFactory, _demo_template: Path) -> Built:
    """``report build --pack ceo --period 2026-06 --out … --xlsx … --json`` on the demo."""
    folder = tmp_path_factory.mktemp("ceo_june")
    result = session_cli(
        "report", "build", "--pack", "ceo", "--period", "2026-06",
        "--out", str(folder / "ceo.html"), "--xlsx", str(folder / "ceo.xlsx"),
        "--json", "-w", str(_demo_template),
    )  # fmt: skip
    return Built(folder, result)


def test_build_writes_the_html_and_xlsx_and_reports_them_as_json(ceo_june: Built) -> None:
    assert ceo_june.exit_code == EXIT_OK, ceo_june.stderr
    data = ceo_june.data
    assert (data["pack"], data["period"], data["previous"]) == (
        "ceo",
        ["2026-06-01", "2026-06-30"],
        ["2026-05-01", "2026-05-31"],
    )
    assert (data["html"], data["xlsx"]) == (str(ceo_june.html_path), str(ceo_june.xlsx_path))
    # table KPIs with a number for headline get a tile too (not stage_dwell: a stage)
    assert [t["kpi_id"] for t in data["tiles"]] == [
        "on_time_delivery", "order_cycle_time", "late_now", "at_risk", "exception_share",
        "automation_rate", "expedite_freight_cost", "inventory_turnover", "exception_effort",
        "nps", "complaint_rate", "flow_config_changes", "open_funnel",
    ]  # fmt: skip
    assert [s["kpi"] for s in data["sections"]] == [
        "at_risk",
        "flow_config_changes",
        "stage_dwell",
        "open_funnel",
    ]
    assert ceo_june.html.startswith("<!DOCTYPE html>")
    assert not list(ceo_june.folder.glob(".*.tmp"))  # written through a temporary file

    from openpyxl import load_workbook

    wb = load_workbook(ceo_june.xlsx_path, read_only=True)
    assert wb.sheetnames == [
        "核心指标",
        "at_risk",
        "flow_config_changes",
        "stage_dwell",
        "open_funnel",
    ]
    kpis = list(wb["核心指标"].iter_rows(values_only=True))
    assert kpis[0] == ("kpi", "name", "unit", "2026年6月", "2026年5月", "change", "note")
    assert [r[0] for r in kpis[1:]] == [t["kpi_id"] for t in data["tiles"]]
    on_time = data["tiles"][0]
    assert kpis[1][:5] == (
        "on_time_delivery",
        "准时交付率",
        "%",
        on_time["value"],
        on_time["previous"],
    )
    wb.close()


def test_the_ceo_report_matches_its_golden_html_and_json(ceo_june: Built) -> None:
    assert ceo_june.exit_code == EXIT_OK, ceo_june.stderr
    html = ceo_june.html
    # the demo's clock (2026-06-30 17:00 Asia/Shanghai) is the generated time
    assert "生成于 2026-06-30 17:00" in html
    check_golden("ceo-2026-06.html", normalized_html(html))
    check_golden("ceo-2026-06.json", normalized_json(ceo_june.data))


def test_the_html_is_self_contained_without_scripts(ceo_june: Built) -> None:
    html = ceo_june.html
    assert re.search(r"<script|javascript:|\son[a-z]+\s*=", html, re.IGNORECASE) is None
    assert "http://" not in html and "https://" not in html
    # every resource is an embedded image: four charts, each a valid PNG
    sources = re.findall(r'\ssrc="([^"]*)"', html)
    assert len(sources) == 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert re.findall(r"\s(?:href|srcset|background)=", html) == []
    assert "url(" not in html and "@import" not in html
    for png in data_uri_pngs(html):
        width, height = png_info(png)
        assert width >= 600 and height >= 200


def test_report_list_json_shows_the_built_in_packs(invoke: Invoke, workspace: Path) -> None:
    result = invoke("report", "list", "--json", "-w", str(workspace))

    assert result.exit_code == EXIT_OK, result.output
    packs = json.loads(result.stdout)
    assert [p["pack"] for p in packs] == ["ceo", "sales", "production"]
    assert packs[1] == {
        "pack": "sales",
        "title": "Sales — delivery to customers",
        "audience": "sales director and reps",
        "kpis": [
            "on_time_delivery", "late_now", "at_risk", "complaint_rate", "nps",
            "top_late_reps", "top_late_customers",
        ],
        "period": "week",
        "recipients": ["sales_director"],
        "from": "built in",
    }  # fmt: skip


def test_an_unknown_pack_is_exit_2_with_did_you_mean(invoke: Invoke, workspace: Path) -> None:
    result = invoke("report", "build", "--pack", "coe", "-w", str(workspace))

    assert result.exit_code == EXIT_USER
    assert result.stderr == (
        'Error: unknown pack "coe"; did you mean "ceo"?\n'
        "Hint: Packs: ceo, sales, production (`ordertrack report list`).\n"
    )
    assert not (workspace / "out").exists()


@pytest.mark.parametrize(
    ("period", "error"),
    [
        ("2026-13", "Error: there is no month 13: months are 01 to 12\n"),
        ("junk", 'Error: "junk" is not a period: use a month (2026-06), an ISO week'),
    ],
)
def test_a_bad_period_is_exit_2(invoke: Invoke, workspace: Path, period: str, error: str) -> None:
    result = invoke("report", "build", "--period", period, "-w", str(workspace))

    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith(error), result.stderr
    assert not (workspace / "out").exists()


def test_a_pack_naming_an_unknown_kpi_fails_the_config_check(
    invoke: Invoke, workspace: Path
) -> None:
    with (workspace / "ordertrack.toml").open("a", encoding="utf-8") as f:
        f.write('\n[packs.mine]\nkpis = ["on_time_delivery", "nope"]\n')

    check = invoke("config", "check", "-w", str(workspace))
    build = invoke("report", "build", "--pack", "mine", "-w", str(workspace))

    for result in (check, build):
        assert result.exit_code == EXIT_USER
        assert result.stderr.startswith(
            'Error: ws/ordertrack.toml: packs.mine.kpis[1]: unknown KPI "nope"; did you mean "nps"?'
            " known: on_time_delivery, "
        ), result.stderr
        assert result.stderr.endswith("\nHint: Fix the file and run `ordertrack config check`.\n")


def test_a_pack_trend_must_be_one_of_its_kpis_over_a_period(
    invoke: Invoke, workspace: Path
) -> None:
    with (workspace / "ordertrack.toml").open("a", encoding="utf-8") as f:
        f.write(
            '\n[packs.mine]\nkpis = ["on_time_delivery", "late_now"]\n'
            'trends = ["nps", "late_now"]\n'
        )

    check = invoke("config", "check", "-w", str(workspace))

    assert check.exit_code == EXIT_USER
    assert check.stderr.splitlines()[:3] == [
        "Error: 2 problems in the configuration:",
        '  ws/ordertrack.toml: packs.mine.trends[0]: "nps" is not among the pack\'s kpis',
        '  ws/ordertrack.toml: packs.mine.trends[1]: "late_now" is measured now, whatever the '
        "period: it has no trend",
    ]


def test_a_pack_of_your_own_builds_over_its_default_period(
    invoke: Invoke, shop: Path, tmp_path: Path
) -> None:
    with (shop / "ordertrack.toml").open("a", encoding="utf-8") as f:
        f.write(
            '\n[packs.mine]\ntitle = "Late deliveries"\naudience = "the sales team"\n'
            'kpis = ["late_now", "on_time_delivery", "top_late_customers"]\n'
            'period = "month"\nrecipients = ["zhangwei"]\n'
        )

    listed = invoke("report", "list", "--json", "-w", str(shop))
    built = invoke("report", "build", "--pack", "mine", "-w", str(shop))

    assert listed.exit_code == EXIT_OK
    assert json.loads(listed.stdout)[-1] == {
        "pack": "mine",
        "title": "Late deliveries",
        "audience": "the sales team",
        "kpis": ["late_now", "on_time_delivery", "top_late_customers"],
        "period": "month",
        "recipients": ["zhangwei"],
        "from": "config",
    }
    assert built.exit_code == EXIT_OK, built.output
    out = shop / "out" / "mine.html"
    # 2026-06-30: the last full month is May
    assert " ".join(built.stdout.split()) == f"Late deliveries: May 2026 (vs April 2026) → {out}"
    html = out.read_text(encoding="utf-8")
    assert "<h1 " in html and ">Late deliveries</h1>" in html
    assert "For: the sales team" in html
    assert html.index("Late orders now") < html.index("On-time delivery")  # the pack's order


# ---------------------------------------------------------------------------------------
# a shop with hostile names: escaping


SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>x</b>"
COMPANY = "A&B <Co>"

# SO-1 and SO-2 were promised in June and are not delivered on 2026-06-30: late.
SHOP_ORDERS: list[list[Any]] = [
    ["SO-1", "C1", SCRIPT, BOLD, "2026-06-01", "2026-06-20", "2026-06-18", "50000"],
    ["SO-2", "C2", "苏州凯越", "李娜", "2026-06-02", "2026-06-25", "2026-06-20", "150000"],
    ["SO-3", "C3", "ACME Ltd.", "张伟", "2026-06-03", "2026-07-26", "2026-07-20", "3000"],
]
SHOP_LINES: list[list[Any]] = [
    ["SO-1", 1, BOLD, "螺钉", 10, "个", "上海仓"],
    ["SO-2", 1, "M-1", "螺钉", 20, "个", "上海仓"],
    ["SO-3", 1, "M-2", "气管", 5, "米", "上海仓"],
]


@pytest.fixture(scope="session")
def _shop_template(tmp_path_factory: pytest.TempPathFactory, _initialized: Path) -> Path:
    def build(run: Invoke, ws: Path) -> None:
        folder = ws.parent / "exports"
        folder.mkdir(exist_ok=True)
        for name, header, data, profile in (
            ("orders.csv", ORDERS_HEADER, SHOP_ORDERS, "orders"),
            ("lines.csv", LINES_HEADER, SHOP_LINES, "order_lines"),
        ):
            path = write_csv(folder / name, header, data)
            result = import_one(run, ws, str(path), "--profile", profile)
            assert result["status"] == "ok" and result["rejected"] == 0, result
        set_roles(ws, **ROLES)
        set_config(ws, 'name = "My Company"', f'name = "{COMPANY}"')

    return build_template(tmp_path_factory, _initialized, "report_shop", build)


@pytest.fixture
def shop(workspace: Path, _shop_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shop; the clock pinned at 2026-06-30 10:00 Shanghai (``test_alerts.T0``)."""
    monkeypatch.setenv("ORDERTRACK_NOW", iso(0))
    return use_template(workspace, _shop_template)


def test_names_from_the_exports_are_text_in_the_html(
    invoke: Invoke, shop: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sales.html"
    result = invoke(
        "report", "build", "--pack", "sales", "--period", "2026-06", "--out", str(out),
        "--xlsx", str(tmp_path / "sales.xlsx"), "-w", str(shop),
    )  # fmt: skip

    assert result.exit_code == EXIT_OK, result.output
    html = out.read_text(encoding="utf-8")
    # the late customer and rep are listed, as text
    assert (
        '<td align="left" style="border-bottom:1px solid #e4e7eb;">&lt;script&gt;alert(1)&lt;/script&gt;</td>'
        in html
    )
    assert "&lt;b&gt;x&lt;/b&gt;</td>" in html
    assert "<title>A&amp;B &lt;Co&gt; · Sales — delivery to customers · June 2026</title>" in html
    assert ">A&amp;B &lt;Co&gt;</div>" in html
    assert "<script" not in html.lower() and BOLD not in html and COMPANY not in html
    # in attributes too (the ranking charts' alt text names them)
    alts = re.findall(r'\salt="([^"]*)"', html)
    assert any("&lt;script&gt;" in a for a in alts), alts
    assert all("<" not in a and '"' not in a for a in alts)
    assert "http://" not in html and "https://" not in html
    # the workbook holds the names as they are
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "sales.xlsx", read_only=True)
    customers = [r[0] for r in wb["top_late_customers"].iter_rows(min_row=2, values_only=True)]
    reps = [r[0] for r in wb["top_late_reps"].iter_rows(min_row=2, values_only=True)]
    wb.close()
    assert sorted(customers) == sorted([SCRIPT, "苏州凯越"])
    assert sorted(reps) == sorted([BOLD, "李娜"])


# ---------------------------------------------------------------------------------------
# in a real browser


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(profile)},
    )


def page_errors(stderr: str) -> list[str]:
    """What the page logged (console messages, uncaught errors, blocked loads)."""
    return [
        line
        for line in stderr.splitlines()
        if "CONSOLE" in line or "Uncaught" in line or "Not allowed to load" in line
    ]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)")
def test_chromium_renders_the_report_with_its_charts(ceo_june: Built, tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    assert ceo_june.exit_code == EXIT_OK, ceo_june.stderr
    url = ceo_june.html_path.as_uri()
    shot = tmp_path / "ceo.png"

    screenshot = chromium(
        f"--screenshot={shot}", "--window-size=900,3000", url, profile=tmp_path / "p1"
    )
    dom = chromium("--dump-dom", url, profile=tmp_path / "p2")

    assert screenshot.returncode == 0, screenshot.stderr[-2000:]
    assert page_errors(screenshot.stderr) == []
    assert png_info(shot.read_bytes()) == (900, 3000)
    # the charts were decoded and drawn: their blue bars and lines are on the page (no
    # colour of the page's own CSS is near it)
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int32)

    def near(rgb: tuple[int, int, int]) -> int:
        return int((np.abs(pixels - np.array(rgb)).sum(axis=2) < 24).sum())

    blue, orange = near((0x00, 0x72, 0xB2)), near((0xE6, 0x9F, 0x00))
    assert blue > 5000, blue  # trend lines, ranking bars, funnel
    assert orange > 500, orange  # the bottleneck's bar

    assert dom.returncode == 0, dom.stderr[-2000:]
    assert page_errors(dom.stderr) == []
    assert f">{CEO_TITLE_ZH}</h1>" in dom.stdout
    assert f"<title>{DEMO_NAME} · {CEO_TITLE_ZH} · 2026年6月</title>" in dom.stdout
    assert "<script" not in dom.stdout
    assert len(re.findall(r"<img ", dom.stdout)) == 4
    for png in data_uri_pngs(dom.stdout):
        png_info(png)


# ---------------------------------------------------------------------------------------
# report send: through the outbox and a real SMTP server


def test_report_send_mails_one_message_per_recipient_with_inline_charts_and_xlsx(
    invoke: Invoke, demo: Path, smtp_server: StartServer
) -> None:
    from openpyxl import load_workbook

    controller, inbox = smtp_server()
    add_smtp(demo, controller.port)

    # roles and people and addresses: the ceo (login + address: one person), the director
    # (马骏), and 马骏 again by address: two messages
    result = invoke(
        "report", "send", "--pack", "ceo", "--period", "2026-06",
        "--to", "ceo,director", "--to", "MAJUN@example.com", "-w", str(demo), "--json",
    )  # fmt: skip

    assert result.exit_code == EXIT_OK, result.output
    deliveries = json.loads(result.stdout)
    assert [(d["channel"], d["recipient"], d["status"], d["error"]) for d in deliveries] == [
        ("email", "shenguodong@example.com", "sent", None),
        ("email", "majun@example.com", "sent", None),
    ]
    subject = f"[{DEMO_NAME}] {CEO_TITLE_ZH} 2026年6月"
    ids = [d["message_id"] for d in deliveries]
    assert report_outbox(demo) == [
        (ids[0], "shenguodong@example.com", "沈国栋", subject, None, "sent", 1),
        (ids[1], "majun@example.com", "马骏", subject, None, "sent", 1),
    ]
    assert rows(
        demo,
        "SELECT actor, args->>'pack', args->>'period', changes::VARCHAR FROM audit_log "
        "WHERE command = 'report send'",
    ) == [("tester", "ceo", "2026-06", json.dumps({"outbox": ids}))]
    assert [e.rcpt_tos for e in inbox.received] == [
        ["shenguodong@example.com"],
        ["majun@example.com"],
    ]
    for envelope, name in zip(inbox.received, ["沈国栋", "马骏"], strict=True):
        raw = envelope.original_content or b""
        raw.decode("ascii")  # RFC 2047 headers, base64 / quoted-printable bodies
        msg = parse(raw)
        assert msg["Subject"] == subject
        assert msg["To"].addresses[0].display_name == name
        assert msg["From"].addresses[0].display_name == "订单中心"
        assert msg["From"].addresses[0].addr_spec == "ot@example.com"
        assert msg.get_content_type() == "multipart/mixed"
        alternative, attachment = msg.iter_parts()
        assert isinstance(alternative, EmailMessage) and isinstance(attachment, EmailMessage)
        assert alternative.get_content_type() == "multipart/alternative"
        plain, related = alternative.iter_parts()
        assert isinstance(plain, EmailMessage) and isinstance(related, EmailMessage)
        assert plain.get_content_type() == "text/plain"
        assert plain.get_content().startswith(
            f"{DEMO_NAME} · {CEO_TITLE_ZH}\r\n统计期间: 2026年6月 (对比 2026年5月)\r\n\r\n- 准时交付率: "
        )
        assert related.get_content_type() == "multipart/related"
        html_part, *images = related.iter_parts()
        assert isinstance(html_part, EmailMessage)
        assert html_part.get_content_type() == "text/html"
        html = html_part.get_content()
        assert f">{CEO_TITLE_ZH}</h1>" in html and "data:image" not in html
        cids = re.findall(r'src="cid:([^"]+)"', html)
        assert cids == [f"chart{i}@ordertrack" for i in range(1, 5)]
        assert [(p.get_content_type(), p["Content-ID"]) for p in images] == [
            ("image/png", f"<{c}>") for c in cids
        ]
        for part in images:
            assert isinstance(part, EmailMessage)
            png = part.get_content()
            assert isinstance(png, bytes)
            png_info(png)
        assert attachment.get_content_type() == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert attachment.get_filename() == "ceo-2026-06.xlsx"
        data = attachment.get_content()
        assert isinstance(data, bytes)
        wb = load_workbook(io.BytesIO(data), read_only=True)
        assert wb.sheetnames[0] == "核心指标"  # the KPIs sheet of a Chinese workspace
        assert next(wb["核心指标"].iter_rows(min_row=2, values_only=True))[:2] == (
            "on_time_delivery",
            "准时交付率",
        )
        wb.close()


def test_report_send_without_smtp_is_exit_2_saying_what_to_add(invoke: Invoke, shop: Path) -> None:
    result = run_cli(invoke, shop, "report", "send", "--pack", "ceo")

    assert result.exit_code == EXIT_USER
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "Error: `report send` needs a mail server: there is no [notify.smtp] in "
        f"{shop / 'ordertrack.toml'}"
    )
    assert lines[1] == "Hint: Add the mail server to ordertrack.toml:"
    for key in (
        "[notify.smtp]",
        "host = ",
        "security = ",
        "port = ",
        "sender = ",
        "password_env = ",
    ):
        assert any(line.strip().startswith(key) for line in lines), key
    assert (
        lines[-1] == "or write the report to a file instead: `ordertrack report build --pack PACK`."
    )
    assert rows(shop, "SELECT count(*) FROM outbox") == [(0,)]


def test_report_send_refuses_recipients_without_an_address(
    invoke: Invoke, shop: Path, smtp_server: StartServer
) -> None:
    controller, inbox = smtp_server()
    lina = '\n[people.lina]\nname = "李娜"\naliases = ["李娜"]\n'  # no email
    set_rules(shop, smtp_config(controller.port), people=PEOPLE + lina)

    result = run_cli(
        invoke, shop, "report", "send", "--pack", "sales",
        "--to", "boss,李娜", "--to", "nobody", "--to", "logistics", "--to", "a@b@example.com",
    )  # fmt: skip

    assert result.exit_code == EXIT_USER
    assert result.stderr == (
        'Error: cannot mail the report: "李娜" ([people.lina]) has no email; "nobody" is not an '
        'e-mail address, a person in [people] or a role in [roles]; role "logistics" has '
        "nobody with an e-mail address (list addresses under [roles] logistics, or give its "
        'people [people.KEY] email); "a@b@example.com" is not an e-mail address\n'
        "Hint: Recipients are e-mail addresses, [people] keys or aliases, or [roles] names.\n"
    )
    assert rows(shop, "SELECT count(*) FROM outbox") == [(0,)]
    assert inbox.received == []


@pytest.fixture
def stopped_port() -> Iterator[int]:
    first = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    first.start()
    first.stop()  # the mail server goes down: connections to its port are refused
    yield first.port


def test_a_stopped_server_leaves_the_report_queued_and_outbox_retry_sends_it_once(
    invoke: Invoke, shop: Path, stopped_port: int
) -> None:
    port = stopped_port
    set_rules(shop, smtp_config(port))

    # the ceo pack's recipients: the role ceo, whose one member boss is 沈国栋
    down = run_cli(invoke, shop, "report", "send", "--pack", "ceo", "--period", "2026-06")

    assert down.exit_code == EXIT_CONDITION
    error = f"SMTP 127.0.0.1:{port}: connection refused"
    ((message_id, *row),) = report_outbox(shop)
    subject = "[A&B <Co>] Order fulfilment — management summary June 2026"
    assert row == ["boss@example.com", "沈国栋", subject, None, "queued", 1]
    assert down.stdout.startswith(f"{message_id} email boss@example.com: queued: {error}")
    stderr = " ".join(down.stderr.split())
    assert stderr.startswith(
        f"Error: 1 of 1 message(s) not sent: {message_id} to boss@example.com: {error}"
    ), stderr
    assert "`ordertrack outbox retry`" in stderr
    last_error = rows(shop, "SELECT last_error FROM outbox WHERE message_id = ?", [message_id])
    assert last_error[0][0].startswith(error)

    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()  # and comes back
    try:
        retried = run_cli(invoke, shop, "outbox", "retry", minutes=15)
        assert retried.exit_code == EXIT_OK, retried.stderr
        assert retried.stdout == f"{message_id} email boss@example.com: sent\n"
        again = run_cli(invoke, shop, "outbox", "retry", minutes=20)
        assert again.stdout == "Nothing to send.\n"
        inbox: Inbox = controller.handler
        assert [e.rcpt_tos for e in inbox.received] == [["boss@example.com"]]
        msg = parse(inbox.received[0].original_content or b"")
        assert msg["Subject"] == subject
        assert [p.get_content_type() for p in msg.walk()][:4] == [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "multipart/related",
        ]
        assert rows(
            shop,
            "SELECT status, attempts, last_error FROM outbox WHERE message_id = ?",
            [message_id],
        ) == [("sent", 2, None)]
    finally:
        controller.stop()


def test_sending_the_same_report_again_mails_nobody_twice(
    invoke: Invoke, shop: Path, stopped_port: int
) -> None:
    """A send interrupted (server down, or the process killed after queueing) and run
    again replaces the waiting copy by a fresh one (superseded: `outbox retry` does not
    send it too); a send that went through is not repeated, unless --resend."""
    port = stopped_port
    set_rules(shop, smtp_config(port))
    send = ("report", "send", "--pack", "ceo", "--period", "2026-06")

    down = run_cli(invoke, shop, *send)
    assert down.exit_code == EXIT_CONDITION
    ((first, *_),) = report_outbox(shop)

    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        inbox: Inbox = controller.handler
        again = run_cli(invoke, shop, *send, minutes=5)
        assert again.exit_code == EXIT_OK, again.stderr
        ((m1, *r1), (m2, *r2)) = report_outbox(shop)
        assert (m1, r1[4]) == (first, "superseded") and r2[4] == "sent"
        assert again.stdout == f"{m2} email boss@example.com: sent\n"
        assert len(inbox.received) == 1
        retry = run_cli(invoke, shop, "outbox", "retry", minutes=6)
        assert retry.stdout == "Nothing to send.\n" and len(inbox.received) == 1

        third = run_cli(invoke, shop, *send, minutes=10)
        assert third.exit_code == EXIT_OK, third.stderr
        assert third.stdout.startswith(f"{m2} email boss@example.com: skipped (sent already at ")
        assert "--resend" in third.stdout
        assert len(inbox.received) == 1 and len(report_outbox(shop)) == 2
        audit = rows(shop, "SELECT changes::VARCHAR FROM audit_log WHERE command = 'report send'")
        # the third send found everyone served: it built nothing and wrote nothing
        assert [json.loads(a) for (a,) in audit][1:] == [{"outbox": [m2], "superseded": [first]}]

        resent = run_cli(invoke, shop, *send, "--resend", minutes=15)
        assert resent.exit_code == EXIT_OK, resent.stderr
        assert len(inbox.received) == 2
        assert [m[5] for m in report_outbox(shop)] == ["superseded", "sent", "sent"]

        other = run_cli(invoke, shop, "report", "send", "--pack", "ceo", "--period", "2026-05")
        assert other.exit_code == EXIT_OK  # another period is another report
        assert len(inbox.received) == 3
    finally:
        controller.stop()


def test_a_failed_copy_is_superseded_so_outbox_retry_does_not_send_it_too(
    invoke: Invoke, shop: Path, smtp_server: StartServer
) -> None:
    controller, inbox = smtp_server()
    set_rules(shop, smtp_config(controller.port))
    send = ("report", "send", "--pack", "ceo", "--period", "2026-06")
    run_cli(invoke, shop, *send)  # sent: then pretend it failed (e.g. a refused password)
    con = duckdb.connect(str(shop / "ordertrack.duckdb"))
    try:
        con.execute("UPDATE outbox SET status = 'failed', sent_at = NULL")
    finally:
        con.close()
    inbox.received.clear()

    again = run_cli(invoke, shop, *send, minutes=5)
    assert again.exit_code == EXIT_OK, again.stderr
    retry = run_cli(invoke, shop, "outbox", "retry", minutes=6)
    assert retry.exit_code == EXIT_OK
    assert [m[5] for m in report_outbox(shop)] == ["superseded", "sent"]
    assert len(inbox.received) == 1
