"""The KPI results as the CSV files finance and analysts open: plain exact numbers, names beside ids."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

LEVEL_NAMES = {"person": "个人", "team": "团队", "branch": "分部", "department": "部门"}


def plain(value) -> str:
    """An exact number as text without exponent or trailing zeros: 93.7, 1204, '' for none."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def kpis_table(kpis: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    """kpis.csv: one row per period × level × unit × KPI, with the person's or team leader's name."""
    names = roster.set_index("employee_id")["name"]
    out = kpis.copy()
    person = out["level"].isin(["person", "team"])
    out.insert(3, "unit_name", out["unit"].map(names).where(person, out["unit"]).fillna(""))
    for col in ("numerator", "denominator", "value"):
        out[col] = out[col].map(plain)
    return out


def csv_tables(result, roster: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """{file name: table} of one department's KpiResult; empty tables are left out."""
    files = {"kpis.csv": kpis_table(result.kpis, roster)} if len(result.kpis) else {}
    for name, table in (("key_accounts.csv", result.accounts), ("churn.csv", result.churn),
                        ("visits.csv", result.visits)):
        if len(table):
            files[name] = table.drop(columns=["department"], errors="ignore")
    return files
