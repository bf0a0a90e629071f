"""Raw records (docs/records.md): CSV, xlsx and Parquet, English or Chinese headers, lazy checks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from conftest import find, one, write_csv, write_xlsx
from perfpay.kpis import record_checks
from perfpay.kpis.records import duplicated, load_records

CALL_HEAD = ["call_id", "employee_id", "customer_id", "direction", "offered_at", "answered_at", "ended_at",
             "talk_s", "hold_s", "wrap_s", "category", "abandoned"]
ROSTER = ["E1", "E2", "E3"]


def call(i, emp="E1", offered="2026-07-01 09:00:00", answered="2026-07-01 09:00:10", talk="60", **kw):
    row = dict(zip(CALL_HEAD, [f"C{i}", emp, "U1", "in", offered, answered, "", talk, "", "", "billing", ""]))
    row.update(kw)
    return [row[c] for c in CALL_HEAD]


def test_csv_columns_are_typed(tmp_path):
    write_csv(tmp_path / "records" / "calls.csv", [
        CALL_HEAD,
        call(1, talk="125.5", hold_s="00:02:05", wrap_s="3"),
        call(2, answered="", talk="", abandoned="是", offered="2026/7/2 9:00"),
        ["C3", "", "", "out", "2026-07-03T10:00", "", "", "", "", "", "", "否"],
    ])
    r = load_records(tmp_path, roster=ROSTER)
    assert not r.report.problems, r.report.format()
    c = r["calls"]
    assert list(c["call_id"]) == ["C1", "C2", "C3"] and list(c["_row"]) == [2, 3, 4]
    assert c["talk_ms"][0] == 125500 and c["hold_ms"][0] == 125000 and c["wrap_ms"][0] == 3000
    assert c["offered_at"][1] == pd.Timestamp("2026-07-02 09:00") and pd.isna(c["answered_at"][1])
    assert list(c["abandoned"].astype(object)) == [pd.NA, True, False]
    assert list(c["direction"].astype(str)) == ["in", "in", "out"]
    assert isinstance(c["employee_id"].dtype, pd.CategoricalDtype) and pd.isna(c["employee_id"][2])
    assert c["offered_at"].dtype == "datetime64[ns]" and str(c["_file"][0]) == "records/calls.csv"
    assert r.files == ["records/calls.csv"]


def test_tables_without_rows_are_their_typed_empty_frames_made_when_asked_for(tmp_path):
    import pickle
    from perfpay.kpis.contracts import RECORDS
    from perfpay.kpis.record_columns import empty_frame
    write_csv(tmp_path / "records" / "calls.csv", [CALL_HEAD, call(1)])
    frames = load_records(tmp_path, roster=ROSTER).frames
    assert frames.any_rows() and list(frames.made) == ["calls"]       # nothing made for the others yet
    assert set(frames) == set(RECORDS) and len(frames) == len(RECORDS)
    for table in RECORDS:
        if table != "calls":
            assert frames[table].empty and frames[table].dtypes.equals(empty_frame(table).dtypes)
    assert frames["visits"] is frames["visits"] and "nothing" not in frames
    assert dict(pickle.loads(pickle.dumps(frames)))["calls"].equals(frames["calls"])
    assert not load_records(tmp_path / "none").frames.any_rows()


def test_gb18030_chinese_headers_and_a_title_row(tmp_path):
    write_csv(tmp_path / "原始记录" / "2026-07_工单.csv", [
        ["七月工单导出"],
        ["工单编号", "工号", "客户编号", "受理时间", "解决时间", "是否投诉", "有效投诉", "投诉原因", "满意度"],
        ["T1", "E1", "U1", "2026-07-01 08:00:00", "2026-07-02 08:00:00", "是", "", "响应慢", "4.5"],
        ["T2", "E2", "U1", "2026-07-01 08:00:00", "2026-06-30 08:00:00", "否", "", "", "6"],
    ], encoding="gb18030")
    r = load_records(tmp_path, roster=ROSTER)
    one(r.report, severity="warning", file="原始记录/2026-07_工单.csv", row=1, message="header found on row 2")
    p = one(r.report, severity="error", row=4, column="解决时间")
    assert "resolved before it was opened" in p.message and p.value == "2026-06-30 08:00:00"
    one(r.report, severity="error", row=4, column="满意度", message="not between 1 and 5")
    t = r["tickets"]
    assert list(t["ticket_id"]) == ["T1"] and list(t["_row"]) == [3]
    assert t["satisfaction"][0] == D("4.5") and str(t["cause"][0]) == "响应慢" and bool(t["is_complaint"][0])


def test_xlsx_sheet_named_in_chinese(tmp_path):
    head = ["通话编号", "坐席工号", "客户编号", "呼叫方向", "呼入时间", "接听时间", "挂机时间", "通话时长"]
    write_xlsx(tmp_path / "records" / "七月.xlsx", {
        "通话": [head,
                 ["C1", "E1", "U1", "呼入", datetime(2026, 7, 1, 9), datetime(2026, 7, 1, 9, 0, 5), None, 61],
                 ["C2", "E1", "U1", "呼入", datetime(2026, 7, 1, 10), None, None, "1.2345"],
                 ["C3", "E9", "U1", "呼入", "not a time", None, None, None]],
        "说明": [["这是说明"]],
    })
    r = load_records(tmp_path, roster=ROSTER)
    p = one(r.report, sheet="通话", row=3, column="通话时长")
    assert p.value == "1.2345" and "3 decimals" in p.message
    one(r.report, sheet="通话", row=4, column="呼入时间", value="not a time", message="not a date and time")
    one(r.report, sheet="通话", row=4, column="坐席工号", value="E9", message="not in the roster")
    one(r.report, severity="warning", sheet="说明", message="not a record table")
    c = r["calls"]
    assert list(c["call_id"]) == ["C1"] and c["talk_ms"][0] == 61000 and c["_sheet"][0] == "通话"
    assert c["answered_at"][0] == pd.Timestamp("2026-07-01 09:00:05")


def test_parquet_typed_with_chinese_headers(tmp_path):
    t = pd.Timestamp
    table = pa.table({
        "通话编号": ["C1", "C2", "C3"], "工号": ["E1", "E2", "E1"], "客户编号": ["U1", "U2", "U3"],
        "方向": ["in", "in", "in"],
        "呼入时间": pa.array([t("2026-07-01 09:00"), t("2026-07-01 10:00"), t("2026-07-01 11:00")]),
        "接听时间": pa.array([t("2026-07-01 09:00:05"), t("2026-07-01 09:59:00"), None]),
        "结束时间": pa.array([t("2026-07-01 09:01"), t("2026-07-01 10:01"), t("2026-07-01 11:00:30")]),
        "通话时长": pa.array([55, 60, None], type=pa.int32()),
        "放弃": [False, False, True],
    })
    (tmp_path / "records").mkdir()
    pq.write_table(table, tmp_path / "records" / "通话.parquet")
    r = load_records(tmp_path, roster=ROSTER)
    p = one(r.report, file="records/通话.parquet", column="接听时间")
    assert p.row == 3 and "answered before it was offered" in p.message     # rows as in a CSV export
    c = r["calls"]
    assert list(c["call_id"]) == ["C1", "C3"] and list(c["talk_ms"].astype(object)) == [55000, pd.NA]
    assert list(c["abandoned"]) == [False, True]


def test_duplicate_ids_across_files_reject_every_row(tmp_path):
    write_csv(tmp_path / "records" / "calls_a.csv", [CALL_HEAD, call(1), call(2)])
    write_csv(tmp_path / "records" / "calls_b.csv", [CALL_HEAD, call(2, emp="E2")])
    r = load_records(tmp_path)
    a = one(r.report, file="records/calls_a.csv", row=3, column="call_id")
    b = one(r.report, file="records/calls_b.csv", row=2, column="call_id")
    assert "2 rows share it" in a.message and "records/calls_b.csv row 2" in a.message
    assert "records/calls_a.csv row 3" in b.message
    assert list(r["calls"]["call_id"]) == ["C1"]
    assert sorted(r["calls"]["_file"].cat.categories) == ["records/calls_a.csv", "records/calls_b.csv"]


def test_missing_column_leaves_the_file_out(tmp_path):
    write_csv(tmp_path / "records" / "calls.csv", [CALL_HEAD[:4], ["C1", "E1", "U1", "in"]])
    r = load_records(tmp_path)
    p = one(r.report, severity="error", file="records/calls.csv")
    assert "offered_at (呼入时间)" in p.message and "missing" in p.message and p.row is None
    assert r["calls"].empty and "talk_ms" in r["calls"]


def test_blank_and_wrong_values_are_listed_with_their_row(tmp_path):
    write_csv(tmp_path / "records" / "followups.csv", [
        ["日期", "工号", "计划回访数", "完成回访数"],
        ["2026-07-01", "E1", "10", "8"],
        ["2026-07-02 10:00", "", "-1", "x"],
        ["2026-07-01", "E1", "3", "3"],
    ])
    r = load_records(tmp_path, roster=ROSTER)
    one(r.report, row=3, column="日期", message="a date has no time of day")
    one(r.report, row=3, column="工号", message="employee_id is blank")
    one(r.report, row=3, column="计划回访数", value="-1", message="not a whole number of 0 or more")
    one(r.report, row=3, column="完成回访数", value="x")
    assert len(find(r.report, column="日期", message="duplicate date, employee_id")) == 2
    assert r["followups"].empty


def test_period_keeps_the_rows_of_the_period(tmp_path):
    write_csv(tmp_path / "records" / "calls.csv", [
        CALL_HEAD, call(1, offered="2026-06-28 09:00:00", answered=""), call(2),
        call(3, offered="2026-08-01 00:00:00", answered=""), call(4, offered="2026-13-01", answered="")])
    r = load_records(tmp_path, period="2026-07")
    assert list(r["calls"]["call_id"]) == ["C2"]
    one(r.report, row=5, column="offered_at")                  # a bad main date is still reported
    wide = load_records(tmp_path, period="2026-07", margin_days=7)
    assert list(wide["calls"]["call_id"]) == ["C1", "C2", "C3"]


def test_orders_visits_and_attendance_types(tmp_path):
    write_csv(tmp_path / "records" / "orders.csv", [
        ["合同编号", "客户编号", "集团", "签订日期", "方量", "金额", "逾期天数", "战略客户"],
        ["O1", "K1", "G1", "2026-03-01", "5000.5", "120,000.10", "0", "是"],
        ["O2", "K2", "", "2025-12-31", "10", "3.456", "", ""],
    ])
    write_csv(tmp_path / "records" / "visits.csv", [
        ["拜访编号", "工号", "客户编号", "拜访日期", "总结日期", "跟进日期", "报销金额"],
        ["V1", "E1", "K1", "2026-07-01", "2026-07-02", "", "200"],
        ["V2", "E1", "K1", "2026-07-03", "2026-07-01", "", ""],
    ])
    write_csv(tmp_path / "records" / "attendance.csv", [
        ["月份", "工号", "应出勤天数", "实际出勤天数"],
        ["2026-07-01", "E1", "22", "21.5"], ["2026-08", "E1", "22", "23"]])
    r = load_records(tmp_path, roster=ROSTER, period="2026Q3")
    one(r.report, file="records/orders.csv", row=3, column="金额", message="more than 2 decimal places")
    one(r.report, file="records/visits.csv", row=3, column="总结日期", message="summary dated before the visit")
    one(r.report, file="records/attendance.csv", row=3, column="实际出勤天数", message="more days present")
    o = r["orders"]                                          # orders keep their history up to the period's end
    assert list(o["order_id"]) == ["O1"] and o["amount_fen"][0] == 12000010 and o["volume"][0] == D("5000.5")
    assert bool(o["strategic"][0]) and o["date"][0] == pd.Timestamp("2026-03-01") and o["overdue_days"][0] == 0
    assert r["visits"]["expense_fen"][0] == 20000 and pd.isna(r["visits"]["follow_up_date"][0])
    a = r["attendance"]
    assert list(a["month"].astype(str)) == ["2026-07"] and a["days_present"][0] == D("21.5")


def test_unknown_files_are_reported_not_read(tmp_path):
    write_csv(tmp_path / "records" / "notes.csv", [["a", "b"]])
    (tmp_path / "records" / "calls.json").write_text("{}")
    (tmp_path / "records" / "README.md").write_text("records")
    r = load_records(tmp_path)
    one(r.report, file="records/notes.csv", message="not a record table")
    one(r.report, file="records/calls.json", message="not a CSV, xlsx or Parquet file")
    assert not r.report.has_errors and all(f.empty for f in r.frames.values())


def test_many_bad_rows_are_listed_up_to_a_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(record_checks, "LISTED", 2)
    write_csv(tmp_path / "records" / "calls.csv", [CALL_HEAD] + [call(i, offered="soon") for i in range(5)])
    r = load_records(tmp_path)
    assert len(find(r.report, column="offered_at")) == 3
    one(r.report, column="offered_at", row=None, message="and 3 more rows (rows 4 to 6)")


def test_duplicated_finds_equal_texts_only():
    s = pd.Series(["C1", "C22", None, "C1", "", "C3", None], dtype="string[pyarrow]")
    assert list(duplicated(s)) == [True, False, False, True, False, False, False]
    many = pd.Series([f"X{i}" for i in range(10_000)] + ["X77"], dtype="string[pyarrow]")
    assert np.flatnonzero(duplicated(many)).tolist() == [77, 10_000]


def test_the_frames_of_tables_without_records_are_typed_and_each_its_own(tmp_path):
    """No records folder: every table is an empty frame of its typed columns, a fresh one each time
    (one made once is copied), so that a change to one is no change to the next."""
    from perfpay.kpis.record_columns import RECORDS, empty_column, typed_name

    first, second = load_records(tmp_path), load_records(tmp_path)
    for table, spec in RECORDS.items():
        frame = first[table]
        assert frame.empty and list(frame.columns) == [*(typed_name(c) for c in spec.columns), "_file", "_sheet", "_row"]
        for c in spec.columns:
            assert frame[typed_name(c)].dtype == empty_column(c, table).dtype
        assert frame is not second[table] and frame.equals(second[table])
        frame["extra"] = 1
        assert "extra" not in load_records(tmp_path)[table]
