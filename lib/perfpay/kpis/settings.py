"""The defaults of SPEC 8 as one frozen value; params/kpis.yaml `service:` overrides them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal

from ..errors import ParamsError

# spellings of the complaint cause "slow response" (compared without spaces, `_`, `-` and case)
SLOW_RESPONSE = ("slow_response", "slow response", "响应慢", "响应不及时", "响应速度慢", "回复慢",
                 "处理不及时", "反应慢")


@dataclass(frozen=True)
class ServiceSettings:
    repeat_window_days: Decimal = Decimal(7)        # a repeat within 7 × 24 h (inclusive) is a repeat
    satisfied_from: Decimal = Decimal(4)            # a score of 4 or 5 (of 5) is satisfied
    followups_per_person_month: int = 200           # 回访完成率: per person-month, prorated by attendance
    complaint_sla_hours: Decimal = Decimal(48)      # resolved within 48 h (inclusive)
    feedback_sla_hours: Decimal = Decimal(24)       # answered within 24 h; a row's own sla_hours wins
    handoff_sla_hours: Decimal = Decimal(24)        # passed on within 24 h; a row's own sla_hours wins
    qa_samples_per_week: int = 1                    # 电话抽查: fewer in a week is flagged
    slow_response_causes: tuple[str, ...] = SLOW_RESPONSE

    @classmethod
    def from_mapping(cls, values: dict | None) -> "ServiceSettings":
        """Settings from a mapping such as params/kpis.yaml `service:` (values already undated)."""
        values = dict(values or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ParamsError([f"kpis.yaml service: unknown setting(s) {', '.join(unknown)}; "
                               f"known: {', '.join(known)}"])
        out, problems = {}, []
        for name, value in values.items():
            default = getattr(cls, name)
            try:
                if isinstance(default, tuple):
                    out[name] = tuple(str(v) for v in ([value] if isinstance(value, str) else value))
                elif isinstance(default, int):
                    out[name] = _whole(value)
                else:
                    out[name] = Decimal(str(value))
                    if not out[name].is_finite() or out[name] < 0:
                        raise ValueError
            except (ValueError, TypeError, ArithmeticError):
                problems.append(f"kpis.yaml service.{name}: {value!r} is not a "
                                f"{'list of texts' if isinstance(default, tuple) else 'number of 0 or more'}")
        if problems:
            raise ParamsError(problems)
        return replace(cls(), **out)

    @property
    def repeat_window_ns(self) -> int:
        return _ns(self.repeat_window_days * 24)

    def sla_ns(self, hours) -> int:
        return _ns(Decimal(hours))


def _whole(value) -> int:
    d = Decimal(str(value))
    if d != d.to_integral_value() or d < 0:
        raise ValueError(value)
    return int(d)


def _ns(hours: Decimal) -> int:
    """Hours as whole nanoseconds (exact for up to 6 decimals of an hour)."""
    return int(Decimal(hours) * 3_600_000_000_000)
