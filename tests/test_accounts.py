"""Key-account classification, churn and retention (SPEC 5) on small hand-made orders.

Volumes are 方 as a finance person writes them; thresholds are the defaults (5,000 方, 80%,
no invoice more than 90 days overdue in the last 12 months, 6 months without an order).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from perfpay.kpis.accounts import (CHURN_COLUMNS, CLASS_COLUMNS, KPI_COLUMNS, AccountSettings, churn,
                                   classify, months_ending, retention_kpis)


def orders(*rows: dict) -> pd.DataFrame:
    """Order rows as the reader gives them; row n of the list is row n + 1 of 合同.csv."""
    base = {"customer_id": "K1", "customer_name": None, "group": None, "employee_id": "E1",
            "date": "2026-06-01", "volume": "1000", "amount": None, "overdue_days": None,
            "referred_by": None, "strategic": False, "terminated_on": None}
    frame = pd.DataFrame([{**base, "order_id": f"C{i}", **row} for i, row in enumerate(rows, start=1)])
    frame["volume"] = frame["volume"].map(Decimal)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["terminated_on"] = pd.to_datetime(frame["terminated_on"])
    frame["_file"], frame["_sheet"], frame["_row"] = "合同.csv", None, range(2, len(frame) + 2)
    return frame


def classes(result: pd.DataFrame, customer: str = "K1") -> list[str]:
    return result.loc[result["customer_id"] == customer, "class"].tolist()


def reason(result: pd.DataFrame, cls: str, customer: str = "K1") -> str:
    return result.loc[(result["customer_id"] == customer) & (result["class"] == cls), "reason"].item()


AS_OF = "2026-06-30"


# classification ------------------------------------------------------------------

def test_cumulative_volume_of_exactly_5000_is_not_over_5000():
    result = classify(orders({"volume": "3000"}, {"volume": "2000"}), AS_OF)
    assert classes(result) == ["潜在大客户"]
    assert reason(result, "潜在大客户") == "累计方量 5,000 达到 5,000 的 80%（4,000）"


def test_cumulative_volume_of_5000_01_makes_a_premium_customer():
    result = classify(orders({"volume": "3000"}, {"volume": "2000.01"}), AS_OF)
    assert list(result.columns) == CLASS_COLUMNS
    assert classes(result) == ["优质客户"]
    row = result.iloc[0]
    assert row["reason"] == "累计方量 5,000.01 > 5,000 且近12个月无逾期超过90天的账款"
    assert row["source_rows"] == "合同.csv rows 2-3"


def test_one_contract_of_exactly_5000_is_not_high_value():
    result = classify(orders({"volume": "5000"}), AS_OF)
    assert classes(result) == ["潜在大客户"]
    assert reason(result, "潜在大客户") == ("累计方量 5,000 达到 5,000 的 80%（4,000）；"
                                        "单一合同 C1 方量 5,000 达到 5,000 的 80%（4,000）")


def test_one_contract_of_5000_01_is_high_value_and_premium():
    result = classify(orders({"volume": "100"}, {"volume": "5000.01"}), AS_OF)
    assert classes(result) == ["优质客户", "高值客户"]
    assert reason(result, "高值客户") == "单一合同 C2 方量 5,000.01 > 5,000 且近12个月无逾期超过90天的账款"
    assert result.loc[result["class"] == "高值客户", "source_rows"].item() == "合同.csv row 3"


@pytest.mark.parametrize("overdue, good", [(90, True), (91, False), (None, True)])
def test_credit_is_good_up_to_90_days_overdue(overdue, good):
    result = classify(orders({"volume": "6000", "overdue_days": overdue}), AS_OF)
    if good:
        assert classes(result) == ["优质客户", "高值客户"]
    else:
        assert classes(result) == ["潜在大客户"]
        assert reason(result, "潜在大客户") == (
            "累计方量 6,000 > 5,000 但近12个月有逾期超过90天的账款（合同 C1 逾期 91 天）；"
            "单一合同 C1 方量 6,000 > 5,000 但近12个月有逾期超过90天的账款（合同 C1 逾期 91 天）")


@pytest.mark.parametrize("invoice_date, counts", [
    ("2025-09-29", False),        # 12 months and a day before 2026-09-30
    ("2025-09-30", False),        # the same day a year before: the 12 months are 2025-10-01 … 2026-09-30
    ("2025-10-01", True),         # the first day of the 12 months
    ("2026-09-30", True),         # the last day
])
def test_an_overdue_invoice_counts_in_the_12_months_ending_on_the_day(invoice_date, counts):
    rows = orders({"date": invoice_date, "volume": "100", "overdue_days": 200}, {"date": "2026-09-01", "volume": "6000"})
    result = classify(rows, "2026-09-30")
    assert ("优质客户" not in classes(result)) == counts


def test_the_12_months_ending_on_a_day():
    assert months_ending(pd.Timestamp("2026-09-30"), 12) == pd.Timestamp("2025-10-01")
    assert months_ending(pd.Timestamp("2026-06-30"), 6) == pd.Timestamp("2026-01-01")
    assert months_ending(pd.Timestamp("2026-07-15"), 6) == pd.Timestamp("2026-01-16")


def test_a_customer_who_referred_a_customer_that_closed_is_premium():
    rows = orders({"customer_id": "K1", "volume": "10", "customer_name": "甲公司"},
                  {"customer_id": "K2", "referred_by": "K1", "volume": "20"},
                  {"customer_id": "K3", "referred_by": "K1", "volume": "20"},
                  {"customer_id": "K4", "referred_by": "K1", "date": "2026-07-01"},   # after the day: not yet
                  {"customer_id": "K5", "referred_by": "K5"},                         # itself: does not count
                  {"customer_id": "K6", "referred_by": "K9"})                         # K9 has no order of its own
    result = classify(rows, AS_OF)
    assert reason(result, "优质客户") == "推荐的客户 K2、K3 已成交"
    assert result.loc[result["customer_id"] == "K1", "source_rows"].item() == "合同.csv rows 3-4"
    assert result.loc[result["customer_id"] == "K1", "customer_name"].item() == "甲公司"
    assert classes(result, "K5") == []
    referrer = result[result["customer_id"] == "K9"].iloc[0]
    assert (referrer["class"], referrer["customer_name"], referrer["employee_id"]) == ("优质客户", None, None)


def test_group_and_strategic_customers():
    rows = orders({"customer_id": "K1", "group": "G1"},
                  {"customer_id": "K2", "strategic": True},
                  {"customer_id": "K3", "strategic": None})
    result = classify(rows, AS_OF)
    assert reason(result, "集团客户", "K1") == "隶属集团 G1（集团统一采购）"
    assert classes(result, "K2") == ["战略客户"]
    assert reason(result, "战略客户", "K2") == "标记为战略客户"
    assert classes(result, "K3") == []


@pytest.mark.parametrize("volume, potential", [("4000", True), ("3999.999", False)])
def test_a_potential_key_account_reaches_80_percent(volume, potential):
    result = classify(orders({"volume": volume}), AS_OF)
    assert classes(result) == (["潜在大客户"] if potential else [])


def test_a_premium_customer_by_referral_is_still_potential_by_its_largest_contract():
    rows = orders({"customer_id": "K1", "volume": "4500"}, {"customer_id": "K2", "referred_by": "K1"})
    result = classify(rows, AS_OF)
    assert classes(result) == ["优质客户", "潜在大客户"]
    assert reason(result, "潜在大客户") == "单一合同 C1 方量 4,500 达到 5,000 的 80%（4,000）"


def test_only_orders_up_to_the_day_count_and_the_salesperson_is_of_the_latest_order():
    rows = orders({"volume": "3000", "employee_id": "E1", "date": "2026-05-01"},
                  {"volume": "3000", "employee_id": "E2", "date": "2026-06-30"},
                  {"volume": "3000", "employee_id": "E3", "date": "2026-07-01"})
    result = classify(rows, AS_OF)
    assert classes(result) == ["优质客户"]
    assert reason(result, "优质客户").startswith("累计方量 6,000 > 5,000")
    assert result["employee_id"].tolist() == ["E2"]


def test_settings_move_the_thresholds():
    settings = AccountSettings(cumulative_volume=Decimal(1000), contract_volume=Decimal(2000),
                               potential_share=Decimal(50))
    result = classify(orders({"volume": "1000.5"}), AS_OF, settings)
    assert classes(result) == ["优质客户", "潜在大客户"]
    assert reason(result, "潜在大客户") == "单一合同 C1 方量 1,000.5 达到 2,000 的 50%（1,000）"


def test_no_orders():
    assert list(classify(orders({"date": "2026-07-01"}), AS_OF).columns) == CLASS_COLUMNS


# churn and retention (2026Q3: 2026-07-01 … 2026-09-30) -------------------------------------

def accounts() -> pd.DataFrame:
    big = "6000"
    return orders(
        {"customer_id": "K1", "volume": big, "date": "2026-04-01"},                # kept: 04-01 is within 6 months of 09-30
        {"customer_id": "K2", "volume": big, "date": "2026-03-31"},                # lost: nothing 04-01 … 09-30
        {"customer_id": "K3", "volume": big, "date": "2026-05-01", "employee_id": "E2",
         "terminated_on": "2026-08-15"},                                           # lost: terminated in the quarter
        {"customer_id": "K4", "volume": big, "date": "2025-12-31"},                # not active: no order 01-01 … 06-30
        {"customer_id": "K6", "volume": big, "date": "2026-05-01", "terminated_on": "2026-06-01"},  # ended before
        {"customer_id": "K7", "volume": big, "date": "2026-01-05", "terminated_on": "2026-03-01"},
        {"customer_id": "K7", "volume": "10", "date": "2026-05-01"},               # ordered again: active, kept
        {"customer_id": "K8", "volume": "4500", "date": "2026-05-01"},             # potential only: not a key account
        {"customer_id": "K9", "group": "G1", "date": "2026-08-01"},                # key account only since August
    )


def test_churn_by_termination_and_by_six_months_without_an_order():
    result = churn(accounts(), "2026Q3")
    assert list(result.columns) == CHURN_COLUMNS
    assert result["customer_id"].tolist() == ["K1", "K2", "K3", "K7"]
    lost = dict(zip(result["customer_id"], result["lost"]))
    assert lost == {"K1": False, "K2": True, "K3": True, "K7": False}
    why = dict(zip(result["customer_id"], result["reason"]))
    assert why["K1"] == "期内无终止合同，最近订单 2026-04-01，在近6个月内"
    assert why["K2"] == "最近订单 2026-03-31，2026-04-01 至 2026-09-30 无订单"
    assert why["K3"] == "合同 C3 于 2026-08-15 终止"
    assert result.loc[result["customer_id"] == "K1", "classes"].item() == "优质客户、高值客户"
    assert result.loc[result["customer_id"] == "K3", "source_rows"].item() == "合同.csv row 4"


def test_an_order_exactly_six_months_before_the_start_keeps_an_account_active():
    rows = orders({"customer_id": "K5", "volume": "6000", "date": "2026-01-01"})
    result = churn(rows, "2026Q3")
    assert result["customer_id"].tolist() == ["K5"]
    assert result["lost"].tolist() == [True]


def test_retention_per_salesperson_and_department():
    kpis = retention_kpis(accounts(), "2026Q3")
    assert list(kpis.columns) == KPI_COLUMNS
    got = {(r.kpi, r.unit): (r.numerator, r.denominator, r.value) for r in kpis.itertuples()}
    assert got == {
        ("churned_key_accounts", "E1"): (1, None, Decimal(1)),
        ("churned_key_accounts", "E2"): (1, None, Decimal(1)),
        ("churned_key_accounts", "大客户部"): (2, None, Decimal(2)),
        ("retention", "E1"): (2, 3, Decimal("66.666666")),         # 1 − 1/3, truncated
        ("retention", "E2"): (0, 1, Decimal("0.000000")),
        ("retention", "大客户部"): (2, 4, Decimal("50.000000")),     # ratio of the sums
    }
    row = kpis[(kpis["kpi"] == "retention") & (kpis["unit"] == "E1")].iloc[0]
    assert (row["period"], row["level"], row["department"], row["name"], row["measure"], row["source"]) == \
        ("2026Q3", "person", "大客户部", "客户保有率", "percent", "orders")
    assert row["source_rows"] == "合同.csv rows 2-3, 8"
    lost_e1 = kpis[(kpis["kpi"] == "churned_key_accounts") & (kpis["unit"] == "E1")].iloc[0]
    assert lost_e1["source_rows"] == "合同.csv row 3"


def test_retention_with_no_active_key_account_has_no_value():
    kpis = retention_kpis(accounts(), "2025Q3")
    assert kpis["unit"].tolist() == ["大客户部", "大客户部"]
    lost, kept = kpis.iloc[0], kpis.iloc[1]
    assert (lost["numerator"], lost["value"]) == (0, Decimal(0))
    assert (kept["numerator"], kept["denominator"], kept["value"]) == (0, 0, None)
    assert kept["note"] == "no key account active at the start (2025-07-01)"
