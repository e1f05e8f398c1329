"""A returned sheet → values keyed by (row key, column id), with every structural problem found.

Rows are mapped back to catalog keys by the hidden key column; when it is gone (rows copied
into the agency's own file) by labels, in order. Columns are found by the printed column-number
row (A B C 1 … 10) so an inserted column does not shift values silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from indicator_kit.catalog.model import PERCENT_UNITS, Column, Row, ValueType
from indicator_kit.collect import units
from indicator_kit.collect.model import CellTable, CellTableBuilder, column_letters
from indicator_kit.collect.numbers import (
    Status,
    ValueFlag,
    parse_cell,
    resolve_ambiguous,
)
from indicator_kit.collect.reader import RawSheet
from indicator_kit.findings import Finding, Severity, finding
from indicator_kit.rules import column_name
from indicator_kit.template.layout import COLUMN_TITLES, LayoutRow, TemplateLayout


def xl_rowcol_to_cell(row: int, col: int) -> str:
    return f"{column_letters(col)}{row + 1}"


NUMBER_ROW_SCAN = 40


@dataclass
class SheetMap:
    row_of: dict[str, int]  # catalog key → grid row
    col_of: dict[str, int]  # "tt", "label", "unit", "note", column ids → grid column
    data_start: int
    known_cols: set[int]
    columns: tuple[Column, ...]
    by_labels: bool = False
    extra_key_rows: dict[int, str] = field(default_factory=dict)  # rows of other agencies' keys


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _filled(value: object) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True  # numbers, dates, booleans


def _find_number_row(sheet: RawSheet) -> tuple[int, int] | None:
    for r, row in enumerate(sheet.grid[:NUMBER_ROW_SCAN]):  # as the template wrote it
        if "A" in row:
            c = row.index("A")
            if row[c + 1 : c + 3] == ["B", "C"]:
                return r, c
    for r, row in enumerate(sheet.grid[:NUMBER_ROW_SCAN]):  # as someone retyped it
        texts = [_text(v).strip() for v in row]
        for c in range(len(texts) - 2):
            if texts[c : c + 3] == ["A", "B", "C"]:
                return r, c
    return None


def map_sheet(sheet: RawSheet, layout: TemplateLayout, keys: set[str]) -> SheetMap:
    col_of = {name: layout.col[name] for name in ("tt", "label", "unit", "note", "agencies", "check", "key")}
    col_of.update({c.id: layout.col[c.id] for c in layout.value_columns})
    data_start = layout.first_data_row
    found = _find_number_row(sheet)
    if found is not None:
        r, c = found
        data_start = r + 1
        texts = [_text(v).strip() for v in sheet.grid[r]]
        col_of.update({"tt": c, "label": c + 1, "unit": c + 2})
        for column in layout.value_columns:
            if column.number in texts[c + 3 :]:
                col_of[column.id] = texts.index(column.number, c + 3)
        titles = {}  # header text → its column (the lowest header row, then the rightmost, wins)
        for header_row in sheet.grid[max(0, r - 2) : r]:
            for j, v in enumerate(header_row):
                if v:
                    titles[_text(v).strip()] = j
        for name in ("note", "agencies", "check"):
            if COLUMN_TITLES[name] in titles:
                col_of[name] = titles[COLUMN_TITLES[name]]

    # The key column: where the template put it, else wherever catalog keys are.
    def key_count(col: int) -> int:
        return sum(1 for row in sheet.grid[data_start:] if col < len(row) and row[col] in keys)

    width = max((len(row) for row in sheet.grid), default=0)
    if key_count(col_of["key"]) == 0:
        counts = {c: key_count(c) for c in range(width)}
        best = max(counts, key=lambda c: counts[c], default=None)
        if best is not None and counts[best] > 0:
            col_of["key"] = best
    row_of: dict[str, int] = {}
    extra: dict[int, str] = {}
    layout_keys = {lr.row.key for lr in layout.rows}
    key_col = col_of["key"]
    for r in range(data_start, len(sheet.grid)):
        row_values = sheet.grid[r]
        value = row_values[key_col] if key_col < len(row_values) else None
        if isinstance(value, str) and value in keys:
            if value in layout_keys and value not in row_of:
                row_of[value] = r
            else:
                extra[r] = value
    by_labels = False
    if not row_of:
        by_labels = True
        pointer = data_start
        for lr in layout.rows:
            wanted = units.normalise(lr.row.label)
            for r in range(pointer, len(sheet.grid)):
                if units.normalise(_text(sheet.at(r, col_of["label"]))) == wanted:
                    row_of[lr.row.key] = r
                    pointer = r + 1
                    break
    known = set(col_of.values())
    return SheetMap(row_of, col_of, data_start, known, layout.value_columns, by_labels, extra)


FormulaState = Callable[[int, int], bool | None]
"""(row, col) → None: no formula there; True: a formula with a computed value; False: without."""
PercentFormat = Callable[[int, int], str | None]
"""(row, col) → the cell's number format code when it displays a percentage, else None."""


