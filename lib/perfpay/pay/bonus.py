"""Monthly bonus of the 大客户经理 (SPEC 4): bonus = total / 100 × monthly bonus base.

Exact: the total in centipoints times the base in micro-yuan, rounded once, half-up
(四舍五入), to the fen. Uncapped: a total over 100 pays more than the base. A person
without a base in the roster is listed with a note and no bonus, never dropped.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from ..exact import CENT, MICRO, ints, obj, present, round_half_up, to_decimal
from ..periods import Period

ID = "employee_id"
COLUMNS = ["period", ID, "name", "total", "base", "bonus", "formula", "note"]
NO_BASE = "no monthly bonus base (月度绩效奖金) in the roster: add it to pay the bonus"


def yuan_text(fen) -> pd.Series:
    """Integers of fen → '3,640.00' (thousands separated, two decimals)."""
    v = obj(fen)
    mag = pd.Series(abs(v), dtype=object)
    text = (mag // 100).map("{:,}".format) + "." + (mag % 100).map("{:02d}".format)
    return text.where(pd.Series(v >= 0), "-" + text).reset_index(drop=True)


def monthly_bonus(scores: pd.DataFrame, roster: pd.DataFrame, card: str | None = "ka_manager") -> pd.DataFrame:
    """Bonus of each monthly total of `card` holders (all rows when card is None).

    scores: period (a month), employee_id, name, total_c, card — `Scores.scores` of a month,
    or `Scores.units` of a longer period (one row per person and month).
    roster: employee_id, monthly_bonus_base (yuan; blank when the person has none).
    """
    rows = scores if card is None else scores[scores["card"] == card]
    _check_months(rows["period"])
    bases = roster.drop_duplicates(ID, keep="last").set_index(ID)["monthly_bonus_base"]
    raw = rows[ID].map(bases).to_numpy(dtype=object)
    raw = np.array([str(v) if isinstance(v, float) and v == v else v for v in raw], dtype=object)
    has = present(raw)
    base = ints(raw, MICRO)                                  # micro-yuan
    total = obj(rows["total_c"].to_numpy())                  # centipoints
    fen = round_half_up(total * base, CENT * MICRO)          # (c/100)/100 × µ/10⁶ yuan, × 100 fen
    out = pd.DataFrame({"period": rows["period"].to_numpy(), ID: rows[ID].to_numpy(),
                        "name": rows["name"].to_numpy()})
    out["total"] = to_decimal(total)
    out["base"] = np.where(has, _base_decimal(base), None)
    out["bonus"] = np.where(has, to_decimal(fen), None)
    formula = (pd.Series(out["total"].astype(str)) + " / 100 × " + _base_text(base)
               + " = " + yuan_text(fen))
    out["formula"] = formula.where(has, "")
    out["note"] = np.where(has, "", NO_BASE)
    return out[COLUMNS]


def _check_months(periods: pd.Series) -> None:
    units = {label: Period.parse(label).unit for label in periods.unique()}
    bad = [label for label, unit in units.items() if unit != "month"]
    if bad:
        raise ValueError(f"the monthly bonus needs monthly totals, got periods {', '.join(map(str, bad))}; "
                         "pass Scores.units (one row per month) for a longer period")


def _base_decimal(micro) -> list[Decimal]:
    """A base as yuan with two decimals, or with all of its decimals when it has more."""
    exact = to_decimal(micro, MICRO)
    return [d.quantize(Decimal("0.01")) if d == d.quantize(Decimal("0.01")) else d.normalize()
            for d in exact]


def _base_text(micro) -> pd.Series:
    return pd.Series([f"{d:,}" for d in _base_decimal(micro)], dtype=object)
