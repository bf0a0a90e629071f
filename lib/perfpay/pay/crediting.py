"""Crediting of SPEC 7: collected deals → what each salesperson gets into the task and service
streams of the commission ledger.

    result = credit(inputs.deals, params)          # params: loaded params/, LedgerParams, ...
    result.lines                                   # one row per deal row, with rule and formula
    result.sums()                                  # quarter, employee_id, credited_fen, service_fen

A *collection* (deal line) is the rows sharing deal_id, revenue_type, date and refund mark:
one payment of one revenue type of one deal, every row repeating its whole amount, split
among the people by their shares (which add up to 1). The rules, all exact in integer fen:

- only CRM deals count: a row without crm_id is listed with stream "excluded" and a reason;
- software 软件 and implementation 实施 count toward the task; secondary development 二次开发
  at gross margin (amount − cost, a negative margin counts negative); maintenance 维护 and
  training 培训 go to the service stream (ungated, outside the task). With the parameter
  implementation_stream = service, implementation goes to the service stream too;
- implementation sold below its standard quote: the difference is reclassified from the
  software of the same deal collected in the same quarter (按标准报价划拨实施费), at most what
  that software holds (several collections: oldest first). The reclassified part always
  stays in the task stream (the software rate). It shows on both sides: `reclassified` is
  negative on the software rows (taken out) and positive on the implementation rows (put
  in); per deal and quarter they add up to 0. With implementation_stream = service the
  implementation row is split in two lines: its own amount in the service stream, the
  reclassified part in the task stream. No software in that quarter: nothing is moved,
  the formula and `notes` say so;
- a refund (negative amount) reduces the stream of its revenue type in the quarter of its date;
- a collection is split among its people by largest remainder to the fen, so that the
  parts add up exactly; ties go to the larger share, then the lower employee_id, then
  the earlier row. Negative amounts split by magnitude, so that a refund mirrors its sale.

Summing `credited` by stream gives the ledger's inputs: task credit (`credited`) and
service revenue (`service_revenue`), both in fen (see `sums`).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from ..exact import CENT, ints, to_decimal
from ..periods import Period
from .ledger import STREAMS, LedgerParams

COLUMNS = ["quarter", "date", "deal_id", "crm_id", "employee_id", "revenue_type", "amount", "cost",
           "standard_quote", "share", "stream", "credited", "reclassified", "rule", "formula", "reason",
           "_file", "_row"]
SUM_COLUMNS = ["quarter", "employee_id", "credited_fen", "service_fen"]
REVENUE_TYPES = ("software", "implementation", "secondary_dev", "maintenance", "training")
REQUIRED = ("date", "deal_id", "crm_id", "employee_id", "revenue_type", "amount")
LINE = ["deal_id", "revenue_type", "date", "refund"]

CRM_REASON = "未进入CRM系统的项目一律不计提奖金、不计入销售任务额 (no CRM id)"
RULES = {
    "excluded": "only deals recorded in the CRM count (SPEC 7 crediting)",
    "software": "software 软件 counts toward the task (SPEC 7 crediting)",
    "software_reclassified": "software 软件 counts toward the task, less the part reclassified to "
                             "implementation 按标准报价划拨实施费 (SPEC 7 crediting)",
    "implementation_task": "implementation 实施 counts toward the task (SPEC 7 crediting; "
                           "implementation_stream task)",
    "implementation_service": "implementation 实施 earns the service rate, ungated, outside the task "
                              "(SPEC 7 crediting; implementation_stream service)",
    "reclassified": "implementation reclassified from software 按标准报价划拨实施费 earns the software "
                    "(task) rate (SPEC 7 crediting)",
    "secondary_dev": "secondary development 二次开发 counts toward the task at gross margin "
                     "(SPEC 7 crediting)",
    "maintenance": "maintenance 维护 earns the service rate, ungated, outside the task (SPEC 7 crediting)",
    "training": "training 培训 earns the service rate, ungated, outside the task (SPEC 7 crediting)",
}
MINUS = "\u2212"


class CreditResult:
    """`lines`: one row per deal row (COLUMNS); `notes`: what the formulas flag, once per collection.

    From `credit`, both are made on first use: `sums()` needs neither, and the ledger replays
    every quarter from the first while statements show only the quarters paid."""

    def __init__(self, lines: pd.DataFrame | None = None, notes: list[str] | None = None, *, worked=None):
        self._worked = worked               # credit()'s rows in line order, amounts in fen
        self._lines = lines
        self._notes = notes if notes is not None or worked is not None else []

    @property
    def lines(self) -> pd.DataFrame:
        if self._lines is None:
            self._lines = _lines(self._worked)
        return self._lines

    @property
    def notes(self) -> list[str]:
        if self._notes is None:
            self._notes = _notes(self._worked)
        return self._notes

    @property
    def excluded(self) -> pd.DataFrame:
        return self.lines[self.lines["stream"] == "excluded"]

    def task_fen(self) -> pd.DataFrame:
        return task_fen(self.lines)

    def service_fen(self) -> pd.DataFrame:
        return service_fen(self.lines)

    def sums(self) -> pd.DataFrame:
        """quarter, employee_id, credited_fen, service_fen: see `fen_sums`."""
        if self._worked is not None:
            d = self._worked
            return _fen_sums(d[["quarter", "employee_id", "stream"]], d["credited_fen"].to_numpy(dtype=object))
        return fen_sums(self.lines)

    per_person = sums


# sums -------------------------------------------------------------------------------------------
def _stream_sum(lines: pd.DataFrame, stream: str, name: str, fen=None) -> pd.DataFrame:
    """Per quarter × person: the fen credited into `stream`; everyone with a line (0 if none there).
    `fen`: each line's credited fen, when known (else from its Decimal yuan)."""
    if lines.empty:
        return pd.DataFrame({"quarter": pd.Series(dtype=object), "employee_id": pd.Series(dtype=object),
                             name: pd.Series(dtype="int64")})
    if fen is None:
        fen = ints(lines["credited"].to_numpy(dtype=object), CENT)
    fen = pd.Series(fen, index=lines.index).astype("int64")
    fen = fen.where(lines["stream"] == stream, 0)
    out = fen.groupby([lines["quarter"], lines["employee_id"]], sort=True).sum()
    return out.astype("int64").rename(name).reset_index()


