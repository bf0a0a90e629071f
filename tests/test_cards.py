"""Each role card on one full person, hand-computed (tests/cases/cards.yaml)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import write_tables
from perfpay.inputs import load_inputs
from perfpay.periods import Period
from perfpay.scorecard import explain_table, score, scores_table

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "cards.yaml").read_text(encoding="utf-8"))


def _rows(case):
    period = Period.parse(case["period"]).label
    eid = case["person"]["employee_id"]
    tables = {"roster": [*CASES["people"], case["person"]], "targets": [], "actuals": [],
              "events": [], "ratings": [], "adjustments": []}
    for kind, column in (("targets", "target"), ("actuals", "actual")):
        for ind, value in (case.get(kind) or {}).items():
            tables[kind].append({"period": period, "employee_id": eid, "indicator": ind, column: value})
    for ev in case.get("events") or []:
        tables["events"].append({"employee_id": eid, **ev})
    for r in case.get("ratings") or []:
        tables["ratings"].append({"period": period, "employee_id": eid, **r})
    for a in case.get("adjustments") or []:
        tables["adjustments"].append({"period": period, "employee_id": eid, **a})
    return tables


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_card(case, params, tmp_path):
    folder = write_tables(tmp_path / "inputs", _rows(case))
    inputs = load_inputs(folder, params.catalog, case["period"])
    assert not inputs.report.has_errors, inputs.report.format()
    result = score(params, inputs, case["period"])
    eid = case["person"]["employee_id"]
    explain = explain_table(result)
    mine = explain[(explain["employee_id"] == eid) & (explain["indicator_key"] != "total")]
    mine = mine.set_index("indicator_key")
    totals = explain[(explain["employee_id"] == eid) & (explain["indicator_key"] == "total")]
    assert list(totals["points"]) == [Decimal(case["expect"]["total"])], "one total row per scored unit"
    expect = dict(case["expect"])
    total, grade, flags = expect.pop("total"), expect.pop("grade"), expect.pop("flags", [])
    assert set(mine.index) == set(expect), "every indicator of the card is explained once"
    wrong = [f"{k}@{case['period']} for {eid}: got {mine.loc[k, 'points']}, expected {v} "
             f"(note: {mine.loc[k, 'note']})"
             for k, v in expect.items() if mine.loc[k, "points"] != Decimal(v)]
    assert not wrong, "\n".join(wrong)
    row = scores_table(result).set_index("employee_id").loc[eid]
    assert row["total"] == Decimal(total), f"total@{case['period']} for {eid}: got {row['total']}, expected {total}"
    assert row["grade"] == grade
    for flag in flags:
        assert flag in row["flags"]
