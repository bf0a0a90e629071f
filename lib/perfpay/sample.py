"""A deterministic sample company for 2026: `python -m perfpay.sample OUT_DIR`.

Headquarters 总部 and three branches; 客户服务部, 大客户部 and BD组 with every role of
params/cards; twelve months of targets, actuals, events, ratings and adjustments that
pass the input checks. The same seed and the same params/ give the same bytes:
one `random.Random(seed)`, sorted iteration, integer arithmetic for every value,
"\\n" line endings and no timestamps.

Layout written under OUT_DIR:

    人员.csv                      roster (UTF-8 with BOM)
    README.md                     what the sample holds (the reader skips .md files)
    2026-MM/目标.csv 实绩.csv 评分.csv 加扣分.csv 事件.csv     monthly cards; all events but attendance
    2026-MM/行政部_事件.csv        attendance events recorded by 行政部, in GB18030
    2026Qn/目标.csv 实绩.csv 评分.csv                         quarterly cards
    销售/回款.csv 季度任务.csv 薪资.csv                          sales (SPEC 7): deals, quotas, wages
    绩效工资预算.csv                                            the departments' annual pools
    records/通话_2026Q1.parquet 工单.csv ...                    raw records (sample_records.py)

The indicators that params/kpis.yaml `sources` computes from the records get no typed-in
actual (their targets stay); the values are still drawn so that every other number stays put.

Spellings vary on purpose: odd months (and Q1, Q3) name indicators in Chinese and rater
roles 本人/上级/小组, the others use keys and self/superior/peer; events are written by
key, Chinese name or alias.
"""

from __future__ import annotations

import csv
import io
import random
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from . import sample_records
from .params import load_params
from .periods import Period

YEAR = 2026
SITES = ("总部", "华东分部", "华南分部", "华北分部")
GM_ID = "E000"            # 总经理: rates the heads of department; an unscored role (params/roles.yaml)
GM_NAME = "总经理"
GM_ROW = [GM_ID, "高建国", "总经理办公室", "总部", "总经理", "2010-03-01", "", "", ""]
ATTENDANCE = ("late", "early_leave", "leave", "long_leave", "unapproved_leave", "absence",
              "attendance_anomaly")   # recorded by 行政部, written to 行政部_事件.csv
ROLE_CN = {"self": "本人", "superior": "上级", "peer": "小组"}

SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
            "郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "韩", "冯", "邓", "曹", "彭")
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "霞", "平", "刚", "桂英", "文", "辉", "鹏", "华", "红", "玲", "建国", "晓东",
         "海燕", "志强", "丹", "萍", "宇", "浩", "欣怡", "子涵", "雪", "琳", "晨", "思远", "佳怡", "一鸣",
         "俊杰", "婷", "倩", "斌", "凯", "瑶")


# numbers as text, without floats ---------------------------------------------------------
def num(value: int, decimals: int = 0) -> str:
    """`value` hundredths (decimals=2), tenths (1) or units (0) as plain decimal text."""
    d = Decimal(value).scaleb(-decimals)
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def clamp(x: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, x))


def lerp(lo: int, hi: int, z: int) -> int:
    """lo + (hi - lo) × z / 100, in integers (z is 0..100)."""
    return lo + (hi - lo) * z // 100


# the people -------------------------------------------------------------------------------
@dataclass
class Person:
    id: str
    name: str
    department: str
    site: str
    role: str
    card: str
    hire: date
    leave: date | None = None
    manager: str = ""
    bonus_base: int | None = None
    quality: int = 60                  # 0..100: how well this person usually does
    base: dict = field(default_factory=dict)   # per-person target bases (yuan / counts)

    def employed(self, unit: Period) -> bool:
        return self.hire <= unit.end and (self.leave is None or self.leave >= unit.start)

    def days(self, unit: Period) -> list[date]:
        """Working days (Mon-Fri) of `unit` on which the person was employed."""
        first = max(unit.start, self.hire)
        last = min(unit.end, self.leave) if self.leave else unit.end
        out, d = [], first
        while d <= last:
            if d.weekday() < 5:
                out.append(d)
            d += timedelta(days=1)
        return out


# (department, site, role as the roster spells it, card key, how many)
STAFF = [
    ("客户服务部", "总部", "售后服务主管", "service_supervisor", 1),
    ("客户服务部", "总部", "售后服务专员", "aftersales_specialist", 2),
    ("客户服务部", "总部", "客服专员", "service_agent", 7),
    ("客户服务部", "华东分部", "售后服务主管", "service_supervisor", 1),
    ("客户服务部", "华东分部", "售后服务专员", "aftersales_specialist", 2),
    ("客户服务部", "华东分部", "客服专员", "service_agent", 6),
    ("客户服务部", "华南分部", "售后服务主管", "service_supervisor", 1),
    ("客户服务部", "华南分部", "售后服务专员", "aftersales_specialist", 2),
    ("客户服务部", "华南分部", "客服专员", "service_agent", 6),
    ("客户服务部", "华北分部", "售后服务主管", "service_supervisor", 1),
    ("客户服务部", "华北分部", "售后服务专员", "aftersales_specialist", 2),
    ("客户服务部", "华北分部", "客服专员", "service_agent", 7),
    ("大客户部", "总部", "大客户经理", "ka_manager", 1),
    ("大客户部", "总部", "大客户专员", "ka_specialist", 3),
    ("大客户部", "华东分部", "大客户经理", "ka_manager", 1),
    ("大客户部", "华东分部", "大客户专员", "ka_specialist", 3),
    ("大客户部", "华南分部", "大客户经理", "ka_manager", 1),
    ("大客户部", "华南分部", "大客户专员", "ka_specialist", 2),
    ("大客户部", "华北分部", "大客户经理", "ka_manager", 1),
    ("大客户部", "华北分部", "大客户专员", "ka_specialist", 2),
    ("BD组", "总部", "BD大客户组", "bd_key_account", 2),
    ("BD组", "总部", "BD商家维护组", "bd_merchant", 2),
    ("BD组", "华东分部", "BD大客户组", "bd_key_account", 1),
    ("BD组", "华东分部", "BD商家维护组", "bd_merchant", 2),
    ("BD组", "华南分部", "BD大客户组", "bd_key_account", 1),
    ("BD组", "华南分部", "BD商家维护组", "bd_merchant", 1),
    ("BD组", "华北分部", "BD大客户组", "bd_key_account", 1),
    ("BD组", "华北分部", "BD商家维护组", "bd_merchant", 1),
]
# hired during 2026, last ids: (department, site, role, card, hire date)
NEW_HIRES = [
    ("客户服务部", "华东分部", "客服专员", "service_agent", date(2026, 5, 11)),
    ("大客户部", "华南分部", "大客户专员", "ka_specialist", date(2026, 8, 3)),
]
LEAVER = ("华北分部", "service_agent", date(2026, 9, 15))   # the last agent of that site leaves
# tenure at 2026-12-31: (share in %, earliest, latest hire date)
TENURE = [
    (10, date(2026, 1, 5), date(2026, 3, 20)),      # under 1 year
    (35, date(2024, 1, 2), date(2025, 12, 15)),     # 1-3 years
    (30, date(2022, 1, 4), date(2023, 12, 20)),     # 3-5 years
    (25, date(2012, 3, 1), date(2021, 12, 20)),     # 5 years or more
]
LEADS = {"service_supervisor", "ka_manager"}         # longer tenure: 3 years or more
# quality tiers (lowest, highest quality): star, normal, weak, poor
TIERS = [(86, 98), (50, 82), (32, 49), (16, 31)]


