"""Returned files → `RawWorkbook`: format detected from content, values read with calamine.

python-calamine reads xlsx, xls and ods quickly; what it cannot see (custom properties, the
saved time, formulas without a cached value, number formats) is read straight from the xlsx/ods
zip, and an .xls file's number formats with xlrd, only when a question needs them.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from xml.etree import ElementTree as PlainElementTree

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from python_calamine import CalamineWorkbook

from indicator_kit.findings import Message

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Kind(StrEnum):
    XLSX = "xlsx"
    XLSM = "xlsm"
    XLS = "xls"
    ODS = "ods"
    ENCRYPTED = "encrypted"
    EMPTY = "empty"
    CORRUPT = "corrupt"
    OTHER = "other"  # not a spreadsheet


TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:[ \t]", re.MULTILINE)
_MAIL_HEADERS = (b"\nfrom:", b"\nsubject:", b"\nmime-version:", b"\ncontent-type:", b"\nmessage-id:")


def looks_like_mail(sample: bytes) -> bool:
    """RFC 5322 text: it starts with a header line and names at least two of the usual headers."""
    if not _HEADER_LINE.match(sample):
        return False
    head = b"\n" + sample[:8192].lower()
    return sum(1 for name in _MAIL_HEADERS if name in head) >= 2


def is_msg(data: bytes) -> bool:
    """An Outlook .msg is an OLE file whose root holds the MAPI properties stream."""
    return (
        "__properties_version1.0".encode("utf-16-le") in data and "__substg1.0_".encode("utf-16-le") in data
    )


@dataclass(frozen=True)
class Sniffed:
    kind: Kind
    detail: str = ""  # for OTHER: pdf, docx, image…; for CORRUPT: why
    members: tuple[zipfile.ZipInfo, ...] = ()  # the zip directory, read once here
    package: zipfile.ZipFile | None = None  # xlsx/ods: the open (in-memory) zip, reused by the reader


def sniff(data: bytes) -> Sniffed:
    """The real format, from the bytes (an .xls renamed .xlsx is still an .xls)."""
    if not data:
        return Sniffed(Kind.EMPTY)
    head = data[:8]
    if head.startswith(b"PK"):
        try:
            z = zipfile.ZipFile(io.BytesIO(data))  # in memory: nothing to close; kept for the reader
            members = tuple(z.infolist())
            names = {m.filename for m in members}
            if "xl/workbook.xml" in names:
                kind = Kind.XLSM if "xl/vbaProject.bin" in names else Kind.XLSX
                return Sniffed(kind, members=members, package=z)
            if "mimetype" in names:
                mime = z.read("mimetype")[:100]
                if b"opendocument.spreadsheet" in mime:
                    return Sniffed(Kind.ODS, members=members, package=z)
                return Sniffed(Kind.OTHER, "docx" if b"text" in mime else "zip")
            if any(n.startswith("word/") for n in names):
                return Sniffed(Kind.OTHER, "docx")
            return Sniffed(Kind.OTHER, "zip")
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            return Sniffed(Kind.CORRUPT, f"zip: {exc}")
    if head == OLE_MAGIC:
        if is_msg(data):
            return Sniffed(Kind.OTHER, "msg")
        if "EncryptionInfo".encode("utf-16-le") in data:
            return Sniffed(Kind.ENCRYPTED)
        if "WordDocument".encode("utf-16-le") in data:
            return Sniffed(Kind.OTHER, "doc")
        return Sniffed(Kind.XLS)
    if data.startswith(b"%PDF"):
        return Sniffed(Kind.OTHER, "pdf")
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return Sniffed(Kind.OTHER, "image")
    if data.startswith(TNEF_SIGNATURE):
        return Sniffed(Kind.OTHER, "tnef")
    sample = data[:2048]
    if looks_like_mail(sample):
        return Sniffed(Kind.OTHER, "eml")
    try:
        sample.decode("utf-8")
        return Sniffed(Kind.OTHER, "text")
    except UnicodeDecodeError:
        return Sniffed(Kind.OTHER, "unknown")


class RawSheet:
    """One sheet; its cells are read from the workbook the first time they are needed."""

    def __init__(self, name: str, visible: str, load: Callable[[], list[list[object]]] | list[list[object]]):
        self.name, self.visible = name, visible  # visible: "visible", "hidden", "veryhidden"
        self._load = load
        self._grid: list[list[object]] | None = load if isinstance(load, list) else None

    @property
    def grid(self) -> list[list[object]]:
        if self._grid is None:
            self._grid = self._load()  # type: ignore[operator]
        return self._grid

    def at(self, row: int, col: int) -> object:
        grid = self.grid
        if row < len(grid):
            values = grid[row]
            if col < len(values):
                return values[col]
        return None


@dataclass
class RawWorkbook:
    kind: Kind
    sheets: list[RawSheet]
    properties: dict[str, str] = field(default_factory=dict)
    saved_at: datetime | None = None
    # xlsx: a sheet's XML by sheet name, read only if a formula has to be looked up
    sheet_xml: Callable[[str], bytes | None] = lambda name: None
    # sheet name → its percentage-formatted cells and their format code; read only if asked
    percent_cells: Callable[[str], dict[tuple[int, int], str]] = lambda name: {}
    _formulas: dict[str, dict[tuple[int, int], bool]] = field(default_factory=dict)
    _percent: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)

    def sheet(self, name: str) -> RawSheet | None:
        return next((s for s in self.sheets if s.name == name), None)

    def formula_state(self, sheet_name: str) -> Callable[[int, int], bool | None]:
        """(row, col) → None: no formula; True: a formula with a computed value; False: one
        without (calamine shows it as blank). The sheet's XML is scanned on the first question."""

        def state(row: int, col: int) -> bool | None:
            found = self._formulas.get(sheet_name)
            if found is None:
                try:
                    xml = self.sheet_xml(sheet_name)
                    found = _formula_cells(xml) if xml else {}
                except Exception:  # the zip was read once already; anything now is damage
                    raise ReadError(Message("file-unreadable", "damaged")) from None
                self._formulas[sheet_name] = found
            return found.get((row, col))

        return state

    def percent_format(self, sheet_name: str) -> Callable[[int, int], str | None]:
        """(row, col) → the cell's number format code when it shows the value as a percentage
        ("0.0%"), else None. calamine gives values, not formats: the xlsx styles are read on the
        first question and the sheet's XML is scanned only when some style is a percentage; an
        .ods sheet's cells say `office:value-type="percentage"` themselves; an .xls file's
        BIFF8 formats are read with xlrd (see `_xls_percent_cells`)."""

        def format_of(row: int, col: int) -> str | None:
            found = self._percent.get(sheet_name)
            if found is None:
                try:
                    found = self.percent_cells(sheet_name)
                except Exception:  # the zip was read once already; anything now is damage
                    raise ReadError(Message("file-unreadable", "damaged")) from None
                self._percent[sheet_name] = found
            return found.get((row, col))

        return format_of


