"""KPIs computed from raw records: customer service (SPEC 8), key accounts (5), visits (6).

    records = load_records("inputs", roster, "2026Q3")        # checked, typed record tables
    result = compute(params, records, roster, "2026Q3")       # KpiResult: kpis, accounts, churn, visits
    trace(records, "answer_rate", "E004", "2026-07")          # the record rows behind one figure

Modules: contracts (the record tables), records (reading and checking), service, accounts,
visits (the KPIs), frame (the KPI frame and its exact numbers), actuals (scorecard actuals
from KPIs), compute (all of a period), tables (the CSV files).
"""

from .compute import KpiResult, compute
from .records import Records, load_records
from .service import service_kpis, trace
from .settings import ServiceSettings

__all__ = ["KpiResult", "Records", "ServiceSettings", "compute", "load_records", "service_kpis", "trace"]
