"""The sales tables of SPEC 7 (docs/inputs.md): deals 回款, quotas 季度任务, wages 薪资 and
the annual pools 绩效工资预算.

A *collection* (one deal line) is the rows sharing deal_id, revenue type, date and refund
mark: one payment of one revenue type of one deal, split among the people who share it.
Every row repeats the collection's whole amount (and cost, standard quote, CRM id); the
shares of a collection add up to exactly 1. A collection with any bad row is left out
whole, so that the kept rows of a collection always hold all of its shares.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from ..periods import Period
from . import values as V
from .checker import Checker
from .common import People, check_blanks, check_duplicates, check_employees
from .contracts import REVENUE_TYPE_HELP, REVENUE_TYPES, norm

LINE = ["deal_id", "revenue_type_v", "date_v", "refund_v"]      # one collection of one deal line
TYPE_OF = {norm(s): key for key, spellings in REVENUE_TYPES.items() for s in (key, *spellings)}
QUARTER_HELP = "write the quarter as 2026Q3 (or 2026年第3季度)"
YEAR_HELP = "write the year as 2026"


def cutoff(within: Period | None) -> date | None:
    """Last day kept for deals and quotas: the end of the quarter holding the period's last day.

    The ledger rebuilds its state from the first quarter, so every earlier row is kept.
    """
    return None if within is None else Period.parse(within.end).quarter.end


# shared parsing -----------------------------------------------------------------------------
def parse_money(chk: Checker, column: str, what: str, negative_ok: bool = False) -> pd.Series:
    """The amounts of `column` (None where blank or wrong), set as column_v; wrong texts flagged,
    and negative amounts unless `negative_ok`."""
    return signed_money(chk, column, what, negative_ok)[0]


def signed_money(chk: Checker, column: str, what: str, negative_ok: bool = False) -> tuple[pd.Series, pd.Series]:
    """parse_money, and the sign of each row's amount (-1, 0, 1; NO_SIGN where missing): each
    distinct text is parsed and its amount tested once."""
    codes, parsed, reasons = V.parsed(*chk.coded(column), V.to_money)
    index = chk.df.index
    values = chk.df[column + "_v"] = pd.Series(parsed[codes], index=index, dtype=object)
    chk.flag_reasons(pd.Series(reasons[codes], index=index, dtype=object), column, V.MONEY_HELP)
    sign = pd.Series(_signs(parsed)[codes], index=index)
    if not negative_ok:
        chk.flag(sign.eq(-1), column, f"{what} {{{column}}} is negative", f"give the {what} in yuan, 0 or more")
    return values, sign


NO_SIGN = 2         # _signs of a missing amount


def _signs(amounts: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 for each amount (NO_SIGN where None)."""
    return np.array([NO_SIGN if a is None else (a > 0) - (a < 0) for a in amounts], dtype=np.int8)


def parse_unit(chk: Checker, column: str, unit: str) -> pd.Series:
    """Period labels of `column` that are of `unit` (quarter / year); others are errors."""
    labels, reasons = V.column(chk.df[column], V.to_period)
    help_ = QUARTER_HELP if unit == "quarter" else YEAR_HELP
    chk.flag_reasons(reasons, column, help_)
    got = V.map_unique(labels, lambda p: V.period_of(p).unit)
    chk.flag(labels.notna() & got.ne(unit), column, f"{{{column}}} is a {{_unit}}, not a {unit}", help_,
             _unit=got)
    labels = labels.where(got.eq(unit), None)
    chk.df[column + "_v"] = labels
    return labels


def _text(series: pd.Series) -> pd.Series:
    """Values as text (None as "")."""
    return V.map_unique(series, str).where(series.notna(), "")


def _line_codes(chk: Checker, has_key: pd.Series) -> np.ndarray:
    """Code of each row's collection (deal_id, revenue type, date, refund mark); -1 without one."""
    d = chk.df
    coded = [chk.coded(c) if c in chk.spec.column_names else V.factorize(d[c].to_numpy(dtype=object))
             for c in LINE]
    return np.where(has_key.to_numpy(dtype=bool), V.combine(coded), -1)


def _joined(chk: Checker, texts: pd.Series, line: np.ndarray, sep: str) -> pd.Series:
    """For each row of a collection among those of `texts` (a few rows, in row order): the texts
    of that collection, joined with `sep`; None on the rows of other collections."""
    at = chk.df.index.get_indexer(texts.index)
    groups, which = pd.factorize(line[at])
    joined = pd.Series(texts.to_numpy(dtype=object)).groupby(groups).agg(sep.join).to_numpy(dtype=object)
    return pd.Series(V.spread(joined, pd.Index(which).get_indexer(line)), index=chk.df.index, dtype=object)


