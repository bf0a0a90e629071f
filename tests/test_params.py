"""params/: the real folder loads, and every kind of mistake is reported at once."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from perfpay.catalog import Catalog
from perfpay.errors import ParamsError
from perfpay.params import load_params, resolve
from perfpay.periods import Period

PARAMS = Path(__file__).resolve().parents[1] / "params"

# a small valid tree --------------------------------------------------------------------
EVENTS = """\
events:
  - {key: late, name: 迟到, aliases: [上班迟到]}
  - {key: absence, name: 旷工}
"""
RATERS = """\
weights: {self: 15, superior: 60, peer: 25}
missing: renormalise
"""
GRADES = """\
bands:
  - {grade: 优秀, min_total: 90}
  - {grade: 良好, min_total: 75}
  - {grade: 合格, min_total: 60}
  - {grade: 不合格, min_total: null}
forced_distribution:
  enabled: false
  limits:
    - {grade: 优秀, max_percent: 20, fallback: 良好}
"""


def card(key="alpha", role="客服专员", sales="penalty: 3\n          step: 5", points=60, extra=""):
    return f"""\
key: {key}
role: {role}
department: 客户服务部
cadence: monthly
total: 100
sections:
  - key: work
    name: 工作业绩
    indicators:
      - key: {key}_sales
        name: 销售
        points: {points}
        rule:
          type: step
          {sales}
      - key: {key}_attendance
        name: 考勤
        points: 20
        rule:
          type: deduction
          events:
            - {{event: late, penalty: 1}}
      - key: {key}_attitude
        name: 服务态度
        points: 20
        rule:
          type: levels
          levels:
            - {{level: A, name: 优秀, points: 20}}
            - {{level: B, name: 合格, points: 10}}
{extra}"""


def write_tree(root: Path, cards=None, events=EVENTS, raters=RATERS, grades=GRADES) -> Path:
    (root / "cards").mkdir(parents=True, exist_ok=True)
    for name, text in {"events.yaml": events, "raters.yaml": raters, "grades.yaml": grades}.items():
        if text is not None:
            (root / name).write_text(text, encoding="utf-8")
    for key, text in (cards if cards is not None else {"alpha": card()}).items():
        (root / "cards" / f"{key}.yaml").write_text(text, encoding="utf-8")
    return root


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ParamsError) as info:
        load_params(root)
    return info.value.problems


def has(problems: list[str], *parts: str) -> bool:
    return any(all(p in line for p in parts) for line in problems)


# the real params/ ------------------------------------------------------------------------
ROLES = {
    "service_supervisor": ("售后服务主管", "客户服务部", "quarterly"),
    "aftersales_specialist": ("售后服务专员", "客户服务部", "monthly"),
    "service_agent": ("客服专员", "客户服务部", "monthly"),
    "ka_manager": ("大客户经理", "大客户部", "monthly"),
    "ka_specialist": ("大客户专员", "大客户部", "quarterly"),
    "bd_merchant": ("BD商家维护组", "BD组", "monthly"),
    "bd_key_account": ("BD大客户组", "BD组", "monthly"),
}


def test_real_params_load_and_every_card_adds_up_to_100():
    params = load_params(PARAMS)
    cat = params.catalog("2026-07")
    assert isinstance(cat, Catalog)
    assert set(cat.cards) == set(ROLES)
    for key, (role, dept, cadence) in ROLES.items():
        c = cat.cards[key]
        assert (c.role, c.department, c.cadence) == (role, dept, cadence)
        assert c.total == 100
        assert sum(i.points for i in c.indicators) == Decimal(100)
        for ind in c.indicators:
            assert ind.reference, f"{key}.{ind.key} has no reference"
            assert ind.key.isascii() and not ind.name.isascii()
    keys = [i.key for c in cat.cards.values() for i in c.indicators]
    assert len(keys) == len(set(keys))
    assert params.dir == PARAMS
    assert PARAMS / "events.yaml" in params.files
    assert len([f for f in params.files if f.parent.name == "cards"]) == 7


def test_real_params_role_spellings_and_special_cases():
    cat = load_params(PARAMS).catalog("2026Q3")
    assert cat.card_for_role("销售人员").key == "ka_specialist"
    assert cat.card_for_role("商家维护组").key == "bd_merchant"
    assert cat.card_for_role("大客户组").key == "bd_key_account"
    km = cat.cards["ka_manager"]
    assert km.indicator("sales_task").max_points is None
    assert km.indicator("new_customers").rule["events"] == [{"event": "new_customer", "bonus": Decimal(5)}]
    meeting = cat.cards["bd_merchant"].indicator("meeting_conduct")
    assert meeting.min_points == 0      # lates stop at 0; the 倒扣 value bypasses the floor
    assert {"event": "meeting_absence", "fixed": Decimal(-10)} in meeting.rule["events"]
    visits = cat.cards["bd_merchant"].indicator("merchant_visits")
    assert visits.rule["unit_points"] == Decimal("0.4") and visits.max_points == 40
    # 360 items take raters.yaml's weights; other rated items the superior only
    agent = cat.cards["service_agent"].indicator("initiative")
    assert agent.rule["raters"] == {"self": 15, "superior": 60, "peer": 25}
    assert cat.cards["ka_manager"].indicator("customer_maintenance").rule["raters"] == {"superior": 100}
    assert cat.grading.bands[0].grade == "优秀" and cat.grading.forced == {}
    assert cat.event_key("迟到") == "late"


# the Params object ------------------------------------------------------------------------
def test_card_grading_and_catalog_cache(tmp_path):
    params = load_params(write_tree(tmp_path))
    assert params.catalog("2026-07") is params.catalog(Period.parse("2026-07"))
    c = params.card("alpha", "2026-07")
    assert params.card("客服专员", "2026-07") is c
    ind = c.indicator("alpha_sales")
    assert ind.section == "work" and ind.min_points == 0 and ind.max_points == 60
    assert ind.rule["basis"] == "ratio" and ind.rule["rounding"] == "floor"   # schema defaults
    assert c.raters == {"self": 15, "superior": 60, "peer": 25} and c.missing_rater == "renormalise"
    assert c.indicator("alpha_attitude").rule["raters"] == c.raters
    assert [b.min_total for b in params.grading("2026Q3").bands] == [90, 75, 60, None]
    with pytest.raises(KeyError):
        params.card("nobody", "2026-07")


def test_forced_distribution_when_enabled(tmp_path):
    grades = GRADES.replace("enabled: false", "enabled: true")
    g = load_params(write_tree(tmp_path, grades=grades)).grading("2026-07")
    assert g.forced == {"优秀": Decimal(20)} and g.fallback_grade == {"优秀": "良好"}


def test_numbers_are_exact_decimals(tmp_path):
    text = card(sales="penalty: 0.4\n          step: 0.1\n          bonus: 1_000\n          bonus_step: 010")
    ind = load_params(write_tree(tmp_path, cards={"alpha": text})).card("alpha", "2026-07").indicator("alpha_sales")
    assert ind.rule["penalty"] == Decimal("0.4") and isinstance(ind.rule["penalty"], Decimal)
    assert str(ind.rule["penalty"]) == "0.4" and str(ind.rule["step"]) == "0.1"
    assert ind.rule["bonus"] == Decimal(1000) and ind.rule["bonus_step"] == Decimal(10)
    assert isinstance(ind.points, Decimal)


# dated values -------------------------------------------------------------------------------
def test_dated_value_in_force_on_a_periods_first_day(tmp_path):
    text = card(sales="penalty: {2026-01-01: 3, 2026-07-01: 4}\n          step: 5")
    params = load_params(write_tree(tmp_path, cards={"alpha": text}))

    def penalty(period):
        return params.card("alpha", period).indicator("alpha_sales").rule["penalty"]

    assert penalty("2026-06") == 3          # the month before the change
    assert penalty("2026-07") == 4          # starts exactly on the change date
    assert penalty("2026Q2") == 3 and penalty("2026Q3") == 4 and penalty("2026H2") == 4
    assert penalty("2026") == 3             # the year starts before the change
    assert params.dates == [date(2026, 1, 1), date(2026, 7, 1)]


def test_change_in_mid_month_applies_from_the_next_period():
    value = {date(2026, 1, 1): Decimal(3), date(2026, 7, 15): Decimal(4)}
    assert resolve(value, date(2026, 7, 14)) == 3       # the day before
    assert resolve(value, date(2026, 7, 15)) == 4       # the change date itself
    assert resolve(value, Period.parse("2026-07").start) == 3
    assert resolve(value, Period.parse("2026-08").start) == 4


def test_nothing_in_force_names_file_key_path_and_period(tmp_path):
    text = card(sales="penalty: {2026-01-01: 3}\n          step: 5")
    params = load_params(write_tree(tmp_path, cards={"alpha": text}))
    with pytest.raises(ParamsError) as info:
        params.catalog("2025-12")
    assert has(info.value.problems, "cards/alpha.yaml", "sections[0].indicators[0].rule.penalty", "2025-12")


def test_every_version_of_a_dated_card_is_checked(tmp_path):
    # 60 until June is fine; the July version makes the card add up to 110
    text = card(points="{2026-01-01: 60, 2026-07-01: 70}")
    p = problems_of(write_tree(tmp_path, cards={"alpha": text}))
    assert has(p, "cards/alpha.yaml", "add up to 110", "2026-07-01")
    assert not has(p, "add up to 100")


# each problem ------------------------------------------------------------------------------
BROKEN = {
    "points not adding up": (
        {"alpha": card(points=50)},
        ("cards/alpha.yaml", "sections", "add up to 90, not the card's total 100")),
    "unknown rule type": (
        {"alpha": card().replace("type: step", "type: stepp")},
        ("cards/alpha.yaml", "sections[0].indicators[0].rule.type", "unknown rule type 'stepp'")),
    "missing rule parameter": (
        {"alpha": card(sales="step: 5")},
        ("cards/alpha.yaml", "sections[0].indicators[0].rule", "needs parameter 'penalty'")),
    "unknown rule parameter": (
        {"alpha": card(sales="penalty: 3\n          step: 5\n          penalti: 4")},
        ("cards/alpha.yaml", "sections[0].indicators[0].rule.penalti", "unknown parameter")),
    "duplicate indicator key across cards": (
        {"alpha": card(), "beta": card(key="beta", role="售后服务专员").replace("beta_sales", "alpha_sales")},
        ("cards/beta.yaml", "sections[0].indicators[0].key", "'alpha_sales' is already used in cards/alpha.yaml")),
    "duplicate section key": (
        {"alpha": card(points=40, extra="""\
  - key: work
    name: 其他
    indicators:
      - {key: alpha_more, name: 其他, points: 20, rule: {type: adjustment}}
