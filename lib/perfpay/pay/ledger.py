"""The quarterly key-account commission ledger (SPEC 7), vectorised over people.

Money is integer fen inside. A commission is an amount in fen times the task rate, kept
exact (a Fraction) and rounded half up to the fen only on what is paid: commission,
back-pay, service commission and the bonus (the bonus from the exact amounts, SPEC 9).
Quarters run in order, each needing the previous carry-over and shortfall; within a
quarter every step works on whole columns. The open shortfall entries are one long table
(employee_id, quarter, base, unfilled), oldest first, filled per person with a cumulative
sum: an entry is filled by what the excess leaves after the entries before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from ..errors import ParamsError
from ..exact import cents, obj, round_half_up
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
    values in force on its first day). Returns the statement table (yuan as Decimal),
    or with `exact=True` the exact rows (fen ints, Fraction amounts).
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
    df = _inputs(frame, q.label)
    ids = df["employee_id"]
    index = pd.Index(ids.to_numpy())          # one lookup table for the sums per person
    n = len(df)

    carry_in = state.carry.reindex(ids).fillna(0).astype("int64").to_numpy()
    credited, target = df["credited"].to_numpy(), df["target"].to_numpy()
    x = credited + carry_in
    base = round_half_up(obj(target) * p.base_ratio.numerator, p.base_ratio.denominator).astype("int64")

    entries = state.shortfall[state.shortfall["employee_id"].isin(ids)]
    s_total = _per_person(entries["unfilled"], entries["employee_id"], index)
    has_s = s_total > 0
    new = df["is_new_hire_quarter"].to_numpy() & p.new_hire_without_task
    code = np.select(
        [new, x < base, (x < target) & ~has_s, x < target, (x < p.full_threshold) & ~has_s,
         x < p.full_threshold], [0, 1, 2, 3, 4, 5], 6)

    # fill the open entries oldest first with the excess E = X − B (cases 2 to 6)
    excess = np.where(code >= 2, x - base, 0)
    e = entries.assign(avail=entries["employee_id"].map(pd.Series(excess, index=ids.to_numpy())))
    before = e.groupby("employee_id", sort=False)["unfilled"].cumsum() - e["unfilled"]
    e["fill"] = (e["avail"] - before).clip(lower=0, upper=e["unfilled"])
    e["open"] = e["unfilled"] - e["fill"]
    e["done"] = (e["fill"] > 0) & (e["open"] == 0)
    filled = _per_person(e["fill"], e["employee_id"], index)
    backpay_base = _per_person(e["base"].where(e["done"], 0), e["employee_id"], index)

    rest = excess - filled                       # R = max(0, E − S_total)
    span = target - base                         # T − B
    commission_base = np.select(
        [code == 0, code == 1, code <= 3, code <= 5],
        [x, np.zeros(n, dtype="int64"), rest + base, base + np.minimum(rest, span)], x - filled)
    carry_raw = np.where((code == 4) | (code == 5), np.maximum(0, rest - span), 0)

    # leaving and year end
    left = df["left"].to_numpy()
    year_end = q.first_month == 10
    carry_act = np.where(left, p.leaving_carry, p.year_end_carry if year_end else "keep")
    short_act = np.where(left, p.leaving_shortfall, p.year_end_shortfall if year_end else "keep")
    paid_out = np.where(carry_act == "pay_out", carry_raw, 0)
    lapsed_carry = np.where(carry_act == "lapse", carry_raw, 0)
    carry_out = carry_raw - paid_out - lapsed_carry
    commission_base = commission_base + paid_out

    opened = pd.DataFrame({"employee_id": ids, "quarter": q.label, "base": base,
                           "unfilled": base - x})[code == 1]
    still_open = pd.concat([e.loc[e["open"] > 0, ["employee_id", "quarter", "base"]]
                            .assign(unfilled=e["open"]), opened], ignore_index=True)
    lapsing = still_open["employee_id"].isin(ids[short_act == "lapse"])
    lapsed_short = _per_person(still_open["unfilled"].where(lapsing, 0), still_open["employee_id"], index)
    kept = still_open[~lapsing]

    # exact amounts (Fractions), and the paid amounts rounded half up to the fen from the same
    # integer numerators: amount = N / D, factor = F / G per person, bonus = N × F / (D × G)
    coef = df["kpi_coefficient"].to_numpy()
    rate, srate = p.rate, p.service_rate
    task_n = obj(commission_base) * rate.numerator
    back_n = obj(backpay_base) * rate.numerator
    serv_n = obj(df["service_revenue"].to_numpy()) * srate.numerator
    amount_n = (task_n + back_n) * srate.denominator + serv_n * rate.denominator
    amount_d = rate.denominator * srate.denominator
    f_n, f_d = _factor(coef, p)
    commission_x, backpay_x = _exact(task_n, rate.denominator), _exact(back_n, rate.denominator)
    service_x, factor = _exact(serv_n, srate.denominator), _shared(f_n, f_d)
    bonus_x = _exact(amount_n * f_n, amount_d * f_d)
    dept_ok = ~df["manager_department_met"].isin([False]).to_numpy()
    floating = (code >= 4) & (dept_ok | (not p.manager_needs_both))

    rows = pd.DataFrame({
        "quarter": q.label, "employee_id": ids, "credited": credited, "carry_in": carry_in, "X": x,
        "base": base, "target": target, "case": pd.Series(code, dtype=object).where(code != 0, "new"),
        "commission": _half_up(task_n, rate.denominator), "backpay": _half_up(back_n, rate.denominator),
        "service_commission": _half_up(serv_n, srate.denominator), "kpi_coefficient": coef,
        "bonus": _half_up(amount_n * f_n, amount_d * f_d),
        "floating_wage_paid": floating, "withheld": np.where(code == 1, p.withholding, 0),
        "shortfall_after": _per_person(kept["unfilled"], kept["employee_id"], index),
        "carry_out": carry_out,
        # exact detail, used by the statement text and by checks
        "service_revenue": df["service_revenue"].to_numpy(), "shortfall_before": s_total,
        "filled_total": filled, "commission_base": commission_base, "backpay_base": backpay_base,
        "commission_exact": commission_x, "backpay_exact": backpay_x, "service_exact": service_x,
        "factor": factor, "bonus_exact": bonus_x, "carry_paid_out": paid_out,
        "carry_lapsed": lapsed_carry, "shortfall_lapsed": lapsed_short, "left": left,
        "department_blocked": (code >= 4) & ~dept_ok & p.manager_needs_both,
    })
    rows["formula"], rows["filled"] = ledger_text.describe(rows, e[e["fill"] > 0], p, year_end)

    carry = pd.concat([state.carry[~state.carry.index.isin(ids)],
                       pd.Series(carry_out, index=ids.to_numpy())[carry_out != 0]]).astype("int64")
    # oldest first per person (labels such as 2026Q3 sort in time order)
    shortfall = pd.concat([state.shortfall[~state.shortfall["employee_id"].isin(ids)], kept],
                          ignore_index=True).sort_values("quarter", kind="stable", ignore_index=True)
    new_state = LedgerState(carry=carry, shortfall=shortfall[ENTRY_COLUMNS], last_quarter=q)
    return (rows if exact else ledger_text.table(rows)), new_state


# helpers -----------------------------------------------------------------------------------
def _per_person(values: pd.Series, owners: pd.Series, ids: pd.Index) -> np.ndarray:
    """Sum of `values` per owner, in the order of `ids` (0 for who has none)."""
    out = np.zeros(len(ids), dtype="int64")
    at = ids.get_indexer(owners.to_numpy())
    mine = at >= 0
    np.add.at(out, at[mine], values.to_numpy()[mine].astype("int64"))
    return out


ZERO = Fraction(0)


def _exact(num, den) -> np.ndarray:
    """Fractions num / den of object ints (den > 0, one or one per value); one shared 0."""
    num = obj(num)
    dens = np.broadcast_to(obj(den), num.shape).tolist()
    out = np.empty(len(num), dtype=object)
    out[:] = [ZERO if n == 0 else Fraction(n, d) for n, d in zip(num.tolist(), dens)]
    return out


def _shared(num, den) -> np.ndarray:
    """Fractions num / den, one object per distinct pair (a factor takes a few values)."""
    seen: dict = {}
    out = np.empty(len(num), dtype=object)
    out[:] = [seen[k] if k in seen else seen.setdefault(k, Fraction(*k)) for k in zip(num.tolist(), den.tolist())]
    return out


def _half_up(num, den) -> np.ndarray:
    """num / den in fen, halves up (四舍五入), as int64."""
    if len(num) == 0:
        return np.zeros(0, dtype="int64")
    return round_half_up(num, den).astype("int64")


def _factor(coef: np.ndarray, p: LedgerParams) -> tuple[np.ndarray, np.ndarray]:
    """fixed + variable × coefficient per person, as integer numerator and denominator arrays."""
    c_n = np.array([f.numerator for f in coef], dtype=object)
    c_d = np.array([f.denominator for f in coef], dtype=object)
    fw, vw = p.fixed_weight, p.variable_weight
    return (fw.numerator * vw.denominator * c_d + vw.numerator * fw.denominator * c_n,
            fw.denominator * vw.denominator * c_d)


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


def _inputs(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """The quarter's table with fen as int64, flags as bool, coefficients as Fraction."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"ledger {label}: column(s) {', '.join(missing)} missing; "
                         f"columns present: {', '.join(map(str, frame.columns))}")
    df = frame.reset_index(drop=True)
    ids = df["employee_id"]
    problems = [f"employee {i}: appears more than once" for i in ids[ids.duplicated()].unique()]
    out = pd.DataFrame({"employee_id": ids.astype(object)})
    for col in ("credited", "target", "service_revenue"):
        raw = df[col] if col in df else pd.Series(0, index=df.index)
        if isinstance(raw.dtype, np.dtype) and raw.dtype.kind == "i":      # whole fen already
            values = raw.astype("int64")
            bad = values < 0 if col == "target" else pd.Series(False, index=df.index)
        else:
            values = pd.Series(_fractions(raw), index=df.index, dtype=object)
            bad = values.map(lambda f: f is None or f.denominator != 1 or (col == "target" and f < 0))
            values = values.where(~bad, 0).map(int)
        problems += [f"employee {i}: {col} {v!r} is not a whole number of fen"
                     + (" >= 0" if col == "target" else "")
                     for i, v in zip(ids[bad], df.loc[bad, col] if col in df else [])]
        out[col] = values.astype("int64")
    for col in ("is_new_hire_quarter", "left"):
        flags = df[col] if col in df else pd.Series(False, index=df.index)
        out[col] = flags.astype(object).where(flags.notna(), False).astype(bool)
    met = df["manager_department_met"] if "manager_department_met" in df else pd.Series(None, index=df.index)
    out["manager_department_met"] = met.astype(object).where(met.notna(), None).map(
        lambda v: None if v is None else bool(v))
    coef = pd.Series(_fractions(df["kpi_coefficient"]), index=df.index, dtype=object)
    bad = pd.Series([f is None or not 0 <= f.numerator <= f.denominator for f in coef], index=df.index,
                    dtype=bool)
    problems += [f"employee {i}: kpi_coefficient {v!r} is not in [0, 1]"
                 for i, v in zip(ids[bad], df.loc[bad, "kpi_coefficient"])]
    out["kpi_coefficient"] = coef
    if problems:
        raise ValueError(f"ledger {label}: " + "; ".join(problems))
    return out
