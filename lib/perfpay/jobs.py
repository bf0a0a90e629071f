"""The files a period's jobs write, as {path: table or writer}; the CLI and the batch write them."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from .periods import Period


def scored_departments(inputs) -> list[str]:
    """Departments that have people on a scorecard (an unscored role alone is not one)."""
    carded = inputs.roster["card"].notna().to_numpy()
    return sorted(pd.unique(inputs.roster["department"].to_numpy()[carded]))


def score_files(params, inputs, period, departments, out, results: dict | None = None,
                add=None, later: bool = False) -> tuple[dict, list[str]]:
    """scores.csv and explain.csv per department, and the messages to show.

    `results`, when given, receives each department's Scores (for the Excel workbooks).
    `add(path, table)`, when given, is handed each file as soon as it is made (Staging.add starts
    writing it). The largest departments are scored first, so that their big files start first.
    With `later`, each explain.csv is an output.Later: the explanation is made by the process
    that writes it (a writer process takes the largest while this one scores the others), and
    each scores.csv an output.CodedTable, for a caller that needs neither as a frame itself.
    """
    from .output import CodedTable, Later, beyond_excel
    from .scorecard import explain_csv, explain_table, score, scores_csv, scores_table

    period = Period.parse(period)
    made, said, scored = {}, {}, {}
    people = inputs.roster["department"].value_counts()
    for dept in sorted(departments, key=lambda d: -people.get(d, 0)):
        scored[dept] = result = score(params, inputs, period, dept)
        explain = Later(partial(explain_csv, result), result.explain_rows()) if later \
            else explain_table(result, copy=False)                                  # only written
        made[dept] = {Path(out) / dept / "explain.csv": explain}
        if add is not None:                     # the big one first: a writer process may start on it now
            add(Path(out) / dept / "explain.csv", explain)
        made[dept][Path(out) / dept / "scores.csv"] = table = scores_csv(result) if later else scores_table(result)
        if add is not None:
            add(Path(out) / dept / "scores.csv", table)
        grade = table.column("grade") if isinstance(table, CodedTable) else table["grade"]
        grades = pd.Series(grade).value_counts().to_dict() if len(table) else {}
        said[dept] = [*(f"{dept}: {note}" for note in result.notes),
                      f"{dept}: {len(table)} people scored for {period}; grades {grades}"]
    if results is not None:                     # in the order asked for, as the files and messages
        results.update((dept, scored[dept]) for dept in departments)
    files = {path: frame for dept in departments for path, frame in made[dept].items()}
    return files, [m for dept in departments for m in said[dept]] + beyond_excel(files)


def pay_files(params, inputs, period, out, departments=None, result=None) -> tuple[dict, list[str]]:
    """commission, excluded deals, bonus, awards, pool tables and statement writers per department.

    `result`: a PayResult already computed for the period (else it is computed here).
    """
    from .output import beyond_excel
    from .pay.commission import statement_writer
    from .pay.run import pay

    result = result or pay(params, inputs, Period.parse(period))
    files, messages = {}, []
    keep = (lambda d: True) if departments is None else (lambda d: d in departments)
    for dept, tables in sorted(result.tables.items()):
        if not keep(dept):
            continue
        for name, table in tables.items():
            files[Path(out) / dept / name] = table
            messages.append(f"{dept}: {name} {len(table)} rows")
    for dept, items in sorted(result.statements.items()):
        if not keep(dept):
            continue
        for name, kwargs in items:
            files[Path(out) / dept / name] = statement_writer(kwargs)
        messages.append(f"{dept}: {len(items)} statements")
    return files, messages + result.notes + beyond_excel(files)


def excel_files(params, period, scores: dict, paid, out) -> dict:
    """scorecards.xlsx and payroll.xlsx of each department, as writers for write_all."""
    from .output import Sized
    from .report.excel import SHEET_SECONDS, write_payroll, write_scorecards

    period = Period.parse(period)
    files = {}
    for dept, result in scores.items():
        if result.scores.empty:
            continue
        files[Path(out) / dept / "scorecards.xlsx"] = Sized(
            lambda path, s=result: write_scorecards(path, s, params, period), len(result.scores) * SHEET_SECONDS)
        files[Path(out) / dept / "payroll.xlsx"] = lambda path, d=dept: write_payroll(path, paid, d, period)
    return files


def kpi_files(params, inputs, period, departments, out, result=None) -> tuple[dict, list[str]]:
    """kpis.csv per department, plus key_accounts.csv, churn.csv and visits.csv where there are any.

    `result`: the period's KPIs already computed (else they are computed here).
    """
    from .kpis.compute import compute
    from .kpis.tables import csv_tables
    from .output import beyond_excel

    if result is None:
        result = compute(params, inputs.records, inputs.roster, Period.parse(period))
    files, messages = {}, list(result.notes)
    for dept in departments:
        for name, table in csv_tables(result.department(dept), inputs.roster).items():
            files[Path(out) / dept / name] = table
            messages.append(f"{dept}: {name} {len(table)} rows")
    return files, messages + beyond_excel(files)
