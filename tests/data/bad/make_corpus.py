"""Write the bad-input corpus: one small file per way an export goes wrong.

    .venv/bin/python tests/data/bad/make_corpus.py            # rewrite tests/data/bad/
    .venv/bin/python tests/data/bad/make_corpus.py OUT_DIR    # write elsewhere (the test
                                                              # compares the two)

Deterministic: no clock, random bytes from fixed seeds, XLSX files with fixed zip and
document timestamps. Every file is described in :data:`CASES` (what is wrong, what the
importer should do); README.md, the manifest, is written from that list.
``tests/reliability/test_bad_corpus.py`` holds the exact expectation of each file.

Headers follow the ``orders`` preset (订单编号, 客户名称, 下单日期, 承诺交期, 订单金额). The
test imports every file into a workspace seeded with orders SO-001 … SO-020 (customer
客户N, ordered 2026-06-01, promised 2026-06-20, amount 1000) and a few extra profiles
(``utf8_orders``, ``gbk_orders``, ``big5_orders``, ``latin1_orders``, ``eu_orders``).
"""

from __future__ import annotations

import codecs
import io
import random
import re
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
H = ["订单编号", "客户名称", "下单日期", "承诺交期", "订单金额"]
EN = ["Order ID", "Customer", "Order Date", "Due Date", "Amount"]
FIXED = datetime(2026, 1, 1)


@dataclass(frozen=True)
class Case:
    name: str
    wrong: str  # what is wrong with the file
    outcome: str  # what the importer does with it
    data: Callable[[], bytes]


# -- helpers ----------------------------------------------------------------------------------


