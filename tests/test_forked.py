"""Big inputs are read and checked by two processes (perfpay.forked, load_inputs' aside tables):
the inputs, the problems and the codes handed to scoring must be those of one process, whatever
the forked copy does (fails, is killed, is not wanted any more)."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import threading
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from perfpay import forked
from perfpay.forked import Forked
from perfpay.inputs import TABLES, load_inputs
from perfpay.inputs import load as load_module
from perfpay.inputs.contracts import table_for_name


def load(params, root, period, split: bool, monkeypatch):
    """load_inputs with the aside tables checked by a forked copy (split) or all here; the codes
    the checks handed to scoring are kept in `handed`."""
    with monkeypatch.context() as m:
        if split:
            m.setattr(load_module, "ASIDE_BYTES", 0)
            assert load_module._aside(root, load_module.Period.parse(period)) == load_module.ASIDE
        else:
            m.setattr(load_module, "_aside", lambda *a: ())
        hand_over = load_module._hand_over
        m.setattr(load_module, "_hand_over", lambda inputs, known: hand_over(inputs, known) or
                  setattr(inputs, "handed", known))
        return load_inputs(root, params.catalog, period)


def assert_same(a, b) -> None:
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t), check_exact=True, obj=t)
    assert [asdict(p) for p in a.report.sorted()] == [asdict(p) for p in b.report.sorted()]
    assert sorted(a.report.problems, key=repr) == sorted(b.report.problems, key=repr)
    assert a.handed.keys() == b.handed.keys()
    for key, got in a.handed.items():
        for mine, theirs in zip(*(x if isinstance(x, tuple) else (x,) for x in (got, b.handed[key]))):
            assert list(mine) == list(theirs), key
    assert a.memo.kept.keys() == b.memo.kept.keys()
    for key, (names, _, got) in a.memo.kept.items():
        assert pickle.dumps(got) == pickle.dumps(b.memo.kept[key][2]), key


def children() -> set[int]:
    """Process ids of this process's children, zombies included."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.add(int(entry))
    return found


@pytest.fixture
def reaped():
    """Every child process a test starts is gone when it ends (none left running, no zombie)."""
    before = children()
    yield
    assert children() <= before


@pytest.fixture
def copied(tmp_path):
    """A copy of the sample company's input tables."""
    root = tmp_path / "inputs"
    shutil.copytree(ROOT / "inputs", root, ignore=shutil.ignore_patterns("records"))
    return root


@pytest.mark.parametrize("period", ["2026Q3", "2026-07", "2026-03"])
def test_two_processes_load_what_one_does(params, period, monkeypatch, copied, forking, reaped):
    root = copied
    split = load(params, root, period, True, monkeypatch)
    assert len(split.ratings) > 0 and ("people", "ratings") in split.handed and len(split.events) > 0
    assert_same(split, load(params, root, period, False, monkeypatch))


@pytest.mark.parametrize("gone", ["回款.csv", "季度任务.csv"])
def test_deals_or_quotas_alone_are_loaded_as_by_one_process(params, gone, monkeypatch, copied, forking, reaped):
    (copied / "销售" / gone).unlink()          # the deals are checked here, the quotas in the copy
    split = load(params, copied, "2026-07", True, monkeypatch)
    assert_same(split, load(params, copied, "2026-07", False, monkeypatch))
    assert len(split.deals if gone == "季度任务.csv" else split.quotas) > 0


