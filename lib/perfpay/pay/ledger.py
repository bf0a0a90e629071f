"""The quarterly key-account commission ledger (SPEC 7), vectorised over people.

Money is integer fen inside, int64 while every intermediate provably fits (exact.fit) and
Python ints beyond. A commission is an amount in fen times the task rate, kept exact as an
integer numerator over the rate's denominator and rounded half up to the fen only on what
is paid: commission, back-pay, service commission and the bonus (the bonus from the exact
amounts, SPEC 9); `exact_amounts` gives them as Fractions for checks. Quarters run in
order, each needing the previous carry-over and shortfall; within a quarter every step
works on whole columns. The open shortfall entries are one long table (employee_id,
quarter, base, unfilled), oldest first, filled per person with a cumulative sum: an entry
is filled by what the excess leaves after the entries before it.

The exact rows carry every number finance gets, the quarter's terms (`params`) and the
texts of the shortfall entries filled; the formula text of each row is written by
ledger_text.table, when the statement table is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from ..distinct import same_objects
from ..errors import ParamsError
from ..exact import cents, fit, half_up, largest, narrow, obj
from ..periods import Period
from . import ledger_text

CARRY_ACTIONS = ("keep", "pay_out", "lapse")
SHORTFALL_ACTIONS = ("keep", "lapse")
STREAMS = ("task", "service")
ENTRY_COLUMNS = ["employee_id", "quarter", "base", "unfilled"]
REQUIRED = ("employee_id", "credited", "target", "kpi_coefficient")
OPTIONAL = {"service_revenue": 0, "is_new_hire_quarter": False, "left": False,
            "manager_department_met": None}


# parameters -----------------------------------------------------------------------------
@dataclass(frozen=True)
class LedgerParams:
    """commission.yaml resolved for one quarter; money in fen, rates as exact fractions."""

    rate: Fraction                 # task rate r
    base_ratio: Fraction           # B = base_ratio × T
    full_threshold: int            # fen; X at or above it (and above T) is case 6
    withholding: int               # fen withheld in case 1
    service_rate: Fraction         # maintenance / training, ungated
    fixed_weight: Fraction         # bonus = amount × (fixed + variable × coefficient)
    variable_weight: Fraction
    implementation_stream: str     # task | service (used where revenue is credited)
    coefficient_card: str          # the card whose quarterly score gives the coefficient
    score_divisor: Fraction
    coefficient_min: Fraction
    coefficient_max: Fraction
    manager_needs_both: bool
    year_end_carry: str            # keep | pay_out | lapse, in the year's last quarter
    year_end_shortfall: str        # keep | lapse
    leaving_carry: str             # keep | pay_out | lapse, in the quarter a person leaves
    leaving_shortfall: str         # keep | lapse
    new_hire_without_task: bool

    @classmethod
    def load(cls, params, period) -> "LedgerParams":
        """From a loaded params folder (`load_params`) for `period`."""
        return cls.from_document(params.document("commission", period))

    @classmethod
    def from_document(cls, doc, source: str = "commission.yaml") -> "LedgerParams":
        problems: list[str] = []

        def get(path: str, kind):
            node = doc
            for key in path.split("."):
                if not isinstance(node, dict) or key not in node:
                    problems.append(f"{source}: {path}: missing")
                    return None
                node = node[key]
            if isinstance(kind, tuple):
                ok = node in kind
                want = f"one of {', '.join(map(str, kind))}"
            elif kind is bool:
                ok, want = isinstance(node, bool), "true or false"
            elif kind is str:
                ok, want = isinstance(node, str) and node.strip() != "", "text"
            else:                   # a number: "ratio" 0..1, "positive", "money" (yuan)
                ok = isinstance(node, Decimal) and node.is_finite() and node >= 0 and \
                    (kind != "ratio" or node <= 1) and (kind != "positive" or node > 0) and \
                    (kind != "money" or (node * 100) % 1 == 0)
                want = {"ratio": "a fraction 0..1 (0.04 = 4%)", "positive": "a number > 0",
                        "money": "an amount in yuan >= 0 with at most 2 decimals"}[kind]
            if not ok:
                problems.append(f"{source}: {path}: must be {want}, got {node!r}")
                return None
            if kind == "money":
                return cents(node)
            return Fraction(node) if isinstance(node, Decimal) else node

        values = dict(
            rate=get("task_rate.value", "ratio"), base_ratio=get("base_ratio.value", "ratio"),
            full_threshold=get("full_payout_threshold.value", "money"),
            withholding=get("withholding.value", "money"),
            service_rate=get("service_rate.value", "ratio"),
            fixed_weight=get("kpi.fixed_weight.value", "ratio"),
            variable_weight=get("kpi.variable_weight.value", "ratio"),
            implementation_stream=get("implementation_stream.value", STREAMS),
            coefficient_card=get("kpi.coefficient.card", str),
            score_divisor=get("kpi.coefficient.score_divisor", "positive"),
            coefficient_min=get("kpi.coefficient.min", "ratio"),
            coefficient_max=get("kpi.coefficient.max", "ratio"),
            manager_needs_both=get("manager_floating_needs_both.value", bool),
            year_end_carry=get("year_end.carry_over", CARRY_ACTIONS),
            year_end_shortfall=get("year_end.shortfall", SHORTFALL_ACTIONS),
            leaving_carry=get("leaving.carry_over", CARRY_ACTIONS),
            leaving_shortfall=get("leaving.shortfall", SHORTFALL_ACTIONS),
            new_hire_without_task=get("new_hire.first_quarter_without_task", bool))
        if problems:
            raise ParamsError(problems)
        return cls(**values)


def kpi_coefficient(scores, params: LedgerParams) -> pd.Series:
    """Quarterly card scores → KPI coefficients: score / divisor clipped (missing stays None)."""
    f = pd.Series(scores, dtype=object).map(_fraction)
    lo, hi = params.coefficient_min, params.coefficient_max
    return f.map(lambda v: None if v is None else min(max(v / params.score_divisor, lo), hi))


# state ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LedgerState:
    """What one quarter leaves to the next: carry-over (fen) and the open shortfall entries."""

    carry: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    shortfall: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"employee_id": pd.Series(dtype=object), "quarter": pd.Series(dtype=object),
         "base": pd.Series(dtype="int64"), "unfilled": pd.Series(dtype="int64")}))
    last_quarter: Period | None = None


# running -----------------------------------------------------------------------------------
def run_ledger(quarters, params, exact: bool = False) -> pd.DataFrame:
    """Quarters in order, [(Period or label, frame), ...], from an empty ledger.

    `params` is a LedgerParams, or a loaded params folder (each quarter then uses the
    values in force on its first day). Returns the statement table (yuan as Decimal, with
    the formula texts), or with `exact=True` the exact rows (fen as integers).
    """
    state, out = LedgerState(), []
    for quarter, frame in quarters:
        rows, state = run_quarter(state, quarter, frame, params, exact=True)
        out.append(rows)
    rows = pd.concat(out, ignore_index=True) if out else ledger_text.empty_rows()
    return rows if exact else ledger_text.table(rows)


def run_quarter(state: LedgerState, quarter, frame: pd.DataFrame, params,
                exact: bool = False) -> tuple[pd.DataFrame, LedgerState]:
    """One quarter of the ledger for everyone in `frame` (one row per salesperson).

    People in `state` but not in `frame` keep their carry and shortfall untouched.
    """
    q = Period.parse(quarter)
    if q.unit != "quarter":
        raise ValueError(f"the commission ledger runs on quarters such as 2026Q3, got {q}")
    if state.last_quarter is not None and q <= state.last_quarter:
        raise ValueError(f"quarter {q} given after {state.last_quarter}; "
                         "give the quarters in order, each once")
    p = params if isinstance(params, LedgerParams) else LedgerParams.load(params, q)
    d = _inputs(frame, q.label)
    ids, index = d["employee_id"], d["index"]       # one lookup table for everything per person
    n = len(ids)

    c_at = index.get_indexer(state.carry.index)     # the carry and the entries of the people here
    carried = c_at >= 0
    carry_in = np.zeros(n, dtype=state.carry.dtype)
    carry_in[c_at[carried]] = state.carry.to_numpy()[carried]
    s_at = index.get_indexer(state.shortfall["employee_id"])
    mine = s_at >= 0
    entries = state.shortfall[mine]
    e_at = s_at[mine]

    # the steps, in int64 while every sum provably fits (else Python ints): each value is a
    # sum of at most 4 amounts (X − B, B − X, carry, ...), a sum per person at most one such
    # value per entry and person; and the base ratio's product
    br = p.base_ratio
    top = largest(d["credited"], d["target"], carry_in, entries["base"].to_numpy(), entries["unfilled"].to_numpy())
    credited, target, carry_in, e_base, e_unfilled = fit(
        [d["credited"], d["target"], carry_in, entries["base"].to_numpy(), entries["unfilled"].to_numpy()],
        top * 4 * (len(entries) + n + 4) + top * 2 * br.numerator + br.denominator)
    x = credited + carry_in
    base = half_up(target * br.numerator, br.denominator)
    s_total = _sum_by(e_unfilled, e_at, n, x)
    has_s = s_total > 0
    new = d["is_new_hire_quarter"] & p.new_hire_without_task
    code = np.select(
        [new, x < base, (x < target) & ~has_s, x < target, (x < p.full_threshold) & ~has_s,
         x < p.full_threshold], [0, 1, 2, 3, 4, 5], 6)

    # fill the open entries oldest first with the excess E = X − B (cases 2 to 6): an entry
    # gets what the excess leaves after the entries before it
    excess = np.where(code >= 2, x - base, 0)
    fill = np.minimum(np.maximum(excess[e_at] - _before(e_unfilled, e_at), 0), e_unfilled)
    still = e_unfilled - fill
    done = (fill > 0) & (still == 0)
    filled = _sum_by(fill, e_at, n, x)
    backpay_base = _sum_by(np.where(done, e_base, 0), e_at, n, x)

    rest = excess - filled                       # R = max(0, E − S_total)
    span = target - base                         # T − B
    commission_base = np.select(
        [code == 0, code == 1, code <= 3, code <= 5],
        [x, x * 0, rest + base, base + np.minimum(rest, span)], x - filled)
    carry_raw = np.where((code == 4) | (code == 5), np.maximum(0, rest - span), 0)

    # leaving and year end
    left = d["left"]
    year_end = q.first_month == 10
    paid_out = np.where(np.where(left, p.leaving_carry == "pay_out", year_end and p.year_end_carry == "pay_out"),
                        carry_raw, 0)
    lapsed_carry = np.where(np.where(left, p.leaving_carry == "lapse", year_end and p.year_end_carry == "lapse"),
                            carry_raw, 0)
    lapse_short = np.where(left, p.leaving_shortfall == "lapse", year_end and p.year_end_shortfall == "lapse")
    carry_out = carry_raw - paid_out - lapsed_carry
    commission_base = commission_base + paid_out

    # entries still open: the old ones not filled, then this quarter's case-1 shortfalls
    opened = np.flatnonzero(code == 1)
    keep = still > 0
    o_at = np.concatenate([e_at[keep], opened])
    o_quarter = np.concatenate([entries["quarter"].to_numpy(dtype=object)[keep], _repeat(q.label, len(opened))])
    o_base = np.concatenate([e_base[keep], base[opened]])
    o_unfilled = np.concatenate([still[keep], (base - x)[opened]])
    lapsing = lapse_short[o_at]
    lapsed_short = _sum_by(np.where(lapsing, o_unfilled, 0), o_at, n, x)
    kept = ~lapsing
    shortfall_after = _sum_by(o_unfilled[kept], o_at[kept], n, x)

    # paid amounts, rounded half up to the fen from exact integer numerators: an amount is
    # N / D, the KPI factor F / G per person, the bonus N × F / (D × G)
    rate, srate = p.rate, p.service_rate
    c_n, c_d = d["coefficient_n"], d["coefficient_d"]
    fw, vw = p.fixed_weight, p.variable_weight
    f_big = largest(c_n, c_d) * (fw.numerator * vw.denominator + vw.numerator * fw.denominator + fw.denominator * vw.denominator)
    service = d["service_revenue"]
    money = largest(commission_base, backpay_base, service)
    amount_top = money * 2 * rate.numerator * srate.denominator + money * srate.numerator * rate.denominator
    amount_d = rate.denominator * srate.denominator
    bound = 2 * amount_top * max(f_big, 1) + amount_d * max(f_big, 1) + 2 * amount_top + amount_d
    commission_base, backpay_base, service, c_n, c_d = fit([commission_base, backpay_base, service, c_n, c_d], bound)
    task_n = commission_base * rate.numerator
    back_n = backpay_base * rate.numerator
    serv_n = service * srate.numerator
    amount_n = (task_n + back_n) * srate.denominator + serv_n * rate.denominator
    f_n = fw.numerator * vw.denominator * c_d + vw.numerator * fw.denominator * c_n
    f_d = fw.denominator * vw.denominator * c_d
    blocked = d["department_blocked"]
    floating = (code >= 4) & (~blocked | (not p.manager_needs_both))

    fills = np.flatnonzero(fill > 0)
    filled_text, backpay_from = ledger_text.fill_texts(
        ids, e_at[fills], entries["quarter"].to_numpy(dtype=object)[fills], e_base[fills],
        e_unfilled[fills], fill[fills], still[fills], done[fills])
    rows = pd.DataFrame({
        "quarter": _repeat(q.label, n), "employee_id": ids, "credited": credited,
        "carry_in": carry_in, "X": x, "base": base, "target": target,
        "case": np.where(code == 0, "new", code.astype(object)),
        "commission": _half_up(task_n, rate.denominator), "backpay": _half_up(back_n, rate.denominator),
        "service_commission": _half_up(serv_n, srate.denominator), "kpi_coefficient": d["kpi_coefficient"],
        "bonus": _half_up(amount_n * f_n, amount_d * f_d),
        "floating_wage_paid": floating, "withheld": np.where(code == 1, p.withholding, 0),
        "shortfall_after": shortfall_after, "carry_out": carry_out, "filled": filled_text,
        # exact detail, used by the statement text (ledger_text.table) and by checks (exact_amounts)
        "service_revenue": service, "shortfall_before": s_total,
        "filled_total": filled, "commission_base": commission_base, "backpay_base": backpay_base,
        "backpay_from": backpay_from, "carry_paid_out": paid_out,
        "carry_lapsed": lapsed_carry, "shortfall_lapsed": lapsed_short, "left": left,
        "department_blocked": (code >= 4) & blocked & p.manager_needs_both,
        "params": _repeat(p, n),
    }, copy=False)

    carry = state.carry[~carried]
    carry = pd.Series(np.concatenate([carry.to_numpy(dtype=object), carry_out[carry_out != 0].astype(object)]),
                      index=np.concatenate([carry.index.to_numpy(dtype=object), ids[carry_out != 0]]), dtype=object)
    others = state.shortfall[~mine]
    shortfall = {"employee_id": np.concatenate([others["employee_id"].to_numpy(dtype=object), ids[o_at[kept]]]),
                 "quarter": np.concatenate([others["quarter"].to_numpy(dtype=object), o_quarter[kept]]),
                 "base": np.concatenate([others["base"].to_numpy(), o_base[kept]]),
                 "unfilled": np.concatenate([others["unfilled"].to_numpy(), o_unfilled[kept]])}
    # oldest first per person (labels such as 2026Q3 sort in time order), stable
    labels, distinct = pd.factorize(shortfall["quarter"])
    rank = np.argsort(np.argsort(distinct))              # of each distinct label, in time order
    order = np.argsort(rank[labels], kind="stable")
    new_state = LedgerState(carry=pd.Series(narrow(carry.to_numpy()), index=carry.index),
                            shortfall=pd.DataFrame({c: narrow(v[order]) if c in ("base", "unfilled") else v[order]
                                                    for c, v in shortfall.items()}),
                            last_quarter=q)
    return (rows if exact else ledger_text.table(rows)), new_state


def exact_amounts(rows: pd.DataFrame) -> pd.DataFrame:
    """The exact amounts of exact rows, as Fractions (for checks): commission, backpay,
    service, factor (fixed + variable × coefficient) and bonus (their sum × factor)."""
    terms = rows["params"].to_numpy(dtype=object)
    rate = np.array([t.rate for t in terms], dtype=object)
    commission = obj(rows["commission_base"].to_numpy()) * rate
    backpay = obj(rows["backpay_base"].to_numpy()) * rate
    service = obj(rows["service_revenue"].to_numpy()) * np.array([t.service_rate for t in terms], dtype=object)
    factor = np.array([t.fixed_weight + t.variable_weight * c for t, c in zip(terms, rows["kpi_coefficient"])],
                      dtype=object)
    fractions = {k: [Fraction(v) for v in a] for k, a in
                 dict(commission=commission, backpay=backpay, service=service, factor=factor).items()}
    out = pd.DataFrame(fractions, index=rows.index, dtype=object)
    out["bonus"] = (out["commission"] + out["backpay"] + out["service"]) * out["factor"]
    return out


# helpers -----------------------------------------------------------------------------------
def _sum_by(values, owners: np.ndarray, n: int, like) -> np.ndarray:
    """Sum of `values` per owner position (0..n-1), in the width of `like` (0 for who has none)."""
    out = np.zeros(n, dtype=np.asarray(like).dtype)
    if out.dtype == object:
        out[:] = 0
    np.add.at(out, owners, np.asarray(values).astype(out.dtype))
    return out


def _before(values: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Per owner, the sum of the values before each one (in their order): a cumulative sum
    over the values grouped by owner, less each group's start."""
    if len(values) == 0:
        return values
    order = np.argsort(owners, kind="stable")
    v = values[order]
    total = np.cumsum(v)
    starts = np.r_[True, owners[order][1:] != owners[order][:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(v)), 0))
    out = np.empty_like(values)
    out[order] = total - v - (total[first] - v[first])
    return out