""")},
        ("cards/alpha.yaml", "sections[1].key", "duplicate section key 'work'")),
    "duplicate YAML key": (
        {"alpha": card(sales="penalty: 3\n          penalty: 4\n          step: 5")},
        ("cards/alpha.yaml", "sections[0].indicators[0].rule.penalty", "duplicate key", "line 16", "first at line 15")),
    "bad date": (
        {"alpha": card(sales="penalty: {2026-01-01: 3, 2026-02-30: 4}\n          step: 5")},
        ("cards/alpha.yaml", "sections[0].indicators[0].rule.penalty.2026-02-30", "bad date")),
    "event not in events.yaml": (
        {"alpha": card().replace("event: late", "event: sleeping")},
        ("cards/alpha.yaml", "sections[0].indicators[1].rule.events[0].event", "'sleeping' is not in events.yaml")),
    "duplicate level code": (
        {"alpha": card().replace("level: B", "level: A")},
        ("cards/alpha.yaml", "sections[0].indicators[2].rule.levels[1].level", "duplicate level code 'A'")),
    "unknown cadence": (
        {"alpha": card().replace("cadence: monthly", "cadence: weekly")},
        ("cards/alpha.yaml", "cadence", "unknown cadence 'weekly'")),
    "invalid rater role": (
        {"alpha": card(extra="raters: {boss: 100}\n")},
        ("cards/alpha.yaml", "raters.boss", "unknown rater role")),
    "rater weights not 100": (
        {"alpha": card().replace("type: levels", "type: levels\n          raters: {self: 20, superior: 60}")},
        ("cards/alpha.yaml", "sections[0].indicators[2].rule.raters", "add up to 80, not 100")),
    "role claimed by two cards": (
        {"alpha": card(), "beta": card(key="beta")},
        ("cards/beta.yaml", "role", "'客服专员' is also claimed by cards/alpha.yaml")),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_each_problem_is_reported_with_file_and_key_path(tmp_path, case):
    cards, expected = BROKEN[case]
    assert has(problems_of(write_tree(tmp_path, cards=cards)), *expected)


def test_problems_outside_cards(tmp_path):
    p = problems_of(write_tree(
        tmp_path,
        events=EVENTS + "  - {key: late, name: 迟到2}\n",
        raters="weights: {self: 15, superior: 60, peer: 20}\nmissing: shrug\n",
        grades=GRADES.replace("fallback: 良好", "fallback: 最好"),
    ))
    assert has(p, "events.yaml", "events[2].key", "duplicate event key 'late'")
    assert has(p, "raters.yaml", "weights", "add up to 95, not 100")
    assert has(p, "raters.yaml", "missing", "'shrug'")
    assert has(p, "grades.yaml", "forced_distribution.limits[0].fallback")


def test_all_problems_at_once_in_one_error(tmp_path):
    alpha = card(points=50, sales="penalty: 3\n          penalty: 3\n          step: 5").replace("type: levels", "type: rating")
    beta = card(key="beta", role="售后服务专员").replace("event: late", "event: sleeping")
    root = write_tree(tmp_path, cards={"alpha": alpha, "beta": beta},
                      raters="weights: {self: 50, superior: 60}\n")
    with pytest.raises(ParamsError) as info:
        load_params(root)
    p = info.value.problems
    assert has(p, "cards/alpha.yaml", "rule.penalty", "duplicate key")
    assert has(p, "cards/alpha.yaml", "sections[0].indicators[2].rule.type", "unknown rule type 'rating'")
    assert has(p, "cards/beta.yaml", "rule.events[0].event", "'sleeping'")
    assert has(p, "raters.yaml", "weights", "add up to 110")
    assert has(p, "cards/alpha.yaml", "sections", "add up to 90")
    assert len(p) == len(set(p)) >= 5
    assert "problem(s) in params" in str(info.value)


def test_missing_files_and_invalid_yaml(tmp_path):
    root = write_tree(tmp_path, cards={"alpha": "key: [unclosed\n"}, events=None)
    p = problems_of(root)
    assert has(p, "events.yaml", "missing")
    assert has(p, "cards/alpha.yaml", "not valid YAML")


def test_other_documents_resolve_for_a_period(tmp_path):
    root = write_tree(tmp_path)
    (root / "pay.yaml").write_text("rate: {2026-01-01: 0.04, 2026-10-01: 0.05}\nbase_ratio: 0.5\n", encoding="utf-8")
    params = load_params(root)
    assert params.document("pay", "2026Q3") == {"rate": Decimal("0.04"), "base_ratio": Decimal("0.5")}
    assert params.document("pay.yaml", "2026Q4")["rate"] == Decimal("0.05")
    assert root / "pay.yaml" in params.files
