"""The rule types of SPEC 3.1, each one function over a whole population.

Every rule takes the indicator and the columns of its inputs, one row per person (or per
person and period), and returns raw points in centipoints and a data-quality flag; asked
for `text`, also a short human note and the inputs as text. `score_indicator` then applies
the floor and the cap. Columns a rule may read (prepared by scorecard.py; a DataFrame or
a `Columns` mapping):

  actual, has_actual      measure in micro-units (exact.MICRO)
  target, has_target      per-person target in micro-units
  ev:<event key>          count of that event in the period
  r:<role>:sum, r:<role>:n  sum of rated points (centipoints) and number of raters per role
  adj, adj_n, adj_note    approved adjustments: sum in centipoints, row count, reasons

Points are int64 while each rule's bound (largest input × what its parameters multiply it
by) stays below exact.LIMIT, else object ints: same code, same result.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cards import RATER_ROLES, Indicator
from .distinct import repeated
from .errors import PerfpayError
from .exact import (CENT, MICRO, cents, ceil_div, fit, floor_div, fmt_array, fraction, half_up, largest,
                    narrow, obj, round_half_up)

ROLE_CN = {"self": "本人", "superior": "上级", "peer": "小组"}


class Columns(dict):
    """The input columns of one indicator (name → array of n rows), with the event names for notes."""

    def __init__(self, columns: dict, n: int, event_names: dict | None = None):
        super().__init__(columns)
        self.index = pd.RangeIndex(int(n))
        self.attrs = {"event_names": event_names or {}}

    def take(self, rows: np.ndarray) -> "Columns":
        return Columns({k: v[rows] for k, v in self.items()}, len(rows), self.attrs["event_names"])


@dataclass
class Raw:
    points: np.ndarray              # centipoints before floor/cap (int64, or object ints)
    flag: np.ndarray                # data-quality flag, "" when none (object)
    clip: np.ndarray | None = None  # rows the floor/cap applies to (None = all)
    note: np.ndarray | None = None   # how the points came about (when text is asked; object, str)
    inputs: np.ndarray | None = None  # the inputs used, as text (object, str)
    flagged: np.ndarray | None = None  # rows with a flag (None: none, or not known: see `flagged_rows`)

    def flagged_rows(self) -> np.ndarray:
        """Positions of the rows with a flag."""
        if self.flagged is None:
            self.flagged = self.flag != ""
        return np.flatnonzero(self.flagged)


def _n(data) -> int:
    return len(data.index)


def _s(value, n) -> np.ndarray:
    return repeated(value, n)


def _flags(n) -> np.ndarray:
    return np.full(n, "", dtype=object)


def _col(data, name: str, default=0) -> np.ndarray:
    if name in data:
        return narrow(data[name])
    return np.full(_n(data), default, dtype=np.int64)


def _mask(data, name: str) -> np.ndarray:
    if name in data:
        return np.asarray(data[name], dtype=bool)
    return np.zeros(_n(data), dtype=bool)


def _measure(x) -> np.ndarray:
    return fmt_array(x, MICRO, 4)


def _counted(counts: np.ndarray) -> np.ndarray:
    """Counts as text: '3'."""
    return np.asarray(counts).astype(str).astype(object)


def _pick(where, then, otherwise) -> np.ndarray:
    """Text `then` where `where` holds, else `otherwise` (arrays of str or str), as an object array.

    Texts are numpy object arrays: the rules make them for each distinct combination of inputs,
    mostly a few hundred, where pandas' per-call cost would outweigh the work."""
    return np.where(np.asarray(where, dtype=bool), np.asarray(then, dtype=object), np.asarray(otherwise, dtype=object))


def _then(parts: np.ndarray, piece, where) -> np.ndarray:
    """`piece` added to the texts where `where` holds, after a '; ' when the text is not empty."""
    return _pick(where, _pick(parts == "", parts, parts + "; ") + piece, parts)


def _replace(texts: np.ndarray, old: str, new: str) -> np.ndarray:
    """Every `old` in each text replaced by `new`."""
    if not len(texts):
        return texts
    return pc.replace_substring(pa.array(texts, pa.string()), old, new).to_numpy(zero_copy_only=False)


