"""BE dates, Thai months and digits, in Asia/Bangkok: the filters documents print with."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jinja2 import Environment

from forms.filters import be_date, be_datetime, be_time, install, thai_digits, thai_month


def test_thai_digits_and_months() -> None:
    assert thai_digits("17/05/2569 10:30") == "๑๗/๐๕/๒๕๖๙ ๑๐:๓๐"
    assert [thai_month(m) for m in (1, 5, 12)] == ["มกราคม", "พฤษภาคม", "ธันวาคม"]


def test_be_date_of_a_day_in_thai_or_arabic_digits() -> None:
    assert be_date(date(2026, 5, 17)) == "๑๗ พฤษภาคม ๒๕๖๙"
    assert be_date("2026-05-17", "arabic") == "17 พฤษภาคม 2569"
    assert be_date(None) == be_date("") == ""


@pytest.mark.parametrize(
    ("instant", "thai"),
    [
        # 16:59 UTC is 23:59 in Bangkok: still the old year.
        (datetime(2026, 12, 31, 16, 59, tzinfo=UTC), "31 ธันวาคม 2569"),
        # 17:00 UTC is midnight in Bangkok: the next Thai day, here the next BE year.
        (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), "1 มกราคม 2570"),
        ("2026-05-16T17:00:00+00:00", "17 พฤษภาคม 2569"),
        ("2026-05-17T06:59:00+07:00", "17 พฤษภาคม 2569"),
    ],
)
def test_be_date_takes_the_day_in_bangkok(instant: datetime | str, thai: str) -> None:
    assert be_date(instant, "arabic") == thai


def test_be_datetime_and_time_as_official_documents_write_them() -> None:
    instant = datetime(2026, 5, 17, 9, 30, tzinfo=UTC)
    assert be_time(instant) == "๑๖.๓๐ น."
    assert be_datetime(instant) == "๑๗ พฤษภาคม ๒๕๖๙ เวลา ๑๖.๓๐ น."
    assert be_datetime("2026-01-01T00:05:00+07:00", "arabic") == "1 มกราคม 2569 เวลา 00.05 น."


def test_a_naive_instant_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="no timezone offset"):
        be_datetime(datetime(2026, 5, 17, 9, 30))


def test_filters_installed_in_jinja() -> None:
    env = install(Environment(autoescape=True))
    page = env.from_string(
        "{{ d | be_date }} / {{ d | be_date('arabic') }} / {{ 42 | thai_digits }}"
    )
    assert page.render(d="2026-05-17") == "๑๗ พฤษภาคม ๒๕๖๙ / 17 พฤษภาคม 2569 / ๔๒"
