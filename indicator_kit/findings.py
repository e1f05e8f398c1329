"""Findings: every problem is one typed record with a location, a stable code and a message.

`CODES` is the single registry of codes, and the Vietnamese text of every finding is here: each
code's message template (or one per variant, when the code is reported for several reasons),
rendered from named, typed fields in one place (`Code.render`) when the finding is made. The rule
kinds register their codes with their templates too (`indicator_kit/rules/kinds/`).
`docs/findings.md` lists every code and template (`python -m indicator_kit.findings_doc >
docs/findings.md`) and a test keeps the two in step.

A template is a `str.format` string. Its fields are typed by their format: `{label}` is text (a
`str`), `{value:n}` a number in Vietnamese notation (1.234,5; `format_number`), `{row:d}` a whole
number, `{size_mb:.0f}` a rounded one. Rendering fails on a missing or unknown field or on a
value of the wrong type, so a call site cannot drift from its template.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from functools import cache

from indicator_kit.collect.numbers import format_number


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


NUMBER_FORMATS = {"n", "d", ".0f"}  # besides "" (text)
_TYPES: dict[str, type | tuple[type, ...]] = {"": str, "n": (int, float), "d": int, ".0f": (int, float)}


def template_fields(template: str) -> dict[str, str]:
    """Each field a template names → its format ("" for text, "n", "d", ".0f")."""
    return dict(_parsed(template).fields)


@dataclass(frozen=True)
class _Parsed:
    fields: dict[str, str]  # name → format
    plain: str  # the template with {x:n} written {x}: str.format_map fills it
    numbers: tuple[str, ...]  # the fields written in Vietnamese notation (format_number)


@cache
def _parsed(template: str) -> _Parsed:
    found: dict[str, str] = {}
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or conversion or (spec and spec not in NUMBER_FORMATS):
            raise ValueError(f"template field {{{name}}} is not a plain named field: {template!r}")
        if found.setdefault(name, spec or "") != (spec or ""):
            raise ValueError(f"template field {{{name}}} has two formats: {template!r}")
    numbers = tuple(name for name, spec in found.items() if spec == "n")
    plain = template
    for name in numbers:
        plain = plain.replace(f"{{{name}:n}}", f"{{{name}}}")
    return _Parsed(found, plain, numbers)


def render(template: str, fields: Mapping[str, object]) -> str:
    """The template filled in; the first letter made a capital (a message is a sentence, and
    some start with a location such as "thư …")."""
    text = fill(template, fields)
    return text[:1].upper() + text[1:]


def fill(template: str, fields: Mapping[str, object]) -> str:
    """The template filled in with exactly its fields, each of its type."""
    parsed = _parsed(template)
    declared = parsed.fields
    if declared.keys() != fields.keys():
        missing, unknown = declared.keys() - fields.keys(), fields.keys() - declared.keys()
        raise TypeError(f"message fields: missing {sorted(missing)}, unknown {sorted(unknown)}: {template!r}")
    for name, spec in declared.items():
        value = fields[name]
        if not isinstance(value, _TYPES[spec]) or isinstance(value, bool):
            raise TypeError(f"message field {name!r} = {value!r} does not fit {{{name}:{spec}}}")
    if not parsed.numbers:
        return parsed.plain.format_map(fields)
    values = dict(fields)
    for name in parsed.numbers:
        values[name] = format_number(values[name])  # type: ignore[arg-type]
    return parsed.plain.format_map(values)


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    meaning: str  # for the docs (English, for engineers)
    fix: str  # what the agency or officer should do (Vietnamese)
    message: str = ""  # Vietnamese template of the message (of the default variant "")
    short: str = ""  # rule codes shown live in templates: the "Kiểm tra" column's text
    # the templates of the code's other variants, by name (e.g. why a file is too large)
    variants: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def templates(self) -> dict[str, str]:
        """Every template, by variant ("" for `message`)."""
        return {"": self.message, **self.variants} if self.message else dict(self.variants)

    def render(self, variant: str, fields: Mapping[str, object]) -> str:
        template = self.message if not variant else self.variants.get(variant)
        if not template:
            raise KeyError(f"finding {self.code!r} has no message template {variant!r}")
        return render(template, fields)


# Parts of templates, written once: where a value is, and what a file was changed into.
_PLACE = 'Ô {address} ("{label}", cột {column_name})'
_CHANGED = " Tệp thay đổi trong khi đọc — chạy lại."

_C = Code
E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
CODES: dict[str, Code] = {
    c.code: c
    for c in [
        # files
        _C(
            "not-a-workbook",
            W,
            "File is not a spreadsheet (PDF, Word, image, archive…); listed, not read.",
            "Đề nghị đơn vị gửi lại đúng tệp Excel của biểu mẫu.",
            message="Đây là {kind_name}, không phải bảng tính.",
        ),
        _C("file-empty", E, "File has no content.", "Đề nghị đơn vị gửi lại tệp.", message="Tệp rỗng."),
        _C(
            "file-unreadable",
            E,
            "Spreadsheet is corrupt or truncated and cannot be opened.",
            "Đề nghị đơn vị mở lại tệp trên máy của mình, lưu lại rồi gửi lại.",
            variants={
                "corrupt": "Tệp bảng tính bị hỏng hoặc không đầy đủ.",
                "damaged": "Cấu trúc bên trong tệp bị hỏng.",
                "open": "Không mở được bảng tính ({error}).",
                "sheet": 'Không đọc được sheet "{sheet_name}" ({error}).',
                "unsafe-xml": "Tệp chứa khai báo XML không an toàn (DTD/entity) nên không đọc.",
                "unexpected": "Không đọc được tệp do lỗi không lường trước ({error}).",
            },
        ),
        _C(
            "file-too-large",
            E,
            "File, unzipped size or member count over a limit, or reading it needed too much memory.",
            "Đề nghị đơn vị gửi lại đúng tệp biểu mẫu đã điền.",
            variants={
                "file": "Tệp quá lớn ({size_mb:.0f} MB, giới hạn {limit_mb:.0f} MB).",
                "members": "Tệp nén chứa quá nhiều thành phần ({count:d}, giới hạn {limit:d}).",
                "inflated": (
                    "Tệp bung ra {size_mb:.0f} MB khi giải nén (giới hạn {limit_mb:.0f} MB) — không phải "
                    "một biểu số liệu bình thường."
                ),
                "sheet": 'Sheet "{sheet_name}" quá lớn ({rows:d} dòng × {columns:d} cột).',
                "memory": "Đọc tệp cần quá nhiều bộ nhớ nên đã dừng.",
                "worker-died": "Đọc tệp làm tiến trình đọc dừng đột ngột (thường do cần quá nhiều bộ nhớ).",
            },
        ),
        _C(
            "file-too-slow",
            E,
            "Reading the file took longer than the per-file time limit; it was stopped.",
            "Đề nghị đơn vị mở tệp, lưu lại bằng Excel rồi gửi lại.",
            message="Đọc tệp quá {seconds:.0f} giây nên đã dừng.",
        ),
        _C(
            "file-changed",
            E,
            (
                "The file vanished or was rewritten while it was read; it was not judged (nothing of it is "
                "recorded). The other files are unaffected."
            ),
            "Đợi việc lưu tệp vào thư mục nhận xong.",
            variants={
                "deleted": "Tệp đã bị xóa hoặc đổi tên khỏi thư mục nhận trong khi chạy." + _CHANGED,
                "replaced": "Tệp đã được thay bằng một mục không phải tệp trong khi chạy." + _CHANGED,
                "deleted-after-reading": "Tệp đã bị xóa khỏi thư mục nhận trong lúc đang xử lý." + _CHANGED,
                "rewritten": "Tệp được ghi lại (thay đổi) trong khi đọc." + _CHANGED,
            },
        ),
        _C(
            "file-no-access",
            E,
            (
                "The operating system refused to read the file (no read right, I/O error); the file itself "
                "may be fine."
            ),
            "Cán bộ tổng hợp cấp quyền đọc tệp (hoặc chép lại tệp) rồi chạy lại; không cần đơn vị gửi lại.",
            variants={
                "permission": (
                    "Không có quyền đọc tệp (người dùng đang chạy lệnh thiếu quyền đọc); tệp có thể vẫn tốt."
                ),
                "os-error": "Hệ điều hành không đọc được tệp ({reason}); tệp có thể vẫn tốt.",
            },
        ),
        _C(
            "inbox-entry-skipped",
            W,
            (
                "An inbox entry that is not a regular file (FIFO, socket, device, a link leading outside "
                "the inbox or to a folder) was not read."
            ),
            "Cán bộ tổng hợp kiểm tra mục này; nếu là biểu nộp về, hãy chép chính tệp vào hộp thư.",
            variants={
                "gone": "Mục này không còn trong hộp thư.",
                "link-dangling": "Liên kết (symlink) trỏ tới {target}, nơi không còn tệp nào; không đọc.",
                "link-outside": "Liên kết (symlink) trỏ ra ngoài hộp thư ({target}); không đọc.",
                "link-folder": (
                    "Liên kết (symlink) tới một thư mục; không đọc (thư mục thật trong hộp thư được đọc)."
                ),
                "link-special": "Liên kết (symlink) tới {target}, không phải một tệp thường; không đọc.",
                "fifo": "Đây là một đường ống (FIFO), không phải tệp; không đọc.",
                "socket": "Đây là một socket, không phải tệp; không đọc.",
                "special": "Đây là một thiết bị hoặc mục đặc biệt, không phải tệp; không đọc.",
            },
        ),
        _C(
            "file-encrypted",
            E,
            "Workbook is password-protected (encrypted).",
            "Đề nghị đơn vị gửi lại bản không đặt mật khẩu.",
            message="Tệp được đặt mật khẩu.",
            variants={"zip-member": "{here}Tệp {name} trong tệp nén được đặt mật khẩu."},
        ),
        # e-mails and zips (opened before the per-file judgement)
        _C(
            "mail-no-workbook",
            W,
            "An e-mail (.eml, .msg, winmail.dat) or zip carries no spreadsheet; listed, nothing read.",
            "Đề nghị đơn vị gửi lại thư có đính kèm tệp Excel của biểu mẫu.",
            variants={
                "mail": "Thư không có biểu đính kèm (không có tệp Excel nào bên trong).",
                "zip": "Tệp nén không có biểu số liệu nào (không có tệp Excel nào bên trong).",
            },
        ),
        _C(
            "attachment-not-workbook",
            INFO,
            (
                "A file inside an e-mail or zip is not a spreadsheet (a signature image, a PDF letter…); "
                "listed by name, not read."
            ),
            "—",
            message="{place}: {kind_name}, không phải bảng tính; không đọc.",
            variants={"empty": "{place}: tệp rỗng, không phải bảng tính; không đọc."},
        ),
        _C(
            "mail-unreadable",
            E,
            "An e-mail or zip (or a part of it) cannot be parsed; what could be opened is still judged.",
            "Mở thư trong chương trình thư, lưu riêng tệp Excel đính kèm vào thư mục nhận rồi chạy lại.",
            variants={
                "mail": "{here}Không mở được thư ({error}); tệp bị hỏng hoặc không đúng định dạng.",
                "zip": "{here}Không mở được tệp nén ({error}); tệp bị hỏng hoặc không đúng định dạng.",
                "damaged-part": "{here}phần đính kèm bị hỏng (mã hóa base64 sai), không giải mã được.",
                "zip-member": "{here}Tệp {name} trong tệp nén bị hỏng, không đọc được.",
            },
        ),
        _C(
            "mail-too-large",
            E,
            "The files inside an e-mail or zip exceed the size or count limits (zip bomb); opening stopped.",
            "Lưu riêng tệp Excel đính kèm vào thư mục nhận, hoặc đề nghị đơn vị gửi lại đúng tệp biểu mẫu.",
            variants={
                "count": "{here}Tệp nhận được chứa quá nhiều tệp (hơn {limit:d}); dừng mở tại đây.",
                "bytes": (
                    "{here}Tệp nhận được có các tệp bên trong cộng lại quá {limit_mb:.0f} MB — không phải "
                    "một thư nộp biểu bình thường; dừng mở tại đây."
                ),
                "file": "{here}Tệp quá lớn ({size_mb:.0f} MB, giới hạn {limit_mb:.0f} MB).",
                "members": "{here}Tệp nén chứa quá nhiều thành phần ({count:d}, giới hạn {limit:d}).",
                "inflated": (
                    "{here}Tệp bung ra {size_mb:.0f} MB khi giải nén (giới hạn {limit_mb:.0f} MB) — không "
                    "phải một biểu số liệu bình thường."
                ),
                "member": "{here}Tệp {name} trong tệp nén lớn hơn giới hạn hoặc khai báo sai kích thước.",
            },
        ),
        _C(
            "mail-too-deep",
            E,
            "E-mails or zips nested inside each other deeper than the limit; the inner ones not opened.",
            "Lưu riêng tệp Excel đính kèm vào thư mục nhận rồi chạy lại.",
            message=(
                "{here}lồng nhau quá {limit:d} lớp (thư trong thư, tệp nén trong tệp nén) nên không mở tiếp."
            ),
        ),
        _C(
            "archive-unsafe-name",
            E,
            "A zip member's path is absolute or climbs out of the archive (path traversal); refused.",
            "Đề nghị đơn vị nén lại tệp (hoặc gửi tệp Excel không nén).",
            message='{here}Tệp nén chứa đường dẫn không an toàn "{name}"; không đọc tệp này.',
        ),
        _C(
            "mail-sender-other",
            INFO,
            (
                "The e-mail's sender is not the agency's address in agencies.yaml (forwarded mail is "
                "normal); the workbook's own identity still decides."
            ),
            "—",
            message=(
                "Thư gửi từ {sender}, không phải địa chỉ của {agency_name} trong danh sách đơn vị "
                "({addresses}); tệp vẫn được nhận theo mã nhận dạng trong biểu (thư chuyển tiếp là bình "
                "thường)."
            ),
        ),
        # identity
        _C(
            "identity-fallback",
            W,
            "Embedded identity missing; identified from the title block or labels.",
            (
                "Kiểm tra lại có đúng là tệp của đơn vị này không; lần sau đề nghị đơn vị điền vào biểu "
                "mẫu gốc đã gửi."
            ),
            variants={
                "title": (
                    'Tệp không còn mã nhận dạng; nhận là của {agency_name} theo tiêu đề "Đơn vị báo cáo".'
                ),
                "labels": "Tệp không còn mã nhận dạng; nhận là của {agency_name} theo tên các chỉ tiêu.",
            },
        ),
        _C(
            "identity-unknown",
            E,
            "Cannot tell which agency the file is from.",
            "Đề nghị đơn vị điền vào biểu mẫu gốc được gửi kèm công văn.",
            message="Không xác định được tệp của đơn vị nào.",
        ),
        _C(
            "identity-conflict",
            E,
            "Identity sources in the file disagree (e.g. edited by hand).",
            "Xác minh với đơn vị gửi; biểu mẫu có dấu hiệu bị sửa mã nhận dạng.",
            message="Mã nhận dạng trong tệp không thống nhất ({claims}).",
        ),
        _C(
            "identity-unverified",
            E,
            (
                "The identity's signature (HMAC with the office's key) is missing or wrong; values not "
                "merged unless the officer accepts the file (--accept)."
            ),
            "Xác minh với đơn vị; nếu đúng là của đơn vị, chạy lại với --accept <tệp>.",
            message=(
                "Mã nhận dạng của tệp không xác thực được (không có hoặc sai chữ ký); số liệu chưa được "
                "đưa vào bảng tổng hợp."
            ),
        ),
        _C(
            "identity-accepted",
            INFO,
            "The officer accepted a file whose identity does not verify.",
            "—",
            message="Cán bộ tổng hợp đã chấp nhận tệp dù mã nhận dạng không xác thực được.",
        ),
        _C(
            "unknown-agency",
            E,
            "File claims an agency that is not in agencies.yaml.",
            "Kiểm tra tệp có đúng là của đợt thu thập này không.",
            message='Tệp ghi mã đơn vị "{slug}" không có trong danh sách đơn vị.',
        ),
        _C(
            "other-campaign",
            E,
            "File belongs to another campaign.",
            "Tệp thuộc đợt thu thập khác; đề nghị đơn vị dùng biểu mẫu của đợt này.",
            message='Tệp thuộc đợt "{campaign}", không phải đợt "{expected}".',
        ),
        _C(
            "spec-version-mismatch",
            W,
            "Template was made from another version of the catalog.",
            "Số liệu vẫn được đọc theo mã dòng; nên gửi đơn vị biểu mẫu mới nhất.",
            message="Biểu mẫu được tạo từ danh mục phiên bản {version}, hiện tại là {current}.",
        ),
        # structure
        _C(
            "sheet-missing",
            E,
            "The main sheet is not in the workbook.",
            'Đề nghị đơn vị gửi lại tệp có sheet "Phụ lục 2".',
            message='Không có sheet "{sheet_name}".',
        ),
        _C(
            "sheet-renamed",
            INFO,
            "Main sheet found under another name; read as usual.",
            'Không đổi tên sheet "Phụ lục 2".',
            message='Sheet "{expected}" bị đổi tên thành "{sheet_name}".',
        ),
        _C(
            "row-missing",
            E,
            "A row of the template is missing (deleted).",
            "Không xóa dòng; đề nghị điền lại vào biểu mẫu gốc.",
            message='Không tìm thấy dòng "{tt} {label}" của biểu mẫu.',
        ),
        _C(
            "row-inserted",
            W,
            "A row was inserted into the table.",
            "Không chèn dòng vào biểu mẫu.",
            message="Dòng {row:d} không có trong biểu mẫu (dòng chèn thêm).",
        ),
        _C(
            "row-moved",
            W,
            "Rows are not in the template's order.",
            "Không di chuyển dòng trong biểu mẫu.",
            message='Dòng "{label}" bị di chuyển khỏi vị trí trong biểu mẫu.',
        ),
        _C(
            "tt-edited",
            INFO,
            "The TT cell differs from the template; rows are found by their key, so nothing changes.",
            "Không sửa cột TT.",
            message='Cột TT của dòng "{label}" là "{typed}", biểu mẫu là "{expected}".',
        ),
        _C(
            "label-edited",
            W,
            "The indicator label differs from the template.",
            "Không sửa tên chỉ tiêu.",
            message='Tên chỉ tiêu bị sửa thành "{typed}" (biểu mẫu: "{expected}").',
        ),
        _C(
            "unit-edited",
            INFO,
            "The unit was changed to a spelling variant of the same unit; values read as they are.",
            "Giữ nguyên ĐVT của biểu mẫu.",
            message=(
                'ĐVT của dòng "{label}" được ghi là "{typed}" (biểu mẫu: "{expected}"); coi là cùng đơn vị.'
            ),
        ),
        _C(
            "unit-converted",
            W,
            "The unit was changed to a convertible unit; values were converted.",
            "Giữ nguyên ĐVT của biểu mẫu và nhập số theo đơn vị đó.",
            message=(
                'ĐVT của dòng "{label}" bị đổi thành "{typed}" (biểu mẫu: "{expected}"); các số đã được '
                "quy đổi (× {factor:n})."
            ),
        ),
        _C(
            "unit-unknown",
            E,
            "The unit was changed to one that cannot be converted; values not used.",
            "Nhập số theo đúng ĐVT của biểu mẫu.",
            message=(
                'ĐVT của dòng "{label}" bị đổi thành "{typed}", không quy đổi được về "{expected}"; số '
                "liệu dòng này chưa được dùng."
            ),
        ),
        _C(
            "value-outside-input",
            E,
            "A value was typed outside the input cells; not used.",
            "Chỉ nhập vào các ô nền trắng; chuyển số này vào đúng ô.",
            variants={
                "heading-row": (
                    'Ô {address} thuộc dòng tiêu đề "{label}" (không phải ô nhập) có giá trị "{text}"; giá '
                    "trị này không được dùng."
                ),
                "other-agency-row": (
                    'Ô {address} (dòng "{label}" không thuộc chỉ tiêu của đơn vị) có giá trị "{text}"; giá '
                    "trị này không được dùng."
                ),
                "inserted-row": (
                    'Ô {address} (dòng {row:d} chèn thêm) có giá trị "{text}"; giá trị này không được dùng.'
                ),
                "outside-table": (
                    'Ô {address} nằm ngoài bảng có nội dung "{text}"; nội dung này không được dùng.'
                ),
            },
        ),
        # values
        _C(
            "text-number",
            INFO,
            (
                "A number was typed as text in an unambiguous notation (1.234,5 / 1,234.5 / 12,5% / 1 234 "
                "/ (0,8) / −0,8 / –0,8); it was read as a number."
            ),
            "Gõ số trực tiếp (không kèm chữ, dấu %, khoảng trắng).",
            message=_PLACE + ' được nhập dạng chữ "{text}"; đã đọc là {value:n}.',
        ),
        _C(
            "number-ambiguous",
            W,
            '"1.234" or "1,234" could be either; the reading chosen from the row is in the message.',
            "Kiểm tra lại giá trị; không dùng dấu phân cách hàng nghìn.",
            variants={
                "whole": _PLACE
                + (
                    ' ghi "{text}", có thể hiểu là {reading:n} hoặc {alternative:n}; đã đọc là {value:n} '
                    "(chỉ tiêu là số nguyên)."
                ),
                "in-line": _PLACE
                + (
                    ' ghi "{text}", có thể hiểu là {reading:n} hoặc {alternative:n}; đã đọc là {value:n} '
                    "(gần với các giá trị khác cùng dòng)."
                ),
                "thousands-dot": _PLACE
                + (
                    ' ghi "{text}", có thể hiểu là {reading:n} hoặc {alternative:n}; đã đọc là {value:n} '
                    "(theo cách viết tiếng Việt: dấu chấm phân cách hàng nghìn)."
                ),
                "decimal-comma": _PLACE
                + (
                    ' ghi "{text}", có thể hiểu là {reading:n} hoặc {alternative:n}; đã đọc là {value:n} '
                    "(theo cách viết tiếng Việt: dấu phẩy thập phân)."
                ),
            },
        ),
        _C(
            "value-invalid",
            E,
            "The cell holds text that is not a number.",
            "Nhập một số, để trống, hoặc gõ x nếu không có số liệu.",
            message=_PLACE + ' có nội dung "{text}" không phải là số.',
            variants={"percent-sign": _PLACE + ' có dấu % ("{text}") nhưng ĐVT là {unit}.'},
        ),
        _C(
            "no-data",
            INFO,
            'Explicitly marked as no data ("x", "-", "không có số liệu").',
            "—",
            message=_PLACE + ' được đánh dấu không có số liệu ("{text}").',
        ),
        _C(
            "value-flagged",
            INFO,
            'A value marked preliminary "(sb)" or estimated "(ut)"; kept with that status.',
            "—",
            variants={
                "P": _PLACE + ' ghi "{text}": đã đọc là {value:n}, số sơ bộ.',
                "E": _PLACE + ' ghi "{text}": đã đọc là {value:n}, số ước tính.',
            },
        ),
        _C(
            "formula-no-value",
            E,
            "A formula without a computed value.",
            "Mở tệp trong Excel, để Excel tính lại, lưu rồi gửi lại; hoặc nhập số thay cho công thức.",
            message=_PLACE + " chứa công thức chưa có kết quả tính.",
        ),
        _C(
            "date-in-number",
            E,
            'A date where a number belongs (Excel turned "1.5" or "1/5" into 1 May); the number is lost.',
            "Định dạng ô là số (Number) rồi gõ lại số, dùng dấu phẩy thập phân.",
            variants={
                "date": _PLACE
                + (
                    ' chứa ngày {date} chứ không phải số: Excel tự đổi số gõ kiểu "{day:d}.{month:d}" hoặc '
                    '"{day:d}/{month:d}" thành ngày tháng, nên số định nhập (có thể là {day:d},{month:d}) đã '
                    "mất."
                ),
                "time": _PLACE + " chứa giờ ({time}) chứ không phải số.",
            },
        ),
        _C(
            "count-not-whole",
            E,
            "A count is not a whole number.",
            "Nhập số nguyên.",
            message=_PLACE + " là {value:n}, nhưng chỉ tiêu là số đếm.",
        ),
        _C(
            "percent-formatted",
            W,
            (
                "A cell of a % row is formatted as a percentage, so 8,6% is stored as 0,086; read as "
                "displayed (× 100), and the format code, the stored and the displayed value are in the "
                "message."
            ),
            "Bỏ định dạng % của ô (định dạng Number) và gõ 8,6 cho 8,6%.",
            message=_PLACE
            + (
                ' được định dạng phần trăm (mã định dạng "{format_code}"): ô hiển thị {shown:n}%, giá trị '
                "lưu trong ô là {stored:n}; đã đọc là {shown:n} theo ĐVT {unit}."
            ),
        ),
        _C(
            "percent-as-fraction",
            W,
            (
                "In a share row (a percent that cannot exceed 100), a value below 1 whose × 100 is in line "
                "with the rest of the row, the comparison columns or the reference (0,085 for 8,5)."
            ),
            "Gõ 8,5 cho 8,5%; không định dạng ô thành %.",
            variants={
                "reference": _PLACE
                + (
                    " là {value:n}, trong khi số tham chiếu {reference:n} ({source}): có thể đã gõ dạng "
                    "phân số (định dạng %) thay vì {percent:n}."
                ),
                "row": _PLACE
                + (
                    " là {value:n}, trong khi các ô khác cùng dòng cỡ {typical:n}: có thể đã gõ dạng phân "
                    "số (định dạng %) thay vì {percent:n}."
                ),
                "comparison": _PLACE
                + (
                    " là {value:n}, trong khi cột so sánh cỡ {typical:n}: có thể đã gõ dạng phân số (định "
                    "dạng %) thay vì {percent:n}."
                ),
            },
        ),
        _C(
            "row-as-fractions",
            W,
            (
                "Every year of a share row is below 1 (0,0xx), and no comparison or reference figure of "
                "the row is that small: the whole row seems typed as fractions."
            ),
            "Gõ 8,5 cho 8,5% ở mọi năm của dòng; không định dạng ô thành %.",
            message=(
                'Dòng "{label}" (ĐVT {unit}) có mọi năm nhỏ hơn 1 (từ {first:n} đến {last:n}): có thể đã '
                "gõ dạng phân số (0,086 thay vì 8,6) cho cả dòng."
            ),
        ),
        _C(
            "scale-slip",
            W,
            (
                "A level is about 1 000× (or 1/1 000×) its other years, or a whole row about 1 000× its "
                "reference figures."
            ),
            "Kiểm tra đơn vị tính (tỷ đồng / triệu đồng ...) của giá trị này.",
            variants={
                "reference": (
                    'Dòng "{label}" gấp khoảng {ratio:n} lần số tham chiếu (Ô {address} ("{label}", cột '
                    "{column_name}) là {value:n}, số tham chiếu {reference:n} theo {source}): có thể cả "
                    "dòng nhập sai đơn vị (nghìn / triệu) so với ĐVT {unit}."
                ),
                "years": _PLACE
                + " là {value:n}, gấp khoảng {ratio:n} lần các năm khác cùng dòng (trung vị {typical:n}).",
            },
        ),
        _C(
            "implausible-value",
            W,
            "A value outside the plausible range of its row or value type (plausibility.yaml).",
            "Kiểm tra lại giá trị; nếu đúng, ghi giải trình vào cột Ghi chú của dòng.",
            variants={
                "between": _PLACE
                + " là {value:n}, ngoài khoảng thường gặp của chỉ tiêu ({low:n} – {high:n}).",
                "at-least": _PLACE
                + " là {value:n}, thấp hơn mức thường gặp của chỉ tiêu (thường từ {low:n} trở lên).",
                "at-most": _PLACE
                + " là {value:n}, cao hơn mức thường gặp của chỉ tiêu (thường không quá {high:n}).",
            },
        ),
        _C(
            "implausible-change",
            W,
            "A year-on-year change outside the band of its row or value type (plausibility.yaml).",
            "Kiểm tra lại số liệu hai năm; nếu đúng, ghi giải trình vào cột Ghi chú của dòng.",
            variants={
                "factor": _PLACE
                + (
                    " là {value:n}, năm trước {before:n}: thay đổi gấp {change:n} lần, lớn hơn mức thường "
                    "gặp của chỉ tiêu."
                ),
                "points": _PLACE
                + (
                    " là {value:n}, năm trước {before:n} (chênh {change:n}): thay đổi lớn hơn mức thường gặp "
                    "của chỉ tiêu."
                ),
            },
        ),
        _C(
            "reference-mismatch",
            W,
            (
                "A value far from the reference figure (workbook_specs/reference/); the message quotes the "
                "figure, its source and the allowance."
            ),
            "Kiểm tra lại giá trị so với số đã công bố; nếu đúng, ghi giải trình vào cột Ghi chú.",
            message=_PLACE
            + (
                " là {value:n}, khác số tham chiếu {reference:n} ({source}, tệp {reference_file}), "
                "chênh {difference:n}, quá mức cho phép {tolerance:n}."
            ),
            variants={
                "noted": _PLACE
                + (
                    " là {value:n}, khác số tham chiếu {reference:n} ({source}, tệp {reference_file}; ghi "
                    "chú của nguồn: {note}), chênh {difference:n}, quá mức cho phép {tolerance:n}."
                )
            },
        ),
        _C(
            "duplicate-file",
            INFO,
            "The same bytes arrived under another name; counted once.",
            "—",
            message="Trùng nội dung với tệp {first_file}; chỉ tính một lần.",
        ),
        _C(
            "return-empty",
            W,
            "A return with no value filled in (e.g. a blank template sent back); it supersedes nothing.",
            "Đề nghị đơn vị gửi biểu đã điền số liệu.",
            message="Tệp chưa có số liệu nào; không thay thế tệp đã nộp.",
        ),
        _C(
            "kept-from-archive",
            INFO,
            (
                "A file received earlier is no longer in the inbox; its archived copy is read instead, so "
                "the agency's values are not dropped."
            ),
            "—",
            message="Tệp {name} không còn trong thư mục nhận; dùng bản đã lưu khi nhận ({copy}).",
        ),
    ]
}
del E, W, INFO


def register_code(code: Code) -> None:
    """Rule kinds register their codes (with message templates) when `indicator_kit.rules` loads."""
    known = CODES.get(code.code)
    if known is not None and known != code:
        raise ValueError(f"finding code {code.code!r} registered twice")
    _check_templates(code)
    CODES[code.code] = code


@dataclass(frozen=True, slots=True)
class Finding:
    file: str  # relative to the inbox
    code: str
    message: str  # Vietnamese: what is wrong and what to do
    severity: Severity
    sha256: str = ""
    agency: str = ""
    sheet: str = ""
    cell: str = ""  # A1 address as the agency sees it in its own file
    row_key: str = ""
    column: str = ""
    rule: str = ""
    justification: str = ""  # the agency's "Ghi chú" on the row, for a warning on that row

    def as_record(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}

    @property
    def explained(self) -> bool:
        """A warning the agency explained: counted apart. An error is never explained away."""
        return bool(self.justification) and self.severity is Severity.WARNING

    @property
    def shown(self) -> str:
        """The message as a person reads it, with the agency's explanation when there is one."""
        return f"{self.message} (Đã giải trình: {self.justification})" if self.justification else self.message


