"""`perfpay run` for one period over N departments with --jobs 1 and --jobs 2, against the floor:
a bare papermill + nbconvert run of an empty notebook that imports the same libraries.

    python bench/batch.py [--departments 6] [--people 300] [--period 2026Q3] [--smoke]

A synthetic company holds each department of the sample --departments / 3 times over (客户服务部,
大客户部, BD组, 客户服务部2, ...). `perfpay run` runs as a child process, once with --jobs 1 and
once with --jobs 2; the notebook figures come from the run's own run.json (timings of the
notebook stage, after the data files). The floor runs in a child process that has imported
papermill and nbconvert: execute the empty notebook in a fresh kernel, export it as HTML;
--repeat times before the --jobs 1 run and as many after the --jobs 2 run, so that a slow
spell of the machine during the runs falls on the floor too; the best of them (the target), with
their mean printed beside for information (the notebook figure is itself a mean over one run of
each notebook).
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import common
import synth
from common import Figure

NAME = "batch"
SIZES = {"departments": (6, 1), "people": (300, 20)}
TARGETS = {"per_notebook": 1.5, "speed_up": 1.6}
IMPORTS = "from IPython.display import display\nfrom perfpay.report import load, summary, tables, charts"
REPORT = common.ROOT / "notebooks" / "department_report.ipynb"


def floor_child(repeat: int, period: str) -> None:
    """Best time of: papermill runs the empty notebook, nbconvert writes its HTML. Printed as JSON."""
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    source = nbformat.read(REPORT, as_version=4)
    nb = nbformat.v4.new_notebook(metadata=source.metadata)
    params = nbformat.v4.new_code_cell(f"period = {period!r}\ndepartment = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(IMPORTS)]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        empty, done = Path(tmp) / "empty.ipynb", Path(tmp) / "done.ipynb"
        nbformat.write(nb, empty)
        for _ in range(repeat):
            t0 = time.perf_counter()
            pm.execute_notebook(str(empty), str(done), parameters={"period": period}, cwd=tmp,
                                progress_bar=False, log_output=False)
            body, _ = HTMLExporter().from_filename(str(done))
            (Path(tmp) / "done.html").write_text(body, encoding="utf-8")
            runs.append(time.perf_counter() - t0)
    print(json.dumps({"seconds": min(runs), "runs": runs}))


def run(inputs: Path, out: Path, period: str, jobs: int, departments: list[str] | None) -> dict:
    cmd = [common.PYTHON, "-m", "perfpay.cli", "run", "--period", period, "--inputs", inputs,
           "--params", synth.PARAMS, "--out", out, "--jobs", jobs]
    for d in departments or []:
        cmd += ["--department", d]
    child = common.measured(cmd).check(f"perfpay run --jobs {jobs}")
    record = json.loads((out / period / "run.json").read_text(encoding="utf-8"))
    failed = [nb["key"] for nb in record["notebooks"] if nb["status"] != "ok"]
    if failed:
        raise RuntimeError(f"perfpay run --jobs {jobs}: notebooks failed: {failed}")
    return {"wall": child.seconds, "notebooks": len(record["notebooks"]), **record["timings"],
            "each": {nb["key"]: nb["seconds"] for nb in record["notebooks"]}}


def main(argv=None) -> int:
    args = common.options(__doc__.splitlines()[0], SIZES, argv,
                          period=(str, None, "period to run (default 2026Q3; --smoke: 2026-07)"),
                          floor_child=(str, None, "internal: measure the floor for this period"))
    if args.floor_child:
        floor_child(args.repeat, args.floor_child)
        return 0
    started = common.load()
    period = args.period or ("2026-07" if args.smoke else "2026Q3")
    months = [m.label for m in synth.Period.parse(period).months()]
    copies = math.ceil(args.departments / 3)
    company = synth.make_company(people=args.people, branches=4, months=months, departments=copies)
    names = sorted({p.department for p in company.people},
                   key=lambda d: (d.rstrip("0123456789") != d, ["客户服务部", "大客户部", "BD组"].index(
                       d.rstrip("0123456789")), d))
    chosen = names[:args.departments]
    narrowed = chosen if len(chosen) < len(names) else None     # all: the company overview runs too

    def measure_floor() -> list:
        return common.child_json(common.measured(
            [common.PYTHON, __file__, "--floor-child", period, "--repeat", args.repeat]).check("the floor"))["runs"]
    tmp = Path(tempfile.mkdtemp(prefix="perfpay-bench-"))
    try:
        inputs = tmp / "inputs"
        company.write(inputs)
        floor_runs = measure_floor()
        one = run(inputs, tmp / "jobs1", period, 1, narrowed)
        two = run(inputs, tmp / "jobs2", period, 2, narrowed)
        if not args.smoke:                          # the floor again, on the other side of the runs
            floor_runs += measure_floor()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    floor = min(floor_runs)
    n = one["notebooks"]
    per = one["notebooks_seconds"] / n
    figures = [
        Figure("floor: empty notebook, papermill + nbconvert", floor, "s",
               note=f"best of {len(floor_runs)}, before and after the runs; "
                    f"mean {sum(floor_runs) / len(floor_runs):.2f} s"),
        Figure("perfpay run --jobs 1, per notebook", per, "s",
               note=f"{n} notebooks in {one['notebooks_seconds']:.1f} s; data files {one['data_seconds']:.1f} s"),
        Figure("per notebook / floor", per / floor, "×", "<=", TARGETS["per_notebook"]),
        Figure("perfpay run --jobs 2, notebooks", two["notebooks_seconds"], "s",
               note=f"{two['notebooks']} notebooks; wall {two['wall']:.1f} s (jobs 1: {one['wall']:.1f} s)"),
        Figure("speed-up of --jobs 2", one["notebooks_seconds"] / two["notebooks_seconds"], "×", ">=",
               TARGETS["speed_up"]),
    ]
    facts = {"period": period, "departments": chosen, "company_overview": narrowed is None, "people": args.people,
             "jobs_1": one, "jobs_2": two, "floor_seconds": floor,
             "floor_runs_seconds": [round(r, 3) for r in floor_runs],
             "floor_notebook": "parameters cell + " + IMPORTS.replace("\n", "; ")}
    title = f"perfpay run {period} over {len(chosen)} departments ({n} notebooks)"
    common.report(NAME, title, figures, facts, args.smoke, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
