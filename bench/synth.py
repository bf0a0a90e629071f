"""Synthetic companies of any size for the benches, scored on the real cards of params/.

    company = make_company(people=100_000, branches=40, months=["2026-07"])
    company.inputs              # perfpay.inputs.Inputs: the frames load_inputs gives for these files
    company.write("some/dir")   # the same tables as CSV, laid out as inputs/ (docs/inputs.md)

`python bench/synth.py OUT --people 5000` writes one. The values come from perfpay.sample (its
profiles of actuals, rating levels, adjustments and event odds) run over a roster of any size;
the sales tables (回款, 季度任务, 薪资, 绩效工资预算) are drawn here, column by column. The same
seed gives the same company, byte for byte.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from perfpay import sample as S
from perfpay.inputs import TABLES, Inputs
from perfpay.inputs.load import empty_output
from perfpay.params import load_params
from perfpay.periods import Period

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"

MONTHLY = ("service_agent", "aftersales_specialist", "ka_manager", "bd_merchant", "bd_key_account")
QUARTERLY = ("service_supervisor", "ka_specialist")
CARDS = MONTHLY + QUARTERLY
MIX = {}                         # people per card in the sample company: the mix of a synthetic one
for _dept, _site, _role, _card, _n in S.STAFF:
    MIX[_card] = MIX.get(_card, 0) + _n
LEAD = {"客户服务部": "service_supervisor", "大客户部": "ka_manager", "BD组": "bd_key_account"}
TIER_ODDS = (15, 60, 20, 5)      # percent of star, normal, weak and poor performers (sample.TIERS)
LEAVERS = 100                    # one person in LEAVERS leaves during the window
TEAM = 12                        # peers rate each other within teams of at most TEAM people
ROLE_KEY = {**{cn: key for key, cn in S.ROLE_CN.items()}, **{key: key for key in S.ROLE_CN}}
REVENUE_KEY = {cn: key for key, cn in S.REVENUE_CN.items()}


@dataclass
class Table:
    kind: str                    # roster, targets, actuals, events, ratings, adjustments, deals, ...
    path: str                    # where it goes under the inputs folder
    frame: pd.DataFrame          # every cell as text, headers as written
    encoding: str = "utf-8-sig"


@dataclass
class Company:
    people: list                 # perfpay.sample.Person, without the general manager
    tables: list[Table]
    inputs: Inputs

    def write(self, folder) -> list[Path]:
        """Every table as a CSV file under `folder`; the paths written."""
        written = []
        for t in self.tables:
            path = Path(folder) / t.path
            path.parent.mkdir(parents=True, exist_ok=True)
            t.frame.to_csv(path, index=False, encoding=t.encoding, lineterminator="\n")
            written.append(path)
        return written

    def rows(self) -> dict[str, int]:
        return {kind: len(getattr(self.inputs, kind)) for kind in
                ("roster", "targets", "actuals", "events", "ratings", "adjustments", "deals", "quotas")}


# the people -----------------------------------------------------------------------------------
def site_names(n: int) -> list[str]:
    return list(S.SITES[:n]) + [f"分部{i:03d}" for i in range(len(S.SITES), n)]


def department_name(name: str, copy: int) -> str:
    return name if copy == 0 else f"{name}{copy + 1}"


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    share = [total * w // sum(weights) for w in weights]
    rest = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % sum(weights)))
    for i in rest[:total - sum(share)]:
        share[i] += 1
    return share


def _bases(p, rng: random.Random) -> None:
    """Bonus base and per-person target bases, as perfpay.sample.make_roster sets them."""
    if p.card == "ka_manager":
        p.bonus_base = rng.choice((3000, 3500, 4000, 4500, 5000))
        p.base["sales_task"] = rng.randint(20, 40) * 10_000
    elif p.card == "ka_specialist":
        p.base["sales_plan_rate"] = rng.randint(30, 80) * 10_000
    elif p.card == "bd_key_account":
        p.base["bd_ka_sales"] = rng.randint(15, 30) * 10_000
    elif p.card == "service_agent":
        p.base["handling_volume"] = rng.randint(110, 150) * 10
    elif p.card == "service_supervisor":
        p.base["expense_budget"] = rng.randint(60, 150) * 1_000


def make_people(params, rng: random.Random, n: int, branches: int, cards, departments: int,
                window: tuple[date, date]) -> list:
    """n people spread over the cards in the sample's mix, each card round the branches."""
    catalog = params.catalog(Period.parse(window[0]))
    sites = site_names(branches)
    slots = [(copy, card) for copy in range(departments) for card in cards]
    width = max(6, len(str(n)))
    people = []
    for (copy, card), k in zip(slots, _largest_remainder(n, [MIX[c] for _, c in slots])):
        c = catalog.cards[card]
        for j in range(k):
            lo_tier = 2 if card in S.LEADS else 0                       # leads: 3 years or more
            _, lo, hi = rng.choices(S.TENURE[lo_tier:], [t[0] for t in S.TENURE[lo_tier:]])[0]
            qlo, qhi = S.TIERS[rng.choices(range(4), TIER_ODDS)[0]]
            p = S.Person(f"E{len(people) + 1:0{width}d}", rng.choice(S.SURNAMES) + rng.choice(S.GIVEN),
                         department_name(c.department, copy), sites[j % branches], c.role, card,
                         S._day_between(rng, lo, hi), quality=rng.randint(qlo, qhi))
            if rng.randrange(LEAVERS) == 0:
                p.leave = S._day_between(rng, max(window[0], p.hire), window[1])
            _bases(p, rng)
            people.append(p)
    _managers(people, catalog)
    return people