FIELDS = list(Finding.__dataclass_fields__)


def _check_templates(code: Code) -> None:
    """Every code has a template; every template parses, and names no field of `Finding` (those
    are the finding's place, given beside the message's fields)."""
    if not code.templates:
        raise ValueError(f"finding code {code.code!r} has no message template")
    for variant, template in code.templates.items():
        clash = template_fields(template).keys() & set(FIELDS)
        if clash or not template:
            raise ValueError(f"finding {code.code!r} variant {variant!r}: bad fields {sorted(clash)}")


for _code in CODES.values():
    _check_templates(_code)


def finding(
    code: str,
    variant: str = "",
    /,
    *,
    file: str,
    severity: Severity | None = None,
    sha256: str = "",
    agency: str = "",
    sheet: str = "",
    cell: str = "",
    row_key: str = "",
    column: str = "",
    rule: str = "",
    justification: str = "",
    **fields: object,
) -> Finding:
    """A finding at this place: its message rendered from the code's template (`variant`) with
    `fields`, the fix appended, the registry's severity unless given (a rule's own)."""
    entry = CODES[code]
    message = entry.render(variant, fields)
    text = message if entry.fix == "—" else f"{message} {entry.fix}"
    return Finding(
        file,
        code,
        text,
        severity or entry.severity,
        sha256,
        agency,
        sheet,
        cell,
        row_key,
        column,
        rule,
        justification,
    )


