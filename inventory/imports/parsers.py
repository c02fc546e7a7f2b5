"""Read an uploaded file once into a header and rows: CSV (UTF-8, BOM or not, `,`/`;`), XLSX or JSON.

Anything that makes the whole file unusable raises `ImportFileError` with a
sentence a clerk can act on; cell-level problems are left to validation.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from django.conf import settings

FORMATS = ("csv", "xlsx", "json")
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t"}
DECIMAL_SEPARATORS = {"point": ".", "comma": ","}
CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file: old .xls, or an encrypted .xlsx
ZIP_SIGNATURE = b"PK\x03\x04"


class ImportFileError(Exception):
    """The file as a whole cannot be imported; `message` says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ParsedFile:
    """Column names as written in the file (trimmed, lower case) and the data rows with their row numbers."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    format: str = "csv"
    decimal_separator: str = ""  # "." or "," when the upload says; "" detects and refuses a double reading


def detect_format(filename: str, data: bytes) -> str:
    """The format from the file's first bytes, falling back to its extension."""
    if data.startswith(ZIP_SIGNATURE) or data.startswith(CFB_SIGNATURE):
        return "xlsx"
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in ("json",):
        return "json"
    if extension in ("xlsx", "xlsm", "xls"):
        return "xlsx"
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"[", b"{")):
        return "json"
    return "csv"


def parse_file(data: bytes, *, filename: str = "", fmt: str = "", delimiter: str = "", decimal: str = "") -> ParsedFile:
    """Parse the whole upload; `fmt`, `delimiter` ("comma", "semicolon", "tab") and `decimal` ("point",
    "comma") override detection."""
    limit = settings.STOCKROOM_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise ImportFileError(
            f"The file is {_size(len(data))}; files up to {_size(limit)} can be imported. "
            "Split it into smaller files and import them one after the other."
        )
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ImportFileError("The file is empty. Choose a file with a header row and at least one row of data.")
    fmt = fmt or detect_format(filename, data)
    if fmt == "xlsx":
        parsed = _parse_xlsx(data)
    elif fmt == "json":
        parsed = _parse_json(data)
    else:
        parsed = _parse_csv(data, DELIMITERS.get(delimiter, ""))
    if not parsed.rows:
        raise ImportFileError("The file has a header row but no data rows.")
    parsed.decimal_separator = DECIMAL_SEPARATORS.get(decimal, "")
    return parsed


class _Limits:
    """Rows, columns and cell sizes an upload may have (settings), checked while it is read."""

    def __init__(self):
        self.rows = settings.STOCKROOM_IMPORT_MAX_ROWS
        self.columns = settings.STOCKROOM_IMPORT_MAX_COLUMNS
        self.cell_chars = settings.STOCKROOM_IMPORT_MAX_CELL_CHARS

    def check_row(self, count: int, cells: list[Any], where: str) -> None:
        if count > self.rows:
            raise ImportFileError(
                f"The file has more than {self.rows:,} rows; split it into files of at most {self.rows:,} rows."
            )
        if len(cells) > self.columns and any(_filled(cell) for cell in cells[self.columns :]):
            raise ImportFileError(f"{where} has more than {self.columns} columns; remove the extra columns.")
        for cell in cells:
            if isinstance(cell, str) and len(cell) > self.cell_chars:
                raise ImportFileError(
                    f"{where} has a cell of {len(cell):,} characters; cells may hold at most {self.cell_chars:,}."
                )


def _size(count: int) -> str:
    if count >= 1024**3:
        return f"{count / 1024**3:.1f} GB"
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{count / 1024:.1f} KB" if count >= 1024 else f"{count} bytes"


def _headers(cells: list[Any]) -> list[str]:
    headers = [str(cell if cell is not None else "").strip().lower() for cell in cells]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise ImportFileError("The first row must name the columns, but it is empty.")
    if "" in headers:
        raise ImportFileError(f"Column {headers.index('') + 1} of the header row has no name.")
    seen = set()
    for header in headers:
        if header in seen:
            raise ImportFileError(f"The column “{header}” appears twice in the header row.")
        seen.add(header)
    return headers


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            f"The file is not UTF-8 text (unreadable byte 0x{data[error.start]:02X} on line {line}). "
            "In Excel choose “Save as → CSV UTF-8”, or pick UTF-8 when exporting, then upload it again."
        ) from None