def _num(value) -> str:
    """A parameter (Decimal, int, str or Fraction) as short text: 3, 0.4, 2.5, 120."""
    f = value if isinstance(value, Fraction) else fraction(value)
    return format((Decimal(f.numerator) / Decimal(f.denominator)).normalize(), "f")


def _targets(ind: Indicator, data):
    """(target, has_target): the fixed target of the rule or each person's own."""
    n = _n(data)
    if ind.rule.get("target") is not None:
        t = int(fraction(ind.rule["target"]) * MICRO)
        return np.full(n, t, dtype=np.int64 if abs(t) < 2**63 else object), np.ones(n, dtype=bool)
    return _col(data, "target"), _mask(data, "has_target")


def _missing(raw: Raw, missing: np.ndarray, why: str, flag: str) -> Raw:
    if not missing.any():
        return raw
    raw.points = np.where(missing, 0, raw.points)
    raw.flag = raw.flag.copy()
    raw.flag[missing] = flag
    raw.flagged = None if raw.flagged is None else raw.flagged | missing
    if raw.note is not None:
        what = "target" if flag == "missing_target" else "actual"
        raw.inputs = raw.inputs.copy()
        raw.inputs[missing] = _replace(raw.inputs[missing], f"{what} 0", f"{what} none")
        raw.note = _pick(missing, why, raw.note)
    return raw


# step ------------------------------------------------------------------------------
def _plural(count: np.ndarray) -> np.ndarray:
    return _pick(count == "1", " step", " steps")


def _steps(num, den, size, rounding: str):
    """Steps of `size` in num/den, as (numerator, denominator) of a rational."""
    s = fraction(size)
    n, d = num * s.denominator, den * s.numerator
    if rounding == "floor":
        return floor_div(n, d), 1
    if rounding == "ceil":
        return ceil_div(n, d), 1
    return n, d                      # proportional: fractional steps


def _step_bound(r: dict, top: int) -> int:
    """Largest intermediate of `step` for inputs up to `top` micro-units.

    Shortfall or excess in % is at most 200 × top; steps counted from it, × the penalty in
    centipoints, doubled by the half-up rounding; the notes show the rate in 0.01% and the
    steps × 100.
    """
    terms = [2 * 10**4 + 1]
    for size, value in (("step", "penalty"), ("bonus_step", "bonus")):
        if r.get(value) is not None:
            s, v = fraction(r[size]), fraction(r[value]) * CENT
            terms += [4 * 10**4 * s.denominator + s.numerator,
                      400 * s.denominator * abs(v.numerator) + 2 * s.numerator * v.denominator]
    for limit in ("zero_below", "zero_above"):
        if r.get(limit) is not None:
            z = fraction(r[limit])
            terms.append(200 * z.denominator + abs(z.numerator))
    return max(top, MICRO) * max(terms)


def step(ind: Indicator, data, text: bool = True) -> Raw:
    r = ind.rule
    n = _n(data)
    actual, has_actual = _col(data, "actual"), _mask(data, "has_actual")
    target, has_target = _targets(ind, data)
    actual, target = fit([actual, target], _step_bound(r, largest(actual, target)))
    ratio = r.get("basis", "ratio") == "ratio"
    lower = r.get("direction", "higher_is_better") == "lower_is_better"
    rounding = r.get("rounding", "floor")
    p = cents(ind.points)
    safe_t = np.where(target > 0, target, 1)

    # shortfall and excess, both >= 0, as rationals num/den in the step's unit
    gap = (actual - target) if lower else (target - actual)      # > 0 means worse than target
    if ratio:
        bad_num, den = 100 * np.maximum(gap, 0), safe_t
        good_num = 100 * np.maximum(-gap, 0)
    else:
        bad_num, den = np.maximum(gap, 0), np.full_like(gap, MICRO)
        good_num = np.maximum(-gap, 0)

    sn, sd = _steps(bad_num, den, r["step"], rounding)
    pen = fraction(r["penalty"]) * CENT
    minus = half_up(sn * pen.numerator, sd * pen.denominator)
    plus = np.zeros_like(minus)
    if r.get("bonus") is not None:
        bn, bd = _steps(good_num, den, r["bonus_step"], rounding)
        bon = fraction(r["bonus"]) * CENT
        plus = half_up(bn * bon.numerator, bd * bon.denominator)
    points = p - minus + plus

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
    points = np.where(zero, 0, points)

    raw = Raw(points, _flags(n), flagged=np.zeros(n, dtype=bool))
    if text:
        raw.note, raw.inputs = _step_text(r, actual, target, safe_t, gap, sn, sd,
                                          *((bn, bd) if r.get("bonus") is not None else (None, None)),
                                          zero, ratio, lower)
    bad_target = ~has_target | (target <= 0) if ratio else ~has_target   # a difference may aim at 0
    raw = _missing(raw, bad_target, "no valid target: no points", "missing_target")
    return _missing(raw, ~has_actual, "no actual recorded: no points", "missing_actual")


