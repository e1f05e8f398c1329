"""click's messages in Vietnamese, through gettext: the catalog covers every message click marks,
and usage errors read in Vietnamese with exit code 2."""

from __future__ import annotations

import ast
import re
import string
import unicodedata
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from indicator_kit.cli import main
from indicator_kit.cli_messages import PLURAL_TEMPLATES, PLURALS, VIETNAMESE
from indicator_kit.errors import ExitCode
from tests.conftest import SPEC_DIR


def marked_by_click() -> dict[str, str | None]:
    """Every message the installed click passes to `_()` or `ngettext()` (singular → plural)."""
    found: dict[str, str | None] = {}
    for source in sorted(Path(click.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                texts = [
                    a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                ]
                if node.func.id == "_" and texts:
                    found[texts[0]] = None
                elif node.func.id == "ngettext" and len(texts) == 2:
                    found[texts[0]] = texts[1]
    return found


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_click_marks_is_translated() -> None:
    marked = marked_by_click()
    assert len(marked) > 60  # the walk found click's messages
    missing = sorted(set(marked) - set(VIETNAMESE))
    assert not missing, f"click messages without a Vietnamese text: {missing}"
    assert {k: v for k, v in marked.items() if v is not None} == PLURALS  # click's plurals, as listed
    assert "required" in VIETNAMESE  # (marked through a variable: `_(extra["required"])`)


@pytest.mark.parametrize("message", sorted(VIETNAMESE))
def test_translations_use_only_the_values_click_gives(message: str) -> None:
    """A Vietnamese template may leave a value out, never name one click does not pass."""
    given = fields(message) | fields(PLURALS.get(message, ""))
    for text in (VIETNAMESE[message], PLURAL_TEMPLATES.get(message, "")):
        assert fields(text) <= given, text
        assert unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["collect", "khong_co_thu_muc"],
            "Giá trị của '[THƯ MỤC NHẬN]' không hợp lệ: không tìm thấy 'khong_co_thu_muc'.",
        ),
        (["collect", "--bogus", "x"], "Không có tùy chọn '--bogus'."),
        (["collect", ".", "--fromat", "json"], "(Có phải ý bạn là một trong: '--format', '--out'?)"),
        (["spec", "show"], "Thiếu tùy chọn '--agency'."),
        (["generate", "--agency"], "Tùy chọn '--agency' cần một giá trị."),
        (["nope"], "Không có lệnh 'nope'."),
        (["mail", "nope"], "Không có lệnh 'nope'."),
        (
            ["collect", ".", "--format", "xml"],
            "'xml' không phải là giá trị được phép; chọn một trong: 'text', 'json'.",
        ),
        (["status", ".", "--as-of", "3/5"], "'3/5' không đúng dạng ngày; dùng dạng '%Y-%m-%d', '%d/%m/%Y'"),
        (
            ["spec", "check", "--spec-dir", "indicator-kit.yaml"],
            "'indicator-kit.yaml' là một tệp, không phải thư mục.",
        ),
        (["spec", "check", "thua"], "Thừa tham số (thua)."),
    ],
)
def test_usage_errors_are_vietnamese(argv: list[str], expected: str) -> None:
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert expected in result.output
    assert "Lỗi: " in result.output
    for english in ("Error", "Usage", "Invalid value", "Missing", "No such", "Try '", "does not"):
        assert english not in result.output, english


def test_help_is_vietnamese_around_the_options() -> None:
    result = CliRunner().invoke(main, ["collect", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Cách dùng: " in result.output and "[TÙY CHỌN] [THƯ MỤC NHẬN]" in result.output
    assert "Tùy chọn:" in result.output and "Xem hướng dẫn này rồi thoát." in result.output
    assert "định: text]" in result.output  # (wrapped after "mặc")


def test_library_errors_keep_their_exit_code() -> None:
    result = CliRunner().invoke(
        main, ["spec", "show", "--agency", "so_khong_co", "--spec-dir", str(SPEC_DIR)], catch_exceptions=False
    )
    assert result.exit_code == ExitCode.USAGE and "Không có đơn vị 'so_khong_co'" in result.output


@pytest.mark.parametrize("argv", [[], ["mail"], ["ledger"], ["spec"]])
def test_a_bare_command_shows_its_help_not_an_error(argv: list[str]) -> None:
    """A new user's first command is often `indicator-kit` alone: the help, exit 0, no "Lỗi"."""
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == ExitCode.OK, result.output
    assert "Lỗi" not in result.output and "LỆNH" in result.output


def every_command(group: click.Group = main, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The words that run each command and group, hidden ones included (anyone can type them)."""
    found = [path]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += every_command(command, (*path, name))
        else:
            found.append((*path, name))
    return found


# Words of English prose that are no Vietnamese word, no option value and no file or key name.
ENGLISH = {
    *("the", "of", "and", "or", "with", "for", "is", "are", "this", "that", "from", "default", "when"),
    *("only", "every", "each", "by", "its", "be", "not", "without", "into", "here", "also", "after"),
    *("before", "than", "which", "what", "who", "output", "outputs", "file", "files", "agency"),
    *("agencies", "returned", "workbook", "workbooks", "read", "write", "writes", "sent", "list"),
    *("build", "print", "prints", "used", "use", "see", "made", "repeatable", "slug"),
}


def english_words(text: str) -> set[str]:
    words = set()
    for token in text.split():
        if any(c in token for c in "/_.=-@<>0123456789") or any(c.isupper() for c in token):
            continue  # file and folder names, options, examples, environment variables, metavars
        words.add(token.strip(",;:()[]'\"…—").lower())
    return words & ENGLISH


@pytest.mark.parametrize("path", every_command(), ids=lambda p: " ".join(p) or "indicator-kit")
def test_every_help_is_vietnamese(path: tuple[str, ...]) -> None:
    """What `indicator-kit … --help` shows is Vietnamese: the command's text and every option's,
    each with Vietnamese letters, in NFC, without English prose."""
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    result = CliRunner().invoke(main, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert unicodedata.is_normalized("NFC", result.output)
    assert not english_words(result.output), english_words(result.output)
    texts = {"": command.help or ""} | {
        param.opts[0]: param.help or "" for param in command.params if isinstance(param, click.Option)
    }
    for name, text in texts.items():
        assert any(not c.isascii() and c.isalpha() for c in text), f"{name or 'the command'}: {text!r}"
    assert not re.search(r"\b(FILE|TEXT|INBOX|FOLDER|DIRECTORY|PATH|INTEGER)\b", result.output)  # metavars
