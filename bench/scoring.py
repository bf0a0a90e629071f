"""Scoring one month for 100,000 people from frames in memory: perfpay.scorecard.score against
the same totals computed person by person in plain Decimal arithmetic (bench/reference.py).

    python bench/scoring.py [--people 100000] [--sample 2000] [--smoke] [--profile]

The vectorised scorer runs in a child process that loads the frames and scores them: its time
is the best of --repeat runs, its peak memory that child's peak resident set (frames
included). The frames are as load_inputs returns them: with the integers and codes it works
out once for every scoring (Inputs.memo; bench/synth.py hands them back the same way). The reference is timed on --sample people and scaled linearly to everyone (it
works one person at a time, so its time is proportional to the people scored); both must
give the same total and grade to every person of the sample. The child and the reference run
twice, in turns (child, reference, reference, child), so that a slow spell of the machine falls
on both; the best of each is kept.
"""

from __future__ import annotations

import json
import pickle
import random
import sys
import tempfile
import time
from pathlib import Path

import common
import reference
import synth
from common import MiB, Figure

from perfpay.inputs import Inputs
from perfpay.params import load_params
from perfpay.scorecard import score

NAME = "scoring"
MONTH = "2026-07"
SIZES = {"people": (100_000, 300), "branches": (400, 3), "sample": (2_000, 100)}
TARGETS = {"vectorised": 1.0, "speed_up": 50, "peak_mib": 2048}


def child(frames: str, repeat: int) -> None:
    """Score the pickled frames `repeat` times; print the best time as JSON."""
    params = load_params(synth.PARAMS)
    with open(frames, "rb") as fh:
        inputs = pickle.load(fh)
    params.catalog(MONTH)                                  # params read, as in any session
    score(params, only(inputs, set(inputs.roster["employee_id"][:20])), MONTH)   # imports, first calls
    before = rss()
    best, scored = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = score(params, inputs, MONTH)
        best = min(best, time.perf_counter() - t0)
        scored = len(result.scores)
        del result
    print(json.dumps({"seconds": best, "scored": scored, "rss_before": before}))


def rss() -> int:
    """Resident set of this process now, bytes (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


def only(inputs: Inputs, ids: set) -> Inputs:
    """The frames of `ids` alone."""
    return Inputs(**{t: getattr(inputs, t)[getattr(inputs, t)["employee_id"].isin(ids)]
                     for t in ("roster", "targets", "actuals", "events", "ratings", "adjustments")})


def compare(vectorised, ref: dict) -> list[str]:
    """Every person of the sample whose total or grade differs between the two scorers."""
    problems = []
    units = vectorised.units
    for r in units.itertuples(index=False):
        total, grade = ref.pop((r.period, r.employee_id), (None, None))
        if total is None or int(total * 100) != int(r.total_c) or grade != r.grade:
            problems.append(f"{r.employee_id} {r.period} {r.card}: vectorised {int(r.total_c) / 100} {r.grade}, "
                            f"reference {total} {grade}")
    problems += [f"{eid} {period}: scored by the reference only" for period, eid in ref]
    return problems


def main(argv=None) -> int:
    args = common.options(__doc__.splitlines()[0], SIZES, argv, child=(str, None, "internal: pickled frames"))
    if args.child:
        child(args.child, args.repeat)
        return 0
    started = common.load()
    t0 = time.perf_counter()
    company = synth.make_company(people=args.people, branches=args.branches, months=[MONTH],
                                 cards=synth.MONTHLY, deals=0)
    made = time.perf_counter() - t0
    params = load_params(synth.PARAMS)

    ids = sorted(p.id for p in company.people)
    sample = set(random.Random(2026).sample(ids, min(args.sample, len(ids))))
    small = only(company.inputs, sample)
    with tempfile.TemporaryDirectory() as tmp:
        frames = Path(tmp) / "inputs.pickle"
        with open(frames, "wb") as fh:
            pickle.dump(company.inputs, fh, protocol=pickle.HIGHEST_PROTOCOL)

        def vectorised():
            run = common.measured([common.PYTHON, __file__, "--child", frames, "--repeat", args.repeat])
            return run, common.child_json(run.check("the vectorised scorer"))
        turns = common.in_turns({"vectorised": vectorised, "reference": lambda: common.best_of(
            lambda: reference.score_people(params, small, MONTH), args.repeat)}, 1 if args.smoke else 2)
    run, got = min(turns["vectorised"], key=lambda r: r[1]["seconds"])
    run.peak = max(r.peak for r, _ in turns["vectorised"])
    ref_seconds, ref = min(turns["reference"], key=lambda r: r[0])
    scored = got["scored"]
    problems = compare(score(params, small, MONTH), dict(ref))
    if problems:
        print(f"{len(problems)} people differ between the vectorised scorer and the reference:", file=sys.stderr)
        print("\n".join(problems[:20]), file=sys.stderr)
        return 1
    scale = scored / len(sample)
    ref_full = ref_seconds * scale
    figures = [
        Figure("vectorised score", got["seconds"], "s", "<", TARGETS["vectorised"],
               note=f"{scored:,} people, best of {args.repeat}"),
        Figure("per-person Decimal reference", ref_full, "s",
               note=f"timed on {len(sample):,} people ({ref_seconds:.3f} s) × {scale:,.1f}"),
        Figure("speed-up", ref_full / got["seconds"], "×", ">=", TARGETS["speed_up"]),
        Figure("peak memory", run.peak / MiB, "MiB", "<", TARGETS["peak_mib"],
               note=f"child process, frames in memory {got['rss_before'] / MiB:,.0f} MiB before scoring"),
    ]
    facts = {"month": MONTH, "people": args.people, "scored": scored, "branches": args.branches,
             "rows": company.rows(), "sample": len(sample), "reference_sample_seconds": ref_seconds,
             "agree": f"totals and grades equal for all {len(sample):,} people of the sample",
             "generation_seconds": round(made, 1), "repeat": args.repeat}
    title = f"scoring one month ({MONTH}) for {scored:,} people from frames in memory"
    common.report(NAME, title, figures, facts, args.smoke, started)
    print(f"  totals and grades agree on all {len(sample):,} people of the sample")
    if args.profile:
        common.hot_spots(lambda: score(params, company.inputs, MONTH), NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
