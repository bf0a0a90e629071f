"""Bench of the call KPIs on a year of calls (issue 5): not a timed test, a script.

    python bench/kpis.py               # 10 million calls, 2,000 agents, 2026
    python bench/kpis.py --rows 1000000
    python bench/kpis.py --smoke       # 50,000 calls: checks the script end to end

Writes the calls as one Parquet file in a temporary folder (typed columns, as a call-centre
export to Parquet has them; --text-times 1 writes the times as text instead), then times, each
in a fresh process so that its peak memory is its own:
  - the bare read: pyarrow.parquet.read_table and pandas.read_parquet of the file;
  - the KPI computation: perfpay's load_records (read, parse, check every row against the
    roster) and service_kpis of the monthly call KPIs per agent, team, branch and department.
Targets on the 2-core machine: computation no longer than the pandas read, peak under 4 GiB.
The pandas read and the computation run twice, in turns (read, computation, computation, read),
so that a slow spell of the machine falls on both; the best of each is kept.
Prints the table of bench/common.py and writes bench/results/kpis.json (kpis_smoke.json).
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import common

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
CHUNK = 1_000_000


# data -------------------------------------------------------------------------------------------
def roster(agents: int) -> pd.DataFrame:
    """Agents in teams of 20 under a supervisor, four sites."""
    sites = ["", "华东分部", "华北分部", "华南分部"]
    teams = (agents + 19) // 20
    ids = [f"A{i:05d}" for i in range(agents)]
    bosses = [f"S{t:04d}" for t in range(teams)]
    rows = [(e, "客户服务部", sites[(i // 20) % 4], bosses[i // 20]) for i, e in enumerate(ids)]
    rows += [(b, "客户服务部", sites[t % 4], "") for t, b in enumerate(bosses)]
    return pd.DataFrame(rows, columns=["employee_id", "department", "branch", "manager_id"])


def write_calls(path: Path, rows: int, agents: int, text_times: bool, seed: int = 5) -> None:
    """`rows` calls over 2026 in row groups of a million, drawn column by column."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-01-01T00:00:00", "s")
    year = 365 * 86400
    writer = None
    for first in range(0, rows, CHUNK):
        n = min(CHUNK, rows - first)
        offered = start + rng.integers(0, year, n).astype("timedelta64[s]")
        inbound = rng.random(n) < 0.85
        abandoned = inbound & (rng.random(n) < 0.08)
        wait = rng.integers(2, 90, n).astype("timedelta64[s]")
        talk = rng.integers(20, 900, n)
        hold = np.where(rng.random(n) < 0.2, rng.integers(5, 120, n), 0)
        wrap = rng.integers(0, 90, n)
        answered = np.where(abandoned, np.datetime64("NaT"), offered + wait)
        ended = np.where(abandoned, offered + wait, answered + (talk + hold).astype("timedelta64[s]"))
        ids = pc.utf8_lpad(pc.cast(pa.array(np.arange(first, first + n)), pa.string()), width=10, padding="0")
        agent = rng.integers(0, agents, n)
        times = {"offered_at": offered, "answered_at": answered, "ended_at": ended}
        cols = {
            "call_id": pc.binary_join_element_wise("C", ids, ""),
            "agent_id": pa.array([f"A{i:05d}" for i in range(agents)]).take(pa.array(agent)),
            "customer_id": pc.binary_join_element_wise(
                "U", pc.cast(pa.array(rng.integers(0, 500_000, n)), pa.string()), ""),
            "direction": pa.array(np.where(inbound, "in", "out")),
            **{k: (pc.strftime(pa.array(v, type=pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")
                   if text_times else pa.array(v, type=pa.timestamp("s"))) for k, v in times.items()},
            "talk_s": pa.array(np.where(abandoned, 0, talk).astype(np.int32),
                               mask=abandoned),
            "hold_s": pa.array(hold.astype(np.int32)),
            "wrap_s": pa.array(wrap.astype(np.int32)),
            "category": pa.array(np.array(["账单", "故障", "安装", "咨询", "投诉", "退订", "变更", "其他"])[
                rng.integers(0, 8, n)]),
            "abandoned": pa.array(abandoned),
        }
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


# the measured steps, each in a child process ------------------------------------------------------
def child(step: str, folder: Path, agents: int) -> dict:
    """Time one step inside the child (imports excluded); its peak memory is the child's own."""
    path = folder / "records" / "calls.parquet"
    out = {}
    t = time.perf_counter()
    if step == "arrow_read":
        out["rows"] = pq.read_table(path).num_rows
    elif step == "pandas_read":
        out["rows"] = len(pd.read_parquet(path))
    else:
        from perfpay.kpis.records import load_records
        from perfpay.kpis.service import CALL_KPIS, service_kpis
        people = roster(agents)
        records = load_records(folder, roster=people)
        out["load_seconds"] = time.perf_counter() - t
        t2 = time.perf_counter()
        kpis = service_kpis(records, people, MONTHS, kpis=CALL_KPIS)
        out["kpi_seconds"] = time.perf_counter() - t2
        out.update(rows=len(records["calls"]), problems=len(records.report), kpi_rows=len(kpis),
                   person_rows=int((kpis["level"] == "person").sum()))
        answer = kpis[(kpis["level"] == "department") & (kpis["kpi"] == "answer_rate")]
        out["department_answer_rate_2026_01"] = str(answer["value"].iloc[0]) if len(answer) else None
    out["seconds"] = time.perf_counter() - t
    out["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


def run_child(step: str, folder: Path, agents: int) -> dict:
    run = common.measured([common.PYTHON, __file__, "--child", step, str(folder), str(agents)]).check(step)
    return {**common.child_json(run), "peak_bytes": run.peak}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(child(argv[1], Path(argv[2]), int(argv[3]))))
        return 0
    args = common.options("KPI computation on a year of calls vs the bare read of the file",
                          {"rows": (10_000_000, 50_000), "agents": (2000, 200)}, argv,
                          text_times=(int, 0, "1: the times are text in the Parquet file (perfpay parses them)"))
    started = common.load()
    with tempfile.TemporaryDirectory(prefix="perfpay-bench-") as tmp:
        folder = Path(tmp)
        (folder / "records").mkdir()
        t = time.perf_counter()
        write_calls(folder / "records" / "calls.parquet", args.rows, args.agents, bool(args.text_times))
        made = time.perf_counter() - t
        size = (folder / "records" / "calls.parquet").stat().st_size
        arrow = run_child("arrow_read", folder, args.agents)
        turns = common.in_turns({step: lambda step=step: run_child(step, folder, args.agents)
                                 for step in ("pandas_read", "kpis")}, 1 if args.smoke else 2)
        pandas, kpis = (min(turns[step], key=lambda r: r["seconds"]) for step in ("pandas_read", "kpis"))
        for step, best in (("pandas_read", pandas), ("kpis", kpis)):     # the peak of every run
            best["peak_bytes"] = max(r["peak_bytes"] for r in turns[step])
            best["runs_seconds"] = [round(r["seconds"], 3) for r in turns[step]]
    mib = common.MiB
    figures = [
        common.Figure("bare read: pyarrow.parquet.read_table", arrow["seconds"], "s"),
        common.Figure("bare read: pandas.read_parquet", pandas["seconds"], "s"),
        common.Figure("load_records (read, parse, check)", kpis["load_seconds"], "s"),
        common.Figure("service_kpis (12 months, call KPIs, 4 levels)", kpis["kpi_seconds"], "s"),
        common.Figure("computation: load_records + service_kpis", kpis["seconds"], "s", "<=", pandas["seconds"],
                      note="target: the pandas read"),
        common.Figure("peak memory of the computation", kpis["peak_bytes"] / mib, "MiB", "<", 4 * 1024),
        common.Figure("peak memory of the pandas read", pandas["peak_bytes"] / mib, "MiB"),
    ]
    title = (f"KPIs from {args.rows:,} calls of {args.agents:,} agents over 2026 "
             f"(Parquet {size / mib:,.0f} MiB{', times as text' if args.text_times else ''})")
    facts = {"rows": args.rows, "agents": args.agents, "text_times": bool(args.text_times), "parquet_bytes": size,
             "write_seconds": round(made, 2), "arrow_read": arrow, "pandas_read": pandas, "computation": kpis,
             "pandas": pd.__version__, "pyarrow": pa.__version__, "numpy": np.__version__}
    common.report("kpis", title, figures, facts, smoke=args.smoke, started=started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
