"""Readable side of the commission ledger: each row's formula, the entries it filled, the table.

Texts are built column-wise (one string operation per part for everybody); only the
formatting of a single number into '5,200' or '5,200.37' works value by value.
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
    out = rows[TABLE_COLUMNS].copy().reset_index(drop=True)
    for col in MONEY:
        out[col] = to_decimal(rows[col].to_numpy())
    out["kpi_coefficient"] = rows["kpi_coefficient"].map(_decimal).to_numpy()
    return out


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=TABLE_COLUMNS)


def describe(rows: pd.DataFrame, fills: pd.DataFrame, p, year_end: bool) -> tuple[pd.Series, pd.Series]:
    """(formula, filled) texts of a quarter's exact rows; `fills` = entries filled this quarter."""
    rows = rows.reset_index(drop=True)
    ids = rows["employee_id"].to_numpy()
    r = _pct(p.rate)
    case = rows["case"]
    x, base, target = (rows[c].to_numpy() for c in ("X", "base", "target"))
    filled, before = rows["filled_total"].to_numpy(), rows["shortfall_before"].to_numpy()
    paid_out = rows["carry_paid_out"].to_numpy()
    ledger = _yuan(round_half_up(obj(rows["commission_base"].to_numpy() - paid_out) * p.rate.numerator,
                                 p.rate.denominator))
    carry = _yuan(rows["carry_out"].to_numpy() + paid_out + rows["carry_lapsed"].to_numpy())
    X, B, T = _yuan(x), _yuan(base), _yuan(target)
    floating = pd.Series(np.where(rows["department_blocked"], "; no floating wage: department target not met",
                                  "; floating wage"))
    cases = {
        "new": "new hire, no task: " + X + f" × {r} = " + ledger,
        1: "case 1: X " + X + " < base " + B + ": no commission; " + _yuan(rows["withheld"]) +
           " withheld; shortfall " + _yuan(base - x) + " recorded",
        2: "case 2: " + X + f" × {r} = " + ledger,
        3: "case 3: (max(0, " + _yuan(x - base) + " − " + _yuan(before) + ") + " + B + f") × {r} = " + ledger,
        4: "case 4: target " + T + f" × {r} = " + ledger + floating + "; carry " + carry,
        5: "case 5: (" + B + " + min(" + _yuan(x - base - filled) + ", " + _yuan(target - base) +
           f")) × {r} = " + ledger + floating + "; carry " + carry,
        6: pd.Series(np.where(filled > 0, "case 6: (" + X + " − filled " + _yuan(filled) + ")",
                              "case 6: " + X)) + f" × {r} = " + ledger + floating + "; no carry",
    }
    text = pd.Series("", index=rows.index)
    for key, candidate in cases.items():
        text = text.where(case != key, candidate)
    prefix = "X = " + _yuan(rows["credited"]) + " + carry " + _yuan(rows["carry_in"]) + " = " + X + "; "
    text = pd.Series(np.where(rows["carry_in"] != 0, prefix + text, text))

    done = fills[fills["done"]]
    items = done["quarter"] + " base " + _yuan(done["base"]).to_numpy()
    joined = _per_person(items, done["employee_id"], ids, " + ")
    count = done.groupby("employee_id")["base"].size().reindex(ids, fill_value=0).to_numpy()
    joined = pd.Series(np.where(count > 1, "(" + joined + ")", joined))
    who = pd.Series(np.where(rows["left"], "leaving", "year end"))
    paid_text = _yuan(round_half_up(obj(paid_out) * p.rate.numerator, p.rate.denominator))
    amount = rows["commission_exact"] + rows["backpay_exact"] + rows["service_exact"]
    fixed, variable = _pct(p.fixed_weight), _pct(p.variable_weight)
    coef = rows["kpi_coefficient"].map(lambda f: _number(Fraction(f)))
    parts = [
        (rows["backpay"] != 0, "back-pay " + joined + f" × {r} = " + _yuan(rows["backpay"])),
        (rows["service_revenue"] != 0, "service " + _yuan(rows["service_revenue"]) +
         f" × {_pct(p.service_rate)} = " + _yuan(rows["service_commission"])),
        (paid_out != 0, who + ": carry " + _yuan(paid_out) + f" × {r} = " + paid_text + " paid out"),
        (rows["carry_lapsed"] != 0, who + ": carry " + _yuan(rows["carry_lapsed"]) + " lapses"),
        (rows["shortfall_lapsed"] != 0, who + ": shortfall " + _yuan(rows["shortfall_lapsed"]) + " lapses"),
        (amount != 0, "bonus " + _yuan(_round(amount)) + f" × ({fixed} + {variable} × " + coef + ") = " +
         _yuan(rows["bonus"])),
    ]
    for applies, part in parts:
        text = text + pd.Series(np.where(np.asarray(applies, dtype=bool), "; " + part, ""))

    lines = (fills["quarter"] + " " + _yuan(fills["fill"]).to_numpy() + " of " +
             _yuan(fills["unfilled"]).to_numpy() +
             np.where(fills["done"], " (filled: back-pay on base " + _yuan(fills["base"]).to_numpy() + ")",
                      " (" + _yuan(fills["open"]).to_numpy() + " still open)"))
    return text, _per_person(lines, fills["employee_id"], ids, "; ")


# formatting ---------------------------------------------------------------------------------
def _money(fen) -> str:
    v = int(fen)
    whole, cent = divmod(abs(v), 100)
    return ("-" if v < 0 else "") + f"{whole:,}" + (f".{cent:02d}" if cent else "")


def _yuan(values) -> pd.Series:
    """Fen → '5,200' / '5,200.37', positionally indexed."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object).map(_money)


def _round(amounts) -> np.ndarray:
    a = pd.Series(amounts, dtype=object).map(Fraction)
    return round_half_up(a.map(lambda f: f.numerator).to_numpy(), a.map(lambda f: f.denominator).to_numpy())


def _decimal(value: Fraction) -> Decimal:
    f = Fraction(value)
    return Decimal(f.numerator) / Decimal(f.denominator)


def _number(value: Fraction) -> str:
    return format(_decimal(value).normalize(), "f")


def _pct(value: Fraction) -> str:
    return _number(Fraction(value) * 100) + "%"


def _per_person(texts, owners, ids, sep: str) -> pd.Series:
    """Texts joined per owner in the order of `ids` ('' for who has none)."""
    texts = pd.Series(np.asarray(texts, dtype=object), dtype=object)
    if len(texts) == 0:
        return pd.Series([""] * len(ids), dtype=object)
    joined = texts.groupby(np.asarray(owners, dtype=object)).agg(sep.join)
    return pd.Series(joined.reindex(ids, fill_value="").to_numpy(), dtype=object)
