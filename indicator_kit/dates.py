"""Dates as the campaign writes them, and working days for reply dates. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def campaign_date(day: date) -> str:
    """The administrative style of the campaign's own texts ("trước ngày 05/5/2024", "ngày
    26/4/2024"): a day below 10 and the months 1 and 2 take a leading zero (Nghị định 30/2020/NĐ-CP,
    Phụ lục I), the other months do not."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{day.day:02d}/{month}/{day.year}"


def add_working_days(start: date, days: int, holidays: Iterable[date] = ()) -> date:
    """The day `days` working days after `start` (Saturdays, Sundays and `holidays` skipped)."""
    off = set(holidays)
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            left -= 1
    return day
