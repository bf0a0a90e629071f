"""The `perfpay` command."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import os
import sys
import threading
from pathlib import Path

from . import ahead
from .errors import PerfpayError
from .periods import Period


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--inputs", default="inputs", help="folder of input tables (default: inputs/)")
    p.add_argument("--params", default="params", help="folder of params YAML (default: params/)")


PERIODS = "2026-07, 2026Q3, 2026H2 or 2026"


def _job(sub, name: str, help: str, verb: str, period_help: str = PERIODS, departments: bool = True):
    """A subcommand that works on one period and writes under --out."""
    p = sub.add_parser(name, help=help)
    p.add_argument("--period", required=True, help=period_help)
    if departments:
        p.add_argument("--department", action="append", help="only this department (repeatable)")
    p.add_argument("--out", default="outputs", help="output folder (default: outputs/)")
    p.add_argument("--skip-invalid", action="store_true",
                   help=f"{verb} the valid rows even when some rows have errors (they are listed)")
    _common(p)
    return p


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfpay", description="Performance scores and pay.")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="validate inputs and params; list every problem")
    check.add_argument("--period", help=f"only rows of this period ({PERIODS.replace(' or ', ', ')})")
    _common(check)

    _job(sub, "score", "score a period and write scores.csv and explain.csv", "score")
    _job(sub, "pay", "compute commission, bonus, pool and awards of a period", "pay",
         "2026Q3 (commission, awards), 2026-07 (bonus), 2026 (pool)", departments=False)
    _job(sub, "kpis", "compute the KPIs of the raw records and write kpis.csv per department", "compute on")
    run = _job(sub, "run", "the whole period: data files, then every report notebook due, as HTML", "run on")
    run.add_argument("--jobs", type=int, default=None,
                     help="notebooks run at the same time, one kernel each (default: the number of CPUs, "
                          "or with --scheduler the threads of the cluster's workers)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="run the notebooks on the Dask cluster of this scheduler (tcp://host:8786) instead "
                          "of this machine; needs pip install \"perfpay[dask]\"")
    run.add_argument("--notebooks", default="notebooks", help="folder of the report notebooks (default: notebooks/)")
    return parser


# what a command run by run() holds, left for os._exit rather than freed object by object
# (0.1-0.2 s and 60,000 page faults after scoring 100,000 people); None under main() alone
_KEPT: list | None = None


def _keep(*things) -> None:
    if _KEPT is not None:
        _KEPT.extend(things)


def _load(args, period):
    from .load import load
    from .params import load_params

    params = load_params(Path(args.params))
    inputs = load(Path(args.inputs), params, period)
    _keep(params, inputs)
    return params, inputs


def cmd_check(args) -> int:
    period = Period.parse(args.period) if args.period else None
    _, inputs = _load(args, period)
    report = inputs.report
    print(report.format() if report.problems else f"no problems found in {args.inputs}")
    return 1 if report.has_errors else 0


def _refuse(report, what: str, skipped_file: str) -> int:
    print(report.format(), file=sys.stderr)
    print(f"{report.summary()}\n{what}: fix the errors above, or pass --skip-invalid to use the valid "
          f"rows (the skipped rows are then listed in {skipped_file})", file=sys.stderr)
    return 1


def _departments(args, known: list[str]) -> list[str] | None:
    """The departments asked for (all `known` by default); None, said why, when one is unknown."""
    wanted = args.department or known
    unknown = [d for d in wanted if d not in known]
    if unknown:
        print(f"unknown department(s) {unknown}; the roster has {known}", file=sys.stderr)
        return None
    return wanted


def cmd_score(args) -> int:
    from .jobs import score_files, scored_departments
    from .output import Staging

    period = Period.parse(args.period)
    params, inputs = _load(args, period)
    report = inputs.report
    if report.has_errors and not args.skip_invalid:
        return _refuse(report, "not scored", "problems.csv")
    wanted = _departments(args, scored_departments(inputs))
    if wanted is None:
        return 2
    out = Path(args.out) / period.label
    scored = {}
    _keep(scored)
    with Staging(out) as staging:                   # the big files are written while the rest is scored
        files, messages = score_files(params, inputs, period, wanted, out, results=scored, add=staging.add,
                                      later=True)
        _keep(files)
        if report.problems:
            files[out / "problems.csv"] = report.to_frame()
            staging.add(out / "problems.csv", files[out / "problems.csv"])
        print("\n".join(messages))
    if report.problems:
        print(report.summary())
    print(f"wrote {len(files)} files under {out}/")
    return 0


def cmd_kpis(args) -> int:
    from .jobs import kpi_files
    from .output import write_all

    period = Period.parse(args.period)
    params, inputs = _load(args, period)
    report = inputs.report
    if report.has_errors and not args.skip_invalid:
        return _refuse(report, "no KPIs computed", "kpi_problems.csv")
    wanted = _departments(args, sorted(inputs.roster["department"].dropna().unique()))
    if wanted is None:
        return 2
    out = Path(args.out) / period.label
    files, messages = kpi_files(params, inputs, period, wanted, out)
    _keep(files)
    if report.problems:
        files[out / "kpi_problems.csv"] = report.to_frame()
    print("\n".join(messages))
    write_all(files)
    print(f"wrote {len(files)} files under {out}/")
    return 0


def cmd_pay(args) -> int:
    from .jobs import pay_files
    from .output import write_all

    period = Period.parse(args.period)
    params, inputs = _load(args, period)
    report = inputs.report
    if report.has_errors and not args.skip_invalid:
        return _refuse(report, "nothing paid", "pay_problems.csv")
    out = Path(args.out) / period.label
    files, messages = pay_files(params, inputs, period, out)
    _keep(files)
    if report.problems:
        files[out / "pay_problems.csv"] = report.to_frame()
    print("\n".join(messages))
    write_all(files)
    print(f"wrote {len(files)} files under {out}/")
    return 0


def cmd_run(args) -> int:
    from .batch import run_period
    from .errors import InputError

    if args.jobs is not None and args.jobs < 1:
        print("--jobs needs a number of 1 or more", file=sys.stderr)
        return 2
    try:
        result = run_period(args.period, inputs_dir=args.inputs, params_dir=args.params, out_dir=args.out,
                            notebooks_dir=args.notebooks, departments=args.department, jobs=args.jobs,
                            skip_invalid=args.skip_invalid, scheduler=args.scheduler)
    except InputError as exc:
        return _refuse(exc.report, "nothing run", "problems.csv")
    return 0 if result.ok else 1


# glibc malloc's options (mallopt(3)): blocks up to 32 MiB come from the heap, which grows 64 MiB
# at a time and is not trimmed, so that a table's freed memory is taken again by the next one
# instead of going back to the system and being faulted in anew, page by page
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
KEEP_FREED = ((M_MMAP_THRESHOLD, 32 << 20), (M_TRIM_THRESHOLD, 1 << 30), (M_TOP_PAD, 64 << 20))


def keep_freed_memory() -> bool:
    """Set KEEP_FREED, where the C library is glibc (a fifth fewer page faults for `perfpay score`
    on 100,000 people: 0.25 s less of the system's time). False where it is not."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all([mallopt(option, value) == 1 for option, value in KEEP_FREED])


def main(argv: list[str] | None = None) -> int:
    # perfpay does no linear algebra: numpy's OpenBLAS threads, started when it is imported, would
    # only spin (0.1 s of the core the read-ahead parses on); the notebooks' kernels inherit it
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    keep_freed_memory()
    args = _parser().parse_args(argv)
    if getattr(args, "inputs", None):
        ahead.start(args.inputs)        # the CSV files are parsed while pandas is imported
    try:
        if args.command == "check":
            return cmd_check(args)
        if args.command == "pay":
            return cmd_pay(args)
        if args.command == "run":
            return cmd_run(args)
        if args.command == "kpis":
            return cmd_kpis(args)
        return cmd_score(args)
    except PerfpayError as exc:
        print(f"perfpay: {exc}", file=sys.stderr)
        return 2


def run() -> None:
    """The `perfpay` command: main(), then an exit that runs the exit handlers (atexit: logging,
    multiprocessing, temporary folders) but does not free the tables object by object on the way
    out (0.1-0.2 s after scoring 100,000 people; the commands keep them till then, see _keep).
    With another thread still running, or under a profiler or a tracer (which report after the
    program), the usual exit."""
    global _KEPT
    _KEPT = []
    code = main()
    if threading.active_count() > 1 or sys.getprofile() is not None or sys.gettrace() is not None:
        _KEPT = None
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
