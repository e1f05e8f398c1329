"""docs/findings.md, generated from the registry of finding codes (`findings.CODES`, with the
codes the rule kinds register): `python -m indicator_kit.findings_doc > docs/findings.md`.

Apart from `findings` because the rule kinds import `findings` to register their codes, and the
table must list them too.
"""

from __future__ import annotations

import indicator_kit.rules  # noqa: F401  (the rule kinds register their codes)
from indicator_kit.findings import CODES, FIELDS, FILE_KINDS, IDENTITY_SOURCES, PARTS

SEVERITY_POLICY = [
    "## Severity policy",
    "",
    "Every code's severity follows one rule, so an officer can trust what each level asks of them:",
    "",
    "- **error** — the value cannot be right or cannot be used: it is not merged into the master",
    "  (a rule marked error fails, a count with decimals, text that is not a number, a date where a",
    "  number belongs, a file that cannot be read or identified).",
    "- **warning** — a person must look: the value may be right, but something about it needs a",
    '  human judgement (an ambiguous reading such as "1.234", with the reading chosen in the message;',
    "  a suspected slip; a value outside its plausibility band or far from the reference; two",
    "  agencies disagreeing).",
    "- **info** — something was done or recorded and nobody needs to act: an unambiguous coercion",
    '  ("1.234,5", "1,234.5", "12,5%", "1 234", "(0,8)", "−0,8" with U+2212, "–0,8" with an en',
    "  dash), a no-data marker, a renamed sheet, a unit spelt differently, a duplicate file.",
    "",
    "A false alarm on an honest return is a bug, like a miss. Heuristics therefore judge a value",
    "with what its row is (a share cannot exceed 100; a growth rate may be negative) and with the",
    "row's other years, comparison columns and reference figures, never against a fixed threshold",
    'alone. When the agency explains a row in its "Ghi chú" cell, every warning on that row carries',
    'the explanation ("đã giải trình: …", field `justification`) and is counted apart; an error is',
    "never silenced by a note.",
]


def docs_table() -> str:
    lines = [
        "# Finding codes",
        "",
        "Every problem `indicator-kit collect` reports is one finding with one of these codes.",
        "Generated from `indicator_kit/findings.py` and the rule kinds in `indicator_kit/rules/kinds/`",
        "(`python -m indicator_kit.findings_doc`).",
        "Rule findings also carry the rule id from `workbook_specs/checks.yaml`; a rule's own",
        "severity overrides the default below.",
        "",
        *SEVERITY_POLICY,
        "",
        "| code | severity | meaning | what to do (shown to the agency) |",
        "|---|---|---|---|",
    ]
    for c in CODES.values():
        lines.append(f"| `{c.code}` | {c.severity.value} | {c.meaning} | {c.fix} |")
    lines += [
        "",
        "## Messages",
        "",
        "A finding's message is its code's Vietnamese template (one per variant when the code is",
        "reported for several reasons), filled in from typed fields — `{label}` is text, `{value:n}` a",
        "number written the Vietnamese way (1.234,5), `{row:d}` a whole number, `{size_mb:.0f}` a",
        "rounded one — with its first letter a capital, and followed by the fix above. In the rule",
        "kinds' templates `{column_name}` is the column's name and `{diff}` the left side minus the",
        'right; `{here}` is where in an e-mail or zip the problem is ("thư … › tệp đính kèm …: ").',
        "",
        "| code | variant | message |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{c.code}` | {f'`{variant}`' if variant else '—'} | {_cell(template)} |"
        for c in CODES.values()
        for variant, template in c.templates.items()
    ]
    lines += [
        "",
        'Rules shown live in the templates\' "Kiểm tra" column show a short text there:',
        "",
        "| code | short text in the template |",
        "|---|---|",
    ]
    lines += [f"| `{c.code}` | {c.short} |" for c in CODES.values() if c.short]
    lines += [
        "",
        'Lists inside a message are made of these parts, joined by "; ":',
        "",
        "| part | text |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {_cell(text)} |" for name, text in PARTS.items()]
    lines += [
        "",
        "`{source}` of an identity claim: "
        + ", ".join(f"{name} “{text}”" for name, text in IDENTITY_SOURCES.items())
        + ".",
        "",
        "`{kind_name}`, what a file that is not a spreadsheet is: "
        + ", ".join(f"{name} “{text}”" for name, text in FILE_KINDS.items())
        + ".",
    ]
    lines += [
        "",
        "## Record fields",
        "",
        "`findings.json` is a list of objects and `findings.csv` (UTF-8 with BOM) has one row per",
        "finding, with these fields in this order:",
        "",
    ]
    descriptions = {
        "file": "path of the returned file, relative to the inbox",
        "code": "a code from the table above",
        "message": "Vietnamese: what is wrong and what to do",
        "severity": "`error`, `warning` or `info`",
        "sha256": "SHA-256 of the file's bytes",
        "agency": "agency slug, when identified",
        "sheet": "sheet name in the returned file",
        "cell": "A1 address in the returned file, as the agency sees it",
        "row_key": "catalog key of the row",
        "column": "column id from campaign.yaml (`y2019`, `gd2019_2023_hp`, …)",
        "rule": "rule id from checks.yaml, for rule findings",
        "justification": "a warning's explanation from its row's \"Ghi chú\" cell (else empty)",
    }
    lines += [f"- `{name}` — {descriptions[name]}" for name in FIELDS]
    lines += [
        "",
        "In the CSV, a text field starting with `=`, `+`, `-` or `@` is prefixed with `'` so",
        "that spreadsheet programs do not run it as a formula.",
    ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """A table cell: a template as written, its pipes escaped."""
    return text.replace("|", "\\|")


if __name__ == "__main__":
    print(docs_table(), end="")
