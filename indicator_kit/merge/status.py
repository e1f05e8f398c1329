"""Who has sent, who is late, who must resend: as terminal lines and as a printable HTML page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib.resources import files

import jinja2

from indicator_kit.catalog.model import Spec
from indicator_kit.merge.core import Master

STATUS_HTML = "status.html"


@dataclass(frozen=True)
class StatusLine:
    agency: str
    name: str
    received: str
    timing: str
    answered: int
    expected: int
    errors: int
    warnings: int
    explained: int
    action: str
    file: str


def deadline_sentence(spec: Spec, as_of: date) -> str:
    deadline = spec.campaign.deadline
    days = (deadline - as_of).days
    when = deadline.strftime("%d/%m/%Y")
    if days > 0:
        return (
            f"Ngày {as_of:%d/%m/%Y}: còn {days} ngày đến hạn nộp ({spec.campaign.deadline_text}, hạn {when})."
        )
    if days == 0:
        return f"Ngày {as_of:%d/%m/%Y}: hôm nay là ngày hạn nộp ({when})."
    return f"Ngày {as_of:%d/%m/%Y}: đã quá hạn nộp {-days} ngày (hạn {when})."


def status_lines(spec: Spec, master: Master, as_of: date) -> list[StatusLine]:
    lines = []
    for s in master.statuses:
        if not s.received:
            timing = "quá hạn" if as_of >= spec.campaign.deadline else "chưa đến hạn"
        else:
            timing = "đúng hạn" if s.on_time else "muộn"
        lines.append(
            StatusLine(
                s.agency,
                spec.agency_by_slug[s.agency].short_name,
                "đã nộp" if s.received else "chưa nộp",
                timing,
                s.answered,
                s.expected,
                s.errors,
                s.warnings,
                s.explained,
                s.action,
                s.current.file if s.current else "",
            )
        )
    return lines


def all_done(master: Master) -> bool:
    return all(s.action == "đã đạt" for s in master.statuses)


def status_html(spec: Spec, master: Master, as_of: date) -> bytes:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: files("indicator_kit.merge").joinpath(name).read_text("utf-8")
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    lines = status_lines(spec, master, as_of)
    counts = {
        action: sum(1 for x in lines if x.action == action) for action in ("chưa nộp", "cần sửa", "đã đạt")
    }
    html = env.get_template("status.html.j2").render(
        campaign=spec.campaign,
        sentence=deadline_sentence(spec, as_of),
        lines=lines,
        counts=counts,
        disagreements=len(master.disagreements),
        as_of=as_of,
    )
    return html.encode("utf-8")