class ReadError(Exception):
    """The file is a spreadsheet that cannot be read; `message` says why (a finding's message)."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(message)


def _loader(book: CalamineWorkbook, name: str, max_cells: int) -> Callable[[], list[list[object]]]:
    def load() -> list[list[object]]:
        try:
            sheet = book.get_sheet_by_name(name)
            end = sheet.end or (0, 0)
            if (end[0] + 1) * (end[1] + 1) > max_cells:  # checked before any Python object is made
                raise ReadError(
                    Message(
                        "file-too-large",
                        "sheet",
                        {"sheet_name": name, "rows": end[0] + 1, "columns": end[1] + 1},
                    )
                )
            return sheet.to_python(skip_empty_area=False)
        except ReadError:
            raise
        except Exception as exc:
            raise ReadError(
                Message("file-unreadable", "sheet", {"sheet_name": name, "error": type(exc).__name__})
            ) from None

    return load


def read_workbook(
    data: bytes, kind: Kind, max_cells: int = 500_000, package: zipfile.ZipFile | None = None
) -> RawWorkbook:
    """`package`: the file's zip when the caller has it open already (see `sniff`)."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in book.sheets_metadata:
            visible = str(meta.visible).rsplit(".", 1)[-1].lower()
            sheets.append(RawSheet(meta.name, visible, _loader(book, meta.name, max_cells)))
    except Exception as exc:  # calamine raises several types, some not exported
        text = str(exc).lower()
        if "password" in text or "encrypt" in text:
            raise ReadError(Message("file-encrypted")) from None
        raise ReadError(Message("file-unreadable", "open", {"error": type(exc).__name__})) from None
    workbook = RawWorkbook(kind, sheets)
    try:
        if kind in (Kind.XLSX, Kind.XLSM, Kind.ODS) and package is None:
            package = zipfile.ZipFile(io.BytesIO(data))
        if kind in (Kind.XLSX, Kind.XLSM):
            _read_xlsx_extras(package, workbook)  # type: ignore[arg-type]
        elif kind is Kind.ODS:
            _read_ods_extras(package, workbook)  # type: ignore[arg-type]
        elif kind is Kind.XLS:
            workbook.percent_cells = _xls_percent_cells(data)
    except DefusedXmlException:
        raise ReadError(Message("file-unreadable", "unsafe-xml")) from None
    except (ElementTree.ParseError, PlainElementTree.ParseError, KeyError, zipfile.BadZipFile, ValueError):
        raise ReadError(Message("file-unreadable", "damaged")) from None
    return workbook