# deals 回款 -----------------------------------------------------------------------------------
def check_deals(chk: Checker, people: People, within: Period | None) -> None:
    d = chk.df
    dates, reasons = V.column(d["date"], V.to_date)
    d["date_v"] = dates
    d["quarter_v"] = V.map_unique(dates, lambda x: Period.of_month(x.year, x.month).quarter.label)
    chk.flag_reasons(reasons, "date", V.DATE_HELP)
    end = cutoff(within)
    if end is not None:
        chk.keep(V.missing_or(dates, lambda x: x <= end))
        d = chk.df

    check_blanks(chk)
    kept = check_employees(chk, people)
    _dated_employment(chk, people, kept)

    given = d["revenue_type"].ne("")
    d["revenue_type_v"] = V.map_unique(d["revenue_type"].where(given, None), lambda t: TYPE_OF.get(norm(t)))
    chk.flag(given & d["revenue_type_v"].isna(), "revenue_type",
             "revenue type {revenue_type!r} is not a revenue type", f"use one of: {REVENUE_TYPE_HELP}")
    rtype = d["revenue_type_v"]

    amount, sign = signed_money(chk, "amount", "amount", negative_ok=True)
    parse_money(chk, "cost", "cost")
    parse_money(chk, "standard_quote", "standard quote")
    shares, reasons = V.column(d["share"], V.to_share)
    d["share_v"] = shares.where(d["share"].ne(""), Decimal(1))
    chk.flag_reasons(reasons, "share", V.SHARE_HELP)
    flags, reasons = V.column(d["refund"], V.to_flag)
    d["refund_v"] = flags.where(d["refund"].ne(""), False)
    chk.flag_reasons(reasons, "refund", V.FLAG_HELP)

    # sign: a negative amount is a refund, and a refund is a negative amount
    refund = d["refund_v"].eq(True)
    neg, pos = sign.eq(-1), sign.eq(1)
    chk.flag(neg & chk.ok("refund") & ~refund, "amount",
             "amount {amount} is negative but the row is not marked as a refund",
             "mark the row as a refund (column 退款 / refund = 是 / yes), or correct the amount")
    chk.flag(refund & amount.notna() & ~neg, "amount",
             "the row is marked as a refund but its amount {amount} is not negative",
             "write the refunded amount as a negative number (e.g. -20000), or clear the refund mark")
    chk.flag(amount.notna() & ~neg & ~pos & ~refund, "amount", "amount {amount} is 0; the row credits nothing",
             "remove the row, or correct the amount (the row is kept)", severity="warning")

    # cost (secondary development) and standard quote (implementation)
    dev = rtype.eq("secondary_dev")
    chk.flag(dev & ~refund & d["cost"].eq(""), "cost",
             "secondary development {deal_id} needs its cost: it counts at gross margin (amount − cost)",
             "fill in the cost (成本) of the secondary development; write 0 if there is none")
    chk.flag(rtype.notna() & ~dev & d["cost_v"].notna(), "cost",
             "cost {cost} is only used for secondary development (二次开发); ignored for {revenue_type_v}",
             "remove the cost, or correct the revenue type (the row is kept)", severity="warning")
    impl = rtype.eq("implementation") & ~refund
    chk.flag(rtype.notna() & ~impl & d["standard_quote_v"].notna(), "standard_quote",
             "standard quote {standard_quote} is only used for implementation (实施) collections, "
             "not refunds; ignored for this {revenue_type_v} row",
             "remove the standard quote, or correct the revenue type (the row is kept)", severity="warning")
    d["cost_v"] = d["cost_v"].where(dev, None)
    d.loc[dev & refund & d["cost"].eq(""), "cost_v"] = Decimal(0)      # a refund keeps the cost spent
    d["standard_quote_v"] = d["standard_quote_v"].where(impl, None)

    _check_collections(chk)
    _check_refunds(chk)


def _line_text(d: pd.DataFrame) -> pd.Series:
    """`XM-001 software collected on 2026-07-15` / `... refunded on ...` for messages."""
    verb = pd.Series(np.where(d["refund_v"].eq(True), " refunded on ", " collected on "), index=d.index)
    return d["deal_id"] + " " + _text(d["revenue_type_v"]) + verb + _text(d["date_v"])


