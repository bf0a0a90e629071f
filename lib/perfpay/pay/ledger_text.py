"""Readable side of the commission ledger: each row's formula, the entries it filled, the table.

Texts are built on whole columns in C (pyarrow string kernels): a number is formatted as
'5,200' or '5,200.37' from its digit groups (each group's text taken from a table of the
1,000 possible ones), each part of a text only for the rows it applies to, and the parts
joined once. The formula is written when the statement table is
made (`table`), from the exact rows; the texts of the entries filled come with the rows.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..distinct import same_objects
from ..exact import fit, half_up, largest, narrow, to_decimal

TABLE_COLUMNS = ["quarter", "employee_id", "credited", "carry_in", "X", "base", "target", "case",
                 "commission", "backpay", "service_commission", "kpi_coefficient", "bonus",
                 "floating_wage_paid", "withheld", "shortfall_after", "carry_out", "formula", "filled"]
MONEY = ["credited", "carry_in", "X", "base", "target", "commission", "backpay",
         "service_commission", "bonus", "withheld", "shortfall_after", "carry_out"]
NO_FLOATING = "; no floating wage: department target not met"


def table(rows: pd.DataFrame) -> pd.DataFrame:
    """Exact rows → the statement table: money as Decimal yuan with 2 places, the formulas written."""
    if len(rows) == 0:
        return empty_rows()
    out = {c: rows[c].to_numpy() for c in TABLE_COLUMNS if c != "formula"}
    money = _decimals(np.concatenate([out[c] for c in MONEY]))    # each distinct amount made once
    for k, col in enumerate(MONEY):
        out[col] = money[k * len(rows):(k + 1) * len(rows)]
    out["kpi_coefficient"] = _per_object(out["kpi_coefficient"], _decimal)
    out["formula"] = formulas(rows)
    return pd.DataFrame({c: out[c] for c in TABLE_COLUMNS}, copy=False)


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=TABLE_COLUMNS)


def formulas(rows: pd.DataFrame) -> np.ndarray:
    """The formula text of each exact row (object array), quarter by quarter's terms."""
    terms = rows["params"].to_numpy(dtype=object)
    codes, first = same_objects(terms)
    out = np.empty(len(rows), dtype=object)
    col = {c: rows[c].to_numpy() for c in rows.columns}
    col["coefficient_text"] = _per_object(col["kpi_coefficient"], lambda f: _number(Fraction(f)))
    for k, at in enumerate(first):
        i = np.flatnonzero(codes == k) if len(first) > 1 else np.arange(len(rows))
        out[i] = _formulas({c: v[i] for c, v in col.items()}, terms[at])
    return out