def _step_text(r, actual, target, safe_t, gap, sn, sd, bn, bd, zero, ratio, lower):
    if ratio:
        rate = round_half_up(100 * 100 * actual, safe_t)   # hundredths of a percent
        where = fmt_array(rate) + "% of target"
    else:
        where = _measure(actual) + " against target " + _measure(target)
    steps_txt = fmt_array(round_half_up(obj(sn) * 100, sd))
    bsteps_txt = fmt_array(round_half_up(obj(bn) * 100, bd)) if bn is not None else None
    below = np.asarray(gap > 0, dtype=bool)
    above = np.asarray(gap < 0, dtype=bool)
    note = _pick(below, where + ": " + steps_txt + _plural(steps_txt) + " × −" + _num(r["penalty"]), where)
    size = _num(r["step"]) + ("%" if ratio else "")
    note = _pick(below & (steps_txt == "0"), where + f": within one step ({size}) of target, no deduction", note)
    if bsteps_txt is not None:
        note = _pick(above, where + ": " + bsteps_txt + _plural(bsteps_txt) + " × +" + _num(r["bonus"]), note)
        bsize = _num(r["bonus_step"]) + ("%" if ratio else "")
        note = _pick(above & (bsteps_txt == "0"), where + f": above target by less than one step ({bsize}), no bonus",
                     note)
    met = ": on target, full points" if bsteps_txt is not None else ": target met, full points"
    note = _pick(below | (above & (bsteps_txt is not None)), note, where + met)
    if r.get("zero_below") is not None and not lower:
        limit = f"below {_num(r['zero_below'])}{'% of target' if ratio else ''}"
        note = _pick(zero, where + f": {limit}, no points", note)
    if r.get("zero_above") is not None and lower:
        limit = f"over {_num(r['zero_above'])}{'% above target' if ratio else ''}"
        note = _pick(zero, where + f": {limit}, no points", note)
    inputs = "actual " + _measure(actual) + ", target " + _measure(target)
    return note, inputs


# proportional -------------------------------------------------------------------------
def proportional(ind: Indicator, data, text: bool = True) -> Raw:
    n = _n(data)
    actual, has_actual = _col(data, "actual"), _mask(data, "has_actual")
    target, has_target = _targets(ind, data)
    cap = fraction(ind.rule.get("cap", 1))
    p = cents(ind.points)
    # largest: points × the measure × the cap's terms, doubled by the rounding; the rate in 0.01%
    bound = max(largest(actual, target), MICRO) * max(2 * 10**4 + 1, 2 * abs(p) * (cap.numerator + cap.denominator)
                                                     + 2 * cap.denominator)
    actual, target = fit([actual, target], bound)
    safe_t = np.where(target > 0, target, 1)
    capped = actual * cap.denominator > cap.numerator * target
    num = np.where(capped, p * cap.numerator * target, p * actual * cap.denominator)
    points = half_up(np.maximum(num, 0), safe_t * cap.denominator)
    raw = Raw(points, _flags(n), flagged=np.zeros(n, dtype=bool))
    if text:
        rate = round_half_up(100 * 100 * actual, safe_t)
        note = fmt_array(rate) + "% of target × " + _num(ind.points)
        raw.note = _pick(capped, note + f" (capped at {_num(cap * 100)}%)", note)
        raw.inputs = "actual " + _measure(actual) + ", target " + _measure(target)
    raw = _missing(raw, ~has_target | (target <= 0), "no valid target: no points", "missing_target")
    return _missing(raw, ~has_actual, "no actual recorded: no points", "missing_actual")


