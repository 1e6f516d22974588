"""Every file of the bad-input corpus (tests/data/bad/) through the real ``ordertrack import``.

Each file has one expectation in :data:`EXPECT`: the exit code (0 or 2, see
docs/exit-codes.md) and then either the whole-file refusal (``Error: FILE: …`` naming the
line where there is one, database unchanged: every table's row count and checksum) or
the rows: exactly which were rejected (row and column as Excel or an editor shows them,
the reason, the original cell kept in ``raw_row``) and exactly which values landed.

The workspace is seeded with orders SO-001 … SO-020 (客户N, 2026-06-01, 2026-06-20, 1000),
so a file whose ids only *look* different (full-width, padded, zero-width characters)
must leave them unchanged instead of adding look-alike orders.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import PYTHON, ROOT, Invoke, subprocess_env
from test_import import DATA_TABLES, import_text

from ordertrack.errors import EXIT_CODES, EXIT_OK, EXIT_USER

BAD = ROOT / "tests" / "data" / "bad"
NOT_CORPUS = {"README.md", "make_corpus.py", "__pycache__"}

PROFILES = """
[profiles.utf8_orders]
preset = "orders"
encoding = "utf-8"

[profiles.gbk_orders]
preset = "orders"
encoding = "gb18030"

[profiles.big5_orders]
preset = "orders"
encoding = "big5"

[profiles.latin1_orders]
preset = "orders"
encoding = "latin-1"