def _formulas(col: dict, p) -> np.ndarray:
    """Formula texts of rows sharing one quarter's terms `p`."""
    n = len(col["case"])
    r = f" × {_pct(p.rate)} = "
    case = col["case"]
    is_new = case == "new"
    code = np.where(is_new, 0, case).astype(np.int64)
    x, base, target = col["X"], col["base"], col["target"]
    filled, before, paid_out = col["filled_total"], col["shortfall_before"], col["carry_paid_out"]
    x_t = _yuan(x)
    ledger_t = _yuan(_times(col["commission_base"] - paid_out, p.rate))
    carry = col["carry_out"] + paid_out + col["carry_lapsed"]
    floating = pa.array(np.where(col["department_blocked"].astype(bool), NO_FLOATING, "; floating wage"), pa.string())

    def take(a, i):
        return a.take(pa.array(i))

    cases = {
        0: lambda i: ["new hire, no task: ", take(x_t, i), r, take(ledger_t, i)],
        1: lambda i: ["case 1: X ", take(x_t, i), " < base ", _yuan(base[i]), ": no commission; ",
                      _yuan(col["withheld"][i]), " withheld; shortfall ", _yuan(base[i] - x[i]), " recorded"],
        2: lambda i: ["case 2: ", take(x_t, i), r, take(ledger_t, i)],
        3: lambda i: ["case 3: (max(0, ", _yuan(x[i] - base[i]), " − ", _yuan(before[i]), ") + ",
                      _yuan(base[i]), ") × ", _pct(p.rate), " = ", take(ledger_t, i)],
        4: lambda i: ["case 4: target ", _yuan(target[i]), r, take(ledger_t, i), take(floating, i),
                      "; carry ", _yuan(carry[i])],
        5: lambda i: ["case 5: (", _yuan(base[i]), " + min(", _yuan(x[i] - base[i] - filled[i]), ", ",
                      _yuan(target[i] - base[i]), ")) × ", _pct(p.rate), " = ", take(ledger_t, i),
                      take(floating, i), "; carry ", _yuan(carry[i])],
        6: lambda i: [pc.if_else(pa.array(filled[i] > 0),
                                 _join(["case 6: (", take(x_t, i), " − filled ", _yuan(filled[i]), ")"]),
                                 _join(["case 6: ", take(x_t, i)])),
                      r, take(ledger_t, i), take(floating, i), "; no carry"],
    }
    pieces, order = [], []
    for key, build in cases.items():
        i = np.flatnonzero(code == key)
        if len(i):
            pieces.append(_join(build(i)))
            order.append(i)
    where = np.empty(n, dtype=np.int64)
    where[np.concatenate(order)] = np.arange(n)
    text = pa.concat_arrays(pieces).take(pa.array(where))

    who = pa.array(np.where(col["left"].astype(bool), "leaving", "year end"), pa.string())
    rate, srate = p.rate, p.service_rate
    amount = col["commission_base"] + col["backpay_base"]
    amount_top = largest(amount, col["service_revenue"])
    amount_n, service_n = fit([amount, col["service_revenue"]],
                              2 * amount_top * (rate.numerator * srate.denominator + srate.numerator * rate.denominator)
                              + rate.denominator * srate.denominator)
    amount_n = amount_n * rate.numerator * srate.denominator + service_n * srate.numerator * rate.denominator
    amount_d = rate.denominator * srate.denominator
    parts = [
        (col["carry_in"] != 0, lambda i: ["X = ", _yuan(col["credited"][i]), " + carry ", _yuan(col["carry_in"][i]),
                                          " = ", take(x_t, i), "; "]),
        None,                                                   # the case text
        (col["backpay"] != 0, lambda i: ["; back-pay ", pa.array(col["backpay_from"][i], pa.string()), r,
                                         _yuan(col["backpay"][i])]),
        (col["service_revenue"] != 0, lambda i: ["; service ", _yuan(col["service_revenue"][i]),
                                                 f" × {_pct(srate)} = ", _yuan(col["service_commission"][i])]),
        (paid_out != 0, lambda i: ["; ", take(who, i), ": carry ", _yuan(paid_out[i]), r,
                                   _yuan(_times(paid_out[i], rate)), " paid out"]),
        (col["carry_lapsed"] != 0, lambda i: ["; ", take(who, i), ": carry ", _yuan(col["carry_lapsed"][i]),
                                              " lapses"]),
        (col["shortfall_lapsed"] != 0, lambda i: ["; ", take(who, i), ": shortfall ",
                                                  _yuan(col["shortfall_lapsed"][i]), " lapses"]),
        (amount_n != 0, lambda i: ["; bonus ", _yuan(half_up(amount_n[i], amount_d)),
                                   f" × ({_pct(p.fixed_weight)} + {_pct(p.variable_weight)} × ",
                                   pa.array(col["coefficient_text"][i], pa.string()), ") = ", _yuan(col["bonus"][i])]),
    ]
    joined = []
    for part in parts:
        if part is None:
            joined.append(text)
            continue
        applies, build = part
        i = np.flatnonzero(np.asarray(applies, dtype=bool))
        if len(i):
            joined.append(_place(_join(build(i)), i, n))
    return _join(joined).to_numpy(zero_copy_only=False)


def fill_texts(ids, owners, quarter, base, unfilled, fill, still, done) -> tuple[np.ndarray, np.ndarray]:
    """(filled, backpay_from) per person of `ids` from the entries filled this quarter (owners:
    positions in ids, oldest first): every entry's fill, and the bases paid back, joined per person."""
    n = len(ids)
    if len(owners) == 0:
        empty = np.empty(n, dtype=object)
        empty[:] = ""
        return empty, empty.copy()
    quarter = pa.array(quarter, pa.string())
    base_t = _yuan(base)
    done = np.asarray(done, dtype=bool)
    lines = _join([quarter, " ", _yuan(fill), " of ", _yuan(unfilled),
                   pc.if_else(pa.array(done), _join([" (filled: back-pay on base ", base_t, ")"]),
                              _join([" (", _yuan(still), " still open)"]))])
    filled = _per_owner(lines, owners, n, "; ")
    d = np.flatnonzero(done)
    items = _join([quarter.take(pa.array(d)), " base ", base_t.take(pa.array(d))])
    joined = _per_owner(items, owners[d], n, " + ")
    count = np.bincount(owners[d], minlength=n)
    joined[count > 1] = "(" + joined[count > 1] + ")"
    return filled, joined


# formatting ---------------------------------------------------------------------------------
def _money(fen) -> str:
    v = int(fen)
    whole, cent = divmod(abs(v), 100)
    return ("-" if v < 0 else "") + f"{whole:,}" + (f".{cent:02d}" if cent else "")


