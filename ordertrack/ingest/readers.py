"""Readers: a CSV or Excel file → a DuckDB temp table of text cells with Excel row numbers.

Every reader produces the same shape, so validation and loading are one code path:
a table ``raw`` with columns ``c0 … cN`` (VARCHAR, one per header cell, in file order)
and ``_row`` (BIGINT, the row number as Excel or a text editor shows it).

* CSV: UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030 (detected, or named in
  the profile; transcoded to UTF-8 in chunks), any delimiter; parsed by DuckDB's
  ``read_csv`` (set-based), strict about the column count so no cell is dropped.
* XLSX/XLSM/XLS: fastexcel (calamine) → Arrow → DuckDB; cached formula values; Excel error
  cells (#N/A, #REF!, …) are found in the sheet XML and kept as their text so validation
  rejects them instead of reading an empty cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ordertrack.errors import InputError

CSV_EXT = {".csv", ".txt", ".tsv"}
EXCEL_EXT = {".xlsx", ".xlsm", ".xls"}
SUPPORTED = sorted(CSV_EXT | EXCEL_EXT)
PREVIEW_ROWS = 40  # rows looked at to find the header
CHUNK = 1 << 20
NO_VALUE = "#NO-VALUE"  # a formula saved without its result (files written by scripts)
EXCEL_ERRORS = (
    NO_VALUE,
    "#N/A",
    "#REF!",
    "#VALUE!",
    "#DIV/0!",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "#GETTING_DATA",
)


@dataclass
class Source:
    """What a reader found: enough to choose a profile and to explain problems."""

    path: Path
    kind: str  # csv | excel
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    preview: list[list[str]] = field(default_factory=list)  # first rows, as text
    preview_rows: list[int] = field(default_factory=list)  # their Excel row numbers
    # set by read_table():
    header_row: int | None = None
    headers: list[str] = field(default_factory=list)
    rows: int = 0
    utf8_path: Path | None = None  # transcoded copy of a non-UTF-8 CSV
    csv_relation: str | None = None
    encoding_given: bool = False
    blank_lines: list[int] = field(default_factory=list)
    mixed_eol: bool = False  # CRLF and LF line ends: read from a copy with LF only
    _excel: Any = None
    _batch: Any = None  # the sheet as an Arrow record batch of text cells
    _errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) → "#N/A"
    _origin: tuple[int, int] = (0, 0)  # first row / column of the sheet's used range (0-based)


@dataclass
class FileScan:
    """One pass over the bytes: the hash, whether it starts as UTF-8, where the empty
    lines are. (The rest of the file is checked as UTF-8 by DuckDB when it reads it.)"""

    sha256: str
    utf8: bool
    blank_lines: list[int]  # 1-based physical line numbers of empty lines
    nul_line: int | None = None  # the first line with a NUL byte (binary data, or UTF-16)
    mixed_eol: bool = False  # some lines end in CRLF, others in a lone LF


def sha256_file(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def scan_file(path: Path, sha256: str | None = None) -> FileScan:
    """Whether the file starts as UTF-8, and where its empty lines are (plus the hash,
    computed here unless given: a file already known is skipped before this scan)."""
    head = path.open("rb").read(CHUNK) if path.stat().st_size else b""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    candidates: list[int] = []  # byte offsets of line breaks followed by an empty line
    offset = 0
    tail = b""
    nul_line: int | None = None
    lines = 0
    crlf = lone_lf = 0  # line ends seen outside quoted cells: CRLF, and LF alone
    quoted = False  # inside a quoted cell at the start of the chunk ("" toggles twice)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            if nul_line is None and b"\x00" in chunk:
                nul_line = lines + chunk.count(b"\n", 0, chunk.index(b"\x00")) + 1
            if not (crlf and lone_lf):
                # a line break inside a quoted cell is the cell's text, kept as written
                for i, part in enumerate(chunk.split(b'"')):
                    if (i % 2 == 1) == quoted:
                        # (a CRLF split between two chunks is one too)
                        split = i == 0 and part.startswith(b"\n") and tail.endswith(b"\r")
                        pairs = part.count(b"\r\n") + split
                        crlf += pairs
                        lone_lf += part.count(b"\n") - pairs
                quoted ^= chunk.count(b'"') % 2 == 1
            lines += chunk.count(b"\n")
            if (
                b"\n\n" in chunk
                or b"\n\r\n" in chunk
                or (
                    b"\n" in tail and (b"\n\n" in tail + chunk[:2] or b"\n\r\n" in tail + chunk[:2])
                )
            ):
                window = tail + chunk
                base = offset - len(tail)
                candidates += [base + m.start() for m in re.finditer(rb"\n(?=\r?\n)", window)]
            tail = chunk[-2:]
            offset += len(chunk)
    return FileScan(
        sha256 or sha256_file(path),
        utf8,
        _line_numbers(path, sorted(set(candidates))),
        nul_line,
        bool(crlf and lone_lf),
    )


def _line_numbers(path: Path, offsets: list[int]) -> list[int]:
    """The (empty) line after each line break at ``offsets``: a second pass, only when
    the file has empty lines at all."""
    if not offsets:
        return []
    out: list[int] = []
    line, pos, i = 1, 0, 0
    with path.open("rb") as f:
        while i < len(offsets) and (chunk := f.read(CHUNK)):
            end = pos + len(chunk)
            while i < len(offsets) and offsets[i] < end:
                out.append(line + chunk.count(b"\n", 0, offsets[i] - pos) + 1)
                i += 1
            line += chunk.count(b"\n")
            pos = end
    return out


def check_path(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found", hint="Check the name and folder.")
    if path.is_dir():
        raise InputError(
            f"{path}: is a folder, not a file", hint=f"Import the files in it: {path}/*.xlsx"
        )
    if path.suffix.lower() not in CSV_EXT | EXCEL_EXT:
        raise InputError(
            f"{path}: unsupported file type {path.suffix or '(no extension)'}",
            hint=f"ordertrack imports {', '.join(SUPPORTED)} files; save the export as one of them.",
        )
    if path.stat().st_size == 0:
        raise InputError(
            f"{path}: the file is empty", hint="Export it again from the source system."
        )


def open_source(
    path: Path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    tmp_dir: Path | None = None,
    scan: FileScan | None = None,
) -> Source:
    """Open a file and read its first rows (to find the header and choose a profile)."""
    check_path(path)
    if path.suffix.lower() in EXCEL_EXT:
        return _open_excel(path, sheet)
    return _open_csv(path, encoding, delimiter, tmp_dir, scan or scan_file(path))


# -- CSV ---------------------------------------------------------------------------------


def _open_csv(
    path: Path, encoding: str | None, delimiter: str | None, tmp_dir: Path | None, scan: FileScan
) -> Source:
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith((b"\xd0\xcf\x11\xe0", b"PK\x03\x04")):
        raise InputError(
            f"{path}: this is an Excel workbook saved with a {path.suffix} name",
            hint="Rename it to .xlsx (or .xls) and import it again.",
        )
    enc = (encoding or "").lower().replace("_", "-") or detect_encoding(path, scan)
    src = Source(path, "csv", encoding=enc, encoding_given=bool(encoding))
    if scan.nul_line is not None and not enc.startswith("utf-16"):
        raise InputError(
            f"{path}: line {scan.nul_line} contains NUL bytes (binary data, not {enc.upper()} text)",
            hint="Export the file again as text (CSV UTF-8); a file saved as UTF-16 needs "
            'encoding = "utf-16-le" (or -be) in the profile.',
        )
    if encoding and enc.replace("-", "") in GB_NAMES and scan.utf8 and not _ascii_head(path):
        # GBK read from UTF-8 bytes is mojibake that no check downstream would catch
        raise InputError(
            f'{path}: the file is UTF-8 text, though the profile says encoding = "{encoding}"',
            hint="Remove the encoding key from the profile (UTF-8 and GBK are detected).",
        )
    if enc in ("utf-8", "utf-8-sig", "utf8"):
        src.encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        src.utf8_path = path
        src.blank_lines = scan.blank_lines
    else:
        src.utf8_path = transcode(path, enc, tmp_dir)
        src.blank_lines = scan.blank_lines  # line breaks are the same in any encoding
    if scan.mixed_eol:
        src.mixed_eol = True
        transcoded = src.utf8_path
        src.utf8_path = lf_copy(transcoded, tmp_dir)
        if transcoded != path:  # a copy of ours already: one copy is enough
            transcoded.unlink(missing_ok=True)
    try:
        with src.utf8_path.open("r", encoding="utf-8-sig", newline="") as f:
            text = f.read(256 * 1024)
    except UnicodeDecodeError as e:
        bad, line = _first_bad_utf8(src.utf8_path, e)
        if encoding:
            raise InputError(
                f"{path}: not valid UTF-8 text (byte {bad!r}), though the "
                f'profile says encoding = "{encoding}"',
                hint='The file is probably GBK: set encoding = "gb18030" in the profile (or '
                "remove the key to have it detected).",
            ) from None
        raise InputError(
            f"{path}: line {line} is not valid UTF-8 text (byte {bad!r}); the file may be cut "
            "short or damaged",
            hint="Export it again from the source system.",
        ) from None
    lines = text.splitlines()
    if len(text) == 256 * 1024 and lines:
        lines = lines[:-1]  # the last one may be cut
    src.delimiter = delimiter or sniff_delimiter(lines[:PREVIEW_ROWS])
    reader = csv.reader(io.StringIO("\n".join(lines[: PREVIEW_ROWS * 2])), delimiter=src.delimiter)
    for row_no, cells in enumerate(reader, start=1):
        if len(src.preview) >= PREVIEW_ROWS:
            break
        src.preview.append([c.strip() for c in cells])
        src.preview_rows.append(row_no)
    return src


GB_NAMES = {"gbk", "gb2312", "gb18030", "cp936"}
# Format characters GBK text never holds: what Big5 or Latin-1 bytes read as GBK give.
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _first_bad_utf8(path: Path, e: UnicodeDecodeError) -> tuple[bytes, int]:
    """The first bytes that are not UTF-8 in the head of ``path``, and their line."""
    with path.open("rb") as f:
        raw = f.read(CHUNK)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(raw, final=len(raw) < CHUNK)
    except UnicodeDecodeError as found:
        return raw[found.start : found.start + 2], raw[: found.start].count(b"\n") + 1
    return e.object[e.start : e.start + 2], 1


def detect_encoding(path: Path, scan: FileScan) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as UTF-8; UTF-16 with a BOM, or without
    one when every other byte is NUL; else GB18030 (⊃ GBK), unless that gives text no GBK
    export holds (private-use characters: Big5 read as GBK)."""
    with path.open("rb") as f:
        start = f.read(4096)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if scan.nul_line is not None and len(start) >= 4:
        # ASCII in UTF-16 is a NUL every other byte; Chinese has NULs now and then on the
        # other side too (一 is 00 4E in UTF-16LE), so a clear majority decides
        even, odd = start[0::2].count(0), start[1::2].count(0)
        if odd > len(start) // 8 and even * 4 < odd:
            return "utf-16-le"
        if even > len(start) // 8 and odd * 4 < even:
            return "utf-16-be"
    if scan.utf8:
        return "utf-8"
    check_mixed_encoding(path)
    _check_not_big5(path)
    return "gb18030"


