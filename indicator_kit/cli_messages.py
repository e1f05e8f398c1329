"""click's own messages in Vietnamese, bound through gettext.

click marks every message it prints for gettext: each of its modules does
`from gettext import gettext as _` (and `ngettext`) and formats the translated template with its
own values (option names, file names, choices). `install()` binds those names, in every click
module that has them, to a gettext translation whose catalog is `VIETNAMESE`: no English text is
ever parsed, and an option, file or choice named in a message is exactly the one click saw.
tests/test_cli_messages.py checks the catalog against every message click marks, so a click
release that adds or rewords one fails a test instead of printing English.

Vietnamese has one form for singular and plural: `ngettext` entries are keyed by the singular
and give one template for both.
"""

from __future__ import annotations

import gettext
import sys

VIETNAMESE: dict[str, str] = {
    # usage and help
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Positional arguments": "Tham số",
    "Commands": "Lệnh",
    "Show this message and exit.": "Xem hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Xem phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "env var: {var}": "biến môi trường: {var}",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "(dynamic)": "(tùy lúc chạy)",
    "deprecated": "không còn dùng",
    "Do you want to continue?": "Tiếp tục?",
    "Confirm the action without prompting.": "Xác nhận mà không hỏi lại.",
    "Press any key to continue...": "Nhấn phím bất kỳ để tiếp tục...",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Aborted!": "Đã dừng.",
    # errors (the officer reads these)
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem hướng dẫn: {command} {option}",
    "Missing command.": "Thiếu tên lệnh.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "Invalid value for {param_hint}: {message}": "Giá trị của {param_hint} không hợp lệ: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần một giá trị.",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} cần {nargs} giá trị.",
    "Got unexpected extra argument ({args})": "Thừa tham số ({args}).",
    "Takes {nargs} values but 1 was given.": "Cần {nargs} giá trị nhưng chỉ có {len}.",
    "{len_type} values are required, but {len_value} was given.": (
        "Cần {len_type} giá trị nhưng có {len_value}."
    ),
    "Value must be an iterable.": "Giá trị phải là một danh sách.",
    "Invalid start character for option ({option})": "Tùy chọn bắt đầu bằng ký tự không hợp lệ ({option})",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "unknown error": "lỗi không rõ",
    # values of a parameter's type. click capitalises the name of a path's kind, which would
    # give "Thư Mục": the Vietnamese templates name the path itself instead.
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "{name} {filename!r} does not exist.": "không tìm thấy {filename!r}.",
    "{name} {filename!r} is a file.": "{filename!r} là một tệp, không phải thư mục.",
    "{name} {filename!r} is a directory.": "{filename!r} là một thư mục, không phải tệp.",
    "{name} {filename!r} is not readable.": "không có quyền đọc {filename!r}.",
    "{name} {filename!r} is not writable.": "không có quyền ghi vào {filename!r}.",
    "{name} {filename!r} is not executable.": "không có quyền chạy {filename!r}.",
    "{value!r} is not {choice}.": "{value!r} không phải là giá trị được phép; chọn một trong: {choices}.",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "Choice({choices})": "Một trong ({choices})",
    "{value!r} does not match the format {format}.": (
        "{value!r} không đúng dạng ngày; dùng dạng {formats} (%Y: năm, %m: tháng, %d: ngày)."
    ),
    "{value!r} is not a valid {number_type}.": "{value!r} không phải là số hợp lệ.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} không phải là có/không; dùng một trong: {states}"
    ),
    "{value!r} is not a valid UUID.": "{value!r} không phải là UUID hợp lệ.",
    # interactive prompts, editors, consoles and shell completion (rarely seen; still Vietnamese)
    "Error: The two entered values do not match.": "Lỗi: hai giá trị đã nhập không khớp nhau.",
    "Error: invalid input": "Lỗi: giá trị nhập không hợp lệ",
    "{editor}: Editing failed": "{editor}: không sửa được",
    "{editor}: Editing failed: {e}": "{editor}: không sửa được: {e}",
    "Windows error: {error}": "Lỗi Windows: {error}",
    "Unknown color {colour!r}": "Không có màu {colour!r}",
    "Unknown standard stream '{name}'": "Không có luồng chuẩn '{name}'",
    "Couldn't detect Bash version, shell completion is not supported.": (
        "Không xác định được phiên bản Bash; không hỗ trợ gợi ý lệnh."
    ),
    "Shell completion is not supported for Bash versions older than 4.4.": (
        "Không hỗ trợ gợi ý lệnh cho Bash cũ hơn 4.4."
    ),
    # messages for the authors of commands, not for the officer (click raises them as TypeError)
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
        "Cảnh báo: lệnh {name!r} không còn dùng.{extra_message}"
    ),
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
        "Cảnh báo: {param_type} {name!r} không còn dùng.{extra_message}"
    ),
    "Could not determine name for option with declarations {decls!r}": (
        "Không xác định được tên tùy chọn từ {decls!r}"
    ),
    "No options defined but a name was passed ({name}). Did you mean to declare an argument "
    "instead? Did you mean to pass '--{name}'?": (
        "Chưa khai báo tùy chọn nào nhưng có tên ({name}); có phải cần khai báo tham số, hoặc '--{name}'?"
    ),
    "Arguments take exactly one parameter declaration, got {length}: {decls}.": (
        "Mỗi tham số chỉ khai báo một tên, ở đây có {length}: {decls}."
    ),
    "Name '{name}' defined twice": "Tên '{name}' được khai báo hai lần",
    "Boolean option {decl!r} cannot use the same flag for true/false.": (
        "Tùy chọn có/không {decl!r} không thể dùng cùng một cờ cho cả hai."
    ),
    "d": "d",  # a format letter inside click's progress bar, not a word
}

# ngettext: the singular → the plural as click writes it (the Vietnamese template is the singular's)
PLURALS = {
    "Did you mean {possibility}?": "(Did you mean one of: {possibilities}?)",
    "Got unexpected extra argument ({args})": "Got unexpected extra arguments ({args})",
    "Takes {nargs} values but 1 was given.": "Takes {nargs} values but {len} were given.",
    "{len_type} values are required, but {len_value} was given.": (
        "{len_type} values are required, but {len_value} were given."
    ),
    "Option {name!r} requires an argument.": "Option {name!r} requires {nargs} arguments.",
    "{value!r} is not {choice}.": "{value!r} is not one of {choices}.",
    "{value!r} does not match the format {format}.": "{value!r} does not match the formats {formats}.",
}
PLURAL_TEMPLATES = {
    "Did you mean {possibility}?": "(Có phải ý bạn là một trong: {possibilities}?)",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần {nargs} giá trị.",
}


class Vietnamese(gettext.NullTranslations):
    """The catalog above as a gettext translation."""

    def gettext(self, message: str) -> str:
        return VIETNAMESE.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        if n != 1 and msgid1 in PLURAL_TEMPLATES:  # the plural names other values (one of several)
            return PLURAL_TEMPLATES[msgid1]
        if msgid1 in VIETNAMESE:
            return VIETNAMESE[msgid1]
        return msgid1 if n == 1 else msgid2


def install() -> None:
    """Bind the gettext names of every loaded click module to the Vietnamese catalog. Call it
    before commands are declared: click translates some texts (help of --help, the kind of a
    path) when a parameter is made."""
    translation = Vietnamese()
    for name, module in list(sys.modules.items()):
        if name != "click" and not name.startswith("click."):
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = translation.gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = translation.ngettext  # type: ignore[attr-defined]
