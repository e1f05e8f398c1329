"""Every finding's message is a template of the registry, filled from typed fields in one place.

The templates are checked on their own (each renders with its declared fields; a missing,
unknown or mistyped field is refused) and against the code that fills them: every call site in
the package that names a code with a literal is read (ast) and must name a template of that code
and give it only the fields it declares — all of them, unless part come from a `**` mapping.
"""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import indicator_kit
import indicator_kit.rules
from indicator_kit.findings import (
    _PLACE,
    CODES,
    FIELDS,
    FILE_KINDS,
    IDENTITY_SOURCES,
    PARTS,
    Code,
    Message,
    Severity,
    finding,
    register_code,
    render,
    template_fields,
)
from indicator_kit.rules import KINDS

PACKAGE = Path(indicator_kit.__file__).parent
RULE_CODES = {code.code for kind in KINDS.values() for code in kind.codes}
SAMPLES = {"": "chữ", "n": 1234.5, "d": 12, ".0f": 25.4}


def sample_fields(template: str) -> dict[str, object]:
    return {name: SAMPLES[spec] for name, spec in template_fields(template).items()}


def every_template() -> Iterator[tuple[str, str, str]]:
    for code in CODES.values():
        for variant, template in code.templates.items():
            yield code.code, variant, template


def test_every_code_has_a_template() -> None:
    assert all(code.templates for code in CODES.values())
    assert {"file-too-large", "sum-mismatch", "agencies-disagree"} <= set(CODES)


@pytest.mark.parametrize(("code", "variant", "template"), list(every_template()))
def test_every_template_renders_with_its_declared_fields(code: str, variant: str, template: str) -> None:
    assert unicodedata.is_normalized("NFC", template), (code, variant)
    assert not template_fields(template).keys() & set(FIELDS), "a finding's place is not a message field"
    made = finding(code, variant, file="a.xlsx", **sample_fields(template))
    assert made.code == code and made.file == "a.xlsx"
    text = made.message
    assert "{" not in text and "}" not in text, text
    assert text[:1] == text[:1].upper(), "a message is a sentence"
    fix = CODES[code].fix
    assert text.endswith(fix) if fix != "—" else text == render(template, sample_fields(template))
    if "n" in template_fields(template).values():
        assert "1.234,5" in text, "numbers are written the Vietnamese way"


def test_a_missing_unknown_or_mistyped_field_is_refused() -> None:
    fields = {"size_mb": 30.0, "limit_mb": 25.0}
    assert finding("file-too-large", "file", file="a.xlsx", **fields).message.startswith(
        "Tệp quá lớn (30 MB, giới hạn 25 MB)."
    )
    with pytest.raises(TypeError, match="missing \\['limit_mb'\\]"):
        finding("file-too-large", "file", file="a.xlsx", size_mb=30.0)
    with pytest.raises(TypeError, match="unknown \\['limit'\\]"):
        finding("file-too-large", "file", file="a.xlsx", limit=3, **fields)
    with pytest.raises(TypeError, match="does not fit"):
        finding("file-too-large", "file", file="a.xlsx", size_mb="30", limit_mb=25.0)
    with pytest.raises(TypeError, match="does not fit"):
        finding("row-missing", file="a.xlsx", tt=1, label="Dân số")
    with pytest.raises(KeyError, match="no message template 'nope'"):
        finding("file-too-large", "nope", file="a.xlsx")
    with pytest.raises(KeyError, match="no message template ''"):
        finding("file-too-large", file="a.xlsx")


def test_a_template_naming_a_place_field_is_refused() -> None:
    """`{column}` would collide with the finding's own `column` (a column id, not its name)."""
    bad = Code("bad-code", Severity.ERROR, "—", "—", message="Sai ở cột {column}.")
    with pytest.raises(ValueError, match="bad fields \\['column'\\]"):
        register_code(bad)
    assert "bad-code" not in CODES
    with pytest.raises(ValueError, match="not a plain named field"):
        template_fields("Giá trị {value:.2f}.")


