"""The rule types of SPEC 3.1, each one function over a whole population.

Every rule takes the indicator and a frame with one row per person (or per
person and period) and returns raw points, in centipoints, plus a short human
note. `score_indicator` then applies the floor and the cap. Columns a rule may
read (prepared by scorecard.py):

  actual, has_actual      measure in micro-units (exact.MICRO)
  target, has_target      per-person target in micro-units
  ev:<event key>          count of that event in the period
  r:<role>:sum, r:<role>:n  sum of rated points (centipoints) and number of raters per role
  adj, adj_n, adj_note    approved adjustments: sum in centipoints, row count, reasons
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from .cards import RATER_ROLES, Indicator
from .errors import PerfpayError
from .exact import CENT, MICRO, cents, ceil_div, floor_div, fmt, fraction, obj, round_half_up

ROLE_CN = {"self": "本人", "superior": "上级", "peer": "小组"}


@dataclass
class Raw:
    points: np.ndarray            # centipoints before floor/cap (object ints)
    note: pd.Series               # how the points came about
    inputs: pd.Series             # the inputs used, as text
    flag: pd.Series               # data-quality flag, "" when none
    clip: np.ndarray | None = None  # rows the floor/cap applies to (None = all)


def _s(value, n) -> pd.Series:
    return pd.Series([value] * n, dtype=object)


def _col(data: pd.DataFrame, name: str, default=0) -> np.ndarray:
    if name in data:
        return obj(data[name].to_numpy())
    return np.full(len(data), default, dtype=object)


def _mask(data: pd.DataFrame, name: str) -> np.ndarray:
    if name in data:
        return data[name].to_numpy(dtype=bool)
    return np.zeros(len(data), dtype=bool)


def _measure(x) -> pd.Series:
    return fmt(x, MICRO, 4)


def _num(value) -> str:
    """A parameter (Decimal, int, str or Fraction) as short text: 3, 0.4, 2.5, 120."""
    f = value if isinstance(value, Fraction) else fraction(value)
    return format((Decimal(f.numerator) / Decimal(f.denominator)).normalize(), "f")


def _targets(ind: Indicator, data: pd.DataFrame):
    """(target, has_target): the fixed target of the rule or each person's own."""
    n = len(data)
    if ind.rule.get("target") is not None:
        t = fraction(ind.rule["target"]) * MICRO
        return np.full(n, int(t), dtype=object), np.ones(n, dtype=bool)
    return _col(data, "target"), _mask(data, "has_target")


def _missing(raw: Raw, missing: np.ndarray, why: str, flag: str) -> Raw:
    raw.points = np.where(missing, 0, raw.points).astype(object)
    what = "target" if flag == "missing_target" else "actual"
    shown = raw.inputs.reset_index(drop=True).str.replace(f"{what} 0", f"{what} none", regex=False)
    raw.inputs = shown.where(pd.Series(missing), raw.inputs.reset_index(drop=True))
    raw.note = raw.note.where(~missing, why)
    raw.flag = raw.flag.where(~missing, flag)
    return raw


# step ------------------------------------------------------------------------------
def _plural(count: pd.Series) -> pd.Series:
    return pd.Series(np.where(count == "1", " step", " steps"), index=count.index)


def _steps(num, den, size, rounding: str):
    """Steps of `size` in num/den, as (numerator, denominator) of a rational."""
    s = fraction(size)
    n, d = obj(num) * s.denominator, obj(den) * s.numerator
    if rounding == "floor":
        return floor_div(n, d), 1
    if rounding == "ceil":
        return ceil_div(n, d), 1
    return n, d                      # proportional: fractional steps