def _tier_counts(n: int) -> list[int]:
    """How many of n people on one card are star, normal, weak, poor: every card gets a star
    and a weak performer; the larger ones a poor one or two."""
    star, weak, poor = max(1, n * 15 // 100), max(1, n * 20 // 100), (n + 6) // 13
    return [star, n - star - weak - poor, weak, poor]


def _names(rng: random.Random, n: int) -> list[str]:
    pool = sorted({s + g for s in SURNAMES for g in GIVEN})
    return rng.sample(pool, n)


def _day_between(rng: random.Random, lo: date, hi: date) -> date:
    d = lo + timedelta(days=rng.randint(0, (hi - lo).days))
    while d.weekday() >= 5:       # hired on a working day
        d += timedelta(days=1)
    return d


def _spread(rng: random.Random, shares: list, n: int) -> list[int]:
    """Indices into `shares` for n people, in the proportions given, shuffled."""
    out = []
    for i, (share, *_rest) in enumerate(shares):
        out += [i] * (share * n // 100)
    while len(out) < n:
        out.append(1)
    rng.shuffle(out)
    return out[:n]


def make_roster(rng: random.Random) -> list[Person]:
    rows = [(d, s, r, c, None) for d, s, r, c, k in STAFF for _ in range(k)]
    rows += [(d, s, r, c, h) for d, s, r, c, h in NEW_HIRES]
    names = _names(rng, len(rows))
    tenure = _spread(rng, TENURE, len(rows))
    tiers = [0] * len(rows)
    for card in sorted({r[3] for r in rows}):
        mine = [i for i, r in enumerate(rows) if r[3] == card]
        got = [t for t, k in enumerate(_tier_counts(len(mine))) for _ in range(k)]
        rng.shuffle(got)
        for i, t in zip(mine, got):
            tiers[i] = t
    people = []
    for i, ((dept, site, role, card, hired), name) in enumerate(zip(rows, names)):
        if hired is None:
            t = tenure[i]
            if card in LEADS:
                t = max(t, 2)
            _, lo, hi = TENURE[t]
            hired = _day_between(rng, lo, hi)
        qlo, qhi = TIERS[tiers[i]]
        people.append(Person(f"E{i + 1:03d}", name, dept, site, role, card, hired,
                             quality=rng.randint(qlo, qhi)))
    # a mid-year hire still learns the job
    for p in people[-len(NEW_HIRES):]:
        p.quality = min(p.quality, 70)
    # the leaver: the last (not newly hired) agent of the site, an unremarkable performer
    site, card, left = LEAVER
    leaver = [p for p in people[:-len(NEW_HIRES)] if p.site == site and p.card == card][-1]
    leaver.leave, leaver.quality = left, min(leaver.quality, 50)

    # managers
    def first(card, site):
        return next(p for p in people if p.card == card and p.site == site)

    hq_sup, hq_kam = first("service_supervisor", "总部"), first("ka_manager", "总部")
    bd_lead = first("bd_key_account", "总部")
    for p in people:
        if p.card == "service_supervisor":
            p.manager = "" if p is hq_sup else hq_sup.id
        elif p.department == "客户服务部":
            p.manager = first("service_supervisor", p.site).id
        elif p.card == "ka_manager":
            p.manager = "" if p is hq_kam else hq_kam.id
        elif p.department == "大客户部":
            p.manager = first("ka_manager", p.site).id
        else:
            p.manager = "" if p is bd_lead else bd_lead.id
    # bonus base and target bases
    for p in people:
        if p.card == "ka_manager":
            p.bonus_base = 5000 if p.site == "总部" else rng.choice((3000, 3500, 4000, 4500))
            p.base["sales_task"] = rng.randint(20, 40) * 10_000          # monthly, yuan
        elif p.card == "ka_specialist":
            p.base["sales_plan_rate"] = rng.randint(30, 80) * 10_000     # quarterly, yuan
        elif p.card == "bd_key_account":
            p.base["bd_ka_sales"] = rng.randint(15, 30) * 10_000         # monthly, yuan
        elif p.card == "service_agent":
            p.base["handling_volume"] = rng.randint(110, 150) * 10       # contacts a month
        elif p.card == "service_supervisor":
            p.base["expense_budget"] = rng.randint(60, 150) * 1_000      # quarterly budget, yuan
    return people


# values -------------------------------------------------------------------------------------
# actual value generators: key -> (decimals, fn(rng, z, person, target) -> integer in 10^-decimals)
def _pct(lo, hi, noise, top=1000):
    """A percent with one decimal between lo and hi tenths as z goes 0..100."""
    return 1, lambda rng, z, p, t: clamp(lerp(lo, hi, z) + rng.randint(-noise, noise), 0, top)


def _ratio(lo, hi, noise, decimals=2, step=1):
    """target × (lo..hi per mille), to `decimals` places, rounded to `step` of those units."""
    def fn(rng, z, p, t):
        pm = lerp(lo, hi, z) + rng.randint(-noise, noise)
        v = t * pm * 10 ** decimals // 1000
        return v // step * step + (rng.randint(0, step - 1) if step > 1 else 0)
    return decimals, fn


def _count(lo, hi, noise):
    return 0, lambda rng, z, p, t: max(0, (lerp(lo * 10, hi * 10, z) + rng.randint(-noise, noise)) // 10)


ACTUALS = {
    # service_agent
    "answer_rate": _pct(830, 968, 12, 999),
    "first_contact_resolution": _pct(580, 890, 20),
    "satisfaction": (2, lambda rng, z, p, t: clamp(lerp(340, 490, z) + rng.randint(-10, 10), 300, 500)),
    "handling_time": (0, lambda rng, z, p, t: lerp(450, 280, z) + rng.randint(-15, 15)),
    "handling_volume": _ratio(780, 1060, 40, 0),
    "qa_score": _pct(680, 970, 20),
    # aftersales_specialist
    "feedback_timeliness": _pct(820, 978, 10),
    "as_follow_up_rate": _pct(820, 978, 10),
    "form_accuracy": _pct(860, 995, 8),
    "record_completeness": _pct(850, 995, 10),
    # service_supervisor
    "expense_budget": _ratio(1090, 900, 25, 2, 100),
    "follow_up_rate": _pct(840, 985, 10),
    "retention_rate": _pct(780, 945, 12),
    # ka_manager
    "sales_task": _ratio(600, 1040, 40, 2, 100),
    # ka_specialist
    "sales_plan_rate": _ratio(650, 1100, 50, 2, 100),
    "collection_rate": _pct(800, 965, 20),
    "sales_growth_rate": (1, lambda rng, z, p, t: lerp(-50, 200, z) + rng.randint(-25, 25)),
    "new_customer_count": _count(2, 8, 12),
    "expense_saving_rate": (1, lambda rng, z, p, t: max(0, lerp(-10, 80, z) + rng.randint(-15, 15))),
    # bd_merchant
    "merchant_visits": _count(45, 100, 60),
    "merchant_certification_rate": _pct(840, 995, 15),
    "merchant_revival_rate": _pct(480, 900, 30),
    "merchant_satisfaction": (1, lambda rng, z, p, t: clamp(lerp(55, 95, z) + rng.randint(-4, 4), 50, 100)),
    # bd_key_account
    "bd_ka_sales": _ratio(560, 1060, 50, 2, 100),
    "bd_ka_visits": _count(4, 12, 15),
    "bd_ka_new_accounts": _count(0, 4, 12),
    "bd_ka_collection_rate": _pct(800, 1000, 20),
    "bd_ka_satisfaction": (1, lambda rng, z, p, t: clamp(lerp(60, 96, z) + rng.randint(-4, 4), 50, 100)),
}


def _target(person: Person, key: str, unit: Period, rng: random.Random) -> int:
    """Per-person target (yuan / count, as an integer) for an indicator without a fixed target."""
    base = person.base.get(key)
    if base is None:                  # an indicator this generator does not know: a round 100
        return 100
    if key == "sales_plan_rate" and person.hire >= unit.start:
        return 300_000                # first quarter after hire: a small plan
    if key in ("sales_task", "bd_ka_sales"):
        month = unit.first_month
        season = (95, 90, 100, 100, 105, 100, 95, 100, 105, 110, 110, 120)[month - 1]
        return base * season // 100 // 5_000 * 5_000
    if key == "handling_volume":
        return base + rng.choice((-30, -10, 0, 0, 10, 20))
    return base


def _generic_actual(ind, rng, z, target) -> tuple[int, int]:
    """(value, decimals) for an indicator the generator has no profile for."""
    r = ind.rule
    kind = ind.rule_type
    if kind == "per_unit":
        full = int(Decimal(ind.max_points or ind.points) / Decimal(r["unit_points"]))
        return lerp(full * 7 // 10, full * 11 // 10, z), 0
    if kind == "scaled_rating":
        top = int(Decimal(r["rating_max"]) * 10)
        return lerp(top * 7 // 10, top, z), 1
    t = int(Decimal(r["target"]) * 10) if r.get("target") is not None else target * 10
    lower = r.get("direction") == "lower_is_better"
    pm = lerp(1100, 930, z) if lower else lerp(880, 1050, z)
    return t * pm // 1000, 1


def _from_records(params, unit: Period) -> set[tuple[str, str]]:
    """(card, indicator key) whose actual params/kpis.yaml computes from the records."""
    try:
        sources = params.document("kpis", unit).get("sources") or {}
    except KeyError:                  # no kpis.yaml: every actual is typed in
        return set()
    cards = params.catalog(unit).cards
    out = set()
    for card_key, items in sources.items():
        for ind in getattr(cards.get(card_key), "indicators", ()):
            if {ind.key, ind.name, *getattr(ind, "aliases", ())} & set(items or {}):
                out.add((card_key, ind.key))
    return out


# events --------------------------------------------------------------------------------------
# card -> [(event, tries a month, chance per try in per mille at quality 100, at quality 0)];
# quarterly cards count three months of events, so they get fewer tries a month
EVENTS = {
    "aftersales_specialist": [("service_rule_breach", 3, 20, 400), ("complaint", 2, 10, 350)],
    "service_supervisor": [("slow_response_complaint", 1, 0, 300), ("complaint", 1, 10, 350)],
    "ka_manager": [("new_customer", 2, 350, 0), ("document_lost", 1, 0, 400),
                   ("off_task", 3, 0, 400), ("off_post", 1, 0, 250), ("untidy_desk", 1, 10, 250),
                   ("late", 3, 20, 400), ("leave", 1, 100, 300), ("early_leave", 1, 0, 150),
                   ("absence", 1, 0, 50), ("unapproved_leave", 1, 0, 150), ("long_leave", 1, 0, 50)],
    "ka_specialist": [("late", 1, 20, 450)],
    "bd_merchant": [("issue_unhandled", 2, 20, 450), ("product_suggestion", 2, 350, 0),
                    ("attendance_anomaly", 1, 30, 300), ("late", 2, 20, 350),
                    ("early_leave", 1, 0, 150), ("absence", 1, 0, 30),
                    ("meeting_late", 1, 0, 350), ("meeting_breach", 1, 0, 200),
                    ("meeting_absence", 1, 0, 25)],
    "bd_key_account": [("issue_unhandled", 2, 20, 450), ("product_suggestion", 2, 300, 0),
                       ("attendance_anomaly", 1, 30, 300), ("late", 2, 20, 350),
                       ("early_leave", 1, 0, 150), ("absence", 1, 0, 30),
                       ("meeting_late", 1, 0, 350), ("meeting_breach", 1, 0, 200),
                       ("meeting_absence", 1, 0, 25)],
}
NOTES = {
    "service_rule_breach": ("未按流程登记维修工单", "上门服务未佩戴工牌", "未按规定回访确认", "备件领用未登记"),
    "complaint": ("客户投诉服务态度", "客户投诉处理结果不满意", "客户投诉承诺未兑现"),
    "slow_response_complaint": ("报修超过24小时未响应被投诉", "客户催单三次仍未上门"),
    "new_customer": ("新签经销商", "新开发区域代理", "新签集团客户"),
    "document_lost": ("合同副本丢失", "客户资料遗失"),
    "off_task": ("上班时间玩手机游戏", "上班聊天", "浏览与工作无关的网站"),
    "off_post": ("因私事离岗两小时",),
    "untidy_desk": ("办公桌面杂乱",),
    "late": ("迟到10分钟", "迟到25分钟", "迟到5分钟"),
    "leave": ("事假1天", "病假半天"),
    "early_leave": ("早退30分钟",),
    "absence": ("无故缺勤1天",),
    "unapproved_leave": ("请假单未及时交",),
    "long_leave": ("病假3天",),
    "attendance_anomaly": ("上班缺卡", "下班缺卡"),
    "issue_unhandled": ("商家咨询超过24小时未回复", "客户疑问未及时处理"),
    "product_suggestion": ("建议优化商家后台结算页面", "建议增加批量导入功能", "建议调整报价单模板"),
    "meeting_late": ("周例会迟到",),
    "meeting_breach": ("会议中接打私人电话",),
    "meeting_absence": ("无故缺席月度例会",),
}
# spellings beside the key and the Chinese name, to exercise the event catalogue's aliases
ALIASES = {"complaint": "客户投诉", "issue_unhandled": "未及时处理", "product_suggestion": "产品建议",
           "late": "上班迟到", "attendance_anomaly": "缺卡", "leave": "事假"}

ADJUSTMENTS = {
    "other_adjustment": ([(5, "牵头完成集团客户年度框架协议"), (3, "临时承担展会接待工作"),
                          (8, "追回逾期货款30万元")],
                         [(-3, "重要客户拜访计划未按时提交"), (-5, "报价失误造成返工")]),
    "special_contribution": ([(3, "协助市场部完成新品推广"), (2, "带教新员工"), (5, "挽回重点流失商家")],
                             [(-2, "商家资料录入错误被通报"), (-3, "活动执行失误被商家投诉")]),
    "bd_ka_special": ([(3, "促成战略客户签约"), (2, "协助完成行业展会"), (4, "发现并上报重大合同风险")],
                      [(-2, "拜访记录造假被通报"), (-3, "泄露报价信息")]),
}


# writing --------------------------------------------------------------------------------------
HEADERS = {
    "目标": ["期间", "工号", "指标", "目标值"],
    "实绩": ["期间", "工号", "指标", "实际值"],
    "事件": ["日期", "工号", "事件", "次数", "备注"],
    "评分": ["期间", "工号", "指标", "评分人", "评分角色", "等级", "分数"],
    "加扣分": ["期间", "工号", "指标", "分值", "原因", "审批人"],
}


def _csv_bytes(header: list[str], rows: list[list[str]], encoding: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


# sales (SPEC 7) ------------------------------------------------------------------------------
SALES_CARDS = ("ka_manager", "ka_specialist")
# scripted quarters (target, task credit per quarter in yuan): between them the ledger meets
# all six cases; E040 is SPEC 7's worked example (cases 1, 3, 4, 2)
SCRIPTED = {
    "E040": (200_000, (80_000, 150_000, 240_000, 90_000)),      # 1, 3, 4, 2
    "E041": (250_000, (260_000, 320_000, 100_000, 280_000)),    # 4, 6, 1, 5
    "E042": (300_000, (170_000, 120_000, 200_000, 350_000)),    # 2, 1, 3, 6
}
REVENUE_CN = {"software": "软件", "implementation": "实施", "secondary_dev": "二次开发",
              "maintenance": "维护", "training": "培训"}
SHARE_TEXT = {("50%", "50%"): 2, ("0.5", "0.5"): 2, ("60%", "40%"): 2, ("0.6", "0.4"): 2,
              ("33.34%", "33.33%", "33.33%"): 3}
POOLS = (("客户服务部", 300_000), ("大客户部", 200_000), ("BD组", 120_000))
SALES_HEADERS = {
    "回款": ["回款日期", "项目编号", "CRM编号", "工号", "贡献比例", "收入类型", "税后净额", "成本", "标准报价", "退款"],
    "季度任务": ["季度", "工号", "目标", "部门目标"],
    "薪资": ["工号", "季度", "浮动工资", "固定工资"],
    "绩效工资预算": ["年度", "部门", "预算"],
}


@dataclass
class DealLine:
    """One collection of one revenue type of a deal; amounts in fen; people as (id, share text)."""
    deal: int
    kind: str
    day: date
    amount: int
    people: list
    cost: int | None = None
    quote: int | None = None
    refund: bool = False


class SalesSample:
    """回款 / 季度任务 / 薪资 / 绩效工资预算 for the salespeople of the sample company.

    Every person's task credit per quarter is decided first (scripted for SCRIPTED, drawn
    around the target for the others); deals are then cut to credit exactly that: shared
    deals, one implementation sold below its standard quote, one refund, secondary
    development at margin, and solo deals for the rest. Maintenance, training and the two
    deals without a CRM id come on top (they do not count toward the task).
    """

    def __init__(self, people: list[Person], rng: random.Random):
        self.rng = rng
        self.people = [p for p in people if p.card in SALES_CARDS]
        self.quarters = [Period.parse(f"{YEAR}Q{q}") for q in range(1, 5)]
        self.lines: list[DealLine] = []
        self.deals = 0
        self.target: dict[str, int] = {}
        self.credit: dict[tuple[str, str], int] = {}       # (person, quarter) -> fen still to credit
        self.head = next(p for p in self.people if p.card == "ka_manager" and p.site == "总部")

    def day(self, person: Person, quarter: Period, *others: Person) -> date:
        days = [d for d in person.days(quarter) if all(d in o.days(quarter) for o in others)]
        return self.rng.choice(days)

    def new_deal(self) -> int:
        self.deals += 1
        return self.deals

    def build(self) -> dict[str, bytes]:
        rng = self.rng
        for p in self.people:
            if p.id in SCRIPTED:
                self.target[p.id] = SCRIPTED[p.id][0]
            elif p is self.head:
                self.target[p.id] = 300_000
            else:
                self.target[p.id] = rng.randint(20, 40) * 10_000
            for i, q in enumerate(self.quarters):
                if not p.employed(q):
                    continue
                if p.id in SCRIPTED:
                    credit = SCRIPTED[p.id][1][i]
                elif p.hire >= q.start:                            # first quarter: a start
                    credit = rng.randint(30, 90) * 1_000 + rng.randint(0, 999)
                else:
                    pct = rng.choice((45, 60, 75, 90, 100, 110, 125))
                    credit = self.target[p.id] * pct // 100 + rng.randint(-3_000, 3_000)
                self.credit[(p.id, q.label)] = credit * 100
        self.shared_deals()
        self.below_quote()
        self.refund()
        self.solo_deals()
        self.service_deals()
        self.outside_crm()
        return {
            "销售/回款.csv": _csv_bytes(SALES_HEADERS["回款"], self.deal_rows(), "utf-8-sig"),
            "销售/季度任务.csv": _csv_bytes(SALES_HEADERS["季度任务"], self.quota_rows(), "utf-8-sig"),
            "销售/薪资.csv": _csv_bytes(SALES_HEADERS["薪资"], self.wage_rows(), "utf-8-sig"),
            "绩效工资预算.csv": _csv_bytes(SALES_HEADERS["绩效工资预算"],
                                      [[str(YEAR), d, num(b)] for d, b in POOLS], "utf-8-sig"),
        }

    def take(self, person: Person, quarter: Period, fen: int) -> None:
        key = (person.id, quarter.label)
        self.credit[key] -= fen
        assert self.credit[key] > 0, key

    # the deals that count toward the task ----------------------------------------------------
    def shared_deals(self) -> None:
        """Shared software / implementation deals among colleagues of one site."""
        rng = self.rng
        patterns = list(SHARE_TEXT)
        for i in range(8):
            q = self.quarters[i % 4]
            shares = patterns[i % len(patterns)]
            mates = {site: [p for p in self.people if p.site == site and (p.id, q.label) in self.credit
                            and p.hire < q.start] for site in SITES}
            site = rng.choice([s for s in SITES if len(mates[s]) >= len(shares)])
            who = rng.sample(mates[site], len(shares))
            room = min(self.credit[(p.id, q.label)] for p in who)
            amount = rng.randint(300, max(301, room * 30 // 100 // 10_000)) * 10_000     # whole hundreds of yuan
            kind = "software" if i % 3 else "implementation"
            day = self.day(who[0], q, *who[1:])
            deal = self.new_deal()
            self.lines.append(DealLine(deal, kind, day, amount, list(zip([p.id for p in who], shares)),
                                       quote=amount if kind == "implementation" else None))
            for p, text in zip(who, shares):
                self.take(p, q, amount * int(Decimal(text.rstrip("%")) * (100 if text.endswith("%") else 10_000))
                          // 10_000)

    def below_quote(self) -> None:
        """Software with its implementation sold below the standard quote (划拨实施费)."""
        q = self.quarters[1]
        p = max((p for p in self.people if p.id not in SCRIPTED and (p.id, q.label) in self.credit
                 and p.hire < q.start), key=lambda p: (self.credit[(p.id, q.label)], p.id))
        room = self.credit[(p.id, q.label)]
        software = room * 40 // 100 // 100_000 * 100_000
        implementation, quote = 1_800_000, 3_000_000            # 18,000 sold, 30,000 standard
        deal, day = self.new_deal(), self.day(p, q)
        self.lines.append(DealLine(deal, "software", day, software, [(p.id, "")]))
        self.lines.append(DealLine(deal, "implementation", day, implementation, [(p.id, "")], quote=quote))
        self.take(p, q, software + implementation)

    def refund(self) -> None:
        """A software sale of Q1 partly refunded in Q3 (the refund lowers the Q3 credit)."""
        q1, q3 = self.quarters[0], self.quarters[2]
        p = next(p for p in self.people if p.id not in SCRIPTED and p.hire < q1.start and p.card == "ka_specialist")
        amount = self.credit[(p.id, q1.label)] * 30 // 100 // 100_000 * 100_000
        back = amount // 4 // 100 * 100
        deal = self.new_deal()
        self.lines.append(DealLine(deal, "software", self.day(p, q1), amount, [(p.id, "")]))
        self.lines.append(DealLine(deal, "software", self.day(p, q3), -back, [(p.id, "")], refund=True))
        self.take(p, q1, amount)
        self.credit[(p.id, q3.label)] += back

    def solo_deals(self) -> None:
        """The rest of every person's quarter: one to three deals of software, implementation
        or secondary development (credited at margin)."""
        rng = self.rng
        for (pid, label), rest in sorted(self.credit.items()):
            p, q = next(x for x in self.people if x.id == pid), Period.parse(label)
            n = 1 if rest < 6_000_000 else rng.randint(2, 3)
            cuts = sorted(rng.sample(range(20, 81, 5), n - 1))
            parts = [rest * (b - a) // 100 for a, b in zip([0, *cuts], [*cuts, 100])]
            parts[-1] += rest - sum(parts)
            for part in parts:
                roll = rng.randrange(100)
                deal, day = self.new_deal(), self.day(p, q)
                if roll < 20:
                    cost = part * rng.randint(30, 90) // 100 // 100 * 100
                    self.lines.append(DealLine(deal, "secondary_dev", day, part + cost, [(pid, "")], cost=cost))
                elif roll < 40:
                    quote = part - rng.choice((0, 0, 100_000, 300_000))      # sold at or above it
                    self.lines.append(DealLine(deal, "implementation", day, part, [(pid, "")], quote=quote))
                else:
                    self.lines.append(DealLine(deal, "software", day, part, [(pid, "")]))
                self.credit[(pid, label)] -= part
        assert all(v == 0 for v in self.credit.values())

    # on top: service stream and deals outside the CRM -----------------------------------------
    def service_deals(self) -> None:
        rng = self.rng
        for i in range(14):
            q = self.quarters[i % 4]
            staff = [p for p in self.people if p.employed(q)]
            p = rng.choice(staff)
            kind = "maintenance" if i % 3 else "training"
            amount = rng.randint(5, 40) * 100_000 + rng.choice((0, 0, 50_000))
            deal = self.new_deal()
            if i == 5:                                    # a shared maintenance contract
                mates = [x for x in staff if x.site == p.site and x is not p]
                other = rng.choice(mates)
                self.lines.append(DealLine(deal, kind, self.day(p, q, other), amount,
                                           [(p.id, "50%"), (other.id, "50%")]))
            else:
                self.lines.append(DealLine(deal, kind, self.day(p, q), amount, [(p.id, "")]))

    def outside_crm(self) -> None:
        rng = self.rng
        for q in (self.quarters[1], self.quarters[3]):
            p = rng.choice([x for x in self.people if x.employed(q) and x.hire < q.start])
            deal = self.new_deal()
            self.lines.append(DealLine(-deal, "software", self.day(p, q), rng.randint(30, 80) * 100_000,
                                       [(p.id, "")]))

    # writing -------------------------------------------------------------------------------------
    def deal_rows(self) -> list[list[str]]:
        rng = self.rng
        first: dict[int, date] = {}
        for line in self.lines:
            first[abs(line.deal)] = min(first.get(abs(line.deal), line.day), line.day)
        order = sorted(first, key=lambda k: (first[k], k))
        ids = {k: f"XM{YEAR % 100}-{i + 1:04d}" for i, k in enumerate(order)}
        crm = dict(zip(order, (f"CRM{n:07d}" for n in rng.sample(range(1_000_000, 9_999_999), len(order)))))
        kinds = list(REVENUE_CN)
        rows = []
        for line in self.lines:
            k = abs(line.deal)
            type_text = REVENUE_CN[line.kind] if k % 5 else line.kind      # now and then the English key
            for pid, share in line.people:
                rows.append([line.day.isoformat(), ids[k], "" if line.deal < 0 else crm[k], pid,
                             share if share or k % 4 else "100%", type_text, num(line.amount, 2),
                             num(line.cost, 2) if line.cost is not None else "",
                             num(line.quote, 2) if line.quote is not None else "",
                             "是" if line.refund else ""])
        return sorted(rows, key=lambda r: (r[0], r[1], kinds.index(_kind_of(r[5])), r[9], r[3]))

    def quota_rows(self) -> list[list[str]]:
        rows = []
        for q in self.quarters:
            staff = [p for p in self.people if p.employed(q)]
            department = sum(self.target[p.id] for p in staff) * 8 // 10 // 100_000 * 100_000
            for p in staff:
                rows.append([q.label, p.id, num(self.target[p.id]),
                             num(department) if p is self.head else ""])
        return rows

    def wage_rows(self) -> list[list[str]]:
        rng = self.rng
        rows = []
        for p in self.people:
            manager = p.card == "ka_manager"
            floating = rng.randint(6, 12) * 500 if not manager else rng.randint(12, 16) * 500
            fixed = rng.randint(10, 18) * 500 if not manager else rng.randint(18, 24) * 500
            rows.append([p.id, "", num(floating), num(fixed)])
            if p.id == "E041":                            # a raise from Q3: the quarter's row wins
                for q in self.quarters[2:]:
                    rows.append([p.id, q.label, num(floating + 1_000), num(fixed + 500)])
        return rows


def _kind_of(text: str) -> str:
    return next((k for k, cn in REVENUE_CN.items() if text in (k, cn)))


class Sample:
    def __init__(self, params, seed: int):
        self.params = params
        self.seed = seed
        self.rng = random.Random(seed)
        self.people = make_roster(self.rng)
        self.by_id = {p.id: p for p in self.people}
        self.files: dict[str, bytes] = {}
        self.event_log: list[tuple] = []          # (date, person id, event key, note) for the records

    # helpers ---------------------------------------------------------------------------
    def z(self, person: Person) -> int:
        """This period's form: the person's quality give or take."""
        return clamp(person.quality + self.rng.randint(-12, 12), 0, 100)

    def level(self, levels: list, z: int, bias: int = 0) -> str:
        """A level code: the best for a score near 100, the worst near 0."""
        s = clamp(z + bias + self.rng.randint(-12, 12), 0, 100)
        n = len(levels)
        # cut points spread over 15..90 so that most people land in the middle levels
        cuts = [90 - 75 * i // max(n - 2, 1) for i in range(n - 1)] if n > 1 else []
        for i, cut in enumerate(cuts):
            if s >= cut:
                return str(levels[i]["level"])
        return str(levels[-1]["level"])

    def superior(self, person: Person) -> str:
        return person.manager or GM_ID

    # periods ---------------------------------------------------------------------------------
    def unit_rows(self, unit: Period, cards: list[str], cn: bool) -> dict[str, list]:
        """目标/实绩/评分/加扣分 rows of the people on `cards` for `unit`."""
        catalog = self.params.catalog(unit)
        out = {"目标": [], "实绩": [], "评分": [], "加扣分": []}
        missing_self = self._missing_self(unit, catalog)
        computed = _from_records(self.params, unit)
        for person in self.people:
            if person.card not in cards or not person.employed(unit):
                continue
            card = catalog.cards[person.card]
            z = self.z(person)
            for ind in card.indicators:
                label = ind.name if cn else ind.key
                kind = ind.rule_type
                if kind in ("step", "proportional", "per_unit", "scaled_rating"):
                    target = None
                    if ind.needs_target:
                        target = _target(person, ind.key, unit, self.rng)
                        out["目标"].append([unit.label, person.id, label, num(target)])
                    if ind.key in ACTUALS:
                        decimals, fn = ACTUALS[ind.key]
                        value = fn(self.rng, z, person, target if target is not None else 0)
                    else:
                        value, decimals = _generic_actual(ind, self.rng, z, target or 0)
                    if (person.card, ind.key) not in computed:     # else the records give it
                        out["实绩"].append([unit.label, person.id, label, num(value, decimals)])
                elif kind == "levels":
                    out["评分"] += self._ratings(unit, person, ind, label, z, cn, missing_self)
                elif kind == "adjustment":
                    out["加扣分"] += self._adjustment(unit, person, ind, label, z)
        return out

    def _missing_self(self, unit: Period, catalog) -> set[str]:
        """A couple of people forget their self rating in March, July and November."""
        if unit.unit != "month" or unit.first_month not in (3, 7, 11):
            return set()
        rated = [p.id for p in self.people if p.employed(unit) and p.card in catalog.cards and any(
            (ind.rule.get("raters") or {}).get("self") for ind in catalog.cards[p.card].indicators
            if ind.rule_type == "levels")]
        return set(self.rng.sample(rated, min(2, len(rated))))

    def _ratings(self, unit, person, ind, label, z, cn, missing_self) -> list[list[str]]:
        weights = ind.rule.get("raters") or {}
        rows = []
        for role in ("self", "superior", "peer"):
            if not weights.get(role):
                continue
            if role == "self":
                if person.id in missing_self:
                    continue
                raters, bias = [person.id], 8          # people rate themselves a little higher
            elif role == "superior":
                raters, bias = [self.superior(person)], 0
            else:
                mates = [p.id for p in self.people if p.card == person.card and p.site == person.site
                         and p.id != person.id and p.employed(unit)]
                raters, bias = self.rng.sample(mates, min(2, len(mates))), 4
            for rater in raters:
                code = self.level(ind.rule["levels"], z, bias)
                rows.append([unit.label, person.id, label, rater, ROLE_CN[role] if cn else role, code, ""])
        return rows

    def _adjustment(self, unit, person, ind, label, z) -> list[list[str]]:
        good, bad = ADJUSTMENTS.get(ind.key, ([(2, "表现突出")], [(-2, "工作失误")]))
        roll = self.rng.randrange(1000)
        if z >= 75 and roll < 250:
            points, reason = self.rng.choice(good)
        elif z < 50 and roll < 300:
            points, reason = self.rng.choice(bad)
        else:
            return []
        lo = ind.min_points if ind.min_points is not None else Decimal(-100)
        hi = ind.max_points if ind.max_points is not None else Decimal(100)
        points = int(clamp(points, int(lo), int(hi)))
        approver = person.manager or GM_ID
        return [[unit.label, person.id, label, num(points), reason, approver]]

    def month_events(self, month: Period) -> tuple[list, list]:
        """(other events, attendance events) dated in `month`."""
        other, attendance = [], []
        cn = month.first_month % 2 == 1
        catalog = self.params.catalog(month)
        for person in self.people:
            days = person.days(month)
            if not days or person.card not in EVENTS:
                continue
            z = self.z(person)
            counted = {e["event"] for ind in catalog.cards[person.card].indicators
                       for e in ind.rule.get("events", ())}
            for event, tries, best, worst in EVENTS[person.card]:
                if event not in counted or event not in catalog.events:
                    continue
                chance = best + (worst - best) * (100 - z) // 100
                n = sum(self.rng.randrange(1000) < chance for _ in range(tries))
                if not n:
                    continue
                for d in sorted(self.rng.sample(days, min(n, len(days)))):
                    note = self.rng.choice(NOTES.get(event, ("",)))
                    self.event_log.append((d, person.id, event, note))
                    if event in ATTENDANCE:
                        name = catalog.events[event].name
                        attendance.append([d.isoformat(), person.id, name, "1", note])
                        continue
                    spell = self.rng.randrange(3)
                    text = (catalog.events[event].name if cn else event) if spell else \
                        ALIASES.get(event, catalog.events[event].name)
                    other.append([d.isoformat(), person.id, text, "1", note])
        key = lambda r: (r[0], r[1], r[2])   # noqa: E731 - by date, person, event
        return sorted(other, key=key), sorted(attendance, key=key)

    # the whole year ---------------------------------------------------------------------
    def build(self) -> dict[str, bytes]:
        cat = self.params.catalog(Period.parse(f"{YEAR}-01"))
        monthly = sorted(k for k, c in cat.cards.items() if c.cadence == "monthly")
        quarterly = sorted(k for k, c in cat.cards.items() if c.cadence == "quarterly")
        files = {"人员.csv": self.roster_bytes()}
        for m in range(1, 13):
            month = Period.of_month(YEAR, m)
            rows = self.unit_rows(month, monthly, cn=m % 2 == 1)
            other, attendance = self.month_events(month)
            folder = month.label
            for table in ("目标", "实绩", "评分", "加扣分"):
                files[f"{folder}/{table}.csv"] = _csv_bytes(HEADERS[table], rows[table], "utf-8-sig")
            files[f"{folder}/事件.csv"] = _csv_bytes(HEADERS["事件"], other, "utf-8-sig")
            files[f"{folder}/行政部_事件.csv"] = _csv_bytes(HEADERS["事件"], attendance, "gb18030")
            if m % 3 == 0:
                quarter = month.quarter
                q = quarter.first_month // 3 + 1
                rows = self.unit_rows(quarter, quarterly, cn=q % 2 == 1)
                for table in ("目标", "实绩", "评分", "加扣分"):
                    if rows[table]:
                        files[f"{quarter.label}/{table}.csv"] = _csv_bytes(HEADERS[table], rows[table],
                                                                          "utf-8-sig")
        files.update(SalesSample(self.people, random.Random(f"{self.seed}/sales")).build())
        records = sample_records.build(self.people, self.event_log, self.seed)
        files.update(records)
        files["README.md"] = self.readme(sample_records.readme_lines(records, self.people, self.event_log)
                                         ).encode("utf-8")
        return dict(sorted(files.items()))

    def _computed_lines(self) -> list[str]:
        """Which actuals come from the records (params/kpis.yaml `sources`) instead of 实绩.csv."""
        month, quarter = Period.parse(f"{YEAR}-01"), Period.parse(f"{YEAR}Q1")
        cards = self.params.catalog(month).cards
        computed = _from_records(self.params, month) | _from_records(self.params, quarter)
        parts = [f"{card.role} " + ", ".join(i.name for i in card.indicators if (key, i.key) in computed)
                 for key, card in sorted(cards.items()) if any(c == key for c, _ in computed)]
        if not parts:
            return []
        text = ("The actuals of " + "; ".join(parts) + " are computed from the records (params/kpis.yaml "
                "`sources`) and not typed into `实绩.csv`; their targets stay.")
        return textwrap.wrap(text, 80, initial_indent="- ", subsequent_indent="  ")

    def roster_bytes(self) -> bytes:
        header = ["工号", "姓名", "部门", "分部", "岗位", "入职日期", "离职日期", "上级工号", "月度绩效奖金"]
        rows = [[p.id, p.name, p.department, p.site, p.role, p.hire.isoformat(),
                 p.leave.isoformat() if p.leave else "", p.manager or GM_ID,
                 num(p.bonus_base) if p.bonus_base is not None else ""] for p in self.people]
        return _csv_bytes(header, [GM_ROW, *rows], "utf-8-sig")

    def readme(self, records: list[str]) -> str:
        counts: dict[tuple, int] = {}
        for p in self.people:
            counts[(p.department, p.role)] = counts.get((p.department, p.role), 0) + 1
        lines = [
            f"# inputs/: the sample company ({YEAR})",
            "",
            "Generated by `python -m perfpay.sample inputs` (`make sample`); do not edit by hand,",
            "change lib/perfpay/sample.py and regenerate (the output is the same byte for byte).",
            "",
            f"{len(self.people)} people at {', '.join(SITES)}:",
            "",
        ]
        lines += [f"- {d} {r}: {n}" for (d, r), n in sorted(counts.items())]
        lines += [
            "",
            "- `人员.csv`: the roster (UTF-8 with BOM); two people hired during the year, one leaver.",
            "- `2026-MM/`: monthly cards' targets, actuals, ratings and adjustments; every event",
            "  dated in the month (quarterly cards' people too); `行政部_事件.csv` holds the",
            "  attendance events recorded by 行政部, saved in GB18030 as Chinese Excel does.",
            "- `2026Qn/`: the quarterly cards (售后服务主管, 大客户专员).",
            "- `销售/回款.csv`: the year's collected deals of every 大客户经理 and 大客户专员 (SPEC 7):",
            "  shared deals (50%/50%, 0.6/0.4, 33.34%/33.33%/33.33%), secondary development with",
            "  its cost, maintenance and training, an implementation sold below its standard quote,",
            "  a refund in Q3 of a Q1 sale, and two deals without a CRM id (not credited).",
            "- `销售/季度任务.csv`: quarterly targets (the HQ 大客户经理 also carries the department",
            "  target); `销售/薪资.csv`: floating (per quarter) and fixed (per month) wages;",
            "  `绩效工资预算.csv`: the 2026 performance-pay budgets of the departments.",
            *records,
            *self._computed_lines(),
            "",
            "Over 2026 the commission ledger meets all six cases of SPEC 7: E040 runs the",
            "worked example (cases 1, 3, 4, 2), E041 cases 4, 6, 1, 5 and E042 cases 2, 1, 3, 6;",
            "the new hires (E052, E048 in Q1, E065 in Q3) start without a task.",
            "",
            "Odd months and Q1/Q3 name indicators in Chinese and rater roles 本人/上级/小组; the",
            "others use keys and self/superior/peer. Heads of department are rated by the general",
            f"manager {GM_ID} ({GM_NAME}), whose role is listed as unscored in params/roles.yaml.",
            "",
        ]
        return "\n".join(lines)


def generate(out_dir, params_dir="params", seed: int = 2026) -> list[Path]:
    """Write the sample company into `out_dir`; return the files written (sorted).

    Files of the same name are overwritten; nothing else in `out_dir` is touched (after a
    change to the cards that drops a file, delete the folder's old files by hand).
    """
    params = load_params(params_dir)
    files = Sample(params, seed).build()
    root = Path(out_dir)
    written = []
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print("usage: python -m perfpay.sample OUT_DIR [PARAMS_DIR]", file=sys.stderr)
        return 2
    written = generate(args[0], *(args[1:2] or ["params"]))
    size = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} files ({size:,} bytes) under {args[0]}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
