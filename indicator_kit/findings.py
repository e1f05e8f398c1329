"""Findings: every problem is one typed record with a location, a stable code and a message.

`CODES` is the single registry of codes; `docs/findings.md` is generated from it
(`python -m indicator_kit.findings_doc > docs/findings.md`) and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    meaning: str  # for the docs (English, for engineers)
    fix: str  # what the agency or officer should do (Vietnamese)
    message: str = ""  # rule codes: Vietnamese template of the message, from the check's fields
    short: str = ""  # rule codes shown live in templates: the "Kiểm tra" column's text


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
        ),
        _C("file-empty", E, "File has no content.", "Đề nghị đơn vị gửi lại tệp."),
        _C(
            "file-unreadable",
            E,
            "Spreadsheet is corrupt or truncated and cannot be opened.",
            "Đề nghị đơn vị mở lại tệp trên máy của mình, lưu lại rồi gửi lại.",
        ),
        _C(
            "file-too-large",
            E,
            "File, unzipped size or member count over a limit, or reading it needed too much memory.",
            "Đề nghị đơn vị gửi lại đúng tệp biểu mẫu đã điền.",
        ),
        _C(
            "file-too-slow",
            E,
            "Reading the file took longer than the per-file time limit; it was stopped.",
            "Đề nghị đơn vị mở tệp, lưu lại bằng Excel rồi gửi lại.",
        ),
        _C(
            "file-changed",
            E,
            "The file vanished or was rewritten while it was read; it was not judged (nothing of it "
            "is recorded). The other files are unaffected.",
            "Đợi việc lưu tệp vào hộp thư xong rồi chạy lại lệnh.",
        ),
        _C(
            "file-no-access",
            E,
            "The operating system refused to read the file (no read right, I/O error); the file itself "
            "may be fine.",
            "Cán bộ tổng hợp cấp quyền đọc tệp (hoặc chép lại tệp) rồi chạy lại; không cần đơn vị gửi lại.",
        ),
        _C(
            "inbox-entry-skipped",
            W,
            "An inbox entry that is not a regular file (FIFO, socket, device, a link leading outside the "
            "inbox or to a folder) was not read.",
            "Cán bộ tổng hợp kiểm tra mục này; nếu là biểu nộp về, hãy chép chính tệp vào hộp thư.",
        ),
        _C(
            "file-encrypted",
            E,
            "Workbook is password-protected (encrypted).",
            "Tệp được đặt mật khẩu — đề nghị đơn vị gửi lại bản không đặt mật khẩu.",
        ),
        # e-mails and zips (opened before the per-file judgement)
        _C(
            "mail-no-workbook",
            W,
            "An e-mail (.eml, .msg, winmail.dat) or zip carries no spreadsheet; listed, nothing read.",
            "Đề nghị đơn vị gửi lại thư có đính kèm tệp Excel của biểu mẫu.",
        ),
        _C(
            "attachment-not-workbook",
            INFO,
            "A file inside an e-mail or zip is not a spreadsheet (a signature image, a PDF letter…); "
            "listed by name, not read.",
            "—",
        ),
        _C(
            "mail-unreadable",
            E,
            "An e-mail or zip (or a part of it) cannot be parsed; what could be opened is still judged.",
            "Mở thư trong chương trình thư, lưu riêng tệp Excel đính kèm vào thư mục nhận rồi chạy lại.",
        ),
        _C(
            "mail-too-large",
            E,
            "The files inside an e-mail or zip exceed the size or count limits (zip bomb); opening stopped.",
            "Lưu riêng tệp Excel đính kèm vào thư mục nhận, hoặc đề nghị đơn vị gửi lại đúng tệp biểu mẫu.",
        ),
        _C(
            "mail-too-deep",
            E,
            "E-mails or zips nested inside each other deeper than the limit; the inner ones not opened.",
            "Lưu riêng tệp Excel đính kèm vào thư mục nhận rồi chạy lại.",
        ),
        _C(
            "archive-unsafe-name",
            E,
            "A zip member's path is absolute or climbs out of the archive (path traversal); refused.",
            "Đề nghị đơn vị nén lại tệp (hoặc gửi tệp Excel không nén).",
        ),
        _C(
            "mail-sender-other",
            INFO,
            "The e-mail's sender is not the agency's address in agencies.yaml (forwarded mail is normal); "
            "the workbook's own identity still decides.",
            "—",
        ),
        # identity
        _C(
            "identity-fallback",
            W,
            "Embedded identity missing; identified from the title block or labels.",
            "Kiểm tra đúng đơn vị; lần sau đề nghị đơn vị điền trên biểu mẫu gốc được gửi.",
        ),
        _C(
            "identity-unknown",
            E,
            "Cannot tell which agency the file is from.",
            "Đề nghị đơn vị điền vào biểu mẫu gốc được gửi kèm công văn.",
        ),
        _C(
            "identity-conflict",
            E,
            "Identity sources in the file disagree (e.g. edited by hand).",
            "Xác minh với đơn vị gửi; biểu mẫu có dấu hiệu bị sửa mã nhận dạng.",
        ),
        _C(
            "identity-unverified",
            E,
            "The identity's signature (HMAC with the office's key) is missing or wrong; values not merged "
            "unless the officer accepts the file (--accept).",
            "Xác minh với đơn vị; nếu đúng là của đơn vị, chạy lại với --accept <tệp>.",
        ),
        _C("identity-accepted", INFO, "The officer accepted a file whose identity does not verify.", "—"),
        _C(
            "unknown-agency",
            E,
            "File claims an agency that is not in agencies.yaml.",
            "Kiểm tra tệp có đúng của đợt thu thập này không.",
        ),
        _C(
            "other-campaign",
            E,
            "File belongs to another campaign.",
            "Tệp thuộc đợt thu thập khác; đề nghị đơn vị dùng biểu mẫu của đợt này.",
        ),
        _C(
            "spec-version-mismatch",
            W,
            "Template was made from another version of the catalog.",
            "Số liệu vẫn được đọc theo mã dòng; nên gửi đơn vị biểu mẫu mới nhất.",
        ),
        # structure
        _C(
            "sheet-missing",
            E,
            "The main sheet is not in the workbook.",
            'Đề nghị đơn vị gửi lại tệp có sheet "Phụ lục 2".',
        ),
        _C(
            "sheet-renamed",
            INFO,
            "Main sheet found under another name; read as usual.",
            'Không đổi tên sheet "Phụ lục 2".',
        ),
        _C(
            "row-missing",
            E,
            "A row of the template is missing (deleted).",
            "Không xóa dòng; đề nghị điền lại vào biểu mẫu gốc.",
        ),
        _C("row-inserted", W, "A row was inserted into the table.", "Không chèn dòng vào biểu mẫu."),
        _C("row-moved", W, "Rows are not in the template's order.", "Không di chuyển dòng trong biểu mẫu."),
        _C(
            "tt-edited",
            INFO,
            "The TT cell differs from the template; rows are found by their key, so nothing changes.",
            "Không sửa cột TT.",
        ),
        _C("label-edited", W, "The indicator label differs from the template.", "Không sửa tên chỉ tiêu."),
        _C(
            "unit-edited",
            INFO,
            "The unit was changed to a spelling variant of the same unit; values read as they are.",
            "Giữ nguyên ĐVT của biểu mẫu.",
        ),
        _C(
            "unit-converted",
            W,
            "The unit was changed to a convertible unit; values were converted.",
            "Giữ nguyên ĐVT của biểu mẫu và nhập số theo đơn vị đó.",
        ),
        _C(
            "unit-unknown",
            E,
            "The unit was changed to one that cannot be converted; values not used.",
            "Nhập số theo đúng ĐVT của biểu mẫu.",
        ),
        _C(
            "value-outside-input",
            E,
            "A value was typed outside the input cells; not used.",
            "Chỉ nhập vào các ô nền trắng; chuyển số này vào đúng ô.",
        ),
        # values
        _C(
            "text-number",
            INFO,
            "A number was typed as text in an unambiguous notation (1.234,5 / 1,234.5 / 12,5% / 1 234 / "
            "(0,8) / −0,8 / –0,8); it was read as a number.",
            "Gõ số trực tiếp (không kèm chữ, dấu %, khoảng trắng).",
        ),
        _C(
            "number-ambiguous",
            W,
            '"1.234" or "1,234" could be either; the reading chosen from the row is in the message.',
            "Kiểm tra lại giá trị; không dùng dấu phân cách hàng nghìn.",
        ),
        _C(
            "value-invalid",
            E,
            "The cell holds text that is not a number.",
            "Nhập một số, để trống, hoặc gõ x nếu không có số liệu.",
        ),
        _C("no-data", INFO, 'Explicitly marked as no data ("x", "-", "không có số liệu").', "—"),
        _C(
            "value-flagged",
            INFO,
            'A value marked preliminary "(sb)" or estimated "(ut)"; kept with that status.',
            "—",
        ),
        _C(
            "formula-no-value",
            E,
            "A formula without a computed value.",
            "Mở tệp trong Excel, để Excel tính lại, lưu rồi gửi lại; hoặc nhập số thay cho công thức.",
        ),
        _C(
            "date-in-number",
            E,
            'A date where a number belongs (Excel turned "1.5" or "1/5" into 1 May); the number is lost.',
            "Định dạng ô là số (Number) rồi gõ lại số, dùng dấu phẩy thập phân.",
        ),
        _C("count-not-whole", E, "A count is not a whole number.", "Nhập số nguyên."),
        _C(
            "percent-formatted",
            W,
            "A cell of a % row is formatted as a percentage, so 8,6% is stored as 0,086; read as displayed "
            "(× 100), and the format code, the stored and the displayed value are in the message.",
            "Bỏ định dạng % của ô (định dạng Number) và gõ 8,6 cho 8,6%.",
        ),
        _C(
            "percent-as-fraction",
            W,
            "In a share row (a percent that cannot exceed 100), a value below 1 whose × 100 is in line "
            "with the rest of the row, the comparison columns or the reference (0,085 for 8,5).",
            "Gõ 8,5 cho 8,5%; không định dạng ô thành %.",
        ),
        _C(
            "row-as-fractions",
            W,
            "Every year of a share row is below 1 (0,0xx), and no comparison or reference figure of the "
            "row is that small: the whole row seems typed as fractions.",
            "Gõ 8,5 cho 8,5% ở mọi năm của dòng; không định dạng ô thành %.",
        ),
        _C(
            "scale-slip",
            W,
            "A level is about 1 000× (or 1/1 000×) its other years, or a whole row about 1 000× its "
            "reference figures.",
            "Kiểm tra đơn vị tính (tỷ đồng / triệu đồng ...) của giá trị này.",
        ),
        _C(
            "implausible-value",
            W,
            "A value outside the plausible range of its row or value type (plausibility.yaml).",
            "Kiểm tra lại giá trị; nếu đúng, ghi giải trình vào cột Ghi chú của dòng.",
        ),
        _C(
            "implausible-change",
            W,
            "A year-on-year change outside the band of its row or value type (plausibility.yaml).",
            "Kiểm tra lại số liệu hai năm; nếu đúng, ghi giải trình vào cột Ghi chú của dòng.",
        ),
        _C(
            "reference-mismatch",
            W,
            "A value far from the reference figure (workbook_specs/reference/); the message quotes the "
            "figure, its source and the allowance.",
            "Kiểm tra lại giá trị so với số đã công bố; nếu đúng, ghi giải trình vào cột Ghi chú.",
        ),
        _C("duplicate-file", INFO, "The same bytes arrived under another name; counted once.", "—"),
        _C(
            "return-empty",
            W,
            "A return with no value filled in (e.g. a blank template sent back); it supersedes nothing.",
            "Đề nghị đơn vị gửi biểu đã điền số liệu.",
        ),
        _C(
            "kept-from-archive",
            INFO,
            "A file received earlier is no longer in the inbox; its archived copy is read instead, so "
            "the agency's values are not dropped.",
            "—",
        ),
    ]
}
del E, W, INFO


def register_code(code: Code) -> None:
    """Rule kinds register their codes (with message templates) when `indicator_kit.rules` loads."""
    known = CODES.get(code.code)
    if known is not None and known != code:
        raise ValueError(f"finding code {code.code!r} registered twice")
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


def finding(code: str, message: str, *, severity: Severity | None = None, **where: str) -> Finding:
    """A finding with the registry's severity (rules may override it) and the fix appended."""
    entry = CODES[code]
    text = message if entry.fix == "—" else f"{message} {entry.fix}"
    return Finding(code=code, message=text, severity=severity or entry.severity, **where)  # type: ignore[arg-type]


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
