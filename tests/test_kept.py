"""The loaded spec kept in the state folder (`kept.load_spec_kept`): taken while neither the
spec's files nor the code changed, never when anything did, never when not signed by this office."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from indicator_kit import kept
from indicator_kit.catalog.loader import load_spec
from indicator_kit.errors import SpecError
from indicator_kit.workspace import Workspace


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every spec folder actually read (parsed and checked) rather than taken as kept."""
    read: list[Path] = []

    def reading(spec_dir: Path) -> object:
        read.append(spec_dir)
        return load_spec(spec_dir)

    monkeypatch.setattr(kept, "load_spec", reading)
    return read


def test_the_spec_is_taken_while_its_files_are_unchanged(workspace: Workspace, loads: list[Path]) -> None:
    spec_dir, state = workspace.spec_dir, workspace.state_dir
    first = kept.load_spec_kept(spec_dir, state)
    again = kept.load_spec_kept(spec_dir, state)
    assert loads == [spec_dir] and repr(again) == repr(first) == repr(load_spec(spec_dir))
    # an edit anywhere in the spec folder (here a reference figure's file) is read afresh
    reference = next((spec_dir / "reference").glob("*.csv"))
    reference.write_text(reference.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    kept.load_spec_kept(spec_dir, state)
    assert loads == [spec_dir, spec_dir]
    agencies = spec_dir / "agencies.yaml"
    text = agencies.read_text(encoding="utf-8")
    assert "Sở Y tế" in text
    agencies.write_text(text.replace("Sở Y tế", "Sở Y tế thành phố", 1), encoding="utf-8")
    assert "Sở Y tế thành phố" in repr(kept.load_spec_kept(spec_dir, state))
    agencies.write_text(text.replace("agencies:", "agencies: [", 1), encoding="utf-8")
    with pytest.raises(SpecError):  # a broken spec is said so, whatever was kept before
        kept.load_spec_kept(spec_dir, state)


def test_a_kept_spec_not_signed_by_this_office_is_not_taken(workspace: Workspace, loads: list[Path]) -> None:
    spec_dir, state = workspace.spec_dir, workspace.state_dir
    kept.load_spec_kept(spec_dir, state)
    stored = state / kept.SPEC
    data = stored.read_bytes()
    at = len(b"indicator-kit catalog 1\n")  # the first byte of the signature: the catalog intact
    stored.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    kept.load_spec_kept(spec_dir, state)
    assert loads == [spec_dir, spec_dir]
    assert kept.read_signed(stored, b"indicator-kit catalog 1\n") is not None  # written again, whole


def test_a_command_with_its_spec_kept_never_loads_the_schema_checker(workspace: Workspace) -> None:
    """What the kept spec saves: YAML, the JSON schema checks and jsonschema's import."""
    code = textwrap.dedent(
        """
        import atexit, sys
        atexit.register(lambda: print("jsonschema" in sys.modules))
        from indicator_kit.cli import run
        sys.argv = ["indicator-kit", "status"]
        run()
        """
    )
    seen = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=workspace.root, capture_output=True, text=True
        ).stdout
        for _ in range(2)
    ]
    assert seen[0].strip().endswith("True") and seen[1].strip().endswith("False"), seen


def test_what_cannot_be_kept_costs_nothing_but_time(workspace: Workspace, tmp_path: Path) -> None:
    """A state folder where nothing can be written (here a file stands where it should be): the
    spec is loaded all the same, and the next load reads it afresh."""
    blocked = tmp_path / "state"
    blocked.write_text("not a folder")
    spec = kept.load_spec_kept(workspace.spec_dir, blocked)
    assert repr(spec) == repr(load_spec(workspace.spec_dir)) and blocked.read_text() == "not a folder"
