"""The checks of each table (docs/inputs.md), on top of the shared ones in common.py."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from ..periods import Period
from . import values as V
from .checker import Catalogs, Checker
from .common import (CASE, People, check_blanks, check_cards, check_duplicates, check_employees,
                     check_employment, check_indicators, indicator_attr, indicator_is, indicator_of,
                     key_codes, parse_numbers, positions)
from .contracts import RATER_ROLE_HELP, RATER_ROLE_SPELLINGS, norm

# where the inputs of an indicator go, by its rule type
FED_BY = {
    "deduction": "it is counted from events: record the events ({events}) in the events table (事件)",
    "bonus_events": "it is counted from events: record the events ({events}) in the events table (事件)",
    "levels": "it is rated: put the rating in the ratings table (评分)",
    "adjustment": "it is a manual adjustment: put the points in the adjustments table (加扣分) "
                  "with a reason and an approver",
}
TAKES_ACTUAL = "put its value in the actuals table (实绩)"


def fed_by(catalogs: Catalogs):
    """Fix of a row put in the wrong table: where the inputs of its indicator go."""
    def fix(rec) -> str:
        ind = indicator_of(catalogs, rec)
        catalog = catalogs.get(rec["period_v"])[0]
        names = [catalog.events[k].name if k in catalog.events else str(k)
                 for k in (e.get("event") for e in ind.rule.get("events", ()))]
        return FED_BY.get(ind.rule_type, TAKES_ACTUAL).format(events=", ".join(names) or "its events")
    return fix


def check_rows(chk: Checker, people: People, catalogs: Catalogs, blank_fixes=None) -> None:
    check_blanks(chk, blank_fixes)
    kept = check_employees(chk, people)
    check_employment(chk, people)
    check_cards(chk, people, catalogs, kept)
    check_indicators(chk, catalogs)


# roster ---------------------------------------------------------------------------
def check_roster(chk: Checker, catalogs: Catalogs, period: Period) -> People:
    d = chk.df
    check_blanks(chk)
    for col in ("hire_date", "leave_date"):
        values, reasons = V.column(d[col], V.to_date)
        d[col + "_v"] = values
        chk.flag_reasons(reasons, col, V.DATE_HELP)
    base = parse_numbers(chk, "monthly_bonus_base")
    chk.flag(V.map_unique(base, lambda x: x < 0).eq(True), "monthly_bonus_base",
             "monthly bonus base {monthly_bonus_base} is negative", "give the base in yuan, 0 or more")

    catalog, err = catalogs.get(period)
    has_role = chk.filled("role")
    if catalog is None:
        d["card"] = None
        chk.flag(has_role, "role", f"no scorecards in force for {period} ({err}); roles cannot be checked",
                 f"check params/ for the period {period}")
    else:
        d["card"] = V.map_unique(d["role"].where(has_role, None),
                                 lambda r: getattr(catalog.card_for_role(r), "key", None))
        unscored = V.map_unique(d["role"].where(has_role, None), catalog.is_unscored).eq(True)
        chk.flag(has_role & d["card"].isna() & ~unscored, "role",
                 f"role {{role!r}} is not the role of any scorecard in force in {period}",
                 f"use one of: {', '.join(catalog.role_names())}")

    hire, leave = pd.to_datetime(d["hire_date_v"]), pd.to_datetime(d["leave_date_v"])
    chk.flag(chk.ok("hire_date", "leave_date") & (leave < hire), "leave_date",
             "leave date {leave_date_v} is before hire date {hire_date_v}", "correct one of the two dates")
    check_duplicates(chk, ["employee_id"], "employee {employee_id} is in the roster {_n} times (also {_others})",
                     "keep one row for {employee_id}", column="employee_id")

    ids = d["employee_id"]
    everyone = _distinct(chk, "employee_id")
    mgr = d["manager_id"]
    chk.flag(chk.filled("manager_id") & ~chk.isin("manager_id", everyone), "manager_id",
             "manager {manager_id} of {employee_id} is not in the roster",
             "add {manager_id} to the roster, or correct the {_col}", severity="warning")
    chk.flag(chk.filled("manager_id") & mgr.eq(ids), "manager_id", "{employee_id} is their own manager",
             "correct the {_col}", severity="warning")

    kept = chk.bad.to_numpy()
    kept = slice(None) if not kept.any() else ~kept
    columns = {name: d[c].to_numpy()[kept] for name, c in (("role", "role"), ("hire", "hire_date_v"),
               ("leave", "leave_date_v"), ("department", "department"), ("manager", "manager_id"))}
    people = People(ids=ids.to_numpy()[kept], columns=columns, everyone=everyone,
                    departments=_distinct(chk, "department"))
    gone = chk.bad & chk.filled("employee_id") & ~pd.Series(positions(chk, people) >= 0, index=d.index)
    for i, place in chk.where(gone).items():
        people.rejected[ids[i]] = "; ".join(filter(None, (people.rejected.get(ids[i]), place)))
    return people


def _distinct(chk: Checker, column: str) -> set:
    """The values written in `column` (blanks left out)."""
    uniques = chk.coded(column)[1]
    return set(uniques[uniques != ""]) if len(uniques) else set()


# targets and actuals ------------------------------------------------------------------
def check_targets(chk: Checker, people: People, catalogs: Catalogs) -> None:
    d = chk.df
    check_rows(chk, people, catalogs)
    parse_numbers(chk, "target")
    has = chk.given("indicator_v")
    takes = indicator_is(chk, catalogs, lambda i: i.needs_target)
    chk.flag(has & ~takes, "indicator",
             lambda r: f"{r['indicator_v']} takes no target from this table "
                       f"({_why_no_target(indicator_of(catalogs, r))}); the row is ignored",
             "remove the row (or change the card in params/)", severity="warning", skipped=True)
    ratio = indicator_is(chk, catalogs, lambda i: i.rule.get("basis", "ratio") != "difference")
    chk.flag(takes & ratio & V.map_unique(d["target_v"], lambda x: x <= 0).eq(True), "target",
             "target {target} of {indicator_v} is not above 0; the rate actual / target cannot be computed",
             "give a target above 0")
    check_duplicates(chk, ["period_v", "employee_id", "indicator_v"],
                     "{_n} rows give the target for {period_v}, {employee_id}, {indicator_v} (also {_others})",
                     "keep one of these rows")


def _why_no_target(ind) -> str:
    if ind.rule.get("target") is not None:
        return f"its target is fixed at {ind.rule['target']} in the card"
    return f"its rule is {ind.rule_type}"


def check_actuals(chk: Checker, people: People, catalogs: Catalogs) -> None:
    check_rows(chk, people, catalogs)
    parse_numbers(chk, "actual")
    elsewhere = indicator_is(chk, catalogs, lambda i: i.rule_type in FED_BY)
    chk.flag(elsewhere, "indicator", "{indicator_v} of {employee_id} takes no actual value", fed_by(catalogs))
    check_duplicates(chk, ["period_v", "employee_id", "indicator_v"],
                     "{_n} rows give the actual for {period_v}, {employee_id}, {indicator_v} (also {_others})",
                     "keep one of these rows")


def check_targets_match(actuals: Checker, targets: Checker, catalogs: Catalogs) -> None:
    """An actual needs its target (when the card does not fix one); a target without actual is a warning."""
    A = actuals.df
    akeys, tkeys = key_codes([actuals, targets], ["period_v", "employee_id", "indicator_v"])
    t_kept = tkeys[~targets.bad.to_numpy()]
    t_gone = (targets.given("indicator_v") & targets.ok("period", "employee_id") & targets.bad).to_numpy()
    gone_where = targets.where(t_gone).to_numpy(dtype=object)     # where each left-out target is
    t_where = pd.Series(gone_where, dtype=object).groupby(tkeys[t_gone], sort=False).agg("; ".join)
    needs = (~actuals.bad & indicator_is(actuals, catalogs, lambda i: i.needs_target)
             & ~np.isin(akeys, t_kept, kind="table"))
    rejected = pd.Series(np.isin(akeys, t_where.index.to_numpy(dtype=np.int64), kind="table"), index=A.index)
    what = "{period_v}, {employee_id}, {indicator_v}"
    if (needs & rejected).any():
        at = t_where.index.get_indexer(np.where(needs, akeys, -1))
        where = np.append(t_where.to_numpy(dtype=object), None)[at]
        actuals.flag(needs & rejected, "indicator", f"the target for {what} has errors and was left out ({{_where}})",
                     "fix that target row (see the targets problems)", _where=pd.Series(where, index=A.index))
    actuals.flag(needs & ~rejected, "indicator", f"no target for {what}", f"add a row to targets for {what}")
    a_any = akeys[(actuals.given("indicator_v") & actuals.ok("period", "employee_id")).to_numpy()]
    targets.flag(~targets.bad & ~np.isin(tkeys, a_any, kind="table"), "indicator", f"the target for {what} has no actual",
                 f"add a row to actuals for {what}, or remove the target", severity="warning")


# events ---------------------------------------------------------------------------------
def check_events(chk: Checker, people: People, catalogs: Catalogs) -> None:
    d = chk.df
    check_blanks(chk)
    check_employees(chk, people)
    check_employment(chk, people)
    m = chk.ok("date") & chk.given("period_v") & chk.filled("event")

    def event_of(label, text):
        catalog, err = catalogs.get(label)
        if catalog is None:
            return (None, f"no scorecards in force for {label} ({err}); events cannot be checked",
                    f"check params/ for the period {label}, or correct the date", "date")
        key = catalog.event_key(text)
        if key is None:
            return (None, f"event {text!r} is not in the events catalogue ({label})",
                    f"use one of: {', '.join(catalog.event_names())}", "event")
        return key, None, None, None

    event, reason, fix, column = V.per_case(d, m, ["period_v", "event"], event_of, n=4)
    d["event_v"] = event
    for col in ("date", "event"):
        chk.flag(column.eq(col), col, "{_reason}", "{_fix}", _reason=reason, _fix=fix)
    counts, reasons = V.column(d["count"], V.to_count)
    d["count_v"] = counts.where(chk.filled("count"), 1)
    chk.flag_reasons(reasons, "count", V.COUNT_HELP)
    check_duplicates(chk, ["date_v", "employee_id", "event_v", "count_v", "note"],
                     "row is the same as {_others}; all of them are counted",
                     "if the event was recorded twice, delete the extra row", severity="warning")


# ratings --------------------------------------------------------------------------------
ROLE_OF = {norm(s): role for role, spellings in RATER_ROLE_SPELLINGS.items() for s in spellings}


def check_ratings(chk: Checker, people: People, catalogs: Catalogs) -> None:
    d = chk.df
    check_rows(chk, people, catalogs)
    d["rater_role_v"] = V.map_unique(d["rater_role"], lambda t: ROLE_OF.get(norm(t)))
    chk.flag(chk.filled("rater_role") & ~chk.given("rater_role_v"), "rater_role",
             "rater role {rater_role!r} is not a rater role", f"use one of: {RATER_ROLE_HELP}")
    rid = d["rater_id"]
    chk.flag(chk.filled("rater_id") & ~chk.isin("rater_id", people.everyone), "rater_id",
             "rater {rater_id} is not in the roster", "check the {_col} (the rating is kept)", severity="warning")

    has = chk.given("indicator_v")
    rated = indicator_is(chk, catalogs, lambda i: i.rule_type == "levels")
    chk.flag(has & ~rated, "indicator", "{indicator_v} of {employee_id} is not rated", fed_by(catalogs))

    has_level, has_score = chk.filled("level"), chk.filled("score")
    chk.flag(has_level & has_score, "level", "both a level ({level}) and a score ({score}) are given",
             "give either the level or the score, not both")
    chk.flag(~has_level & ~has_score, "level", "neither a level nor a score is given",
             "give the level (or the score)")
    level_m = rated & has_level & ~has_score
    d["level_v"] = V.per_case(d, level_m, [*CASE, "level"],
                              lambda p, c, i, text: _match_level(catalogs.indicator(p, c, i), text),
                              codes=chk.codes("level"))[0]
    chk.flag(level_m & ~chk.given("level_v"), "level", "level {level!r} is not a level of {indicator_v}",
             lambda r: _level_help(indicator_of(catalogs, r)))
    scores = parse_numbers(chk, "score")
    top = indicator_attr(chk, catalogs, lambda i: i.points, rated & chk.given("score_v"))
    given = (chk.given("score_v") & top.notna()).to_numpy()
    out = pd.Series(False, index=d.index)
    if given.any():
        s_, t_ = scores.to_numpy(dtype=object)[given], top.to_numpy(dtype=object)[given]
        out[given] = (s_ < 0) | (s_ > t_)
    chk.flag(out, "score", "score {score} of {indicator_v} is outside 0..{_top}",
             "give a score from 0 to {_top}", _top=top)

    same = rid.eq(d["employee_id"])
    chk.flag(chk.equal("rater_role_v", "self") & chk.filled("rater_id") & ~same, "rater_id",
             "self rating of {employee_id} is given by {rater_id}",
             "a self rating is given by the employee: set the {_col} to {employee_id}, or correct the rater role")
    chk.flag(chk.equal("rater_role_v", "peer") & same, "rater_id", "{employee_id} rates themself as a peer",
             "nobody rates themself as a peer: use the rater role self (本人), or correct the {_col}")
    chk.flag(chk.equal("rater_role_v", "superior") & same, "rater_id",
             "{employee_id} rates themself as their superior",
             "use the rater role self (本人), or correct the {_col}")
    weights = V.per_case(d, chk.ok() & rated & chk.given("rater_role_v"), [*CASE, "rater_role_v"],
                         lambda p, c, i, r: _unweighted(catalogs, p, c, i, r), codes=chk.codes("rater_role_v"))[0]
    chk.flag(weights.notna(), "rater_role", "{rater_role_v} ratings do not count for {indicator_v} (weights {_w})",
             "check the rater role (the rating is kept)", severity="warning", _w=weights)
    check_duplicates(chk, ["period_v", "employee_id", "indicator_v", "rater_id", "rater_role_v"],
                     "{_n} rows rate {employee_id} on {indicator_v} for {period_v} by {rater_id} as "
                     "{rater_role_v} (also {_others})", "keep one of these rows")


def _unweighted(catalogs, period, card_key, ind_key, role):
    """The weights of the raters when `role` has none there, else None."""
    card = catalogs.card(period, card_key)
    weights = dict(card.indicator(ind_key).rule.get("raters") or card.raters or {})
    if weights and not weights.get(role):
        return {k: str(v) for k, v in weights.items()}
    return None


def _match_level(ind, text) -> str | None:
    """Level code of `text`: a level code, else a level name, else the exact points of one level."""
    levels = list(ind.rule.get("levels") or ())
    wanted = norm(text)
    try:
        number = V.to_decimal(text)
    except ValueError:
        number = None

    def as_number(x):
        try:
            return V.to_decimal(str(x))
        except ValueError:
            return None
    for lv in levels:
        code = str(lv.get("level"))
        if norm(code) == wanted or (number is not None and as_number(code) == number):
            return code
    for lv in levels:
        if lv.get("name") is not None and norm(lv["name"]) == wanted:
            return str(lv.get("level"))
    for lv in levels:
        if number is not None and lv.get("points") is not None and Decimal(str(lv["points"])) == number:
            return str(lv.get("level"))
    return None


def _level_help(ind) -> str:
    levels = list(ind.rule.get("levels") or ())
    if not levels:
        return f"{ind.key} has no levels in its card: give a score from 0 to {ind.points} instead"
    return "use one of: " + ", ".join(
        " ".join(str(x) for x in (lv.get("level"), lv.get("name")) if x not in (None, ""))
        + f" ({lv.get('points')} points)" for lv in levels)


# adjustments --------------------------------------------------------------------------
def check_adjustments(chk: Checker, people: People, catalogs: Catalogs) -> None:
    d = chk.df
    need = "an adjustment needs a reason and an approver: fill in the {_col}, or remove the row"
    check_rows(chk, people, catalogs, blank_fixes={"reason": need, "approved_by": need})
    points = parse_numbers(chk, "points")
    has = chk.given("indicator_v")
    manual = indicator_is(chk, catalogs, lambda i: i.rule_type == "adjustment")
    chk.flag(has & ~manual, "indicator", "{indicator_v} of {employee_id} takes no manual adjustment",
             fed_by(catalogs))
    span = indicator_attr(chk, catalogs, lambda i: (i.min_points, i.max_points), manual & points.notna())
    given = span.notna().to_numpy()
    out = pd.Series(False, index=d.index)
    out[given] = [(s[0] is not None and p < s[0]) or (s[1] is not None and p > s[1])   # rows with a range
                  for p, s in zip(points[given], span[given])]
    chk.flag(out, "points", "{points} points are outside {_range} of {indicator_v}",
             "give points within {_range}", _range=V.map_unique(span, _range))
    chk.flag(chk.filled("approved_by") & d["approved_by"].eq(d["employee_id"]), "approved_by",
             "{employee_id} approved their own adjustment",
             "have the adjustment approved by someone else (the row is kept)", severity="warning")
    check_duplicates(chk, ["period_v", "employee_id", "indicator_v", "points_v", "reason", "approved_by"],
                     "row is the same as {_others}; all of them are counted",
                     "if the adjustment was entered twice, delete the extra row", severity="warning")


def _range(span) -> str:
    lo, hi = span
    return f"{'-∞' if lo is None else lo}..{'+∞' if hi is None else hi}"