# per_unit -----------------------------------------------------------------------------
def per_unit(ind: Indicator, data, text: bool = True) -> Raw:
    n = _n(data)
    actual, has_actual = _col(data, "actual"), _mask(data, "has_actual")
    up = fraction(ind.rule["unit_points"]) * CENT
    bound = max(largest(actual), MICRO) * 2 * (abs(up.numerator) + up.denominator)
    (actual,) = fit([actual], bound)
    points = half_up(actual * up.numerator, MICRO * up.denominator)
    raw = Raw(points, _flags(n), flagged=np.zeros(n, dtype=bool))
    if text:
        raw.note = _measure(actual) + " × " + _num(ind.rule["unit_points"])
        raw.inputs = "units " + _measure(actual)
    return _missing(raw, ~has_actual, "no actual recorded: no points", "missing_actual")


# deduction ----------------------------------------------------------------------------
def _event_counts(data, specs, value_key) -> tuple[np.ndarray, np.ndarray, list]:
    """Σ count × value (centipoints), the total count, and the count column of each spec."""
    counts = [_col(data, f"ev:{spec['event']}") for spec in specs]
    weight = sum(abs(cents(spec[value_key])) for spec in specs) + len(specs)
    counts = fit(counts, (largest(*counts) + 1) * (weight + 1) + 10**6) if counts else counts
    total = np.zeros(_n(data), dtype=counts[0].dtype if counts else np.int64)
    count_all = np.zeros_like(total)
    for spec, c in zip(specs, counts):      # a few event kinds per indicator, not people
        total = total + c * cents(spec[value_key])
        count_all = count_all + c
    return total, count_all, counts


def _event_text(data, specs, counts, value_key, sign) -> np.ndarray:
    """A note such as '迟到 2 × −1; 早退 1 × −1'."""
    parts = _s("", _n(data))
    for spec, c in zip(specs, counts):
        label = data.attrs.get("event_names", {}).get(spec["event"], spec["event"])
        shown = f"{sign}{_num(abs(fraction(spec[value_key])))}" if sign else _num(spec[value_key])
        parts = _then(parts, label + " " + _counted(c) + f" × {shown}", c > 0)
    return parts


def deduction(ind: Indicator, data, text: bool = True) -> Raw:
    r = ind.rule
    n = _n(data)
    p = cents(ind.points)
    normal = [e for e in r["events"] if "penalty" in e]
    fixed = [e for e in r["events"] if "fixed" in e]
    minus, count, counts = _event_counts(data, normal, "penalty")
    points = p - minus
    zero = np.zeros(n, dtype=bool)
    if r.get("zero_after") is not None:
        zero |= count > int(r["zero_after"])
    at = np.zeros(n, dtype=bool)
    if r.get("zero_at") is not None:
        at = (count >= int(r["zero_at"])) & ~zero
        zero |= count >= int(r["zero_at"])
    points = np.where(zero, 0, points)
    clip = np.ones(n, dtype=bool)
    hit = np.zeros(n, dtype=bool)
    if fixed:
        value, fcount, fcounts = _event_counts(data, fixed, "fixed")
        hit = fcount > 0
        points = np.where(hit, value, points)
        clip = ~hit
    raw = Raw(points, _flags(n), clip, flagged=np.zeros(n, dtype=bool))
    if text:
        parts = _event_text(data, normal, counts, "penalty", "−")
        note = _pick(count > 0, parts, "no events: full points")
        if r.get("zero_after") is not None:
            tag = f"; more than {r['zero_after']} times: no points"
            note = _pick(count > int(r["zero_after"]), note + tag, note)
        if r.get("zero_at") is not None:
            note = _pick(at, note + f"; {r['zero_at']} or more times: no points", note)
        inputs = parts
        if fixed:
            fparts = _event_text(data, fixed, fcounts, "fixed", "")
            note = _pick(hit, fparts + ": the item is set to this value (倒扣)", note)
            inputs = _then(inputs, fparts, fparts != "")
        raw.note, raw.inputs = note, _pick(inputs != "", inputs, "no events")
    return raw


