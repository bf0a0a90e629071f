"""The benches of bench/ run at tiny sizes and report what they measure, so that they cannot rot.

Nothing here is timed and no speed is asserted: a smoke run checks that a script runs, prints
each figure beside its target and writes its JSON. The synthetic company is checked to be
exactly what perfpay reads, and the per-person reference to agree with the scorer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perfpay.inputs import load_inputs
from perfpay.scorecard import score

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import reference  # noqa: E402  (bench/ is a folder of scripts, not a package)
import synth  # noqa: E402

TABLES = ("roster", "targets", "actuals", "events", "ratings", "adjustments", "deals", "quotas", "wages", "pools")
QUARTER = ["2026-07", "2026-08", "2026-09"]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bench-results")


@pytest.fixture(scope="module")
def company():
    return synth.make_company(people=150, branches=3, months=QUARTER, departments=2, deals=2)


def smoke(script: str, results: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PERFPAY_BENCH_RESULTS": str(results)}
    done = subprocess.run([sys.executable, str(BENCH / script), "--smoke", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.parametrize("name, figures", [("scoring", 4), ("score_e2e", 4), ("ledger", 2), ("batch", 5),
                                           ("html_size", 1), ("quarter", 5)])
def test_a_bench_runs_and_reports_each_figure_beside_its_target(name, figures, results):
    out = smoke(f"{name}.py", results).stdout
    record = json.loads((results / f"{name}_smoke.json").read_text(encoding="utf-8"))
    assert record["bench"] == name and record["smoke"] is True
    assert len(record["figures"]) == figures
    for f in record["figures"]:
        assert f["name"] in out and f["value"] >= 0
        assert f["ok"] is None if f["op"] is None else f["target"] in out
    assert any(f["op"] for f in record["figures"]), "every bench has a target"
    assert record["machine_at_end"]["cpus"] and "load average" in out


def test_run_all_collects_the_figures(results):
    out = smoke("run_all.py", results, "--only", "ledger").stdout
    assert "every figure beside its target" in out and "ledger, all quarters" in out
    summary = json.loads((results / "summary_smoke.json").read_text(encoding="utf-8"))
    assert summary["failed"] == [] and [b["bench"] for b in summary["benches"]] == ["ledger"]


def test_the_synthetic_company_is_what_perfpay_reads(company, params, tmp_path):
    company.write(tmp_path)
    read = load_inputs(tmp_path, params.catalog)
    assert not read.report.has_errors, read.report.format()
    for table in TABLES:
        made = getattr(company.inputs, table).sort_values(["_file", "_row"], ignore_index=True)
        got = getattr(read, table).sort_values(["_file", "_row"], ignore_index=True)
        assert len(made) > 0, f"{table}: no rows generated"
        assert list(made.columns) == list(got.columns) and dict(made.dtypes) == dict(got.dtypes), table
        assert made.astype(str).equals(got.astype(str)), f"{table}: the frames differ from what perfpay reads"


def test_the_synthetic_company_is_the_same_for_the_same_seed(company, tmp_path):
    again = synth.make_company(people=150, branches=3, months=QUARTER, departments=2, deals=2)
    first = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in company.write(tmp_path / "a")}
    second = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in again.write(tmp_path / "b")}
    assert first == second
    other = synth.make_company(people=150, branches=3, months=QUARTER, departments=2, deals=2, seed=7)
    assert other.tables[1].frame.equals(company.tables[1].frame) is False


def test_the_per_person_reference_agrees_with_the_scorer(company, params):
    for period in ("2026-08", "2026Q3"):             # monthly cards, then the quarterly ones too
        scored = score(params, company.inputs, period)
        assert not scored.scores["flags"].str.contains("missing_actual").any(), "every actual is typed in"
        units = scored.units
        got = {(r.period, r.employee_id): (int(r.total_c), r.grade) for r in units.itertuples(index=False)}
        want = {k: (int(total * 100), grade) for k, (total, grade) in
                reference.score_people(params, company.inputs, period).items()}
        assert got == want


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="no /proc to sample")
def test_peak_memory_counts_a_forked_child_that_holds_its_own():
    import common

    script = ("import os, time\n"
              "shared = bytearray(400 * 2**20)\n"
              "pid = os.fork()\n"
              "if pid == 0:\n"
              "    mine = bytearray(400 * 2**20)\n"
              "    time.sleep(1)\n"
              "    os._exit(0)\n"
              "also = bytearray(400 * 2**20)\n"
              "os.waitpid(pid, 0)\n")
    # each process holds about 800 MiB, 400 of them shared: 1,200 MiB in all. (rusage may also
    # count the memory of the process that started the child, pytest's here, which is less.)
    whole = common.measured([common.PYTHON, "-c", script], whole_tree=True).check("forking child")
    alone = common.measured([common.PYTHON, "-c", script]).check("forking child")
    assert whole.peak >= 1100 * 2**20
    assert 790 * 2**20 <= alone.peak < 1100 * 2**20       # rusage: the larger process alone


def test_cpu_counts_a_forked_child_that_the_child_waited_for():
    import common

    # the forked child spends about 0.6 s of CPU and the parent about 0.3 s after it, both by the
    # CPU clock (not by sleeping): the run's CPU holds both, over a wall time of about 0.9 s
    script = ("import os, time\n"
              "def burn(s):\n"
              "    end = time.process_time() + s\n"
              "    while time.process_time() < end:\n"
              "        pass\n"
              "pid = os.fork()\n"
              "if pid == 0:\n"
              "    burn(0.6)\n"
              "    os._exit(0)\n"
              "os.waitpid(pid, 0)\n"
              "burn(0.3)\n")
    run = common.measured([common.PYTHON, "-c", script]).check("forking child")
    assert run.cpu >= 0.9
    assert run.cores == run.cpu / run.seconds


def test_the_sides_of_a_ratio_take_turns():
    import common

    calls = []
    got = common.in_turns({"floor": lambda: calls.append("floor") or len(calls),
                           "score": lambda: calls.append("score") or len(calls)}, 3)
    assert calls == ["floor", "score", "score", "floor", "floor", "score"]
    assert got == {"floor": [1, 4, 5], "score": [2, 3, 6]}
