"""A per-person scorer in plain Decimal arithmetic: SPEC 3.1 read one person at a time.

    totals = score_people(params, inputs, "2026-07")      # {(unit, employee_id): (total, grade)}

It is what the vectorised scorer replaces, kept here as the yardstick of the scoring bench
and as a second reading of the rules: the bench checks that both give the same totals.
It knows every rule type of the cards in params/ and nothing of notes or explanations.
Points are rounded half up to 0.01 where a rule yields a fraction (docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

from perfpay.periods import Period

HUNDREDTH = Decimal("0.01")
ROLES = ("self", "superior", "peer")


def half_up(x: Decimal) -> Decimal:
    return x.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass
class Facts:
    """Everything recorded for one person in one month or quarter."""
    actual: dict = field(default_factory=dict)       # indicator -> Decimal
    target: dict = field(default_factory=dict)       # indicator -> Decimal
    ratings: dict = field(default_factory=dict)      # indicator -> role -> [(level, score)]
    adjust: dict = field(default_factory=dict)       # indicator -> [Decimal]


def gather(inputs, people: set) -> tuple[dict, dict]:
    """(facts by (period label, person), event counts by (month label, person, event)), row by row."""
    facts: dict = {}

    def of(period, eid) -> Facts:
        key = (period, eid)
        if key not in facts:
            facts[key] = Facts()
        return facts[key]

    for r in inputs.actuals.itertuples(index=False):
        if r.employee_id in people:
            of(r.period, r.employee_id).actual[r.indicator] = r.actual
    for r in inputs.targets.itertuples(index=False):
        if r.employee_id in people:
            of(r.period, r.employee_id).target[r.indicator] = r.target
    for r in inputs.ratings.itertuples(index=False):
        if r.employee_id in people:
            roles = of(r.period, r.employee_id).ratings.setdefault(r.indicator, {})
            roles.setdefault(r.rater_role, []).append((r.level, r.score))
    for r in inputs.adjustments.itertuples(index=False):
        if r.employee_id in people:
            of(r.period, r.employee_id).adjust.setdefault(r.indicator, []).append(r.points)
    events: dict = {}
    for r in inputs.events.itertuples(index=False):
        if r.employee_id in people:
            key = (r.period, r.employee_id, r.event)
            events[key] = events.get(key, 0) + int(r.count)
    return facts, events


# the rule types -------------------------------------------------------------------------------
def step(ind, f: Facts, counts) -> Decimal:
    r = ind.rule
    a = f.actual.get(ind.key)
    t = r["target"] if r.get("target") is not None else f.target.get(ind.key)
    ratio = r.get("basis", "ratio") == "ratio"
    if a is None or t is None or (ratio and t <= 0):
        return Decimal(0)
    lower = r.get("direction") == "lower_is_better"
    gap = a - t if lower else t - a                   # > 0: worse than the target
    unit = t if ratio else 100                          # steps in percent of the target, or of the measure
    rounding = r.get("rounding", "floor")
    points = ind.points - Decimal(r["penalty"]) * _steps(100 * max(gap, 0), unit * r["step"], rounding)
    if r.get("bonus") is not None:
        points += Decimal(r["bonus"]) * _steps(100 * max(-gap, 0), unit * r["bonus_step"], rounding)
    if r.get("zero_below") is not None:
        z = r["zero_below"]
        if (ratio and not lower and 100 * a < z * t) or (not ratio and a < z):
            return Decimal(0)
    if r.get("zero_above") is not None:
        z = r["zero_above"]
        if (ratio and lower and 100 * max(a - t, 0) > z * t) or (not ratio and a > z):
            return Decimal(0)
    return half_up(points)


def _steps(num: Decimal, den: Decimal, rounding: str) -> Decimal:
    """num / den whole steps (floor or ceil) or the exact fraction (proportional)."""
    q = num / den
    if rounding == "floor":
        return q.to_integral_value(rounding=ROUND_FLOOR)
    if rounding == "ceil":
        return q.to_integral_value(rounding=ROUND_CEILING)
    return q


def proportional(ind, f: Facts, counts) -> Decimal:
    r = ind.rule
    a = f.actual.get(ind.key)
    t = r["target"] if r.get("target") is not None else f.target.get(ind.key)
    if a is None or t is None or t <= 0:
        return Decimal(0)
    return half_up(max(ind.points * min(a / t, Decimal(r.get("cap", 1))), Decimal(0)))


def per_unit(ind, f: Facts, counts) -> Decimal:
    a = f.actual.get(ind.key)
    return Decimal(0) if a is None else half_up(a * ind.rule["unit_points"])


def scaled_rating(ind, f: Facts, counts) -> Decimal:
    a = f.actual.get(ind.key)
    return Decimal(0) if a is None else half_up(ind.points * a / ind.rule["rating_max"])


def deduction(ind, f: Facts, counts) -> tuple[Decimal, bool]:
    """(points, whether the floor and cap apply): an event with a fixed value (倒扣) sets the
    item to count × value, past the floor."""
    r = ind.rule
    normal = [(counts(e["event"]), e) for e in r["events"] if "penalty" in e]
    fixed = [(counts(e["event"]), e) for e in r["events"] if "fixed" in e]
    if sum(n for n, _ in fixed):
        return sum(n * Decimal(e["fixed"]) for n, e in fixed), False
    n = sum(c for c, _ in normal)
    after, at = r.get("zero_after"), r.get("zero_at")
    if (after is not None and n > after) or (at is not None and n >= at):
        return Decimal(0), True
    return ind.points - sum(c * Decimal(e["penalty"]) for c, e in normal), True


def bonus_events(ind, f: Facts, counts) -> Decimal:
    return ind.points + sum(counts(e["event"]) * Decimal(e["bonus"]) for e in ind.rule["events"])


def levels(ind, f: Facts, counts) -> Decimal:
    """Mean of each rater role, weighted; a missing role renormalised, counted as 0, or refused."""
    points = {str(lv["level"]): Decimal(lv["points"]) for lv in ind.rule.get("levels", [])}
    weights = {role: Decimal(w) for role, w in (ind.rule.get("raters") or {}).items() if role in ROLES}
    given = f.ratings.get(ind.key, {})
    means = {}
    for role in weights:
        rated = given.get(role)
        if rated:
            values = [half_up(score) if score is not None else points.get(str(level), Decimal(0))
                      for level, score in rated]
            means[role] = sum(values) / len(values)
    if not means:
        return Decimal(0)
    policy = ind.rule.get("missing_rater", "renormalise")
    if policy == "error" and len(means) < len(weights):
        raise ValueError(f"{ind.key}: a rater role is missing")
    share = sum(weights[r] for r in means) if policy == "renormalise" else sum(weights.values())
    return half_up(sum(weights[r] * m for r, m in means.items()) / share)


def adjustment(ind, f: Facts, counts) -> Decimal:
    return sum((half_up(p) for p in f.adjust.get(ind.key, [])), Decimal(0))


RULES = {"step": step, "proportional": proportional, "per_unit": per_unit, "scaled_rating": scaled_rating,
         "deduction": deduction, "bonus_events": bonus_events, "levels": levels, "adjustment": adjustment}


# a card, a person, a period ----------------------------------------------------------------------
def score_card(card, f: Facts, counts) -> Decimal:
    """The card's total for one person and unit: indicator points within their range, floor 0."""
    total = Decimal(0)
    for ind in card.indicators:
        got = RULES[ind.rule_type](ind, f, counts)
        points, clip = got if isinstance(got, tuple) else (got, True)
        if clip and ind.min_points is not None:
            points = max(points, ind.min_points)
        if clip and ind.max_points is not None:
            points = min(points, ind.max_points)
        total += points
    return max(total, Decimal(0))


