"""The quarterly key-account commission ledger (SPEC 7): hand-computed quarters, then properties.

Amounts in the cases are yuan as a finance person writes them; the ledger works in fen.
T = 200,000 and B = 100,000 unless a case says otherwise; r = 4% (params/commission.yaml).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfpay.errors import ParamsError
from perfpay.params import load_params
from perfpay.pay.ledger import LedgerParams, LedgerState, exact_amounts, kpi_coefficient, run_ledger, run_quarter

PARAMS_DIR = Path(__file__).resolve().parents[1] / "params"
PARAMS = load_params(PARAMS_DIR)
P = LedgerParams.load(PARAMS, "2026Q1")
QUARTERS = ["2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1", "2027Q2", "2027Q3", "2027Q4"]


def fen(yuan) -> int:
    value = Decimal(str(yuan)) * 100
    assert value == value.to_integral_value()
    return int(value)


def frame(*people: dict) -> pd.DataFrame:
    """People as dicts with yuan amounts; defaults T = 200,000, coefficient 1."""
    rows = []
    for person in people:
        row = {"employee_id": "E1", "target": 200_000, "kpi_coefficient": 1, **person}
        for col in ("credited", "target", "service_revenue"):
            if col in row:
                row[col] = fen(row[col])
        rows.append(row)
    return pd.DataFrame(rows)


def run(credits, params=P, **person) -> pd.DataFrame:
    """One person over consecutive quarters; `credits` a list of yuan or of dicts."""
    quarters = []
    for q, c in zip(QUARTERS, credits):
        row = {**person, **(c if isinstance(c, dict) else {"credited": c})}
        quarters.append((q, frame(row)))
    return run_ledger(quarters, params)


def yuan(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def check(rows: pd.DataFrame, expected: list[dict]) -> None:
    """Compare row by row; a failure reads `2026Q2 commission: got 5200.00, expected 5000.00`."""
    assert len(rows) == len(expected)
    problems = []
    for (_, row), want in zip(rows.iterrows(), expected):
        for col, value in want.items():
            got = row[col]
            if col in ("case", "floating_wage_paid", "formula", "filled", "employee_id"):
                ok = got == value
            else:
                ok = got == yuan(value)
            if not ok:
                problems.append(f"{row['quarter']} {row['employee_id']} {col}: got {got}, expected {value}")
    assert not problems, "\n".join(problems)


# SPEC 7 worked example ----------------------------------------------------------------------
WORKED = [
    # credited, X, case, commission, back-pay, floating, withheld, shortfall after, carry-out
    (80_000, 80_000, 1, 0, 0, False, 600, 20_000, 0),
    (150_000, 150_000, 3, 5_200, 4_000, False, 0, 0, 0),
    (240_000, 240_000, 4, 8_000, 0, True, 0, 0, 40_000),
    (90_000, 130_000, 2, 5_200, 0, False, 0, 0, 0),
]


def test_worked_example_line_by_line():
    rows = run([w[0] for w in WORKED])
    names = ["credited", "X", "case", "commission", "backpay", "floating_wage_paid", "withheld",
             "shortfall_after", "carry_out"]
    check(rows, [dict(zip(names, w)) for w in WORKED])
    paid = (rows["commission"] + rows["backpay"]).sum()
    assert paid == Decimal("22400.00") == Decimal("0.04") * 560_000
    assert list(rows["bonus"]) == [yuan(0), yuan(9_200), yuan(8_000), yuan(5_200)]


def test_worked_example_texts():
    rows = run([w[0] for w in WORKED])
    assert rows["formula"][1].startswith(
        "case 3: (max(0, 50,000 − 20,000) + 100,000) × 4% = 5,200; back-pay 2026Q1 base 100,000 × 4% = 4,000")
    assert rows["filled"][1] == "2026Q1 20,000 of 20,000 (filled: back-pay on base 100,000)"
    assert rows["formula"][3].startswith("X = 90,000 + carry 40,000 = 130,000; case 2: 130,000 × 4% = 5,200")
    assert "600 withheld" in rows["formula"][0]


def test_worked_example_kpi_coefficient_in_q2():
    rows = run([80_000, {"credited": 150_000, "kpi_coefficient": Decimal("0.9")}, 240_000, 90_000])
    assert rows["bonus"][1] == Decimal("9016.00")          # 9,200 × (80% + 20% × 0.9)
    assert rows["kpi_coefficient"][1] == Decimal("0.9")
    assert rows["formula"][1].endswith("bonus 9,200 × (80% + 20% × 0.9) = 9,016")
    assert list(rows.columns) == [
        "quarter", "employee_id", "credited", "carry_in", "X", "base", "target", "case", "commission",
        "backpay", "service_commission", "kpi_coefficient", "bonus", "floating_wage_paid", "withheld",
        "shortfall_after", "carry_out", "formula", "filled"]


# each case ------------------------------------------------------------------------------------
def test_case_1_below_base_withholds_and_records_the_shortfall():
    check(run([0]), [dict(case=1, commission=0, withheld=600, shortfall_after=100_000, floating_wage_paid=False)])


def test_case_2_between_base_and_target_without_shortfall():
    check(run([150_000]), [dict(case=2, commission=6_000, backpay=0, withheld=0, floating_wage_paid=False)])


def test_case_3_partial_fills_over_several_short_quarters():
    # two open entries (30,000 and 10,000); an excess of 35,000 fills the first fully and
    # the second by 5,000 only: the partly filled entry pays nothing yet
    rows = run([70_000, 90_000, 135_000, 120_000])
    check(rows, [
        dict(case=1, commission=0, withheld=600, shortfall_after=30_000),
        dict(case=1, commission=0, withheld=600, shortfall_after=40_000),
        dict(case=3, commission=4_000, backpay=4_000, shortfall_after=5_000,
             filled="2026Q1 30,000 of 30,000 (filled: back-pay on base 100,000); "
                    "2026Q2 5,000 of 10,000 (5,000 still open)"),
        # E = 20,000 fills the last 5,000 of Q2: back-pay of Q2's base; (20,000 − 5,000 + 100,000) × 4%
        dict(case=3, commission=4_600, backpay=4_000, shortfall_after=0,
             filled="2026Q2 5,000 of 5,000 (filled: back-pay on base 100,000)"),
    ])
    assert rows["formula"][2].startswith("case 3: (max(0, 35,000 − 40,000) + 100,000) × 4% = 4,000; "
                                         "back-pay 2026Q1 base 100,000 × 4% = 4,000")
    assert (rows["commission"] + rows["backpay"]).sum() == Decimal("0.04") * (70_000 + 90_000 + 135_000 + 120_000)


def test_case_3_two_entries_filled_at_once_pay_back_both_bases():
    rows = run([90_000, 95_000, 120_000])        # entries 10,000 and 5,000; E = 20,000 fills both
    check(rows[2:], [dict(case=3, commission=4_200, backpay=8_000, shortfall_after=0)])
    assert "back-pay (2026Q1 base 100,000 + 2026Q2 base 100,000) × 4% = 8,000" in rows["formula"][2]


def test_case_4_pays_the_target_and_carries_the_rest():
    check(run([260_000]), [dict(case=4, commission=8_000, floating_wage_paid=True, carry_out=60_000)])


def test_case_5_fills_then_pays_up_to_the_target_and_carries_the_rest():
    # E = 150,000 fills 20,000 (back-pay 4,000); R = 130,000; (100,000 + min(130,000, 100,000)) × 4%
    rows = run([80_000, 250_000, 100_000])
    check(rows, [
        dict(case=1, shortfall_after=20_000),
        dict(case=5, commission=8_000, backpay=4_000, floating_wage_paid=True, carry_out=30_000,
             shortfall_after=0),
        dict(case=2, X=130_000, commission=5_200),
    ])
    assert rows["formula"][1].startswith("case 5: (100,000 + min(130,000, 100,000)) × 4% = 8,000")
    assert (rows["commission"] + rows["backpay"]).sum() == Decimal("0.04") * 430_000


def test_case_5_with_a_remainder_below_the_target_carries_nothing():
    # E = 110,000, fills 20,000, R = 90,000: (100,000 + 90,000) × 4% = 7,600
    check(run([80_000, 210_000]), [
        dict(case=1), dict(case=5, commission=7_600, backpay=4_000, carry_out=0, floating_wage_paid=True)])


def test_case_6_above_the_full_payout_threshold():
    check(run([80_000, 350_000]), [
        dict(case=1, shortfall_after=20_000),
        # fills 20,000 (back-pay 4,000); (350,000 − 20,000) × 4% = 13,200; no carry
        dict(case=6, commission=13_200, backpay=4_000, carry_out=0, floating_wage_paid=True, shortfall_after=0)])
    check(run([320_000]), [dict(case=6, commission=12_800, carry_out=0)])


def test_case_6_reached_with_carry_in():
    # Q1 carries 80,000; Q2 X = 250,000 + 80,000 = 330,000 ≥ 300,000
    check(run([280_000, 250_000]), [
        dict(case=4, commission=8_000, carry_out=80_000),
        dict(case=6, X=330_000, commission=13_200, carry_out=0)])


def test_threshold_below_target_does_not_skip_the_target():
    # decision: case 6 needs X ≥ T as well; with T = 400,000, X = 350,000 is case 2
    check(run([350_000], target=400_000), [dict(case=2, commission=14_000, floating_wage_paid=False)])


def test_exactly_on_the_boundaries():
    check(run([100_000]), [dict(case=2, commission=4_000)])            # X = B
    check(run([200_000]), [dict(case=4, commission=8_000, carry_out=0)])  # X = T
    check(run([300_000]), [dict(case=6, commission=12_000, carry_out=0)])  # X = 300,000


# new hires, KPI, service, leaving, managers -------------------------------------------------
def test_new_hire_first_quarter_has_no_task():
    rows = run([{"credited": 50_000, "is_new_hire_quarter": True},
                {"credited": 400_000, "is_new_hire_quarter": False}])
    check(rows, [dict(case="new", commission=2_000, withheld=0, floating_wage_paid=False,
                      shortfall_after=0, carry_out=0),
                 dict(case=6, commission=16_000)])
    big = run([{"credited": 450_000, "is_new_hire_quarter": True}, 0])
    check(big, [dict(case="new", commission=18_000, carry_out=0), dict(case=1, carry_in=0)])


def test_kpi_coefficient_scales_the_bonus():
    rows = run([{"credited": 150_000, "kpi_coefficient": 0}, {"credited": 150_000, "kpi_coefficient": "0.5"}])
    check(rows, [dict(commission=6_000, bonus=4_800), dict(commission=6_000, bonus=5_400)])


def test_kpi_coefficient_from_the_card_score():
    got = kpi_coefficient([Decimal("95"), 120, -5, None, "87.5"], P)
    assert list(got) == [Fraction(95, 100), 1, 0, None, Fraction(875, 1000)]


def test_service_commission_is_ungated_and_in_the_bonus():
    rows = run([{"credited": 0, "service_revenue": 10_000, "kpi_coefficient": "0.5"}])
    # case 1 for the task; the service commission is paid anyway: 600 × (80% + 20% × 0.5)
    check(rows, [dict(case=1, commission=0, service_commission=600, bonus=540, withheld=600)])
    assert "service 10,000 × 6% = 600" in rows["formula"][0]


def test_leaving_pays_out_the_carry():
    # case 5: (100,000 + 100,000) × 4% = 8,000, carry 20,000 paid out: + 800
    rows = run([80_000, {"credited": 240_000, "left": True}])
    check(rows[1:], [dict(case=5, commission=8_800, backpay=4_000, carry_out=0)])
    assert "leaving: carry 20,000 × 4% = 800 paid out" in rows["formula"][1]


def test_leaving_lapses_the_shortfall_and_clears_the_state():
    q1, q2 = frame({"credited": 80_000}), frame({"credited": 50_000, "left": True})
    rows1, state = run_quarter(LedgerState(), "2026Q1", q1, P)
    rows2, state = run_quarter(state, "2026Q2", q2, P)
    check(rows2, [dict(case=1, withheld=600, shortfall_after=0, carry_out=0)])
    assert "leaving: shortfall 70,000 lapses" in rows2["formula"][0]
    assert state.shortfall.empty and state.carry.empty


def test_manager_floating_wage_needs_both_targets():
    q = [("2026Q3", frame({"employee_id": "M1", "credited": 240_000, "manager_department_met": False},
                          {"employee_id": "M2", "credited": 240_000, "manager_department_met": True},
                          {"employee_id": "S1", "credited": 240_000}))]
    assert list(run_ledger(q, P)["floating_wage_paid"]) == [False, True, True]
    assert "department target not met" in run_ledger(q, P)["formula"][0]
    one_target = dataclasses.replace(P, manager_needs_both=False)
    assert list(run_ledger(q, one_target)["floating_wage_paid"]) == [True, True, True]


def test_year_end_options():
    pay_out = dataclasses.replace(P, year_end_carry="pay_out", year_end_shortfall="lapse")
    a, b = {"employee_id": "A"}, {"employee_id": "B"}
    rows = run_ledger([("2026Q4", frame({**a, "credited": 240_000}, {**b, "credited": 0})),
                       ("2027Q1", frame({**a, "credited": 0}, {**b, "credited": 0}))], pay_out)
    # 2026Q4: A's carry 40,000 is paid out (8,000 + 1,600); B's shortfall 100,000 lapses
    check(rows, [dict(case=4, commission=9_600, carry_out=0), dict(case=1, shortfall_after=0),
                 dict(case=1, carry_in=0), dict(case=1, shortfall_after=100_000)])
    # default: shortfall and carry-over survive the year end
    check(run([80_000, 100_000, 100_000, 100_000, 150_000])[4:], [dict(case=3, backpay=4_000)])
    check(run([100_000, 100_000, 100_000, 240_000, 90_000])[3:], [dict(case=4, carry_out=40_000),
                                                                  dict(carry_in=40_000, X=130_000)])


# cents ---------------------------------------------------------------------------------------
def test_cents_round_half_up_on_paid_amounts_only():
    # service 0.75 × 6% = 0.045 → 0.05 (half up; banker's rounding would give 0.04)
    rows = run([{"credited": "12345.67", "is_new_hire_quarter": True, "service_revenue": "0.75"}])
    check(rows, [dict(commission="493.83", service_commission="0.05")])   # 12,345.67 × 4% = 493.8268
    # the bonus comes from the exact amounts: 0.045 × (80% + 20% × 0.5) = 0.0405 → 0.04, not 0.05 × 0.9
    only = run([{"credited": 0, "service_revenue": "0.75", "kpi_coefficient": "0.5", "is_new_hire_quarter": True}])
    check(only, [dict(service_commission="0.05", bonus="0.04")])


def test_half_fen_targets_round_the_base_half_up():
    check(run([0], target="100.01"), [dict(base="50.01", shortfall_after="50.01")])


# state, order and inputs ----------------------------------------------------------------------
def test_people_absent_from_a_quarter_keep_their_ledger():
    rows = run_ledger([("2026Q1", frame({"employee_id": "A", "credited": 80_000})),
                       ("2026Q2", frame({"employee_id": "B", "credited": 150_000})),
                       ("2026Q3", frame({"employee_id": "A", "credited": 150_000}))], P)
    check(rows, [dict(employee_id="A", case=1), dict(employee_id="B", case=2),
                 dict(employee_id="A", case=3, backpay=4_000, commission=5_200)])


def test_params_folder_resolved_per_quarter_and_reruns_are_identical():
    quarters = [(q, frame({"credited": c})) for q, c in zip(QUARTERS, [80_000, 150_000, 240_000, 90_000])]
    first = run_ledger(quarters, PARAMS)
    pd.testing.assert_frame_equal(first, run_ledger(quarters, PARAMS))
    pd.testing.assert_frame_equal(first, run_ledger(quarters, P))


def test_quarters_must_come_in_order():
    with pytest.raises(ValueError, match="in order"):
        run_ledger([("2026Q2", frame({"credited": 0})), ("2026Q1", frame({"credited": 0}))], P)
    with pytest.raises(ValueError, match="quarters"):
        run_ledger([("2026-07", frame({"credited": 0}))], P)


def test_input_problems_are_listed_together():
    bad = pd.DataFrame({"employee_id": ["A", "A", "B"], "credited": [1, Decimal("0.5"), 1],
                        "target": [0, 0, 0], "kpi_coefficient": [1, 1, "1.2"]})
    with pytest.raises(ValueError) as err:
        run_quarter(LedgerState(), "2026Q1", bad, P)
    text = str(err.value)
    assert "employee A: appears more than once" in text
    assert "credited Decimal('0.5') is not a whole number of fen" in text
    assert "kpi_coefficient '1.2' is not in [0, 1]" in text
    with pytest.raises(ValueError, match="column.s. target missing"):
        run_quarter(LedgerState(), "2026Q1", pd.DataFrame({"employee_id": ["A"], "credited": [0],
                                                           "kpi_coefficient": [1]}), P)


def test_commission_yaml_loads_and_is_checked():
    doc = PARAMS.document("commission", "2026Q3")
    assert doc["task_rate"]["value"] == Decimal("0.04")
    assert (P.rate, P.base_ratio, P.full_threshold, P.withholding, P.service_rate) == \
        (Fraction(1, 25), Fraction(1, 2), 30_000_000, 60_000, Fraction(6, 100))
    assert (P.fixed_weight, P.variable_weight, P.implementation_stream) == (Fraction(4, 5), Fraction(1, 5), "task")
    assert (P.leaving_carry, P.leaving_shortfall, P.year_end_carry, P.year_end_shortfall) == \
        ("pay_out", "lapse", "keep", "keep")
    broken = {**doc, "task_rate": {"value": Decimal("4")}, "leaving": {"carry_over": "later"}}
    with pytest.raises(ParamsError) as err:
        LedgerParams.from_document(broken)
    assert len(err.value.problems) == 3                   # rate, leaving.carry_over, leaving.shortfall
    with pytest.raises(ParamsError, match="nothing in force for 2025Q4"):
        LedgerParams.load(PARAMS, "2025Q4")


# properties -------------------------------------------------------------------------------------
AMOUNTS = st.one_of(st.integers(0, 45_000_000), st.sampled_from(range(0, 45_000_001, 100_000)),
                    st.sampled_from([0, 5_000_000, 10_000_000, 20_000_000, 30_000_000]))
TARGETS = st.sampled_from([10_000_000, 20_000_000, 25_000_001, 40_000_000])


@st.composite
def sequences(draw, with_gaps=False):
    """Quarters × people: (quarter, frame) in fen, coefficient 1, nobody leaving."""
    people = [f"E{i}" for i in range(draw(st.integers(1, 4)))]
    targets = {e: draw(TARGETS) for e in people}
    new = {e: draw(st.booleans()) for e in people}
    out = []
    for i, q in enumerate(QUARTERS[:draw(st.integers(1, 8))]):
        here = [e for e in people if not with_gaps or draw(st.booleans())]
        out.append((q, pd.DataFrame({
            "employee_id": pd.Series(here, dtype=object),
            "credited": pd.Series([draw(AMOUNTS) for _ in here], dtype="int64"),
            "service_revenue": pd.Series([draw(st.integers(0, 100_000)) for _ in here], dtype="int64"),
            "target": pd.Series([targets[e] for e in here], dtype="int64"),
            "is_new_hire_quarter": [new[e] and i == 0 for e in here],
            "kpi_coefficient": [1] * len(here)})))
    return out


def _run(quarters):
    state, rows = LedgerState(), []
    for q, f in quarters:
        r, state = run_quarter(state, q, f, P, exact=True)
        rows.append(r)
    return pd.concat(rows, ignore_index=True), state


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences(with_gaps=True))
def test_conservation_every_credited_yuan_earns_r_once(quarters):
    rows, state = _run(quarters)
    exact = exact_amounts(rows)
    paid = sum(exact["commission"]) + sum(exact["backpay"])
    credited = sum(int(f["credited"].sum()) for _, f in quarters)
    held = int((state.shortfall["base"] - state.shortfall["unfilled"]).sum())
    assert paid == P.rate * (credited - int(state.carry.sum()) - held)
    # the paid amounts are the exact ones rounded half up, each within half a fen
    for col in ("commission", "backpay", "service_commission", "bonus"):
        amounts = exact[col.replace("service_commission", "service")]
        assert all(abs(Fraction(int(a)) - e) <= Fraction(1, 2) for a, e in zip(rows[col], amounts))
    assert (exact["bonus"] == (exact["commission"] + exact["backpay"] + exact["service"]) * exact["factor"]).all()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences(with_gaps=True))
def test_a_person_does_not_depend_on_who_else_is_in_the_frame(quarters):
    together = run_ledger(quarters, P)
    for person in together["employee_id"].unique():
        alone = run_ledger([(q, f[f["employee_id"] == person]) for q, f in quarters], P)
        mine = together[together["employee_id"] == person].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences())
def test_matches_a_plain_reading_of_spec_7(quarters):
    rows, _ = _run(quarters)
    want = _reference(quarters)
    got = rows[["quarter", "employee_id", "case", "commission_base", "backpay_base", "carry_out",
                "shortfall_after", "withheld"]].to_dict("records")
    assert got == want


def _reference(quarters):
    """SPEC 7 read literally, one person and one entry at a time (the oracle; no vectorising)."""
    carry, short, out = {}, {}, []
    for q, f in quarters:
        for row in f.to_dict("records"):
            e, t = row["employee_id"], row["target"]
            b = (t + 1) // 2                        # 50% of T, half a fen up
            x = row["credited"] + carry.pop(e, 0)
            s = short.setdefault(e, [])
            has_s = bool(s)
            backpay = commission = carry_out = filled = 0
            if row["is_new_hire_quarter"]:
                case, commission = "new", x
            elif x < b:
                case = 1
                s.append([q, b, b - x])
            else:
                spare = x - b
                for entry in s:
                    take = min(spare, entry[2])
                    entry[2] -= take
                    spare -= take
                    filled += take
                    if take and entry[2] == 0:
                        backpay += entry[1]
                s[:] = [entry for entry in s if entry[2] > 0]
                rest = x - b - filled
                if x < t:
                    case, commission = (3 if has_s else 2), rest + b
                elif x < 30_000_000:
                    case = 5 if has_s else 4
                    commission, carry_out = b + min(rest, t - b), max(0, rest - (t - b))
                else:
                    case, commission = 6, x - filled
            if carry_out:
                carry[e] = carry_out
            out.append({"quarter": q, "employee_id": e, "case": case, "commission_base": commission,
                        "backpay_base": backpay, "carry_out": carry_out,
                        "shortfall_after": sum(entry[2] for entry in s), "withheld": 60_000 if case == 1 else 0})
    return out


# widths: int64 while it provably fits, Python ints beyond -------------------------------------
def test_int64_and_python_ints_give_the_same_ledger(monkeypatch):
    credits = [80_000, {"credited": "150000.37", "kpi_coefficient": Decimal("0.8731"), "service_revenue": "0.75"},
               {"credited": 240_000, "left": True}, 90_000]
    fast = run(credits)
    monkeypatch.setattr("perfpay.exact.LIMIT", 0)          # every bound fails: Python ints throughout
    slow = run(credits)
    pd.testing.assert_frame_equal(fast, slow)
    rows, _ = _run([(q, frame({"credited": c})) for q, c in zip(QUARTERS, [80_000, 150_000])])
    assert rows["commission"].dtype == object               # the fallback really ran


def test_amounts_beyond_int64_stay_exact():
    # 10^11 yuan (10^13 fen) with a coefficient of 0.8731: the bonus numerator passes 2^62
    coefficient = Fraction(8731, 10_000)
    big = 10**11
    rows = run([{"credited": big, "service_revenue": "0.75", "kpi_coefficient": coefficient,
                 "is_new_hire_quarter": True}])
    rate, service_rate = P.rate, P.service_rate
    commission = Fraction(big * 100) * rate
    service = Fraction(75) * service_rate
    bonus = (commission + service) * (P.fixed_weight + P.variable_weight * coefficient)
    half_up = lambda f: (2 * f.numerator + f.denominator) // (2 * f.denominator)     # f >= 0, in fen
    assert rows["commission"][0] == Decimal(half_up(commission)) / 100
    assert rows["bonus"][0] == Decimal(half_up(bonus)) / 100
    assert rows["bonus"][0] == Decimal("3898480000.04")        # (4 × 10^9 + 0.045) × 0.97462
    assert rows["formula"][0].endswith("bonus 4,000,000,000.05 × (80% + 20% × 0.8731) = 3,898,480,000.04")
    exact, _ = _run([("2026Q1", frame({"credited": big, "kpi_coefficient": coefficient}))])
    assert exact["bonus"].dtype == object                      # past int64: Python ints


@pytest.mark.parametrize("forced", [False, True])
def test_halves_of_a_fen_round_away_from_zero(forced, monkeypatch):
    if forced:
        monkeypatch.setattr("perfpay.exact.LIMIT", 0)
    half = dataclasses.replace(P, rate=Fraction(1, 2))
    # new hires: commission = X × 1/2; 1 fen → 0.5 → 1, 3 → 1.5 → 2, 2 → 1
    rows = run([{"credited": "0.01", "is_new_hire_quarter": True}], params=half)
    check(rows, [dict(commission="0.01")])
    rows = run([{"credited": "0.03", "is_new_hire_quarter": True}], params=half)
    check(rows, [dict(commission="0.02")])
    # service 6%: 74 fen → 4.44 → 4, 75 → 4.5 → 5, 76 → 4.56 → 5; a refund of 75 fen → −4.5 → −5
    for fen_in, fen_out in ((74, 4), (75, 5), (76, 5), (-75, -5), (-74, -4)):
        rows = run([{"credited": 0, "service_revenue": Decimal(fen_in) / 100}])
        assert rows["service_commission"][0] == Decimal(fen_out) / 100, fen_in


def test_yuan_texts_match_the_plain_format():
    from perfpay.pay.ledger_text import _money, _yuan
    values = [0, 1, 5, 99, 100, 101, 99_999, 100_000, 100_001, 123_456_789, 100_000_000, -1, -100, -123_456_789,
              999_999_999_999, 10**15 + 7, 2**63 - 1, -(2**63) + 1]
    assert _yuan(values).to_pylist() == [_money(v) for v in values]
    assert _yuan([-(2**63), 2**70]).to_pylist() == [_money(-(2**63)), _money(2**70)]
