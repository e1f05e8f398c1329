"""A rerun takes the verdicts of the files an earlier run judged (`collect.recall`): it judges
only what is new, and writes exactly what a run judging everything afresh writes."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from indicator_kit import ledger, secret
from indicator_kit.catalog.loader import load_spec
from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.collect import recall
from indicator_kit.collect import run as collect_run
from indicator_kit.collect.limits import Limits
from indicator_kit.collect.model import NOT_ARCHIVED
from indicator_kit.errors import ExitCode
from indicator_kit.generate import generate
from indicator_kit.mail.sample_mail import eml
from indicator_kit.plan import compile_plan
from indicator_kit.workspace import Workspace
from tests.test_collect import retag
from tests.test_pipeline import collect as collect_into
from tests.test_pipeline import fill, outputs, raising


@pytest.fixture
def judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder where every judgement of a workbook leaves a mark, from any process: what was
    read afresh rather than recalled."""
    marks = tmp_path / "judged"
    marks.mkdir()
    judge = collect_run._judge

    def marking(sub, *args):  # type: ignore[no-untyped-def]
        (marks / sub.file.replace("/", "_")).touch()
        judge(sub, *args)

    monkeypatch.setattr(collect_run, "_judge", marking)
    return marks


def judged_again(marks: Path) -> set[str]:
    found = {p.name for p in marks.iterdir()}
    for p in marks.iterdir():
        p.unlink()
    return found


@pytest.fixture
def inbox(spec: Spec, tmp_path: Path) -> Path:
    """A clean return, one with an error, one whose identity was edited by hand (unverified),
    a scanned PDF and an empty file."""
    generate(compile_plan(spec), tmp_path / "t", ["so_y_te", "so_xay_dung", "so_noi_vu"])
    fill(spec, tmp_path, "so_y_te", "so_y_te.xlsx", "2024-05-02T08:00:00")
    bad = {("kt.do_thi_hoa", "y2019"): "khoảng 40"}
    fill(spec, tmp_path, "so_xay_dung", "so_xay_dung.xlsx", "2024-05-02T09:00:00", bad)
    genuine = fill(spec, tmp_path, "so_noi_vu", "goc.xlsx", "2024-05-02T10:00:00")
    retag(genuine, tmp_path / "inbox" / "so_noi_vu.xlsx", spec.spec_hash, "000000000000")
    genuine.unlink()
    (tmp_path / "inbox" / "scan.xlsx").write_bytes(b"%PDF-1.4\n...")
    (tmp_path / "inbox" / "trong.xlsx").write_bytes(b"")
    return tmp_path


def test_a_rerun_judges_only_what_is_new_and_writes_what_a_fresh_run_writes(
    inbox: Path, judged: Path, workspace: Workspace, spec: Spec
) -> None:
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    assert judged_again(judged) == {
        "so_y_te.xlsx",
        "so_xay_dung.xlsx",
        "so_noi_vu.xlsx",
        "scan.xlsx",
        "trong.xlsx",
    }
    first = outputs(inbox)
    assert (workspace.state_dir / recall.STORE).exists()

    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    assert judged_again(judged) == set()  # every verdict recalled
    assert outputs(inbox) == first

    # a resubmission, and a copy of a known return under another name in a subfolder
    fixed = fill(spec, inbox, "so_xay_dung", "so_xay_dung_lan2.xlsx", "2024-05-03T09:00:00")
    (inbox / "inbox" / "gửi lại").mkdir()
    shutil.copy2(inbox / "inbox" / "so_y_te.xlsx", inbox / "inbox" / "gửi lại" / "so_y_te (1).xlsx")
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    assert judged_again(judged) == {fixed.name}  # the copy's bytes were judged before
    again = outputs(inbox)
    assert again != first
    (workspace.state_dir / recall.STORE).unlink()  # the same run, judging everything afresh
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    assert len(judged_again(judged)) == 6  # (the copy is a twin of so_y_te.xlsx: judged once)
    assert outputs(inbox) == again


def _alone(sub):  # type: ignore[no-untyped-def]
    """A verdict without what depends on the reading itself (its time, memory, archive work)."""
    return dataclasses.replace(sub, seconds=0.0, peak_kb=0, archive=NOT_ARCHIVED)


