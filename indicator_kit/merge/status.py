"""Who has sent, who is late, who must resend: the verdicts as terminal lines and as a printable
HTML page (the words are the verdict's own, so they match collect, the master and the mail)."""

from __future__ import annotations

from importlib.resources import files

import jinja2

from indicator_kit.catalog.spec import Spec
from indicator_kit.dates import campaign_date
from indicator_kit.verdict import State, Verdicts

STATUS_HTML = "status.html"


def status_table(verdicts: Verdicts) -> str:
    """One line per agency, then the deadline (said once)."""
    width = max(len(a.name) for a in verdicts.agencies)
    state_width = max(len(s) for s in State)
    lines = [
        f"{'Đơn vị':<{width}}  {'Tình trạng':<{state_width}}  {'Thời hạn':<12}  {'Đã nhập':>11}  "
        f"{'Lỗi':>4}  {'Cảnh báo':>8}  {'Đã giải trình':>13}  Việc cần làm"
    ]
    for a in verdicts.agencies:
        why = f" ({'; '.join(a.reasons)})" if a.reasons and a.state is not State.ACCEPTED else ""
        sender = f" ({a.sender_note})" if a.sender_note else ""
        lines.append(
            f"{a.name:<{width}}  {a.state:<{state_width}}  {a.timing:<12}  {a.answered:>5}/{a.expected:<5}  "
            f"{a.errors:>4}  {a.warnings:>8}  {a.explained:>13}  {a.action}{why}{sender}"
        )
    lines.append(verdicts.deadline_sentence)
    return "\n".join(lines)


def status_html(spec: Spec, verdicts: Verdicts, disagreements: int) -> bytes:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: files("indicator_kit.merge").joinpath(name).read_text("utf-8")
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    html = env.get_template("status.html.j2").render(
        campaign=spec.campaign,
        verdicts=verdicts,
        states=list(State),
        disagreements=disagreements,
        as_of=campaign_date(verdicts.as_of),
        later=[(x.file, campaign_date(x.arrived.date())) for x in verdicts.later],
    )
    return html.encode("utf-8")
