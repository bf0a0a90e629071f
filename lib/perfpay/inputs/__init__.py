"""Input tables (docs/inputs.md): read from CSV / xlsx, checked lazily, reported in full.

    inputs = load_inputs("inputs", catalog_for, period="2026-07")
    print(inputs.report.format())          # every problem: file, sheet, row, column, value, fix
    inputs.actuals                         # the rows without errors, with _file/_sheet/_row
    inputs.deals, inputs.quotas            # sales tables of SPEC 7 (also wages, pools)

Modules: contracts (table names and columns), readers (files -> text frames), values
(text -> Decimal / date / period), checker + common + tables + sales (the checks), report, load.
"""

from .contracts import TABLES
from .load import Inputs, load_inputs, read_tables
from .report import Problem, Report
from .sales import effective_wages

__all__ = ["Inputs", "Problem", "Report", "TABLES", "effective_wages", "load_inputs", "read_tables"]
