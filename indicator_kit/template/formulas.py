"""Render checks as Excel formulas for the template's live "Kiểm tra" column.

The formula text is the English/US form that xlsx files store; Excel, LibreOffice and WPS
show it in the user's own language.
"""

from __future__ import annotations

from collections.abc import Callable

from xlsxwriter.utility import xl_rowcol_to_cell

from indicator_kit.errors import SpecError
from indicator_kit.rules import (
    Abs,
    Add,
    Check,
    Div,
    Expr,
    HalfUnit,
    Max,
    Mul,
    Num,
    Ref,
    Relation,
    Sub,
    column_name,
)

OK = "OK"
EXCEL_FORMULA_LIMIT = 8192


def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(value)


def render(expr: Expr, address: Callable[[Ref], str]) -> str:
    match expr:
        case Ref():
            return address(expr)
        case Num(value):
            return _number(value)
        case Add(args):
            return "(" + "+".join(render(a, address) for a in args) + ")"
        case Sub(a, b):
            return f"({render(a, address)}-{render(b, address)})"
        case Mul(a, b):
            return f"({render(a, address)}*{render(b, address)})"
        case Div(a, b):
            return f"({render(a, address)}/{render(b, address)})"
        case Abs(a):
            return f"ABS({render(a, address)})"
        case Max(args):
            return "MAX(" + ",".join(render(a, address) for a in args) + ")"
        case HalfUnit(ref):
            # Decimals typed = length of the number minus length of its integer part, minus the
            # separator; same result in every locale since only lengths are compared.
            cell = address(ref)
            return f"(0.5/10^MAX(0,LEN(ABS({cell}))-LEN(TRUNC(ABS({cell})))-1))"
    raise TypeError(expr)


def failure_condition(check: Check, address: Callable[[Ref], str]) -> str:
    lhs, rhs = render(check.lhs, address), render(check.rhs, address)
    tol = f"({render(check.tol, address)}+1E-9*MAX(1,ABS({lhs}),ABS({rhs})))"
    if check.relation is Relation.EQ:
        fails = f"ABS({lhs}-{rhs})>{tol}"
    elif check.relation is Relation.LE:
        fails = f"{lhs}>{rhs}+{tol}"
    else:
        fails = f"{lhs}<{rhs}-{tol}"
    cells = ",".join(address(r) for r in check.operands)
    return f"AND(COUNT({cells})={len(check.operands)},{fails})"


def short_message(check: Check) -> str:
    return f"{check.code.short} (cột {column_name(check.column)})"


def check_formula(checks: list[Check], address: Callable[[Ref], str]) -> str:
    """'OK', or the short reason of the first failing check. Text or blanks skip a check;
    an error inside one (a zero divisor) skips it too."""
    formula = f'"{OK}"'
    for check in reversed(checks):
        text = short_message(check).replace('"', '""')
        formula = f'IF(IFERROR({failure_condition(check, address)},FALSE),"{text}",{formula})'
    formula = "=" + formula
    if len(formula) > EXCEL_FORMULA_LIMIT:  # made by checks.yaml: a problem of the spec, not a crash
        rules = ", ".join(dict.fromkeys(c.rule.id for c in checks))
        raise SpecError.single(
            "checks.yaml",
            f"quy tắc {rules}",
            f"các quy tắc này tạo công thức Kiểm tra dài {len(formula)} ký tự ở dòng '{checks[0].anchor}' "
            f"(Excel cho tối đa {EXCEL_FORMULA_LIMIT}); hãy tách thành nhiều quy tắc ít thành phần hơn "
            "hoặc bớt quy tắc trên dòng này",
        )
    return formula


def cell_address(row_of: dict[str, int], col: dict[str, int]) -> Callable[[Ref], str]:
    def address(ref: Ref) -> str:
        return xl_rowcol_to_cell(row_of[ref.key], col[ref.column])

    return address
