"""Bad input files: each gives one clear ``Error:`` (exit 2) or rejected rows, never a traceback.

When a whole file fails, the database is exactly as before (row counts and checksums of
every table compared). The files of ``sample_data/broken/`` (one per common mistake, see
its README) are copied into the test's folder and imported by name, so the messages show
the name a clerk would type.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import ROOT, Invoke
from test_import import (
    ORDERS_HEADER,
    add_profiles,
    assert_counts,
    count,
    import_one,
    import_text,
    one,
    orders_csv,
    rows,
    run_import,
    seed_orders,
    snapshot,
    write_csv,
    write_xlsx,
)
from typer.testing import Result

from ordertrack.errors import EXIT_OK, EXIT_USER

BROKEN = ROOT / "sample_data" / "broken"


Broken = Callable[[str], str]


@pytest.fixture
def broken(tmp_path: Path) -> Broken:
    """Copy ``sample_data/broken/NAME`` into the test folder (the cwd); return its name."""

    def copy(name: str) -> str:
        shutil.copyfile(BROKEN / name, tmp_path / name)
        return name

    return copy


def assert_error(result: Result, *fragments: str) -> None:
    """Exit 2, ``Error: …`` on stderr naming every fragment, no traceback."""
    assert result.exit_code == EXIT_USER, (result.stdout, result.stderr)
    assert "Error: " in result.stderr, result.stderr
    assert "Traceback" not in result.output
    flat = " ".join(result.stderr.split())  # rich may wrap long lines
    for fragment in fragments:
        assert fragment in flat, (fragment, result.stderr)


def fails_cleanly(invoke: Invoke, ws: Path, *args: str) -> Result:
    """Import that must fail as a whole: exit 2 and the database untouched."""
    before = snapshot(ws)
    result = import_text(invoke, ws, *args)
    assert result.exit_code == EXIT_USER, (result.stdout, result.stderr)
    assert snapshot(ws) == before
    return result


def reject_rows(ws: Path) -> list[tuple[object, ...]]:
    return rows(
        ws,
        "SELECT row_no, column_name, raw_value, reason FROM import_rejects ORDER BY row_no, column_name",
    )


# ---------------------------------------------------------------------------------------
# the file itself


def test_empty_file(invoke: Invoke, workspace: Path, tmp_path: Path, broken: Broken) -> None:
    result = fails_cleanly(invoke, workspace, broken("empty.csv"), "--profile", "orders")
    assert result.stderr.startswith("Error: empty.csv: the file is empty\nHint: Export it again")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    result = fails_cleanly(invoke, workspace, "empty.xlsx")
    assert result.stderr.startswith("Error: empty.xlsx: the file is empty")


def test_header_only(invoke: Invoke, workspace: Path, broken: Broken) -> None:
    result = import_one(invoke, workspace, broken("header_only.csv"))
    assert result["status"] == "ok"
    assert result["profile"] == "orders"
    assert result["rows_read"] == 0
    assert_counts(result, inserted=0)
    assert count(workspace, "orders") == 0
    assert count(workspace, "imports") == 1


def test_header_only_says_it_had_no_rows(invoke: Invoke, workspace: Path, broken: Broken) -> None:
    result = import_text(invoke, workspace, broken("header_only.csv"))
    assert result.exit_code == EXIT_OK
    assert (
        "header_only.csv: the file has a header but no data rows; nothing to import"
        in result.stdout
    )


def test_file_not_found_directory_and_unsupported_type(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    result = fails_cleanly(invoke, workspace, "nope.csv")
    assert result.stderr == "Error: nope.csv: file not found\nHint: Check the name and folder.\n"
    [failed] = run_import(
        invoke, workspace, "nope.csv", code=EXIT_USER
    )  # --json: the same, as data
    assert (failed["status"], failed["message"]) == ("failed", "nope.csv: file not found")
    (tmp_path / "exports").mkdir()
    result = fails_cleanly(invoke, workspace, "exports")
    assert_error(result, "exports: is a folder, not a file", "exports/*.xlsx")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4\n")
    result = fails_cleanly(invoke, workspace, "report.pdf")
    assert_error(
        result, "report.pdf: unsupported file type .pdf", ".csv, .tsv, .txt, .xls, .xlsm, .xlsx"
    )
    (tmp_path / "README").write_text("x")
    assert_error(
        fails_cleanly(invoke, workspace, "README"), "README: unsupported file type (no extension)"
    )


def test_a_glob_matching_nothing(invoke: Invoke, workspace: Path) -> None:
    result = fails_cleanly(invoke, workspace, "exports/*.xlsx")
    assert result.stderr.startswith(
        "Error: exports/*.xlsx: no files match\nHint: Check the pattern and folder."
    )


def test_one_bad_file_does_not_stop_the_others(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    orders_csv(tmp_path / "orders.csv", [["SO-1", "甲", "2026-06-01", "", "1"]])
    (tmp_path / "broken.xlsx").write_bytes(os.urandom(500))
    result = import_text(invoke, workspace, "orders.csv", "broken.xlsx")
    assert_error(result, "broken.xlsx: not a valid Excel workbook")
    assert "ok #1" in result.stdout
    assert count(workspace, "orders") == 1


def test_corrupt_xlsx(invoke: Invoke, workspace: Path, tmp_path: Path, broken: Broken) -> None:
    result = fails_cleanly(invoke, workspace, broken("corrupt.xlsx"))
    assert result.stderr.startswith(
        "Error: corrupt.xlsx: not a valid Excel workbook (the file is damaged or not Excel)\n"
        "Hint: Open it in Excel and save it again as .xlsx, or export it again."
    )
    (tmp_path / "random.xlsx").write_bytes(os.urandom(4096))
    assert_error(
        fails_cleanly(invoke, workspace, "random.xlsx"), "random.xlsx: not a valid Excel workbook"
    )
    # a zip that was cut short (an interrupted download)
    (tmp_path / "cut.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(2000))
    assert_error(fails_cleanly(invoke, workspace, "cut.xlsx"), "cut.xlsx: cannot read the workbook")
    # a real workbook whose second half is missing
    good = write_xlsx(tmp_path / "whole.xlsx", [ORDERS_HEADER, ["SO-1", "甲", "", "", 1]])
    (tmp_path / "half.xlsx").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert_error(fails_cleanly(invoke, workspace, "half.xlsx"), "half.xlsx:")


def test_password_protected_xlsx(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    # Excel saves an encrypted workbook as an OLE compound file, whatever its name
    (tmp_path / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4088)
    result = fails_cleanly(invoke, workspace, "locked.xlsx")
    assert_error(
        result, "locked.xlsx: the workbook is password-protected (encrypted)", "remove the password"
    )


def test_excel_workbook_saved_as_csv(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "book.xlsx", [ORDERS_HEADER, ["SO-1", "甲", "", "", 1]])
    (tmp_path / "orders.csv").write_bytes(good.read_bytes())
    result = fails_cleanly(invoke, workspace, "orders.csv")
    assert_error(
        result, "orders.csv: this is an Excel workbook saved with a .csv name", "Rename it to .xlsx"
    )


def test_unclosed_quote(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(
        '订单编号,客户名称,订单金额\nSO-1,"甲,1\nSO-2,乙,2\n', encoding="utf-8"
    )
    result = fails_cleanly(invoke, workspace, "orders.csv", "--profile", "orders")
    assert_error(result, "orders.csv: line 2: a quoted cell is not closed", "nothing was imported")


@pytest.mark.parametrize(
    ("encoding", "ends"),
    [
        ("utf-8", ["\r\n", "\n", "\r\n"]),  # Excel's CRLF, then lines pasted with LF
        ("utf-8", ["\n", "\r\n", "\n"]),  # the other way round
        ("gb18030", ["\n", "\r\n", "\r\n"]),  # and in GBK (read through a transcoded copy)
    ],
)
def test_mixed_line_ends_are_read(
    invoke: Invoke, workspace: Path, tmp_path: Path, encoding: str, ends: list[str]
) -> None:
    lines = ["订单编号,客户名称,订单金额", "SO-1,甲,1", "SO-2,乙,2", "SO-3,丙,3"]
    data = "".join(line + end for line, end in zip(lines, [*ends, "\n"], strict=True))
    (tmp_path / "orders.csv").write_bytes(data.encode(encoding))
    imported = import_one(invoke, workspace, str(tmp_path / "orders.csv"), "--profile", "orders")
    assert_counts(imported, inserted=3)
    assert rows(workspace, "SELECT order_id, customer FROM orders ORDER BY 1") == [
        ("SO-1", "甲"),
        ("SO-2", "乙"),
        ("SO-3", "丙"),
    ]


def test_no_break_spaces_around_ids_are_trimmed(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    text = "订单编号,客户名称,订单金额\nSO-1\u00a0,甲,1\n\u202fSO-2,乙,2\n"
    (tmp_path / "orders.csv").write_text(text, encoding="utf-8")
    import_one(invoke, workspace, str(tmp_path / "orders.csv"), "--profile", "orders")
    assert rows(workspace, "SELECT order_id FROM orders ORDER BY 1") == [("SO-1",), ("SO-2",)]


def test_gbk_with_a_user_defined_character_is_read(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    """GBK's user-defined area (rare characters in names, e.g. AAA1) decodes to a
    private-use character: one of them among real Chinese text is not Big5 mojibake."""
    body = "订单编号,客户名称,订单金额\n" + "".join(
        f"SO-{i},上海申达机电设备有限公司,{i}\n" for i in range(1, 20)
    )
    data = body.encode("gb18030") + b"SO-20,\xaa\xa1\xc3\xf7\xbb\xaa,20\n"
    (tmp_path / "orders.csv").write_bytes(data)
    imported = import_one(invoke, workspace, str(tmp_path / "orders.csv"), "--profile", "orders")
    assert_counts(imported, inserted=20)


def test_utf16_le_chinese_without_a_bom_is_read(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    text = "订单编号,客户名称,订单金额\nSO-1,一二三,1\nSO-2,乙,2\n"
    (tmp_path / "orders.csv").write_bytes(text.encode("utf-16-le"))
    imported = import_one(invoke, workspace, str(tmp_path / "orders.csv"), "--profile", "orders")
    assert_counts(imported, inserted=2)
    assert rows(workspace, "SELECT customer FROM orders ORDER BY order_id") == [
        ("一二三",),
        ("乙",),
    ]


# ---------------------------------------------------------------------------------------
# sheets and headers


WRONG_SHEET = """
[profiles.sheet1]
preset = "orders"
sheet = "Sheet1"