def grade(total: Decimal, grading) -> str:
    for band in grading.bands:
        if band.min_total is not None and total >= band.min_total:
            return band.grade
    return grading.bands[-1].grade


def score_people(params, inputs, period, people: set | None = None) -> dict:
    """{(unit label, employee_id): (total, grade)} for every scored month or quarter of `period`."""
    period = Period.parse(period)
    roster = inputs.roster
    wanted = set(roster["employee_id"]) if people is None else set(people)
    with localcontext() as ctx:
        ctx.prec = 60                                  # far past any rounding decided at 0.01
        facts, events = gather(inputs, wanted)
        out = {}
        for p in roster.itertuples(index=False):
            if p.employee_id not in wanted or p.card is None:
                continue
            quarterly = params.card(p.card, period).cadence == "quarterly"
            units = ([] if period.unit == "month" else period.quarters()) if quarterly else period.months()
            for unit in units:
                if p.hire_date > unit.end or (p.leave_date is not None and p.leave_date < unit.start):
                    continue
                card = params.card(p.card, unit)
                months = [m.label for m in unit.months()]

                def counts(event, eid=p.employee_id, months=months):
                    return sum(events.get((m, eid, event), 0) for m in months)

                total = score_card(card, facts.get((unit.label, p.employee_id), Facts()), counts)
                out[(unit.label, p.employee_id)] = (total, grade(total, params.grading(unit)))
    return out