def task_fen(lines: pd.DataFrame) -> pd.DataFrame:
    """quarter, employee_id, credited_fen: task credit per person and quarter (the ledger's `credited`)."""
    return _stream_sum(lines, "task", "credited_fen")


def service_fen(lines: pd.DataFrame) -> pd.DataFrame:
    """quarter, employee_id, service_fen: service revenue (the ledger's `service_revenue`)."""
    return _stream_sum(lines, "service", "service_fen")


def fen_sums(lines: pd.DataFrame) -> pd.DataFrame:
    """quarter, employee_id, credited_fen, service_fen (int fen); people with only excluded
    deals appear with 0 and 0."""
    return _fen_sums(lines)


def _fen_sums(lines: pd.DataFrame, fen=None) -> pd.DataFrame:
    return _stream_sum(lines, "task", "credited_fen", fen).merge(
        _stream_sum(lines, "service", "service_fen", fen), on=["quarter", "employee_id"], how="outer") \
        .fillna(0).astype({"credited_fen": "int64", "service_fen": "int64"})[SUM_COLUMNS] \
        .sort_values(["quarter", "employee_id"], ignore_index=True)


# crediting ----------------------------------------------------------------------------------------
def credit(deals: pd.DataFrame, params) -> CreditResult:
    """Credit `deals` (the `deals` frame of the inputs, or the same columns by hand).

    `params`: a loaded params folder (each quarter uses the implementation_stream in force on
    its first day), a LedgerParams, a commission document (dict) resolved for one period,
    or simply "task" / "service". Raises ValueError on a frame the input checks would reject
    (shares of a collection not adding up to 1, rows of a collection that disagree, an
    unknown revenue type, more than 2 decimals of yuan).
    """
    d = _prepare(deals)
    if d.empty:
        return CreditResult(pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}))
    rt = d["revenue_type"]
    d["impl_stream"] = _implementation_streams(d["quarter"], params)
    included = d["crm_id"] != ""
    impl_task = rt.eq("implementation") & d["impl_stream"].eq("task")

    take, give, need = _reclassify(d, included)
    d["need"], d["got"], d["give"] = need, take, give

    amount, cost = d["amount_fen"].to_numpy(dtype=object), d["cost_fen"].to_numpy(dtype=object)
    value = np.select([rt.eq("software"), impl_task, rt.eq("secondary_dev")],
                      [amount - give, amount + take, amount - cost], amount).astype(object)
    value = np.where(included, value, 0).astype(object)
    d["value"] = value
    d["credited_fen"] = _split(d, value)
    d["moved_fen"] = _split(d, np.where(rt.eq("software"), give, take).astype(object))
    d["reclassified_fen"] = np.where(rt.eq("software"), -d["moved_fen"].to_numpy(dtype=object),
                                     d["moved_fen"].to_numpy(dtype=object)).astype(object)
    d["stream"] = np.select([~included, rt.isin(["software", "secondary_dev"]), rt.eq("implementation")],
                            ["excluded", "task", d["impl_stream"]], "service")
    d["extra"] = False

    # implementation in the service stream: the reclassified part is a task line of its own
    split_off = rt.eq("implementation") & ~impl_task & (d["got"] > 0)
    extra = d[split_off].copy()
    extra["stream"], extra["extra"] = "task", True
    extra["credited_fen"] = extra["reclassified_fen"]
    d.loc[split_off, "reclassified_fen"] = 0
    d = pd.concat([d, extra], ignore_index=True)

    d = d.sort_values(["quarter", "date", "deal_id", "type_order", "refund", "employee_id", "extra",
                       "_order"], kind="stable", ignore_index=True)
    return CreditResult(worked=d)