def test_a_recalled_verdict_is_the_files_own_under_its_name_and_acceptance(
    inbox: Path, judged: Path, spec: Spec, tmp_path: Path
) -> None:
    """Each verdict taken from the store equals the file's own judged alone, for a copy of a
    return with an error too (its findings name the copy); a file the officer now accepts by name
    (`--accept`) is judged again, as its verdict changes."""
    plan = compile_plan(spec)
    folder = inbox / "inbox"
    (folder / "gửi lại").mkdir()
    shutil.copy2(folder / "so_xay_dung.xlsx", folder / "gửi lại" / "bản sao.xlsx")
    fingerprint = recall.fingerprint(spec, Limits())
    assert fingerprint is not None
    judged_alone = collect_run.collect_inbox(folder, plan)
    recall.save(tmp_path, recall.prepared(recall.Recalled(fingerprint), judged_alone, Limits()))
    recalled = recall.load(tmp_path, fingerprint)
    assert recalled is not None and len(recalled.entries) == 5  # the copy's bytes are so_xay_dung's
    accepting = Limits(accepted=frozenset({"so_noi_vu.xlsx"}))
    for limits, read in ((Limits(), set()), (accepting, {"so_noi_vu.xlsx"})):
        judged_again(judged)
        subs = collect_run.collect_inbox(folder, plan, limits=limits, recalled=recalled)
        assert judged_again(judged) == read
        for sub in subs:
            assert _alone(sub) == _alone(collect_run.collect_file(folder / sub.file, folder, plan, limits)), (
                sub.file
            )
    copy = next(s for s in subs if s.file == "gửi lại/bản sao.xlsx")
    assert copy.errors and {f.file for f in copy.findings} == {"gửi lại/bản sao.xlsx"}