def _check_collections(chk: Checker) -> None:
    """The rows of one collection: shares add up to 1, the same amount, cost, quote and CRM id,
    each person once; a collection with a bad row is left out whole."""
    d = chk.df
    has_key = chk.ok("date", "deal_id", "revenue_type", "refund") & d["date_v"].notna() & \
        d["revenue_type_v"].notna() & d["deal_id"].ne("")
    if not has_key.any():
        return
    line = _line_codes(chk, has_key)
    keyed = line >= 0
    multi = keyed & (np.bincount(line[keyed])[np.maximum(line, 0)] > 1)     # rows of collections of 2+ rows

    # shares add up to exactly 1: one sum per collection (most have one row), one text per distinct sum
    m = (has_key & chk.ok("share") & d["share_v"].notna()).to_numpy(dtype=bool)
    rows = np.flatnonzero(m)
    share = V.map_unique(d["share_v"].where(m, None), Fraction).to_numpy(dtype=object)[rows]
    groups, _ = pd.factorize(line[rows])
    alone = np.bincount(groups)[groups] == 1
    total = np.empty(groups.max() + 1 if len(groups) else 0, dtype=object)
    total[groups[alone]] = share[alone]
    if not alone.all():
        sums = pd.Series(share[~alone]).groupby(groups[~alone]).sum()
        total[sums.index.to_numpy()] = sums.to_numpy(dtype=object)
    which, sums = V.factorize(total)
    wrong = np.array([v != 1 for v in sums], dtype=bool)
    off_rows = rows[wrong[which[groups]]]
    named = multi.copy()        # the rows a message may name their collection on (the only ones written out)
    named[off_rows] = True
    lines = np.full(len(d), None, dtype=object)
    if named.any():
        lines[named] = _line_text(d[named]).to_numpy(dtype=object)
    d["_line"] = pd.Series(lines, index=d.index, dtype=object)
    if len(off_rows):
        off = np.zeros(len(d), dtype=bool)
        off[off_rows] = True
        texts = np.array([share_text(v) if w else None for v, w in zip(sums, wrong)], dtype=object)
        sum_text = np.full(len(d), None, dtype=object)
        sum_text[rows] = texts[which[groups]]
        chk.flag(pd.Series(off, index=d.index), "share",
                 "the shares of {_line} add up to {_sum}, not 1 (rows: {_rows})",
                 "correct the shares (贡献比例) of this collection so that they add up to 1 (100%)",
                 _sum=pd.Series(sum_text, index=d.index, dtype=object),
                 _rows=_joined(chk, chk.where(off), line, "; "))

    # one amount, cost, standard quote and CRM id per collection (of two rows or more)
    for col, src, what in (("amount", "amount_v", "amount"), ("cost", "cost_v", "cost"),
                           ("standard_quote", "standard_quote_v", "standard quote"),
                           ("crm_id", "crm_id", "CRM id")):
        rows = np.flatnonzero(multi & chk.ok(col).to_numpy(dtype=bool))
        values = _text(d[src].iloc[rows])
        codes, uniques = V.factorize(values.to_numpy(dtype=object))
        pairs = np.unique(line[rows] * (len(uniques) + 1) + codes)     # distinct (collection, value)
        held = pairs // (len(uniques) + 1)
        many = np.isin(line[rows], held[np.flatnonzero(np.diff(held) == 0)])    # collections of 2+ values
        if many.any():
            split = np.zeros(len(d), dtype=bool)
            split[rows[many]] = True
            split = pd.Series(split, index=d.index)
            listing = values[many] + " (" + chk.where(split) + ")"
            chk.flag(split, col,
                     f"the rows of {{_line}} disagree on the {what}: {{_values}}",
                     f"every row of a collection gives the whole collection's {what}; its share of it "
                     f"comes from the share (贡献比例): write the same {what} on each row",
                     _values=_joined(chk, listing, line, ", "))

    check_duplicates(chk, [*LINE, "employee_id"],
                     "{employee_id} is in {_line} {_n} times (also {_others})",
                     "give each person one row per collection, with his whole share", column="employee_id")

    # a collection with a bad row is left out whole
    bad = (has_key & chk.bad).to_numpy(dtype=bool)
    if bad.any():
        spoiled = has_key.to_numpy(dtype=bool) & ~chk.bad.to_numpy(dtype=bool) & np.isin(line, line[bad])
        if spoiled.any():
            cause = bad & np.isin(line, line[spoiled])
            chk.flag(pd.Series(spoiled, index=d.index), None,
                     "{_line} has rows with errors ({_where}); the whole collection is left out so that "
                     "its shares still add up to 1",
                     "fix those rows of the collection",
                     _where=_joined(chk, chk.where(cause), line, "; "))


