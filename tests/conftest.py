"""Shared fixtures: the real params, and a helper that writes input tables to a folder."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from perfpay.params import load_params

ROOT = Path(__file__).resolve().parent.parent

COLUMNS = {
    "roster": ["employee_id", "name", "department", "branch", "role", "hire_date", "leave_date",
               "manager_id", "monthly_bonus_base"],
    "targets": ["period", "employee_id", "indicator", "target"],
    "actuals": ["period", "employee_id", "indicator", "actual"],
    "events": ["date", "employee_id", "event", "count", "note"],
    "ratings": ["period", "employee_id", "indicator", "rater_id", "rater_role", "level", "score"],
    "adjustments": ["period", "employee_id", "indicator", "points", "reason", "approved_by"],
    "deals": ["date", "deal_id", "crm_id", "employee_id", "share", "revenue_type", "amount", "cost",
              "standard_quote", "refund"],
    "quotas": ["quarter", "employee_id", "target", "department_target"],
    "wages": ["employee_id", "quarter", "floating_wage", "fixed_wage"],
    "pools": ["year", "department", "budget"],
}


@pytest.fixture(scope="session")
def params():
    return load_params(ROOT / "params")


def write_tables(folder: Path, tables: dict[str, list[dict]]) -> Path:
    """Write each table as an English-header CSV; missing cells stay blank."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS[name])
            w.writeheader()
            for row in rows:
                w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return folder
