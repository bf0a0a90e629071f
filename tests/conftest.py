"""Shared fixtures: the real params, and a helper that writes input tables to a folder."""

from __future__ import annotations

import csv
import io
import os
import sys
import threading
from pathlib import Path

import openpyxl

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


def write_csv(path, rows, encoding="utf-8"):
    """Rows (lists of cells) as a CSV file in `encoding`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path, sheets: dict):
    """A workbook with one sheet per {name: rows}; a cell may be (value, number format)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                if isinstance(value, tuple):
                    value, fmt = value
                    ws.cell(row=r, column=c, value=value).number_format = fmt
                else:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


def find(report, **kw) -> list:
    """Problems of a report whose fields equal kw; `message`/`fix` match by substring."""
    out = []
    for p in report.problems:
        ok = True
        for k, v in kw.items():
            got = getattr(p, k)
            ok &= (v in got) if k in ("message", "fix") else got == v
        if ok:
            out.append(p)
    return out


def one(report, **kw):
    """The one problem matching kw (fails with the whole report otherwise)."""
    got = find(report, **kw)
    assert len(got) == 1, f"expected one problem {kw}, got {len(got)}:\n{report.format()}"
    return got[0]


@pytest.fixture
def forking(monkeypatch):
    """Fork although earlier tests left idle threads in this process (dask's, tqdm's): they hold
    no lock a forked copy needs. The check itself (perfpay.forked.can_fork) is tested on its own."""
    if not (hasattr(os, "fork") and sys.platform.startswith("linux")):
        pytest.skip("no fork on this system")
    monkeypatch.setattr(threading, "active_count", lambda: 1)
