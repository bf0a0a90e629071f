"""Periods: a month `2026-07`, a quarter `2026Q3`, a half `2026H2`, a year `2026`.

A period is a small immutable value (unit, start month, size in months).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import PeriodError

UNITS = {"month": 1, "quarter": 3, "half": 6, "year": 12}

_PATTERNS = [
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})[Qq]([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})[Hh]([12])$"), "half"),
    (re.compile(r"^(\d{4})$"), "year"),
    # Chinese spellings finance writes by hand
    (re.compile(r"^(\d{4})年(\d{1,2})月$"), "month"),
    (re.compile(r"^(\d{4})年第?([1-4一二三四])季度?$"), "quarter"),
    (re.compile(r"^(\d{4})年?$"), "year"),
]
_CN_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4"}

HELP = "write a month as 2026-07, a quarter as 2026Q3, a half as 2026H2, a year as 2026"


@dataclass(frozen=True, order=True)
class Period:
    year: int
    first_month: int      # 1..12
    unit: str             # month | quarter | half | year

    # construction -------------------------------------------------------
    @classmethod
    def parse(cls, label) -> "Period":
        if isinstance(label, Period):
            return label
        if isinstance(label, date):
            return cls(label.year, label.month, "month")
        text = str(label).strip()
        if re.fullmatch(r"\d{4}\.0", text):          # a year typed into Excel comes back as 2026.0
            text = text[:4]
        for pattern, unit in _PATTERNS:
            m = pattern.match(text)
            if not m:
                continue
            year = int(m.group(1))
            if unit == "year":
                return cls(year, 1, "year")
            n = int(_CN_DIGITS.get(m.group(2), m.group(2)))
            if unit == "month":
                if not 1 <= n <= 12:
                    raise PeriodError(f"period {label!r}: month {n} is not 1..12; {HELP}")
                return cls(year, n, "month")
            return cls(year, (n - 1) * UNITS[unit] + 1, unit)
        raise PeriodError(f"period {label!r} is not a period label; {HELP}")

    @classmethod
    def of_month(cls, year: int, month: int) -> "Period":
        return cls(year, month, "month")

    # properties -----------------------------------------------------------
    @property
    def size(self) -> int:
        return UNITS[self.unit]

    @property
    def label(self) -> str:
        if self.unit == "month":
            return f"{self.year}-{self.first_month:02d}"
        if self.unit == "quarter":
            return f"{self.year}Q{(self.first_month - 1) // 3 + 1}"
        if self.unit == "half":
            return f"{self.year}H{(self.first_month - 1) // 6 + 1}"
        return f"{self.year}"

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        last = self.first_month + self.size - 1
        nxt = date(self.year + (last // 12), last % 12 + 1, 1)
        return nxt - timedelta(days=1)

    # arithmetic -------------------------------------------------------------
    def months(self) -> list["Period"]:
        return [Period(self.year, m, "month") for m in range(self.first_month, self.first_month + self.size)]

    def quarters(self) -> list["Period"]:
        if self.unit == "month":
            raise PeriodError(f"{self} is a month; it holds no quarters")
        return [Period(self.year, m, "quarter") for m in range(self.first_month, self.first_month + self.size, 3)]

    @property
    def quarter(self) -> "Period":
        return Period(self.year, (self.first_month - 1) // 3 * 3 + 1, "quarter")

    @property
    def year_period(self) -> "Period":
        return Period(self.year, 1, "year")

    def contains(self, other: "Period | date") -> bool:
        if isinstance(other, Period):
            return self.start <= other.start and other.end <= self.end
        return self.start <= other <= self.end

    def next(self) -> "Period":
        m = self.first_month - 1 + self.size
        return Period(self.year + m // 12, m % 12 + 1, self.unit)

    def previous(self) -> "Period":
        m = self.first_month - 1 - self.size
        return Period(self.year + m // 12, m % 12 + 1, self.unit)


def parse_period(label) -> Period:
    return Period.parse(label)