def test_a_message_carried_before_its_place_is_known() -> None:
    carried = Message("file-unreadable", "sheet", {"sheet_name": "Phụ lục 2", "error": "KeyError"})
    made = carried.finding(file="a.xlsx", sha256="ab")
    assert made.message.startswith('Không đọc được sheet "Phụ lục 2" (KeyError).')
    assert (made.severity, made.sha256) == (Severity.ERROR, "ab")


def test_parts_and_file_kinds_are_vietnamese_nfc() -> None:
    for text in [*PARTS.values(), *FILE_KINDS.values(), *IDENTITY_SOURCES.values()]:
        assert unicodedata.is_normalized("NFC", text), text
    for template in PARTS.values():
        render(template, sample_fields(template))


# --- the call sites --------------------------------------------------------------------------

CALLERS = {"finding", "add", "Message"}  # findings.finding, Message, and the helpers that forward
NOT_FIELDS = {*FIELDS, "severity", "variant"}
PLACE_FIELDS = frozenset(template_fields(_PLACE))


@dataclass(frozen=True)
class CallSite:
    where: str
    code: str
    variants: tuple[str, ...] | None  # None: chosen at run time
    fields: frozenset[str]
    more: bool  # some fields (or the place) come from a `**` mapping


def _name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _strings(node: ast.expr) -> tuple[str, ...] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def call_sites() -> list[CallSite]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = _name(node.func)
            code = _strings(node.args[0])
            if name not in CALLERS or code is None or len(code) != 1 or code[0] not in CODES:
                continue
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            variants: tuple[str, ...] | None = ("",)
            if "variant" in keywords:
                variants = _strings(keywords["variant"])
            else:
                given = [_strings(a) for a in node.args[1:]]
                variants = next((s for s in given if s is not None), ("",))
                if name == "finding" and len(node.args) > 1 and given[0] is None:
                    variants = None
                if name == "Message" and len(node.args) > 1 and given[0] is None:
                    variants = None
            fields = set(keywords) - NOT_FIELDS
            more = False
            for splat in (k.value for k in node.keywords if k.arg is None):
                if _name(splat) == "where":  # the finding's place: file, sha256, agency
                    continue
                if _name(splat.func if isinstance(splat, ast.Call) else splat) == "place":
                    fields |= PLACE_FIELDS  # `place()` helpers give the fields of findings._PLACE
                else:
                    more = True
            if name == "Message" and len(node.args) > 2:
                mapping = node.args[2]
                if isinstance(mapping, ast.Dict):
                    fields |= {k.value for k in mapping.keys if isinstance(k, ast.Constant)}
                    more |= any(k is None for k in mapping.keys)
                else:
                    more = True
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            found.append(CallSite(where, code[0], variants, frozenset(fields), more))
    return found


def test_call_sites_fill_their_templates() -> None:
    sites = call_sites()
    assert len(sites) > 80, "the call sites are found"
    wrong = []
    for site in sites:
        templates = CODES[site.code].templates
        for variant in site.variants or ():
            if variant not in templates:
                wrong.append(f"{site.where}: {site.code} has no variant {variant!r}")
                continue
            declared = set(template_fields(templates[variant]))
            unknown = site.fields - declared
            missing = set() if site.more else declared - site.fields
            if unknown or missing:
                wrong.append(f"{site.where}: {site.code}/{variant}: unknown {unknown}, missing {missing}")
    assert not wrong, "\n".join(wrong)


def test_every_template_is_used() -> None:
    """Each variant of a code is named by some call site, or the code's variant is chosen at run
    time somewhere (a rule's code from its check, a reader's reason carried in a `Message`)."""
    sites = call_sites()
    named = {(s.code, v) for s in sites for v in s.variants or ()}
    chosen_at_run_time = {s.code for s in sites if s.variants is None} | RULE_CODES
    unused = [
        f"{code}/{variant}"
        for code, variant, _ in every_template()
        if (code, variant) not in named and code not in chosen_at_run_time
    ]
    assert not unused, unused
    assert not {s.code for s in sites} - set(CODES)