def test_the_store_holds_only_for_what_it_was_judged_with(
    spec: Spec, published_spec: Spec, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other reference figures, other reading limits: another fingerprint; the officer's
    acceptances and the per-file time and memory bounds are not part of it. A store signed with
    another office key, or altered by a single byte, is not read at all (nothing is unpickled
    before its signature is checked); an entry that cannot be read is judged afresh."""
    base = recall.fingerprint(spec, Limits())
    assert base is not None and recall.fingerprint(spec, Limits()) == base
    assert recall.fingerprint(published_spec, Limits()) != base
    assert recall.fingerprint(spec, Limits(max_cells=1000)) != base
    assert recall.fingerprint(spec, Limits(accepted=frozenset({"a.xlsx"}))) == base
    assert recall.fingerprint(spec, Limits(seconds_per_file=1.0, memory_per_file_bytes=1)) == base

    plan, folder = compile_plan(spec), inbox / "inbox"
    subs = collect_run.collect_inbox(folder, plan)
    store = recall.prepared(recall.Recalled(base), subs, Limits())
    recall.save(tmp_path, store)
    assert len(recall.load(tmp_path, base).entries) == 5  # type: ignore[union-attr]
    (tmp_path / recall.STORE).write_bytes(store[:-40] + bytes([store[-40] ^ 1]) + store[-39:])
    assert recall.load(tmp_path, base).entries == {}  # type: ignore[union-attr]
    with secret.using(b"another office key" * 2):
        recall.save(tmp_path, recall.prepared(recall.Recalled(base), subs, Limits()))
    assert recall.load(tmp_path, base).entries == {}  # type: ignore[union-attr]

    damaged = recall.Recalled(base, {sub.sha256: (False, b"not a verdict") for sub in subs if sub.sha256})
    recall.save(tmp_path, recall.prepared(damaged, [], Limits(), carried=subs))
    again = collect_run.collect_inbox(folder, plan, recalled=recall.load(tmp_path, base))
    assert [_alone(sub) for sub in again] == [_alone(sub) for sub in subs]


def test_a_damaged_store_or_a_lost_archive_entry_costs_only_time(
    inbox: Path, judged: Path, workspace: Workspace
) -> None:
    """A store that is not one (garbage) is ignored and written again; a file recalled while its
    archive entry has gone gets the entry back from the bytes just read, as a worker would."""
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    first = outputs(inbox)
    store = workspace.state_dir / recall.STORE
    store.write_bytes(b"not a store")
    judged_again(judged)
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    assert len(judged_again(judged)) == 5 and outputs(inbox) == first
    assert store.read_bytes() != b"not a store"  # written again
    entry = next((workspace.state_dir / ledger.ARCHIVE).glob("*.xlsx"))
    kept = entry.read_bytes()
    entry.unlink()
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    assert judged_again(judged) == set() and outputs(inbox) == first
    assert entry.read_bytes() == kept
    result = CliRunner().invoke(main, ["ledger", "check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_a_file_gone_from_the_inbox_is_kept_from_the_archive_without_being_read_again(
    inbox: Path, judged: Path, workspace: Workspace
) -> None:
    """The officer cleans a return out of the inbox: the runs after it keep the file from the
    archive with the verdict the store holds for its bytes, run after run, and write what a run
    reading the archived copy afresh writes."""
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    (inbox / "inbox" / "so_xay_dung.xlsx").unlink()
    judged_again(judged)
    for _ in range(2):
        assert collect_into(inbox)[0] == ExitCode.FINDINGS
        assert judged_again(judged) == set()
        kept = outputs(inbox)
        assert b"so_xay_dung.xlsx" in kept["collect/findings.csv"]
    (workspace.state_dir / recall.STORE).unlink()
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    assert len(judged_again(judged)) == 5  # the four in the inbox, and the archived copy
    assert outputs(inbox) == kept


def test_a_run_that_fails_keeps_the_store_it_found(
    inbox: Path, judged: Path, workspace: Workspace, spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store is replaced only once the run has committed: a run that fails at the end
    leaves the store of the run before, and no temporary file beside it."""
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    store = workspace.state_dir / recall.STORE
    kept = store.read_bytes()
    fill(spec, inbox, "so_xay_dung", "so_xay_dung_lan2.xlsx", "2024-05-03T09:00:00")
    monkeypatch.setattr(ledger, "publish_run", raising(OSError(28, "No space left on device")))
    assert collect_into(inbox)[0] == ExitCode.FAULT
    assert store.read_bytes() == kept
    assert not [p for p in workspace.state_dir.iterdir() if p.name.endswith((".tmp", ".partial"))]


def test_an_email_is_opened_again_and_its_workbook_judged_under_its_envelope(
    inbox: Path, judged: Path, workspace: Workspace
) -> None:
    """A workbook that came in an e-mail carries its envelope (the sender checked against the
    agency, the e-mail named in its findings): its verdict is not kept, so the e-mail is opened
    and its workbook judged on every run, and every run writes the same."""
    folder = inbox / "inbox"
    attached = (folder / "so_xay_dung.xlsx").read_bytes()
    (folder / "so_xay_dung.xlsx").unlink()
    message = eml(
        "Sở Xây dựng <khac@example.vn>",
        "Báo cáo PL2",
        datetime(2024, 5, 2, 2, 0, tzinfo=UTC),
        [("so_xay_dung.xlsx", attached)],
    )
    (folder / "Báo cáo PL2.eml").write_bytes(bytes(message))
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    first = outputs(inbox)
    assert "thư Báo cáo PL2.eml › tệp đính kèm so_xay_dung.xlsx" in judged_again(judged)
    assert collect_into(inbox)[0] == ExitCode.FINDINGS
    assert judged_again(judged) == {"thư Báo cáo PL2.eml › tệp đính kèm so_xay_dung.xlsx"}
    assert outputs(inbox) == first


def test_the_fingerprint_is_the_same_in_every_process() -> None:
    """`repr` of the spec makes the fingerprint: the same in processes with other hash seeds
    (a set in the spec, whose order follows the seed, would silently disable the store)."""
    code = (
        "from indicator_kit.catalog.loader import load_spec; from indicator_kit.collect import recall; "
        "from indicator_kit.collect.limits import Limits; print(recall.fingerprint(load_spec(), Limits()))"
    )
    seen = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        found = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert found.returncode == 0, found.stderr
        seen.add(found.stdout.strip())
    assert seen == {recall.fingerprint(load_spec(), Limits())}
