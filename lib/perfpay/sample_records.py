"""A year of raw records for the sample company: `inputs/records/` (SPEC 5, 6, 8).

`build(people, events, seed)` gives {"records/通话_2026Q1.parquet": bytes, "records/工单.csv": ...}
for the people of sample.py. The tables follow lib/perfpay/kpis/contracts.py with Chinese
headers (each column's first spelling): calls in Parquet (a few hundred thousand rows), the
other tables in CSV (UTF-8 with BOM). In CSV datetimes read `2026-07-15 09:31:05`, dates
`2026-07-15`, seconds are integers, flags 是/否 and money yuan with two decimals; in Parquet
datetimes are timestamp columns.

What the records hold (a person's `quality`, 0..100, moves his figures within the range):

- 出勤 attendance of every 客户服务部 person and month employed: the month's working days
  scheduled, a day or two off now and then (and the days before a hire or after a leave);
  one 售后服务专员 is absent a whole month (and has no other record that month).
- 通话 calls of the 客服专员 on the days they are present, in sequence through the day:
  answer rate 91.5-97.5 % per agent (rung but not picked up: 放弃 with the agent's id) and
  about 2 % more abandoned in the queue (放弃 with a blank 工号); handling time (talk + hold +
  wrap-up) 255-350 s; handled contacts 80-105 % of the agent's monthly target base; 7 %
  outbound. 9-20 % of an agent's answered calls bring the same customer back on the same
  category within 1-4 working days (first-contact resolution about 82-93 %), 3 % more
  come back after the 7-day window.
- 电话抽查 QA: one or two sampled calls a week per agent, scored 72-95 on average; one agent
  has four weeks without a sample.
- 满意度 surveys: about 4 % of answered inbound calls (mean 3.7-4.8 of 5 by agent, lower when
  the customer had to call back), and the resolved complaints that were surveyed.
- 工单 tickets of the 售后服务专员 (repairs, installations, returns); complaints: the
  `complaint` and `slow_response_complaint` events of sample.py as valid complaints (cause
  响应慢 for the slow ones), plus invalid ones; a few tickets never resolved.
- 客户意见 feedback (84-98.5 % answered within its SLA) and 回访 follow-ups (planned 8-11 a
  day, 84-98.5 % done) of the 售后服务专员; 信息传递 hand-offs of the 客服专员.
- 合同 contracts of about 300 key-account customers of the 大客户部 from 2025 on (the
  classification of SPEC 5 looks back 12 months): groups, two strategic customers,
  referrals, contracts over 5,000 方, invoices overdue more than 90 days, terminated
  contracts and customers who stop ordering (churn).
- 拜访 visits of the 大客户部 people: a few without a summary, some followed up late.

Randomness: one numpy Generator per table seeded from (seed, table), drawn only through
`random()` and `integers()`; the calls are generated as whole arrays (no loop over calls).
The Parquet file is written with fixed settings (see `_parquet_bytes`), so the same seed
gives the same bytes with the same pyarrow.
"""

from __future__ import annotations

import csv
import io
import zlib
from datetime import date, timedelta

import numpy as np

from .kpis.contracts import RECORDS

YEAR = 2026
START = np.datetime64(f"{YEAR}-01-01T00:00:00", "s")
NDAYS = 365
DAY = 86_400
OPEN = 8 * 3600 + 30 * 60              # the call centre opens at 08:30
SHIFT = 9 * 3600                       # and works until 17:30
CS = ("service_agent", "aftersales_specialist", "service_supervisor")
KA = ("ka_manager", "ka_specialist")
YES_NO = np.array(["否", "是"])
NEWLINE = b"\n"

# calls: category, share of calls, handling-time factor (normalised to mean 1 below)
CATEGORIES = (("咨询", 35, 0.8), ("报修", 25, 1.1), ("账单", 15, 0.9), ("安装", 12, 1.1),
              ("退换货", 8, 1.2), ("投诉", 5, 1.6))
CUSTOMERS = 120_000                    # retail customers who call (C100000..)
REPEAT_LAG = ((1, 35), (2, 30), (3, 20), (4, 15))       # working days later, share in %
OUTBOUND = 0.07
QUEUE_ABANDON = 0.02                   # of a site's inbound calls, before an agent
TICKET_KINDS = (("报修", 50), ("安装", 25), ("退换货", 15), ("咨询", 10))
CAUSES = {"客户投诉服务态度": "服务态度", "客户投诉处理结果不满意": "处理结果不满意",
          "客户投诉承诺未兑现": "承诺未兑现"}
INVALID_CAUSES = ("响应慢", "服务态度", "价格异议", "处理结果不满意")

# file name -> headers: the first spelling of each column of the contract (`calls` is 通话, ...)
HEADERS = {t.names[1]: [c.spellings[0] for c in t.columns] for t in RECORDS.values()}


# small helpers -------------------------------------------------------------------------
def _rng(seed: int, table: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(table.encode("utf-8"))])


def _lerp(lo: float, hi: float, q):
    """lo .. hi as quality q goes 0 .. 1."""
    return lo + (hi - lo) * q


def _exp(rng, n: int) -> np.ndarray:
    """Exponential draws of mean 1."""
    return -np.log1p(-rng.random(n))


def _pick(rng, shares, n: int) -> np.ndarray:
    """Indices into `shares` (weights) for n draws."""
    cum = np.cumsum(np.asarray(shares, dtype=float))
    return np.searchsorted(cum / cum[-1], rng.random(n), side="right")


def _day(d) -> date:
    return date(YEAR, 1, 1) + timedelta(days=int(d))


def _stamps(secs: np.ndarray, blank=None, unit: str = "s") -> np.ndarray:
    """Seconds since 1 January as ISO text ('2026-07-15 09:31:05' or, unit 'D', '2026-07-15')."""
    text = np.datetime_as_string(START + secs.astype("timedelta64[s]"), unit=unit)
    text = np.char.replace(text, "T", " ").astype(object)
    if blank is not None:
        text[blank] = ""
    return text


