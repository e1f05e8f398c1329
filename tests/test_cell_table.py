"""The compact cell table: what a return's cells read as, across processes and between files."""

from __future__ import annotations

import math
import pickle

import pytest

from indicator_kit.collect.model import CellTable, CellTableBuilder
from indicator_kit.collect.numbers import Status

COLUMNS = ("y2018", "y2019")
SHEET_ROWS = {"a": 12, "b": 13, "c": 15}
SHEET_COLS = {"y2018": 3, "y2019": 4}

Cell = tuple[Status, float | None, str | None, bool]
PLAIN: dict[str, list[Cell]] = {
    "a": [(Status.NUMBER, 1.5, None, True), (Status.NUMBER, 2.0, None, True)],
    "b": [(Status.BLANK, None, None, True), (Status.NO_DATA, None, "x", True)],
    "c": [(Status.INVALID, None, "khoảng 5", False), (Status.NUMBER, 7.0, "7%", False)],
}


def table(rows: dict[str, list[Cell]]) -> CellTable:
    builder = CellTableBuilder(COLUMNS)
    for key, cells in rows.items():
        if all(status is Status.NUMBER and text is None and usable for status, _, text, usable in cells):
            builder.add_numbers(key, [value for _, value, _, _ in cells])  # type: ignore[misc]
            continue
        builder.start_row(key)
        for cell in cells:
            builder.add(*cell)
    return builder.build(SHEET_ROWS, SHEET_COLS)


def test_reads_like_a_dict_of_cells() -> None:
    cells = table(PLAIN)
    assert len(cells) == 6 and list(cells)[:3] == [("a", "y2018"), ("a", "y2019"), ("b", "y2018")]
    assert ("c", "y2019") in cells and ("d", "y2019") not in cells and ("a", "y2020") not in cells
    a = cells[("a", "y2019")]
    assert (a.cell, a.status, a.value, a.text, a.usable) == ("E13", Status.NUMBER, 2.0, None, True)
    c = cells[("c", "y2019")]
    assert (c.cell, c.value, c.text, c.usable) == ("E16", 7.0, "7%", False)
    assert cells[("b", "y2019")].text == "x" and cells[("b", "y2018")].value is None
    with pytest.raises(KeyError):
        cells[("d", "y2018")]
    assert cells.count(Status.NUMBER, Status.NO_DATA) == 4


def test_rules_see_only_usable_numbers() -> None:
    cells = table(PLAIN)
    assert cells.number(("a", "y2018")) == 1.5
    assert cells.number(("b", "y2019")) is None  # no data
    assert cells.number(("c", "y2019")) is None  # a number with an error finding
    numbers = cells.numbers_array
    assert [numbers[cells.position(k)] for k in [("a", "y2019")]] == [2.0]  # type: ignore[index]
    assert sum(math.isnan(v) for v in numbers) == 4


def test_survives_the_process_boundary_sharing_its_shape() -> None:
    cells = table(PLAIN)
    copy = pickle.loads(pickle.dumps(cells))
    assert dict(copy) == dict(cells)
    assert copy.shape[0] is cells.shape[0]  # row keys shared, not duplicated per file
    assert list(copy.numbers_array) == pytest.approx(list(cells.numbers_array), nan_ok=True)


def test_changed_keys_between_resubmissions() -> None:
    before = table(PLAIN)
    edited = {key: list(cells) for key, cells in PLAIN.items()}
    edited["a"][1] = (Status.NUMBER, 2.5, None, True)  # a value
    edited["b"][0] = (Status.NO_DATA, None, None, True)  # blank → no data: both hold NaN
    edited["c"][0] = (Status.INVALID, None, "khoảng 6", False)  # the typed text
    assert before.changed_keys(table(edited)) == [("a", "y2019"), ("b", "y2018"), ("c", "y2018")]
    assert before.changed_keys(table(PLAIN)) == []
    shorter = table({"a": PLAIN["a"], "c": PLAIN["c"]})  # a row deleted: every key is compared
    assert before.changed_keys(shorter) == sorted(set(before) | set(shorter))
