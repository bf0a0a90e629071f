"""perfpay.ahead: the CSV files parsed in a thread while the command starts up are used only when
they are the very bytes the readers read, and loading gives the same inputs with or without it."""

from __future__ import annotations

import shutil
import threading

import pandas as pd
import pytest

from conftest import ROOT
from perfpay import ahead
from perfpay.inputs import TABLES, load_inputs


@pytest.fixture
def copied(tmp_path):
    root = tmp_path / "inputs"
    shutil.copytree(ROOT / "inputs", root, ignore=shutil.ignore_patterns("records"))
    yield root
    ahead.forget()


def same(a, b) -> None:
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t), check_exact=True, obj=t)
    assert a.report.sorted() == b.report.sorted()


def test_files_parsed_ahead_are_given_once_and_only_for_the_same_bytes(copied):
    ratings = copied / "2026-07" / "评分.csv"
    data = ratings.read_bytes()
    ahead.start(copied)
    ahead._ahead.thread.join()                                 # every file parsed
    assert ahead.taken(ratings, data + b"\n") is None          # not the bytes parsed: read anew
    ahead.start(copied)
    ahead._ahead.thread.join()
    got = ahead.taken(ratings, data)
    assert got is not None and got.table.num_rows == data.count(b"\n") and got.sep == ","
    assert ahead.taken(ratings, data) is None                  # given once
    assert ahead.taken(copied / "missing.csv", b"") is None


def test_a_file_that_is_not_utf8_is_left_to_the_readers(copied):
    text = "期间,工号,指标,目标值\n2026-07,E1,销售任务,1\n"
    (copied / "2026-07" / "目标.csv").write_bytes(text.encode("gb18030"))
    ahead.start(copied)
    ahead._ahead.thread.join()
    assert copied / "2026-07" / "目标.csv" not in ahead._ahead.parsed
    assert copied / "2026-07" / "实绩.csv" in ahead._ahead.parsed


@pytest.mark.parametrize("period", ["2026-07", "2026Q3", None])
def test_loading_with_files_read_ahead_gives_the_same_inputs(params, copied, period):
    plain = load_inputs(copied, params.catalog, period)
    ahead.start(copied)
    read_ahead = load_inputs(copied, params.catalog, period)
    assert not [t for t in threading.enumerate() if t.name == "perfpay-read-ahead"]
    assert not ahead._ahead.parsed                             # all taken or forgotten
    same(read_ahead, plain)


def test_a_file_changed_after_it_was_read_ahead_is_read_as_it_is_now(params, copied):
    ahead.start(copied)
    ahead._ahead.thread.join()
    actuals = copied / "2026-07" / "实绩.csv"
    lines = actuals.read_text(encoding="utf-8-sig").splitlines()
    actuals.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8-sig")     # the last actual removed
    changed = load_inputs(copied, params.catalog, "2026-07")
    same(changed, load_inputs(copied, params.catalog, "2026-07"))
    assert len(changed.actuals) == len(lines) - 2


def test_the_command_reads_ahead(copied, tmp_path, monkeypatch):
    from perfpay import cli

    started = []
    monkeypatch.setattr(ahead, "start", lambda root: started.append(root))
    cli.main(["check", "--period", "2026-07", "--inputs", str(copied), "--params", str(ROOT / "params")])
    assert started == [str(copied)]


def test_the_thread_stops_after_the_file_it_is_parsing(copied):
    ahead.start(copied)
    ahead.wait()                                               # told at once: at most one file parsed
    assert len(ahead._ahead.parsed) <= 1 and not ahead._ahead.thread.is_alive()
    ahead.start(copied)
    ahead._ahead.thread.join()
    sizes = {p: p.stat().st_size for p in ahead._ahead.parsed}
    roster = copied / "人员.csv"
    assert sizes[roster] < max(sizes.values())
    assert list(ahead._ahead.parsed) == sorted(sizes, key=lambda p: (p != roster, -sizes[p]))  # the roster, then the largest


def test_a_file_being_parsed_is_waited_for_and_the_thread_goes_on(copied, monkeypatch):
    parse, gate, begun = ahead._parsed, threading.Event(), threading.Event()
    roster = copied / "人员.csv"

    def held(data):                                            # the roster (first) waits to be let go
        if not begun.is_set():
            begun.set()
            gate.wait(30)
        return parse(data)
    monkeypatch.setattr(ahead, "_parsed", held)
    ahead.start(copied)
    begun.wait(30)
    assert ahead._ahead.current == roster
    threading.Timer(0.2, gate.set).start()
    got = ahead.taken(roster, roster.read_bytes())             # waits for it
    assert got is not None and got.table.num_rows > 0
    ahead._ahead.thread.join()                                 # the thread went on to the end
    assert copied / "2026-07" / "评分.csv" in ahead._ahead.parsed


def test_a_file_parsed_already_is_given_while_the_thread_goes_on(copied, monkeypatch):
    parse, gate, done = ahead._parsed, threading.Event(), []

    def one_then_wait(data):
        if done:
            gate.wait(30)                                      # the second file waits to be let go
        done.append(1)
        return parse(data)
    monkeypatch.setattr(ahead, "_parsed", one_then_wait)
    ahead.start(copied)
    while len(done) < 2:                                       # the first parsed, the second begun
        threading.Event().wait(0.01)
    first = next(iter(ahead._ahead.parsed))
    assert ahead.taken(first, first.read_bytes()) is not None
    assert ahead.running() == 1 and ahead._ahead.thread.is_alive()     # not stopped for it
    gate.set()
    ahead.wait()
    assert ahead.running() == 0


def test_the_copy_is_forked_once_the_thread_is_stopped(params, copied, monkeypatch):
    from perfpay.inputs import load as load_module

    plain = load_inputs(copied, params.catalog, "2026-07")
    roster, parse = copied / "人员.csv", ahead._parsed
    # the roster at once, the files after it slowly: the thread still runs when the roster is taken
    monkeypatch.setattr(ahead, "_parsed", lambda data: (roster in ahead._ahead.parsed and
                                                        threading.Event().wait(0.1)) or parse(data))
    monkeypatch.setattr(load_module, "ASIDE_BYTES", 0)
    # the threads earlier tests left idle (dask's) aside: this process's own are the main one and the read-ahead
    monkeypatch.setattr(threading, "active_count", lambda: 1 + ahead.running())
    forked, fork = [], load_module.Forked
    monkeypatch.setattr(load_module, "Forked", lambda fn: forked.append(
        [t.name for t in threading.enumerate() if t.name == "perfpay-read-ahead"]) or fork(fn))
    ahead.start(copied)
    while roster not in ahead._ahead.parsed:
        threading.Event().wait(0.01)
    assert ahead.running() == 1
    split = load_inputs(copied, params.catalog, "2026-07")
    assert forked == [[]]                                      # a copy was forked, the read-ahead stopped
    same(split, plain)