def _no_percent_format(row: int, col: int) -> str | None:
    return None


@dataclass
class Extraction:
    cells: CellTable
    notes: dict[str, str]
    findings: list[Finding]
    sheet_map: SheetMap


@dataclass(frozen=True)
class _ValueColumns:
    """The value columns as found in this sheet, worked out once per extraction."""

    ids: tuple[str, ...]
    positions: tuple[int, ...]  # grid column of each
    names: tuple[str, ...]  # for messages
    years: frozenset[str]


def extract(
    sheet: RawSheet,
    layout: TemplateLayout,
    keys: set[str],
    formula_state: FormulaState,
    where: dict[str, str],
    percent_format: PercentFormat = _no_percent_format,
) -> Extraction:
    smap = map_sheet(sheet, layout, keys)
    findings: list[Finding] = []
    spec = layout.spec

    def add(
        code: str,
        r: int | None = None,
        c: int | None = None,
        row_key: str = "",
        column: str = "",
        *,
        variant: str = "",
        severity: Severity | None = None,
        **fields: object,
    ) -> None:
        cell = xl_rowcol_to_cell(r, c) if r is not None and c is not None else ""
        findings.append(
            finding(
                code,
                variant,
                severity=severity,
                cell=cell,
                row_key=row_key,
                column=column,
                sheet=sheet.name,
                **where,
                **fields,
            )
        )

    # Rows deleted or moved
    order = {lr.row.key: i for i, lr in enumerate(layout.rows)}
    for lr in layout.rows:
        if lr.row.key not in smap.row_of:
            add(
                "row-missing",
                row_key=lr.row.key,
                severity=None if not lr.is_context else Severity.WARNING,
                tt=lr.row.tt,
                label=lr.row.label,
            )
    highest = -1
    for key, r in sorted(smap.row_of.items(), key=lambda kv: kv[1]):
        if order[key] < highest:
            add("row-moved", r, smap.col_of["label"], key, label=spec.row_by_key[key].label)
        highest = max(highest, order[key])

    builder = CellTableBuilder(tuple(c.id for c in smap.columns))
    notes: dict[str, str] = {}
    row_at = {r: key for key, r in smap.row_of.items()}
    layout_row = {lr.row.key: lr for lr in layout.rows}
    value_cols = {smap.col_of[c.id]: c for c in layout.value_columns}
    columns = _ValueColumns(
        tuple(c.id for c in smap.columns),
        tuple(smap.col_of[c.id] for c in smap.columns),
        tuple(column_name(c) for c in smap.columns),
        frozenset(c.id for c in smap.columns if c.is_year),
    )
    grid = sheet.grid
    last_row = next((r for r in range(len(grid) - 1, -1, -1) if any(_filled(v) for v in grid[r])), -1)
    ignored_cols = {smap.col_of[n] for n in ("agencies", "check", "key")}
    width = max((len(row) for row in grid), default=0)
    outside = [c for c in range(width) if c not in smap.known_cols]
    for r in range(smap.data_start, last_row + 1):
        row_values = grid[r]
        key = row_at.get(r)
        if key is not None and not layout_row[key].is_context:
            _input_row(
                sheet, layout_row[key], r, smap, columns, formula_state, percent_format, builder, notes, add
            )
        elif key is not None:
            _compare_texts(row_values, layout_row[key].row, r, smap, add, unit=False)
            for c, column in value_cols.items():
                if c < len(row_values) and row_values[c] != "" and _filled(row_values[c]):
                    add(
                        "value-outside-input",
                        r,
                        c,
                        key,
                        column.id,
                        variant="heading-row",
                        address=xl_rowcol_to_cell(r, c),
                        label=layout_row[key].row.label,
                        text=_text(row_values[c]),
                    )
        else:
            other = smap.extra_key_rows.get(r)
            content = [c for c, v in enumerate(row_values) if _filled(v) and c not in ignored_cols]
            if not content:
                continue
            if other is None:
                add("row-inserted", r, content[0], row=r + 1)
            for c in content:
                if c in value_cols and other:
                    add(
                        "value-outside-input",
                        r,
                        c,
                        other,
                        value_cols[c].id,
                        variant="other-agency-row",
                        address=xl_rowcol_to_cell(r, c),
                        label=spec.row_by_key[other].label,
                        text=_text(sheet.at(r, c)),
                    )
                elif c in value_cols:
                    add(
                        "value-outside-input",
                        r,
                        c,
                        "",
                        value_cols[c].id,
                        variant="inserted-row",
                        address=xl_rowcol_to_cell(r, c),
                        row=r + 1,
                        text=_text(sheet.at(r, c)),
                    )
        for c in outside:
            v = row_values[c] if c < len(row_values) else None
            if _filled(v):
                numeric = parse_cell(v).status is Status.NUMBER
                add(
                    "value-outside-input",
                    r,
                    c,
                    variant="outside-table",
                    severity=None if numeric else Severity.WARNING,
                    address=xl_rowcol_to_cell(r, c),
                    text=_text(v),
                )
    return Extraction(builder.build(smap.row_of, smap.col_of), notes, findings, smap)