@dataclass(frozen=True)
class Message:
    """A finding's message before it has a place: what a reader or an unpacker found, made a
    finding by the caller that knows the file (`Message.finding(file=…, …)`)."""

    code: str
    variant: str = ""
    fields: Mapping[str, object] = field(default_factory=dict, hash=False)

    def finding(self, *, severity: Severity | None = None, **where: str) -> Finding:
        return finding(self.code, self.variant, severity=severity, **where, **self.fields)  # type: ignore[misc]

    def text(self) -> str:
        """The message alone, without the fix (as the master's "Chênh lệch" sheet shows it)."""
        return CODES[self.code].render(self.variant, self.fields)


# What a file is that is not a spreadsheet (`reader.sniff`'s detail), for {kind_name}.
FILE_KINDS = {
    "pdf": "tệp PDF",
    "docx": "tệp Word",
    "doc": "tệp Word",
    "image": "tệp ảnh",
    "zip": "tệp nén",
    "eml": "thư điện tử",
    "msg": "thư Outlook",
    "tnef": "tệp winmail.dat",
    "text": "tệp văn bản (CSV/HTML)",
    "unknown": "tệp không rõ định dạng",
}


def file_kind_name(detail: str) -> str:
    return FILE_KINDS.get(detail, FILE_KINDS["unknown"])


# Items of a list inside a message ("; "-joined by the caller).
PARTS = {
    "agency-reported": "{agency_name} báo {value:n} (tệp {source})",
    "master-source": "{value:n} từ tệp {source}",
    "identity-claim": "{source}: {agency}",
}

# Where a file's identity was read (`collect.identify`), for the "identity-claim" part.
IDENTITY_SOURCES = {
    "properties": "thuộc tính tệp",
    "meta-sheet": "sheet _ik_meta",
    "visible-line": "dòng mã nhận dạng",
    "title": "tiêu đề",
    "labels": "tên chỉ tiêu",
}


def part(name: str, **fields: object) -> str:
    """One list item of a message, from `PARTS`."""
    return fill(PARTS[name], fields)


def justify(findings: list[Finding], notes: dict[str, str]) -> list[Finding]:
    """Every warning on a row whose "Ghi chú" cell holds an explanation carries it; errors and
    info are left as they are (a note never silences an error)."""
    if not notes:
        return findings
    return [
        replace(f, justification=notes[f.row_key])
        if f.severity is Severity.WARNING and f.row_key in notes and not f.justification
        else f
        for f in findings
    ]
