"""What a clerk typed → a number, a no-data marker, a blank, or an error. Never a silent guess.

Handles Vietnamese and English notation ("1.234,5", "1,234.5"), "12,5%", "1 234", and
"(12,5)", "−0,8" (U+2212) and "–0,8" (en dash) for negatives. "1.234" / "1,234" are
ambiguous: the caller resolves them with the row's other values (`resolve_ambiguous`). A value
may carry a status mark typed after it: "125,3 (sb)" is preliminary (sơ bộ), "125,3 (ut)"
estimated (ước tính).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from statistics import median


class ValueFlag(StrEnum):
    """A value's observation status, with SDMX OBS_STATUS codes."""

    NORMAL = "A"
    PRELIMINARY = "P"  # sơ bộ
    ESTIMATED = "E"  # ước tính


# An estimate is less settled than a preliminary figure: a value computed from both is estimated.
_TENTATIVENESS = {ValueFlag.NORMAL: 0, ValueFlag.PRELIMINARY: 1, ValueFlag.ESTIMATED: 2}


def most_tentative(flags: Iterable[ValueFlag]) -> ValueFlag:
    return max(flags, key=_TENTATIVENESS.__getitem__, default=ValueFlag.NORMAL)


# What an agency may type after a number (documented in the template's "Hướng dẫn" sheet).
_FLAG_WORDS = {
    "sb": ValueFlag.PRELIMINARY,
    "sơ bộ": ValueFlag.PRELIMINARY,
    "so bo": ValueFlag.PRELIMINARY,
    "ut": ValueFlag.ESTIMATED,
    "ưt": ValueFlag.ESTIMATED,
    "ước tính": ValueFlag.ESTIMATED,
    "uoc tinh": ValueFlag.ESTIMATED,
    "ước": ValueFlag.ESTIMATED,
}
_FLAG_SUFFIX = re.compile(r"^(.*?\d[^()\[\]]*?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]$")


def split_flag(text: str) -> tuple[str, ValueFlag]:
    """("125,3", PRELIMINARY) for "125,3 (sb)"; the text unchanged with NORMAL otherwise."""
    match = _FLAG_SUFFIX.match(text)
    if match is not None:
        flag = _FLAG_WORDS.get(match.group(2).lower())
        if flag is not None:
            return match.group(1), flag
    return text, ValueFlag.NORMAL


def flag_of(text: str | None) -> ValueFlag:
    """The status mark of what was typed (NORMAL for a plain number or no text)."""
    if not text or not text.rstrip().endswith((")", "]")):
        return ValueFlag.NORMAL
    return split_flag(_SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip())[1]


class Status(StrEnum):
    BLANK = "blank"  # not reported
    NUMBER = "number"
    NO_DATA = "no_data"  # explicitly "no data": counts as answered
    INVALID = "invalid"


@dataclass(frozen=True)
class Parsed:
    status: Status
    value: float | None = None
    text: str | None = None  # the original text, when the cell held text
    alternative: float | None = None  # the other reading of an ambiguous "1.234"
    percent_sign: bool = False
    flag: ValueFlag = ValueFlag.NORMAL
    moment: date | time | None = None  # a date or time where a number belongs (Excel's reading of "1.5")

    @property
    def from_text(self) -> bool:
        return self.text is not None and self.status is Status.NUMBER

    @property
    def ambiguous(self) -> bool:
        return self.alternative is not None


NO_DATA_MARKERS = {
    "-",
    "–",
    "—",
    "x",
    "không có số liệu",
    "khong co so lieu",
    "kcsl",
    "n/a",
    "na",
    "không có",
    "chưa có số liệu",
    "…",
    "...",
}
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-"})
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2009]+")
_GROUPED = {
    ".": re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+$"),
    ",": re.compile(r"^[0-9]{1,3}(,[0-9]{3})+$"),
}


def _number_text(text: str) -> tuple[float, float | None] | None:
    """Parse unsigned digits with separators; (value, alternative-if-ambiguous) or None."""
    # ASCII digits only: float() would also read other scripts' digits ("𞋰"), which no clerk types
    if not text or not re.fullmatch(r"[0-9.,]+", text) or not re.search(r"[0-9]", text):
        return None
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        whole, _, frac = text.rpartition(decimal)
        if not _GROUPED[thousands].match(whole) and thousands in whole:
            return None
        if not frac.isdigit():
            return None
        return float(whole.replace(thousands, "") + "." + frac), None
    sep = "." if dots else ("," if commas else None)
    if sep is None:
        return float(text), None
    count = dots or commas
    if count > 1:
        return (float(text.replace(sep, "")), None) if _GROUPED[sep].match(text) else None
    whole, _, frac = text.partition(sep)
    if not whole or not frac:
        return None
    as_decimal = float(f"{whole}.{frac}")
    if len(frac) == 3 and 1 <= len(whole) <= 3 and whole != "0":
        return as_decimal, float(whole + frac)  # "1.234": 1,234 or 1234?
    return as_decimal, None


def parse_cell(value: object) -> Parsed:
    if value is None or value == "":
        return Parsed(Status.BLANK)
    if isinstance(value, bool):
        return Parsed(Status.INVALID, text=str(value))
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return Parsed(Status.INVALID, text=str(value))
        return Parsed(Status.NUMBER, float(value))
    if isinstance(value, datetime | date | time):
        return Parsed(Status.INVALID, text=value.isoformat(), moment=value)
    text = unicodedata.normalize("NFC", str(value))
    folded = _SPACES.sub(" ", text).strip()
    if not folded:
        return Parsed(Status.BLANK)
    if folded.lower() in NO_DATA_MARKERS:
        return Parsed(Status.NO_DATA, text=text)
    folded, flag = split_flag(folded) if folded.endswith((")", "]")) else (folded, ValueFlag.NORMAL)
    # U+2212 (minus sign) and the en dash are typed or pasted for minus ("–0,8"); a lone dash is
    # a no-data marker, handled above.
    body = folded.translate(_MINUS).replace(" ", "")
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1]
    percent = body.endswith("%")
    body = body.rstrip("%")
    if body and body[0] in "+-":  # ("" is in every string)
        negative = negative != (body[0] == "-")
        body = body[1:]
    parsed = _number_text(body)
    if parsed is None:
        return Parsed(Status.INVALID, text=text)
    number, alternative = parsed
    sign = -1.0 if negative else 1.0
    return Parsed(
        Status.NUMBER,
        sign * number,
        text=text,
        alternative=None if alternative is None else sign * alternative,
        percent_sign=percent,
        flag=flag,
    )


def resolve_ambiguous(parsed: Parsed, neighbours: list[float], whole_only: bool) -> tuple[float, str]:
    """Choose between the two readings of "1.234"; returns (value, why): the `number-ambiguous`
    message's variant ("whole", "in-line", "thousands-dot", "decimal-comma")."""
    assert parsed.alternative is not None and parsed.value is not None
    small, large = parsed.value, parsed.alternative
    if whole_only:
        return large, "whole"
    sized = [abs(n) for n in neighbours if n]
    if sized:
        centre = median(sized)

        def distance(candidate: float) -> float:
            return abs(math.log10(abs(candidate) / centre)) if candidate else math.inf

        if distance(large) < distance(small):
            return large, "in-line"
        return small, "in-line"
    # Without context, Vietnamese notation: "." groups thousands, "," marks decimals.
    text = (parsed.text or "").strip()
    if "." in text:
        return large, "thousands-dot"
    return small, "decimal-comma"


def format_number(value: float) -> str:
    """Vietnamese notation for messages: 1.234,5 (up to 4 decimals, trailing zeros dropped)."""
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
