"""Period labels and arithmetic (SPEC 2)."""

from datetime import date

import pytest

from perfpay.errors import PeriodError
from perfpay.periods import Period


@pytest.mark.parametrize("label, unit, start, end", [
    ("2026-07", "month", date(2026, 7, 1), date(2026, 7, 31)),
    ("2026-02", "month", date(2026, 2, 1), date(2026, 2, 28)),
    ("2028-02", "month", date(2028, 2, 1), date(2028, 2, 29)),
    ("2026Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30)),
    ("2026q4", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026H2", "half", date(2026, 7, 1), date(2026, 12, 31)),
    ("2026", "year", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026年7月", "month", date(2026, 7, 1), date(2026, 7, 31)),
    ("2026年第三季度", "quarter", date(2026, 7, 1), date(2026, 9, 30)),
])
def test_parse(label, unit, start, end):
    p = Period.parse(label)
    assert (p.unit, p.start, p.end) == (unit, start, end)
    assert Period.parse(p.label) == p


@pytest.mark.parametrize("label", ["2026-13", "2026-00", "2026Q5", "2026H3", "26Q1", "July 2026", ""])
def test_bad_labels_say_how_to_write_one(label):
    with pytest.raises(PeriodError, match="2026Q3"):
        Period.parse(label)


def test_months_quarters_and_neighbours():
    q = Period.parse("2026Q3")
    assert [m.label for m in q.months()] == ["2026-07", "2026-08", "2026-09"]
    assert [x.label for x in Period.parse("2026").quarters()] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert [x.label for x in Period.parse("2026H2").quarters()] == ["2026Q3", "2026Q4"]
    assert Period.parse("2026-08").quarter.label == "2026Q3"
    assert Period.parse("2026Q4").next().label == "2027Q1"
    assert Period.parse("2026Q1").previous().label == "2025Q4"
    assert Period.parse("2026-12").next().label == "2027-01"
    assert q.contains(Period.parse("2026-09")) and not q.contains(Period.parse("2026-10"))
    assert q.contains(date(2026, 9, 30)) and not q.contains(date(2026, 10, 1))
    with pytest.raises(PeriodError):
        Period.parse("2026-07").quarters()
