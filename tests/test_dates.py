"""Dates as the campaign writes them, and reply dates in working days."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner

from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.dates import add_working_days, campaign_date
from indicator_kit.workspace import Workspace


def test_the_campaigns_own_style(spec: Spec) -> None:
    assert campaign_date(date(2024, 5, 5)) == "05/5/2024"
    assert campaign_date(date(2024, 4, 26)) == "26/4/2024"
    assert campaign_date(date(2024, 2, 3)) == "03/02/2024"  # January and February keep the zero
    assert campaign_date(date(2024, 12, 25)) == "25/12/2024"
    # the style the campaign itself uses for its deadline and its legal basis
    assert campaign_date(spec.campaign.deadline) in spec.campaign.deadline_text
    assert campaign_date(spec.campaign.issued) in spec.campaign.legal_basis


def test_working_days_skip_weekends_and_holidays() -> None:
    friday = date(2024, 4, 26)
    assert add_working_days(friday, 1) == date(2024, 4, 29)  # Monday
    holidays = [date(2024, 4, 29), date(2024, 4, 30), date(2024, 5, 1)]
    assert add_working_days(friday, 3, holidays) == date(2024, 5, 6)  # Thu 2, Fri 3, Mon 6
    assert add_working_days(date(2024, 5, 7), 3) == date(2024, 5, 10)


def test_a_reply_date_before_the_letter_is_refused(workspace: Workspace) -> None:
    """In the test's own (empty) workspace."""
    result = CliRunner().invoke(
        main,
        ["mail", "reminders", "--as-of", "2024-05-07", "--reply-by", "2024-05-06"],
        catch_exceptions=False,
    )
    assert result.exit_code == 2 and "phải sau ngày viết thư 07/5/2024" in result.output
