"""Scorecards as resolved for one period: plain, immutable values.

`params.py` reads YAML, picks the values in force on a period's first day and
builds these. Rules and the scorer only ever see these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

RULE_TYPES = (
    "step",
    "proportional",
    "per_unit",
    "deduction",
    "bonus_events",
    "levels",
    "scaled_rating",
    "adjustment",
)

RATER_ROLES = ("self", "superior", "peer")


@dataclass(frozen=True)
class Indicator:
    key: str                      # stable ASCII key, unique across all cards
    name: str                     # Chinese name as the seed writes it
    points: Decimal               # maximum in a 100-point card (0 for bonus-only items)
    rule: dict[str, Any]          # {"type": ..., parameters}; numbers are Decimal
    min_points: Decimal | None = Decimal(0)   # None = no floor
    max_points: Decimal | None = None         # None = no cap (bonus points)
    reference: str = ""
    aliases: tuple[str, ...] = ()
    section: str = ""             # key of the section holding it

    @property
    def rule_type(self) -> str:
        return self.rule["type"]

    @property
    def needs_target(self) -> bool:
        """True when the target comes per person from the targets table."""
        return self.rule_type in ("step", "proportional") and self.rule.get("target") is None

    @property
    def is_rated(self) -> bool:
        return self.rule_type == "levels"


@dataclass(frozen=True)
class Section:
    key: str
    name: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Card:
    key: str                      # e.g. "ka_manager"
    role: str                     # roster role, e.g. "大客户经理"
    department: str
    cadence: str                  # "monthly" | "quarterly"
    total: Decimal
    sections: tuple[Section, ...]
    reference: str = ""
    aliases: tuple[str, ...] = () # other spellings of the role in rosters
    raters: dict[str, Decimal] = field(default_factory=dict)   # default weights, percent
    missing_rater: str = "renormalise"                          # renormalise | zero | error

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for s in self.sections for i in s.indicators)

    def indicator(self, key: str) -> Indicator:
        for i in self.indicators:
            if i.key == key:
                return i
        raise KeyError(key)


@dataclass(frozen=True)
class Event:
    key: str                      # e.g. "late"
    name: str                     # e.g. "迟到"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class GradeBand:
    grade: str
    min_total: Decimal | None     # None for the lowest band


@dataclass(frozen=True)
class Grading:
    bands: tuple[GradeBand, ...]  # highest first
    forced: dict[str, Decimal] = field(default_factory=dict)  # grade -> max percent of a department
    fallback_grade: dict[str, str] = field(default_factory=dict)  # grade -> grade given instead when over cap