# the pieces of a number's text, taken by index: a group of three digits leading ('5') or
# after a comma (',005'), nothing (2000); the fen ('' for none, '.05'); the sign
GROUPS = pa.array([str(g) for g in range(1000)] + [f",{g:03d}" for g in range(1000)] + [""], pa.string())
CENTS = pa.array([""] + [f".{c:02d}" for c in range(1, 100)], pa.string())
SIGN = pa.array(["", "-"], pa.string())


def _yuan(values) -> pa.Array:
    """Fen → '5,200' / '5,200.37' (arrow strings, positional): the digit groups of the whole
    yuan, each taken from GROUPS, then the fen and the sign, joined once."""
    v = np.asarray(values)
    if v.dtype == object:
        v = narrow(v)
    if v.dtype == object or (len(v) and v.min() == np.iinfo(np.int64).min):     # beyond int64
        return pa.array([_money(x) for x in v.tolist()], pa.string())
    if len(v) == 0:
        return pa.array([], pa.string())
    v = v.astype(np.int64, copy=False)
    mag = np.abs(v)
    whole, cent = mag // 100, mag % 100
    top = sum((whole >= 10 ** (3 * k)).astype(np.int64) for k in range(1, 7))     # the leading group
    parts = [SIGN.take(pa.array((v < 0).astype(np.int8)))] if (v < 0).any() else []
    for k in range(int(top.max()), -1, -1):
        g = whole // 10 ** (3 * k) % 1000
        parts.append(GROUPS.take(pa.array(np.where(k > top, 2000, np.where(k == top, g, 1000 + g)))))
    parts.append(CENTS.take(pa.array(cent)))
    return pc.binary_join_element_wise(*parts, "")


def _join(parts: list) -> pa.Array:
    """Element-wise concatenation of arrow string arrays of one length and plain strings."""
    return pc.binary_join_element_wise(*[pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts], "")


def _place(text: pa.Array, i: np.ndarray, n: int) -> pa.Array:
    """Texts of rows `i` put at their rows among n, '' elsewhere."""
    where = np.full(n, len(i), dtype=np.int64)
    where[i] = np.arange(len(i))
    return pa.concat_arrays([text, pa.array([""], pa.string())]).take(pa.array(where))


def _times(values, rate: Fraction) -> np.ndarray:
    """values × rate rounded half up to the fen, int64 while it provably fits."""
    (v,) = fit([np.asarray(values)], largest(np.asarray(values)) * 2 * rate.numerator + rate.denominator)
    return half_up(v * rate.numerator, rate.denominator)


def _decimals(values) -> np.ndarray:
    """Fen → Decimal yuan with 2 places, each distinct value made once (from its text 'fenE-2')."""
    a = np.asarray(values)
    if a.dtype == object:
        a = narrow(a)
    if a.dtype == object or a.dtype.kind not in "iu":
        return np.array(to_decimal(a), dtype=object) if len(a) else np.empty(0, dtype=object)
    codes, distinct = pd.factorize(a)
    text = pc.binary_join_element_wise(pc.cast(pa.array(distinct), pa.string()), "E-2", "")
    made = np.empty(len(distinct), dtype=object)
    made[:] = list(map(Decimal, text.to_pylist()))
    return made[codes]


def _per_object(values, fn) -> np.ndarray:
    """fn of each value of an object array, made once per distinct object and, among
    Fractions, once per distinct value."""
    values = np.asarray(values, dtype=object)
    codes, first = same_objects(values)
    seen: dict = {}
    made = np.empty(len(first), dtype=object)
    for k, v in enumerate(values[first]):
        key = (v.numerator, v.denominator) if isinstance(v, Fraction) else (type(v), id(v))
        if key not in seen:
            seen[key] = fn(v)
        made[k] = seen[key]
    return made[codes]


def _decimal(value: Fraction) -> Decimal:
    f = Fraction(value)
    return Decimal(f.numerator) / Decimal(f.denominator)


def _number(value: Fraction) -> str:
    return format(_decimal(value).normalize(), "f")


def _pct(value: Fraction) -> str:
    return _number(Fraction(value) * 100) + "%"


def _per_owner(texts, owners: np.ndarray, n: int, sep: str) -> np.ndarray:
    """Texts joined per owner position (0..n-1), in their order ('' for who has none): the
    texts sorted by owner (stable) as one list per owner, each list joined in C."""
    texts = texts if isinstance(texts, pa.Array) else pa.array(np.asarray(texts, dtype=object), pa.string())
    owners = np.asarray(owners, dtype=np.int64)
    order = np.argsort(owners, kind="stable")
    offsets = np.r_[0, np.cumsum(np.bincount(owners, minlength=n))].astype(np.int64)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), texts.take(pa.array(order)))
    return pc.binary_join(lists, sep).to_numpy(zero_copy_only=False)
