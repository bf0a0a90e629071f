"""Readable side of the commission ledger: each row's formula, the entries it filled, the table.

Texts are built column-wise, each part only for the rows it applies to; only the formatting
of a single number into '5,200' or '5,200.37' works value by value.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from ..exact import obj, round_half_up, to_decimal

TABLE_COLUMNS = ["quarter", "employee_id", "credited", "carry_in", "X", "base", "target", "case",
                 "commission", "backpay", "service_commission", "kpi_coefficient", "bonus",
                 "floating_wage_paid", "withheld", "shortfall_after", "carry_out", "formula", "filled"]
MONEY = ["credited", "carry_in", "X", "base", "target", "commission", "backpay",
         "service_commission", "bonus", "withheld", "shortfall_after", "carry_out"]


def table(rows: pd.DataFrame) -> pd.DataFrame:
    """Exact rows → the statement table: money as Decimal yuan with 2 places."""
    out = {c: rows[c].to_numpy() for c in TABLE_COLUMNS}
    for col in MONEY:
        out[col] = to_decimal(out[col])
    out["kpi_coefficient"] = _per_value(out["kpi_coefficient"], _decimal)
    return pd.DataFrame(out, columns=TABLE_COLUMNS)


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=TABLE_COLUMNS)


def describe(rows: pd.DataFrame, fills: pd.DataFrame, p, year_end: bool) -> tuple[pd.Series, pd.Series]:
    """(formula, filled) texts of a quarter's exact rows; `fills` = entries filled this quarter.

    Each case's text, and each part after it, is built for the rows it applies to only.
    """
    rows = rows.reset_index(drop=True)
    ids = rows["employee_id"].to_numpy()
    col = {c: rows[c].to_numpy() for c in rows.columns}
    r = _pct(p.rate)
    case, x, base, target = col["case"], col["X"], col["base"], col["target"]
    filled, before, paid_out = col["filled_total"], col["shortfall_before"], col["carry_paid_out"]
    ledger = round_half_up(obj(col["commission_base"] - paid_out) * p.rate.numerator, p.rate.denominator)
    carry = col["carry_out"] + paid_out + col["carry_lapsed"]
    floating = np.where(col["department_blocked"].astype(bool), "; no floating wage: department target not met",
                        "; floating wage").astype(object)
    cases = {
        "new": lambda i: "new hire, no task: " + _yuan(x[i]) + f" × {r} = " + _yuan(ledger[i]),
        1: lambda i: "case 1: X " + _yuan(x[i]) + " < base " + _yuan(base[i]) + ": no commission; " +
        _yuan(col["withheld"][i]) + " withheld; shortfall " + _yuan(base[i] - x[i]) + " recorded",
        2: lambda i: "case 2: " + _yuan(x[i]) + f" × {r} = " + _yuan(ledger[i]),
        3: lambda i: "case 3: (max(0, " + _yuan(x[i] - base[i]) + " − " + _yuan(before[i]) + ") + " +
        _yuan(base[i]) + f") × {r} = " + _yuan(ledger[i]),
        4: lambda i: "case 4: target " + _yuan(target[i]) + f" × {r} = " + _yuan(ledger[i]) + floating[i] +
        "; carry " + _yuan(carry[i]),
        5: lambda i: "case 5: (" + _yuan(base[i]) + " + min(" + _yuan(x[i] - base[i] - filled[i]) + ", " +
        _yuan(target[i] - base[i]) + f")) × {r} = " + _yuan(ledger[i]) + floating[i] + "; carry " + _yuan(carry[i]),
        6: lambda i: np.where(filled[i] > 0, "case 6: (" + _yuan(x[i]) + " − filled " + _yuan(filled[i]) + ")",
                              "case 6: " + _yuan(x[i])) + f" × {r} = " + _yuan(ledger[i]) + floating[i] + "; no carry",
    }
    text = np.full(len(rows), "", dtype=object)
    for key, build in cases.items():
        i = np.flatnonzero(case == key)
        if len(i):
            text[i] = build(i)
    i = np.flatnonzero(col["carry_in"] != 0)
    text[i] = "X = " + _yuan(col["credited"][i]) + " + carry " + _yuan(col["carry_in"][i]) + " = " + \
        _yuan(x[i]) + "; " + text[i]

    done = fills[fills["done"]]
    items = done["quarter"].to_numpy(dtype=object) + " base " + _yuan(done["base"].to_numpy())
    joined = _per_person(items, done["employee_id"], ids, " + ").to_numpy(dtype=object)
    count = done.groupby("employee_id")["base"].size().reindex(ids, fill_value=0).to_numpy()
    joined = np.where(count > 1, "(" + joined + ")", joined)
    who = np.where(col["left"].astype(bool), "leaving", "year end").astype(object)
    fixed, variable = _pct(p.fixed_weight), _pct(p.variable_weight)
    amount_n = obj(col["commission_base"] + col["backpay_base"]) * p.rate.numerator * p.service_rate.denominator \
        + obj(col["service_revenue"]) * p.service_rate.numerator * p.rate.denominator
    amount_d = p.rate.denominator * p.service_rate.denominator
    parts = [
        (col["backpay"] != 0, lambda i: "back-pay " + joined[i] + f" × {r} = " + _yuan(col["backpay"][i])),
        (col["service_revenue"] != 0, lambda i: "service " + _yuan(col["service_revenue"][i]) +
         f" × {_pct(p.service_rate)} = " + _yuan(col["service_commission"][i])),
        (paid_out != 0, lambda i: who[i] + ": carry " + _yuan(paid_out[i]) + f" × {r} = " +
         _yuan(round_half_up(obj(paid_out[i]) * p.rate.numerator, p.rate.denominator)) + " paid out"),
        (col["carry_lapsed"] != 0, lambda i: who[i] + ": carry " + _yuan(col["carry_lapsed"][i]) + " lapses"),
        (col["shortfall_lapsed"] != 0, lambda i: who[i] + ": shortfall " + _yuan(col["shortfall_lapsed"][i]) +
         " lapses"),
        (amount_n != 0, lambda i: "bonus " + _yuan(round_half_up(amount_n[i], amount_d)) +
         f" × ({fixed} + {variable} × " + _per_value(col["kpi_coefficient"][i], lambda f: _number(Fraction(f))) +
         ") = " + _yuan(col["bonus"][i])),
    ]
    for applies, build in parts:
        i = np.flatnonzero(np.asarray(applies, dtype=bool))
        if len(i):
            text[i] = text[i] + "; " + build(i)

    lines = (fills["quarter"].to_numpy(dtype=object) + " " + _yuan(fills["fill"].to_numpy()) + " of " +
             _yuan(fills["unfilled"].to_numpy()) +
             np.where(fills["done"], " (filled: back-pay on base " + _yuan(fills["base"].to_numpy()) + ")",
                      " (" + _yuan(fills["open"].to_numpy()) + " still open)"))
    return pd.Series(text, dtype=object), _per_person(lines, fills["employee_id"], ids, "; ")


# formatting ---------------------------------------------------------------------------------
def _money(fen) -> str:
    v = int(fen)
    whole, cent = divmod(abs(v), 100)
    return ("-" if v < 0 else "") + f"{whole:,}" + (f".{cent:02d}" if cent else "")


def _yuan(values) -> np.ndarray:
    """Fen → '5,200' / '5,200.37', as an object array (positional)."""
    return np.array([_money(v) for v in np.asarray(values, dtype=object).tolist()] or [], dtype=object)


def _per_value(values, fn) -> np.ndarray:
    """fn of each Fraction-like value, made once per distinct (numerator, denominator)."""
    seen, out = {}, []
    for v in values:
        key = (v.numerator, v.denominator) if isinstance(v, Fraction) else (type(v), v)
        if key not in seen:
            seen[key] = fn(v)
        out.append(seen[key])
    arr = np.empty(len(out), dtype=object)
    arr[:] = out
    return arr


def _decimal(value: Fraction) -> Decimal:
    f = Fraction(value)
    return Decimal(f.numerator) / Decimal(f.denominator)


def _number(value: Fraction) -> str:
    return format(_decimal(value).normalize(), "f")


def _pct(value: Fraction) -> str:
    return _number(Fraction(value) * 100) + "%"


def _per_person(texts, owners, ids, sep: str) -> pd.Series:
    """Texts joined per owner in the order of `ids` ('' for who has none)."""
    texts = pd.Series(np.asarray(texts, dtype=object), index=np.asarray(owners, dtype=object), dtype=object)
    if len(texts) == 0:
        return pd.Series([""] * len(ids), dtype=object)
    twice = texts.index.duplicated(keep=False)           # most owners have one text: no join
    joined = pd.concat([texts[~twice], texts[twice].groupby(level=0, sort=False).agg(sep.join)])
    return pd.Series(joined.reindex(ids, fill_value="").to_numpy(), dtype=object)
