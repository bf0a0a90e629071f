"""The commission ledger for 100,000 salespeople over 8 quarters (SPEC 7).

    python bench/ledger.py [--people 100000] [--quarters 8] [--deals 2] [--smoke] [--profile]

A synthetic 大客户部 (大客户经理 and 大客户专员 in the sample's mix) collects about --deals
payments a person and quarter. Its deals are credited quarter by quarter (perfpay.pay.crediting,
timed once, no target, in the second figure's note) and turned into the ledger's quarter tables as `perfpay pay` does
(commission._quarter_frame; the KPI coefficient from a drawn quarterly score).

Two figures, best of --repeat each:
- the ledger (target): run_quarter over the quarters in order, as `perfpay pay` runs them, to
  the exact rows: every amount finance is paid or shown in fen, the cases, carry-over and
  shortfall, the texts of the entries filled, and the quarter's terms the formulas need;
- the ledger with its statement table (no target): the same, then ledger_text.table on every
  row: money as Decimal yuan and the formula text of each row, written out for all
  800,000 rows (perfpay pay writes them for the rows of the period it pays).
"""

from __future__ import annotations

import sys
import time

import common
import numpy as np
import pandas as pd
import synth
from common import Figure

from perfpay.params import load_params
from perfpay.pay import crediting
from perfpay.pay.commission import _quarter_frame
from perfpay.pay.ledger import LedgerParams, LedgerState, run_quarter
from perfpay.pay.ledger_text import table as ledger_table
from perfpay.periods import Period

NAME = "ledger"
FIRST = "2026Q1"
SIZES = {"people": (100_000, 200), "quarters": (8, 8), "deals": (1, 2)}
TARGETS = {"ledger": 2.0}


def quarters_from(first: str, n: int) -> list[Period]:
    out = [Period.parse(first)]
    while len(out) < n:
        out.append(out[-1].next())
    return out


def drawn_scores(inputs, quarters: list[Period], seed: int = 2026) -> pd.DataFrame:
    """A quarterly score (60.00 to 100.00) per salesperson and quarter: the KPI coefficient's source."""
    rng = np.random.default_rng(seed)
    ids = inputs.quotas["employee_id"].unique()
    return pd.DataFrame({"quarter": np.repeat([q.label for q in quarters], len(ids)),
                         "employee_id": np.tile(ids, len(quarters)),
                         "total_c": rng.integers(6_000, 10_001, len(ids) * len(quarters))})


def ledger(frames: list) -> pd.DataFrame:
    """The quarters in order from an empty ledger, as perfpay pay runs them: the exact rows."""
    state, rows = LedgerState(), []
    for q, frame, lp in frames:
        out, state = run_quarter(state, q, frame, lp, exact=True)
        rows.append(out)
    return pd.concat(rows, ignore_index=True)


def with_table(frames: list) -> pd.DataFrame:
    """The ledger, then its statement table with every formula written."""
    return ledger_table(ledger(frames))


def main(argv=None) -> int:
    args = common.options(__doc__.splitlines()[0], SIZES, argv)
    started = common.load()
    quarters = quarters_from(FIRST, args.quarters)
    t0 = time.perf_counter()
    company = synth.make_company(people=args.people, branches=max(1, args.people // 250), months=[],
                                 cards=synth.S.SALES_CARDS, quarters=[q.label for q in quarters], deals=args.deals)
    made = time.perf_counter() - t0
    inputs = company.inputs
    params = load_params(synth.PARAMS)
    scores = drawn_scores(inputs, quarters)

    t0 = time.perf_counter()
    sums = {}
    for q in quarters:
        lp = LedgerParams.load(params, q)
        sums[q.label] = (lp, crediting.credit(inputs.deals[inputs.deals["quarter"] == q.label], lp).sums())
    credit_seconds = time.perf_counter() - t0
    frames = [(q, _quarter_frame(q, sums[q.label][1], inputs, scores, sums[q.label][0]), sums[q.label][0])
              for q in quarters]

    seconds, rows = common.best_of(lambda: ledger(frames), args.repeat)
    full_seconds, table = common.best_of(lambda: with_table(frames), args.repeat)
    assert len(table) == len(rows)
    people = inputs.quotas["employee_id"].nunique()
    cases = rows["case"].astype(str).value_counts().sort_index().to_dict()
    figures = [
        Figure("ledger, all quarters", seconds, "s", "<", TARGETS["ledger"],
               note=f"{people:,} salespeople × {len(quarters)} quarters = {len(rows):,} rows, best of {args.repeat}"),
        Figure("ledger with its statement table (no target)", full_seconds, "s",
               note=f"every row's formula and Decimal yuan; crediting the {len(inputs.deals):,} deal rows "
                    f"took {credit_seconds:.2f} s, once"),
    ]
    facts = {"people": people, "quarters": [q.label for q in quarters], "deal_rows": len(inputs.deals),
             "ledger_rows": len(rows), "cases": cases, "generation_seconds": round(made, 1),
             "crediting_seconds": round(credit_seconds, 3)}
    common.report(NAME, f"commission ledger, {people:,} salespeople over {len(quarters)} quarters", figures, facts,
                  args.smoke, started)
    if args.profile:
        common.hot_spots(lambda: with_table(frames), NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