_NS = {
    "cp": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    "dcterms": "http://purl.org/dc/terms/",
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _parse_xml(data: bytes) -> PlainElementTree.Element:
    """defusedxml refuses DTDs and entity declarations. A document in an ASCII-based encoding
    with no DOCTYPE cannot declare any, so it goes to the standard parser, which is cheaper to
    set up (two small documents per file)."""
    if data[:1] == b"<" and b"\x00" not in data[:4] and b"<!DOCTYPE" not in data:
        return PlainElementTree.fromstring(data)
    return ElementTree.fromstring(data)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=64)
def _custom_properties(xml: bytes) -> Mapping[str, str]:
    """docProps/custom.xml's properties (the template's identity). Every return made from one
    template carries the same part, whoever saved it: each worker parses it once per agency."""
    found = {}
    for prop in _parse_xml(xml).findall("cp:property", _NS):
        value = next(iter(prop), None)
        if value is not None and value.text is not None:
            found[prop.get("name", "")] = value.text
    return MappingProxyType(found)


def _read_xlsx_extras(z: zipfile.ZipFile, wb: RawWorkbook) -> None:
    names = set(z.namelist())
    if "docProps/custom.xml" in names:
        wb.properties.update(_custom_properties(z.read("docProps/custom.xml")))
    if "docProps/core.xml" in names:
        root = _parse_xml(z.read("docProps/core.xml"))
        wb.saved_at = _parse_time(root.findtext("dcterms:modified", None, _NS))

    def sheet_xml(name: str) -> bytes | None:
        path = _sheet_paths(z).get(name)
        return z.read(path) if path in names else None

    wb.sheet_xml = sheet_xml
    wb.percent_cells = lambda name: _percent_cells(
        z.read("xl/styles.xml") if "xl/styles.xml" in names else None, lambda: sheet_xml(name)
    )


