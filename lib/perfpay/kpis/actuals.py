"""Scorecard actuals from computed KPIs (params/kpis.yaml `sources`).

A source says which KPI gives an indicator's actual and at which level: `person` (the
person's own records) or `team` (the records of the people whose manager is this person).
A typed-in actual for the same person, period and indicator wins; its source says that the
computed value was set aside, so the explanation shows both.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ..errors import ParamsError
from ..texts import column, file_rows

ID = "employee_id"
LEVELS = ("person", "team")


def sources(params, period) -> pd.DataFrame:
    """One row per (card, indicator key) whose actual is computed: card, indicator, name, kpi, level."""
    doc = params.document("kpis", period).get("sources") or {}
    catalog = params.catalog(period)
    rows, problems = [], []
    for card_key, items in doc.items():
        card = catalog.cards.get(card_key)
        if card is None:
            problems.append(f"kpis.yaml: sources.{card_key}: no such card; cards: {', '.join(sorted(catalog.cards))}")
            continue
        for name, spec in (items or {}).items():
            ind = _indicator(card, name)
            level = (spec or {}).get("level", "person")
            if ind is None:
                problems.append(f"kpis.yaml: sources.{card_key}.{name}: no such indicator on {card.role}")
            elif level not in LEVELS:
                problems.append(f"kpis.yaml: sources.{card_key}.{name}.level: {level!r}; use person or team")
            else:
                rows.append((card_key, ind.key, ind.name, str(spec["kpi"]), level))
    if problems:
        raise ParamsError(problems)
    return pd.DataFrame(rows, columns=["card", "indicator", "name", "kpi", "level"])


def _text(value) -> str:
    """An exact number as plain text: 937, 190.5 (never 1.905E+2)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _indicator(card, name):
    for ind in card.indicators:
        if name in (ind.key, ind.name, *getattr(ind, "aliases", ())):
            return ind
    return None


def computed_actuals(kpis: pd.DataFrame, roster: pd.DataFrame, wanted: pd.DataFrame) -> pd.DataFrame:
    """Actual rows (period, employee_id, indicator, actual, src) for every holder of a sourced card.

    `kpis` is the long KPI frame; a KPI without a value (nothing to count) gives no actual,
    so the scorecard flags the actual as missing, as for a blank typed-in one.
    """
    cols = ["period", ID, "indicator", "actual", "src", "kpi_note"]
    if wanted.empty or kpis.empty:
        return pd.DataFrame(columns=cols)
    holders = roster[[ID, "card"]].merge(wanted, on="card")
    holders["unit_level"] = holders["level"].map({"person": "person", "team": "team"})
    k = kpis[kpis["level"].isin(["person", "team"])]
    got = holders.merge(k, left_on=[ID, "unit_level", "kpi"], right_on=["unit", "level", "kpi"],
                        suffixes=("", "_k"))
    got = got[got["value"].notna()]
    if got.empty:
        return pd.DataFrame(columns=cols)
    team = got["level"].eq("team").map({True: " of the team", False: ""})
    src = ("computed " + got["name_k"].astype(str) + team + " = " + got["numerator"].map(_text) + "/"
           + got["denominator"].map(_text) + " from " + got["source_rows"].astype(str))
    return pd.DataFrame({"period": got["period"].to_numpy(), ID: got[ID].to_numpy(),
                         "indicator": got["indicator"].to_numpy(), "actual": got["value"].to_numpy(),
                         "src": src.to_numpy(), "kpi_note": got["note"].fillna("").to_numpy()})


def merge_actuals(typed: pd.DataFrame, computed: pd.DataFrame) -> pd.DataFrame:
    """Typed-in actuals plus the computed ones nobody typed in; every row keeps a `src`."""
    key = ["period", ID, "indicator"]
    typed = typed.copy(deep=False)          # a column of its own; the others shared, not copied
    typed["src"] = column(file_rows(typed["_file"], typed["_row"].to_numpy()))
    if computed.empty:
        return typed
    both = typed[key].merge(computed[[*key, "src"]], on=key, how="left")["src"]
    set_aside = both.notna().to_numpy()
    mine = typed.loc[set_aside, "src"].to_numpy(dtype=object)
    typed.loc[set_aside, "src"] = (mine + " (typed in; wins over the computed "
                                   + both[set_aside].str.replace("^computed ", "", regex=True).to_numpy() + ")")
    fresh = computed.merge(typed[key], on=key, how="left", indicator=True)
    fresh = fresh[fresh["_merge"] == "left_only"].drop(columns=["_merge", "kpi_note"])
    fresh = fresh.assign(_file="records", _sheet=None, _row=0)
    return pd.concat([typed, fresh[typed.columns]], ignore_index=True)
