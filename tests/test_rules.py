"""Hand-computed cases of every rule type (tests/cases/rules.yaml), plus a few whole-frame checks.

Each case of the YAML file is its own test, named by its sentence. A failure reads
`sales_task: got 27.00, expected 24.00 (note: ...)`.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from perfpay.cards import Indicator
from perfpay.errors import PerfpayError
from perfpay.exact import CENT, cents, ints
from perfpay.rules import score_indicator

CASES = Path(__file__).parent / "cases" / "rules.yaml"
DEFAULT_WEIGHTS = {"self": Decimal(15), "superior": Decimal(60), "peer": Decimal(25)}


# reading the cases -----------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """Numbers with a decimal point are read as exact Decimals, never floats."""


def _decimal(loader, node):
    return Decimal(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


def _load() -> dict:
    with open(CASES, encoding="utf-8") as f:
        return yaml.load(f, Loader=_Loader)


def _exact(value):
    """Every number of a parameter as a Decimal, as params.py hands them to the rules."""
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def indicator(spec, library: dict) -> Indicator:
    """An Indicator from a case: a name from `indicators:`, a full item, or `like:` plus changes."""
    if isinstance(spec, str):
        key, item = spec, copy.deepcopy(library[spec])
    else:
        spec = copy.deepcopy(spec)
        key = spec.pop("like", None)
        item = copy.deepcopy(library[key]) if key else {}
        rule = {**item.get("rule", {}), **spec.pop("rule", {})}
        item.update(spec)
        item["rule"] = rule
        key = key or "case_item"
    points = Decimal(item["points"])
    lo = item.get("min_points", 0)            # default 0 (扣完为止); null = no floor
    hi = item.get("max_points", points)       # default = points; null = uncapped
    return Indicator(
        key=key,
        name=item.get("name", key),
        points=points,
        rule=_exact(item["rule"]),
        min_points=None if lo is None else Decimal(lo),
        max_points=None if hi is None else Decimal(hi),
    )


def frame(rows: list[dict], event_names: dict | None = None) -> pd.DataFrame:
    """The rules' input frame (see the docstring of perfpay.rules), one row per inputs dict."""
    def measure(name):
        values = [r.get(name) for r in rows]
        return {name: ints([None if v is None else Decimal(v) for v in values]),
                f"has_{name}": [v is not None for v in values]}

    cols = {**measure("actual"), **measure("target")}
    for ev in sorted({e for r in rows for e in (r.get("events") or {})}):
        cols[f"ev:{ev}"] = [int((r.get("events") or {}).get(ev, 0)) for r in rows]
    for role in ("self", "superior", "peer"):
        given = [list((r.get("ratings") or {}).get(role, [])) for r in rows]
        if any(given):
            cols[f"r:{role}:sum"] = pd.array([sum(cents(p) for p in g) for g in given], dtype=object)
            cols[f"r:{role}:n"] = pd.array([len(g) for g in given], dtype=object)
    adj = [r.get("adjustments") or [] for r in rows]
    cols["adj"] = pd.array([sum(cents(a["points"]) for a in a_) for a_ in adj], dtype=object)
    cols["adj_n"] = [len(a_) for a_ in adj]
    cols["adj_note"] = ["; ".join(f"{a['reason']} ({a['approved_by']})" for a in a_) for a_ in adj]
    data = pd.DataFrame(cols)
    data.attrs["event_names"] = event_names or {}
    return data


def pts(c) -> str:
    """Centipoints as the text a finance person reads: 2400 -> '24.00'."""
    return f"{Decimal(int(c)) / CENT:.2f}"


# the YAML cases ----------------------------------------------------------------------------
_DATA = _load()
_LIBRARY = _DATA["indicators"]
_EVENTS = _DATA.get("events", {})


@pytest.mark.parametrize("case", _DATA["cases"], ids=[c["name"] for c in _DATA["cases"]])
def test_case(case):
    ind = indicator(case["indicator"], _LIBRARY)
    inputs = case.get("inputs") or {}
    weights = {k: Decimal(v) for k, v in (inputs.get("weights") or DEFAULT_WEIGHTS).items()}
    got = score_indicator(ind, frame([inputs], _EVENTS), weights,
                          inputs.get("missing_rater", "renormalise")).iloc[0]
    expect = case["expect"]
    note = got["note"]
    problems = []
    if pts(got["points_c"]) != f"{Decimal(expect['points']):.2f}":
        problems.append(f"got {pts(got['points_c'])}, expected {expect['points']}")
    if "raw" in expect and pts(got["raw_c"]) != f"{Decimal(expect['raw']):.2f}":
        problems.append(f"raw got {pts(got['raw_c'])}, expected {expect['raw']}")
    if "note_contains" in expect and expect["note_contains"] not in note:
        problems.append(f"note lacks {expect['note_contains']!r}")
    if "flag" in expect and got["flag"] != expect["flag"]:
        problems.append(f"flag got {got['flag']!r}, expected {expect['flag']!r}")
    assert not problems, f"{ind.key}: {'; '.join(problems)} (note: {note}; inputs: {got['inputs']})"