def _parse_csv(data: bytes, delimiter: str) -> ParsedFile:
    text = _decode(data)
    if "\x00" in text:
        raise ImportFileError("The file contains binary data; upload a CSV, XLSX or JSON file.")
    if not delimiter:
        first_line = text.lstrip("\r\n").split("\n", 1)[0]
        delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = None
    rows = []
    limits = _Limits()
    try:
        for record in reader:
            limits.check_row(len(rows) + 1, record, f"Line {reader.line_num}")
            if headers is None:
                if not any(cell.strip() for cell in record):
                    continue
                headers = _headers(record)
                continue
            if not "".join(record).strip():
                continue
            rows.append((reader.line_num, record))
    except csv.Error as error:
        raise ImportFileError(f"The CSV file is malformed near line {reader.line_num}: {error}.") from None
    if headers is None:
        raise ImportFileError("The file is empty. Choose a file with a header row and at least one row of data.")
    return ParsedFile(headers, rows, "csv")


def _is_encrypted_ooxml(data: bytes) -> bool:
    # An encrypted .xlsx is a compound file holding "EncryptionInfo" and "EncryptedPackage" streams
    # (MS-OFFCRYPTO); directory entry names are UTF-16LE.
    return "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data


def _parse_xlsx(data: bytes) -> ParsedFile:
    from openpyxl import load_workbook

    if data.startswith(CFB_SIGNATURE):
        if _is_encrypted_ooxml(data):
            raise ImportFileError(
                "This workbook is password-protected. Open it in Excel, remove the password "
                "(File → Info → Protect Workbook), save it and upload it again."
            )
        raise ImportFileError("This is an old Excel 97–2003 (.xls) workbook. Save it as .xlsx and upload it again.")
    _check_inflated_size(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, ParseError) as error:
        raise ImportFileError(
            "The file is not a readable Excel workbook (it may be damaged or only partly uploaded). "
            "Open it in Excel, save it again as .xlsx and upload it again."
        ) from error
    limits = _Limits()
    try:
        sheet = workbook.worksheets[0]
        _check_dimensions(sheet, limits)
        headers = None
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            limits.check_row(number, values, f"Row {number}")
            cells = list(values)
            if not any(_filled(cell) for cell in cells):
                continue
            if headers is None:
                headers = _headers(cells)
                continue
            rows.append((number, cells))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError) as error:
        raise ImportFileError(
            "The workbook could not be read to the end (it may be damaged). Open it in Excel, save it again "
            "as .xlsx and upload it again."
        ) from error
    finally:
        workbook.close()
    if headers is None:
        raise ImportFileError("The workbook's first sheet is empty.")
    return ParsedFile(headers, rows, "xlsx")


def _check_inflated_size(data: bytes) -> None:
    """Refuse a zip bomb before it is inflated: the members' declared sizes bound what reading them yields.

    zipfile never returns more than a member declares (it stops, and fails the CRC
    check on a lie), so the sum of declared sizes bounds the memory and time spent.
    """
    limit = settings.STOCKROOM_IMPORT_MAX_INFLATED_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ImportFileError(
            "The file is not a readable Excel workbook (it may be damaged or only partly uploaded). "
            "Open it in Excel, save it again as .xlsx and upload it again."
        ) from error
    if inflated > limit:
        raise ImportFileError(
            f"This workbook unpacks to {_size(inflated)}; workbooks may unpack to at most {_size(limit)}. "
            "Save it as CSV, or split it into smaller workbooks."
        )


def _check_dimensions(sheet, limits: _Limits) -> None:
    """The sheet's declared dimensions, when it has them (a lie is caught row by row anyway)."""
    try:
        rows, columns = sheet.max_row, sheet.max_column
    except (ValueError, TypeError):
        return
    if rows and rows > limits.rows + 1:
        raise ImportFileError(f"The sheet has {rows:,} rows; split it into files of at most {limits.rows:,} rows.")
    if columns and columns > limits.columns * 4:
        raise ImportFileError(f"The sheet is {columns:,} columns wide; at most {limits.columns} columns are read.")


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _parse_json(data: bytes) -> ParsedFile:
    text = _decode(data)
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(f"The JSON file is malformed at line {error.lineno}: {error.msg}.") from None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ImportFileError('A JSON import must be a list of objects, like [{"sku": "P-1", "name": "Hammer"}].')
    if not items:
        raise ImportFileError("The file is empty. Choose a file with at least one row of data.")
    limits = _Limits()
    for number, item in enumerate(items, start=1):
        limits.check_row(number, list(item.values()), f"Object {number}")
    names: dict[str, None] = {}
    for item in items:
        for key in item:
            names.setdefault(str(key), None)
    headers = _headers(list(names))
    keys = list(names)
    rows = [(number, [item.get(key) for key in keys]) for number, item in enumerate(items, start=2)]
    return ParsedFile(headers, rows, "json")