def _ascii_head(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(CHUNK).isascii()


def _check_not_big5(path: Path) -> None:
    """Refuse a file that reads as GB18030 only with many private-use characters (Big5
    mojibake). GBK's own user-defined characters (rare names) are private-use too, so a
    few of them are let through."""
    with path.open("rb") as f:
        head = f.read(CHUNK)
    text = codecs.getincrementaldecoder("gb18030")(errors="replace").decode(head)
    found = _PRIVATE_USE.findall(text)
    if not found:
        return
    try:
        codecs.getincrementaldecoder("big5")().decode(head)
        big5 = True
    except UnicodeDecodeError:
        big5 = False
    # Big5 read as GBK gives them by the dozen (its frequent lead bytes are GBK's
    # user-defined rows); a GBK file has one now and then: under 2% is GBK's own
    cjk = sum(1 for ch in text if ord(ch) > 0x2E7F)
    if len(found) * 50 < cjk:
        return
    first = _PRIVATE_USE.search(text)
    line = text[: first.start()].count("\n") + 1 if first else 1
    guess = (
        'it looks like Big5 (traditional Chinese): set encoding = "big5" in the profile'
        if big5
        else "set the file's encoding in the profile"
    )
    raise InputError(
        f"{path}: line {line} is neither UTF-8 nor GBK text (read as GBK it gives characters "
        "no export holds)",
        hint=f"{guess[:1].upper()}{guess[1:]}, or save the file as UTF-8.",
    )


def check_mixed_encoding(path: Path) -> None:
    """Refuse a file whose lines are partly UTF-8 and partly GBK (a copy-paste accident)."""
    utf8_lines: list[int] = []
    gbk_lines: list[int] = []
    with path.open("rb") as f:
        for n, line in enumerate(f, start=1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                utf8_lines.append(n)
            except UnicodeDecodeError:
                try:
                    line.decode("gb18030")
                except UnicodeDecodeError as e:
                    raise InputError(
                        f"{path}: line {n} is neither UTF-8 nor GBK text "
                        f"(byte {e.object[e.start : e.start + 2]!r})",
                        hint="The file is damaged or in another encoding: export it again as "
                        'UTF-8, or set encoding = "…" in the profile.',
                    ) from None
                gbk_lines.append(n)
            if utf8_lines and gbk_lines and len(utf8_lines) + len(gbk_lines) > 50:
                break
    if utf8_lines and gbk_lines:
        raise InputError(
            f"{path}: mixed encodings: line {_lines(utf8_lines)} UTF-8 but line "
            f"{_lines(gbk_lines)} GBK",
            hint="Open the file in a text editor and save it in one encoding (UTF-8), "
            "or export it again.",
        )


def _lines(ns: list[int]) -> str:
    shown = ", ".join(str(n) for n in ns[:5])
    return f"{shown}{', …' if len(ns) > 5 else ''} {'are' if len(ns) > 1 else 'is'}"


def transcode(path: Path, encoding: str, tmp_dir: Path | None) -> Path:
    """Write a UTF-8 copy of a GBK/GB18030/UTF-16 file, in 1 MiB chunks."""
    import tempfile

    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        raise InputError(
            f'{path}: unknown encoding "{encoding}"', hint='Use e.g. "utf-8" or "gb18030".'
        ) from None
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="ordertrack-", dir=tmp_dir)
    out_path = Path(name)
    line = 1
    try:
        with path.open("rb") as src, open(fd, "wb") as out:
            while chunk := src.read(CHUNK):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as e:
                    bad_line = line + chunk[: e.start].count(b"\n")
                    raise InputError(
                        f"{path}: line {bad_line} is not valid {encoding.upper()} text "
                        f"(byte {e.object[e.start : e.start + 2]!r})",
                        hint="The file mixes encodings or is damaged; save it again as UTF-8.",
                    ) from None
                line += chunk.count(b"\n")
                out.write(text.encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    return out_path


def lf_copy(path: Path, tmp_dir: Path | None) -> Path:
    """A copy with CRLF line ends made LF, for a file that mixes the two (DuckDB's reader
    takes the line end of the first line for all of them)."""
    import tempfile

    fd, name = tempfile.mkstemp(suffix=".csv", prefix="ordertrack-lf-", dir=tmp_dir)
    out_path = Path(name)
    try:
        with path.open("rb") as src, open(fd, "wb") as out:
            carry = b""
            while chunk := src.read(CHUNK):
                data = carry + chunk
                carry = b"\r" if data.endswith(b"\r") else b""
                out.write(data[: len(data) - len(carry)].replace(b"\r\n", b"\n"))
            out.write(carry)
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    return out_path


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first lines into the most, equal, columns."""
    best, best_score = ",", -1.0
    sample = [ln for ln in lines if ln.strip()][:20]
    for d in (",", "\t", ";", "|"):
        counts = [len(next(csv.reader([ln], delimiter=d))) for ln in sample]
        if not counts or max(counts) < 2:
            continue
        common = max(set(counts), key=counts.count)
        score = common * counts.count(common)
        if score > best_score:
            best, best_score = d, score
    return best


def read_csv_table(
    con: duckdb.DuckDBPyConnection, src: Source, header_row: int, skip: int, width: int
) -> None:
    """Make ``raw`` a view of the data rows below ``header_row`` (read by DuckDB, streamed).

    A view, not a copy: the file is read once to type it, and again only to show the
    original cells of rejected rows.
    """
    assert src.utf8_path is not None and src.delimiter is not None
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    first_line = header_row + skip  # physical lines before the first data line
    path = str(src.utf8_path).replace("'", "''")
    delim = src.delimiter.replace("'", "''")

    def relation(parallel: bool) -> str:
        return (
            f"read_csv('{path}', header = false, skip = {first_line}, columns = {cols}, "
            f"delim = '{delim}', quote = '\"', escape = '\"', null_padding = true, "
            f"strict_mode = true, auto_detect = false, max_line_size = 16777216"
            f"{'' if parallel else ', parallel = false'})"
        )

    blanks = [b for b in src.blank_lines if b > first_line]
    rel = relation(parallel=True)
    try:
        con.execute(f"SELECT count(*) FROM (SELECT * FROM {rel} LIMIT 1)")
        # a cheap probe; the whole file is checked when it is read
    except duckdb.Error as e:
        from ordertrack.store.errors import csv_error, needs_serial_csv

        if not needs_serial_csv(e):
            raise csv_error(e, src.path) from None
        rel = relation(parallel=False)  # quoted line breaks: read with one thread
    numbered = f"SELECT *, (row_number() OVER ())::BIGINT + {first_line} AS _row FROM {rel}"
    if blanks:
        # DuckDB skips empty lines: shift the row numbers after each one, so they stay
        # the numbers Excel shows.
        shifts: dict[int, int] = {}
        for j, b in enumerate(blanks):  # consecutive empty lines share a start: keep the last
            shifts[b - first_line - j] = j + 1
        starts = ", ".join(f"({k}, {v})" for k, v in shifts.items())
        numbered = (
            f"SELECT r.* REPLACE (r._row + coalesce(s.shift, 0) AS _row) FROM ({numbered}) r "
            f"ASOF LEFT JOIN (SELECT * FROM (VALUES {starts}) v(k, shift)) s "
            f"ON r._row - {first_line} >= s.k"
        )
    from ordertrack.ingest.pipeline import drop_temp

    drop_temp(con, "raw")
    con.execute(f"CREATE TEMP VIEW raw AS {numbered}")
    src.csv_relation = rel


# -- Excel -------------------------------------------------------------------------------


def _open_excel(path: Path, sheet: str | int | None) -> Source:
    with path.open("rb") as f:
        magic = f.read(8)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") and magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{path}: the workbook is password-protected (encrypted), or an old .xls saved "
            "with an .xlsx name",
            hint="Open it in Excel, remove the password (File → Info → Protect Workbook) and "
            "save it as .xlsx; or rename an old workbook to .xls.",
        )
    if not magic.startswith((b"PK", b"\xd0\xcf\x11\xe0")):
        _not_a_workbook(path)
    if suffix in (".xlsx", ".xlsm") and not magic.startswith(b"PK"):
        raise InputError(
            f"{path}: not a valid Excel workbook (the file is damaged or not Excel)",
            hint="Open it in Excel and save it again as .xlsx, or export it again.",
        )
    import fastexcel

    try:
        book = fastexcel.read_excel(str(path))
    except Exception as e:  # fastexcel raises its own error types
        raise InputError(
            f"{path}: cannot read the workbook ({_first_line(e)})",
            hint="Open it in Excel and save it again as .xlsx, or export it again.",
        ) from None
    names = list(book.sheet_names)
    if not names:
        raise InputError(f"{path}: the workbook has no sheets")
    chosen = _choose_sheet(path, names, sheet)
    src = Source(path, "excel", sheet=chosen, sheets=names)
    src._excel = book
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        # the sheet XML is scanned for error cells while calamine parses the sheet
        scan = (
            pool.submit(_sheet_scan, path, names.index(chosen))
            if suffix in (".xlsx", ".xlsm")
            else None
        )
        try:
            # The whole sheet, once (calamine parses all of it anyway): the first rows are
            # the preview, the rest is sliced off later without reading again.
            src._batch = book.load_sheet(chosen, header_row=None, dtypes="string").to_arrow()
            table = src._batch.slice(0, PREVIEW_ROWS)
        except Exception as e:
            raise InputError(f"{path}: cannot read sheet {chosen!r} ({_first_line(e)})") from None
        if scan is not None:
            src._origin, src._errors = scan.result()
        elif suffix == ".xls":
            src._origin = _xls_origin(path, chosen)
    cols = table.to_pydict()
    names_ = list(cols)
    n = table.num_rows
    for i in range(n):
        row = ["" if cols[c][i] is None else str(cols[c][i]).strip() for c in names_]
        src.preview.append(row)
        src.preview_rows.append(src._origin[0] + i + 1)
    _apply_errors_to_preview(src)
    return src


def _not_a_workbook(path: Path) -> None:
    """A web page or a text file saved with an Excel name (ERP "Excel" exports often are)."""
    with path.open("rb") as f:
        head = f.read(4096)
    text = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or b"<table" in text:
        raise InputError(
            f"{path}: this is a web page (HTML) saved with a {path.suffix} name, not a workbook",
            hint="Open it in Excel and save it as .xlsx (or export CSV from the source system).",
        )
    if b"\n" in head and _is_text(head):
        raise InputError(
            f"{path}: this is a text (CSV) file saved with a {path.suffix} name, not a workbook",
            hint="Rename it to .csv and import it again.",
        )


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(head)
            return True
        except UnicodeDecodeError:
            pass
    return False


def _choose_sheet(path: Path, names: list[str], sheet: str | int | None) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int):
        if 1 <= sheet <= len(names):
            return names[sheet - 1]
        raise InputError(
            f"{path}: there is no sheet number {sheet}; the workbook has {len(names)} "
            f"sheet{'s' if len(names) > 1 else ''}: {', '.join(names)}",
            hint="Set `sheet` in the profile to one of these names (or a number from 1).",
        )
    if sheet in names:
        return sheet
    raise InputError(
        f'{path}: no sheet named "{sheet}"; the sheets are: {", ".join(names)}',
        hint="Set `sheet` in the profile to one of these names (or a number from 1).",
    )


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


_NO_VALUE = re.compile(
    rb'<c r="([A-Z]+)(\d+)"[^>]*?>(?:<f>[^<]*</f>|<f [^>]*/>|<f [^>]*>[^<]*</f>)'
    rb"(?:<v\s*/>|<v></v>)?</c>"
)
_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?t="e"[^>]*>(?:<f>.*?</f>|<f[^>]*/>)?<v>([^<]*)</v>')
_DIM = re.compile(rb'<dimension ref="([A-Z]+)(\d+)')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _sheet_scan(path: Path, index: int) -> tuple[tuple[int, int], dict[tuple[int, int], str]]:
    """The used range's origin and the error cells of sheet ``index`` (from the XML)."""
    errors: dict[tuple[int, int], str] = {}
    origin = (0, 0)
    try:
        with zipfile.ZipFile(path) as z:
            target = _sheet_target(z, index)
            if target is None:
                return origin, errors
            with z.open(target) as f:
                carry = b""
                first = True
                while chunk := f.read(CHUNK):
                    data = carry + chunk
                    if first:
                        m = _DIM.search(data)
                        if m:
                            origin = (int(m.group(2)) - 1, _col_index(m.group(1)))
                        first = False
                    if b"<f" in data:
                        for m in _NO_VALUE.finditer(data):
                            errors[(int(m.group(2)) - 1, _col_index(m.group(1)))] = NO_VALUE
                    if b't="e"' in data:
                        for m in _CELL.finditer(data):
                            errors[(int(m.group(2)) - 1, _col_index(m.group(1)))] = m.group(
                                3
                            ).decode()
                    cut = data.rfind(b"</c>")
                    carry = data[cut + 4 :] if cut >= 0 else data[-4096:]
    except (zipfile.BadZipFile, KeyError, OSError):
        pass
    return origin, errors


def _sheet_target(z: zipfile.ZipFile, index: int) -> str | None:
    try:
        wb = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    rids = re.findall(rb'<sheet [^>]*?r:id="([^"]+)"', wb) or re.findall(
        rb'<sheet [^>]*?id="(rId\d+)"', wb
    )
    if index >= len(rids):
        return None
    rid = rids[index]
    for m in re.finditer(rb"<Relationship [^>]*>", rels):
        tag = m.group(0)
        if b'Id="' + rid + b'"' in tag:
            t = re.search(rb'Target="([^"]+)"', tag)
            if t:
                target = t.group(1).decode()
                return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _xls_origin(path: Path, sheet: str) -> tuple[int, int]:
    try:
        from python_calamine import CalamineWorkbook

        start = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).start
        return (int(start[0]), int(start[1])) if start else (0, 0)
    except Exception:
        return (0, 0)


def _apply_errors_to_preview(src: Source) -> None:
    r0, c0 = src._origin
    for (r, c), text in src._errors.items():
        i, j = r - r0, c - c0
        if 0 <= i < len(src.preview) and 0 <= j < len(src.preview[i]):
            src.preview[i][j] = text


def read_excel_table(
    con: duckdb.DuckDBPyConnection, src: Source, header_row: int, skip: int, width: int
) -> None:
    """Load the data rows below ``header_row`` (an Excel row number) into temp table ``raw``."""
    r0, _c0 = src._origin
    first_data = header_row + skip  # Excel rows before the first data row
    batch = src._batch.slice(max(first_data - r0, 0))
    import pyarrow as pa

    names = batch.schema.names
    arrays = [batch.column(i) for i in range(min(width, len(names)))]
    while len(arrays) < width:
        arrays.append(pa.nulls(batch.num_rows, pa.string()))
    extra = [batch.column(i) for i in range(width, len(names))]
    table = pa.table({f"c{i}": a for i, a in enumerate(arrays)})
    from ordertrack.ingest.pipeline import drop_temp
    from ordertrack.store import registered

    with registered(con, "_arrow_raw", table):
        drop_temp(con, "raw")
        con.execute(
            f"CREATE TEMP TABLE raw AS SELECT *, "
            f"(row_number() OVER ())::BIGINT + {first_data} AS _row FROM _arrow_raw"
        )
    if extra:
        _check_extra_cells(src, extra, first_data)
    if src._errors:
        _mark_errors(con, src, first_data, width)


def _check_extra_cells(src: Source, extra: list[Any], first_data: int) -> None:
    for col in extra:
        values = col.to_pylist()
        for i, v in enumerate(values):
            if v not in (None, ""):
                raise InputError(
                    f"{src.path}: row {first_data + i + 1} has a value ({str(v)[:40]!r}) in a "
                    "column without a header",
                    hint="Give the column a header (or delete it) and import again; "
                    "ordertrack keeps every cell, so it will not drop it silently.",
                )


def _mark_errors(con: duckdb.DuckDBPyConnection, src: Source, first_data: int, width: int) -> None:
    _r0, c0 = src._origin
    rows = [
        (r + 1, c - c0, text)
        for (r, c), text in src._errors.items()
        if r + 1 > first_data and 0 <= c - c0 < width
    ]
    for _row, col, text in rows:
        con.execute(f"UPDATE raw SET c{col} = ? WHERE _row = ?", [text, _row])