def test_bad_rows_aside_and_here_are_reported_as_by_one_process(params, monkeypatch, copied, forking, reaped):
    root = copied
    month = root / "2026-07"
    ratings = pd.read_csv(month / "评分.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    ratings.loc[0, "工号"] = "E404"                         # not on the roster
    ratings.loc[1, "等级"] = "Z"                            # no such level
    ratings = pd.concat([ratings, ratings.iloc[[2]]])       # the same rating twice
    ratings.to_csv(month / "评分.csv", index=False, encoding="utf-8-sig")
    events = pd.read_csv(month / "事件.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    events.loc[0, "日期"] = "2026-13-01"                    # no such date
    events.to_csv(month / "事件.csv", index=False, encoding="utf-8-sig")
    actuals = pd.read_csv(month / "实绩.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    actuals.loc[0, "实际值"] = "lots"
    actuals.to_csv(month / "实绩.csv", index=False, encoding="utf-8-sig")
    (month / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")      # no input table: warned once
    sales = root / "销售"
    quotas = pd.read_csv(sales / "季度任务.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    quotas.loc[quotas["工号"].eq("E039") & quotas["季度"].eq("2026Q3"), "目标"] = "a lot"    # left out (in the copy)
    quotas.to_csv(sales / "季度任务.csv", index=False, encoding="utf-8-sig")
    wages = pd.read_csv(sales / "薪资.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    wages.loc[0, "浮动工资"] = "-5"
    wages.to_csv(sales / "薪资.csv", index=False, encoding="utf-8-sig")
    split = load(params, root, "2026-07", True, monkeypatch)
    assert {"quotas", "wages"} <= set(load_module.ASIDE) and "deals" not in load_module.ASIDE
    assert_same(split, load(params, root, "2026-07", False, monkeypatch))
    messages = [p.message for p in split.report.problems]
    assert sum("notes.csv" in m for m in messages) == 1
    assert any("E404" in m for m in messages) and any("'Z'" in m for m in messages)
    assert any("lots" in m for m in messages) and any("rate E" in m for m in messages)
    assert any("2026-13-01" in m for m in messages)
    assert any("'a lot'" in m for m in messages) and any("floating wage -5" in m for m in messages)
    # the deals, checked here, against the quotas the copy kept
    assert any(p.table == "deals" and "no quarterly target" in p.message and "E039 in 2026Q3" in p.message
               for p in split.report.problems)


@pytest.mark.parametrize("how", ["raises", "killed", "stuck"])
def test_a_failed_copy_is_done_again_here(params, how, monkeypatch, copied, forking, reaped):
    root = copied
    here, checked = os.getpid(), load_module._checked

    def failing(*args):
        if os.getpid() != here:
            if how == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            if how == "stuck":
                threading.Event().wait(60)
            raise MemoryError("the copy ran out of memory")
        return checked(*args)
    monkeypatch.setattr(load_module, "_checked", failing)
    monkeypatch.setattr(load_module, "_patience", lambda here: 1.0)
    split = load(params, root, "2026Q3", True, monkeypatch)
    monkeypatch.setattr(load_module, "_checked", checked)
    assert_same(split, load(params, root, "2026Q3", False, monkeypatch))


@pytest.mark.parametrize("check", ["check_targets", "check_ratings"])     # here; in the copy, then here
def test_an_error_is_raised_here_and_the_copy_stopped(params, check, monkeypatch, copied, forking, reaped):
    def broken(*args):
        raise RuntimeError(f"{check} broke")
    monkeypatch.setattr(load_module, check, broken)
    with pytest.raises(RuntimeError, match=f"{check} broke"):
        load(params, copied, "2026Q3", True, monkeypatch)


def test_when_the_tables_are_put_aside(monkeypatch, copied, tmp_path, forking):
    from perfpay.periods import Period

    root = copied
    month = Period.parse("2026-07")
    size = sum(p.stat().st_size for p in root.rglob("*.csv") if table_for_name(p.stem) in load_module.ASIDE)
    monkeypatch.setattr(load_module, "ASIDE_BYTES", size)
    assert load_module._aside(root, month) == load_module.ASIDE
    assert load_module._aside(root, None) == ()                  # the roster needs every table's periods
    monkeypatch.setattr(load_module, "ASIDE_BYTES", size + 1)
    assert load_module._aside(root, month) == ()                 # too small to be worth a process
    monkeypatch.setattr(load_module, "ASIDE_BYTES", 0)
    assert load_module._aside(tmp_path / "missing", month) == ()
    with monkeypatch.context() as m:
        m.setattr(load_module, "can_fork", lambda stopped=0: False)              # another thread about (tested below)
        assert load_module._aside(root, month) == ()
    (root / "extra.xlsx").write_bytes(b"")                       # a workbook may hold any table
    assert load_module._aside(root, month) == ()


# perfpay.forked ---------------------------------------------------------------------------
def test_a_forked_result_comes_back_with_its_objects_shared(reaped):
    words = np.array(["a", "b", "c"], dtype=object)[np.arange(3000) % 3]
    frame = pd.DataFrame({"x": words, "y": words[::-1].copy(), "n": np.arange(3000)})
    got = Forked(lambda: (frame, words)).result()
    pd.testing.assert_frame_equal(got[0], frame)
    assert got[0]["x"].iloc[0] is got[0]["y"].iloc[2] is got[1][0]     # one str each, as sent
    assert len(forked.dumps(words)) < len(pickle.dumps(words))         # a byte each, not a reference
    mixed = pd.DataFrame({"x": words, "n": pd.array(np.arange(3000), dtype="Int64")}, index=np.arange(3000) * 2)
    frames = [frame, frame.iloc[:0], frame.set_axis(["a", "a", "b"], axis=1), mixed, mixed.reset_index()]
    for sent, back in zip(frames, pickle.loads(forked.dumps(frames))):
        pd.testing.assert_frame_equal(back, sent)
    distinct = np.array([str(i) for i in range(3000)], dtype=object)
    assert list(pickle.loads(forked.dumps(distinct))) == list(distinct)


def test_without_a_process_to_fork_the_function_runs_here(monkeypatch, reaped):
    def refuse():
        raise BlockingIOError(11, "Resource temporarily unavailable")
    monkeypatch.setattr(os, "fork", refuse)
    here = Forked(os.getpid)
    assert here.result() == os.getpid()
    here.stop()


def test_a_stuck_copy_is_killed_and_its_work_done_here(reaped):
    here = os.getpid()
    stuck = Forked(lambda: threading.Event().wait(60) if os.getpid() != here else "done here")
    assert stuck.result(timeout=0.5) == "done here"
    assert stuck.pid is None and stuck.pipe is None


def test_a_slow_copy_that_sends_in_time_is_waited_for(reaped):
    import time

    here = os.getpid()
    slow = Forked(lambda: (time.sleep(0.3), "from the copy" if os.getpid() != here else "done here")[1])
    assert slow.result(timeout=5) == "from the copy"


def test_a_copy_not_wanted_is_killed_and_reaped(reaped):
    started = Forked(lambda: threading.Event().wait(60))
    assert started.pid in children()
    started.stop()
    assert started.pid is None


def test_no_copy_is_forked_beside_another_thread():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forked.can_fork()
    finally:
        stop.set()
        other.join()