[profiles.eu_orders]
preset = "orders"
decimal = ","
"""

D1 = date(2026, 6, 1)
D20 = date(2026, 6, 20)

Row = tuple[str, str | None, date | None, date | None, Decimal | None]


def o(
    order_id: str,
    customer: str | None = "客户",
    od: date | None = D1,
    pd: date | None = None,
    amount: str | None = "1",
) -> Row:
    """An order as the import should store it (the corpus' usual row: 客户, 2026-06-01, 1)."""
    return (
        order_id,
        customer,
        od,
        pd,
        None if amount is None else Decimal(amount).quantize(Decimal("0.01")),
    )


@dataclass(frozen=True)
class Want:
    """What importing one corpus file must do."""

    code: int = EXIT_OK
    profile: str = "orders"
    error: tuple[str, ...] = ()  # exit 2: fragments of stderr (after "Error: FILE")
    inserted: int = 0
    unchanged: int = 0
    rows: tuple[Row, ...] = ()  # the orders this import wrote, by order_id
    # (row, column, the original cell, a fragment of the reason)
    rejects: tuple[tuple[int, str, str | None, str], ...] = ()
    attrs: dict[str, Any] | None = None  # attrs of the (single) order written
    said: str | None = None  # a line of the summary on stdout


def refused(*fragments: str, profile: str = "orders") -> Want:
    return Want(code=EXIT_USER, error=fragments, profile=profile)


def landed(*orders: Row, unchanged: int = 0, **kw: Any) -> Want:
    return Want(inserted=len(orders), rows=orders, unchanged=unchanged, **kw)


def nd(od: str) -> tuple[int, str, str, str]:
    """A row whose 下单日期 is not a date (the rows of the date files are numbered from 2)."""
    return (0, "下单日期", od, "not a date")


def rej(
    *items: tuple[int, str, str | None, str], start: int = 2
) -> tuple[tuple[int, str, str | None, str], ...]:
    """Number rejects given with row 0 consecutively from ``start``."""
    return tuple((start + i if r == 0 else r, c, v, why) for i, (r, c, v, why) in enumerate(items))


def amt(value: str, why: str = "not a number") -> tuple[int, str, str, str]:
    return (0, "订单金额", value, why)


def excel_day(serial: float) -> date:
    return date(1899, 12, 30) + timedelta(days=int(serial))


SEEDED = 2  # the usual "two look-alike ids, nothing changed"
BIG5 = ["臺灣精密機械股份有限公司", "香港貿易行", "新竹電子廠"]
LATIN1 = ["Müller GmbH", "Café Crème SARL", "Señor Ñandú"]
NOT_TEXT = "is neither UTF-8 nor GBK text"

EXPECT: dict[str, Want] = {
    # -- encodings
    "enc_gbk_undeclared.csv": landed(
        ("G-001", "上海申达机电有限公司", D1, D20, Decimal("1000.00")),
        ("G-002", "苏州凯越精密", date(2026, 6, 2), date(2026, 6, 21), Decimal("2000.00")),
    ),
    "enc_gbk_declared_utf8.csv": refused(
        "not valid UTF-8 text", 'encoding = "utf-8"', 'encoding = "gb18030"', profile="utf8_orders"
    ),
    "enc_utf8_declared_gbk.csv": refused(
        'the file is UTF-8 text, though the profile says encoding = "gb18030"',
        profile="gbk_orders",
    ),
    "enc_gb18030_four_byte.csv": landed(o("G-101", "𠮷野家餐饮", None, None, "5")),
    "enc_mixed_utf8_gbk.csv": refused("mixed encodings: line 1, 2 are UTF-8 but line 3 is GBK"),
    "enc_utf16le_bom.csv": landed(("U-001", "深圳宽带科技", D1, D20, Decimal("1000.00"))),
    "enc_utf16be_bom.csv": landed(("U-001", "深圳宽带科技", D1, D20, Decimal("1000.00"))),
    "enc_utf16le_nobom.csv": landed(("U-001", "深圳宽带科技", D1, D20, Decimal("1000.00"))),
    "enc_utf16be_nobom.csv": landed(("U-001", "深圳宽带科技", D1, D20, Decimal("1000.00"))),
    "enc_big5_declared.csv": Want(
        profile="big5_orders",
        inserted=3,
        rows=tuple(o(f"B-00{i}", n) for i, n in enumerate(BIG5, 1)),
    ),
    "enc_big5_undeclared.csv": refused(f"line 2 {NOT_TEXT}", 'encoding = "big5"'),
    "enc_latin1_declared.csv": Want(
        profile="latin1_orders",
        inserted=3,
        rows=tuple(o(f"L-00{i}", n) for i, n in enumerate(LATIN1, 1)),
    ),
    "enc_latin1_undeclared.csv": refused(f"line 3 {NOT_TEXT}"),
    "enc_nul_bytes.csv": refused("line 2 contains NUL bytes"),
    "enc_truncated_utf8.csv": refused("line 3 is not valid UTF-8 text", "cut short"),
    "enc_truncated_gbk.csv": refused(f"line 3 {NOT_TEXT}"),
    "enc_invalid_bytes.csv": refused(f"line 3 {NOT_TEXT}"),
    "enc_utf8_bom.csv": landed(o("E-001", "带BOM公司")),
    "enc_binary_garbage.csv": refused(f"line 1 {NOT_TEXT}"),
    # -- Excel
    "xlsx_truncated_zip.xlsx": refused("cannot read the workbook"),
    "xlsx_zip_not_xlsx.xlsx": refused("cannot read the workbook"),
    "xlsx_random_bytes.xlsx": refused("not a valid Excel workbook"),
    "xlsx_no_sheets.xlsx": refused("the workbook has no sheets"),
    "xlsx_empty_sheet.xlsx": refused(
        "header row not found for profile orders; headers seen: (nothing)"
    ),
    "xlsx_password.xlsx": refused("password-protected", "remove the password"),
    "xlsx_is_old_xls.xlsx": refused(
        "an old .xls saved with an .xlsx name", "rename an old workbook to .xls"
    ),
    "xls_html_export.xls": refused("a web page (HTML) saved with a .xls name", "save it as .xlsx"),
    "xls_csv_export.xls": refused("a text (CSV) file saved with a .xls name", "Rename it to .csv"),
    "xls_garbage.xls": refused("cannot read the workbook"),
    "xlsx_merged_title.xlsx": landed(o("X-101", "标题公司", D1, D20, "100")),
    "xlsx_header_row5.xlsx": landed(
        o("X-201", "五行公司"), rejects=((7, "下单日期", "2026-13-01", "not a date"),)
    ),
    "xlsx_two_header_rows.xlsx": landed(o("X-301", "双表头公司", amount="300")),
    "xlsx_units_row.xlsx": landed(
        o("X-401", "单位公司", amount="400"),
        rejects=(
            (2, "下单日期", "(日期)", "not a date"),
            (2, "承诺交期", "(日期)", "not a date"),
            (2, "订单编号", None, "missing order_id (订单编号)"),
        ),
    ),
    "xlsx_merged_header_cells.xlsx": landed(
        o("X-501", "合并公司", amount="500"), attrs={"column 6": "442.48"}
    ),
    "xlsx_error_cells.xlsx": landed(
        o("X-601", "好公司"),
        rejects=(
            (3, "客户名称", "#N/A", "Excel error value #N/A in the cell"),
            (4, "订单金额", "#DIV/0!", "Excel error value #DIV/0! in the cell"),
        ),
    ),
    "xlsx_formula_text.xlsx": landed(
        o("X-701", "=cmd|' /C calc'!A0", None),
        o("X-702", "@SUM(A1:A9)", None),
        o("X-703", "+1+2", None),
    ),
    "xlsx_data_on_second_sheet.xlsx": refused(
        "(sheet 封面): header row not found", 'sheet = "订单"'
    ),
    "xlsx_cell_without_header.xlsx": landed(
        o("X-901", "无头公司", None), o("X-902", "无头公司", None)
    ),
    "xlsx_offset_range.xlsx": landed(
        o("X-A01", "偏移公司"), rejects=((5, "下单日期", "bad", "not a date"),)
    ),
    "xlsx_header_only.xlsx": Want(said="no data rows; nothing to import"),
    "xlsx_huge_cell.xlsx": landed(o("X-B01", "长备注公司", None), attrs={"备注": "很长" * 15000}),
    "xlsx_fullwidth_ids.xlsx": Want(unchanged=SEEDED),
    # -- headers
    "hdr_duplicate_headers.csv": landed(
        o("D-001", "重复表头", None, amount="1130"), attrs={"订单金额 (2)": "1000"}
    ),
    "hdr_missing_key.csv": refused("header row not found for profile orders", "订单编号"),
    "hdr_blank_headers.csv": landed(o("D-101", "空表头", None), attrs={"column 6": "无名数据"}),
    "hdr_fullwidth_spaces.csv": landed(o("D-201", "全角空格表头", None)),
    "hdr_newline_in_header.csv": landed(o("D-301", "换行表头", None)),
    "hdr_fullwidth_latin.csv": landed(o("D-401", "Fullwidth Inc", None)),
    "hdr_zero_width.csv": landed(o("D-501", "零宽表头", None)),
    "hdr_unit_suffix.csv": landed(o("D-601", "单位表头", None)),
    "hdr_header_row5.csv": landed(o("D-701", "五行表头", None)),
    "hdr_no_header.csv": refused(
        "header row not found for profile orders; headers seen: D-801", "订单编号"
    ),
    "hdr_two_header_rows.csv": landed(o("D-901", "双表头", None)),
    "hdr_only_delimiters.csv": refused("headers seen: (nothing)"),
    # -- dates
    "date_month_13.csv": landed(
        o("DT-003", od=date(2026, 6, 3)), rejects=rej(nd("2026/13/45"), nd("2026-00-10"))
    ),
    "date_feb_31.csv": landed(
        o("DT-103", od=date(2028, 2, 29)), rejects=rej(nd("2026-02-31"), nd("2027-02-29"))
    ),
    "date_serial_zero.csv": landed(
        o("DT-202", od=excel_day(46174)), rejects=((2, "下单日期", "0", "a date out of range"),)
    ),
    "date_serial_negative.csv": Want(rejects=rej(nd("-1"), nd("-46174"))),
    "date_serial_huge.csv": landed(
        o("DT-403", od=excel_day(73051)),
        rejects=(
            (2, "下单日期", "2958466", "a date out of range"),
            (3, "下单日期", "99999999999", "not a date"),
        ),
    ),
    "date_chinese.csv": landed(
        o("DT-501"), o("DT-502", od=date(2026, 6, 2)), o("DT-503", od=date(2026, 6, 3))
    ),
    "date_mixed_formats.csv": landed(
        *(o(f"DT-60{d}", od=date(2026, 6, d)) for d in range(1, 7)),
        o("DT-607", od=excel_day(46180)),
    ),
    "date_tbd_text.csv": Want(
        rejects=rej(
            *((0, "承诺交期", v, "not a date") for v in ("待定", "TBD", "下周", "N/A", "?"))
        )
    ),
    "date_fullwidth_digits.csv": landed(o("DT-801"), o("DT-802", od=date(2026, 6, 2))),
    "date_bad_time.csv": Want(rejects=rej(nd("2026-06-01 25:00"), nd("2026-06-01 12:61"))),
    "date_two_digit_year.csv": Want(
        rejects=rej(
            (0, "下单日期", "26-6-1", "a date out of range"),
            (0, "下单日期", "6/1/26", "a date out of range"),
        )
    ),
    "date_out_of_range.csv": Want(
        rejects=rej(
            *(
                (0, "下单日期", v, "a date out of range")
                for v in ("1899-12-31", "2201-01-01", "0001-01-01")
            )
        )
    ),
    "date_serial_fraction.csv": landed(o("DT-C01", od=excel_day(46174.75))),
    # -- numbers
    "num_thousands.csv": landed(o("NM-001", amount="1234.5"), o("NM-002", amount="1234567.89")),
    "num_fullwidth_digits.csv": landed(o("NM-101", amount="123"), o("NM-102", amount="1234.5")),
    "num_currency.csv": landed(
        *(o(f"NM-20{i}", amount=str(i * 1000)) for i in range(1, 5)), o("NM-205", amount="5")
    ),
    "num_parentheses.csv": landed(o("NM-301", amount="-100"), o("NM-302", amount="-1200.50")),
    "num_1e400.csv": Want(rejects=rej(amt("1e400"), amt("-1e400"))),
    "num_nan_inf.csv": Want(rejects=rej(amt("NaN"), amt("inf"), amt("-Infinity"))),
    "num_dashes.csv": landed(o("NM-603", amount="0"), rejects=rej(amt("--"), amt("—"))),
    "num_percent.csv": Want(
        rejects=rej(amt("12.5%", "a percentage where an amount"), amt("100%", "a percentage"))
    ),
    "num_decimal_comma.csv": Want(
        rejects=rej(amt("1234,50", 'set decimal = ","'), amt("1.234,50"))
    ),
    "num_decimal_comma_profile.csv": Want(
        profile="eu_orders",
        inserted=2,
        rows=(o("NM-901", amount="1234.50"), o("NM-902", amount="12.5")),
    ),
    "num_too_large.csv": Want(
        rejects=((2, "订单金额", "123456789012345678901", "a number too large for amount"),)
    ),
    "num_text_and_units.csv": Want(
        rejects=rej(*(amt(v) for v in ("100 pcs", "约100", "1.2.3", "0x10", "1_000")))
    ),
    "num_spaces.csv": landed(*(o(f"NM-C0{i}", amount="1234.50") for i in (1, 2, 3))),
    "num_signs.csv": landed(
        o("NM-D01", amount="100"), o("NM-D02", amount="-100"), o("NM-D03", amount="1000")
    ),
    "num_misgrouped.csv": Want(rejects=rej(amt("1,23,456"), amt("12,34.5"))),
    # -- injection: stored verbatim, as text
    "inj_formula.csv": landed(
        o("FI-001", "=cmd|' /C calc'!A0"),
        o("FI-002", "+1+2"),
        o("FI-003", "-2+3"),
        o("FI-004", "@SUM(A1)"),
        o("FI-005", '=HYPERLINK("http://evil.example","点我")'),
    ),
    "inj_formula_in_id.csv": landed(o("=1+1", "公式编号"), o("FI-102", "=SUM(A1)")),
    "inj_formula_in_amount.csv": Want(rejects=rej(amt("=1+1"), amt("=A1*2"))),
    "inj_html.csv": landed(
        o("HI-001", "<script>alert('x')</script>"),
        o("HI-002", '<img src=x onerror="alert(1)">'),
        o("HI-003", "A &amp; B <b>Co</b>"),
    ),
    "inj_sql.csv": landed(
        o("SQ-001'); DROP TABLE orders; --", "Robert'); DROP TABLE orders; --"),
        o("SQ-002", "' OR '1'='1"),
    ),
    "inj_json_in_extra_column.csv": landed(
        o("JS-001", "JSON公司", None), attrs={"备注": '{"a": 1, "b": [2]}'}
    ),
    # -- Unicode
    "uni_fullwidth_ids.csv": Want(unchanged=SEEDED),
    "uni_ideographic_space_ids.csv": Want(unchanged=SEEDED),
    "uni_zero_width_ids.csv": Want(unchanged=3),
    "uni_rtl_marks.csv": landed(o("RT-001", "\u202eevil\u202c Ltd"), unchanged=1),
    "uni_emoji.csv": landed(
        o("EM-001", "🚀火箭贸易"),
        o("EM-002", "👨\u200d👩\u200d👧 家庭用品"),
        o("EM-003", "🇨🇳 国旗"),
    ),
    "uni_combining.csv": landed(
        o("CB-001", "Cafe\u0301 Ltd"), o("CB-002", "Z\u0335\u0321a\u0336lgo")
    ),
    "uni_nfd_ids.csv": landed(o("CAFÉ-1", "NFC公司", None)),
    "uni_nfd_customer.csv": landed(o("NF-001", "Cre\u0300me Bru\u0302le\u0301e SARL")),
    "uni_space_only_id.csv": landed(
        o("UN-001", "有编号"),
        rejects=rej(
            (0, "订单编号", "\u3000\u3000", "missing order_id (订单编号)"),
            (0, "订单编号", "\u00a0", "missing order_id (订单编号)"),
        ),
    ),
    "uni_fullwidth_space_inside_id.csv": landed(o("SO 013", "内部空格")),
    # -- huge cells
    "huge_cell.csv": landed(o("HG-001", "长备注", None), attrs={"备注": "长" * 4000 + "x" * 35000}),
    "huge_customer_name.csv": landed(o("HG-101", "名" * 6000 + "n" * 14000)),
    "huge_too_many_columns.csv": refused("the header has 2105 columns; at most 2000 are supported"),
    "huge_long_id.csv": landed(o("L" * 5000, "长编号")),
    # -- CSV structure
    "csv_unclosed_quote.csv": refused("line 2: a quoted cell is not closed"),
    "csv_ragged_more.csv": refused("line 3 has 6 cells but the header has 5"),
    "csv_ragged_fewer.csv": landed(
        o("CS-201", "短行", None, None, None), o("CS-202", "正常", D1, D20, "5")
    ),
    "csv_only_delimiter.csv": refused("headers seen: (nothing)"),
    "csv_semicolon.csv": landed(o("CS-301", "分号公司", amount="1234.5")),
    "csv_tab.tsv": landed(o("CS-401", "制表符公司")),
    "csv_tab_named_csv.csv": landed(o("CS-402", "制表符公司二", amount="1000")),
    "csv_pipe.csv": landed(o("CS-403", "竖线公司")),
    "csv_crlf.csv": landed(o("CS-501", "回车换行"), o("CS-502", "第二行")),
    "csv_cr_only.csv": landed(o("CS-601", "仅回车"), o("CS-602", "第二行")),
    "csv_mixed_line_ends.csv": landed(
        o("CS-701", "混合", None), o("CS-702", "混合二", None, amount="2")
    ),
    "csv_bom_in_middle.csv": landed(o("CS-801", "头"), o("CS-802", "中间BOM", None)),
    "csv_two_boms.csv": landed(o("CS-901", "双BOM")),
    "csv_empty_lines.csv": landed(
        o("CS-A01", "空行", None), rejects=((6, "下单日期", "bad", "not a date"),)
    ),
    "csv_empty.csv": refused("the file is empty"),
    "csv_header_only.csv": Want(said="no data rows; nothing to import"),
    "csv_header_only_no_newline.csv": Want(said="no data rows; nothing to import"),
    "csv_blank_lines_only.csv": refused("headers seen: (nothing)"),
    "csv_trailing_delimiters.csv": landed(o("CS-B01", "尾逗号")),
    "csv_quoted_newlines.csv": landed(o("CS-C01", '第一行\n第二行 "引号"'), o("CS-C02", "普通")),
    "csv_backslash_quotes.csv": refused("line 2: a quoted cell is not closed"),
    "csv_total_row.csv": landed(o("CS-E01", amount="100"), o("CS-E02", amount="200")),
    "csv_no_final_newline.csv": landed(o("CS-F01", "无结尾换行")),
    "csv_stray_quote.csv": landed(o("CS-G01", '5" pipe Co', None)),
    "csv_excel_sep_line.csv": landed(o("CS-H01", "分隔提示")),
    "csv_xlsx_bytes.csv": refused("an Excel workbook saved with a .csv name", "Rename it to .xlsx"),
    "csv_duplicate_keys.csv": landed(
        o("CS-I02", amount="2"),
        rejects=tuple(
            (r, "订单金额", v, "order CS-I01: 订单金额 differs between rows 2, 4 (1.00 vs 3.00)")
            for r, v in ((2, "1"), (4, "3"))
        ),
    ),
    "csv_html_as_csv.csv": refused("header row not found for profile orders; headers seen: <html"),
    # -- file types
    "type_pdf.pdf": refused("unsupported file type .pdf"),
    "type_json.json": refused("unsupported file type .json"),
    "type_pdf_named_csv.csv": refused(f"line 3 {NOT_TEXT}"),
}


def corpus_files() -> list[str]:
    return sorted(p.name for p in BAD.iterdir() if p.name not in NOT_CORPUS)


# -- the workspace every file is imported into ------------------------------------------------


@pytest.fixture(scope="session")
def _seeded(tmp_path_factory: pytest.TempPathFactory, _initialized: Path) -> Path:
    """The session's initialised workspace plus the corpus profiles and SO-001 … SO-020."""
    from ordertrack import open_workspace
    from ordertrack.ingest import ImportOptions, import_files

    root = tmp_path_factory.mktemp("corpus") / "ws"
    shutil.copytree(_initialized, root)
    config = root / "ordertrack.toml"
    config.write_text(config.read_text(encoding="utf-8") + PROFILES, encoding="utf-8")
    seed = root.parent / "seed.csv"
    seed.write_text(
        "订单编号,客户名称,下单日期,承诺交期,订单金额\n"
        + "".join(f"SO-{i:03d},客户{i % 10},2026-06-01,2026-06-20,1000\n" for i in range(1, 21)),
        encoding="utf-8",
    )
    [result] = import_files(open_workspace(root), [seed], ImportOptions(profile="orders"))
    assert (result.status, result.inserted) == ("ok", 20), result
    return root


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int | None]]:
    """Row count and a checksum of every row of every table the importer may write."""
    sql = " UNION ALL ".join(
        f"SELECT '{t}', count(*), sum(hash(x)::HUGEINT) FROM {t} x" for t in DATA_TABLES
    )
    return {t: (int(n), None if c is None else int(c)) for t, n, c in con.execute(sql).fetchall()}


