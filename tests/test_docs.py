"""Every CLI command is documented in the README (a command nobody can find doesn't exist)."""

from __future__ import annotations

import click

from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.plan import Plan
from tests.conftest import ROOT


def command_paths(group: click.Group, prefix: str = "indicator-kit") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        if getattr(command, "hidden", False):
            continue
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, path))
        else:
            paths.append(path)
    return paths


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [p for p in command_paths(main) if f"`{p}" not in readme]
    assert not missing, f"undocumented commands: {missing}"


def test_findings_doc_is_generated_from_the_registry() -> None:
    from indicator_kit.findings_doc import docs_table

    assert (ROOT / "docs" / "findings.md").read_text(encoding="utf-8") == docs_table(), (
        "run: python -m indicator_kit.findings_doc > docs/findings.md"
    )


def test_every_finding_code_has_a_vietnamese_label() -> None:
    import unicodedata

    import indicator_kit.rules  # noqa: F401  (the rule kinds register their codes)
    from indicator_kit.finding_labels import CODE_LABELS
    from indicator_kit.findings import CODES

    assert set(CODE_LABELS) == set(CODES)  # none missing, none left over from a removed code
    assert all(label and unicodedata.is_normalized("NFC", label) for label in CODE_LABELS.values())


def test_readme_commands_use_real_options() -> None:
    """Every `indicator-kit …` in the README names a real command and only its real options."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"`(indicator-kit [^`]+)`", readme)
    assert len(commands) >= 10
    for text in commands:
        words = [w.strip("[]") for w in text.split()[1:]]
        command: click.Command = main
        while isinstance(command, click.Group) and words:
            group_options = {opt for param in command.params for opt in param.opts}
            if words[0] in group_options:  # `indicator-kit --workspace DIR status`
                del words[:2]
            elif words[0] in command.commands:
                command = command.commands[words.pop(0)]
            else:
                break
        assert not isinstance(command, click.Group), text
        known = {opt for param in command.params for opt in param.opts} | {"--help"}
        used = {w.split("=")[0] for w in words if w.startswith("--")}
        assert used <= known, (text, used - known)


def test_the_readme_table_lists_every_option_of_every_command() -> None:
    """The engineers' table in the README names each command once with exactly its options: an
    option added to a command, or one the table names that the command no longer has, fails here."""
    import itertools
    import re

    from indicator_kit.cli_reference import commands

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table: dict[str, set[str]] = {}
    for code in re.findall(r"^\| `(indicator-kit [^`]+)` \|", readme, flags=re.M):
        words = code.split()
        path = " ".join(
            itertools.takewhile(lambda w: w == "indicator-kit" or (w.isalpha() and w.islower()), words)
        )
        table[path] = {w.strip("[]") for w in words if w.lstrip("[").startswith("--")}
    cli = {
        ctx.command_path: {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
        for ctx, command in commands()
        if not isinstance(command, click.Group)
    }
    assert table == cli


def test_cli_reference_is_generated_from_the_commands() -> None:
    from indicator_kit.cli_reference import reference

    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == reference(), (
        "run: python -m indicator_kit.cli_reference > docs/cli.md"
    )


def test_master_format_doc_matches_the_long_csv(spec: Spec, plan: Plan) -> None:
    """docs/master-format.md lists exactly the columns master_long.csv has, in order, and every
    status and value column they can hold."""
    import csv
    import io
    import re

    from indicator_kit.merge.core import CellStatus, merge
    from indicator_kit.merge.outputs import long_csv

    doc = (ROOT / "docs" / "master-format.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `([a-z_0-9]+)` \|", doc, flags=re.M)
    written = long_csv(spec, merge(plan, [])).decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(written)))
    assert documented == header, "update the table in docs/master-format.md"
    status_line = next(line for line in doc.splitlines() if line.startswith("| `status` |"))
    assert set(re.findall(r"`([a-z-]+)`", status_line)) - {"status"} == {s.value for s in CellStatus}
    column_line = next(line for line in doc.splitlines() if line.startswith("| `column` |"))
    years = [c.id for c in spec.campaign.columns if c.is_year]
    others = [c.id for c in spec.campaign.columns if not c.is_year]
    listed = re.findall(r"`([a-z_0-9]+)`", column_line)
    assert listed == ["column", years[0], years[-1], *others], (
        "update the column ids in docs/master-format.md"
    )


def test_spec_format_lists_every_rule_kind_from_the_registry() -> None:
    from indicator_kit.catalog.schemas import kinds_table

    doc = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    assert kinds_table() in doc, "copy indicator_kit.catalog.schemas.kinds_table() into docs/spec-format.md"


def test_spec_format_names_every_field_of_the_schemas() -> None:
    """Every field a spec file may hold is named in docs/spec-format.md (as `field`)."""
    from indicator_kit.catalog import schemas

    doc = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    fields = set(schemas.CATALOG["properties"]["rows"]["items"]["properties"])
    fields |= set(schemas.AGENCIES["properties"]["agencies"]["items"]["properties"])
    campaign = schemas.CAMPAIGN["properties"]["campaign"]["properties"]
    fields |= set(campaign) | set(campaign["columns"]["items"]["properties"])
    checks = schemas.checks_schema()["properties"]
    fields |= (
        set(checks)
        | set(checks["rules"]["items"]["properties"])
        | set(checks["exempt"]["items"]["properties"])
    )
    missing = sorted(f for f in fields if f"`{f}`" not in doc)
    assert not missing, f"fields not described in docs/spec-format.md: {missing}"
