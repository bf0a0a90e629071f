"""Everything a period is scored from: the input tables, the raw records and the KPIs
computed from them as scorecard actuals (params/kpis.yaml `sources`).

    inputs = load(inputs_dir, params, "2026Q3")
    inputs.actuals      # typed-in actuals plus computed ones; `src` says which
    inputs.records      # the raw records (perfpay.kpis.records.Records)

Problems in the records join `inputs.report`, so `perfpay check` lists them with the rest.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .inputs import load_inputs
from .inputs.contracts import RECORD_FOLDERS
from .kpis.actuals import computed_actuals, merge_actuals, sources
from .kpis.compute import settings
from .kpis.records import load_records
from .kpis.service import service_kpis
from .periods import Period
from .scorecard import units_of

ID = "employee_id"


def load(inputs_dir, params, period=None):
    inputs = load_inputs(inputs_dir, params.catalog, period)
    p = Period.parse(period) if period is not None else None
    margin = 0
    if p is not None:
        margin = int(settings(params, p)[0].repeat_window_days) + 1
    folders = any((Path(inputs_dir) / folder).is_dir() for folder in RECORD_FOLDERS)
    records = load_records(inputs_dir, inputs.roster if folders else None, p, margin_days=margin)
    inputs.report.extend(records.report.problems)
    inputs.records = records
    computed = []
    if records.frames.any_rows():      # no records, no computed actuals
        years = [p] if p is not None else _years(inputs)
        computed = [_computed(params, inputs, records, y) for y in years]
    computed = pd.concat(computed, ignore_index=True) if computed else pd.DataFrame()
    if len(computed):
        _drop_answered(inputs.report, computed)
    inputs.actuals = merge_actuals(inputs.actuals, computed)
    return inputs


def _years(inputs) -> list[Period]:
    """Every year with a target or actual: what a check of the whole inputs folder covers."""
    labels = set(inputs.targets["period"].dropna()) | set(inputs.actuals["period"].dropna())
    return sorted({Period.parse(x).year_period for x in labels}, key=lambda y: y.start)


def _computed(params, inputs, records, period: Period) -> pd.DataFrame:
    wanted = sources(params, period)
    if wanted.empty or inputs.roster.empty:
        return pd.DataFrame()
    spans = scored_units(params, wanted["card"].unique(), period)
    service_s = settings(params, period)[0]
    kpis = service_kpis(records, inputs.roster, spans, service_s)
    return computed_actuals(kpis, inputs.roster, wanted)


def _drop_answered(report, computed: pd.DataFrame) -> None:
    """Targets whose actual is computed no longer lack one: drop that warning of the checker."""
    answered = {f"the target for {p}, {e}, {i} has no actual"
                for p, e, i in zip(computed["period"], computed[ID], computed["indicator"])}
    report.problems = [p for p in report.problems if not (p.table == "targets" and p.message in answered)]


def scored_units(params, card_keys, period: Period) -> list[Period]:
    """The months and quarters the cards `card_keys` are scored on within `period`."""
    found = {}
    for key in card_keys:
        for unit in units_of(params.card(key, period), period):
            found[unit.label] = unit
    return sorted(found.values(), key=lambda u: (u.size, u.start))