[profiles.third_sheet]
preset = "orders"
sheet = 3

[profiles.orders_sheet]
preset = "orders"
sheet = "订单"
"""


def test_wrong_sheet_name_in_the_profile_lists_the_sheets(
    invoke: Invoke, workspace: Path, broken: Broken
) -> None:
    add_profiles(workspace, WRONG_SHEET)
    name = broken("wrong_sheet.xlsx")
    result = fails_cleanly(invoke, workspace, name, "--profile", "sheet1")
    assert result.stderr.startswith(
        'Error: wrong_sheet.xlsx: no sheet named "Sheet1"; the sheets are: 封面, 订单\n'
    )
    assert "Set `sheet` in the profile" in result.stderr
    result = fails_cleanly(invoke, workspace, name, "--profile", "third_sheet")
    assert_error(
        result,
        "wrong_sheet.xlsx: there is no sheet number 3; the workbook has 2 sheets: 封面, 订单",
    )
    # with the right sheet it imports
    imported = import_one(invoke, workspace, name, "--profile", "orders_sheet")
    assert imported["sheet"] == "订单"
    assert imported["rejected"] == 0
    assert imported["inserted"] == count(workspace, "orders") > 0


def test_data_on_another_sheet_is_pointed_out(
    invoke: Invoke, workspace: Path, broken: Broken
) -> None:
    result = fails_cleanly(invoke, workspace, broken("wrong_sheet.xlsx"))
    assert_error(result, "wrong_sheet.xlsx", "封面", "订单")
    assert 'sheet = "订单"' in result.stderr


def test_header_row_not_found_lists_the_headers_seen(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    add_profiles(workspace, '[profiles.at_row_5]\npreset = "orders"\nheader_row = 5\n')
    write_xlsx(tmp_path / "orders.xlsx", [ORDERS_HEADER, ["SO-1", "甲", "", "", 1]])
    result = fails_cleanly(invoke, workspace, "orders.xlsx", "--profile", "at_row_5")
    assert_error(
        result,
        "orders.xlsx: header row not found for profile at_row_5; headers seen: 订单编号, 客户名称, 下单日期, 承诺交期, 订单金额",
    )


def test_header_row_not_found_lists_the_profiles_expectations(
    invoke: Invoke,
    workspace: Path,
    tmp_path: Path,
    broken: Broken,
) -> None:
    add_profiles(workspace, '[profiles.at_row_5]\npreset = "orders"\nheader_row = 5\n')
    write_xlsx(tmp_path / "orders.xlsx", [ORDERS_HEADER, ["SO-1", "甲", "", "", 1]])
    result = fails_cleanly(invoke, workspace, "orders.xlsx", "--profile", "at_row_5")
    assert_error(result, "订单编号 / 订单号 / 单据编号")
    assert "no profile recognised any header" not in result.stderr
    result = fails_cleanly(invoke, workspace, broken("no_header.csv"), "--profile", "orders")
    assert_error(result, "no_header.csv", "订单编号")


def test_no_header_at_all(invoke: Invoke, workspace: Path, broken: Broken) -> None:
    result = fails_cleanly(invoke, workspace, broken("no_header.csv"))
    assert_error(
        result,
        "no_header.csv: no profile matches the headers; headers seen: 1000, 5, 45497.00, 5",
        "ordertrack profile suggest FILE",
    )


def test_a_value_in_a_column_without_a_header_is_kept(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    write_xlsx(
        tmp_path / "orders.xlsx",
        [["订单编号", "客户名称", None], ["SO-1", "甲", "见附件"], ["SO-2", "乙", None]],
    )
    result = import_one(invoke, workspace, str(tmp_path / "orders.xlsx"), "--profile", "orders")
    assert_counts(result, inserted=2)
    assert rows(workspace, "SELECT order_id, attrs->>'column 3' FROM orders ORDER BY 1") == [
        ("SO-1", "见附件"),
        ("SO-2", None),
    ]


# ---------------------------------------------------------------------------------------
# encodings


GBK_ROWS = ["SO-2604-0041", "SO-2604-0042", "SO-2604-0043", "SO-2604-0044", "SO-2604-0045"]


def test_gbk_file_declared_utf8(invoke: Invoke, workspace: Path, broken: Broken) -> None:
    add_profiles(workspace, '[profiles.legacy]\npreset = "orders"\nencoding = "utf-8"\n')
    result = fails_cleanly(
        invoke, workspace, broken("gbk_declared_utf8.csv"), "--profile", "legacy"
    )
    assert result.stderr.startswith("Error: gbk_declared_utf8.csv: not valid UTF-8 text (byte ")
    assert_error(result, 'though the profile says encoding = "utf-8"', 'set encoding = "gb18030"')


def test_gbk_file_without_a_declared_encoding_is_detected(
    invoke: Invoke,
    workspace: Path,
    tmp_path: Path,
    broken: Broken,
) -> None:
    name = broken("gbk_declared_utf8.csv")
    text = (tmp_path / name).read_bytes().decode("gbk")
    # the demo has these orders with exactly these values: importing them again changes nothing
    (tmp_path / "demo_orders.csv").write_text(text, encoding="utf-8")
    import_one(invoke, workspace, "demo_orders.csv", "--profile", "orders")
    result = import_one(invoke, workspace, name, "--profile", "orders")
    assert result["encoding"] == "gb18030"
    assert_counts(result, inserted=0, unchanged=5)
    assert [r[0] for r in rows(workspace, "SELECT order_id FROM orders ORDER BY 1")] == GBK_ROWS
    assert (
        one(workspace, "SELECT customer FROM orders WHERE order_id = 'SO-2604-0041'")
        == "南京紫金数控机床有限公司"
    )


def test_mixed_encodings(invoke: Invoke, workspace: Path, broken: Broken) -> None:
    result = fails_cleanly(invoke, workspace, broken("mixed_encoding.csv"), "--profile", "orders")
    assert result.stderr.startswith(
        "Error: mixed_encoding.csv: mixed encodings: line 1, 2, 6 are UTF-8 but line 3, 5 are GBK\n"
    ), result.stderr
    assert "save it in one encoding" in result.stderr


def test_gb18030_declared_file_with_a_bad_byte(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    add_profiles(workspace, '[profiles.gbk]\npreset = "orders"\nencoding = "gb18030"\n')
    data = "订单编号,客户名称\nSO-1,甲\nSO-2,乙\n".encode("gb18030") + b"SO-3,\x81\x20\n"
    (tmp_path / "orders.csv").write_bytes(data)
    result = fails_cleanly(invoke, workspace, "orders.csv", "--profile", "gbk")
    assert_error(result, "orders.csv: line 4 is not valid GB18030 text")


def test_unknown_encoding_name(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    add_profiles(workspace, '[profiles.odd]\npreset = "orders"\nencoding = "klingon"\n')
    orders_csv(tmp_path / "orders.csv", [["SO-1", "甲", "", "", ""]])
    result = fails_cleanly(invoke, workspace, "orders.csv", "--profile", "odd")
    assert_error(result, 'orders.csv: unknown encoding "klingon"')


# ---------------------------------------------------------------------------------------
# cells


def test_huge_cell_is_kept_in_attrs(invoke: Invoke, workspace: Path, broken: Broken) -> None:
    result = import_one(invoke, workspace, broken("huge_cell.csv"), "--profile", "orders")
    assert_counts(result, inserted=2)
    assert rows(workspace, "SELECT order_id, length(attrs->>'备注') FROM orders ORDER BY 1") == [
        ("SO-2699-0601", 119958),
        ("SO-2699-0602", 2),
    ]


def test_a_mapped_text_cell_over_100k_characters_is_rejected(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    big = "长" * 100_001
    orders_csv(
        tmp_path / "orders.csv", [["SO-1", big, "", "", ""], ["SO-2", "甲" * 100_000, "", "", ""]]
    )
    result = import_one(invoke, workspace, "orders.csv")
    assert_counts(result, inserted=1, rejected=1)
    assert one(
        workspace, "SELECT row_no, column_name, length(raw_value), reason FROM import_rejects"
    ) == (
        2,
        "客户名称",
        200,
        "text longer than 100,000 characters",
    )
    assert one(workspace, "SELECT length(customer) FROM orders") == 100_000


def test_excel_error_values_sample(invoke: Invoke, workspace: Path, broken: Broken) -> None:
    result = import_one(invoke, workspace, broken("excel_errors.xlsx"))
    assert_counts(result, inserted=1, rejected=3)
    assert reject_rows(workspace) == [
        (3, "客户名称", "#N/A", "Excel error value #N/A in the cell"),
        (3, "订单金额", "#REF!", "Excel error value #REF! in the cell"),
        (4, "下单日期", "#VALUE!", "Excel error value #VALUE! in the cell"),
        (4, "订单金额", "#DIV/0!", "Excel error value #DIV/0! in the cell"),
        (5, "订单编号", "#N/A", "Excel error value #N/A in the cell"),
    ]
    assert rows(workspace, "SELECT order_id, customer FROM orders") == [
        ("SO-2699-0401", "常州天宇电气有限公司")
    ]
    assert (
        one(workspace, "SELECT count(*) FROM orders WHERE customer LIKE '#%' OR order_id LIKE '#%'")
        == 0
    )


def test_excel_error_cells_written_by_openpyxl(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    sh = wb.active
    assert sh is not None
    sh.append(["订单编号", "客户名称", "订单金额", "备注"])
    sh.append(["SO-1", "甲", 1, "ok"])
    sh.append(["SO-2", None, 2, None])
    sh.append(["SO-3", "丙", None, None])
    for ref, err in (("B3", "#N/A"), ("C4", "#REF!"), ("D3", "#NAME?")):
        sh[ref] = err
        sh[ref].data_type = "e"
    wb.save(tmp_path / "orders.xlsx")
    result = import_one(invoke, workspace, "orders.xlsx", "--profile", "orders")
    assert_counts(result, inserted=1, rejected=2)
    assert reject_rows(workspace) == [
        (3, "客户名称", "#N/A", "Excel error value #N/A in the cell"),
        (4, "订单金额", "#REF!", "Excel error value #REF! in the cell"),
    ]


def test_formula_like_text_is_stored_as_text(
    invoke: Invoke, workspace: Path, tmp_path: Path, broken: Broken
) -> None:
    result = import_one(invoke, workspace, broken("formula_injection.csv"), "--profile", "orders")
    assert_counts(result, inserted=5)
    assert rows(workspace, "SELECT customer FROM orders ORDER BY order_id") == [
        ('=HYPERLINK("http://x","click")',),
        ("+1+2",),
        ("@SUM(A1)",),
        ("-2+3",),
        ("=cmd|' /C calc'!A0",),
    ]
    # the same in an XLSX text cell
    wb = openpyxl.Workbook()
    sh = wb.active
    assert sh is not None
    sh.append(["订单编号", "客户名称"])
    sh.append(["SO-9", "x"])
    sh["B2"] = '=HYPERLINK("http://evil.example","点我")'
    sh["B2"].data_type = "s"  # text that looks like a formula, not a formula
    wb.save(tmp_path / "book.xlsx")
    import_one(invoke, workspace, "book.xlsx", "--profile", "orders")
    assert (
        one(workspace, "SELECT customer FROM orders WHERE order_id = 'SO-9'")
        == '=HYPERLINK("http://evil.example","点我")'
    )


def _with_cached_value(path: Path, cell: str, value: str) -> None:
    """Give a formula cell the cached value Excel would have saved with it."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    start = sheet.index(f'<c r="{cell}"')
    end = sheet.index("</c>", start)
    body = sheet[start:end].replace("<v />", "").replace("<v></v>", "") + f"<v>{value}</v>"
    parts["xl/worksheets/sheet1.xml"] = (sheet[:start] + body + sheet[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def test_formula_cells_use_their_cached_values(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "orders.xlsx",
        [["订单编号", "客户名称", "订单金额"], ["SO-1", "甲", 123], ["SO-2", "乙", "=C2*2"]],
    )
    _with_cached_value(path, "C3", "246")
    result = import_one(invoke, workspace, "orders.xlsx", "--profile", "orders")
    assert_counts(result, inserted=2)
    assert rows(workspace, "SELECT order_id, amount FROM orders ORDER BY 1") == [
        ("SO-1", Decimal("123.00")),
        ("SO-2", Decimal("246.00")),
    ]


def test_formula_without_a_cached_value_is_not_lost_silently(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    write_xlsx(
        tmp_path / "orders.xlsx",
        [["订单编号", "客户名称", "订单金额"], ["SO-1", "甲", 123], ["SO-2", "乙", "=C2*2"]],
    )
    result = import_one(invoke, workspace, "orders.xlsx", "--profile", "orders")
    assert_counts(result, inserted=1, rejected=1)
    assert rows(workspace, "SELECT order_id FROM orders") == [("SO-1",)]
    [(row, column, _, reason)] = reject_rows(workspace)
    assert (row, column) == (3, "订单金额")
    assert reason == "a formula without a saved result: open the file in Excel and save it again"


def test_dates_as_serials_and_text_in_one_column(
    invoke: Invoke, workspace: Path, tmp_path: Path, broken: Broken
) -> None:
    orders_csv(
        tmp_path / "orders.csv",
        [
            ["SO-1", "甲", "46176", "", ""],
            ["SO-2", "乙", "2026/6/4", "", ""],
            ["SO-3", "丙", "2026-06-05 08:00", "", ""],
            ["SO-4", "丁", "45.45.2026", "", ""],
            ["SO-5", "戊", "9999999", "", ""],  # a serial far outside any calendar
            ["SO-6", "己", "", "", ""],
        ],
    )
    result = import_one(invoke, workspace, "orders.csv")
    assert_counts(result, inserted=4, rejected=2)
    assert rows(workspace, "SELECT order_id, order_date FROM orders ORDER BY 1") == [
        ("SO-1", date(2026, 6, 3)),
        ("SO-2", date(2026, 6, 4)),
        ("SO-3", date(2026, 6, 5)),
        ("SO-6", None),
    ]
    assert [r[:3] for r in reject_rows(workspace)] == [
        (5, "下单日期", "45.45.2026"),
        (6, "下单日期", "9999999"),
    ]


def test_bad_dates_sample(invoke: Invoke, workspace: Path, broken: Broken) -> None:
    result = import_text(invoke, workspace, broken("bad_dates.csv"), "--profile", "orders")
    assert result.exit_code == EXIT_OK
    assert '  row 2, 下单日期 "2026/13/45": not a date' in result.stdout
    assert reject_rows(workspace) == [
        (2, "下单日期", "2026/13/45", "not a date"),
        (3, "下单日期", "next week", "not a date"),
        (4, "下单日期", "2026-02-30", "not a date"),
        (5, "下单日期", "45.45.2026", "not a date"),
        (7, "下单日期", "下周一", "not a date"),
    ]
    # the blank date is allowed (left empty) and the last row imports
    assert rows(workspace, "SELECT order_id, order_date, promised_date FROM orders ORDER BY 1") == [
        ("SO-2699-0005", None, date(2026, 5, 19)),
        ("SO-2699-0007", date(2026, 6, 3), date(2026, 6, 20)),
    ]


def test_amounts_with_symbols_sample(invoke: Invoke, workspace: Path, broken: Broken) -> None:
    result = import_one(
        invoke, workspace, broken("amounts_with_symbols.csv"), "--profile", "orders"
    )
    assert_counts(result, inserted=5, rejected=2)
    assert dict(rows(workspace, "SELECT order_id, amount FROM orders")) == {
        "SO-2699-0101": Decimal("1234.50"),
        "SO-2699-0104": Decimal("5000.00"),
        "SO-2699-0105": Decimal("1234.50"),
        "SO-2699-0106": Decimal("-1200.00"),
        "SO-2699-0107": Decimal("3500.00"),
    }
    rejected = reject_rows(workspace)
    assert [r[:3] for r in rejected] == [(3, "订单金额", "12.5%"), (4, "订单金额", "1 234,50")]
    assert "percentage" in str(rejected[0][3])
    assert 'decimal = ","' in str(rejected[1][3])


def test_full_width_ids_sample_matches_existing_orders(
    invoke: Invoke,
    workspace: Path,
    tmp_path: Path,
    broken: Broken,
) -> None:
    name = broken("fullwidth_ids.csv")
    lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
    normal = [
        unicodedata.normalize("NFKC", ln.split(",", 1)[0]).strip() + "," + ln.split(",", 1)[1]
        for ln in lines
    ]
    (tmp_path / "demo_orders.csv").write_text("\n".join(normal) + "\n", encoding="utf-8")
    import_one(invoke, workspace, "demo_orders.csv", "--profile", "orders")
    before = snapshot(workspace)["orders"]
    result = import_one(invoke, workspace, name, "--profile", "orders")
    assert_counts(result, inserted=0, unchanged=4)
    assert snapshot(workspace)["orders"] == before
    assert [r[0] for r in rows(workspace, "SELECT order_id FROM orders ORDER BY 1")] == [
        "SO-2604-0101",
        "SO-2604-0102",
        "SO-2604-0103",
        "SO-2604-0104",
    ]


def test_multiline_cells_sample(
    invoke: Invoke, workspace: Path, tmp_path: Path, broken: Broken
) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-2604-0021"])
    result = import_one(invoke, workspace, broken("multiline_cell.csv"), "--profile", "feedback")
    assert_counts(result, inserted=2)
    assert rows(
        workspace, "SELECT feedback_id, complaint, nps, comment FROM feedback ORDER BY 1"
    ) == [
        ("FK-2699-0001", True, 3, "第一批到货正常。\n第二批少了两件,已联系补发。"),
        ("FK-2699-0002", False, 8, 'He said "fine", then\r\nleft.'),  # kept as written (CRLF)
    ]


# ---------------------------------------------------------------------------------------
# rows that break a rule


def test_duplicate_keys_sample(invoke: Invoke, workspace: Path, broken: Broken) -> None:
    result = import_one(invoke, workspace, broken("duplicate_keys.csv"), "--profile", "orders")
    assert_counts(result, inserted=2, rejected=2)
    # conflicting SO-2699-0201 (rows 2 and 4): both rejected, never one kept silently
    rejected = reject_rows(workspace)
    assert [r[:3] for r in rejected] == [
        (2, "承诺交期", "2026-06-20 vs 2026-06-25"),
        (4, "承诺交期", "2026-06-20 vs 2026-06-25"),
    ]
    for r in rejected:
        assert r[3] == (
            "order SO-2699-0201: 承诺交期 differs between rows 2, 4 (2026-06-20 vs 2026-06-25); "
            "rows with the same key must agree"
        )
    # identical SO-2699-0202 (rows 3 and 6) collapse into one order
    assert rows(workspace, "SELECT order_id, amount FROM orders ORDER BY 1") == [
        ("SO-2699-0202", Decimal("8600.00")),
        ("SO-2699-0203", Decimal("5400.00")),
    ]


def test_missing_key(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    write_csv(
        tmp_path / "orders.csv",
        ["订单编号", "客户名称", "订单金额"],
        [["", "甲", "1"], ["\u3000", "乙", "2"], ["SO-3", "丙", "3"]],
    )
    result = import_one(invoke, workspace, "orders.csv", "--profile", "orders")
    assert_counts(result, inserted=1, rejected=2)
    assert [(r[0], r[1], r[3]) for r in reject_rows(workspace)] == [
        (2, "订单编号", "missing order_id (订单编号)"),
        (3, "订单编号", "missing order_id (订单编号)"),
    ]


def test_lines_and_shipments_for_unknown_orders(
    invoke: Invoke,
    workspace: Path,
    tmp_path: Path,
    broken: Broken,
) -> None:
    result = import_text(
        invoke, workspace, broken("unknown_orders_lines.csv"), "--profile", "order_lines"
    )
    assert result.exit_code == EXIT_OK
    assert (
        'row 2, 订单编号 "SO-2699-0301": unknown order SO-2699-0301 (not in the order center; '
        "import the orders file first)"
    ) in " ".join(result.stdout.split())
    assert [r[:3] for r in reject_rows(workspace)] == [
        (2, "订单编号", "SO-2699-0301"),
        (3, "订单编号", "SO-2699-0301"),
        (4, "订单编号", "SO-2699-0302"),
    ]
    assert count(workspace, "order_lines") == 0
    seed_orders(invoke, workspace, tmp_path, ["SO-1"])
    write_csv(
        tmp_path / "物流.csv",
        ["发货单号", "订单编号", "运单号"],
        [["F1", "SO-1", "SF1"], ["F2", "SO-404", "SF2"]],
    )
    shipped = import_one(invoke, workspace, "物流.csv")
    assert_counts(shipped, inserted=1, rejected=1)
    assert shipped["rejects"][0]["reason"].startswith("unknown order SO-404")


def test_negative_quantity_sample(
    invoke: Invoke, workspace: Path, tmp_path: Path, broken: Broken
) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-2604-0011"])
    result = import_one(invoke, workspace, broken("negative_qty.csv"), "--profile", "order_lines")
    assert_counts(result, inserted=1, rejected=2)
    assert reject_rows(workspace) == [
        (3, "数量", "-5", "negative quantity or amount"),
        (4, "数量", "-1", "negative quantity or amount"),
    ]
    assert rows(workspace, "SELECT order_id, line_no, qty FROM order_lines") == [
        ("SO-2604-0011", 1, Decimal("5.000"))
    ]


def test_nps_out_of_range(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-1"])
    write_csv(
        tmp_path / "反馈.csv",
        ["反馈编号", "订单编号", "推荐评分"],
        [
            ["F1", "SO-1", "11"],
            ["F2", "SO-1", "-1"],
            ["F3", "SO-1", "十"],
            ["F4", "SO-1", "10"],
            ["F5", "SO-1", "0"],
        ],
    )
    result = import_one(invoke, workspace, "反馈.csv")
    assert result["profile"] == "feedback"
    assert_counts(result, inserted=2, rejected=3)
    assert reject_rows(workspace) == [
        (2, "推荐评分", "11", "NPS score must be 0 to 10"),
        (3, "推荐评分", "-1", "NPS score must be 0 to 10"),
        (4, "推荐评分", "十", "not a whole number"),
    ]
    assert rows(workspace, "SELECT feedback_id, nps FROM feedback ORDER BY 1") == [
        ("F4", 10),
        ("F5", 0),
    ]


def test_fractional_whole_numbers_are_rejected_not_rounded(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-1"])
    write_csv(
        tmp_path / "反馈.csv",
        ["反馈编号", "订单编号", "推荐评分"],
        [["F1", "SO-1", "7.5"], ["F2", "SO-1", "9.9"]],
    )
    result = import_one(invoke, workspace, "反馈.csv")
    assert_counts(result, inserted=0, rejected=2)
    assert [r[2:] for r in reject_rows(workspace)] == [
        ("7.5", "not a whole number"),
        ("9.9", "not a whole number"),
    ]


def test_rejects_keep_the_original_cells(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    write_csv(
        tmp_path / "orders.csv", [*ORDERS_HEADER, "备注"], [["SO-1", "甲", "bad", "", "", "原样"]]
    )
    import_one(invoke, workspace, "orders.csv")
    import json

    raw = json.loads(one(workspace, "SELECT raw_row FROM import_rejects"))
    assert raw == {
        "订单编号": "SO-1",
        "客户名称": "甲",
        "下单日期": "bad",
        "承诺交期": None,
        "订单金额": None,
        "备注": "原样",
    }