def step(ind: Indicator, data: pd.DataFrame) -> Raw:
    r = ind.rule
    n = len(data)
    actual, has_actual = _col(data, "actual"), _mask(data, "has_actual")
    target, has_target = _targets(ind, data)
    ratio = r.get("basis", "ratio") == "ratio"
    lower = r.get("direction", "higher_is_better") == "lower_is_better"
    rounding = r.get("rounding", "floor")
    p = cents(ind.points)
    safe_t = np.where(target > 0, target, 1).astype(object)

    # shortfall and excess, both >= 0, as rationals num/den in the step's unit
    gap = (actual - target) if lower else (target - actual)      # > 0 means worse than target
    if ratio:
        bad_num, den = 100 * np.maximum(gap, 0), safe_t
        good_num = 100 * np.maximum(-gap, 0)
    else:
        bad_num, den = np.maximum(gap, 0), np.full(n, MICRO, dtype=object)
        good_num = np.maximum(-gap, 0)
    bad_num, good_num = obj(bad_num), obj(good_num)

    sn, sd = _steps(bad_num, den, r["step"], rounding)
    pen = fraction(r["penalty"]) * CENT
    minus = round_half_up(sn * pen.numerator, obj(sd) * pen.denominator)
    plus = np.zeros(n, dtype=object)
    if r.get("bonus") is not None:
        bn, bd = _steps(good_num, den, r["bonus_step"], rounding)
        bon = fraction(r["bonus"]) * CENT
        plus = round_half_up(bn * bon.numerator, obj(bd) * bon.denominator)
    points = (p - minus + plus).astype(object)

    # zero thresholds
    zero = np.zeros(n, dtype=bool)
    if r.get("zero_below") is not None:
        z = fraction(r["zero_below"])
        if ratio and not lower:   # rate in % of target below z
            zero |= 100 * actual * z.denominator < z.numerator * target
        elif not ratio:            # measure below z
            zero |= actual * z.denominator < z.numerator * MICRO
    if r.get("zero_above") is not None:
        z = fraction(r["zero_above"])
        if ratio and lower:       # more than z % over target
            zero |= 100 * np.maximum(actual - target, 0) * z.denominator > z.numerator * target
        elif not ratio:            # measure above z
            zero |= actual * z.denominator > z.numerator * MICRO
    points = np.where(zero, 0, points).astype(object)

    # note
    if ratio:
        rate = round_half_up(100 * 100 * actual, safe_t)   # hundredths of a percent
        where = fmt(rate) + "% of target"
    else:
        where = _measure(actual) + " against target " + _measure(target)
    steps_txt = fmt(round_half_up(obj(sn) * 100, sd))
    bsteps_txt = fmt(round_half_up(obj(bn) * 100, bd)) if r.get("bonus") is not None else None
    note = where.copy()
    below = pd.Series(gap > 0)
    above = pd.Series(gap < 0)
    note = note.where(~below, where + ": " + steps_txt + _plural(steps_txt) + " × −" + _num(r["penalty"]))
    size = _num(r["step"]) + ("%" if ratio else "")
    note = note.where(~(below & (steps_txt == "0")), where + f": within one step ({size}) of target, no deduction")
    if bsteps_txt is not None:
        note = note.where(~above, where + ": " + bsteps_txt + _plural(bsteps_txt) + " × +" + _num(r["bonus"]))
        bsize = _num(r["bonus_step"]) + ("%" if ratio else "")
        note = note.where(~(above & (bsteps_txt == "0")),
                          where + f": above target by less than one step ({bsize}), no bonus")
    met = ": on target, full points" if bsteps_txt is not None else ": target met, full points"
    note = note.where(below | (above & (bsteps_txt is not None)), where + met)
    zs = pd.Series(zero)
    if r.get("zero_below") is not None and not lower:
        limit = f"below {_num(r['zero_below'])}{'% of target' if ratio else ''}"
        note = note.where(~zs, where + f": {limit}, no points")
    if r.get("zero_above") is not None and lower:
        limit = f"over {_num(r['zero_above'])}{'% above target' if ratio else ''}"
        note = note.where(~zs, where + f": {limit}, no points")
    inputs = "actual " + _measure(actual) + ", target " + _measure(target)

    raw = Raw(points, note, inputs, _s("", n))
    bad_target = ~has_target | (target <= 0) if ratio else ~has_target   # a difference may aim at 0
    raw = _missing(raw, bad_target, "no valid target: no points", "missing_target")
    return _missing(raw, ~has_actual, "no actual recorded: no points", "missing_actual")


# proportional -------------------------------------------------------------------------
def proportional(ind: Indicator, data: pd.DataFrame) -> Raw:
    n = len(data)
    actual, has_actual = _col(data, "actual"), _mask(data, "has_actual")
    target, has_target = _targets(ind, data)
    cap = fraction(ind.rule.get("cap", 1))
    p = cents(ind.points)
    safe_t = np.where(target > 0, target, 1).astype(object)
    capped = actual * cap.denominator > cap.numerator * target
    num = np.where(capped, p * cap.numerator * target, p * actual * cap.denominator)
    points = round_half_up(np.maximum(num, 0), safe_t * cap.denominator)
    rate = round_half_up(100 * 100 * actual, safe_t)
    note = fmt(rate) + "% of target × " + _num(ind.points)
    note = note.where(~pd.Series(capped), note + f" (capped at {_num(cap * 100)}%)")
    inputs = "actual " + _measure(actual) + ", target " + _measure(target)
    raw = Raw(points, note, inputs, _s("", n))
    raw = _missing(raw, ~has_target | (target <= 0), "no valid target: no points", "missing_target")
    return _missing(raw, ~has_actual, "no actual recorded: no points", "missing_actual")


