"""The `perfpay` command end to end, as finance runs it."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, write_tables

PEOPLE = [
    {"employee_id": "H003", "name": "郑组长", "department": "BD组", "branch": "总部", "role": "BD商家维护组",
     "hire_date": "2018-01-01"},
    {"employee_id": "E1", "name": "马超", "department": "BD组", "branch": "华东分部", "role": "BD商家维护组",
     "hire_date": "2020-01-01", "manager_id": "H003"},
    {"employee_id": "K1", "name": "李强", "department": "大客户部", "branch": "总部", "role": "大客户经理",
     "hire_date": "2020-01-01", "manager_id": "H003", "monthly_bonus_base": "4000"},
]


def perfpay(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "perfpay.cli", *args], capture_output=True, text=True,
                          cwd=cwd, encoding="utf-8")


def inputs(tmp_path, extra_actuals=()):
    actuals = [{"period": "2026-07", "employee_id": "E1", "indicator": "merchant_visits", "actual": 80},
               {"period": "2026-07", "employee_id": "K1", "indicator": "销售任务", "actual": 180000},
               *extra_actuals]
    targets = [{"period": "2026-07", "employee_id": "K1", "indicator": "sales_task", "target": 200000}]
    return write_tables(tmp_path / "in", {"roster": PEOPLE, "actuals": actuals, "targets": targets})


def read(path: Path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path} has no BOM"
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


def test_score_writes_scores_and_explain_per_department(tmp_path):
    out = tmp_path / "out"
    r = perfpay("score", "--period", "2026-07", "--inputs", str(inputs(tmp_path)),
                "--params", str(ROOT / "params"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    scores = read(out / "2026-07" / "大客户部" / "scores.csv")
    assert list(scores[0])[:6] == ["period", "employee_id", "name", "department", "branch", "role"]
    assert {"total", "grade", "rank", "销售任务"} <= set(scores[0])
    k1 = next(s for s in scores if s["employee_id"] == "K1")
    assert k1["销售任务"] == "24.00"            # 90% of target: 2 steps × −3
    explain = read(out / "2026-07" / "大客户部" / "explain.csv")
    task = next(e for e in explain if e["employee_id"] == "K1" and e["indicator_key"] == "sales_task")
    assert task["points"] == "24.00" and "2 steps × −3" in task["note"]
    assert task["source"], "the input rows behind the points are named"
    assert (out / "2026-07" / "BD组" / "scores.csv").exists()


def test_one_department_only(tmp_path):
    out = tmp_path / "out"
    r = perfpay("score", "--period", "2026-07", "--department", "BD组", "--inputs", str(inputs(tmp_path)),
                "--params", str(ROOT / "params"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert [p.name for p in (out / "2026-07").iterdir() if p.is_dir()] == ["BD组"]


def test_errors_stop_scoring_and_write_nothing(tmp_path):
    out = tmp_path / "out"
    bad = [{"period": "2026-07", "employee_id": "E9", "indicator": "merchant_visits", "actual": 3},
           {"period": "2026-07", "employee_id": "E1", "indicator": "merchant_certification_rate", "actual": "abc"}]
    folder = inputs(tmp_path, bad)
    r = perfpay("score", "--period", "2026-07", "--inputs", str(folder), "--params", str(ROOT / "params"),
                "--out", str(out))
    assert r.returncode == 1
    assert "E9" in r.stderr and "abc" in r.stderr and "--skip-invalid" in r.stderr
    assert not out.exists()
    check = perfpay("check", "--inputs", str(folder), "--params", str(ROOT / "params"))
    assert check.returncode == 1 and "E9" in check.stdout

    r = perfpay("score", "--period", "2026-07", "--inputs", str(folder), "--params", str(ROOT / "params"),
                "--out", str(out), "--skip-invalid")
    assert r.returncode == 0, r.stderr
    problems = read(out / "2026-07" / "problems.csv")
    skipped = [p for p in problems if p["skipped"] == "True"]
    assert {p["value"] for p in skipped} >= {"E9", "abc"}


def test_bad_period_is_a_clear_error(tmp_path):
    r = perfpay("score", "--period", "2026-13", "--inputs", str(inputs(tmp_path)),
                "--params", str(ROOT / "params"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "month 13" in r.stderr


def test_the_command_runs_exit_handlers_and_waits_for_threads(tmp_path):
    """run() leaves without freeing every table one by one, but after the exit handlers, with its
    output flushed and its exit code; a thread still running is waited for, as by a usual exit."""
    done = tmp_path / "thread-done"
    script = ("import atexit, sys, threading, time\n"
              "atexit.register(lambda: print('handlers ran', file=sys.stderr))\n"
              "mode, done, folder = sys.argv[1:]\n"
              "if mode == 'thread':\n"
              "    threading.Thread(target=lambda: (time.sleep(0.5), open(done, 'w').close())).start()\n"
              "sys.argv[1:] = ['score', '--period', '2026-13', '--inputs', folder]\n"
              "from perfpay.cli import run\n"
              "run()\n")
    for mode in ("alone", "thread"):
        r = subprocess.run([sys.executable, "-c", script, mode, str(done), str(inputs(tmp_path))],
                           capture_output=True, text=True, encoding="utf-8")
        assert r.returncode == 2 and "month 13" in r.stderr and "handlers ran" in r.stderr, (mode, r.stderr)
        assert done.exists() == (mode == "thread")


def test_the_tables_are_kept_for_the_exit_under_run_only(tmp_path):
    """run() leaves the loaded inputs and the scores to os._exit instead of freeing them one by
    one; main() called in a long-lived process (a notebook, the tests) keeps nothing."""
    script = ("import os, sys\n"
              "from perfpay import cli\n"
              "exit_now = os._exit\n"
              "os._exit = lambda code: (print(sorted({type(x).__name__ for x in cli._KEPT})), exit_now(code))\n"
              "sys.argv[1:] = ['score', '--period', '2026-07', '--inputs', sys.argv[1], '--params', sys.argv[2],\n"
              "                '--out', sys.argv[3]]\n"
              "cli.run()\n")
    r = subprocess.run([sys.executable, "-c", script, str(inputs(tmp_path)), str(ROOT / "params"),
                        str(tmp_path / "o")], capture_output=True, text=True, encoding="utf-8")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "['Inputs', 'Params', 'dict']"
    from perfpay import cli
    assert cli.main(["score", "--period", "2026-07", "--inputs", str(inputs(tmp_path)), "--params",
                     str(ROOT / "params"), "--out", str(tmp_path / "again")]) == 0
    assert cli._KEPT is None


def test_a_profiler_still_reports_on_the_command(tmp_path):
    """Under a profiler, which writes its report after the program, the command exits as usual."""
    report = tmp_path / "profile.out"
    r = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(report), "-m", "perfpay.cli", "check",
                        "--period", "2026-07", "--inputs", str(inputs(tmp_path)), "--params", str(ROOT / "params")],
                       capture_output=True, text=True, encoding="utf-8")
    assert r.returncode == 0, r.stdout + r.stderr
    assert report.stat().st_size > 0


def test_the_command_starts_numpy_without_threads_that_only_spin():
    """The command does no linear algebra: numpy's OpenBLAS starts no threads of its own (they would
    spin at start-up on the core the read-ahead parses on), unless OPENBLAS_NUM_THREADS says otherwise."""
    import os

    script = ("import contextlib, io, os, re\n"
              "from perfpay import cli\n"
              "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
              "    cli.main(['--help'])\n"
              "import numpy\n"
              "threads = re.search(r'Threads:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
              "print(os.environ['OPENBLAS_NUM_THREADS'], threads)\n")
    for given, expect in ((None, "1 1"), ("2", "2 2")):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
        if given is not None:
            env["OPENBLAS_NUM_THREADS"] = given
        r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, encoding="utf-8", env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[-1] == expect


def test_the_command_keeps_freed_memory_for_the_next_table():
    """Under glibc, memory the command frees is taken again by its next blocks, not handed back to
    the system and faulted in anew, page by page (mallopt: KEEP_FREED)."""
    script = ("import resource, sys\n"
              "import numpy as np\n"
              "from perfpay import cli\n"
              "kept = sys.argv[1] == 'keep' and cli.keep_freed_memory()\n"
              "def faults(n):\n"
              "    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
              "    np.ones(n, dtype=np.uint8)\n"
              "    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before\n"
              "faults(3 << 20)\n"          # 3 MiB, made and freed: under 4 MiB, numpy asks for no huge pages
              "print(kept, faults(3 << 20))\n")
    got = {}
    for how in ("keep", "default"):
        r = subprocess.run([sys.executable, "-c", script, how], capture_output=True, text=True, encoding="utf-8")
        assert r.returncode == 0, r.stderr
        kept, faults = r.stdout.split()
        got[how] = (kept == "True", int(faults))
    assert got["keep"][0], "glibc's mallopt refused an option"
    assert got["keep"][1] < 100 < 700 < got["default"][1]       # 768 pages of 4 KiB, faulted in again


def test_check_passes_on_clean_inputs(tmp_path):
    r = perfpay("check", "--period", "2026-07", "--inputs", str(inputs(tmp_path)), "--params", str(ROOT / "params"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_unscored_roles_may_rate_but_typos_are_errors(tmp_path):
    gm = {"employee_id": "G1", "name": "高总", "department": "总经理办公室", "branch": "总部", "role": "总经理",
          "hire_date": "2010-01-01"}
    typo = {"employee_id": "X1", "name": "错岗", "department": "BD组", "branch": "总部", "role": "BD商家维护",
            "hire_date": "2010-01-01"}
    folder = write_tables(tmp_path / "in", {"roster": [*PEOPLE, gm]})
    r = perfpay("check", "--inputs", str(folder), "--params", str(ROOT / "params"))
    assert r.returncode == 0, r.stdout
    out = tmp_path / "out"
    r = perfpay("score", "--period", "2026-07", "--inputs", str(folder), "--params", str(ROOT / "params"),
                "--out", str(out))
    assert r.returncode == 0 and not (out / "2026-07" / "总经理办公室").exists()
    folder = write_tables(tmp_path / "in2", {"roster": [*PEOPLE, typo]})
    r = perfpay("check", "--inputs", str(folder), "--params", str(ROOT / "params"))
    assert r.returncode == 1 and "BD商家维护" in r.stdout