def _dates(days: np.ndarray, blank=None) -> np.ndarray:
    return _stamps(np.asarray(days, dtype=np.int64) * DAY, blank, unit="D")


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """prefix0000001, prefix0000002, ... (numpy string operations, no loop over rows)."""
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _money(fen: np.ndarray) -> np.ndarray:
    fen = np.asarray(fen, dtype=np.int64)
    return np.array([f"{f // 100}.{f % 100:02d}" for f in fen], dtype=object)


def _csv(table: str, columns: list) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADERS[table])
    w.writerows(zip(*[np.asarray(c, dtype=object).astype(str) for c in columns]))
    return buf.getvalue().encode("utf-8-sig")


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted `keys`: the start index and the length of each run of equal keys."""
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return starts, np.diff(np.r_[starts, len(keys)])


# the calendar and who is at work ------------------------------------------------------------
class Calendar:
    """Working days of the year and who of `people` is present on which day."""

    def __init__(self, people, rng, whole_month_absent: tuple[str, int] | None):
        self.people = people
        self.index = {p.id: i for i, p in enumerate(people)}
        days = np.arange(NDAYS)
        self.month = np.array([_day(d).month for d in days])
        self.workday = np.array([_day(d).weekday() < 5 for d in days])
        self.workdays = np.flatnonzero(self.workday)
        self.position = np.full(NDAYS, -1)
        self.position[self.workdays] = np.arange(len(self.workdays))
        self.scheduled = np.zeros((len(people), NDAYS), dtype=bool)
        for i, p in enumerate(people):
            first = max(0, (p.hire - date(YEAR, 1, 1)).days)
            last = NDAYS - 1 if p.leave is None else (p.leave - date(YEAR, 1, 1)).days
            self.scheduled[i, first:last + 1] = self.workday[first:last + 1]
        self.present = self.scheduled.copy()
        # a day or two off now and then: 0 days (65 %), 1 (20 %), 2 (10 %), 3-5 (5 %) a month
        for i in range(len(people)):
            for m in range(1, 13):
                on = np.flatnonzero(self.scheduled[i] & (self.month == m))
                if not len(on):
                    continue
                u = rng.random()
                k = 0 if u < 0.65 else 1 if u < 0.85 else 2 if u < 0.95 else 3 + int(rng.integers(0, 3))
                off = on[np.argsort(rng.random(len(on)))[:k]]
                self.present[i, off] = False
        if whole_month_absent:
            pid, m = whole_month_absent
            self.present[self.index[pid], self.month == m] = False

    def later(self, days: np.ndarray, lag: np.ndarray) -> np.ndarray:
        """The working day `lag` working days after `days` (-1 past the year's end)."""
        pos = self.position[days] + lag
        ok = pos < len(self.workdays)
        return np.where(ok, self.workdays[np.minimum(pos, len(self.workdays) - 1)], -1)

    def attendance_rows(self) -> list:
        """月份, 工号, 应出勤天数, 实际出勤天数 of every month a person was employed: scheduled are
        the month's working days (a new hire or a leaver is present on fewer), so that a quota
        prorated by present / scheduled is prorated for a part month too."""
        i, m = np.meshgrid(np.arange(len(self.people)), np.arange(1, 13), indexing="ij")
        employed = np.stack([(self.scheduled & (self.month == k)).sum(1) for k in range(1, 13)], 1)
        month_days = np.array([(self.workday & (self.month == k)).sum() for k in range(1, 13)])
        pres = np.stack([(self.present & (self.month == k)).sum(1) for k in range(1, 13)], 1)
        keep = employed > 0
        return [np.array([f"{YEAR}-{k:02d}" for k in m[keep]], dtype=object),
                np.array([self.people[k].id for k in i[keep]], dtype=object),
                np.broadcast_to(month_days, m.shape)[keep], pres[keep]]


def _person_days(cal: Calendar, who: list[int], rng, lo: int, hi: int):
    """(person index, day) for every present day of `who`, with lo..hi items each."""
    pres = cal.present[who]
    p, d = np.nonzero(pres)
    n = rng.integers(lo, hi + 1, len(p))
    return np.repeat(np.asarray(who)[p], n), np.repeat(d, n)


def _customers(k: np.ndarray) -> np.ndarray:
    """The ids C100000 .. of the retail customers numbered k."""
    return np.char.add("C", (100_000 + np.asarray(k, dtype=np.int64)).astype(str)).astype(object)


def _quality(people) -> np.ndarray:
    return np.array([p.quality for p in people]) / 100


# calls, QA samples and call surveys ---------------------------------------------------------
CALL_FIELDS = ("agent", "day", "out", "category", "customer", "abandoned", "offered", "answered",
               "ended", "talk", "hold", "wrap", "repeated")


def make_calls(cal: Calendar, rng) -> dict[str, np.ndarray]:
    """The calls of the 客服专员, one array per field, sorted by time (answered -1: not answered)."""
    people = cal.people
    agents = np.array([i for i, p in enumerate(people) if p.card == "service_agent"])
    q = _quality(people)
    base = np.array([p.base.get("handling_volume", 0) for p in people], dtype=float)
    sites = sorted({p.site for p in people})
    site = np.array([sites.index(p.site) for p in people])
    miss = _lerp(0.085, 0.025, q)                      # rung but not picked up
    repeat = _lerp(0.20, 0.09, q)                      # the customer calls back within the window
    aht = _lerp(350.0, 255.0, q)                       # talk + hold + wrap-up, seconds
    # first contacts a present day: the month's target base over ~21.7 days, less the
    # call-backs other agents route to this one, plus the calls not picked up
    daily = base * _lerp(0.80, 1.05, q) / 21.7 / 1.12 / (1 - miss)

    # 1. first contacts, agent by agent and day by day
    a, d = np.nonzero(cal.present[agents])
    a = agents[a]
    n = np.rint(daily[a] * (0.85 + 0.3 * rng.random(len(a)))).astype(np.int64)
    c = {"agent": np.repeat(a, n), "day": np.repeat(d, n)}
    size = len(c["agent"])
    c["out"] = rng.random(size) < OUTBOUND
    c["category"] = _pick(rng, [x[1] for x in CATEGORIES], size)
    c["customer"] = rng.integers(0, CUSTOMERS, size)
    c["abandoned"] = ~c["out"] & (rng.random(size) < miss[c["agent"]])

    # 2. call-backs: the same customer and category 1-4 working days later (inside the 7-day
    #    window) or 6-10 (outside it), taken by any agent of the site at work that day
    u = rng.random(size)
    solved = ~c["out"] & ~c["abandoned"]
    back = solved & (u < repeat[c["agent"]])
    late = solved & ~back & (u < repeat[c["agent"]] + 0.03)
    lags = np.array([x[0] for x in REPEAT_LAG])[_pick(rng, [x[1] for x in REPEAT_LAG], size)]
    lag = np.where(back, lags, rng.integers(6, 11, size))
    src = np.flatnonzero(back | late)
    when = cal.later(c["day"][src], lag[src])
    who = _anyone_present(cal, agents, site, site[c["agent"][src]], when, rng)
    keep = (when >= 0) & (who >= 0)
    src, when, who = src[keep], when[keep], who[keep]
    c["repeated"] = np.zeros(size, dtype=bool)        # this contact did not solve it
    c["repeated"][src[back[src]]] = True
    more = {"agent": who, "day": when, "out": np.zeros(len(src), dtype=bool),
            "category": c["category"][src], "customer": c["customer"][src],
            "abandoned": np.zeros(len(src), dtype=bool), "repeated": np.zeros(len(src), dtype=bool)}
    c = {k: np.r_[c[k], more[k]] for k in c}
    size = len(c["agent"])

    # 3. durations: ring, talk (gamma 2), hold on 30 % of calls, wrap-up
    factor = np.array([x[2] for x in CATEGORIES])
    factor = factor / (factor @ np.array([x[1] for x in CATEGORIES]) / 100)
    mean = aht[c["agent"]] * factor[c["category"]]
    talk = np.maximum(10, np.rint(0.72 * mean * (_exp(rng, size) + _exp(rng, size)) / 2))
    hold = np.where(rng.random(size) < 0.3, np.rint(0.08 / 0.3 * mean * _exp(rng, size)), 0)
    wrap = np.rint(0.20 * mean * (0.5 + rng.random(size)))
    ring = np.where(c["out"], 5 + rng.integers(0, 20, size),
                    np.where(c["abandoned"], 15 + rng.integers(0, 45, size),
                             np.minimum(120, np.rint(3 + 15 * _exp(rng, size)))))
    for k, x in (("talk", talk), ("hold", hold), ("wrap", wrap)):
        c[k] = np.where(c["abandoned"], 0, x).astype(np.int64)
    ring = ring.astype(np.int64)

    # 4. one call after the other through the agent's day, idle gaps filling the shift
    order = np.lexsort((rng.random(size), c["day"], c["agent"]))
    c = {k: v[order] for k, v in c.items()}
    ring = ring[order]
    busy = ring + c["talk"] + c["hold"] + c["wrap"]
    starts, lengths = _runs(c["agent"] * NDAYS + c["day"])
    run = np.repeat(np.arange(len(starts)), lengths)
    idle = np.maximum(20, (SHIFT - np.add.reduceat(busy, starts)) / lengths)
    gap = np.rint(idle[run] * _exp(rng, size)).astype(np.int64)
    slot = gap + busy
    cum = np.cumsum(slot)
    before = cum - slot - (cum - slot)[starts][run]     # time taken by the day's earlier calls
    clock_in = np.rint(600 * rng.random(len(starts))).astype(np.int64)[run]
    c["offered"] = c["day"] * DAY + OPEN + clock_in + before + gap
    c["answered"] = np.where(c["abandoned"], -1, c["offered"] + ring)
    c["ended"] = c["offered"] + ring + c["talk"] + c["hold"]

    # 5. abandoned in the queue, before any agent: about 2 % of a site's inbound calls
    site_day = site[c["agent"]] * NDAYS + c["day"]
    inbound = np.bincount(site_day[~c["out"]], minlength=len(sites) * NDAYS)
    k = np.rint(inbound * QUEUE_ABANDON * (0.5 + rng.random(len(inbound)))).astype(np.int64)
    nq = int(k.sum())
    q_day = np.repeat(np.arange(len(inbound)), k) % NDAYS
    q_offered = q_day * DAY + OPEN + rng.integers(0, SHIFT, nq)
    q_wait = np.minimum(300, np.rint(20 + 40 * _exp(rng, nq))).astype(np.int64)
    zero = np.zeros(nq, dtype=np.int64)
    queue = {"agent": np.full(nq, -1), "day": q_day, "out": zero.astype(bool),
             "category": _pick(rng, [x[1] for x in CATEGORIES], nq),
             "customer": rng.integers(0, CUSTOMERS, nq), "abandoned": np.ones(nq, dtype=bool),
             "offered": q_offered, "answered": zero - 1, "ended": q_offered + q_wait,
             "talk": zero, "hold": zero, "wrap": zero, "repeated": zero.astype(bool)}
    c = {k: np.r_[c[k], queue[k]] for k in CALL_FIELDS}

    # 6. all calls by time; the ids follow that order
    order = np.lexsort((c["agent"], c["offered"]))
    c = {k: v[order] for k, v in c.items()}
    c["id"] = _ids("CL", len(order), 7)
    return c


def _anyone_present(cal, agents, site, want_site, want_day, rng) -> np.ndarray:
    """A random agent of `want_site` at work on `want_day` (-1 when there is none or no day)."""
    out = np.full(len(want_day), -1)
    u = rng.random(len(want_day))
    for s in np.unique(site[agents]):
        mine = agents[site[agents] == s]
        pres = cal.present[mine]                                   # agents x days
        packed = mine[np.argsort(~pres, axis=0, kind="stable")]    # per day, those present first
        rows = np.flatnonzero((want_site == s) & (want_day >= 0))
        count = pres.sum(0)[want_day[rows]]
        ok = count > 0
        j = np.floor(u[rows] * np.maximum(count, 1)).astype(np.int64)
        out[rows[ok]] = packed[j[ok], want_day[rows[ok]]]
    return out


def calls_parquet(c: dict, people) -> dict[str, bytes]:
    """The calls as one Parquet file a quarter (通话_2026Q3.parquet ...), each a few MB."""
    import pyarrow as pa

    ids = np.array([p.id for p in people], dtype=object)
    n = len(c["id"])
    talked = ~c["abandoned"]
    stamp = START.astype("datetime64[ms]")

    def when(secs, valid):
        return pa.array(stamp + np.where(valid, secs, 0).astype("timedelta64[s]"),
                        mask=~valid, type=pa.timestamp("ms"))

    def seconds(x):
        return pa.array(x.astype(np.int32), mask=~talked, type=pa.int32())

    everywhere = np.ones(n, dtype=bool)
    cats = np.array([x[0] for x in CATEGORIES], dtype=object)
    columns = [
        pa.array(c["id"], type=pa.string()),
        pa.array(np.where(c["agent"] >= 0, ids[np.maximum(c["agent"], 0)], None), type=pa.string()),
        pa.array(_customers(c["customer"]), type=pa.string()),
        pa.array(np.where(c["out"], "呼出", "呼入").astype(object), type=pa.string()),
        when(c["offered"], everywhere), when(c["answered"], talked), when(c["ended"], everywhere),
        seconds(c["talk"]), seconds(c["hold"]), seconds(c["wrap"]),
        pa.array(cats[c["category"]], type=pa.string()),
        pa.array(YES_NO[c["abandoned"].astype(int)].astype(object), type=pa.string()),
    ]
    table = pa.table(columns, names=HEADERS["通话"])
    month = (START + c["offered"].astype("timedelta64[s]")).astype("datetime64[M]")
    quarter = (month.astype(np.int64) % 12) // 3 + 1
    return {f"通话_{YEAR}Q{q}.parquet": _parquet_bytes(table.filter(pa.array(quarter == q))) for q in range(1, 5)}


def _parquet_bytes(table) -> bytes:
    """Every writer setting spelled out, so that the same table gives the same bytes; the file
    holds no timestamp, only pyarrow's version in its `created_by`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, version="2.6", data_page_version="1.0", compression="zstd",
                   compression_level=9, use_dictionary=["工号", "客户编号", "方向", "问题类别", "放弃"],
                   row_group_size=131_072, data_page_size=1 << 20, write_statistics=True,
                   store_schema=False,
                   column_encoding={"通话编号": "DELTA_BYTE_ARRAY", "呼入时间": "DELTA_BINARY_PACKED",
                                    "接听时间": "DELTA_BINARY_PACKED", "结束时间": "DELTA_BINARY_PACKED"})
    return sink.getvalue().to_pybytes()


def qa_columns(c: dict, cal: Calendar, rng) -> list:
    """One or two answered calls a week sampled per agent; the weakest agent misses four weeks."""
    people = cal.people
    ok = np.flatnonzero((c["agent"] >= 0) & ~c["abandoned"])
    order = ok[np.lexsort((c["day"][ok], c["agent"][ok]))]          # answered calls by agent, day
    key = c["agent"][order] * NDAYS + c["day"][order]
    week = (np.arange(NDAYS) + date(YEAR, 1, 1).weekday()) // 7      # weeks from Monday
    agents = [i for i, p in enumerate(people) if p.card == "service_agent"]
    weak = min(agents, key=lambda i: (people[i].quality, people[i].id))
    who, day = [], []
    for i in agents:                        # a few dozen agents x 53 weeks: a loop is fine
        weeks = np.unique(week[cal.present[i]])
        if i == weak:
            inner = weeks[2:-2]
            weeks = np.setdiff1d(weeks, inner[np.argsort(rng.random(len(inner)))[:4]])
        for w in weeks:
            days = np.flatnonzero(cal.present[i] & (week == w))
            n = 1 + int(rng.random() < 0.3)
            day += sorted(days[np.argsort(rng.random(len(days)))[:n]])
            who += [i] * min(n, len(days))
    who, day = np.array(who), np.array(day)
    o = np.lexsort((who, day))
    who, day = who[o], day[o]
    want = who * NDAYS + day
    lo, hi = np.searchsorted(key, want, "left"), np.searchsorted(key, want, "right")
    pick = order[np.minimum(lo + np.floor(rng.random(len(want)) * (hi - lo)).astype(np.int64), len(order) - 1)]
    call = np.where(hi > lo, c["id"][pick], "")
    noise = (rng.random(len(who)) + rng.random(len(who)) + rng.random(len(who)) - 1.5) * 10
    score = np.clip(np.rint(_lerp(72, 95, _quality(people)[who]) + noise), 40, 100).astype(np.int64)
    ids = np.array([p.id for p in people], dtype=object)
    return [_ids("QA", len(who), 5), _dates(day), ids[who], score, call]


def _scores(rng, mean: np.ndarray) -> np.ndarray:
    """Survey scores 1..5 around `mean`: 5 less a geometric shortfall of that mean."""
    short = np.clip(5 - mean, 0.05, 3.5)
    theta = short / (1 + short)                    # P(shortfall >= k) = theta^k
    k = np.floor(np.log(1 - rng.random(len(mean))) / np.log(theta)).astype(np.int64)
    return 5 - np.clip(k, 0, 4)


def call_surveys(c: dict, cal: Calendar, rng) -> tuple:
    """(day, person index, customer, score) for about 4 % of the answered inbound calls."""
    i = np.flatnonzero((c["agent"] >= 0) & ~c["abandoned"] & ~c["out"]
                       & (rng.random(len(c["id"])) < 0.04))
    a = c["agent"][i]
    mean = _lerp(3.7, 4.8, _quality(cal.people)[a]) - 0.9 * c["repeated"][i]
    day = np.minimum(NDAYS - 1, c["day"][i] + (rng.random(len(i)) < 0.3))
    return day, a, _customers(c["customer"][i]), _scores(rng, mean)


# after-sales: tickets, feedback, follow-ups; hand-offs of the agents ------------------------------
def tickets(cal: Calendar, events: list, rng) -> tuple[list, tuple]:
    """工单 columns, and the surveys of resolved complaints (day, person, customer, score, ticket)."""
    people = cal.people
    q = _quality(people)
    sites = np.array([p.site for p in people], dtype=object)
    specialists = [i for i, p in enumerate(people) if p.card == "aftersales_specialist"]
    kinds = np.array([k for k, _ in TICKET_KINDS], dtype=object)
    # ordinary tickets: 0-3 a present day
    who, day = _person_days(cal, specialists, rng, 0, 3)
    n = len(who)
    category = kinds[_pick(rng, [s for _, s in TICKET_KINDS], n)]
    complaint = np.zeros(n, dtype=bool)
    valid = np.full(n, "", dtype=object)
    cause = np.full(n, "", dtype=object)
    # complaints: the complaint events of sample.py (valid), and invalid ones now and then
    ev = [(e_day, cal.index[pid], key, note) for e_day, pid, key, note in events
          if key in ("complaint", "slow_response_complaint") and pid in cal.index]
    e_who = np.array([e[1] for e in ev], dtype=np.int64)
    e_day = np.array([(e[0] - date(YEAR, 1, 1)).days for e in ev], dtype=np.int64)
    e_cause = np.array(["响应慢" if e[2] == "slow_response_complaint" else CAUSES.get(e[3], "服务态度")
                        for e in ev], dtype=object)
    i_who, i_day = _person_days(cal, specialists, rng, 1, 1)
    pick = rng.random(len(i_who)) < 0.4 / 21.7                 # about 0.4 a month
    i_who, i_day = i_who[pick], i_day[pick]
    i_cause = np.array(INVALID_CAUSES, dtype=object)[_pick(rng, [4, 2, 2, 2], len(i_who))]
    who = np.r_[who, e_who, i_who]
    day = np.r_[day, e_day, i_day]
    category = np.r_[category, np.full(len(ev) + len(i_who), "投诉", dtype=object)]
    complaint = np.r_[complaint, np.ones(len(ev) + len(i_who), dtype=bool)]
    valid = np.r_[valid, np.full(len(ev), "是", dtype=object), np.full(len(i_who), "否", dtype=object)]
    cause = np.r_[cause, e_cause, i_cause]
    n = len(who)
    opened = day * DAY + OPEN + rng.integers(0, SHIFT, n)
    hours = np.where(complaint, _lerp(60, 18, q[who]), _lerp(30, 8, q[who])) \
        * (_exp(rng, n) + _exp(rng, n)) / 2
    resolved = opened + np.rint(hours * 3600).astype(np.int64) + 600
    order = np.lexsort((who, opened))
    who, day, category, complaint, valid, cause, opened, resolved = (
        x[order] for x in (who, day, category, complaint, valid, cause, opened, resolved))
    customer = rng.integers(0, CUSTOMERS, n)
    # a fifth of the complaints come from a customer who complained before at the same site
    earlier: dict[str, list[int]] = {}
    again = rng.random(n) < 0.2
    for k in np.flatnonzero(complaint):
        seen = earlier.setdefault(sites[who[k]], [])
        if again[k] and seen:
            customer[k] = seen[int(rng.integers(0, len(seen)))]
        seen.append(int(customer[k]))
    # a few never resolved: two complaints and three ordinary tickets
    open_ = np.zeros(n, dtype=bool)
    for group, k in ((complaint, 2), (~complaint, 3)):
        rows = np.flatnonzero(group)
        open_[rows[np.argsort(rng.random(len(rows)))[:k]]] = True
    mean = np.where(complaint, _lerp(2.8, 4.3, q[who]), _lerp(3.8, 4.8, q[who]))
    rated = ~open_ & (rng.random(n) < 0.6)
    score = np.where(rated, _scores(rng, mean), 0)
    ids = _ids("GD", n, 6)
    names = np.array([p.id for p in people], dtype=object)
    columns = [ids, _customers(customer), names[who], category, _stamps(opened),
               _stamps(resolved, open_), YES_NO[complaint.astype(int)], valid, cause,
               np.where(rated, score, "").astype(object)]
    s = np.flatnonzero(rated & complaint)
    surveyed = (np.minimum(NDAYS - 1, resolved[s] // DAY), who[s], _customers(customer[s]), score[s], ids[s])
    return columns, surveyed


def feedback(cal: Calendar, rng) -> list:
    """客户意见 of the 售后服务专员: 0-4 a present day, 84-98.5 % answered within the SLA."""
    people = cal.people
    specialists = [i for i, p in enumerate(people) if p.card == "aftersales_specialist"]
    who, day = _person_days(cal, specialists, rng, 0, 4)
    n = len(who)
    received = day * DAY + 8 * 3600 + rng.integers(0, 12 * 3600, n)
    u = rng.random(n)
    sla = np.where(u < 0.7, 24, np.where(u < 0.85, 48, 0))          # 0: blank, the default 24 h
    limit = np.where(sla > 0, sla, 24) * 3600
    on_time = rng.random(n) < _lerp(0.84, 0.985, _quality(people)[who])
    delay = np.where(on_time, limit * (0.05 + 0.9 * rng.random(n)),
                     limit + 3600 * (1 + 47 * rng.random(n)))
    answered = received + np.rint(delay).astype(np.int64)
    never = rng.random(n) < 0.004
    order = np.lexsort((who, received))
    who, received, answered, never, sla = (x[order] for x in (who, received, answered, never, sla))
    names = np.array([p.id for p in people], dtype=object)
    return [_ids("YJ", n, 5), names[who], _customers(rng.integers(0, CUSTOMERS, n)), _stamps(received),
            _stamps(answered, never), np.where(sla > 0, sla, "").astype(object)]


def handoffs(cal: Calendar, rng) -> list:
    """信息传递 of the 客服专员: 0-2 a present day, 90-99.5 % passed on within the SLA."""
    people = cal.people
    agents = [i for i, p in enumerate(people) if p.card == "service_agent"]
    who, day = _person_days(cal, agents, rng, 0, 2)
    n = len(who)
    received = day * DAY + OPEN + rng.integers(0, SHIFT, n)
    u = rng.random(n)
    sla = np.where(u < 0.3, 4, np.where(u < 0.7, 24, 0))            # 0: blank, the default 24 h
    limit = np.where(sla > 0, sla, 24) * 3600
    on_time = rng.random(n) < _lerp(0.90, 0.995, _quality(people)[who])
    delay = np.where(on_time, limit * (0.02 + 0.9 * rng.random(n)), limit + 3600 * (1 + 23 * rng.random(n)))
    passed = received + np.rint(delay).astype(np.int64)
    order = np.lexsort((who, received))
    who, received, passed, sla = (x[order] for x in (who, received, passed, sla))
    names = np.array([p.id for p in people], dtype=object)
    return [_ids("CD", n, 5), names[who], _stamps(received), _stamps(passed),
            np.where(sla > 0, sla, "").astype(object)]


def followups(cal: Calendar, rng) -> list:
    """回访 of the 售后服务专员 per present day: 8-11 planned, 84-98.5 % of them done."""
    people = cal.people
    specialists = [i for i, p in enumerate(people) if p.card == "aftersales_specialist"]
    who, day = _person_days(cal, specialists, rng, 1, 1)
    planned = rng.integers(8, 12, len(who))
    p = _lerp(0.84, 0.985, _quality(people)[who])
    tries = rng.random((len(who), 12)) < p[:, None]
    done = (tries & (np.arange(12)[None, :] < planned[:, None])).sum(1)
    order = np.lexsort((who, day))
    names = np.array([x.id for x in people], dtype=object)
    return [_dates(day[order]), names[who[order]], planned[order], done[order]]


# key accounts: contracts and visits (SPEC 5, 6) --------------------------------------------------
ACCOUNTS = {"总部": 90, "华东分部": 85, "华南分部": 65, "华北分部": 60}       # customers per site
CITIES = {"总部": ("武汉", "长沙", "南昌"), "华东分部": ("杭州", "南京", "苏州", "宁波"),
          "华南分部": ("广州", "深圳", "佛山", "东莞"), "华北分部": ("北京", "天津", "石家庄", "太原")}
BRANDS = ("宏达", "远大", "中天", "华建", "正泰", "金盛", "恒基", "鼎盛", "长城", "新世纪", "万通", "安泰",
          "永兴", "瑞丰", "昌隆", "兴业", "东方", "博远", "联创", "天成", "汇通", "盛世", "富华", "嘉禾")
TRADES = ("建设工程", "建筑", "市政工程", "路桥", "混凝土制品", "房地产开发", "装饰工程", "水利工程")
GROUPS = (("JT01", "中建华鼎集团", "华鼎"), ("JT02", "城投控股集团", "城投"), ("JT03", "交建集团", "交建"),
          ("JT04", "绿地置业集团", "绿地"), ("JT05", "宏图实业集团", "宏图"), ("JT06", "海川建工集团", "海川"))
ORDERS_FROM = date(YEAR - 1, 1, 1)      # two years, so that 12-month look-backs are full in 2026


def _workday(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def contracts(people, rng) -> tuple[list, dict]:
    """合同 columns and, per salesperson id, the customers he visits.

    Customers order at a steady pace (small ones every 4 months or so, large ones monthly);
    one in six stops during the year before the sample or the sample year, half of those
    with a terminated last contract. Among them: six groups, two strategic customers, a
    dozen referred by an older customer, ten with one contract over 5,000 方, four with one
    of 4,000-4,999 方, and three large ones with an invoice overdue more than 90 days in 2026.
    """
    ka = [p for p in people if p.card in KA]
    span = (date(YEAR, 12, 31) - ORDERS_FROM).days
    year_start = (date(YEAR, 1, 1) - ORDERS_FROM).days
    owned: dict[str, list[str]] = {p.id: [] for p in ka}
    customers = []                       # [id, site, owner, manager, since, until, size, stop]
    for site, count in ACCOUNTS.items():
        staff = [p for p in ka if p.site == site]
        manager = next(p for p in staff if p.card == "ka_manager")
        weights = [1 if p is manager else 2 for p in staff]
        for _ in range(count):
            owner = staff[int(_pick(rng, weights, 1)[0])]
            size = int(_pick(rng, [50, 35, 15], 1)[0])              # small, medium, large
            old = rng.random() < 0.65                                # a customer before 2025
            since = int(rng.integers(0, 60)) if old else int(rng.integers(60, span - 60))
            until, stop = span, ""
            if rng.random() < 0.16 and since < span - 240:
                until = int(rng.integers(max(since + 90, 240), span - 90))
                stop = "terminated" if rng.random() < 0.5 else "quiet"
            customers.append([f"K{len(customers) + 1:04d}", site, owner, manager, since, until, size, stop])
    n = len(customers)
    group = [""] * n
    for k, i in enumerate(np.argsort(rng.random(n))[:27]):
        group[i] = GROUPS[k % len(GROUPS)][0]
    names, taken = [], set()
    for i, c in enumerate(customers):
        city = CITIES[c[1]][int(rng.integers(0, len(CITIES[c[1]])))]
        while True:
            trade = TRADES[int(rng.integers(0, len(TRADES)))]
            brand = next((b for g, _, b in GROUPS if g == group[i]), None)
            name = f"{brand}({city}){trade}有限公司" if brand else \
                f"{city}{BRANDS[int(rng.integers(0, len(BRANDS)))]}{trade}有限公司"
            if name not in taken:
                break
        taken.add(name)
        names.append(name)

    def some(rows, k):
        rows = np.asarray(rows, dtype=np.int64)
        return set(rows[np.argsort(rng.random(len(rows)))[:k]].tolist())

    steady_large = [i for i, c in enumerate(customers) if c[6] == 2 and c[4] < 60 and not c[7]]
    strategic = some(steady_large, 2)
    late = some([i for i in steady_large if i not in strategic], 3)
    high = some(range(n), 10)
    near = some([i for i in range(n) if i not in high], 4)
    referred = {}
    for i in sorted(some([i for i, c in enumerate(customers) if c[4] >= 150], 12)):
        older = [c[0] for c in customers if c[1] == customers[i][1] and c[4] < customers[i][4] - 30]
        referred[i] = older[int(rng.integers(0, len(older)))]
    every = (120, 60, 33)                                  # days between contracts, on average
    lo_hi = ((30, 300), (100, 700), (300, 1500))           # 方 a contract
    rows = []
    for i, (cid, site, owner, manager, since, until, size, stop) in enumerate(customers):
        gaps = np.rint(every[size] * (0.6 + 0.8 * rng.random(40))).astype(np.int64)
        days = since + np.r_[0, np.cumsum(gaps)]
        days = days[days <= until]
        k = len(days)
        lo, hi = lo_hi[size]
        volume = rng.integers(lo // 10, hi // 10 + 1, k) * 10
        if i in high:
            volume[int(rng.integers(0, k))] = int(rng.integers(520, 1200)) * 10
        if i in near:
            volume[int(rng.integers(0, k))] = int(rng.integers(400, 500)) * 10
        u = rng.random(k)
        overdue = np.where(u < 0.75, 0, np.where(u < 0.95, rng.integers(1, 61, k),
                                                 np.where(u < 0.995, rng.integers(61, 91, k),
                                                          rng.integers(91, 181, k))))
        if i in late:
            overdue[np.flatnonzero(days >= year_start)[0]] = 120
        price = int(rng.integers(330, 461)) * 100                   # fen a 方
        for j in range(k):
            signed = _workday(ORDERS_FROM + timedelta(days=int(days[j])))
            seller = owner if owner.hire <= signed else manager
            fen = int(volume[j]) * (price + int(rng.integers(0, 21)) * 100)
            end = ""
            if stop == "terminated" and j == k - 1:
                end = (signed + timedelta(days=int(rng.integers(20, 91)))).isoformat()
            rows.append([signed.isoformat(), cid, names[i], group[i], seller.id, int(volume[j]),
                         f"{fen // 100}.{fen % 100:02d}", int(overdue[j]),
                         referred.get(i, "") if j == 0 else "", "是" if i in strategic else "否", end])
        owned[owner.id].append(cid)
        if owner is not manager and owner.hire > ORDERS_FROM:
            owned[manager.id].append(cid)                # the manager looked after it before
    rows.sort(key=lambda r: (r[0], r[1]))
    per_year: dict[str, int] = {}
    out = []
    for r in rows:
        yy = r[0][2:4]
        per_year[yy] = per_year.get(yy, 0) + 1
        out.append([f"HT{yy}{per_year[yy]:04d}", r[1], r[2], r[3], r[4], r[0], *r[5:]])
    return [list(col) for col in zip(*out)], owned


def visits(cal: Calendar, owned: dict, rng) -> list:
    """拜访 of the 大客户部: 6-12 a month (managers 3-7) to their own customers; about 1.5 %
    without a summary, 8 % followed up after the week and 4 % not yet."""
    people = cal.people
    rows = []
    for i, p in enumerate(people):
        if p.card not in KA:
            continue
        mine = owned[p.id] or [c for pid, cs in owned.items() for c in cs if cal.people[cal.index[pid]].site == p.site]
        lo, hi = (3, 7) if p.card == "ka_manager" else (6, 12)
        for m in range(1, 13):
            days = np.flatnonzero(cal.present[i] & (cal.month == m))
            if not len(days):
                continue
            k = min(len(days), int(rng.integers(lo, hi + 1)))
            for d in np.sort(days[np.argsort(rng.random(len(days)))[:k]]):
                rows.append((int(d), p.id, mine[int(rng.integers(0, len(mine)))]))
    rows.sort(key=lambda r: (r[0], r[1]))
    n = len(rows)
    day = np.array([r[0] for r in rows])
    u, v = rng.random(n), rng.random(n)
    summary = day + rng.integers(0, 4, n)
    follow = day + np.where(v < 0.08, rng.integers(8, 21, n), rng.integers(1, 8, n))
    fen = np.where(rng.random(n) < 0.2, 0, rng.integers(5_000, 60_001, n))
    return [_ids("BF", n, 5), [r[1] for r in rows], [r[2] for r in rows], _dates(day),
            _dates(summary, u < 0.015), _dates(follow, v > 0.96), _money(fen)]


# the whole folder ---------------------------------------------------------------------------------
ABSENT = ("aftersales_specialist", 8)     # a 售后服务专员 absent all of August


def _absentee(people, events) -> tuple[str, int]:
    """The first 售后服务专员 with no event in the month of ABSENT (the events would contradict)."""
    card, month = ABSENT
    busy = {pid for day, pid, *_ in events if day.month == month}
    return next(p.id for p in people if p.card == card and p.id not in busy
                and p.hire < date(YEAR, month, 1) and p.leave is None), month


def _weakest_agent(people) -> str:
    return min((p for p in people if p.card == "service_agent"), key=lambda p: (p.quality, p.id)).id


def build(people, events, seed: int) -> dict[str, bytes]:
    """The files of inputs/records/ for `people` of sample.py; `events` are its (date, person id,
    event key, note) so that the complaints in 工单 are the complaint events of the cards."""
    staff = [p for p in people if p.card in CS + KA]
    cal = Calendar(staff, _rng(seed, "出勤"), _absentee(staff, events))
    assert _weakest_agent(staff) == _weakest_agent(people)
    calls = make_calls(cal, _rng(seed, "通话"))
    ticket_cols, complaint_surveys = tickets(cal, events, _rng(seed, "工单"))
    s_day, s_who, s_customer, s_score = call_surveys(calls, cal, _rng(seed, "满意度"))
    c_day, c_who, c_customer, c_score, c_ticket = complaint_surveys
    day, who = np.r_[s_day, c_day], np.r_[s_who, c_who]
    order = np.lexsort((who, day))
    ids = np.array([p.id for p in staff], dtype=object)
    surveys = [_ids("MY", len(day), 6), _dates(day[order]), ids[who[order]],
               np.r_[s_customer, c_customer][order], np.r_[s_score, c_score][order],
               np.r_[np.full(len(s_day), "", dtype=object), c_ticket][order]]
    orders, owned = contracts(staff, _rng(seed, "合同"))
    cs = np.array([p.department == "客户服务部" for p in staff])
    attendance = cal.attendance_rows()
    keep = np.isin(attendance[1], ids[cs])
    files = {
        **calls_parquet(calls, staff),
        "工单.csv": _csv("工单", ticket_cols),
        "客户意见.csv": _csv("客户意见", feedback(cal, _rng(seed, "客户意见"))),
        "信息传递.csv": _csv("信息传递", handoffs(cal, _rng(seed, "信息传递"))),
        "回访.csv": _csv("回访", followups(cal, _rng(seed, "回访"))),
        "满意度.csv": _csv("满意度", surveys),
        "电话抽查.csv": _csv("电话抽查", qa_columns(calls, cal, _rng(seed, "电话抽查"))),
        "出勤.csv": _csv("出勤", [col[keep] for col in attendance]),
        "合同.csv": _csv("合同", orders),
        "拜访.csv": _csv("拜访", visits(cal, owned, _rng(seed, "拜访"))),
    }
    return {f"records/{name}": data for name, data in files.items()}


def readme_lines(files: dict[str, bytes], people, events) -> list[str]:
    """What inputs/README.md says about records/, with the row counts of `files`."""
    import pyarrow.parquet as pq

    def rows(name):
        if name.endswith(".parquet"):          # 通话.parquet: the calls of every quarter's file
            parts = [d for f, d in files.items() if f.startswith(f"records/{name[:-8]}_")]
            return f"{sum(pq.ParquetFile(io.BytesIO(d)).metadata.num_rows for d in parts):,}"
        return f"{files[f'records/{name}'].count(NEWLINE) - 1:,}"

    absent, month = _absentee([p for p in people if p.card in CS + KA], events)
    return [
        "- `records/`: the raw records of 2026 behind the KPIs of SPEC 5, 6 and 8, one file per",
        "  table with the Chinese headers of lib/perfpay/kpis/contracts.py (CSV in UTF-8 with BOM;",
        "  datetimes `2026-07-15 09:31:05`, flags 是/否, money in yuan), made by",
        "  lib/perfpay/sample_records.py:",
        f"  - `通话_2026Q1.parquet` to `通话_2026Q4.parquet` ({rows('通话.parquet')} calls, a file a quarter):",
        "    the 客服专员's calls on the days they were at",
        "    work, 7% outbound; 放弃 是 with the agent's 工号 for a call rung but not picked up, with",
        "    a blank 工号 for one abandoned in the queue; customers who call back on the same",
        "    category within a few days (first-contact resolution about 82-93% per agent).",
        f"  - `电话抽查.csv` ({rows('电话抽查.csv')} QA samples of those calls): one or two a week per",
        f"    agent; {_weakest_agent(people)} has four weeks without one.",
        f"  - `满意度.csv` ({rows('满意度.csv')} surveys, 1-5): about 4% of the answered inbound calls,",
        "    and the surveyed resolved complaints (with their 工单编号).",
        f"  - `工单.csv` ({rows('工单.csv')} tickets) of the 售后服务专员; the complaint events of",
        "    `事件.csv` are its valid complaints (响应慢 for the slow-response ones of the",
        "    售后服务主管), with invalid ones besides; five tickets are never resolved.",
        f"  - `客户意见.csv` ({rows('客户意见.csv')} items of feedback, 时限小时 blank: the default SLA)",
        f"    and `回访.csv` ({rows('回访.csv')} person-days of follow-ups planned and done) of the",
        f"    售后服务专员; `信息传递.csv` ({rows('信息传递.csv')} hand-offs) of the 客服专员.",
        f"  - `出勤.csv` ({rows('出勤.csv')} person-months): the month's working days and the days",
        "    present of the 客户服务部 (a new hire is present from the hire date on);",
        f"    {absent} is absent all of {YEAR}-{month:02d} and has no record that month.",
        f"  - `合同.csv` ({rows('合同.csv')} contracts since {ORDERS_FROM.year}, so that 12-month",
        f"    look-backs are full) of {sum(ACCOUNTS.values())} key-account customers of the 大客户部: groups,",
        "    two strategic customers, referrals, contracts over 5,000 方, invoices overdue more than",
        "    90 days, terminated contracts and customers who stop ordering.",
        f"  - `拜访.csv` ({rows('拜访.csv')} visits) of the 大客户部: a few without a summary (拜访总结),",
        "    some followed up after more than a week.",
    ]