# per_unit -----------------------------------------------------------------------------
def per_unit(ind: Indicator, data: pd.DataFrame) -> Raw:
    n = len(data)
    actual, has_actual = _col(data, "actual"), _mask(data, "has_actual")
    up = fraction(ind.rule["unit_points"]) * CENT
    points = round_half_up(actual * up.numerator, MICRO * up.denominator)
    note = _measure(actual) + " × " + _num(ind.rule["unit_points"])
    raw = Raw(points, note, "units " + _measure(actual), _s("", n))
    return _missing(raw, ~has_actual, "no actual recorded: no points", "missing_actual")


# deduction ----------------------------------------------------------------------------
def _event_text(data, specs, value_key, sign) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """Σ count × value (centipoints), a note such as '迟到 2 × −1', and the total count."""
    n = len(data)
    total = np.zeros(n, dtype=object)
    count_all = np.zeros(n, dtype=object)
    parts = _s("", n)
    for spec in specs:      # a few event kinds per indicator, not people
        c = _col(data, f"ev:{spec['event']}")
        total = total + c * cents(spec[value_key])
        count_all = count_all + c
        label = data.attrs.get("event_names", {}).get(spec["event"], spec["event"])
        shown = f"{sign}{_num(abs(fraction(spec[value_key])))}" if sign else _num(spec[value_key])
        piece = label + " " + pd.Series(c).astype(str) + f" × {shown}"
        has = pd.Series(c > 0)
        parts = parts.where(~has, parts.where(parts == "", parts + "; ") + piece)
    return total.astype(object), parts, count_all.astype(object)


def deduction(ind: Indicator, data: pd.DataFrame) -> Raw:
    r = ind.rule
    n = len(data)
    p = cents(ind.points)
    normal = [e for e in r["events"] if "penalty" in e]
    fixed = [e for e in r["events"] if "fixed" in e]
    minus, parts, count = _event_text(data, normal, "penalty", "−")
    points = (p - minus).astype(object)
    note = parts.where(parts == "", parts)
    note = note.where(pd.Series(count > 0), "no events: full points")
    zero = np.zeros(n, dtype=bool)
    if r.get("zero_after") is not None:
        zero |= count > int(r["zero_after"])
        tag = f"; more than {r['zero_after']} times: no points"
        note = note.where(~pd.Series(count > int(r["zero_after"])), note + tag)
    if r.get("zero_at") is not None:
        hit = (count >= int(r["zero_at"])) & ~zero
        zero |= count >= int(r["zero_at"])
        note = note.where(~pd.Series(hit), note + f"; {r['zero_at']} or more times: no points")
    points = np.where(zero, 0, points).astype(object)
    clip = np.ones(n, dtype=bool)
    inputs = parts
    if fixed:
        value, fparts, fcount = _event_text(data, fixed, "fixed", "")
        hit = fcount > 0
        points = np.where(hit, value, points).astype(object)
        clip = ~hit
        note = note.where(~pd.Series(hit), fparts + ": the item is set to this value (倒扣)")
        inputs = inputs.where(fparts == "", inputs.where(inputs == "", inputs + "; ") + fparts)
    inputs = inputs.where(inputs != "", "no events")
    return Raw(points, note, inputs, _s("", n), clip)


# bonus_events -------------------------------------------------------------------------
def bonus_events(ind: Indicator, data: pd.DataFrame) -> Raw:
    n = len(data)
    plus, parts, count = _event_text(data, ind.rule["events"], "bonus", "+")
    points = (cents(ind.points) + plus).astype(object)
    note = parts.where(pd.Series(count > 0), "no events")
    return Raw(points, note, note, _s("", n))