def csv_text(rows: list[list[str]], *, sep: str = ",", eol: str = "\n") -> str:
    """Rows as CSV text, quoting only the cells that need it."""

    def cell(v: str) -> str:
        if any(ch in v for ch in (sep, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v

    return "".join(sep.join(cell(c) for c in r) + eol for r in rows)


def orders(*rows: list[str], header: list[str] = H, enc: str = "utf-8", **kw: str) -> bytes:
    return csv_text([header, *rows], **kw).encode(enc)


def row(
    i: str, customer: str = "客户", od: str = "2026-06-01", pd: str = "", amt: str = "1"
) -> list[str]:
    return [i, customer, od, pd, amt]


def seeded(i: str, n: int) -> list[str]:
    """A row with the values of seeded order SO-0nn (so importing it changes nothing)."""
    return [i, f"客户{n % 10}", "2026-06-01", "2026-06-20", "1000"]


def utf8(text: str) -> Callable[[], bytes]:
    return lambda: text.encode("utf-8")


def random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def fixed_zip(data: bytes) -> bytes:
    """Re-zip with fixed timestamps (openpyxl stamps the clock on entries and docProps)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>2026-01-01T00:00:00Z\g<3>",
                    body,
                )
            z.writestr(_entry(info.filename), body)
    return out.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(_entry(name), body)
    return out.getvalue()


def xlsx(
    rows: list[list[object]],
    *,
    title: str = "Sheet1",
    at: str | None = None,
    merge: Sequence[str] = (),
    errors: dict[str, str] | None = None,
    text_cells: dict[str, str] | None = None,
    more_sheets: Sequence[tuple[str, list[list[object]]]] = (),
) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.properties.created = wb.properties.modified = FIXED
    sh = wb.active
    assert sh is not None
    sh.title = title
    if at is None:
        for r in rows:
            sh.append(list(r))
    else:  # the data's first cell at ``at`` (e.g. "C3")
        col0, row0 = ord(at[0]) - 64, int(at[1:])
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                sh.cell(row=row0 + i, column=col0 + j, value=v)
    for ref in merge:
        sh.merge_cells(ref)
    for ref, err in (errors or {}).items():
        sh[ref] = err
        sh[ref].data_type = "e"
    for ref, text in (text_cells or {}).items():
        sh[ref] = text
        sh[ref].data_type = "s"  # text that looks like a formula stays text
    for name, data in more_sheets:
        other = wb.create_sheet(name)
        for r in data:
            other.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return fixed_zip(buf.getvalue())


def good_xlsx() -> bytes:
    return xlsx([H, ["X-001", "甲公司", "2026-06-01", "2026-06-20", 100]])


def no_sheets_xlsx() -> bytes:
    """A workbook whose sheet list is empty (the sheet part and its relation removed)."""
    src = zipfile.ZipFile(io.BytesIO(good_xlsx()))
    parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    wb = re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", parts["xl/workbook.xml"])
    parts["xl/workbook.xml"] = re.sub(rb"<definedNames>.*</definedNames>", b"", wb)
    del parts["xl/worksheets/sheet1.xml"]
    parts["[Content_Types].xml"] = re.sub(
        rb'<Override PartName="/xl/worksheets/sheet1.xml"[^>]*/>',
        b"",
        parts["[Content_Types].xml"],
    )
    parts["xl/_rels/workbook.xml.rels"] = re.sub(
        rb'<Relationship [^>]*worksheets/sheet1.xml"[^>]*/>',
        b"",
        parts["xl/_rels/workbook.xml.rels"],
    )
    return zip_of(parts)


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ole(extra: bytes) -> bytes:
    """An OLE compound file header (how encrypted .xlsx and legacy .xls files start)."""
    return (OLE + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + extra).ljust(4096, b"\x00")


HTML_XLS = """<html xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
<body><table border="1">
<tr><td>订单编号</td><td>客户名称</td><td>下单日期</td><td>承诺交期</td><td>订单金额</td></tr>
<tr><td>H-001</td><td>网页导出有限公司</td><td>2026-06-01</td><td>2026-06-20</td><td>1,000.00</td></tr>
</table></body></html>
"""

BIG5_NAMES = ["臺灣精密機械股份有限公司", "香港貿易行", "新竹電子廠"]
LATIN1_NAMES = ["Müller GmbH", "Café Crème SARL", "Señor Ñandú"]
GBK_ROWS = [
    ["G-001", "上海申达机电有限公司", "2026-06-01", "2026-06-20", "1000"],
    ["G-002", "苏州凯越精密", "2026-06-02", "2026-06-21", "2000"],
]


def big5() -> bytes:
    return orders(*[row(f"B-00{i}", n) for i, n in enumerate(BIG5_NAMES, 1)], header=EN, enc="big5")


def latin1() -> bytes:
    rows = [row(f"L-00{i}", n) for i, n in enumerate(LATIN1_NAMES, 1)]
    return orders(*rows, header=EN, enc="latin-1")


def mixed_encoding() -> bytes:
    head = csv_text([H, ["M-001", "北京甲", "2026-06-01", "", "1"]]).encode("utf-8")
    return head + csv_text([["M-002", "广州乙", "2026-06-02", "", "2"]]).encode("gbk")


def utf16(enc: str, bom: bytes) -> Callable[[], bytes]:
    return lambda: (
        bom + orders(["U-001", "深圳宽带科技", "2026-06-01", "2026-06-20", "1000"], enc=enc)
    )


def truncated(enc: str, cut: int) -> Callable[[], bytes]:
    rows = [["T-001", "杭州", "2026-06-01", "", "1"], ["T-002", "宁波海天", "", "", ""]]
    return lambda: orders(*rows, enc=enc)[:-cut]  # ends inside 天 (a cut download)


def huge_columns() -> bytes:
    header = H + [f"扩展{i}" for i in range(2100)]
    return csv_text([header, ["W-001", "宽表公司", "2026-06-01", "2026-06-20", "1"]]).encode()


# -- the corpus -----------------------------------------------------------------------------------

ENCODINGS = [
    Case(
        "enc_gbk_undeclared.csv",
        "GBK bytes, no encoding in the profile",
        "detected as GB18030; imported exactly",
        lambda: orders(*GBK_ROWS, enc="gbk"),
    ),
    Case(
        "enc_gbk_declared_utf8.csv",
        'GBK bytes, the profile says encoding = "utf-8"',
        'exit 2: not valid UTF-8, set encoding = "gb18030"',
        lambda: orders(*GBK_ROWS, enc="gbk"),
    ),
    Case(
        "enc_utf8_declared_gbk.csv",
        'UTF-8 bytes, the profile says encoding = "gb18030"',
        "exit 2: the file is UTF-8, not GB18030 (never mojibake)",
        lambda: orders(*GBK_ROWS),
    ),
    Case(
        "enc_gb18030_four_byte.csv",
        "GB18030 four-byte characters (CJK extension B: 𠮷)",
        "imported exactly",
        lambda: orders(["G-101", "𠮷野家餐饮", "", "", "5"], enc="gb18030"),
    ),
    Case(
        "enc_mixed_utf8_gbk.csv",
        "lines 1-2 UTF-8, line 3 GBK (two exports concatenated)",
        "exit 2: mixed encodings, naming the lines",
        mixed_encoding,
    ),
    Case(
        "enc_utf16le_bom.csv",
        "UTF-16 LE with BOM (Excel 'Unicode text')",
        "imported exactly",
        utf16("utf-16-le", codecs.BOM_UTF16_LE),
    ),
    Case(
        "enc_utf16be_bom.csv",
        "UTF-16 BE with BOM",
        "imported exactly",
        utf16("utf-16-be", codecs.BOM_UTF16_BE),
    ),
    Case(
        "enc_utf16le_nobom.csv",
        "UTF-16 LE without a BOM",
        "detected (a NUL byte after every ASCII character); imported exactly",
        utf16("utf-16-le", b""),
    ),
    Case(
        "enc_utf16be_nobom.csv",
        "UTF-16 BE without a BOM",
        "detected; imported exactly",
        utf16("utf-16-be", b""),
    ),
    Case(
        "enc_big5_declared.csv",
        'Big5 (traditional Chinese); the profile says encoding = "big5"',
        "imported exactly",
        big5,
    ),
    Case(
        "enc_big5_undeclared.csv",
        "Big5 bytes, no encoding in the profile",
        'exit 2: looks like Big5, set encoding = "big5" (never stored as GBK mojibake)',
        big5,
    ),
    Case(
        "enc_latin1_declared.csv",
        'Latin-1; the profile says encoding = "latin-1"',
        "imported exactly",
        latin1,
    ),
    Case(
        "enc_latin1_undeclared.csv",
        "Latin-1 bytes, no encoding in the profile",
        "exit 2: not valid GB18030 text, naming the line (never mojibake)",
        latin1,
    ),
    Case(
        "enc_nul_bytes.csv",
        "NUL bytes inside a cell (a binary paste)",
        "exit 2: NUL bytes, naming the line",
        lambda: orders(row("N-001", "甲\x00\x00公司")),
    ),
    Case(
        "enc_truncated_utf8.csv",
        "UTF-8 file cut inside a multibyte character",
        "exit 2: not valid text, naming the line",
        truncated("utf-8", 8),
    ),
    Case(
        "enc_truncated_gbk.csv",
        "GBK file cut after the first byte of a character",
        "exit 2: not valid GB18030 text, naming the line",
        truncated("gbk", 5),
    ),
    Case(
        "enc_invalid_bytes.csv",
        "bytes that are neither UTF-8 nor GBK (0xFF)",
        "exit 2: not valid text, naming the line",
        lambda: orders(row("I-001", "好")) + b"I-002,\xff\xfe\xff,,,1\n",
    ),
    Case(
        "enc_utf8_bom.csv",
        "UTF-8 with BOM (Excel 'CSV UTF-8'): not wrong, the baseline",
        "imported exactly",
        lambda: codecs.BOM_UTF8 + orders(row("E-001", "带BOM公司")),
    ),
    Case(
        "enc_binary_garbage.csv",
        "random bytes named .csv",
        "exit 2, no traceback",
        lambda: random_bytes(3000, 7),
    ),
]

EXCEL = [
    Case(
        "xlsx_truncated_zip.xlsx",
        "a real workbook cut in half (an interrupted download)",
        "exit 2: cannot read the workbook",
        lambda: good_xlsx()[: len(good_xlsx()) // 2],
    ),
    Case(
        "xlsx_zip_not_xlsx.xlsx",
        "a zip archive holding a text file, named .xlsx",
        "exit 2: cannot read the workbook",
        lambda: zip_of({"readme.txt": "不是表格".encode()}),
    ),
    Case(
        "xlsx_random_bytes.xlsx",
        "random bytes named .xlsx",
        "exit 2: not a valid Excel workbook",
        lambda: random_bytes(2048, 1),
    ),
    Case(
        "xlsx_no_sheets.xlsx",
        "a workbook whose sheet list is empty",
        "exit 2: the workbook has no sheets",
        no_sheets_xlsx,
    ),
    Case(
        "xlsx_empty_sheet.xlsx", "one sheet, no cells", "exit 2: no header found", lambda: xlsx([])
    ),
    Case(
        "xlsx_password.xlsx",
        "password-protected (an encrypted OLE file named .xlsx)",
        "exit 2: password-protected",
        lambda: ole(b"EncryptionInfo"),
    ),
    Case(
        "xlsx_is_old_xls.xlsx",
        "a legacy .xls (OLE/BIFF) renamed to .xlsx",
        "exit 2: password-protected or an old .xls; rename it",
        lambda: ole(b"Workbook\x00BIFF8"),
    ),
    Case(
        "xls_html_export.xls",
        "an HTML table saved as .xls (a common ERP 'Excel' export)",
        "exit 2: a web page, not a workbook; save it as .xlsx",
        utf8(HTML_XLS),
    ),
    Case(
        "xls_csv_export.xls",
        "CSV text saved as .xls",
        "exit 2: text, not a workbook; rename it to .csv",
        lambda: orders(row("C-001")),
    ),
    Case(
        "xls_garbage.xls",
        "an OLE file that is not a workbook, named .xls",
        "exit 2: cannot read the workbook",
        lambda: ole(b"NotAWorkbook"),
    ),
    Case(
        "xlsx_merged_title.xlsx",
        "a merged title row and a blank row above the header",
        "header found on row 3; imported",
        lambda: xlsx(
            [
                ["销售订单列表 2026年第二季度"],
                [],
                H,
                ["X-101", "标题公司", "2026-06-01", "2026-06-20", 100],
            ],
            merge=["A1:E1"],
        ),
    ),
    Case(
        "xlsx_header_row5.xlsx",
        "four lines of notes above the header (row 5)",
        "header found; the reject carries Excel's row number (7)",
        lambda: xlsx(
            [
                ["导出人: 张三"],
                ["导出时间: 2026-06-30"],
                ["仅供内部使用"],
                [],
                H,
                ["X-201", "五行公司", "2026-06-01", "", 1],
                ["X-202", "坏日期", "2026-13-01", "", 2],
            ]
        ),
    ),
    Case(
        "xlsx_two_header_rows.xlsx",
        "a merged group header (基本信息 / 金额) above the real header",
        "the real header is used; imported",
        lambda: xlsx(
            [
                ["基本信息", None, None, None, "金额"],
                H,
                ["X-301", "双表头公司", "2026-06-01", "", 300],
            ],
            merge=["A1:D1"],
        ),
    ),
    Case(
        "xlsx_units_row.xlsx",
        "a units row ((日期), (元)) right below the header",
        "the units row is rejected (missing order id), the data imports",
        lambda: xlsx(
            [H, ["", "", "(日期)", "(日期)", "(元)"], ["X-401", "单位公司", "2026-06-01", "", 400]]
        ),
    ),
    Case(
        "xlsx_merged_header_cells.xlsx",
        "订单金额 merged over two columns (with and without tax)",
        'imported; the unnamed column kept in attrs as "column 6"',
        lambda: xlsx(
            [[*H, None], ["X-501", "合并公司", "2026-06-01", "", 500, 442.48]], merge=["E1:F1"]
        ),
    ),
    Case(
        "xlsx_error_cells.xlsx",
        "Excel error values (#N/A, #DIV/0!)",
        "rows rejected naming the error; never stored as text",
        lambda: xlsx(
            [
                H,
                ["X-601", "好公司", "2026-06-01", "", 1],
                ["X-602", "坏公司", "2026-06-01", "", 2],
                ["X-603", "坏公司二", "2026-06-01", "", 3],
            ],
            errors={"B3": "#N/A", "E4": "#DIV/0!"},
        ),
    ),
    Case(
        "xlsx_formula_text.xlsx",
        "text cells that look like formulas (=cmd|…, @SUM, +1+2)",
        "stored verbatim as text",
        lambda: xlsx(
            [
                H,
                ["X-701", "x", None, None, 1],
                ["X-702", "x", None, None, 1],
                ["X-703", "x", None, None, 1],
            ],
            text_cells={"B2": "=cmd|' /C calc'!A0", "B3": "@SUM(A1:A9)", "B4": "+1+2"},
        ),
    ),
    Case(
        "xlsx_data_on_second_sheet.xlsx",
        "the first sheet is a cover page; the data is on 订单",
        'exit 2: names the sheets and suggests sheet = "订单"',
        lambda: xlsx(
            [["封面"], ["2026 Q2"]],
            title="封面",
            more_sheets=[("订单", [H, ["X-801", "二表公司", "", "", 1]])],
        ),
    ),
    Case(
        "xlsx_cell_without_header.xlsx",
        "a value in a column that has no header",
        "exit 2: names the row and the value",
        lambda: xlsx(
            [
                H,
                ["X-901", "无头公司", "", "", 1, None],
                ["X-902", "无头公司", "", "", 1, "孤立的值"],
            ]
        ),
    ),
    Case(
        "xlsx_offset_range.xlsx",
        "the table starts at C3, not A1",
        "imported; the reject carries Excel's row number (5)",
        lambda: xlsx(
            [H, ["X-A01", "偏移公司", "2026-06-01", "", 1], ["X-A02", "偏移公司", "bad", "", 1]],
            at="C3",
        ),
    ),
    Case(
        "xlsx_header_only.xlsx", "a header and no data", "exit 0: no data rows", lambda: xlsx([H])
    ),
    Case(
        "xlsx_huge_cell.xlsx",
        "a 30,000-character remark cell",
        "imported; the cell kept whole in attrs",
        lambda: xlsx([[*H, "备注"], ["X-B01", "长备注公司", "", "", 1, "很长" * 15000]]),
    ),
    Case(
        "xlsx_fullwidth_ids.xlsx",
        "ids typed with full-width forms and ideographic spaces",
        "matched to the existing SO-003 / SO-004: unchanged",
        lambda: xlsx(
            [
                H,
                ["ＳＯ－００３", "客户3", "2026-06-01", "2026-06-20", 1000],
                ["\u3000SO-004\u3000", "客户4", "2026-06-01", "2026-06-20", 1000],
            ]
        ),
    ),
]

HEADERS = [
    Case(
        "hdr_duplicate_headers.csv",
        "订单金额 twice (with and without tax)",
        "the first is used; the second kept in attrs as 订单金额 (2)",
        lambda: orders(["D-001", "重复表头", "", "", "1130", "1000"], header=[*H, "订单金额"]),
    ),
    Case(
        "hdr_missing_key.csv",
        "no 订单编号 column",
        "exit 2: names the missing order_id header",
        lambda: orders(["无编号公司", "2026-06-01", "", "1"], header=H[1:]),
    ),
    Case(
        "hdr_blank_headers.csv",
        "a column with data but a blank header",
        'imported; the cells kept in attrs as "column 6"',
        lambda: orders(["D-101", "空表头", "", "", "1", "无名数据"], header=[*H, ""]),
    ),
    Case(
        "hdr_fullwidth_spaces.csv",
        "headers with full-width spaces and padding (订单　编号)",
        "headers recognised; imported",
        lambda: orders(
            ["D-201", "全角空格表头", "", "", "1"],
            header=["订单\u3000编号", " 客户名称 ", "\u3000下单日期", "承诺交期\u3000", "订单金额"],
        ),
    ),
    Case(
        "hdr_newline_in_header.csv",
        "a header cell with a line break inside (订单\\n编号)",
        "header recognised; imported",
        lambda: orders(["D-301", "换行表头", "", "", "1"], header=["订单\n编号", *H[1:]]),
    ),
    Case(
        "hdr_fullwidth_latin.csv",
        "English headers typed full-width (Ｏｒｄｅｒ ＩＤ)",
        "headers recognised; imported",
        lambda: orders(
            ["D-401", "Fullwidth Inc", "", "", "1"],
            header=["Ｏｒｄｅｒ ＩＤ", "Ｃｕｓｔｏｍｅｒ", "Order Date", "Due Date", "Amount"],
        ),
    ),
    Case(
        "hdr_zero_width.csv",
        "a zero-width space inside a header (订单编号 + U+200B)",
        "header recognised; imported",
        lambda: orders(["D-501", "零宽表头", "", "", "1"], header=["订单编号\u200b", *H[1:]]),
    ),
    Case(
        "hdr_unit_suffix.csv",
        "a header with its unit: 订单金额(元)",
        "unit ignored; imported",
        lambda: orders(["D-601", "单位表头", "", "", "1"], header=[*H[:4], "订单金额(元)"]),
    ),
    Case(
        "hdr_header_row5.csv",
        "four title lines above the header",
        "header found on line 5; imported",
        lambda: (
            "销售订单导出\n导出时间 2026-06-30\n\n共 1 条\n".encode()
            + orders(["D-701", "五行表头", "", "", "1"])
        ),
    ),
    Case(
        "hdr_no_header.csv",
        "data rows only, no header",
        "exit 2: no header, listing what was expected",
        lambda: csv_text([["D-801", "无表头", "2026-06-01", "", "1"]]).encode(),
    ),
    Case(
        "hdr_two_header_rows.csv",
        "a group header line above the real header",
        "the real header is used; imported",
        lambda: "基本信息,,,,金额\n".encode() + orders(["D-901", "双表头", "", "", "1"]),
    ),
    Case(
        "hdr_only_delimiters.csv",
        "lines of commas only",
        "exit 2: no header found",
        utf8(",,,,\n,,,,\n,,,,\n"),
    ),
]

DATES = [
    Case(
        "date_month_13.csv",
        "2026/13/45 and 2026-00-10",
        "both rejected: not a date; 2026/6/3 imports",
        lambda: orders(
            row("DT-001", od="2026/13/45"),
            row("DT-002", od="2026-00-10"),
            row("DT-003", od="2026/6/3"),
        ),
    ),
    Case(
        "date_feb_31.csv",
        "31 February; 29 February of a common year",
        "rejected: not a date; 29 Feb 2028 (a leap year) imports",
        lambda: orders(
            row("DT-101", od="2026-02-31"),
            row("DT-102", od="2027-02-29"),
            row("DT-103", od="2028-02-29"),
        ),
    ),
    Case(
        "date_serial_zero.csv",
        "Excel serial 0 (1899-12-30)",
        "rejected: a date out of range; 46174 is 2026-06-01",
        lambda: orders(row("DT-201", od="0"), row("DT-202", od="46174")),
    ),
    Case(
        "date_serial_negative.csv",
        "Excel serials -1 and -46174",
        "rejected: not a date",
        lambda: orders(row("DT-301", od="-1"), row("DT-302", od="-46174")),
    ),
    Case(
        "date_serial_huge.csv",
        "Excel serials 2958466 (year 10000) and 99999999999",
        "rejected, never a wrong date; 73051 (2099-12-31) imports",
        lambda: orders(
            row("DT-401", od="2958466"), row("DT-402", od="99999999999"), row("DT-403", od="73051")
        ),
    ),
    Case(
        "date_chinese.csv",
        "2026年6月1日, 2026年06月02日, 2026年6月3日 14:30",
        "all read as dates",
        lambda: orders(
            row("DT-501", od="2026年6月1日"),
            row("DT-502", od="2026年06月02日"),
            row("DT-503", od="2026年6月3日 14:30"),
        ),
    ),
    Case(
        "date_mixed_formats.csv",
        "ISO, slashes, dots, compact, US m/d/Y, a time and a serial in one column",
        "each read as its date",
        lambda: orders(
            row("DT-601", od="2026-06-01"),
            row("DT-602", od="2026/6/2"),
            row("DT-603", od="2026.06.03"),
            row("DT-604", od="20260604"),
            row("DT-605", od="6/5/2026"),
            row("DT-606", od="2026-06-06 23:59:59"),
            row("DT-607", od="46180"),
        ),
    ),
    Case(
        "date_tbd_text.csv",
        "待定, TBD, 下周, N/A, ? as promised dates",
        "rejected: not a date",
        lambda: orders(
            row("DT-701", pd="待定"),
            row("DT-702", pd="TBD"),
            row("DT-703", pd="下周"),
            row("DT-704", pd="N/A"),
            row("DT-705", pd="?"),
        ),
    ),
    Case(
        "date_fullwidth_digits.csv",
        "dates typed in full-width digits (２０２６－０６－０１)",
        "read as 2026-06-01 and 2026-06-02",
        lambda: orders(
            row("DT-801", od="２０２６－０６－０１"), row("DT-802", od="２０２６年６月２日")
        ),
    ),
    Case(
        "date_bad_time.csv",
        "25:00 and 12:61 as times",
        "rejected: not a date",
        lambda: orders(row("DT-901", od="2026-06-01 25:00"), row("DT-902", od="2026-06-01 12:61")),
    ),
    Case(
        "date_two_digit_year.csv",
        "two-digit years (26-6-1, 6/1/26)",
        "rejected, never year 0026 or 1926 stored",
        lambda: orders(row("DT-A01", od="26-6-1"), row("DT-A02", od="6/1/26")),
    ),
    Case(
        "date_out_of_range.csv",
        "1899-12-31, 2201-01-01, 0001-01-01",
        "rejected: a date out of range",
        lambda: orders(
            row("DT-B01", od="1899-12-31"),
            row("DT-B02", od="2201-01-01"),
            row("DT-B03", od="0001-01-01"),
        ),
    ),
    Case(
        "date_serial_fraction.csv",
        "an Excel serial with a time fraction (46174.75)",
        "read as 2026-06-01",
        lambda: orders(row("DT-C01", od="46174.75")),
    ),
]

NUMBERS = [
    Case(
        "num_thousands.csv",
        "1,234.5 and 1,234,567.89 (quoted)",
        "1234.50 and 1234567.89",
        lambda: orders(row("NM-001", amt="1,234.5"), row("NM-002", amt="1,234,567.89")),
    ),
    Case(
        "num_fullwidth_digits.csv",
        "１２３ and １，２３４．５ in full-width digits",
        "123.00 and 1234.50",
        lambda: orders(row("NM-101", amt="１２３"), row("NM-102", amt="１，２３４．５")),
    ),
    Case(
        "num_currency.csv",
        "¥1,000, ￥2,000, RMB 3,000, 4,000元, $5",
        "the numbers, symbols dropped",
        lambda: orders(
            row("NM-201", amt="¥1,000"),
            row("NM-202", amt="￥2,000"),
            row("NM-203", amt="RMB 3,000"),
            row("NM-204", amt="4,000元"),
            row("NM-205", amt="$5"),
        ),
    ),
    Case(
        "num_parentheses.csv",
        "(100) and (1,200.50): accounting negatives",
        "-100.00 and -1200.50",
        lambda: orders(row("NM-301", amt="(100)"), row("NM-302", amt="(1,200.50)")),
    ),
    Case(
        "num_1e400.csv",
        "1e400 and -1e400 (beyond a double)",
        "rejected, never infinity",
        lambda: orders(row("NM-401", amt="1e400"), row("NM-402", amt="-1e400")),
    ),
    Case(
        "num_nan_inf.csv",
        "NaN, inf, -Infinity",
        "rejected: not a number",
        lambda: orders(
            row("NM-501", amt="NaN"), row("NM-502", amt="inf"), row("NM-503", amt="-Infinity")
        ),
    ),
    Case(
        "num_dashes.csv",
        "-- and — (an em dash); - (the accounting zero)",
        "-- and — rejected; - is 0",
        lambda: orders(row("NM-601", amt="--"), row("NM-602", amt="—"), row("NM-603", amt="-")),
    ),
    Case(
        "num_percent.csv",
        "12.5% and 100% where an amount is expected",
        "rejected: a percentage",
        lambda: orders(row("NM-701", amt="12.5%"), row("NM-702", amt="100%")),
    ),
    Case(
        "num_decimal_comma.csv",
        "1234,50 and 1.234,50 with the default decimal point",
        'rejected, with the hint decimal = ","',
        lambda: orders(row("NM-801", amt="1234,50"), row("NM-802", amt="1.234,50")),
    ),
    Case(
        "num_decimal_comma_profile.csv",
        '1.234,50 and 12,5 under a profile with decimal = ","',
        "1234.50 and 12.50",
        lambda: orders(row("NM-901", amt="1.234,50"), row("NM-902", amt="12,5"), sep=";"),
    ),
    Case(
        "num_too_large.csv",
        "an amount of 21 digits",
        "rejected: too large",
        lambda: orders(row("NM-A01", amt="123456789012345678901")),
    ),
    Case(
        "num_text_and_units.csv",
        "100 pcs, 约100, 1.2.3, 0x10, 1_000",
        "rejected: not a number (never 16 or 1000)",
        lambda: orders(
            row("NM-B01", amt="100 pcs"),
            row("NM-B02", amt="约100"),
            row("NM-B03", amt="1.2.3"),
            row("NM-B04", amt="0x10"),
            row("NM-B05", amt="1_000"),
        ),
    ),
    Case(
        "num_spaces.csv",
        "spaces, no-break and full-width spaces as thousands separators",
        "1234.50 each",
        lambda: orders(
            row("NM-C01", amt="1 234.50"),
            row("NM-C02", amt="1\u00a0234.50"),
            row("NM-C03", amt="1\u3000234.50"),
        ),
    ),
    Case(
        "num_signs.csv",
        "+100, -100, 1e3",
        "100.00, -100.00, 1000.00",
        lambda: orders(
            row("NM-D01", amt="+100"), row("NM-D02", amt="-100"), row("NM-D03", amt="1e3")
        ),
    ),
    Case(
        "num_misgrouped.csv",
        "1,23,456 (Indian grouping) and 12,34.5",
        "rejected: separators must group thousands",
        lambda: orders(row("NM-E01", amt="1,23,456"), row("NM-E02", amt="12,34.5")),
    ),
]

INJECTION = [
    Case(
        "inj_formula.csv",
        "customer names =cmd|' /C calc'!A0, +1+2, -2+3, @SUM(A1), =HYPERLINK(…)",
        "stored verbatim as text",
        lambda: orders(
            row("FI-001", "=cmd|' /C calc'!A0"),
            row("FI-002", "+1+2"),
            row("FI-003", "-2+3"),
            row("FI-004", "@SUM(A1)"),
            row("FI-005", '=HYPERLINK("http://evil.example","点我")'),
        ),
    ),
    Case(
        "inj_formula_in_id.csv",
        "an order id =1+1; a tab before a formula",
        "stored as text (the tab trimmed)",
        lambda: orders(row("=1+1", "公式编号"), row("FI-102", "\t=SUM(A1)")),
    ),
    Case(
        "inj_formula_in_amount.csv",
        "=1+1 and =A1*2 in the amount column",
        "rejected: not a number (never computed)",
        lambda: orders(row("FI-201", amt="=1+1"), row("FI-202", amt="=A1*2")),
    ),
    Case(
        "inj_html.csv",
        "<script>, <img onerror>, &amp; in customer names",
        "stored verbatim as text",
        lambda: orders(
            row("HI-001", "<script>alert('x')</script>"),
            row("HI-002", '<img src=x onerror="alert(1)">'),
            row("HI-003", "A &amp; B <b>Co</b>"),
        ),
    ),
    Case(
        "inj_sql.csv",
        "an id and a customer with SQL ('); DROP TABLE orders; --)",
        "stored verbatim; every table intact",
        lambda: orders(
            row("SQ-001'); DROP TABLE orders; --", "Robert'); DROP TABLE orders; --"),
            row("SQ-002", "' OR '1'='1"),
        ),
    ),
    Case(
        "inj_json_in_extra_column.csv",
        "an unmapped column holding JSON-looking text",
        "kept in attrs as the same text (a string, not parsed)",
        lambda: orders(
            ["JS-001", "JSON公司", "", "", "1", '{"a": 1, "b": [2]}'], header=[*H, "备注"]
        ),
    ),
]

UNICODE = [
    Case(
        "uni_fullwidth_ids.csv",
        "ids ＳＯ－００５ and SO-００６ (full-width letters / digits)",
        "matched to SO-005 / SO-006: unchanged, no new order",
        lambda: orders(seeded("ＳＯ－００５", 5), seeded("SO-００６", 6)),
    ),
    Case(
        "uni_ideographic_space_ids.csv",
        "ids padded with U+3000 and no-break spaces",
        "trimmed: matched to SO-007 / SO-008",
        lambda: orders(seeded("\u3000SO-007\u3000", 7), seeded("\u00a0SO-008\u00a0", 8)),
    ),
    Case(
        "uni_zero_width_ids.csv",
        "ids with a zero-width space / joiner / BOM inside",
        "the invisible characters removed: matched to SO-009, SO-010, SO-011",
        lambda: orders(
            seeded("SO-0\u200b09", 9), seeded("SO\u200d-010", 10), seeded("SO-011\ufeff", 11)
        ),
    ),
    Case(
        "uni_rtl_marks.csv",
        "RTL / LTR marks around an id; an RTL override in a name",
        "marks removed from the id (SO-012); the name stored verbatim",
        lambda: orders(seeded("\u200fSO-012\u200e", 12), row("RT-001", "\u202eevil\u202c Ltd")),
    ),
    Case(
        "uni_emoji.csv",
        "emoji (with ZWJ sequences and flags) in customer names",
        "stored verbatim",
        lambda: orders(
            row("EM-001", "🚀火箭贸易"),
            row("EM-002", "👨\u200d👩\u200d👧 家庭用品"),
            row("EM-003", "🇨🇳 国旗"),
        ),
    ),
    Case(
        "uni_combining.csv",
        "combining characters (e + U+0301, stacked marks) in names",
        "stored verbatim",
        lambda: orders(row("CB-001", "Cafe\u0301 Ltd"), row("CB-002", "Z\u0335\u0321a\u0336lgo")),
    ),
    Case(
        "uni_nfd_ids.csv",
        "the same id composed (NFC) and decomposed (NFD)",
        "normalised to NFC: one order, never two look-alikes",
        lambda: orders(["CAFÉ-1", "NFC公司", "", "", "1"], [nfd("CAFÉ-1"), "NFC公司", "", "", "1"]),
    ),
    Case(
        "uni_nfd_customer.csv",
        "a customer name in NFD",
        "stored verbatim (text is not rewritten)",
        lambda: orders(row("NF-001", nfd("Crème Brûlée SARL"))),
    ),
    Case(
        "uni_space_only_id.csv",
        "ids that are only full-width / no-break spaces",
        "rejected: missing order_id",
        lambda: orders(
            row("\u3000\u3000", "空编号"), row("\u00a0", "空编号二"), row("UN-001", "有编号")
        ),
    ),
    Case(
        "uni_fullwidth_space_inside_id.csv",
        "a full-width space inside an id (SO\u3000013)",
        "stored as SO 013 (an ordinary space)",
        lambda: orders(row("SO\u3000013", "内部空格")),
    ),
]

HUGE = [
    Case(
        "huge_cell.csv",
        "a 39,000-character remark (a document pasted in)",
        "imported; the cell kept whole in attrs",
        lambda: orders(
            ["HG-001", "长备注", "", "", "1", "长" * 4000 + "x" * 35000], header=[*H, "备注"]
        ),
    ),
    Case(
        "huge_customer_name.csv",
        "a 20,000-character customer name",
        "imported whole",
        lambda: orders(row("HG-101", "名" * 6000 + "n" * 14000)),
    ),
    Case(
        "huge_too_many_columns.csv",
        "2,105 columns",
        "exit 2: at most 2000 columns",
        huge_columns,
    ),
    Case(
        "huge_long_id.csv",
        "an order id of 5,000 characters",
        "imported whole (ids are not truncated)",
        lambda: orders(row("L" * 5000, "长编号")),
    ),
]

CSV_STRUCTURE = [
    Case(
        "csv_unclosed_quote.csv",
        "a quote opened and never closed",
        "exit 2: line 2, a quoted cell is not closed",
        utf8('订单编号,客户名称,订单金额\nCS-001,"甲,1\nCS-002,乙,2\n'),
    ),
    Case(
        "csv_ragged_more.csv",
        "a row with more cells than the header",
        "exit 2: line 3 has 6 cells but the header has 5",
        lambda: orders(row("CS-101"), [*row("CS-102"), "多余"]),
    ),
    Case(
        "csv_ragged_fewer.csv",
        "a row with fewer cells than the header",
        "imported; the missing cells are empty",
        utf8(
            "订单编号,客户名称,下单日期,承诺交期,订单金额\nCS-201,短行\nCS-202,正常,2026-06-01,2026-06-20,5\n"
        ),
    ),
    Case(
        "csv_only_delimiter.csv",
        "one comma and nothing else",
        "exit 2: no header found",
        utf8(",\n"),
    ),
    Case(
        "csv_semicolon.csv",
        "semicolon-delimited",
        "delimiter detected; imported",
        lambda: orders(row("CS-301", "分号公司", amt="1234.5"), sep=";"),
    ),
    Case(
        "csv_tab.tsv",
        "tab-delimited .tsv",
        "delimiter detected; imported",
        lambda: orders(row("CS-401", "制表符公司"), sep="\t"),
    ),
    Case(
        "csv_tab_named_csv.csv",
        "tab-delimited but named .csv",
        "delimiter detected; imported",
        lambda: orders(row("CS-402", "制表符公司二", amt="1,000"), sep="\t"),
    ),
    Case(
        "csv_pipe.csv",
        "pipe-delimited",
        "delimiter detected; imported",
        lambda: orders(row("CS-403", "竖线公司"), sep="|"),
    ),
    Case(
        "csv_crlf.csv",
        "CRLF line ends (Windows)",
        "imported; no \\r left in values",
        lambda: orders(row("CS-501", "回车换行"), row("CS-502", "第二行"), eol="\r\n"),
    ),
    Case(
        "csv_cr_only.csv",
        "CR-only line ends (classic Mac)",
        "imported; never one giant row",
        lambda: orders(row("CS-601", "仅回车"), row("CS-602", "第二行"), eol="\r"),
    ),
    Case(
        "csv_mixed_line_ends.csv",
        "LF and CRLF mixed",
        "imported; no \\r left in values",
        utf8(
            "订单编号,客户名称,下单日期,承诺交期,订单金额\r\nCS-701,混合,,,1\nCS-702,混合二,,,2\r\n"
        ),
    ),
    Case(
        "csv_bom_in_middle.csv",
        "a BOM at the start of a data line (files concatenated)",
        "the BOM trimmed from the id: CS-802",
        lambda: (
            codecs.BOM_UTF8
            + orders(row("CS-801", "头"))
            + codecs.BOM_UTF8
            + "CS-802,中间BOM,,,1\n".encode()
        ),
    ),
    Case(
        "csv_two_boms.csv",
        "two BOMs at the start",
        "header recognised; imported",
        lambda: codecs.BOM_UTF8 * 2 + orders(row("CS-901", "双BOM")),
    ),
    Case(
        "csv_empty_lines.csv",
        "empty lines between the rows",
        "skipped; the reject keeps the line number an editor shows (6)",
        utf8(
            "订单编号,客户名称,下单日期,承诺交期,订单金额\n\nCS-A01,空行,,,1\n\n\nCS-A02,空行二,bad,,2\n"
        ),
    ),
    Case("csv_empty.csv", "0 bytes", "exit 2: the file is empty", lambda: b""),
    Case(
        "csv_header_only.csv", "a header and nothing else", "exit 0: no data rows", lambda: orders()
    ),
    Case(
        "csv_header_only_no_newline.csv",
        "a header without a final line break",
        "exit 0: no data rows",
        utf8(",".join(H)),
    ),
    Case(
        "csv_blank_lines_only.csv",
        "only line breaks and spaces",
        "exit 2: no header found",
        utf8("\n\n   \n\n"),
    ),
    Case(
        "csv_trailing_delimiters.csv",
        "every line ends with a delimiter",
        "imported; the empty last column ignored",
        lambda: orders([*row("CS-B01", "尾逗号"), ""], header=[*H, ""]),
    ),
    Case(
        "csv_quoted_newlines.csv",
        "a quoted cell with line breaks and doubled quotes",
        "imported; the text verbatim",
        lambda: orders(row("CS-C01", '第一行\n第二行 "引号"'), row("CS-C02", "普通")),
    ),
    Case(
        "csv_backslash_quotes.csv",
        'quotes escaped with backslashes (\\")',
        "exit 2 naming the line; never a shifted column",
        utf8('订单编号,客户名称,下单日期,承诺交期,订单金额\nCS-D01,"Say \\"hi\\", Ltd",,,1\n'),
    ),
    Case(
        "csv_total_row.csv",
        "a 合计 total row at the bottom",
        "the total row dropped, not imported as an order",
        lambda: orders(
            row("CS-E01", amt="100"), row("CS-E02", amt="200"), ["合计", "", "", "", "300"]
        ),
    ),
    Case(
        "csv_no_final_newline.csv",
        "no line break after the last row",
        "imported",
        lambda: orders(row("CS-F01", "无结尾换行"))[:-1],
    ),
    Case(
        "csv_stray_quote.csv",
        'a quote inside an unquoted cell (5" pipe)',
        "imported verbatim",
        utf8('订单编号,客户名称,下单日期,承诺交期,订单金额\nCS-G01,5" pipe Co,,,1\n'),
    ),
    Case(
        "csv_excel_sep_line.csv",
        "Excel's sep=; line before the header",
        "header found; imported",
        lambda: b"sep=;\n" + orders(row("CS-H01", "分隔提示"), sep=";"),
    ),
    Case(
        "csv_xlsx_bytes.csv",
        "an Excel workbook saved with a .csv name",
        "exit 2: rename it to .xlsx",
        good_xlsx,
    ),
    Case(
        "csv_duplicate_keys.csv",
        "the same id twice with different amounts",
        "both rows rejected, naming both rows",
        lambda: orders(row("CS-I01", amt="1"), row("CS-I02", amt="2"), row("CS-I01", amt="3")),
    ),
    Case(
        "csv_html_as_csv.csv",
        "an HTML page saved as .csv",
        "exit 2: no header found",
        utf8(HTML_XLS),
    ),
]

FILE_TYPES = [
    Case(
        "type_pdf.pdf",
        "a PDF",
        "exit 2: unsupported file type",
        lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    ),
    Case(
        "type_json.json",
        "a JSON export",
        "exit 2: unsupported file type",
        utf8('[{"订单编号": "J-1"}]\n'),
    ),
    Case(
        "type_pdf_named_csv.csv",
        "a PDF renamed to .csv",
        "exit 2, no traceback",
        lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + random_bytes(1500, 3),
    ),
]

CASES: list[Case] = [
    *ENCODINGS,
    *EXCEL,
    *HEADERS,
    *DATES,
    *NUMBERS,
    *INJECTION,
    *UNICODE,
    *HUGE,
    *CSV_STRUCTURE,
    *FILE_TYPES,
]


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    written = []
    for case in CASES:
        path = out / case.name
        path.write_bytes(case.data())
        written.append(path)
    (out / "README.md").write_text(manifest(), encoding="utf-8")
    return written


def manifest() -> str:
    lines = [
        "# tests/data/bad/ — the bad-input corpus",
        "",
        "One small file per way an export goes wrong, imported by",
        "`tests/reliability/test_bad_corpus.py`, which holds the exact expectation of each",
        "(exit code, message, rejected rows and their original cells, stored values, database",
        "unchanged on refusal). Generated by `make_corpus.py` (deterministic; do not edit the",
        "files by hand — change the script and run it):",
        "",
        "    .venv/bin/python tests/data/bad/make_corpus.py",
        "",
        "Files are imported with `--profile orders` unless the test names another profile.",
        "A whole-file refusal is exit 2 with `Error: FILE: …` on stderr and the database",
        "unchanged; rejected rows go to `import_rejects` with their original cells.",
        "",
        "| file | what is wrong | expected outcome |",
        "|---|---|---|",
    ]

    def cell(s: str) -> str:
        return s.replace("|", "\\|")

    for c in CASES:
        lines.append(f"| `{c.name}` | {cell(c.wrong)} | {cell(c.outcome)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    files = write(target)
    total = sum(p.stat().st_size for p in files)
    print(f"{len(files)} files, {total:,} bytes, in {target}")