def _at(values: list[object], col: int) -> object:
    return values[col] if col < len(values) else None


def _compare_texts(
    values: list[object], row: Row, r: int, smap: SheetMap, add: Callable[..., None], unit: bool
) -> units.UnitVerdict:
    """`values`: the sheet row `r`."""
    tt_cell, label_cell = _at(values, smap.col_of["tt"]), _at(values, smap.col_of["label"])
    tt = tt_cell if type(tt_cell) is str else _text(tt_cell)
    label = label_cell if type(label_cell) is str else _text(label_cell)
    if tt != row.tt and units.normalise(tt) != units.normalise(row.tt):
        add("tt-edited", r, smap.col_of["tt"], row.key, label=row.label, typed=tt, expected=row.tt)
    if not smap.by_labels and label != row.label and units.normalise(label) != units.normalise(row.label):
        add("label-edited", r, smap.col_of["label"], row.key, typed=label, expected=row.label)
    if not unit or row.unit is None:
        return units.SAME
    typed = _text(_at(values, smap.col_of["unit"]))
    if typed == row.unit:
        return units.SAME
    verdict = units.compare(typed, row.unit)
    where = (r, smap.col_of["unit"], row.key)
    if verdict.kind == "variant":
        add("unit-edited", *where, label=row.label, typed=typed, expected=row.unit)
    elif verdict.kind == "convert":
        add("unit-converted", *where, label=row.label, typed=typed, expected=row.unit, factor=verdict.factor)
    elif verdict.kind == "unknown":
        add("unit-unknown", *where, label=row.label, typed=typed, expected=row.unit)
    return verdict


_NUMBER_FAST = frozenset({"same", "variant"})  # unit verdicts under which typed numbers stand as they are