# levels (rated, multi-rater) --------------------------------------------------------------
def levels(ind: Indicator, data: pd.DataFrame, weights: dict, missing_policy: str) -> Raw:
    """Weighted mean of the raters' points; a missing role is handled by `missing_policy`."""
    n = len(data)
    fr = {role: fraction(w) for role, w in weights.items() if role in RATER_ROLES}
    common = np.lcm.reduce([f.denominator for f in fr.values()] or [1])
    wint = {role: int(f * int(common)) for role, f in fr.items()}   # integer weights
    num = np.zeros(n, dtype=object)       # Σ w_r × sum_r / n_r over present roles = num / den
    den = np.ones(n, dtype=object)
    wsum = np.zeros(n, dtype=object)
    lost = _s("", n)
    seen = _s("", n)
    for role in RATER_ROLES:              # three roles, not people
        if role not in wint:
            continue
        w = wint[role]
        s, c = _col(data, f"r:{role}:sum"), _col(data, f"r:{role}:n")
        has = c > 0
        safe_c = np.where(has, c, 1).astype(object)
        num = np.where(has, num * safe_c + s * w * den, num).astype(object)
        den = np.where(has, den * safe_c, den).astype(object)
        wsum = np.where(has, wsum + w, wsum).astype(object)
        mean = fmt(round_half_up(s, safe_c))
        piece = f"{ROLE_CN[role]} " + mean + " (" + pd.Series(c).astype(str) + f" × {_num(fr[role])}%)"
        hs = pd.Series(has)
        seen = seen.where(~hs, seen.where(seen == "", seen + "; ") + piece)
        lost = lost.where(hs, lost.where(lost == "", lost + ", ") + ROLE_CN[role])
    none = wsum == 0
    if missing_policy == "error" and (lost != "").any():
        roles = ", ".join(sorted(set(lost[lost != ""])))
        raise PerfpayError(
            f"{ind.name} ({ind.key}): {int((lost != '').sum())} of {n} people lack ratings of a rater "
            f"role ({roles}) and missing_rater is 'error'; add the ratings, or set missing_rater "
            f"to renormalise or zero in the card")
    if missing_policy == "renormalise":
        scale = np.where(none, 1, wsum).astype(object)
    else:                                  # zero: a missing role counts as 0 points
        scale = np.full(n, sum(wint.values()) or 1, dtype=object)
    points = round_half_up(num, den * scale)
    points = np.where(none, 0, points).astype(object)
    note = seen.copy()
    partly = pd.Series((lost != "") & ~pd.Series(none))
    if missing_policy == "renormalise":
        note = note.where(~partly, note + "; no " + lost + " rating, weights renormalised")
    else:
        note = note.where(~partly, note + "; no " + lost + " rating, counted as 0")
    flag = _s("", n).where(~partly, "missing_rater:" + lost)
    raw = Raw(points, note, seen.where(seen != "", "no ratings"), flag)
    return _missing(raw, none, "no ratings recorded: no points", "missing_rating")


# scaled_rating --------------------------------------------------------------------------
def scaled_rating(ind: Indicator, data: pd.DataFrame) -> Raw:
    n = len(data)
    actual, has_actual = _col(data, "actual"), _mask(data, "has_actual")
    m = fraction(ind.rule["rating_max"])
    p = cents(ind.points)
    points = round_half_up(p * actual * m.denominator, MICRO * m.numerator)
    note = _measure(actual) + f" / {_num(m)} × {_num(ind.points)}"
    raw = Raw(points, note, "rating " + _measure(actual), _s("", n))
    return _missing(raw, ~has_actual, "no rating recorded: no points", "missing_actual")


# adjustment ------------------------------------------------------------------------------
def adjustment(ind: Indicator, data: pd.DataFrame) -> Raw:
    n = len(data)
    adj = _col(data, "adj")
    count = _col(data, "adj_n")
    reasons = data["adj_note"].reset_index(drop=True) if "adj_note" in data else _s("", n)
    sign = pd.Series(np.where(adj >= 0, "+", "")).astype(str)
    note = sign + fmt(adj) + " approved: " + reasons
    note = note.where(pd.Series(count > 0), "no adjustment")
    return Raw((cents(ind.points) * 0 + adj).astype(object), note, note, _s("", n))


RULES = {
    "step": step,
    "proportional": proportional,
    "per_unit": per_unit,
    "deduction": deduction,
    "bonus_events": bonus_events,
    "scaled_rating": scaled_rating,
    "adjustment": adjustment,
}


def score_indicator(ind: Indicator, data: pd.DataFrame, weights: dict | None = None,
                    missing_policy: str = "renormalise") -> pd.DataFrame:
    """Raw points, points after floor and cap, note, inputs and flag for every row of `data`."""
    if ind.rule_type == "levels":
        raw = levels(ind, data, ind.rule.get("raters") or weights or {}, ind.rule.get("missing_rater", missing_policy))
    else:
        raw = RULES[ind.rule_type](ind, data)
    points = obj(raw.points)
    clip = np.ones(len(data), dtype=bool) if raw.clip is None else raw.clip
    note = raw.note.reset_index(drop=True)
    out = points.copy()
    if ind.min_points is not None:
        lo = cents(ind.min_points)
        low = clip & (points < lo)
        out = np.where(low, lo, out).astype(object)
        note = note.where(~pd.Series(low), note + f"; floor {_num(ind.min_points)}")
    if ind.max_points is not None:
        hi = cents(ind.max_points)
        high = clip & (points > hi)
        out = np.where(high, hi, out).astype(object)
        note = note.where(~pd.Series(high), note + f"; cap {_num(ind.max_points)}")
    return pd.DataFrame({
        "raw_c": points,
        "points_c": out,
        "note": note.to_numpy(),
        "inputs": raw.inputs.reset_index(drop=True).to_numpy(),
        "flag": raw.flag.reset_index(drop=True).to_numpy(),
    }, index=data.index)