def _lines(d: pd.DataFrame) -> pd.DataFrame:
    """The lines of `credit`'s worked rows: amounts in Decimal yuan, each line's rule and formula."""
    rule, formula = _texts(d)
    reason = np.where(d["stream"].eq("excluded"), CRM_REASON, "")
    return pd.DataFrame({
        "quarter": d["quarter"], "date": d["date"], "deal_id": d["deal_id"], "crm_id": d["crm_id"],
        "employee_id": d["employee_id"], "revenue_type": d["revenue_type"],
        "amount": to_decimal(d["amount_fen"]), "cost": _maybe_decimal(d["cost_fen"], d["has_cost"]),
        "standard_quote": _maybe_decimal(d["quote_fen"], d["has_quote"]), "share": d["share"],
        "stream": d["stream"], "credited": to_decimal(d["credited_fen"]),
        "reclassified": to_decimal(d["reclassified_fen"]), "rule": rule, "formula": formula,
        "reason": reason, "_file": d["_file"], "_row": d["_row"]})


# preparing --------------------------------------------------------------------------------------
def _prepare(deals: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in deals.columns]
    if missing:
        raise ValueError(f"deals: column(s) {', '.join(missing)} missing; "
                         f"columns present: {', '.join(map(str, deals.columns))}")
    d = deals.reset_index(drop=True).copy()
    d["_order"] = np.arange(len(d))
    for col, default in (("cost", None), ("standard_quote", None), ("share", None), ("refund", None),
                         ("_file", None), ("_row", None)):
        if col not in d:
            d[col] = default
    if d.empty:
        return d
    d["date"] = _unique_map(d["date"], lambda x: pd.Timestamp(x).date())
    if "quarter" not in deals.columns:
        d["quarter"] = None
    d["quarter"] = d["quarter"].where(d["quarter"].notna(), _unique_map(d["date"], _quarter_of))
    d["crm_id"] = _unique_map(d["crm_id"], lambda x: str(x).strip()).fillna("")
    problems = []
    bad_type = ~d["revenue_type"].isin(REVENUE_TYPES)
    problems += [f"row {i}: revenue type {t!r} is not one of {', '.join(REVENUE_TYPES)}"
                 for i, t in zip(d.index[bad_type], d["revenue_type"][bad_type])]
    d["type_order"] = d["revenue_type"].map({t: i for i, t in enumerate(REVENUE_TYPES)})
    d["amount_fen"], bad = _fen_column(d["amount"])
    problems += [f"row {i}: amount {v!r} is not yuan to the fen" for i, v in zip(d.index[bad], d["amount"][bad])]
    d["has_cost"] = d["cost"].notna() & d["revenue_type"].eq("secondary_dev")
    d["cost_fen"], bad = _fen_column(d["cost"].where(d["has_cost"], None))
    problems += [f"row {i}: cost {v!r} is not yuan to the fen" for i, v in zip(d.index[bad], d["cost"][bad])]
    d["has_quote"] = d["standard_quote"].notna() & d["revenue_type"].eq("implementation")
    d["quote_fen"], bad = _fen_column(d["standard_quote"].where(d["has_quote"], None))
    problems += [f"row {i}: standard quote {v!r} is not yuan to the fen"
                 for i, v in zip(d.index[bad], d["standard_quote"][bad])]
    refund = d["refund"].astype(object).where(d["refund"].notna(), False).astype(bool)
    d["refund"] = refund | (d["amount_fen"] < 0)
    d["share_f"], d["share_n"], d["share_d"], bad = _shares(d["share"].where(d["share"].notna(), 1))
    problems += [f"row {i}: share {v!r} is not above 0 and at most 1"
                 for i, v in zip(d.index[bad], d["share"][bad])]
    d["share"] = d["share"].where(d["share"].notna(), Decimal(1))
    if problems:
        raise ValueError("deals: " + "; ".join(problems))

    d["line"] = d.groupby(LINE, sort=False, dropna=False).ngroup()
    g = d.groupby("line")
    whole = math.lcm(*{int(x) for x in d["share_d"]})        # every share as an integer of 1 / whole
    total = _line_sums(d["share_n"] * (whole // d["share_d"]), d["line"])
    for col in ("amount_fen", "cost_fen", "quote_fen", "crm_id", "has_quote"):
        split = g[col].nunique()
        problems += [f"collection {_line_name(d, k)}: rows disagree on {col.removesuffix('_fen')}"
                     for k in split.index[split > 1]]
    off = total[(total != whole).to_numpy(dtype=bool)]
    problems += [f"collection {_line_name(d, k)}: shares add up to {Fraction(int(v), whole)}, not 1"
                 for k, v in off.items()]
    dup = d.duplicated(["line", "employee_id"], keep=False)
    problems += [f"collection {_line_name(d, k)}: {e} has more than one row"
                 for k, e in d.loc[dup, ["line", "employee_id"]].drop_duplicates().itertuples(index=False)]
    if problems:
        raise ValueError("deals: " + "; ".join(problems))
    return d


def _line_name(d: pd.DataFrame, line: int) -> str:
    row = d[d["line"] == line].iloc[0]
    return f"{row['deal_id']} {row['revenue_type']} {row['date']}" + (" (refund)" if row["refund"] else "")


def _quarter_of(day) -> str:
    return Period.of_month(day.year, day.month).quarter.label


def _unique_map(series: pd.Series, fn) -> pd.Series:
    """fn over a column, once per distinct value (None stays None)."""
    out = pd.Series([None] * len(series), index=series.index, dtype=object)
    m = series.notna().to_numpy()
    if m.any():
        codes, uniques = pd.factorize(series[m].to_numpy(dtype=object))
        results = np.empty(len(uniques), dtype=object)
        results[:] = [fn(u) for u in uniques]
        out[m] = results[codes]
    return out


def _fen_column(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yuan (Decimal / int / text, None = 0) → int fen; and the mask of values not to the fen."""
    def fen(v) -> tuple[int, bool]:
        n, d = (v if type(v) is Decimal else Decimal(str(v))).as_integer_ratio()   # exact, as Fraction does
        whole, rest = divmod(n * CENT, d)
        return (0, True) if rest else (whole, False)

    made = _unique_map(values, fen).tolist()                  # None where blank: 0, not bad
    return (pd.Series([0 if m is None else m[0] for m in made], index=values.index, dtype=object).astype("int64"),
            pd.Series([m is not None and m[1] for m in made], index=values.index, dtype=bool))


def _shares(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Each share as a Fraction, its numerator and denominator, and whether it is not above 0
    and at most 1; worked out once per distinct value."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    made = [Fraction(u) for u in uniques]
    share = np.empty(len(made), dtype=object)
    share[:] = made
    num, den = _int_array([f.numerator for f in made]), _int_array([f.denominator for f in made])
    bad = np.array([not 0 < f <= 1 for f in made], dtype=bool)
    return tuple(pd.Series(a[codes], index=values.index) for a in (share, num, den, bad))


def _int_array(values) -> np.ndarray:
    """Integers as int64 when they are small enough for the sums made of them, else Python ints."""
    if all(abs(v) < 2**40 for v in values):
        return np.array(values, dtype="int64")
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _line_sums(values: pd.Series, line: pd.Series) -> pd.Series:
    """Sum per collection, exact (int64 sums when the values are small, Python ints otherwise)."""
    if values.dtype == object:
        sums: dict = {}
        for k, v in zip(line.tolist(), values.tolist()):
            sums[k] = sums.get(k, 0) + v
        return pd.Series(sums, dtype=object).sort_index()
    return values.groupby(line).sum()


def _implementation_streams(quarters: pd.Series, params) -> pd.Series:
    if isinstance(params, str):
        if params not in STREAMS:
            raise ValueError(f"implementation stream {params!r}: use one of {', '.join(STREAMS)}")
        return pd.Series(params, index=quarters.index, dtype=object)
    if isinstance(params, LedgerParams):
        return pd.Series(params.implementation_stream, index=quarters.index, dtype=object)
    if isinstance(params, dict):
        return pd.Series(LedgerParams.from_document(params).implementation_stream, index=quarters.index,
                         dtype=object)
    if hasattr(params, "document"):
        return _unique_map(quarters, lambda q: LedgerParams.load(params, q).implementation_stream)
    raise TypeError(f"params: expected loaded params, LedgerParams, a commission document or "
                    f"'task' / 'service', got {type(params).__name__}")


# rules --------------------------------------------------------------------------------------------
def _reclassify(d: pd.DataFrame, included: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row (its collection's values): (taken into implementation, given by software, needed).

    Per deal and quarter, implementation collections below their standard quote need
    quote − amount; software collections of the same deal and quarter give it, oldest first,
    at most what they hold. Both sides are filled in date order with a cumulative sum.
    """
    lines = d.drop_duplicates("line").sort_values(["date", "_order"], kind="stable")
    rt, own = lines["revenue_type"], included[lines.index] & ~lines["refund"]
    needy = rt.eq("implementation") & own & lines["has_quote"] & (lines["quote_fen"] > lines["amount_fen"])
    source = rt.eq("software") & own & (lines["amount_fen"] > 0)
    group = lines["deal_id"].astype(str) + "\x1f" + lines["quarter"].astype(str)
    need = pd.Series(np.where(needy, lines["quote_fen"] - lines["amount_fen"], 0), index=lines.index)
    have = pd.Series(np.where(source, lines["amount_fen"], 0), index=lines.index)
    taken = np.minimum(need.groupby(group).transform("sum"), have.groupby(group).transform("sum"))

    def fill(amounts: pd.Series) -> pd.Series:
        before = amounts.groupby(group).cumsum() - amounts
        return np.minimum((taken - before).clip(lower=0), amounts)

    got, gave = fill(need), fill(have)
    per_line = lambda s: s.set_axis(lines["line"].to_numpy()).reindex(d["line"]).to_numpy(dtype="int64")  # noqa: E731
    return per_line(got), per_line(gave), per_line(need)


def _split(d: pd.DataFrame, values: np.ndarray) -> np.ndarray:
    """Each row's part of its collection's `values` (fen, the same on every row of a collection)
    by share, largest remainder to the fen: the parts add up to the value exactly.

    Ties: the larger share first, then the lower employee_id, then the earlier row. Negative
    values are split by magnitude, so that a refund mirrors the sale it undoes.
    """
    v = np.asarray(values, dtype=object)
    neg = v < 0
    mag = np.where(neg, -v, v)
    num, den = d["share_n"].to_numpy(), d["share_d"].to_numpy()
    whole = math.lcm(*{int(x) for x in den})               # shares compared as integers of 1 / whole
    prod = mag * num
    floor, rem = prod // den, (prod % den) * (whole // den)
    small = _small(mag, prod, rem, num * (whole // den))
    line = d["line"].to_numpy()
    if small is None:                                       # beyond int64: the same, on Python ints
        left = mag - pd.Series(floor, dtype=object).groupby(line).transform("sum").to_numpy()
        order = pd.DataFrame({"line": line, "rem": rem, "share": num * (whole // den),
                              "emp": d["employee_id"].astype(str).to_numpy(), "row": d["_order"].to_numpy()})
        order = order.sort_values(["line", "rem", "share", "emp", "row"],
                                  ascending=[True, False, False, True, True], kind="stable").index.to_numpy()
    else:
        mag, prod, rem, share = small
        floor = prod // den.astype("int64")
        left = mag - pd.Series(floor).groupby(line).transform("sum").to_numpy()
        emp = pd.factorize(d["employee_id"].astype(str).to_numpy(), sort=True)[0]
        order = np.lexsort((d["_order"].to_numpy(), emp, -share, -rem, line))
    ranked = line[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    rank = np.empty(len(order), dtype="int64")
    rank[order] = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    part = (floor + (rank < left)).astype(object)
    return np.where(neg, -part, part).astype(object)


def _small(*arrays) -> tuple | None:
    """The arrays as int64 when every value fits with room to spare, else None."""
    try:
        out = tuple(np.asarray(a, dtype=object).astype("int64") for a in arrays)
    except OverflowError:
        return None
    return out if all(len(a) == 0 or np.abs(a).max() < 2**62 for a in out) else None


# texts ------------------------------------------------------------------------------------------
def _money(fen) -> str:
    v = int(fen)
    whole, cent = divmod(abs(v), 100)
    return ("-" if v < 0 else "") + f"{whole:,}.{cent:02d}"


def _yuan(values) -> pd.Series:
    return _unique_map(pd.Series(np.asarray(values, dtype=object), dtype=object), _money).reset_index(drop=True)


def share_text(value) -> str:
    f = Fraction(value)
    den = f.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return f"{f.numerator}/{f.denominator}"
    return format((Decimal(f.numerator) * 100 / Decimal(f.denominator)).normalize(), "f") + "%"


def _texts(d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(rule, formula) of every row, built column-wise."""
    d = d.reset_index(drop=True)
    rt, stream, extra = d["revenue_type"], d["stream"], d["extra"].to_numpy(dtype=bool)
    amount, value_t, credited = _yuan(d["amount_fen"]), _yuan(d["value"]), _yuan(d["credited_fen"])
    value = d["value"].to_numpy(dtype=object)
    cost, quote = _yuan(d["cost_fen"]), _yuan(d["quote_fen"])
    need, got, give = (d[c].to_numpy(dtype=object) for c in ("need", "got", "give"))
    share = " × share " + _unique_map(d["share"], share_text).reset_index(drop=True)
    tail = share + " = " + credited
    excluded = stream.eq("excluded").to_numpy()
    software, impl, dev = rt.eq("software").to_numpy(), rt.eq("implementation").to_numpy(), \
        rt.eq("secondary_dev").to_numpy()
    impl_task = impl & d["impl_stream"].eq("task").to_numpy()
    short = impl & (need > 0) & (got < need)
    no_source = short & (got == 0)

    formula = amount + tail
    formula = _put(formula, software & (give > 0),
                   amount + f" {MINUS} reclassified to implementation " + _yuan(give) + " = " + value_t + tail)
    formula = _put(formula, impl_task & (got > 0),
                   amount + " + reclassified from software " + _yuan(got) + " (standard quote " + quote + ") = "
                   + value_t + tail)
    formula = _put(formula, impl & ~impl_task & (got > 0) & ~extra,
                   amount + tail + " (standard quote " + quote + ": " + _yuan(got) +
                   " reclassified from software is credited to the task on its own line)")
    formula = _put(formula, extra,
                   "standard quote " + quote + f" {MINUS} implementation " + amount + " = reclassified from software "
                   + _yuan(got) + tail + " at the software (task) rate")
    formula = _put(formula, short & ~no_source,
                   formula + "; " + _yuan(need) + " below the standard quote, the software of the deal in "
                   + d["quarter"] + " held only " + _yuan(got))
    formula = _put(formula, no_source,
                   formula + "; below its standard quote " + quote + " by " + _yuan(need) + ", but "
                   + d["deal_id"] + " has no software collected in "
                   + d["quarter"] + " to take it from: nothing reclassified")
    formula = _put(formula, dev, amount + f" {MINUS} cost " + cost + " = " + value_t + tail)
    formula = _put(formula, dev & (value < 0), formula + " (negative margin: counts negative)")
    formula = _put(formula, excluded, amount + share + ": not credited (not in the CRM)")

    rule = pd.Series(rt.map(RULES).to_numpy(dtype=object), dtype=object)
    rule = _put(rule, software & (give > 0), pd.Series(RULES["software_reclassified"], index=rule.index))
    rule = _put(rule, impl & impl_task, pd.Series(RULES["implementation_task"], index=rule.index))
    rule = _put(rule, impl & ~impl_task, pd.Series(RULES["implementation_service"], index=rule.index))
    rule = _put(rule, extra, pd.Series(RULES["reclassified"], index=rule.index))
    refund = d["refund"].to_numpy(dtype=bool)
    rule = _put(rule, refund & ~excluded,
                rule + "; a refund 退款 reduces the " + stream + " stream of " + d["quarter"])
    rule = _put(rule, excluded, pd.Series(RULES["excluded"], index=rule.index))
    return rule.to_numpy(dtype=object), formula.to_numpy(dtype=object)


def _put(text: pd.Series, mask, other: pd.Series) -> pd.Series:
    return text.where(~np.asarray(mask, dtype=bool), other)


def _maybe_decimal(fen: pd.Series, present: pd.Series) -> list:
    values = to_decimal(fen.to_numpy(dtype=object))
    return [v if p else None for v, p in zip(values, present)]


def _notes(d: pd.DataFrame) -> list[str]:
    """One note per collection that the statement should point out."""
    first = d[~d["extra"]].drop_duplicates("line")
    need, got, value = (first[c].to_numpy(dtype=object) for c in ("need", "got", "value"))
    impl, dev = first["revenue_type"].eq("implementation").to_numpy(), first["revenue_type"].eq("secondary_dev")
    first = first[(impl & (need > 0)) | (dev.to_numpy() & (value < 0))]      # the lines a note may be about
    need, got, value = (first[c].to_numpy(dtype=object) for c in ("need", "got", "value"))
    impl = first["revenue_type"].eq("implementation").to_numpy()
    name = first["deal_id"] + " " + first["revenue_type"] + " of " + first["date"].astype(str) + " (" \
        + first["quarter"] + ")"
    notes = [
        (impl & (need > 0) & (got == 0),
         name + ": below its standard quote by " + _yuan(need).to_numpy() +
         ", but no software of the deal was collected in the quarter: nothing reclassified"),
        (impl & (got > 0) & (got < need),
         name + ": below its standard quote by " + _yuan(need).to_numpy() + "; only " + _yuan(got).to_numpy() +
         " of software could be reclassified"),
        (first["revenue_type"].eq("secondary_dev").to_numpy() & (value < 0),
         name + ": negative gross margin " + _yuan(value).to_numpy() + " counts negative"),
    ]
    out = []
    for mask, text in notes:
        out += list(pd.Series(text.to_numpy() if hasattr(text, "to_numpy") else text)[np.asarray(mask, dtype=bool)])
    return out
