"""`perfpay run` for a quarter of a 10,000-person company, as finance runs it: every data file
(CSV, scorecards.xlsx with a sheet per person, a commission statement per salesperson) and every
notebook, with --jobs 2.

    python bench/quarter.py [--people 10000] [--branches 40] [--smoke]

The company holds the sample's three departments in the sample's mix (about 6,000 in 客户服务部,
2,200 salespeople in 大客户部, 1,700 in BD组). The target is perfpay's reading of "finance runs a
quarter in minutes" on this 2-core machine: the whole run within 5 minutes. Beside it, from the
run's own run.json: the data files and the notebooks, and the largest HTML report.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import common
import synth
from common import Figure

NAME = "quarter"
SIZES = {"people": (10_000, 60), "branches": (40, 3)}
TARGETS = {"run_seconds": 300.0}
PERIOD = "2026Q3"
MiB = 1 << 20


def main(argv=None) -> int:
    args = common.options(__doc__.splitlines()[0], SIZES, argv)
    started = common.load()
    months = [m.label for m in synth.Period.parse(PERIOD).months()]
    company = synth.make_company(people=args.people, branches=args.branches, months=months)
    tmp = Path(tempfile.mkdtemp(prefix="perfpay-bench-"))
    try:
        inputs, out = tmp / "inputs", tmp / "out"
        company.write(inputs)
        child = common.measured([common.PYTHON, "-m", "perfpay.cli", "run", "--period", PERIOD, "--inputs", inputs,
                                 "--params", synth.PARAMS, "--out", out, "--jobs", 2]).check("perfpay run")
        record = json.loads((out / PERIOD / "run.json").read_text(encoding="utf-8"))
        failed = [nb["key"] for nb in record["notebooks"] if nb["status"] != "ok"]
        if failed:
            raise RuntimeError(f"perfpay run: notebooks failed: {failed}")
        pages = sorted((out / PERIOD).rglob("*.html"), key=lambda p: -p.stat().st_size)
        largest = pages[0]
        largest_name, largest_size = largest.relative_to(out / PERIOD).as_posix(), largest.stat().st_size
        people = {d: sum(1 for p in company.people if p.department == d) for d in {p.department for p in company.people}}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    timings = record["timings"]
    figures = [
        Figure("perfpay run, the whole quarter", child.seconds, "s", "<", TARGETS["run_seconds"],
               note=f"{args.people:,} people, --jobs 2"),
        Figure("data files", timings["data_seconds"], "s",
               note=f"{len(record['data_files'])} files, {timings['data_seconds'] / args.people * 1000:.1f} ms a person"),
        Figure("notebooks", timings["notebooks_seconds"], "s", note=f"{len(record['notebooks'])} notebooks"),
        Figure("largest HTML report", largest_size / 1e6, "MB", note=largest_name),
        Figure("peak memory of the main process", child.peak / MiB, "MiB"),
    ]
    facts = {"period": PERIOD, "people": args.people, "branches": args.branches, "departments": people,
             "timings": timings, "data_files": len(record["data_files"]),
             "notebooks": {nb["key"]: nb["seconds"] for nb in record["notebooks"]},
             "largest_html": {"file": largest_name, "bytes": largest_size}}
    common.report(NAME, f"perfpay run {PERIOD} for {args.people:,} people", figures, facts, args.smoke, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