def _sheet_paths(z: zipfile.ZipFile) -> dict[str, str]:
    workbook = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
    paths = {}
    for sheet in workbook.iterfind("main:sheets/main:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        paths[sheet.get("name", "")] = target
    return paths


_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _cell_index(ref: str) -> tuple[int, int]:
    match = _CELL_REF.fullmatch(ref)
    if not match:
        return -1, -1
    col = 0
    for ch in match.group(1):
        col = col * 26 + (ord(ch) - 64)
    return int(match.group(2)) - 1, col - 1


_REF_ATTR = re.compile(rb'\sr="([A-Z]+[0-9]+)"')
_FORMULA_START = re.compile(rb"<f[\s>/]")


def _formula_cells(sheet_xml: bytes) -> dict[tuple[int, int], bool]:
    """Cells holding a formula → whether a computed value is cached. A byte scan from each
    <f back to its <c> (formulas are few; parsing the whole sheet XML costs far more)."""
    found = {}
    for match in _FORMULA_START.finditer(sheet_xml):
        pos = match.start()
        start = sheet_xml.rfind(b"<c ", 0, pos)
        end = sheet_xml.find(b"</c>", pos)
        if start == -1 or end == -1:
            break
        ref = _REF_ATTR.search(sheet_xml, start, sheet_xml.find(b">", start) + 1)
        if ref is not None:
            body = sheet_xml[pos:end]
            found[_cell_index(ref.group(1).decode())] = b"<v>" in body and b"<v></v>" not in body
    return found


PERCENT_BUILTIN_FORMATS = {9: "0%", 10: "0.00%"}  # ECMA-376 §18.8.30
_QUOTED = re.compile(r'"[^"]*"|\\.')


_BUILTIN_PERCENT_ID = re.compile(
    rb'numFmtId="(?:%s)"' % b"|".join(str(i).encode() for i in PERCENT_BUILTIN_FORMATS)
)


@functools.lru_cache(maxsize=64)
def _percent_styles(styles_xml: bytes) -> Mapping[int, str]:
    """Cell style index → format code, for the styles whose number format is a percentage.
    Returns of one template saved by one program share their styles, so each worker parses a
    styles part once; most have no percentage format at all, which shows without parsing (a
    format code with a percent sign has it literally in the XML)."""
    if b"%" not in styles_xml and _BUILTIN_PERCENT_ID.search(styles_xml) is None:
        return MappingProxyType({})
    root = _parse_xml(styles_xml)
    codes = dict(PERCENT_BUILTIN_FORMATS)
    for fmt in root.iterfind("main:numFmts/main:numFmt", _NS):
        code = fmt.get("formatCode", "")
        if _is_percent_code(code):
            codes[int(fmt.get("numFmtId", "-1"))] = code
        else:
            codes.pop(int(fmt.get("numFmtId", "-1")), None)
    found = {}
    for index, xf in enumerate(root.iterfind("main:cellXfs/main:xf", _NS)):
        code = codes.get(int(xf.get("numFmtId", "0")))
        if code is not None:
            found[index] = code
    return MappingProxyType(found)


def _percent_cells(
    styles_xml: bytes | None, sheet_xml: Callable[[], bytes | None]
) -> dict[tuple[int, int], str]:
    styles = _percent_styles(styles_xml) if styles_xml else {}
    if not styles:
        return {}  # the usual case: no percentage format anywhere, the sheet is not scanned
    xml = sheet_xml()
    if not xml:
        return {}
    pattern = re.compile(
        rb'<c r="([A-Z]+[0-9]+)"[^>]*?\ss="(' + b"|".join(str(i).encode() for i in styles) + rb')"'
    )
    return {_cell_index(m.group(1).decode()): styles[int(m.group(2))] for m in pattern.finditer(xml)}


def _is_percent_code(code: str) -> bool:
    return "%" in _QUOTED.sub("", code)  # a % inside quotes or escaped is literal text


def _xls_percent_cells(data: bytes) -> Callable[[str], dict[tuple[int, int], str]]:
    """An .xls file's percentage-formatted cells, sheet by sheet. calamine does not expose
    number formats; xlrd (BSD) reads the BIFF8 FORMAT and XF records with formatting_info.
    It is imported and run only when a small value in a % row asks (a few ms for a return);
    the sheet is not loaded when no cell style of the file is a percentage."""
    opened: list[object] = []  # the xlrd book, opened on the first question

    def cells(sheet_name: str) -> dict[tuple[int, int], str]:
        import xlrd  # here: only the files that ask pay for the import

        try:
            if not opened:
                opened.append(
                    xlrd.open_workbook(
                        file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO()
                    )
                )
            book = opened[0]
            codes = {
                index: book.format_map[xf.format_key].format_str  # type: ignore[attr-defined]
                for index, xf in enumerate(book.xf_list)  # type: ignore[attr-defined]
                if not xf.is_style and xf.format_key in book.format_map  # type: ignore[attr-defined]
            }
            percent = {index: code for index, code in codes.items() if _is_percent_code(code)}
            if not percent or sheet_name not in book.sheet_names():  # type: ignore[attr-defined]
                return {}
            sheet = book.sheet_by_name(sheet_name)  # type: ignore[attr-defined]
            return {
                (r, c): percent[sheet.cell_xf_index(r, c)]
                for r in range(sheet.nrows)
                for c in range(sheet.row_len(r))
                if sheet.cell_xf_index(r, c) in percent
            }
        except Exception:  # calamine read the file; its formats are then unknown, as if none
            # An .xls xlrd cannot parse has its values read all the same: its small values in
            # % rows then meet the row's fraction checks, as in a file without percent styles.
            return {}

    return cells


_ODS_PERCENT = b'office:value-type="percentage"'


def _ods_percent_cells(content_xml: bytes, sheet_name: str) -> dict[tuple[int, int], str]:
    """Cells of the sheet stored as percentages, by position (repeated rows and cells counted)."""
    if _ODS_PERCENT not in content_xml:
        return {}  # the usual case: no percentage anywhere, nothing is parsed
    table_ns = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    office_ns = _NS["office"]
    root = _parse_xml(content_xml)
    found: dict[tuple[int, int], str] = {}
    for table in root.iter(f"{{{table_ns}}}table"):
        if table.get(f"{{{table_ns}}}name") != sheet_name:
            continue
        row = 0
        for element in table.iter():
            if element.tag != f"{{{table_ns}}}table-row":
                continue
            col = 0
            for cell in element:
                repeat = int(cell.get(f"{{{table_ns}}}number-columns-repeated", "1"))
                if cell.get(f"{{{office_ns}}}value-type") == "percentage":
                    for offset in range(min(repeat, 1024)):
                        found[(row, col + offset)] = "percentage (ODS)"
                col += repeat
            row += int(element.get(f"{{{table_ns}}}number-rows-repeated", "1"))
        break
    return found


def _read_ods_extras(z: zipfile.ZipFile, wb: RawWorkbook) -> None:
    names = z.namelist()
    if "content.xml" in names:
        wb.percent_cells = lambda name: _ods_percent_cells(z.read("content.xml"), name)
    if "meta.xml" not in names:
        return
    root = _parse_xml(z.read("meta.xml"))
    meta = root.find("office:meta", _NS)
    if meta is None:
        return
    wb.saved_at = _parse_time(meta.findtext("dc:date", None, _NS))
    for prop in meta.findall("meta:user-defined", _NS):
        wb.properties[prop.get(f"{{{_NS['meta']}}}name", "")] = prop.text or ""
