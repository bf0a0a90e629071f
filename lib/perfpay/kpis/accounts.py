"""Key accounts of SPEC 5: the five overlapping classes, churn and retention.

    classify(orders, as_of, settings)          # one row per customer × class, with the reason
    churn(orders, period, settings)            # the key accounts active at the start: lost or kept
    retention_kpis(orders, period, settings)   # 大客户流失数 and 客户保有率, per salesperson and department

The rules (docs/accounts.md, "Key accounts and visits", says why):
- only orders dated on or before the day of the classification count; volumes are compared
  exactly, as integers of micro-方, and the class thresholds are strict ("> 5,000");
- "the N months ending on day d" run from (d + 1 day − N months) to d, both included:
  the 12 months ending 2026-09-30 are 2025-10-01 … 2026-09-30;
- good credit: no order dated in the credit months with more than `overdue_days` days overdue
  (the order date stands for its invoice's date; a blank overdue_days is no overdue);
- 潜在大客户: the cumulative volume reaches `potential_share` % of its threshold (≥) and the
  customer is not 优质客户, or its largest contract reaches that share of the contract
  threshold and it is not 高值客户;
- active at a period's start: a key account (a class other than 潜在大客户) on the day before,
  with an order in the churn months ending that day and no contract terminated on or after
  its latest order; lost: a contract terminated within the period, or no order in the churn
  months ending on the period's last day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from ..exact import MICRO, fraction, ints
from ..periods import Period
from .frame import COLUMNS, truncate

PREMIUM, HIGH_VALUE, GROUP, STRATEGIC, POTENTIAL = "优质客户", "高值客户", "集团客户", "战略客户", "潜在大客户"
CLASSES = (PREMIUM, HIGH_VALUE, GROUP, STRATEGIC, POTENTIAL)
KEY_CLASSES = CLASSES[:4]                # a key account is in at least one of these

CLASS_COLUMNS = ["customer_id", "customer_name", "class", "reason", "employee_id", "source_rows"]
CHURN_COLUMNS = ["period", "customer_id", "customer_name", "employee_id", "classes", "last_order",
                 "lost", "reason", "source_rows"]
KPI_COLUMNS = COLUMNS            # the KPI frame of frame.py
SOURCE = ["_file", "_sheet", "_row"]
DEPARTMENT = "大客户部"
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class AccountSettings:
    """SPEC 5 defaults; params/kpis.yaml `accounts` uses the same names."""

    cumulative_volume: Decimal = Decimal(5000)   # 优质客户: cumulative contracted volume (方) over this
    contract_volume: Decimal = Decimal(5000)     # 高值客户: one contract over this
    potential_share: Decimal = Decimal(80)       # 潜在大客户: reaches this % of a threshold
    overdue_days: int = 90                       # good credit: no invoice overdue more than this ...
    credit_months: int = 12                      # ... in the months ending on the day of classification
    churn_months: int = 6                        # lost: no order in the months ending on the period's end


def months_ending(day: pd.Timestamp, months: int) -> pd.Timestamp:
    """First day of the `months` months ending on `day`: (2026-09-30, 12) → 2025-10-01."""
    return day + DAY - pd.DateOffset(months=months)


# classification -----------------------------------------------------------------

def classify(orders: pd.DataFrame, as_of, settings: AccountSettings = AccountSettings()) -> pd.DataFrame:
    """One row per customer × class on `as_of` (a date): CLASS_COLUMNS, by customer, then class."""
    as_of = pd.Timestamp(as_of).normalize()
    o = _orders(orders)
    o = o[o["date"] <= as_of].reset_index(drop=True)
    if o.empty:
        return pd.DataFrame(columns=CLASS_COLUMNS)
    f = _facts(o, as_of, settings)

    total, contract = _micro_of(settings.cumulative_volume), _micro_of(settings.contract_volume)
    share = fraction(settings.potential_share) / 100
    near_total, near_contract = math.ceil(total * share), math.ceil(contract * share)
    by_volume = (f["total"] > total) & f["good_credit"]
    by_referral = f["referred"].notna()
    high = (f["largest"] > contract) & f["good_credit"]
    near_by_total = (f["total"] >= near_total) & ~(by_volume | by_referral)
    near_by_contract = (f["largest"] >= near_contract) & ~high
    masks = {PREMIUM: by_volume | by_referral, HIGH_VALUE: high, GROUP: f["group"].notna(),
             STRATEGIC: f["strategic"], POTENTIAL: near_by_total | near_by_contract}

    # reasons: vectorised text over the customers, kept where the class holds
    credit = _credit_text(f, settings)
    pct = _plain(settings.potential_share)
    vol = "累计方量 " + _qty(f["total"])
    one = "单一合同 " + f["largest_order"] + " 方量 " + _qty(f["largest"])
    near_vol = (vol + " > " + _qty(total) + " 但" + credit).where(
        f["total"] > total, vol + " 达到 " + _qty(total) + f" 的 {pct}%（" + _qty(near_total) + "）")
    near_one = (one + " > " + _qty(contract) + " 但" + credit).where(
        f["largest"] > contract, one + " 达到 " + _qty(contract) + f" 的 {pct}%（" + _qty(near_contract) + "）")
    reasons = {
        PREMIUM: join_texts((vol + " > " + _qty(total) + " 且" + credit).where(by_volume),
                       ("推荐的客户 " + f["referred"] + " 已成交").where(by_referral)),
        HIGH_VALUE: one + " > " + _qty(contract) + " 且" + credit,
        GROUP: "隶属集团 " + f["group"] + "（集团统一采购）",
        STRATEGIC: pd.Series("标记为战略客户", index=f.index),
        POTENTIAL: join_texts(near_vol.where(near_by_total), near_one.where(near_by_contract)),
    }
    rows = pd.concat([pd.DataFrame({"class": c, "reason": reasons[c][masks[c]]}) for c in CLASSES])
    rows = rows.rename_axis("customer_id").reset_index()
    rows = rows.join(f[["customer_name", "employee_id"]], on="customer_id")

    evidence = _evidence(o, f, masks, by_volume)
    rows = rows.merge(source_trace(evidence, ["customer_id", "class"]), on=["customer_id", "class"], how="left")
    rows["rank"] = rows["class"].map({c: i for i, c in enumerate(CLASSES)})
    rows = rows.sort_values(["customer_id", "rank"], kind="stable")
    return rows[CLASS_COLUMNS].reset_index(drop=True)


def _orders(orders: pd.DataFrame) -> pd.DataFrame:
    """The orders with blank texts as missing, optional columns filled, volume in micro-方 (`vol`),
    overdue days as integers (`overdue`), oldest first (ties keep the order of the rows)."""
    o = orders.copy()
    for name in ("customer_name", "group", "employee_id", "referred_by", "_file", "_sheet"):
        col = o[name].astype(object) if name in o else pd.Series(None, index=o.index, dtype=object)
        o[name] = col.where(col.notna() & (col != ""), None)
    o["customer_id"] = o["customer_id"].astype(str)
    o["order_id"] = o["order_id"].astype(str)
    o["date"] = pd.to_datetime(o["date"]).dt.normalize()
    ended = o["terminated_on"] if "terminated_on" in o else pd.Series(pd.NaT, index=o.index)
    o["terminated_on"] = pd.to_datetime(ended).dt.normalize()
    flag = o["strategic"] if "strategic" in o else pd.Series(False, index=o.index)
    o["strategic"] = flag.astype("boolean").fillna(False).astype(bool)
    days = o["overdue_days"] if "overdue_days" in o else pd.Series(0, index=o.index)
    o["overdue"] = pd.to_numeric(days, errors="coerce").fillna(0).astype("int64")
    o["vol"] = np.asarray(ints(o["volume"], MICRO), dtype="int64")
    if "_row" not in o:
        o["_row"] = np.arange(len(o)) + 2
    return o.sort_values("date", kind="stable").reset_index(drop=True)


def _facts(o: pd.DataFrame, as_of: pd.Timestamp, settings: AccountSettings) -> pd.DataFrame:
    """Per customer (index): name and salesperson of the latest order naming them, total and largest
    volume, the largest contract, group, strategic flag, the worst overdue order in the credit
    months (None: good credit), and the customers it referred ("K2、K3", None: none)."""
    g = o.groupby("customer_id", sort=True)
    referred = _referrals(o).drop_duplicates(["referred_by", "customer_id"]) \
        .groupby("referred_by")["customer_id"].agg("、".join)
    ids = g.size().index.union(referred.index)           # a referrer may have no order of its own
    top = g["vol"].idxmax()                               # the largest contract, the earliest on a tie
    f = pd.DataFrame({
        "customer_name": g["customer_name"].last(),      # last() skips missing values
        "employee_id": g["employee_id"].last(),
        "group": g["group"].last(),
        "strategic": g["strategic"].any().reindex(ids, fill_value=False),
        "total": g["vol"].sum().reindex(ids, fill_value=0),
        "largest": g["vol"].max().reindex(ids, fill_value=0),
        "largest_order": o["order_id"].reindex(top.to_numpy()).set_axis(top.index).reindex(ids, fill_value=""),
        "largest_row": top.reindex(ids, fill_value=-1),
        "referred": referred,
    }, index=ids)
    window = o["date"] >= months_ending(as_of, settings.credit_months)
    bad = o[window & (o["overdue"] > settings.overdue_days)]
    worst = bad.loc[bad.groupby("customer_id")["overdue"].idxmax()].set_index("customer_id")
    f["bad_order"] = worst["order_id"]
    f["bad_days"] = worst["overdue"].astype(object)
    f["good_credit"] = f["bad_order"].isna()
    text = ["customer_name", "employee_id", "group", "referred", "bad_order", "bad_days"]
    f[text] = f[text].astype(object).where(f[text].notna(), None)
    return f


def _referrals(o: pd.DataFrame) -> pd.DataFrame:
    """Orders that name another customer as their referrer (self-referrals do not count)."""
    return o[o["referred_by"].notna() & (o["referred_by"] != o["customer_id"])]


def _evidence(o, f, masks, by_volume) -> pd.DataFrame:
    """The order rows behind each customer × class: customer_id, class, _file, _sheet, _row."""
    def rows(frame, cls, key="customer_id"):
        return frame[[key, *SOURCE]].rename(columns={key: "customer_id"}).assign(**{"class": cls})

    def of(customers):
        return o[o["customer_id"].isin(f.index[customers])]

    high_rows = f.loc[masks[HIGH_VALUE], "largest_row"].astype("int64")
    return pd.concat([
        rows(of(by_volume), PREMIUM),
        rows(_referrals(o), PREMIUM, key="referred_by"),     # the orders of the customers referred
        rows(o.loc[high_rows], HIGH_VALUE),
        rows(o[o["group"].notna()], GROUP),
        rows(o[o["strategic"]], STRATEGIC),
        rows(of(masks[POTENTIAL]), POTENTIAL),
    ], ignore_index=True)


def _credit_text(f: pd.DataFrame, settings: AccountSettings) -> pd.Series:
    head = f"近{settings.credit_months}个月"
    tail = f"逾期超过{settings.overdue_days}天的账款"
    bad = (head + "有" + tail + "（合同 " + f["bad_order"].fillna("") + " 逾期 "
           + f["bad_days"].astype(str) + " 天）")
    return bad.where(~f["good_credit"], head + "无" + tail)


# churn and retention ------------------------------------------------------------------

def churn(orders: pd.DataFrame, period, settings: AccountSettings = AccountSettings()) -> pd.DataFrame:
    """The key accounts active at the start of `period`, lost or kept at its end: CHURN_COLUMNS."""
    return _churn(orders, period, settings)[0]


def _churn(orders, period, settings):
    """(CHURN_COLUMNS frame, evidence rows: customer_id, _file, _sheet, _row)."""
    p = Period.parse(period)
    start, end = pd.Timestamp(p.start), pd.Timestamp(p.end)
    eve = start - DAY
    key = classify(orders, eve, settings)
    key = key[key["class"] != POTENTIAL]
    accounts = key.groupby("customer_id", sort=True).agg(
        customer_name=("customer_name", "first"), employee_id=("employee_id", "first"),
        classes=("class", "、".join))
    o = _orders(orders)
    o = o[o["customer_id"].isin(accounts.index)]

    # active at the start
    before = o[o["date"] <= eve]
    last_before = before.groupby("customer_id")["date"].max()
    ended = before[before["terminated_on"] <= eve].groupby("customer_id")["terminated_on"].max()
    recent = last_before >= months_ending(eve, settings.churn_months)
    ended_after_last = ended.reindex(last_before.index) >= last_before
    active = last_before.index[recent & ~ended_after_last]
    accounts = accounts.loc[active]
    o = o[o["customer_id"].isin(active) & (o["date"] <= end)]

    # lost at the end
    latest = o.loc[o.groupby("customer_id")["date"].idxmax()].set_index("customer_id") \
        if len(o) else o.set_index("customer_id")
    gone = o[(o["terminated_on"] >= start) & (o["terminated_on"] <= end)].sort_values("terminated_on", kind="stable")
    first_gone = gone.drop_duplicates("customer_id").set_index("customer_id")
    c = accounts.assign(last_order=latest["date"], gone_order=first_gone["order_id"],
                        gone_on=first_gone["terminated_on"])
    since = months_ending(end, settings.churn_months)
    terminated = c["gone_order"].notna()
    idle = c["last_order"] < since
    c["lost"] = terminated | idle

    last = "最近订单 " + _day_text(c["last_order"])
    c["reason"] = join_texts(
        ("合同 " + c["gone_order"].fillna("") + " 于 " + _day_text(c["gone_on"]) + " 终止").where(terminated),
        (last + "，" + _day_text(since) + " 至 " + _day_text(end) + " 无订单").where(idle),
    ).where(c["lost"], "期内无终止合同，" + last + f"，在近{settings.churn_months}个月内")
    evidence = pd.concat([latest.reset_index()[["customer_id", *SOURCE]],
                          gone[["customer_id", *SOURCE]]], ignore_index=True)
    c = c.rename_axis("customer_id").reset_index()
    c = c.merge(source_trace(evidence, ["customer_id"]), on="customer_id", how="left")
    c["period"] = p.label
    return c[CHURN_COLUMNS].reset_index(drop=True), evidence


def retention_kpis(orders: pd.DataFrame, period, settings: AccountSettings = AccountSettings(),
                   department: str = DEPARTMENT) -> pd.DataFrame:
    """大客户流失数 (churned_key_accounts, count) and 客户保有率 (retention, percent) of `period`,
    per salesperson of the accounts (as of the period's start) and for the department: KPI_COLUMNS."""
    p = Period.parse(period)
    c, evidence = _churn(orders, period, settings)
    evidence = evidence.merge(c[["customer_id", "employee_id", "lost"]], on="customer_id")
    people = c[c["employee_id"].notna()].groupby("employee_id", sort=True) \
        .agg(active=("customer_id", "size"), lost=("lost", "sum"))
    units = pd.concat([
        people.assign(level="person").rename_axis("unit").reset_index(),
        pd.DataFrame({"unit": [department], "active": [len(c)], "lost": [int(c["lost"].sum())],
                      "level": ["department"]}),
    ], ignore_index=True)
    units["lost"] = units["lost"].astype("int64")
    units["kept"] = units["active"] - units["lost"]
    units["note"] = "" if len(c) else f"no key account active at the start ({p.start.isoformat()})"

    evidence["unit"] = evidence["employee_id"]
    whole = evidence.assign(unit=department)
    every = pd.concat([evidence[evidence["unit"].notna()], whole], ignore_index=True)
    traced_all = source_trace(every, ["unit"]).set_index("unit")["source_rows"]
    traced_lost = source_trace(every[every["lost"]], ["unit"]).set_index("unit")["source_rows"]

    lost = kpi_rows(p, units, department, "churned_key_accounts", "大客户流失数", units["lost"], None,
                    "count", "orders", units["unit"].map(traced_lost), units["note"])
    kept = kpi_rows(p, units, department, "retention", "客户保有率", units["kept"], units["active"],
                    "percent", "orders", units["unit"].map(traced_all), units["note"])
    return pd.concat([lost, kept], ignore_index=True)


# KPI rows and traces (shared with visits.py) --------------------------------------------

def kpi_rows(period: Period, units: pd.DataFrame, department: str, kpi: str, name: str,
             numerator, denominator, measure: str, source: str, source_rows, note) -> pd.DataFrame:
    """KPI_COLUMNS rows, one per row of `units` (columns `level`, `unit`). A count's value is its
    numerator (no denominator); a percent is numerator / denominator × 100 truncated toward zero
    to 6 decimals, None with a note when the denominator is 0."""
    num = [int(x) for x in pd.Series(numerator, index=units.index)]
    den = [None] * len(num) if denominator is None else [int(x) for x in pd.Series(denominator, index=units.index)]
    notes = pd.Series(note, index=units.index).fillna("").astype(str)
    if measure == "count":
        value = [Decimal(x) for x in num]
    else:
        value = [None if not d else truncate(Fraction(x * 100, d)) for x, d in zip(num, den)]
        empty = pd.Series([d == 0 for d in den], index=units.index)
        notes = notes.where(~empty | (notes != ""), "denominator is 0: no value")
    return pd.DataFrame({
        "period": Period.parse(period).label, "level": units["level"].to_numpy(), "unit": units["unit"].to_numpy(),
        "department": department, "kpi": kpi, "name": name,
        "numerator": pd.Series(num, dtype=object).to_numpy(), "denominator": pd.Series(den, dtype=object).to_numpy(),
        "value": pd.Series(value, dtype=object).to_numpy(), "measure": measure, "source": source,
        "source_rows": pd.Series(source_rows, index=units.index).fillna("").astype(str).to_numpy(),
        "note": notes.to_numpy(),
    }, columns=KPI_COLUMNS)


def source_trace(rows: pd.DataFrame, keys: list[str], limit: int = 10) -> pd.DataFrame:
    """`keys` + source_rows, such as "合同.csv rows 2-4, 9; 合同.xlsx sheet 2025 row 7": the rows
    behind each key, consecutive rows as a range, at most `limit` ranges a file."""
    if rows.empty:
        return pd.DataFrame(columns=[*keys, "source_rows"])
    r = rows[[*keys, *SOURCE]].copy()
    r["_file"] = r["_file"].astype(object).fillna("").astype(str)
    r["_sheet"] = r["_sheet"].astype(object).fillna("").astype(str)
    r["_row"] = r["_row"].astype("int64")
    # integer codes: a key, and a place = key × file × sheet (in key, file, sheet order)
    r["key"] = r.groupby(keys, sort=False, dropna=False).ngroup()
    r["place"] = r.groupby(["key", "_file", "_sheet"], sort=True).ngroup()
    named = r.drop_duplicates("key").set_index("key")[keys]
    where = r.drop_duplicates("place").set_index("place")[["key", "_file", "_sheet"]].sort_index()
    r = r[["place", "_row"]].drop_duplicates().sort_values(["place", "_row"])
    # consecutive rows of a place form a run, shown "2-4"
    run = ((r["place"].diff() != 0) | (r["_row"].diff() != 1)).cumsum()
    runs = r.groupby(run).agg(place=("place", "first"), lo=("_row", "min"), hi=("_row", "max"), n=("_row", "size"))
    lo, hi = runs["lo"].astype(str), runs["hi"].astype(str)
    runs["text"] = ", " + lo.where(runs["lo"] == runs["hi"], lo + "-" + hi)   # summed per place
    runs["shown"] = runs.groupby("place").cumcount() < limit
    where["rows"] = runs.groupby("place")["n"].sum()
    where["seen"] = runs[runs["shown"]].groupby("place")["n"].sum()
    where["text"] = runs[runs["shown"]].groupby("place")["text"].sum().str[2:]
    more = where["rows"] - where["seen"]
    label = (where["_file"] + (" sheet " + where["_sheet"]).where(where["_sheet"] != "", "")
             + pd.Series(" row ", index=where.index).where(where["rows"] == 1, " rows ") + where["text"]
             + (" … (+" + more.astype(str) + " more)").where(more > 0, ""))
    text = ("; " + label.str.strip()).groupby(where["key"]).sum().str[2:]
    return named.assign(source_rows=text).reset_index(drop=True)


# small helpers ------------------------------------------------------------------------------

def _micro_of(value) -> int:
    """A volume parameter (方) as an integer of micro-方."""
    f = fraction(value) * MICRO
    if f.denominator != 1:
        raise ValueError(f"volume {value} has more than 6 decimals")
    return int(f)


def _qty(micro) -> pd.Series | str:
    """Micro-方 as text with thousands separators and no trailing zeros: 5000010000 → '5,000.01'."""
    if isinstance(micro, (int, np.integer)):
        return _qty(pd.Series([int(micro)], dtype="int64")).iloc[0]
    m = micro.astype("int64")
    whole = (m.abs() // MICRO).astype(str).str.replace(r"\B(?=(\d{3})+$)", ",", regex=True)
    frac = (m.abs() % MICRO).astype(str).str.zfill(6).str.rstrip("0")
    text = whole.where(frac == "", whole + "." + frac)
    return text.where(m >= 0, "-" + text)


def _plain(value) -> str:
    """80 → '80', Decimal('82.50') → '82.5'."""
    return format(Decimal(str(value)).normalize(), "f")


def _day_text(days) -> pd.Series | str:
    if isinstance(days, pd.Timestamp):
        return days.strftime("%Y-%m-%d")
    return days.dt.strftime("%Y-%m-%d").fillna("")


def join_texts(*parts: pd.Series, sep: str = "；") -> pd.Series:
    """Row-wise join of the present (non-missing) texts of `parts` (Series on one index)."""
    out = pd.Series("", index=parts[0].index, dtype=object)
    for text in parts:                            # a handful of parts, not rows
        glue = pd.Series(sep, index=out.index).where(out != "", "")
        out = out.where(text.isna(), out + glue + text.fillna(""))
    return out