def _open(ws: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(ws / "ordertrack.duckdb"), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


@pytest.fixture(scope="session")
def _seeded_snapshot(_seeded: Path) -> dict[str, tuple[int, int | None]]:
    """The template's tables (every test's workspace starts as a byte copy of it)."""
    con = _open(_seeded)
    try:
        return _snapshot(con)
    finally:
        con.close()


@pytest.fixture
def seeded(tmp_path: Path, _seeded: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(_seeded, root)
    return root.resolve()


# -- the corpus itself -----------------------------------------------------------------------


def test_every_corpus_file_has_an_expectation_and_a_manifest_line() -> None:
    files = corpus_files()
    assert len(files) >= 100
    assert sorted(EXPECT) == files
    manifest = (BAD / "README.md").read_text(encoding="utf-8")
    missing = [f for f in files if f"| `{f}` |" not in manifest]
    assert missing == []


def test_corpus_files_are_small() -> None:
    sizes = {f: (BAD / f).stat().st_size for f in corpus_files()}
    assert {f: n for f, n in sizes.items() if n >= 50_000} == {}
    assert sum(sizes.values()) < 2_000_000


def test_the_committed_corpus_is_what_the_script_writes(tmp_path: Path) -> None:
    subprocess.run(
        [PYTHON, str(BAD / "make_corpus.py"), str(tmp_path / "again")],
        check=True,
        capture_output=True,
        env=subprocess_env(),
    )
    for name in [*corpus_files(), "README.md"]:
        assert (tmp_path / "again" / name).read_bytes() == (BAD / name).read_bytes(), name


# -- every file through `ordertrack import` ---------------------------------------------------


ORDER_COLUMNS = "order_id, customer, order_date, promised_date, amount"


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_import_corpus_file(
    name: str,
    invoke: Invoke,
    seeded: Path,
    tmp_path: Path,
    _seeded_snapshot: dict[str, tuple[int, int | None]],
) -> None:
    want = EXPECT[name]
    shutil.copyfile(BAD / name, tmp_path / name)
    result = import_text(invoke, seeded, name, "--profile", want.profile)
    assert result.exit_code in EXIT_CODES
    assert result.exit_code == want.code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    if want.code != EXIT_OK:
        flat = " ".join(result.stderr.split())  # rich may wrap long lines
        assert result.stderr.startswith(f"Error: {name}"), result.stderr
        for fragment in want.error:
            assert fragment in flat, (fragment, result.stderr)
    con = _open(seeded)  # one read-only connection for every check below
    try:
        if want.code != EXIT_OK:
            assert _snapshot(con) == _seeded_snapshot  # refused as a whole: nothing written
        else:
            assert result.stderr == ""
            check_rows(con, name, want, result.stdout)
    finally:
        con.close()


def check_rows(con: duckdb.DuckDBPyConnection, name: str, want: Want, stdout: str) -> None:
    """The counts, the orders written, the seeded orders untouched, the rejects."""

    def rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return con.execute(sql, params or []).fetchall()

    [(import_id, inserted, updated, unchanged, rejected)] = rows(
        "SELECT import_id, inserted, updated, unchanged, rejected FROM imports "
        "WHERE file_name = ? AND status = 'ok'",
        [name],
    )
    bad_rows = len({r[0] for r in want.rejects})
    assert (inserted, updated, unchanged, rejected) == (
        want.inserted,
        0,
        want.unchanged,
        bad_rows,
    )
    written = rows(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE import_id = ? ORDER BY order_id",
        [import_id],
    )
    assert written == sorted(want.rows)
    # nothing else changed: the seeded orders are as they were
    assert rows(f"SELECT {ORDER_COLUMNS} FROM orders WHERE import_id = 1 ORDER BY 1") == [
        (f"SO-{i:03d}", f"客户{i % 10}", D1, D20, Decimal("1000.00")) for i in range(1, 21)
    ]
    if want.attrs is not None:
        [(attrs,)] = rows("SELECT attrs FROM orders WHERE import_id = ?", [import_id])
        assert json.loads(attrs) == want.attrs
    got = rows(
        "SELECT row_no, column_name, json_extract_string(raw_row, column_name), reason "
        "FROM import_rejects WHERE import_id = ? ORDER BY row_no, column_name",
        [import_id],
    )
    assert [g[:3] for g in got] == [w[:3] for w in sorted(want.rejects, key=lambda w: w[:2])]
    for g, w in zip(got, sorted(want.rejects, key=lambda w: w[:2]), strict=True):
        assert w[3] in g[3], (g, w)
    if want.rejects:
        first = min(want.rejects, key=lambda w: w[:2])
        flat = " ".join(stdout.split())
        rows = "1 row" if bad_rows == 1 else f"{bad_rows:,} rows"
        assert f"{name}: {rows} rejected" in flat, stdout
        assert f"row {first[0]}, {first[1]}" in flat, stdout
    if want.said:
        assert f"{name}: the file has a header but {want.said}" in stdout
