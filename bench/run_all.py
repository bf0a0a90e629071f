"""Every bench, one after the other, then every figure beside its target (what `make bench` runs).

    python bench/run_all.py [--smoke] [--only scoring ledger ...]

Each bench runs as its own process (so one's memory does not weigh on the next) and writes
bench/results/<name>.json; this collects them into bench/results/summary.json. The exit code
is 1 when a bench could not run, 0 otherwise: a missed target is a finding, shown as MISS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import common

BENCHES = ["scoring", "score_e2e", "ledger", "batch", "html_size", "quarter"]
OPTIONAL = ["kpis"]            # run when the script exists (it belongs to the KPI work)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: checks that every bench runs")
    ap.add_argument("--only", nargs="+", help="these benches only")
    ap.add_argument("--profile", action="store_true", help="print the hot spots of the benches that profile")
    args = ap.parse_args(argv)
    names = args.only or BENCHES + [n for n in OPTIONAL if (common.BENCH / f"{n}.py").exists()]
    started, t0 = common.machine(), time.perf_counter()
    print(f"machine at start: {started['uptime']} ({started['cpus']} CPUs)\n", flush=True)
    failed, tables = [], []
    for name in names:
        cmd = [common.PYTHON, str(common.BENCH / f"{name}.py")] + (["--smoke"] if args.smoke else []) + \
            (["--profile"] if args.profile and name in ("scoring", "score_e2e", "ledger") else [])
        print(f"== {name}", flush=True)
        if subprocess.run(cmd, cwd=common.ROOT).returncode != 0:
            failed.append(name)
            continue
        path = common.RESULTS / f"{name}{'_smoke' if args.smoke else ''}.json"
        if path.exists():
            tables.append(json.loads(path.read_text(encoding="utf-8")))
        print(flush=True)
    print("== every figure beside its target")
    for record in tables:
        figures = [common.Figure(**{k: v for k, v in f.items() if k != "target"}) for f in record["figures"]]
        print(common.table(record["title"], figures, record["smoke"]))
    ended = common.machine()
    print(f"machine at start: {started['uptime']}\nmachine at end:   {ended['uptime']} ({ended['cpus']} CPUs); "
          f"{time.perf_counter() - t0:.0f} s in all")
    misses = [f"{r['bench']}: {f['name']}" for r in tables for f in r["figures"] if f["ok"] is False]
    if misses:
        print(f"missed targets ({len(misses)}): " + "; ".join(misses))
    if failed:
        print(f"benches that could not run: {', '.join(failed)}", file=sys.stderr)
    summary = {"smoke": args.smoke, "machine_at_start": started, "machine_at_end": ended, "failed": failed,
               "benches": tables}
    common.RESULTS.mkdir(exist_ok=True)
    (common.RESULTS / f"summary{'_smoke' if args.smoke else ''}.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
