"""Load and validate the spec folder (`workbook_specs/`) into a `Spec`.

Validation is lazy: every problem in every file is collected, then raised together as one
`SpecError`, each with its file, line and a Vietnamese description.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indicator_kit.catalog import schemas
from indicator_kit.catalog.model import (
    Agency,
    Campaign,
    Column,
    Contact,
    Exemption,
    PeriodAggregate,
    Row,
    RowKind,
    ValueType,
)
from indicator_kit.catalog.plausibility import load_plausibility
from indicator_kit.catalog.reference import load_reference
from indicator_kit.catalog.spec import Spec
from indicator_kit.catalog.yamlfile import line_of, read_yaml
from indicator_kit.errors import SpecError, SpecProblem
from indicator_kit.findings import Severity
from indicator_kit.rules.kind import KINDS, Rule, Scope

if TYPE_CHECKING:
    from jsonschema import ValidationError

CATALOG_FILE = "phu_luc_2.yaml"
AGENCIES_FILE = "agencies.yaml"
CAMPAIGN_FILE = "campaign.yaml"
CHECKS_FILE = "checks.yaml"


def default_spec_dir() -> Path:
    """The Phụ lục 2 campaign shipped inside the package (the repository's workbook_specs/,
    installed as `indicator_kit.default_campaign`)."""
    from importlib.resources import files

    return Path(str(files("indicator_kit.default_campaign")))


class _Problems:
    def __init__(self) -> None:
        self.items: list[SpecProblem] = []

    def add(self, file: str, node: Any, key: str | None, problem: str) -> None:
        line = line_of(node, key)
        parts = []
        if line is not None:
            parts.append(f"dòng {line}")
        if key is not None:
            parts.append(f"khóa '{key}'")
        self.items.append(SpecProblem(file, ", ".join(parts), problem))


def _describe(error: ValidationError) -> str:
    v = error.validator
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"thiếu trường bắt buộc '{missing}'"
    if v == "additionalProperties":
        extra = ", ".join(sorted(set(error.instance) - set(error.schema.get("properties", {}))))
        return f"trường không được phép: {extra}"
    if v == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"giá trị '{error.instance}' không hợp lệ; chọn một trong: {allowed}"
    if v == "type":
        names = {
            "string": "chuỗi",
            "integer": "số nguyên",
            "number": "số",
            "array": "danh sách",
            "object": "bảng khóa–giá trị",
            "boolean": "true/false",
        }
        return f"phải là {names.get(str(error.validator_value), error.validator_value)}"
    if v == "pattern":
        return f"'{error.instance}' không đúng dạng (chữ thường không dấu, số, '_' hoặc '-')"
    if v in ("minItems", "minLength"):
        return "không được để trống"
    if v == "oneOf" or v == "const":
        return f"giá trị '{error.instance}' không hợp lệ"
    return error.message


def _child(node: Any, step: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and step < len(node):
        return node[step]
    return None


def _schema_problems(file: str, data: Any, schema: dict[str, Any], problems: _Problems) -> bool:
    import jsonschema  # here: a command whose spec is kept (`kept.load_spec_kept`) never loads it

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        # Walk to the deepest located node so the line is as precise as possible.
        node, key = data, None
        for step in error.absolute_path:
            child = _child(node, step)
            if isinstance(child, dict | list):
                node = child
            else:
                key = str(step)
                break
        problems.add(file, node, key, _describe(error))
    return not errors


def _read(spec_dir: Path, name: str, schema: dict[str, Any], problems: _Problems) -> Any | None:
    try:
        data = read_yaml(spec_dir / name)
    except SpecError as exc:
        problems.items.extend(exc.problems)
        return None
    if data is None:
        problems.add(name, None, None, "tệp rỗng")
        return None
    # Dates are validated as text by the schema; YAML may have parsed them already.
    return data if _schema_problems(name, _dates_as_text(data), schema, problems) else None


def _dates_as_text(data: Any) -> Any:
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, date):
                data[k] = v.isoformat()
            else:
                _dates_as_text(v)
    elif isinstance(data, list):
        for item in data:
            _dates_as_text(item)
    return data


_OOXML_ESCAPE = re.compile(r"_x[0-9a-fA-F]+_")


def _check_escapes(file: str, items: Any, field: str, problems: _Problems) -> None:
    """LibreOffice reads '_xa_' in an .xlsx string as a line break (an OOXML escape), which
    would corrupt a key or slug stored in a template; refuse such identifiers up front."""
    for item in items:
        if _OOXML_ESCAPE.search(item[field]):
            problems.add(
                file,
                item,
                field,
                f"'{item[field]}' chứa chuỗi dạng _x…_ mà Excel/LibreOffice "
                "hiểu là ký tự đặc biệt; hãy đặt tên khác (ví dụ bỏ dấu gạch dưới)",
            )


def _check_nfc(file: str, node: Any, problems: _Problems) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and unicodedata.normalize("NFC", value) != value:
                problems.add(
                    file,
                    node,
                    key,
                    "văn bản chưa ở dạng Unicode NFC; hãy gõ lại bằng bộ gõ Unicode dựng sẵn",
                )
            else:
                _check_nfc(file, value, problems)
    elif isinstance(node, list):
        for item in node:
            _check_nfc(file, item, problems)


def _agencies(data: Any, problems: _Problems) -> list[Agency]:
    agencies: list[Agency] = []
    seen: set[str] = set()
    for item in data["agencies"]:
        if item["slug"] in seen:
            problems.add(AGENCIES_FILE, item, "slug", f"đơn vị '{item['slug']}' khai báo hai lần")
            continue
        seen.add(item["slug"])
        agencies.append(
            Agency(
                slug=item["slug"],
                name=item["name"],
                short_name=item["short_name"],
                aliases=tuple(item.get("aliases", [])),
                email=item.get("email", ""),
                contact_person=item.get("contact_person", ""),
                phone=item.get("phone", ""),
            )
        )
    return agencies


def _campaign(data: Any, problems: _Problems) -> Campaign | None:
    c = data["campaign"]
    areas = {a["id"]: a["name"] for a in c["areas"]}
    columns: list[Column] = []
    for item in c["columns"]:
        if item["area"] not in areas:
            problems.add(CAMPAIGN_FILE, item, "area", f"vùng '{item['area']}' chưa khai báo trong 'areas'")
        if item["first_year"] > item["last_year"]:
            problems.add(CAMPAIGN_FILE, item, "first_year", "năm đầu lớn hơn năm cuối")
        if any(col.id == item["id"] for col in columns):
            problems.add(CAMPAIGN_FILE, item, "id", f"cột '{item['id']}' khai báo hai lần")
        columns.append(Column(**item))
    try:
        issued, deadline = date.fromisoformat(c["issued"]), date.fromisoformat(c["deadline"])
        holidays = tuple(date.fromisoformat(day) for day in c.get("holidays", []))
    except ValueError as exc:
        problems.add(CAMPAIGN_FILE, c, "deadline", f"ngày không hợp lệ: {exc}")
        return None
    return Campaign(
        id=c["id"],
        title=c["title"],
        annex=c["annex"],
        annex_title=c["annex_title"],
        legal_basis=c["legal_basis"],
        issuer=c["issuer"],
        issued=issued,
        deadline=deadline,
        deadline_text=c["deadline_text"],
        template_version=str(c["template_version"]),
        protection_password=c["protection_password"],
        recipient=Contact(**c["recipient"]),
        areas=areas,
        columns=tuple(columns),
        reply_working_days=c.get("reply_working_days", 3),
        holidays=holidays,
    )


def _rows(data: Any, agency_slugs: set[str], problems: _Problems) -> list[Row]:
    f = CATALOG_FILE
    items = data["rows"]
    by_key: dict[str, Any] = {}
    for item in items:
        if item["key"] in by_key:
            problems.add(
                f,
                item,
                "key",
                f"khóa chỉ tiêu '{item['key']}' bị trùng (đã có ở dòng {by_key[item['key']].line})",
            )
        else:
            by_key[item["key"]] = item
    for item in items:
        parent = item.get("parent")
        if parent is not None and parent not in by_key:
            problems.add(f, item, "parent", f"dòng cha '{parent}' không có trong danh mục")
        if item["kind"] == "section" and parent is not None:
            problems.add(f, item, "parent", "dòng mục (section) không có dòng cha")
        if item["kind"] != "section" and parent is None:
            problems.add(f, item, "parent", "thiếu dòng cha (chỉ dòng mục mới không có dòng cha)")
        if item["kind"] == "input":
            if "unit" not in item:
                problems.add(f, item, "unit", f"chỉ tiêu nhập liệu '{item['key']}' thiếu đơn vị tính (ĐVT)")
            if "value_type" not in item:
                problems.add(f, item, "value_type", f"chỉ tiêu nhập liệu '{item['key']}' thiếu kiểu giá trị")
        elif "unit" in item or "value_type" in item:
            problems.add(f, item, "unit", "chỉ dòng nhập liệu (kind: input) mới có ĐVT và kiểu giá trị")
        level = item.get("period_level")
        if level is not None and (
            level not in by_key or by_key[level]["kind"] != "input" or item.get("period") != "average_growth"
        ):
            problems.add(
                f,
                item,
                "period_level",
                f"'period_level: {level}' cần một dòng nhập liệu có trong danh mục, và chỉ dùng với "
                "'period: average_growth'",
            )
        for slug in item.get("agencies", []):
            if slug not in agency_slugs:
                problems.add(f, item, "agencies", f"đơn vị '{slug}' không có trong {AGENCIES_FILE}")
    # Cycles: follow parents; a chain longer than the catalog revisits a row.
    for item in items:
        seen, node = set(), item
        while node is not None and node.get("parent") in by_key:
            if node["key"] in seen:
                problems.add(f, item, "parent", f"vòng lặp dòng cha: {' → '.join(sorted(seen))}")
                break
            seen.add(node["key"])
            node = by_key[node["parent"]]
    if problems.items:
        return []

    def effective(item: Any) -> tuple[str, ...]:
        node = item
        while node is not None:
            if node.get("agencies"):
                return tuple(node["agencies"])
            node = by_key.get(node.get("parent"))
        return ()

    rows = []
    for item in items:
        agencies = effective(item)
        if item["kind"] == "input" and not agencies:
            problems.add(
                f,
                item,
                "agencies",
                f"chỉ tiêu '{item['key']}' không có đơn vị báo cáo (kể cả kế thừa từ dòng cha)",
            )
        rows.append(
            Row(
                key=item["key"],
                tt=item["tt"],
                label=item["label"],
                kind=RowKind(item["kind"]),
                parent=item.get("parent"),
                seed_line=item["seed_line"],
                unit=item.get("unit"),
                value_type=ValueType(item["value_type"]) if "value_type" in item else None,
                period=PeriodAggregate(item.get("period", "none")),
                period_level=item.get("period_level"),
                printed_agencies=tuple(item.get("agencies", [])),
                agencies=agencies,
                italic=item.get("italic", False),
                source_note=item.get("source_note"),
                printed=dict(item.get("printed", {})),
            )
        )
    return rows


def _rules(data: Any, problems: _Problems) -> list[Rule]:
    f = CHECKS_FILE
    rules: list[Rule] = []
    for item in data["rules"]:
        if any(r.id == item["id"] for r in rules):
            problems.add(f, item, "id", f"quy tắc '{item['id']}' khai báo hai lần")
        tolerance = item.get("tolerance", "rounding")
        rules.append(
            Rule(
                id=item["id"],
                operands=KINDS[item["kind"]].from_yaml(item),
                severity=Severity(item["severity"]),
                scope=Scope(item.get("scope", Scope.WORKBOOK)),
                tolerance=None if tolerance == "rounding" else float(tolerance),
                note=item.get("note"),
            )
        )
    return rules


def _exemptions(data: Any, row_keys: set[str], problems: _Problems) -> tuple[Exemption, ...]:
    found = []
    for item in data.get("exempt", []):
        if item["row"] not in row_keys:
            problems.add(CHECKS_FILE, item, "row", f"chỉ tiêu '{item['row']}' không có trong danh mục")
        found.append(Exemption(item["row"], item["reason"]))
    return tuple(found)


def _check_rule_operands(rules: Iterable[Rule], spec: Spec, problems: _Problems, data: Any) -> None:
    """Every key a rule reads is an input row of the catalog; what else its kind requires."""
    for rule, item in zip(rules, data["rules"], strict=True):
        for key in rule.row_keys():
            if key not in spec.row_by_key:
                problems.add(
                    CHECKS_FILE,
                    item,
                    None,
                    f"quy tắc '{rule.id}' dùng chỉ tiêu '{key}' không có trong danh mục",
                )
            elif not spec.row_by_key[key].is_input:
                problems.add(
                    CHECKS_FILE, item, None, f"quy tắc '{rule.id}' dùng '{key}' không phải dòng nhập liệu"
                )
        for name, problem in rule.operands.problems(spec):
            problems.add(CHECKS_FILE, item, name, problem)


def load_spec(spec_dir: Path | str | None = None) -> Spec:
    """Read and validate every spec file (default: the campaign shipped with the package); raise
    SpecError listing all problems found."""
    spec_dir = Path(spec_dir) if spec_dir is not None else default_spec_dir()
    problems = _Problems()
    raw = {
        name: _read(spec_dir, name, schema, problems)
        for name, schema in [
            (AGENCIES_FILE, schemas.AGENCIES),
            (CAMPAIGN_FILE, schemas.CAMPAIGN),
            (CATALOG_FILE, schemas.CATALOG),
            (CHECKS_FILE, schemas.checks_schema()),
        ]
    }
    for name, data in raw.items():
        if data is not None:
            _check_nfc(name, data, problems)
    if problems.items or any(v is None for v in raw.values()):
        raise SpecError(problems.items)

    _check_escapes(AGENCIES_FILE, raw[AGENCIES_FILE]["agencies"], "slug", problems)
    _check_escapes(CATALOG_FILE, raw[CATALOG_FILE]["rows"], "key", problems)
    agencies = _agencies(raw[AGENCIES_FILE], problems)
    campaign = _campaign(raw[CAMPAIGN_FILE], problems)
    rows = _rows(raw[CATALOG_FILE], {a.slug for a in agencies}, problems)
    rules = _rules(raw[CHECKS_FILE], problems)
    exemptions = _exemptions(raw[CHECKS_FILE], {r.key for r in rows}, problems)
    if not problems.items and campaign is not None:
        catalog = Spec(rows=tuple(rows), agencies=tuple(agencies), campaign=campaign, rules=tuple(rules))
        _check_rule_operands(rules, catalog, problems, raw[CHECKS_FILE])
        used = {slug for r in rows if r.is_input for slug in r.agencies}
        for agency, item in zip(agencies, raw[AGENCIES_FILE]["agencies"], strict=False):
            if agency.slug not in used:
                problems.add(
                    AGENCIES_FILE,
                    item,
                    "slug",
                    f"đơn vị '{agency.slug}' không được giao chỉ tiêu nào trong danh mục",
                )
    if problems.items or campaign is None:
        raise SpecError(problems.items)
    return Spec(
        rows=tuple(rows),
        agencies=tuple(agencies),
        campaign=campaign,
        rules=tuple(rules),
        exemptions=exemptions,
        plausibility=load_plausibility(spec_dir, {r.key: r for r in rows}),
        reference=load_reference(spec_dir, campaign, rows),
    )