def _check_refunds(chk: Checker) -> None:
    """A refund without any collection of the same deal and revenue type is a warning."""
    d = chk.df
    ok = ~chk.bad & d["revenue_type_v"].notna()
    refund = ok & d["refund_v"].eq(True)
    if not refund.any():
        return
    pair = d["deal_id"] + "\x1f" + _text(d["revenue_type_v"])
    sold = set(pair[ok & d["refund_v"].eq(False)])
    chk.flag(refund & ~pair.isin(sold), "deal_id",
             "refund of {deal_id} {revenue_type_v} has no collection of that deal and revenue type in the inputs",
             "check the deal id and the revenue type (the refund is kept: it reduces the "
             "{revenue_type_v} credit of the quarter of its date)", severity="warning")


def check_deals_have_quotas(deals: Checker, have: set) -> None:
    """Warn about CRM deals of a person and quarter without a quarterly target. `have`: the
    (quarter, employee_id) of every quota kept (quota_keys)."""
    d = deals.df
    m = (~deals.bad & d["crm_id"].ne("") & d["quarter_v"].notna()).to_numpy(dtype=bool)
    if not m.any():
        return
    rows = np.flatnonzero(m)
    held = [key in have for key in zip(d["quarter_v"].to_numpy(dtype=object)[rows],
                                       d["employee_id"].to_numpy(dtype=object)[rows])]
    missing = np.zeros(len(d), dtype=bool)
    missing[rows] = ~np.array(held, dtype=bool)
    deals.flag(pd.Series(missing, index=d.index), "employee_id",
               "no quarterly target (季度任务) for {employee_id} in {quarter_v}",
               "add a row to the quotas table (季度任务) for {employee_id} and {quarter_v} "
               "(the deal is kept)", severity="warning")


def quota_keys(quarters, employees) -> set:
    """The (quarter, employee_id) pairs of the kept quota rows, for check_deals_have_quotas."""
    return set(zip(quarters, employees))


def _of_people(people: People, ids: pd.Series, *names: str) -> list[pd.Series]:
    """The roster's `names` columns (hire, leave, department, ...) of each row's employee (None for
    anyone not kept, and where `ids` is None)."""
    at = people.at(ids.to_numpy(dtype=object))
    return [pd.Series(people.values(name, at), index=ids.index, dtype=object) for name in names]


def _dated_employment(chk: Checker, people: People, kept: pd.Series) -> None:
    d = chk.df
    m = kept & chk.ok("date") & d["date_v"].notna()
    if not m.any():
        return
    hire, leave = _of_people(people, d["employee_id"].where(m, None), "hire", "leave")
    when = pd.to_datetime(d["date_v"].where(m, None))
    fix = "check the employee and the date (the row is kept)"
    chk.flag(m & (when < pd.to_datetime(hire)), "date", "{employee_id} was hired on {_hire}, after {date_v}",
             fix, severity="warning", _hire=hire)
    chk.flag(m & (when > pd.to_datetime(leave)), "date", "{employee_id} left on {_leave}, before {date_v}",
             fix, severity="warning", _leave=leave)


def share_text(value) -> str:
    """A share or a sum of shares as people write it: 50%, 33.33%, 1/3, 110%."""
    f = Fraction(value)
    exact = V.share_value(f) if f > 0 else Decimal(f.numerator) / Decimal(f.denominator)
    if isinstance(exact, Fraction):
        return f"{f.numerator}/{f.denominator}"
    return format((exact * 100).normalize(), "f") + "%"