def _half_up(num, den) -> np.ndarray:
    """num / den in fen, halves away from zero (四舍五入), in the width of num."""
    return half_up(num, den)


def _repeat(value, n: int) -> np.ndarray:
    """An object array holding `value` n times (one object, shared)."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _fraction(value) -> Fraction | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError(f"{value!r} is not a number")
    return Fraction(Decimal(str(value)))


def _fractions(values: pd.Series) -> list:
    """_fraction of each value: a Fraction as it is, any other value once per (type, value)."""
    seen, out = {}, []
    for v in values:
        if type(v) is Fraction:
            out.append(v)
            continue
        key = (type(v), v)
        try:
            hash(key)
        except TypeError:                 # unhashable: converted (or refused) as it is
            out.append(_fraction(v))
            continue
        if key not in seen:
            seen[key] = _fraction(v)
        out.append(seen[key])
    return out


def _inputs(frame: pd.DataFrame, label: str) -> dict:
    """The quarter's table as arrays: fen as int64, flags as bool, coefficients as Fractions
    with their numerators and denominators; every problem listed together."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"ledger {label}: column(s) {', '.join(missing)} missing; "
                         f"columns present: {', '.join(map(str, frame.columns))}")
    df = frame                                  # read by position
    ids = df["employee_id"]
    index = pd.Index(ids.to_numpy(dtype=object))
    problems = [] if index.is_unique else \
        [f"employee {i}: appears more than once" for i in ids[ids.duplicated()].unique()]
    out = {"employee_id": index.to_numpy(), "index": index}
    for col in ("credited", "target", "service_revenue"):
        raw = df[col] if col in df else pd.Series(0, index=df.index)
        if isinstance(raw.dtype, np.dtype) and raw.dtype.kind == "i":      # whole fen already
            values = raw.to_numpy().astype("int64")
            bad = values < 0 if col == "target" else np.zeros(len(df), dtype=bool)
        else:
            f = pd.Series(_fractions(raw), index=df.index, dtype=object)
            bad = f.map(lambda v: v is None or v.denominator != 1 or (col == "target" and v < 0)).to_numpy(bool)
            values = f.where(~bad, 0).map(int).to_numpy(dtype=object).astype("int64")
        problems += [f"employee {i}: {col} {v!r} is not a whole number of fen"
                     + (" >= 0" if col == "target" else "")
                     for i, v in zip(ids[bad], df.loc[bad, col] if col in df else [])]
        out[col] = values
    for col in ("is_new_hire_quarter", "left"):
        flags = df[col] if col in df else pd.Series(False, index=df.index)
        if flags.dtype != bool:
            flags = flags.astype(object).where(flags.notna(), False).astype(bool)
        out[col] = flags.to_numpy()
    met = df["manager_department_met"].to_numpy(dtype=object) if "manager_department_met" in df \
        else np.full(len(df), None, dtype=object)
    unknown = pd.isna(met)
    out["department_blocked"] = ~unknown & ~np.where(unknown, True, met).astype(bool)   # given and false

    # coefficients: each distinct object converted once (the quarter frame shares them)
    raw = df["kpi_coefficient"].to_numpy(dtype=object)
    codes, first = same_objects(raw)
    made = _fractions(raw[first])
    wrong = np.array([f is None or not 0 <= f.numerator <= f.denominator for f in made], dtype=bool)
    bad = wrong[codes] if len(codes) else np.zeros(0, dtype=bool)
    problems += [f"employee {i}: kpi_coefficient {v!r} is not in [0, 1]"
                 for i, v in zip(ids[bad], df.loc[bad, "kpi_coefficient"])]
    if problems:
        raise ValueError(f"ledger {label}: " + "; ".join(problems))
    coef = np.empty(len(made), dtype=object)
    coef[:] = made
    out["kpi_coefficient"] = coef[codes]
    out["coefficient_n"] = narrow(np.array([f.numerator for f in made], dtype=object))[codes]
    out["coefficient_d"] = narrow(np.array([f.denominator for f in made], dtype=object))[codes]
    return out
