"""Units as agencies write them: spelling variants of the catalog's unit, and convertible ones."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Unit:
    canonical: str
    dimension: str  # units convert only within a dimension
    factor: float  # size in the dimension's base unit


_UNITS: list[tuple[Unit, tuple[str, ...]]] = [
    (
        Unit("tỷ.đ", "vnd", 1e9),
        ("tỷ.đ", "tỷ đ", "tỷđ", "tỷ đồng", "tỉ đồng", "tỉ.đ", "ty dong", "tỷ vnđ", "tỷ vnd"),
    ),
    (Unit("tr.đ", "vnd", 1e6), ("tr.đ", "trđ", "tr đ", "triệu đồng", "triệu", "trieu dong", "triệu vnđ")),
    (Unit("nghìn đồng", "vnd", 1e3), ("nghìn đồng", "ngàn đồng", "nghìn đ", "1000 đồng", "1.000 đồng")),
    (Unit("đồng", "vnd", 1), ("đồng", "vnđ", "vnd", "đ")),
    (Unit("tỷ.usd", "usd", 1e9), ("tỷ usd", "tỷ.usd", "tỷ đô la")),
    (Unit("tr.usd", "usd", 1e6), ("tr.usd", "tr usd", "triệu usd", "triệu đô la", "triệu đôla", "tr.đô la")),
    (Unit("nghìn usd", "usd", 1e3), ("nghìn usd", "ngàn usd", "1000 usd", "1.000 usd")),
    (Unit("usd", "usd", 1), ("usd", "đô la", "đôla")),
    (
        Unit("tr.đ/người", "vnd_per_person", 1e6),
        ("tr.đ/người", "triệu đồng/người", "trđ/người", "tr đ/người"),
    ),
    (Unit("nghìn đồng/người", "vnd_per_person", 1e3), ("nghìn đồng/người", "ngàn đồng/người")),
    (Unit("tr.đ/lđ", "vnd_per_worker", 1e6), ("tr.đ/lđ", "triệu đồng/lao động", "triệu đồng/lđ", "trđ/lđ")),
    (Unit("%", "percent", 1), ("%", "phần trăm", "tỷ lệ %", "(%)")),
    (Unit("%/năm", "percent_per_year", 1), ("%/năm", "% / năm", "%/ năm", "phần trăm/năm")),
    (Unit("ha", "area", 1), ("ha", "hecta", "héc-ta", "hécta")),
    (Unit("km2", "area", 100), ("km2", "km²")),
    (Unit("Dự án", "projects", 1), ("dự án", "da")),
    (Unit("DN", "enterprises", 1), ("dn", "doanh nghiệp")),
    (Unit("HTX", "cooperatives", 1), ("htx", "hợp tác xã")),
    (Unit("Lao động", "people", 1), ("lao động", "người", "lđ")),
    (Unit("nghìn người", "people", 1e3), ("nghìn người", "ngàn người", "nghìn lao động")),
    (Unit("đơn vị", "units", 1), ("đơn vị", "đv", "cái")),
    (Unit("điểm", "score", 1), ("điểm",)),
    (Unit("x", "ratio", 1), ("x", "lần")),
]


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Compare units and labels after NFC, case folding and whitespace/trailing-dot folding."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").strip().lower()
    text = re.sub(r"\s+", " ", text)
    return text.rstrip(".").strip()


_BY_ALIAS = {normalise(alias): unit for unit, aliases in _UNITS for alias in aliases}


def lookup(text: str) -> Unit | None:
    return _BY_ALIAS.get(normalise(text))


@dataclass(frozen=True)
class UnitVerdict:
    kind: str  # "same", "variant", "convert", "unknown"
    factor: float = 1.0  # multiply returned values by this to get the catalog unit


SAME = UnitVerdict("same")


def compare(returned: str, expected: str) -> UnitVerdict:
    if normalise(returned) == normalise(expected):
        return SAME
    got, want = lookup(returned), lookup(expected)
    if got is None or want is None or got.dimension != want.dimension:
        return UnitVerdict("unknown")
    if got.canonical == want.canonical:
        return UnitVerdict("variant")
    return UnitVerdict("convert", got.factor / want.factor)
