"""Visit management (SPEC 6) on small hand-made visit logs: KPIs and the visits to act on."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from perfpay.kpis.accounts import KPI_COLUMNS
from perfpay.kpis.visits import BLOCKED_COLUMNS, VisitSettings, blocked_visits, visit_kpis


def visits(*rows: dict) -> pd.DataFrame:
    """Visit rows as the reader gives them; row n of the list is row n + 1 of 拜访.csv."""
    base = {"employee_id": "E1", "customer_id": "K1", "visit_date": "2026-07-01",
            "summary_date": "2026-07-01", "follow_up_date": "2026-07-03", "expense": None}
    frame = pd.DataFrame([{**base, "visit_id": f"V{i}", **row} for i, row in enumerate(rows, start=1)])
    for name in ("visit_date", "summary_date", "follow_up_date"):
        frame[name] = pd.to_datetime(frame[name])
    frame["_file"], frame["_sheet"], frame["_row"] = "拜访.csv", None, range(2, len(frame) + 2)
    return frame


def kpi(kpis: pd.DataFrame, key: str, unit: str) -> tuple:
    row = kpis[(kpis["kpi"] == key) & (kpis["unit"] == unit)].iloc[0]
    return row["numerator"], row["denominator"], row["value"]


@pytest.mark.parametrize("follow_up, in_time", [
    ("2026-07-01", True),       # the same day
    ("2026-07-08", True),       # exactly 7 days after
    ("2026-07-09", False),      # 8 days
    ("2026-06-30", False),      # before the visit: not a follow-up
    (None, False),
])
def test_a_follow_up_within_7_days_counts(follow_up, in_time):
    kpis = visit_kpis(visits({"follow_up_date": follow_up}), "2026-07")
    assert kpi(kpis, "visit_followup_rate", "E1") == (int(in_time), 1, Decimal(100 if in_time else 0).quantize(Decimal("0.000001")))


def test_visit_kpis_per_person_and_department():
    log = visits({"employee_id": "E1"},
                 {"employee_id": "E1", "summary_date": None},
                 {"employee_id": "E1", "summary_date": None, "follow_up_date": "2026-07-20"},
                 {"employee_id": "E2", "visit_date": "2026-09-30", "follow_up_date": "2026-10-07"},
                 {"employee_id": "E2", "visit_date": "2026-10-01"})            # next quarter
    kpis = visit_kpis(log, "2026Q3")
    assert list(kpis.columns) == KPI_COLUMNS
    assert kpi(kpis, "visits", "E1") == (3, None, Decimal(3))
    assert kpi(kpis, "visits", "大客户部") == (4, None, Decimal(4))
    assert kpi(kpis, "visit_summary_rate", "E1") == (1, 3, Decimal("33.333333"))
    assert kpi(kpis, "visit_summary_rate", "大客户部") == (2, 4, Decimal("50.000000"))
    assert kpi(kpis, "visit_followup_rate", "E1") == (2, 3, Decimal("66.666666"))
    assert kpi(kpis, "visit_followup_rate", "E2") == (1, 1, Decimal("100.000000"))
    row = kpis[(kpis["kpi"] == "visit_summary_rate") & (kpis["unit"] == "E1")].iloc[0]
    assert (row["period"], row["level"], row["department"], row["name"], row["measure"], row["source"],
            row["source_rows"]) == ("2026Q3", "person", "大客户部", "拜访总结率", "percent", "visits", "拜访.csv rows 2-4")


def test_a_period_without_visits_has_no_rates():
    kpis = visit_kpis(visits({"visit_date": "2026-08-01"}), "2026-07")
    assert kpis["unit"].tolist() == ["大客户部"] * 3
    assert kpi(kpis, "visits", "大客户部") == (0, None, Decimal(0))
    assert kpi(kpis, "visit_summary_rate", "大客户部") == (0, 0, None)
    assert set(kpis["note"]) == {"no visits in the period"}


def test_a_visit_without_summary_blocks_reimbursement():
    log = visits({"visit_id": "V1"},                                                       # in order: not listed
                 {"summary_date": None, "expense": 12345},
                 {"summary_date": None, "follow_up_date": None, "expense": None, "visit_date": "2026-07-02"},
                 {"follow_up_date": "2026-07-09", "expense": 800})                         # late, not blocking
    listed = blocked_visits(log, "2026-07")
    assert list(listed.columns) == BLOCKED_COLUMNS
    assert listed["visit_id"].tolist() == ["V2", "V3", "V4"]
    assert listed["blocks_reimbursement"].tolist() == [True, True, False]
    assert listed["follow_up_late"].tolist() == [False, True, True]
    assert listed["expense"].tolist() == [12345, None, 800]
    assert listed["reason"].tolist() == [
        "无拜访总结，不得报销费用（报销 123.45 元）",
        "无拜访总结，不得报销费用；未记录跟进，应不晚于 2026-07-09",
        "跟进日期 2026-07-09 晚于 2026-07-08（拜访后 8 天）",
    ]
    assert listed["source_rows"].tolist() == ["拜访.csv row 3", "拜访.csv row 4", "拜访.csv row 5"]


def test_without_the_summary_rule_nothing_blocks():
    listed = blocked_visits(visits({"summary_date": None}), "2026-07", VisitSettings(summary_required=False))
    assert listed.empty


def test_a_longer_follow_up_window():
    kpis = visit_kpis(visits({"follow_up_date": "2026-07-11"}), "2026-07", VisitSettings(follow_up_days=10))
    assert kpi(kpis, "visit_followup_rate", "E1")[0] == 1