# bonus_events -------------------------------------------------------------------------
def bonus_events(ind: Indicator, data, text: bool = True) -> Raw:
    n = _n(data)
    plus, count, counts = _event_counts(data, ind.rule["events"], "bonus")
    raw = Raw(cents(ind.points) + plus, _flags(n), flagged=np.zeros(n, dtype=bool))
    if text:
        parts = _event_text(data, ind.rule["events"], counts, "bonus", "+")
        raw.note = raw.inputs = _pick(count > 0, parts, "no events")
    return raw


# levels (rated, multi-rater) --------------------------------------------------------------
def levels(ind: Indicator, data, weights: dict, missing_policy: str, text: bool = True) -> Raw:
    """Weighted mean of the raters' points; a missing role is handled by `missing_policy`."""
    n = _n(data)
    fr = {role: fraction(w) for role, w in weights.items() if role in RATER_ROLES}
    common = np.lcm.reduce([f.denominator for f in fr.values()] or [1])
    wint = {role: int(f * int(common)) for role, f in fr.items()}   # integer weights
    roles = [role for role in RATER_ROLES if role in wint]           # three roles, not people
    sums = {role: _col(data, f"r:{role}:sum") for role in roles}
    ns = {role: _col(data, f"r:{role}:n") for role in roles}
    # num/den below grow to (largest sum or count)³ × the weights, doubled by the rounding
    top = max(largest(*sums.values(), *ns.values()), 1)
    arrays = fit([*sums.values(), *ns.values()], 8 * (sum(abs(w) for w in wint.values()) + 1) * top**3)
    sums, ns = dict(zip(roles, arrays[:len(roles)])), dict(zip(roles, arrays[len(roles):]))
    num = np.zeros(n, dtype=arrays[0].dtype if arrays else np.int64)   # Σ w_r × sum_r / n_r = num / den
    den = np.ones_like(num)
    wsum = np.zeros_like(num)
    lost_code = np.zeros(n, dtype=np.int64)   # bit i set: role i of RATER_ROLES has no rating
    for i, role in enumerate(roles):
        w, s, c = wint[role], sums[role], ns[role]
        has = c > 0
        safe_c = np.where(has, c, 1)
        num = np.where(has, num * safe_c + s * w * den, num)
        den = np.where(has, den * safe_c, den)
        wsum = np.where(has, wsum + w, wsum)
        lost_code |= np.where(has, 0, 1 << RATER_ROLES.index(role))
    none = wsum == 0
    lost = _lost_names(lost_code)
    if missing_policy == "error" and (lost_code != 0).any():
        names = ", ".join(sorted(set(lost[lost_code != 0])))
        raise PerfpayError(
            f"{ind.name} ({ind.key}): {int((lost_code != 0).sum())} of {n} people lack ratings of a rater "
            f"role ({names}) and missing_rater is 'error'; add the ratings, or set missing_rater "
            f"to renormalise or zero in the card")
    if missing_policy == "renormalise":
        scale = np.where(none, 1, wsum)
    else:                                  # zero: a missing role counts as 0 points
        scale = np.full_like(num, sum(wint.values()) or 1)
    points = np.where(none, 0, half_up(num, den * scale))
    partly = (lost_code != 0) & ~none
    raw = Raw(points, np.where(partly, "missing_rater:" + lost, "").astype(object), flagged=partly)
    if text:
        seen = _s("", n)
        for role in roles:
            c = ns[role]
            has = c > 0
            mean = fmt_array(round_half_up(sums[role], np.where(has, c, 1)))
            seen = _then(seen, f"{ROLE_CN[role]} " + mean + " (" + _counted(c) + f" × {_num(fr[role])}%)", has)
        how = "weights renormalised" if missing_policy == "renormalise" else "counted as 0"
        note = _pick(partly, seen + "; no " + lost + f" rating, {how}", seen)
        raw.note, raw.inputs = note, _pick(seen != "", seen, "no ratings")
    return _missing(raw, none, "no ratings recorded: no points", "missing_rating")