def _managers(people: list, catalog) -> None:
    """Each branch's leads manage its other people in turn; the department head (the first lead)
    manages the leads; who has no lead reports to the general manager (blank here)."""
    lead_card = {p.department: LEAD[catalog.cards[p.card].department] for p in people}
    leads: dict[tuple, list] = {}
    for p in people:
        if p.card == lead_card[p.department]:
            leads.setdefault((p.department, p.site), []).append(p)
    heads = {}
    for (dept, _site), group in leads.items():
        heads.setdefault(dept, group[0])
    turn: dict[tuple, int] = {}
    for p in people:
        head = heads.get(p.department)
        if p.card == lead_card[p.department]:
            p.manager = "" if p is head else head.id
            continue
        mine = leads.get((p.department, p.site))
        if mine:
            k = turn.get((p.department, p.site), 0)
            turn[(p.department, p.site)] = k + 1
            p.manager = mine[k % len(mine)].id
        else:
            p.manager = head.id if head else ""


def roster_table(people: list) -> Table:
    header = ["工号", "姓名", "部门", "分部", "岗位", "入职日期", "离职日期", "上级工号", "月度绩效奖金"]
    rows = [S.GM_ROW] + [[p.id, p.name, p.department, p.site, p.role, p.hire.isoformat(),
                          p.leave.isoformat() if p.leave else "", p.manager or S.GM_ID,
                          S.num(p.bonus_base) if p.bonus_base is not None else ""] for p in people]
    return Table("roster", "人员.csv", pd.DataFrame(rows, columns=header))


# scores: perfpay.sample's values over many people --------------------------------------------------
class TypedIn:
    """params without kpis.yaml as the sample sees them: every actual is typed in (a typed-in
    actual wins over one computed from records, and the benches carry no records)."""

    def __init__(self, params):
        self._params = params

    def __getattr__(self, name):
        return getattr(self._params, name)

    def document(self, name: str, period):
        if name == "kpis":
            raise KeyError(name)
        return self._params.document(name, period)


class Values(S.Sample):
    """perfpay.sample's generators (actuals, ratings, adjustments, events) over any roster."""

    def __init__(self, params, seed: int, people: list):
        super().__init__(TypedIn(params), seed)
        self.rng = random.Random(seed)                # the sample's own roster is set aside
        self.people, self.by_id = people, {p.id: p for p in people}
        groups: dict[tuple, list] = {}
        for p in people:
            groups.setdefault((p.department, p.site, p.card), []).append(p)
        self.teams = []
        for key in sorted(groups):
            group = groups[key]
            self.teams += [group[i:i + TEAM] for i in range(0, len(group), TEAM)]

    def unit_rows(self, unit, cards, cn):
        """Run team by team (people of one department, branch and card): peers are team mates,
        and the sample's peer lookup stays small."""
        everyone, out = self.people, {name: [] for name in ("目标", "实绩", "评分", "加扣分")}
        try:
            for team in self.teams:
                self.people = team
                for table, rows in super().unit_rows(unit, cards, cn).items():
                    out[table].extend(rows)
        finally:
            self.people = everyone
        return out


KINDS = {"目标": "targets", "实绩": "actuals", "评分": "ratings", "加扣分": "adjustments", "事件": "events"}


