"""Customer-service KPIs (SPEC 8) on small hand-made records, every figure computed by hand."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from conftest import write_csv
from perfpay.kpis.frame import exact, fmt_value, truncate
from perfpay.kpis.records import load_records
from perfpay.kpis.service import CALL_KPIS, service_kpis, trace
from perfpay.kpis.settings import ServiceSettings
from perfpay.errors import ParamsError

ROSTER = pd.DataFrame(
    [("E1", "客户服务部", "", "M1"), ("E2", "客户服务部", "华东分部", "M1"), ("E3", "客户服务部", "华东分部", "M2"),
     ("E4", "客户服务部", "", "M2"), ("E5", "客户服务部", "", "M2"), ("E6", "客户服务部", "", "M2"),
     ("E7", "客户服务部", "", "M2"), ("M1", "客户服务部", "", ""), ("M2", "客户服务部", "", "")],
    columns=["employee_id", "department", "branch", "manager_id"])

CALLS = [
    ["call_id", "employee_id", "customer_id", "direction", "offered_at", "answered_at", "ended_at",
     "talk_s", "hold_s", "wrap_s", "category", "abandoned"],
    # E1: C1 is repeated by C2 exactly 7 x 24 h later (a repeat: the edge counts)
    ["C1", "E1", "U1", "in", "2026-07-01 09:00:00", "2026-07-01 09:00:10", "2026-07-01 09:05:40", "300", "10.5", "20", "billing", ""],
    ["C2", "E2", "U1", "in", "2026-07-08 09:00:00", "2026-07-08 09:00:05", "2026-07-08 09:02:05", "120", "", "", "billing", ""],
    # C3 is repeated one second inside the window
    ["C3", "E1", "U2", "in", "2026-07-02 10:00:00", "2026-07-02 10:00:05", "2026-07-02 10:01:45", "100", "", "", "tech", ""],
    ["C4", "E2", "U2", "in", "2026-07-09 09:59:59", "2026-07-09 10:00:09", "2026-07-09 10:01:09", "60", "", "", "tech", ""],
    # C5 is followed one second outside the window: resolved at first contact; C6 opens a new issue
    ["C5", "E1", "U3", "in", "2026-07-03 10:00:00", "2026-07-03 10:00:03", "2026-07-03 10:03:23", "200", "", "", "tech", ""],
    ["C6", "E2", "U3", "in", "2026-07-10 10:00:01", "2026-07-10 10:00:04", "2026-07-10 10:01:04", "60", "", "", "tech", ""],
    ["C7", "E1", "U4", "in", "2026-07-03 11:00:00", "", "2026-07-03 11:00:30", "", "", "", "", "yes"],
    ["C8", "E1", "U4", "out", "2026-07-03 12:00:00", "2026-07-03 12:00:09", "2026-07-03 12:05:09", "300", "", "", "", ""],
    # E5: every call abandoned
    ["C9", "E5", "U7", "in", "2026-07-04 09:00:00", "", "2026-07-04 09:00:40", "", "", "", "", "是"],
    ["C10", "E5", "U8", "呼入", "2026-07-04 09:10:00", "", "2026-07-04 09:10:20", "", "", "", "", "是"],
]
TICKETS = [
    ["ticket_id", "employee_id", "customer_id", "category", "opened_at", "resolved_at", "is_complaint", "valid",
     "cause", "satisfaction"],
    ["T1", "E3", "U5", "billing", "2026-07-01 08:00:00", "2026-07-03 08:00:00", "是", "", "响应慢", "5"],      # 48 h: within
    ["T2", "E3", "U5", "billing", "2026-07-05 08:00:00", "2026-07-07 09:00:00", "是", "否", "slow_response", ""],  # 49 h
    ["T3", "E3", "U6", "tech", "2026-07-10 08:00:00", "", "是", "", "", ""],                                 # never resolved
    ["T4", "E3", "U6", "tech", "2026-07-11 08:00:00", "2026-07-11 09:00:00", "否", "", "", ""],
]
SURVEYS = [
    ["survey_id", "date", "employee_id", "customer_id", "score", "ticket_id"],
    ["S1", "2026-07-02", "E1", "U1", "5", ""],
    ["S2", "2026-07-03", "E1", "U2", "4", ""],
    ["S3", "2026-07-04", "E1", "U3", "3", ""],
    ["S4", "2026-07-08", "E3", "U5", "3", "T2"],
]
QA = [
    ["sample_id", "date", "employee_id", "score", "call_id"],
    ["Q1", "2026-06-30", "E1", "90", "C1"],      # Tuesday of the week of Thursday 2026-07-02: covers July's week 27
    ["Q2", "2026-07-15", "E1", "85.5", "C3"],
]
FEEDBACK = [
    ["feedback_id", "employee_id", "received_at", "answered_at", "sla_hours"],
    ["F1", "E4", "2026-07-01 09:00:00", "2026-07-02 09:00:00", ""],          # 24 h exactly: on time
    ["F2", "E4", "2026-07-03 09:00:00", "2026-07-04 09:00:01", ""],          # one second late
    ["F3", "E4", "2026-07-05 09:00:00", "2026-07-07 09:00:00", "48"],        # its own SLA
    ["F4", "E4", "2026-07-06 09:00:00", "", ""],                             # never answered
]
HANDOFFS = [
    ["handoff_id", "employee_id", "received_at", "answered_at", "sla_hours"],
    ["H1", "E4", "2026-07-01 09:00:00", "2026-07-01 10:00:00", ""],
    ["H2", "E4", "2026-07-02 09:00:00", "2026-07-02 09:31:00", "0.5"],
]
FOLLOWUPS = [
    ["date", "employee_id", "planned", "done"],
    ["2026-07-01", "E4", "10", "8"],
    ["2026-07-02", "E4", "10", "12"],
    ["2026-06-15", "E6", "5", "5"],            # E6 does follow-ups, but is absent all of July
    ["2026-07-01", "E7", "60", "50"],          # E7 has no attendance row
]
ATTENDANCE = [
    ["month", "employee_id", "days_scheduled", "days_present"],
    ["2026-07", "E4", "22", "11"],
    ["2026-07", "E6", "22", "0"],
]


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    for name, rows in (("calls", CALLS), ("tickets", TICKETS), ("surveys", SURVEYS), ("qa", QA),
                       ("feedback", FEEDBACK), ("handoffs", HANDOFFS), ("followups", FOLLOWUPS),
                       ("attendance", ATTENDANCE)):
        write_csv(root / "records" / f"{name}.csv", rows)
    got = load_records(root, roster=ROSTER)
    assert not got.report.problems, got.report.format()
    return got


@pytest.fixture(scope="module")
def kpis(records):
    return service_kpis(records, ROSTER, ["2026-07", "2026Q3"], ServiceSettings())


def row(kpis, kpi, unit, period="2026-07", level="person"):
    got = kpis[(kpis["period"] == period) & (kpis["level"] == level) & (kpis["unit"] == unit) & (kpis["kpi"] == kpi)]
    assert len(got) == 1, f"{kpi} {level} {unit} {period}: {len(got)} rows"
    return got.iloc[0]


def check(kpis, kpi, unit, num, den, value, level="person", period="2026-07", note=None):
    r = row(kpis, kpi, unit, period, level)
    got = (r["numerator"], r["denominator"], r["value"])
    assert got == (num, den, value), f"{kpi}@{period} for {unit}: got {got}, expected {(num, den, value)}"
    if note is not None:
        assert note in r["note"], f"{kpi}@{period} for {unit}: note {r['note']!r} lacks {note!r}"


# calls -------------------------------------------------------------------------------------------
def test_answer_rate_counts_abandoned_calls_as_offered_not_answered(kpis):
    check(kpis, "answer_rate", "E1", 3, 4, D("75"))           # C1, C3, C5 of C1, C3, C5, C7; C8 is outbound
    check(kpis, "answer_rate", "E2", 3, 3, D("100"))


def test_all_abandoned_and_no_calls(kpis):
    check(kpis, "answer_rate", "E5", 0, 2, D("0"))
    check(kpis, "talk_time", "E5", 0, 0, None, note="no answered inbound calls")
    check(kpis, "answer_rate", "E4", 0, 0, None, note="no inbound calls offered")
    check(kpis, "handled", "E4", 0, None, D("0"))


def test_talk_and_handling_time_are_means_of_answered_inbound_calls(kpis):
    check(kpis, "talk_time", "E1", D("600"), 3, D("200"))                     # (300 + 100 + 200) / 3
    check(kpis, "handling_time", "E1", D("630.5"), 3, D("210.166666"))       # (330.5 + 100 + 200) / 3, truncated


def test_handled_adds_answered_calls_and_tickets(kpis):
    check(kpis, "handled", "E1", 3, None, D("3"))
    check(kpis, "handled", "E3", 4, None, D("4"))
    assert row(kpis, "handled", "E3")["source_rows"].endswith("tickets.csv: 4 rows")


def test_first_contact_resolution_at_the_window_edge(kpis):
    # C1 repeated exactly 7 days later and C3 one second inside: not resolved; C5 one second outside: resolved
    check(kpis, "first_contact_resolution", "E1", 1, 3, D("33.333333"))
    # C2 and C4 are repeats, not issues; C6 opens one whose window runs past the last call on record
    check(kpis, "first_contact_resolution", "E2", 1, 1, D("100"), note="1 issue whose repeat window runs past")


def test_repeat_window_is_a_setting(records):
    k = service_kpis(records, ROSTER, ["2026-07"], ServiceSettings(repeat_window_days=D(1)), kpis=CALL_KPIS)
    check(k, "first_contact_resolution", "E1", 3, 3, D("100"))
    check(k, "first_contact_resolution", "E2", 3, 3, D("100"))


# tickets -------------------------------------------------------------------------------------------
def test_complaints(kpis):
    check(kpis, "repeat_complaint_rate", "E3", 1, 3, D("33.333333"))        # T2 repeats T1 within 7 days
    check(kpis, "complaint_rate", "E3", 2, 4, D("50"))                      # valid T1, T3 of 4 tickets
    check(kpis, "valid_complaints", "E3", 2, None, D("2"))
    check(kpis, "slow_response_complaints", "E3", 1, None, D("1"))              # T2 is slow too, but not valid


def test_complaint_never_resolved(kpis):
    check(kpis, "complaint_hours", "E3", D("97"), 2, D("48.5"), note="1 complaint never resolved")
    check(kpis, "complaint_within_sla", "E3", 1, 3, D("33.333333"), note="1 complaint never resolved")


def test_complaint_satisfaction_takes_the_survey_of_the_ticket(kpis):
    check(kpis, "complaint_satisfaction", "E3", 1, 2, D("50"))              # T1 scored 5, T2 surveyed 3


# surveys, QA ---------------------------------------------------------------------------------------------
def test_satisfaction(kpis):
    check(kpis, "satisfaction", "E1", D("12"), 3, D("4"))
    check(kpis, "satisfied_share", "E1", 2, 3, D("66.666666"))
    check(kpis, "satisfaction", "E3", D("3"), 1, D("3"))


def test_qa_score_and_the_weekly_sample(kpis):
    check(kpis, "qa_score", "E1", D("85.5"), 1, D("85.5"))        # Q1 is dated in June
    assert row(kpis, "qa_score", "E1")["note"] == ""                # ... but covers week 27, July's
    check(kpis, "qa_score", "E2", 0, 0, None, note="no QA sample in 2026-W28")
    check(kpis, "qa_weeks_missing", "E2", 1, None, D("1"))


# feedback, hand-offs, follow-ups --------------------------------------------------------------------------
def test_feedback_and_handoffs_on_time(kpis):
    check(kpis, "feedback_on_time", "E4", 2, 4, D("50"), note="1 item not answered")
    check(kpis, "handoff_on_time", "E4", 1, 2, D("50"))


def test_followups(kpis):
    check(kpis, "followup_rate", "E4", 20, 20, D("100"))
    check(kpis, "followup_completion", "E4", 20, 100, D("20"))              # 200 x 11 / 22 due
    check(kpis, "followup_completion", "E7", 50, 200, D("25"), note="1 month without attendance")


def test_person_absent_all_month(kpis):
    check(kpis, "followup_completion", "E6", 0, 0, None, note="absent all month")


# periods and levels ------------------------------------------------------------------------------------
def test_a_quarter_is_computed_from_its_own_records(kpis):
    check(kpis, "answer_rate", "E1", 3, 4, D("75"), period="2026Q3")
    check(kpis, "followup_completion", "E4", 20, 100, D("20"), period="2026Q3")


def test_levels_are_ratios_of_sums(kpis):
    check(kpis, "answer_rate", "M1", 6, 7, D("85.714285"), level="team")     # not (75 + 100) / 2
    check(kpis, "answer_rate", "M2", 0, 2, D("0"), level="team")
    check(kpis, "answer_rate", "华东分部", 3, 3, D("100"), level="branch")
    check(kpis, "answer_rate", "总部", 3, 6, D("50"), level="branch")          # E1 and E5: blank branch
    check(kpis, "answer_rate", "客户服务部", 6, 9, D("66.666666"), level="department")
    check(kpis, "handled", "客户服务部", 10, None, D("10"), level="department")  # counts add up
    check(kpis, "followup_completion", "M2", 70, 300, D("23.333333"), level="team")


def test_frame_columns_and_trace_text(kpis):
    r = row(kpis, "answer_rate", "E1")
    assert (r["name"], r["measure"], r["source"], r["department"]) == ("接通率", "percent", "calls", "客户服务部")
    assert r["source_rows"].endswith("calls.csv: 4 rows")


def test_trace_lists_the_rows_behind_a_figure(records):
    t = trace(records, "answer_rate", "E1", "2026-07")
    assert list(t["id"]) == ["C1", "C3", "C5", "C7", "C8"]
    assert list(t["in_denominator"]) == [True, True, True, True, False]
    assert list(t["in_numerator"]) == [True, True, True, False, False]
    assert list(t["_row"]) == [2, 4, 6, 8, 9]
    f = trace(records, "first_contact_resolution", "E1", "2026-07")
    assert list(f.loc[f["in_denominator"], "id"]) == ["C1", "C3", "C5"]
    assert list(f.loc[f["in_numerator"], "id"]) == ["C5"]
    h = trace(records, "complaint_hours", "E3", "2026-07")
    assert list(h.loc[h["in_numerator"], "amount"]) == [48, 49]


# exact values ------------------------------------------------------------------------------------------------
def test_truncation_never_lifts_a_value_onto_a_threshold():
    assert truncate(Fraction(929999999, 10**7)) == D("92.999999")      # 92.9999999 stays below 93
    assert truncate(Fraction(-1, 3)) == D("-0.333333")
    assert truncate(Fraction(93)) == D("93")
    assert str(truncate(Fraction(937, 10))) == "93.7"


def test_exact_numbers():
    assert exact(Fraction(1, 4)) == D("0.25") and isinstance(exact(Fraction(1, 4)), D)
    assert exact(Fraction(8, 2)) == 4 and isinstance(exact(Fraction(8, 2)), int)
    assert exact(Fraction(2100, 11)) == Fraction(2100, 11)
    assert fmt_value(Fraction(2100, 11)) == "190.909090…"
    assert fmt_value(D("93.700")) == "93.7" and fmt_value(None) == ""


def test_settings_from_params():
    s = ServiceSettings.from_mapping({"repeat_window_days": 5, "complaint_sla_hours": "36.5"})
    assert s.repeat_window_days == 5 and s.complaint_sla_hours == D("36.5")
    assert s.repeat_window_ns == 5 * 24 * 3600 * 10**9
    with pytest.raises(ParamsError, match="unknown setting"):
        ServiceSettings.from_mapping({"repeat_window": 5})
    with pytest.raises(ParamsError, match="qa_samples_per_week"):
        ServiceSettings.from_mapping({"qa_samples_per_week": 1.5})


def test_first_contacts_with_times_finer_than_a_millisecond():
    from perfpay.kpis.service import first_contacts
    week = 7 * 24 * 3600 * 10**9
    t0 = pd.Timestamp("2026-07-01 09:00:00.0000005")
    calls = pd.DataFrame({
        "customer_id": pd.Categorical(["U1", "U1", "U2", "U2"]),
        "category": pd.Categorical(["a", "a", "a", "a"]),
        "offered_at": [t0, t0 + pd.Timedelta(week, "ns"), t0, t0 + pd.Timedelta(week + 1, "ns")],
    })
    issue, resolved, _ = first_contacts(calls, np.ones(4, dtype=bool), week)
    assert list(issue) == [True, False, True, True]          # exactly at the edge: a repeat; 1 ns later: not
    assert list(resolved) == [False, False, True, True]



@pytest.mark.parametrize("group_scale, finer", [(1, False), (1, True), (2**50, False)])
def test_contacts_are_ordered_by_customer_category_and_time_ties_as_given(group_scale, finer):
    """Both ways of ordering: whole milliseconds that fit beside a position (packed sorts), and
    times finer than a millisecond or keys too wide for that (np.lexsort)."""
    from perfpay.kpis.service import _order
    rng = np.random.default_rng(7)
    n = 20_000
    group = (rng.integers(0, 30, n) * 9 + rng.integers(0, 9, n)) * group_scale
    t = 1_780_000_000 * 10**9 + rng.integers(0, 50, n) * 7 * 24 * 3600 * 10**9 // 50
    if finer:
        t[::2] += 1                                                       # a nanosecond
    got = _order(group, t)
    assert np.array_equal(got, np.lexsort((t, group)))                 # ties (same group and time) as given
    assert len(set(zip(group.tolist(), t.tolist()))) < n * 3 // 4, "the data holds ties"


@pytest.mark.parametrize("span_days", [400, 10**5])          # through the table of days; cast directly
def test_months_of_times_by_their_day(span_days):
    from perfpay.kpis.service import _months
    rng = np.random.default_rng(3)
    n = 5000
    start = np.datetime64("1969-11-30T00:00:00", "ns")
    when = start + rng.integers(0, span_days * 86400 * 10**9, n).astype("timedelta64[ns]")
    when[:4] = np.array(["2026-07-31T23:59:59.999999999", "2026-08-01T00:00:00", "1969-12-31T23:59:59.999999999",
                         "1970-01-01T00:00:00"], dtype="datetime64[ns]")       # the last and first nanosecond of a month
    when[4] = np.datetime64("NaT")
    ok = ~np.isnat(when)
    ok[5] = False                                                       # not asked for: 0
    got = _months(when, ok)
    expected = np.where(ok, when.astype("datetime64[M]").astype(np.int64), 0)
    assert np.array_equal(got, expected)
    assert got[:4].tolist() == [(2026 - 1970) * 12 + 6, (2026 - 1970) * 12 + 7, -1, 0]
    assert got[4] == 0 and got[5] == 0
    every = when[6:]                                                    # every value asked for
    assert np.array_equal(_months(every, np.ones(len(every), dtype=bool)), every.astype("datetime64[M]").astype(np.int64))
    assert not _months(when[:0], ok[:0]).size and _months(when[4:5], ok[4:5]).tolist() == [0]