def _lost_names(code: np.ndarray) -> np.ndarray:
    """Bits of missing roles → '本人, 小组' (made once per combination of the three roles)."""
    table = np.array([", ".join(ROLE_CN[r] for i, r in enumerate(RATER_ROLES) if k >> i & 1)
                      for k in range(2 ** len(RATER_ROLES))], dtype=object)
    return table[code]


# scaled_rating --------------------------------------------------------------------------
def scaled_rating(ind: Indicator, data, text: bool = True) -> Raw:
    n = _n(data)
    actual, has_actual = _col(data, "actual"), _mask(data, "has_actual")
    m = fraction(ind.rule["rating_max"])
    p = cents(ind.points)
    bound = max(largest(actual), MICRO) * 2 * (abs(p) * m.denominator + abs(m.numerator))
    (actual,) = fit([actual], bound)
    points = half_up(p * actual * m.denominator, MICRO * m.numerator)
    raw = Raw(points, _flags(n), flagged=np.zeros(n, dtype=bool))
    if text:
        raw.note = _measure(actual) + f" / {_num(m)} × {_num(ind.points)}"
        raw.inputs = "rating " + _measure(actual)
    return _missing(raw, ~has_actual, "no rating recorded: no points", "missing_actual")


# adjustment ------------------------------------------------------------------------------
def adjustment(ind: Indicator, data, text: bool = True) -> Raw:
    n = _n(data)
    adj = _col(data, "adj")
    raw = Raw(adj.copy(), _flags(n), flagged=np.zeros(n, dtype=bool))
    if text:
        count = _col(data, "adj_n")
        reasons = np.asarray(data["adj_note"], dtype=object) if "adj_note" in data else _s("", n)
        note = _pick(adj >= 0, "+", "") + fmt_array(adj) + " approved: " + reasons
        raw.note = raw.inputs = _pick(count > 0, note, "no adjustment")
    return raw


RULES = {
    "step": step,
    "proportional": proportional,
    "per_unit": per_unit,
    "deduction": deduction,
    "bonus_events": bonus_events,
    "scaled_rating": scaled_rating,
    "adjustment": adjustment,
}


def raw_points(ind: Indicator, data, weights: dict | None = None, missing_policy: str = "renormalise",
               text: bool = True) -> Raw:
    """The rule of `ind` over every row of `data` (see the module docstring)."""
    if ind.rule_type == "levels":
        return levels(ind, data, ind.rule.get("raters") or weights or {},
                      ind.rule.get("missing_rater", missing_policy), text)
    return RULES[ind.rule_type](ind, data, text)


def limits(ind: Indicator, raw: Raw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points after the floor and the cap, and the rows each of them changed."""
    points = raw.points
    clip = np.ones(len(points), dtype=bool) if raw.clip is None else raw.clip
    out = points
    low = high = np.zeros(len(points), dtype=bool)
    if ind.min_points is not None:
        lo = cents(ind.min_points)
        low = clip & (points < lo)
        out = np.where(low, lo, out)
    if ind.max_points is not None:
        hi = cents(ind.max_points)
        high = clip & (points > hi)
        out = np.where(high, hi, out)
    return out, low, high


def limit_note(ind: Indicator, note: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The note with '; floor 0' or '; cap 30' where the floor or the cap changed the points."""
    if ind.min_points is not None and low.any():
        note = _pick(low, note + f"; floor {_num(ind.min_points)}", note)
    if ind.max_points is not None and high.any():
        note = _pick(high, note + f"; cap {_num(ind.max_points)}", note)
    return note


def score_indicator(ind: Indicator, data, weights: dict | None = None,
                    missing_policy: str = "renormalise") -> pd.DataFrame:
    """Raw points, points after floor and cap, note, inputs and flag for every row of `data`."""
    raw = raw_points(ind, data, weights, missing_policy, text=True)
    out, low, high = limits(ind, raw)
    return pd.DataFrame({
        "raw_c": raw.points,
        "points_c": out,
        "note": limit_note(ind, raw.note, low, high),
        "inputs": raw.inputs,
        "flag": raw.flag,
    }, index=data.index)