def score_tables(values: Values, months: list[Period]) -> list[Table]:
    """Monthly cards' tables per month, quarterly cards' per quarter whose three months are given."""
    def tables(folder: str, rows: dict, keep_empty: bool) -> list[Table]:
        return [Table(KINDS[name], f"{folder}/{name}.csv", pd.DataFrame(rows[name], columns=S.HEADERS[name]))
                for name in ("目标", "实绩", "评分", "加扣分") if keep_empty or rows[name]]

    cat = values.params.catalog(months[0]) if months else None
    monthly = sorted(k for k, c in cat.cards.items() if c.cadence == "monthly") if cat else []
    quarterly = sorted(k for k, c in cat.cards.items() if c.cadence == "quarterly") if cat else []
    labels = {m.label for m in months}
    out = []
    for m in months:
        cn = m.first_month % 2 == 1
        out += tables(m.label, values.unit_rows(m, monthly, cn), keep_empty=True)
        other, attendance = values.month_events(m)
        out.append(Table("events", f"{m.label}/事件.csv", pd.DataFrame(other, columns=S.HEADERS["事件"])))
        out.append(Table("events", f"{m.label}/行政部_事件.csv",
                         pd.DataFrame(attendance, columns=S.HEADERS["事件"]), "gb18030"))
        q = m.quarter
        if m == q.months()[-1] and all(x.label in labels for x in q.months()):
            out += tables(q.label, values.unit_rows(q, quarterly, cn=(q.first_month // 3) % 2 == 0),
                          keep_empty=False)
    return out


# sales: drawn column-wise -------------------------------------------------------------------------
def _yuan(fen: np.ndarray) -> np.ndarray:
    """Fen as yuan text without trailing zeros: 1234500 -> '12345', 1234550 -> '12345.5'."""
    fen = np.asarray(fen, dtype="int64")
    sign = np.where(fen < 0, "-", "")
    whole = (np.abs(fen) // 100).astype(str)
    cents = pd.Series(np.abs(fen) % 100).astype(str).str.zfill(2).str.rstrip("0").to_numpy(dtype=object)
    text = np.where(cents == "", whole, whole.astype(object) + "." + cents)
    return (sign.astype(object) + text).astype(object)


def sales_tables(people: list, quarters: list[Period], deals: int, seed: int) -> list[Table]:
    """回款 (about `deals` collections per salesperson and quarter), 季度任务, 薪资, 绩效工资预算."""
    sales = [p for p in people if p.card in S.SALES_CARDS]
    if not sales or not quarters or deals < 1:
        return []
    rng = np.random.default_rng([seed, 7])
    n = len(sales)
    ids = np.array([p.id for p in sales], dtype=object)
    hire = np.array([p.hire for p in sales], dtype="datetime64[D]")
    leave = np.array([p.leave or date.max for p in sales], dtype="datetime64[D]")
    target = rng.integers(20, 41, n) * 10_000 * 100                   # fen a quarter
    parts = []
    for qi, q in enumerate(quarters):
        start, end = np.datetime64(q.start), np.datetime64(q.end)
        here = np.flatnonzero((hire <= end) & (leave >= start))
        first, last = np.maximum(hire[here], start), np.minimum(leave[here], end)
        whole = (hire[here] < start) & (leave[here] > end)             # employed all the quarter
        pct = rng.choice([45, 60, 75, 90, 100, 110, 125], len(here))
        credit = np.where(whole, target[here] * pct // 100 + rng.integers(-300_000, 300_000, len(here)),
                          rng.integers(30_000, 90_000, len(here)) * 100)
        weights = rng.integers(1, 10, (len(here), deals))
        cut = credit[:, None] * weights // weights.sum(axis=1)[:, None]
        cut[:, -1] += credit - cut.sum(axis=1)
        owner = np.repeat(here, deals)
        days = (last - first).astype(int) + 1
        parts.append(pd.DataFrame({
            "q": qi, "who": owner, "fen": cut.ravel(), "whole": np.repeat(whole, deals),
            "day": np.repeat(first, deals) + (rng.random(len(owner)) * np.repeat(days, deals)).astype(int),
            "roll": rng.integers(0, 100, len(owner))}))
        service = here[rng.random(len(here)) < 0.1]                   # maintenance and training on top
        parts.append(pd.DataFrame({
            "q": qi, "who": service, "fen": rng.integers(5, 41, len(service)) * 100_000, "whole": False,
            "day": first[np.searchsorted(here, service)], "roll": np.where(rng.random(len(service)) < 0.7, 100, 101)}))
    d = pd.concat(parts, ignore_index=True)
    d["deal"] = np.arange(len(d))
    kind = np.select([d["roll"] < 20, d["roll"] < 40, d["roll"] == 100, d["roll"] == 101],
                     ["secondary_dev", "implementation", "maintenance", "training"], "software")
    d["kind"] = kind
    cost = d["fen"] * rng.integers(30, 91, len(d)) // 100 // 100 * 100
    d["cost"] = np.where(kind == "secondary_dev", cost, -1)
    d["amount"] = np.where(kind == "secondary_dev", d["fen"] + cost, d["fen"])
    quote = np.maximum(d["fen"] - rng.choice([0, 0, 100_000, 300_000], len(d)), 0)   # sold at or above it
    d["quote"] = np.where(kind == "implementation", quote, -1)
    d["share"], d["refund"] = "", False
    lines = [d]

    software = d.index[(kind == "software") & (d["fen"] >= 2_000_000)]
    pick = software[rng.random(len(software)) < 0.03]                 # software + implementation below quote
    impl = d.loc[pick].copy()
    impl_fen = d.loc[pick, "fen"] * 3 // 10
    d.loc[pick, "amount"] = d.loc[pick, "fen"] - impl_fen
    impl["kind"], impl["amount"], impl["quote"] = "implementation", impl_fen, impl_fen * 6 // 5 // 100 * 100
    lines.append(impl)

    free = d.index[(kind == "software") & d["whole"] & ~d.index.isin(pick)]
    mate = d.loc[free[rng.random(len(free)) < 0.05]].copy()           # shared with a colleague
    others = {qi: d.loc[d["whole"] & (d["q"] == qi), "who"].unique() for qi in d["q"].unique()}
    mate["who"] = [_other(others[qi], who, rng) for qi, who in zip(mate["q"], mate["who"])]
    mate = mate[mate["who"] >= 0]
    half = rng.random(len(mate)) < 0.5
    d.loc[mate.index, "share"] = np.where(half, "50%", "0.6")
    mate["share"] = np.where(half, "50%", "0.4")
    lines.append(mate)

    last_q = len(quarters) - 1
    back = d.index[(kind == "software") & (d["share"] == "") & (d["q"] < last_q) & ~d.index.isin(pick)]
    back = back[rng.random(len(back)) < 0.01]                          # a refund next quarter
    refund = d.loc[back].copy()
    nxt = refund["q"] + 1
    stay = np.array([leave[w] > np.datetime64(quarters[k].end) for w, k in zip(refund["who"], nxt)], dtype=bool)
    refund, nxt = refund[stay], nxt[stay]
    refund["q"] = nxt
    refund["day"] = [np.datetime64(quarters[k].start) + 20 for k in nxt]
    refund["amount"] = -(refund["fen"] // 4 // 100 * 100)
    refund["refund"] = True
    lines.append(refund)

    rows = pd.concat([x for x in lines if len(x)], ignore_index=True)
    crm = np.where(rng.random(len(d)) < 0.01, "", pd.Series(d["deal"]).map("CRM{:08d}".format).to_numpy())
    rows["crm"] = crm[rows["deal"].to_numpy()]
    rows = rows.sort_values(["day", "deal", "kind", "refund", "who"], kind="stable", ignore_index=True)
    deal_frame = pd.DataFrame({
        "回款日期": rows["day"].astype("datetime64[s]").dt.strftime("%Y-%m-%d"),
        "项目编号": rows["deal"].map("XM{:08d}".format),
        "CRM编号": rows["crm"],
        "工号": ids[rows["who"].to_numpy()],
        "贡献比例": rows["share"],
        "收入类型": rows["kind"].map(S.REVENUE_CN),
        "税后净额": _yuan(rows["amount"]),
        "成本": np.where(rows["cost"] >= 0, _yuan(rows["cost"].clip(lower=0)), ""),
        "标准报价": np.where((rows["quote"] >= 0) & ~rows["refund"], _yuan(rows["quote"].clip(lower=0)), ""),
        "退款": np.where(rows["refund"], "是", ""),
    })
    return [Table("deals", "销售/回款.csv", deal_frame), *_quota_wage_pool(sales, quarters, target, rng)]


def _other(pool: np.ndarray, who: int, rng) -> int:
    if len(pool) < 2:
        return -1
    while True:
        x = int(pool[rng.integers(len(pool))])
        if x != who:
            return x


def _quota_wage_pool(sales: list, quarters: list[Period], target: np.ndarray, rng) -> list[Table]:
    heads = {}
    for p in sales:
        if p.card == "ka_manager" and not p.manager:
            heads.setdefault(p.department, p)
    quotas = []
    for q in quarters:
        staff = [(i, p) for i, p in enumerate(sales) if p.employed(q)]
        per_dept: dict[str, int] = {}
        for i, p in staff:
            per_dept[p.department] = per_dept.get(p.department, 0) + int(target[i]) // 100
        for i, p in staff:
            head = heads.get(p.department) is p
            dt = per_dept[p.department] * 8 // 10 // 100_000 * 100_000 if head else None
            quotas.append([q.label, p.id, S.num(int(target[i]) // 100), S.num(dt) if dt is not None else ""])
    floating = rng.integers(6, 13, len(sales)) * 500
    fixed = rng.integers(10, 19, len(sales)) * 500
    wages = [[p.id, "", S.num(int(f)), S.num(int(x))] for p, f, x in zip(sales, floating, fixed)]
    years = sorted({q.year for q in quarters})
    depts = sorted({p.department for p in sales})
    pools = [[str(y), d, S.num(200_000)] for y in years for d in depts]
    return [Table("quotas", "销售/季度任务.csv", pd.DataFrame(quotas, columns=S.SALES_HEADERS["季度任务"])),
            Table("wages", "销售/薪资.csv", pd.DataFrame(wages, columns=S.SALES_HEADERS["薪资"])),
            Table("pools", "绩效工资预算.csv", pd.DataFrame(pools, columns=S.SALES_HEADERS["绩效工资预算"]))]


# the in-memory frames, as load_inputs gives them --------------------------------------------------
def _unique(values, fn) -> list:
    """fn over a column of text, once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    done = np.empty(len(uniques), dtype=object)
    done[:] = [fn(u) for u in uniques]
    return list(done[codes]) if len(codes) else []


def _decimals(values, blank=None) -> list:
    return [Decimal(v) if v != "" else blank for v in values]


def _source(t: Table) -> dict:
    n = len(t.frame)
    return {"_file": [t.path] * n, "_sheet": [None] * n, "_row": np.arange(2, n + 2, dtype="int64")}


def _frame(kind: str, t: Table, params, card_of: dict) -> pd.DataFrame:
    f = t.frame
    if kind == "roster":
        return pd.DataFrame({
            "employee_id": f["工号"], "name": f["姓名"], "department": f["部门"], "branch": f["分部"],
            "role": f["岗位"], "card": [card_of.get(i) for i in f["工号"]],
            "hire_date": _unique(f["入职日期"], date.fromisoformat),
            "leave_date": _unique(f["离职日期"], lambda v: date.fromisoformat(v) if v else None),
            "manager_id": f["上级工号"], "monthly_bonus_base": _decimals(f["月度绩效奖金"]), **_source(t)})
    if kind == "events":
        day = _unique(f["日期"], date.fromisoformat)
        period = _unique(f["日期"], lambda v: v[:7])
        catalog = params.catalog(Period.parse(period[0])) if len(f) else None
        return pd.DataFrame({
            "date": day, "period": period, "employee_id": f["工号"],
            "event": _unique(f["事件"], lambda v: catalog.event_key(v)),
            "count": f["次数"].astype("int64"), "note": f["备注"], **_source(t)})
    if kind in ("deals", "quotas", "wages", "pools"):
        return _sales_frame(kind, t)
    period = f["期间"]
    key = period + "\x1f" + f["工号"].map(card_of) + "\x1f" + f["指标"]

    def indicator(text):
        label, card, name = text.split("\x1f")
        return params.catalog(Period.parse(label)).indicator_key(params.card(card, label), name)

    out = {"period": period, "employee_id": f["工号"], "indicator": _unique(key, indicator)}
    if kind == "targets":
        out["target"] = _decimals(f["目标值"])
    elif kind == "actuals":
        out["actual"] = _decimals(f["实际值"])
    elif kind == "ratings":
        out.update(rater_id=f["评分人"], rater_role=f["评分角色"].map(ROLE_KEY), level=f["等级"],
                   score=_decimals(f["分数"]))
    else:
        out.update(points=_decimals(f["分值"]), reason=f["原因"], approved_by=f["审批人"])
    return pd.DataFrame({**out, **_source(t)})


def _share(text: str) -> Decimal:
    if text == "":
        return Decimal(1)
    return Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)


def _sales_frame(kind: str, t: Table) -> pd.DataFrame:
    f = t.frame
    if kind == "deals":
        day = _unique(f["回款日期"], date.fromisoformat)
        rt = f["收入类型"].map(REVENUE_KEY)
        refund = f["退款"].eq("是")
        cost = _decimals(f["成本"].where(rt.eq("secondary_dev"), ""))
        quote = _decimals(f["标准报价"].where(rt.eq("implementation") & ~refund, ""))
        return pd.DataFrame({
            "date": day, "quarter": _unique(f["回款日期"], lambda v: Period.parse(v[:7]).quarter.label),
            "deal_id": f["项目编号"], "crm_id": f["CRM编号"], "employee_id": f["工号"],
            "share": _unique(f["贡献比例"], _share), "revenue_type": rt, "amount": _decimals(f["税后净额"]),
            "cost": cost, "standard_quote": quote, "refund": refund.astype(bool), **_source(t)})
    if kind == "quotas":
        return pd.DataFrame({"quarter": f["季度"], "employee_id": f["工号"], "target": _decimals(f["目标"]),
                             "department_target": _decimals(f["部门目标"]), **_source(t)})
    if kind == "wages":
        return pd.DataFrame({"employee_id": f["工号"], "quarter": f["季度"].where(f["季度"] != "", None),
                             "floating_wage": _decimals(f["浮动工资"]), "fixed_wage": _decimals(f["固定工资"]),
                             **_source(t)})
    return pd.DataFrame({"year": f["年度"], "department": f["部门"], "budget": _decimals(f["预算"]), **_source(t)})


def to_inputs(tables: list[Table], params, people: list) -> Inputs:
    card_of = {p.id: p.card for p in people}
    kinds = {}
    for t in sorted(tables, key=lambda t: t.path):            # the reader's order: sorted paths
        kinds.setdefault(t.kind, []).append(_frame(t.kind, t, params, card_of))
    frames = {k: pd.concat(v, ignore_index=True) for k, v in kinds.items()}
    return Inputs(**{k: frames[k] if k in frames else empty_output(k) for k in TABLES}).prepared()


# the company ------------------------------------------------------------------------------------
def make_company(people: int = 1_000, branches: int = 4, months=("2026-07",), cards=CARDS,
                 departments: int = 1, quarters=None, deals: int = 2, seed: int = 2026,
                 params_dir=PARAMS) -> Company:
    """A company of `people` (plus the general manager) on `cards` in the sample's mix, each
    department `departments` times over, with score tables for `months` (and their whole
    quarters) and sales tables for `quarters` (default: the quarters of the months)."""
    params = load_params(params_dir)
    months = [Period.parse(m) for m in months]
    quarters = sorted({m.quarter for m in months}) if quarters is None else [Period.parse(q) for q in quarters]
    spans = [*months, *quarters]
    if not spans:
        raise ValueError("give months or quarters")
    window = (min(p.start for p in spans), max(p.end for p in spans))
    rng = random.Random(seed)
    staff = make_people(params, rng, people, branches, list(cards), departments, window)
    tables = [roster_table(staff), *score_tables(Values(params, seed, staff), months),
              *sales_tables(staff, quarters, deals, seed)]
    return Company(staff, tables, to_inputs(tables, params, staff))


def months_between(first: str, last: str) -> list[str]:
    out, m = [], Period.parse(first)
    while m <= Period.parse(last):
        out.append(m.label)
        m = m.next()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Write a synthetic company as perfpay input tables.")
    ap.add_argument("out", help="folder to write into (created)")
    ap.add_argument("--people", type=int, default=1_000)
    ap.add_argument("--branches", type=int, default=4)
    ap.add_argument("--months", default="2026-07", help="a month, or FIRST..LAST (2026-07..2026-09)")
    ap.add_argument("--departments", type=int, default=1, help="copies of each department")
    ap.add_argument("--deals", type=int, default=2, help="collections per salesperson and quarter")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    first, _, last = args.months.partition("..")
    company = make_company(args.people, args.branches, months_between(first, last or first),
                           departments=args.departments, deals=args.deals, seed=args.seed)
    files = company.write(args.out)
    print(f"wrote {len(files)} files under {args.out}/: {company.rows()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