# quotas 季度任务 -----------------------------------------------------------------------------
def check_quotas(chk: Checker, people: People, within: Period | None) -> None:
    d = chk.df
    labels = parse_unit(chk, "quarter", "quarter")
    end = cutoff(within)
    if end is not None:
        chk.keep(labels.isna() | V.map_unique(labels, lambda p: V.period_of(p).start <= end).eq(True))
        d = chk.df
    check_blanks(chk)
    kept = check_employees(chk, people)
    _quarter_employment(chk, people, kept)
    parse_money(chk, "target", "target")
    dept_target = parse_money(chk, "department_target", "department target")
    check_duplicates(chk, ["quarter_v", "employee_id"],
                     "{_n} rows give the target of {employee_id} for {quarter_v} (also {_others})",
                     "keep one of these rows", column="employee_id")

    given = dept_target.notna() & kept
    (d["_department"],) = _of_people(people, d["employee_id"].where(given, None), "department")
    heads = people.heads() if given.any() else set()       # worked out over the whole roster: only when needed
    chk.flag(given & ~d["employee_id"].isin(heads), "department_target",
             "{employee_id} does not head {_department} in the roster (his manager is in the same "
             "department); a department target belongs on the department manager's row",
             "move the department target to the row of the manager of {_department}, or correct "
             "the roster's 上级工号 (the row is kept)", severity="warning")
    check_duplicates(chk, ["quarter_v", "_department"],
                     "{_n} rows give a department target for {_department} in {quarter_v} (also {_others})",
                     "give the department target on one row only: the department manager's",
                     column="department_target")


def _quarter_employment(chk: Checker, people: People, kept: pd.Series) -> None:
    d = chk.df
    m = kept & d["quarter_v"].notna()
    if not m.any():
        return
    hire, leave = _of_people(people, d["employee_id"].where(m, None), "hire", "leave")
    labels = d["quarter_v"].where(m, None)
    start = pd.to_datetime(V.map_unique(labels, lambda p: V.period_of(p).start))
    end = pd.to_datetime(V.map_unique(labels, lambda p: V.period_of(p).end))
    fix = "check the employee and the quarter (the row is kept)"
    chk.flag(m & (end < pd.to_datetime(hire)), "quarter", "{employee_id} was hired on {_hire}, after {quarter_v}",
             fix, severity="warning", _hire=hire)
    chk.flag(m & (start > pd.to_datetime(leave)), "quarter", "{employee_id} left on {_leave}, before {quarter_v}",
             fix, severity="warning", _leave=leave)


# wages 薪资 ------------------------------------------------------------------------------------
def check_wages(chk: Checker, people: People) -> None:
    d = chk.df
    check_blanks(chk)
    labels = parse_unit(chk, "quarter", "quarter")
    check_employees(chk, people)
    parse_money(chk, "floating_wage", "floating wage")
    parse_money(chk, "fixed_wage", "fixed wage")
    # "" = the row for every quarter; None = a quarter that could not be read (reported above)
    d["_quarter_key"] = labels.where(d["quarter"].ne(""), "")
    d["_which"] = ("for " + d["_quarter_key"].fillna("")).where(d["_quarter_key"].ne(""), "for every quarter")
    check_duplicates(chk, ["employee_id", "_quarter_key"],
                     "{_n} wage rows for {employee_id} {_which} (also {_others})",
                     "keep one of these rows (a row for a quarter wins over the row with a blank quarter)",
                     column="employee_id")


def effective_wages(wages: pd.DataFrame, quarters) -> pd.DataFrame:
    """The wages in force per quarter and person: the row of that quarter, else the row for
    every quarter (blank quarter). Columns: quarter, employee_id, floating_wage, fixed_wage,
    from_quarter_row, _file, _sheet, _row."""
    labels = [Period.parse(q).label for q in quarters]
    cols = ["quarter", "employee_id", "floating_wage", "fixed_wage", "from_quarter_row", "_file", "_sheet", "_row"]
    if wages.empty or not labels:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    qs = pd.DataFrame({"quarter": labels})
    specific = wages[wages["quarter"].isin(labels)].assign(from_quarter_row=True)
    general = wages[wages["quarter"].isna()].drop(columns="quarter").merge(qs, how="cross") \
        .assign(from_quarter_row=False)
    both = pd.concat([specific, general], ignore_index=True)
    both = both.sort_values(["quarter", "employee_id", "from_quarter_row"], ascending=[True, True, False],
                            kind="stable").drop_duplicates(["quarter", "employee_id"])
    return both[cols].reset_index(drop=True)


# pools 绩效工资预算 ------------------------------------------------------------------------------
def check_pools(chk: Checker, people: People) -> None:
    d = chk.df
    check_blanks(chk)
    parse_unit(chk, "year", "year")
    known = sorted(people.departments)
    chk.flag(d["department"].ne("") & ~d["department"].isin(people.departments), "department",
             "department {department} is not in the roster",
             f"use a department of the roster: {', '.join(known) or '(the roster is empty)'}")
    parse_money(chk, "budget", "budget")
    check_duplicates(chk, ["year_v", "department"],
                     "{_n} rows give the {year_v} budget of {department} (also {_others})",
                     "keep one of these rows", column="budget")