def _input_row(
    sheet: RawSheet,
    lr: LayoutRow,
    r: int,
    smap: SheetMap,
    columns: _ValueColumns,
    formula_state: FormulaState,
    percent_format: PercentFormat,
    builder: CellTableBuilder,
    notes: dict[str, str],
    add: Callable[..., None],
) -> None:
    row = lr.row
    row_values = sheet.grid[r]
    verdict = _compare_texts(row_values, row, r, smap, add, unit=True)
    note = _text(_at(row_values, smap.col_of["note"])).strip()
    if note:
        notes[row.key] = note
    width = len(row_values)
    raw = [row_values[c] if c < width else None for c in columns.positions]
    # Most cells of most returns are plain numbers in the catalog's unit: no finding is possible
    # for them except a count with decimals, so they skip the parser.
    if (
        verdict.kind in _NUMBER_FAST
        # finite floats, or whole numbers (.xls and .ods files give those as int)
        and all((type(v) is float and v - v == 0.0) or type(v) is int for v in raw)
        and (row.value_type is not ValueType.COUNT or all(v == int(v) for v in raw))  # type: ignore[call-overload]
    ):
        if row.unit in PERCENT_UNITS and any(0 < abs(v) < PERCENT_FORMAT_BELOW for v in raw):  # type: ignore[arg-type]
            raw = _percent_formatted(row, r, columns, raw, percent_format, add)  # type: ignore[arg-type]
        builder.add_numbers(row.key, raw)  # type: ignore[arg-type]
        return
    if row.unit in PERCENT_UNITS:
        raw = _percent_formatted(row, r, columns, raw, percent_format, add)
    parsed = [parse_cell(v) for v in raw]
    numbers = {
        col: p.value
        for col, p in zip(columns.ids, parsed, strict=True)
        if p.status is Status.NUMBER and not p.ambiguous
    }
    usable_numbers: dict[str, float] = {}
    builder.start_row(row.key)
    for column, c, name, p in zip(columns.ids, columns.positions, columns.names, parsed, strict=True):
        cell = xl_rowcol_to_cell(r, c)

        def place(cell: str = cell, name: str = name) -> dict[str, str]:  # only when a finding needs it
            return {"address": cell, "label": row.label, "column_name": name}

        usable, value = verdict.kind != "unknown", p.value
        # A formula without a computed value reads as blank, so only blank cells are looked up.
        if p.status is Status.BLANK and formula_state(r, c) is False:
            add("formula-no-value", r, c, row.key, column, **place())
            builder.add(Status.INVALID, None, None, False)
            continue
        if p.status is Status.INVALID and p.moment is not None:
            _date_in_number(add, r, c, row.key, column, place(), p.moment)
            usable = False
        elif p.status is Status.INVALID:
            add("value-invalid", r, c, row.key, column, text=p.text or "", **place())
            usable = False
        elif p.status is Status.NO_DATA:
            add("no-data", r, c, row.key, column, text=p.text or "", **place())
        elif p.status is Status.NUMBER:
            assert value is not None
            if p.percent_sign and row.unit not in PERCENT_UNITS:
                unit = row.unit or ""
                add(
                    "value-invalid",
                    r,
                    c,
                    row.key,
                    column,
                    variant="percent-sign",
                    text=p.text or "",
                    unit=unit,
                    **place(),
                )
                usable = False
            elif p.ambiguous:
                others = [v for col, v in numbers.items() if col != column and v is not None]
                value, reason = resolve_ambiguous(p, others, row.value_type is ValueType.COUNT)
                add(
                    "number-ambiguous",
                    r,
                    c,
                    row.key,
                    column,
                    variant=reason,
                    text=p.text or "",
                    reading=p.value or 0,
                    alternative=p.alternative or 0,
                    value=value,
                    **place(),
                )
            elif p.flag is not ValueFlag.NORMAL:
                add(
                    "value-flagged",
                    r,
                    c,
                    row.key,
                    column,
                    variant=p.flag.value,
                    text=p.text or "",
                    value=value,
                    **place(),
                )
            elif p.from_text:
                add("text-number", r, c, row.key, column, text=p.text or "", value=value, **place())
            if usable and row.value_type is ValueType.COUNT and not float(value).is_integer():
                add("count-not-whole", r, c, row.key, column, value=value, **place())
                usable = False
            if usable and verdict.kind == "convert":
                # 15 significant digits: a conversion must not add binary noise (6 555 028,1, not …,100000001)
                value = float(f"{value * verdict.factor:.15g}")
            if usable:
                usable_numbers[column] = value
        builder.add(p.status, value, p.text, usable)


PERCENT_FORMAT_BELOW = 2.0  # a value typed into a %-formatted cell is stored ÷ 100: 8,6% as 0,086


def _percent_formatted(
    row: Row,
    r: int,
    columns: _ValueColumns,
    raw: list[object],
    percent_format: PercentFormat,
    add: Callable[..., None],
) -> list[object]:
    """Cells of a % row formatted as a percentage show 8,6% and hold 0,086: read as displayed,
    and say so. Only small stored values are asked about, and the format is read only then."""
    out = list(raw)
    for i, (column, c, name, v) in enumerate(
        zip(columns.ids, columns.positions, columns.names, raw, strict=True)
    ):
        if not (type(v) is float or type(v) is int) or not 0 < abs(v) < PERCENT_FORMAT_BELOW:  # type: ignore[operator]
            continue
        code = percent_format(r, c)
        if code is None:
            continue
        shown = v * 100  # type: ignore[operator]
        out[i] = shown
        add(
            "percent-formatted",
            r,
            c,
            row.key,
            column,
            address=xl_rowcol_to_cell(r, c),
            label=row.label,
            column_name=name,
            format_code=code,
            shown=shown,
            stored=v,
            unit=row.unit or "",
        )
    return out


def _date_in_number(
    add: Callable[..., None], r: int, c: int, key: str, column: str, place: dict[str, str], moment: object
) -> None:
    """A date (or a time) where a number belongs: what it probably was ("1.5" typed in a
    day.month locale)."""
    day, month = getattr(moment, "day", None), getattr(moment, "month", None)
    if day is None or month is None:
        add("date-in-number", r, c, key, column, variant="time", time=str(moment), **place)
        return
    shown = f"{day:02d}/{month:02d}/{moment.year:04d}"  # type: ignore[attr-defined]
    add("date-in-number", r, c, key, column, variant="date", date=shown, day=day, month=month, **place)