def test_every_rule_type_has_cases():
    from perfpay.cards import RULE_TYPES
    used = {indicator(c["indicator"], _LIBRARY).rule_type for c in _DATA["cases"]}
    assert set(RULE_TYPES) <= used, f"rule types without a case: {set(RULE_TYPES) - used}"


# whole frames ----------------------------------------------------------------------------
def test_a_whole_frame_is_scored_in_one_call():
    ind = indicator("sales_task", _LIBRARY)
    rows = [
        {"actual": 200000, "target": 200000},     # on target           30
        {"actual": 180000, "target": 200000},     # 90%                 24
        {"actual": 189980, "target": 200000},     # 94.99%              27
        {"actual": 99980, "target": 200000},      # 49.99%               0
        {"target": 200000},                       # no actual            0, flagged
        {"actual": 220000, "target": 200000},     # 110%                50
        {"actual": 150000},                       # no target            0, flagged
        {"actual": Decimal("0.9"), "target": 1},  # float trap          24
        {"actual": 120000, "target": 0},          # target 0: no ratio   0, flagged
    ]
    data = frame(rows)
    data.index = [f"E{i:03d}" for i in range(len(rows))]   # any index is kept
    got = score_indicator(ind, data, DEFAULT_WEIGHTS)
    assert list(got.index) == list(data.index)
    assert [pts(c) for c in got["points_c"]] == [
        "30.00", "24.00", "27.00", "0.00", "0.00", "50.00", "0.00", "24.00", "0.00"]
    assert list(got["flag"]) == ["", "", "", "", "missing_actual", "", "missing_target", "",
                                 "missing_target"]


def test_mixed_rows_of_deductions_and_倒扣_in_one_call():
    ind = indicator("meeting_conduct", _LIBRARY)
    rows = [{"events": {}}, {"events": {"meeting_late": 1}}, {"events": {"meeting_late": 3}},
            {"events": {"meeting_absence": 1, "meeting_late": 1}}, {"events": {"meeting_absence": 2}}]
    got = score_indicator(ind, frame(rows, _EVENTS), DEFAULT_WEIGHTS)
    assert [pts(c) for c in got["points_c"]] == ["4.00", "2.00", "0.00", "-10.00", "-20.00"]
    assert [pts(c) for c in got["raw_c"]] == ["4.00", "2.00", "-2.00", "-10.00", "-20.00"]


def test_mixed_raters_in_one_call():
    ind = indicator("responsibility", _LIBRARY)
    rows = [{"ratings": {"self": [5], "superior": [3], "peer": [3, 2]}},
            {"ratings": {"self": [5], "superior": [3]}},
            {"ratings": {}},
            {"ratings": {"superior": [5], "peer": [0]}}]
    got = score_indicator(ind, frame(rows), DEFAULT_WEIGHTS, "renormalise")
    # row 4: (0.60 x 5 + 0.25 x 0) / 0.85 = 3.5294 -> 3.53
    assert [pts(c) for c in got["points_c"]] == ["3.18", "3.40", "0.00", "3.53"]
    assert list(got["flag"]) == ["", "missing_rater:小组", "missing_rating", "missing_rater:本人"]


@pytest.mark.parametrize("rule", ["step", "proportional", "per_unit", "scaled_rating"])
def test_missing_actual_scores_0_and_is_flagged(rule):
    item = {"step": "sales_task", "proportional": "merchant_certification",
            "per_unit": "merchant_visits", "scaled_rating": "merchant_satisfaction"}[rule]
    got = score_indicator(indicator(item, _LIBRARY), frame([{"target": 100}]), DEFAULT_WEIGHTS).iloc[0]
    assert (got["points_c"], got["flag"]) == (0, "missing_actual"), got["note"]


@pytest.mark.parametrize("item", ["sales_task", "new_customers", {"name": "比例", "points": 10,
                                                                 "rule": {"type": "proportional"}}])
def test_missing_target_scores_0_and_is_flagged(item):
    got = score_indicator(indicator(item, _LIBRARY), frame([{"actual": 100}]), DEFAULT_WEIGHTS).iloc[0]
    assert (got["points_c"], got["flag"]) == (0, "missing_target"), got["note"]
    assert "target" in got["note"]


def test_missing_rater_policy_error_refuses_to_score():
    ind = indicator({"like": "responsibility", "rule": {"missing_rater": "error"}}, _LIBRARY)
    complete = frame([{"ratings": {"self": [5], "superior": [3], "peer": [3]}}])
    assert pts(score_indicator(ind, complete, DEFAULT_WEIGHTS).iloc[0]["points_c"]) == "3.30"
    with pytest.raises(PerfpayError, match="工作责任心"):
        score_indicator(ind, frame([{"ratings": {"self": [5], "superior": [3]}}]), DEFAULT_WEIGHTS)
