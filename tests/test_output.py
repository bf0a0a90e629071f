"""CSV files are byte for byte what pandas' to_csv writes, on tricky values and on real outputs."""

from __future__ import annotations

import os
import signal
import threading
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from perfpay.errors import WriteError
from perfpay.distinct import Coded
from perfpay.output import (QUOTED, CodedTable, Later, Sized, Staging, csv_bytes, fast_path_fits, quote, write_all,
                            write_csv)


def pandas_bytes(frame: pd.DataFrame, tmp_path) -> bytes:
    path = tmp_path / "pandas.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path.read_bytes()


def assert_same(frame: pd.DataFrame, tmp_path) -> None:
    expected = pandas_bytes(frame, tmp_path)
    assert csv_bytes(frame) == expected
    write_csv(frame, tmp_path / "one.csv")
    write_all({tmp_path / "all" / "a.csv": frame, tmp_path / "all" / "b.csv": frame})
    assert (tmp_path / "one.csv").read_bytes() == expected
    assert (tmp_path / "all" / "b.csv").read_bytes() == expected


TRICKY = ["plain", "a,b", 'say "hi"', "two\nlines", "carriage\rreturn", "crlf\r\n", "", " ", "  both  ",
          " lead", "trail ", "\t", "中文，全角逗号", "员工 E001", '"', ",", "\n", "'", "#", "=1+1", "é", "\x00"]


def test_tricky_strings(tmp_path):
    assert_same(pd.DataFrame({"text": TRICKY, "n": range(len(TRICKY))}), tmp_path)


def test_every_ascii_and_some_unicode_character(tmp_path):
    chars = [chr(c) for c in [*range(1, 128), 0x85, 0xA0, 0x2028, 0x2029, 0x3000, 0xFEFF]]
    frame = pd.DataFrame({"mid": [f"a{c}b" for c in chars], "alone": chars, "edge": [f"{c}x{c}" for c in chars]})
    assert_same(frame, tmp_path)


def test_missing_values_numbers_and_mixes(tmp_path):
    frame = pd.DataFrame({
        "decimal": [Decimal("1.10"), Decimal("1.1"), Decimal("-0"), Decimal("0"), None, Decimal("NaN"), Decimal("1E+3")],
        "mixed": [1, True, "1", 1.0, -0.0, 0.0, None],
        "int_str": [1, "1", 2**70, -5, "x,y", None, ""],
        "bool_str": [True, False, "True", None, True, "", "a"],
        "floats": [np.float64(1.5), 0.1 + 0.2, float("nan"), 1e16, np.float32(2.5), pd.NA, pd.NaT],
        "ints": np.array([0, -1, 2**62, 7, 8, 9, 10], dtype=np.int64),
        "uints": np.array([0, 1, 2**64 - 1, 3, 4, 5, 6], dtype=np.uint64),
        "flags": np.array([True, False, True, True, False, False, True]),
        "float64": [1.5, np.nan, 1e-05, -0.0, np.inf, 123456789.123, 1e300],
        "float32": np.array([1 / 3, 2, np.nan, 0.1, 5, 6, 7], dtype=np.float32),
        "empty": ["", "", "", "", "", "", ""],
        "none": [None] * 7,
        "objects": [(1, 2), [3, "a,b"], {"k": 1}, b"x", np.int64(4), np.bool_(True), np.str_("np")],
    })
    assert fast_path_fits(frame)
    assert_same(frame, tmp_path)


def test_text_columns_and_text_columns_with_one_other_value(tmp_path):
    text = ["a", "a,b", None, np.nan, pd.NA, "中文", np.str_("np"), 'q"', "a"]
    odd = [b"x", 1, Decimal("1.10"), True, 1.5, (1,), pd.NaT]
    frame = pd.DataFrame({"text": text, **{f"odd{i}": [*text[:-1], v] for i, v in enumerate(odd)},
                          "nothing": [None, np.nan, pd.NA, None, None, None, None, None, None]})
    assert fast_path_fits(frame)
    assert_same(frame, tmp_path)


POOL = TRICKY + [None, np.nan, pd.NA, Decimal("1.10"), Decimal("1.1"), Decimal("-0"), Decimal("NaN"), 0, 1,
                 True, False, 2**65, -3, 1.0, -0.0, 0.1, np.float64(2.5), "1", "True", "中文,逗号"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_mixes_with_shared_and_fresh_objects(tmp_path, seed):
    rng = np.random.default_rng(seed)
    n = 500
    shared = np.array(POOL, dtype=object)[rng.integers(0, len(POOL), (n, 4))]
    fresh = [[Decimal(int(c)).scaleb(-2), f"a{c}", f'"{c}",', int(c)] for c in rng.integers(-99, 99, n)]
    frame = pd.DataFrame(np.hstack([shared, np.array(fresh, dtype=object)]), columns=list("abcdefgh"))
    assert fast_path_fits(frame)
    assert_same(frame, tmp_path)


def test_awkward_column_names(tmp_path):
    frame = pd.DataFrame([[1, 2, 3, 4, 5]], columns=["a,b", 'say "x"', "", 7, "总分"])
    assert_same(frame, tmp_path)
    assert_same(pd.DataFrame([[1, 2]], columns=["a", "a"]), tmp_path)


@pytest.mark.parametrize("values", [["", None, "x", " "], [None, None], [np.nan, 1.0], [True, False],
                                    [Decimal("1"), None], [1, 2]])
def test_one_column_with_empty_fields(tmp_path, values):
    assert_same(pd.DataFrame({"only": values}), tmp_path)
    assert_same(pd.DataFrame({"": values}), tmp_path)


def test_empty_frames(tmp_path):
    assert_same(pd.DataFrame(columns=["a", "b,c"]), tmp_path)
    assert_same(pd.DataFrame(columns=["a"]), tmp_path)
    assert_same(pd.DataFrame(), tmp_path)
    assert_same(pd.DataFrame(index=[0, 1, 2]), tmp_path)


def test_other_types_go_to_pandas(tmp_path):
    frame = pd.DataFrame({"when": pd.to_datetime(["2026-07-01", None]), "n": pd.array([1, None], dtype="Int64"),
                          "cat": pd.Categorical(["a", "b,c"]), "s": pd.array(["x", None], dtype="string")})
    for column in frame.columns:
        assert not fast_path_fits(frame[[column]])
        assert_same(frame[[column]].assign(text=["a,b", None]), tmp_path)


def test_pyarrow_text_columns(tmp_path):
    """string[pyarrow] columns (the explanation's sources) are written as they are, missing empty."""
    values = TRICKY + [None, "中文,逗号", ""]
    frame = pd.DataFrame({"source": pd.array(values, dtype="string[pyarrow]"),
                          "text": np.array(values[::-1], dtype=object), "n": np.arange(len(values))})
    assert fast_path_fits(frame)
    assert_same(frame, tmp_path)
    assert_same(frame[["source"]], tmp_path)                 # alone: a row whose only field is empty is quoted
    assert_same(frame.iloc[[5, 2, 5]], tmp_path)
    assert_same(frame.iloc[:0], tmp_path)
    assert not fast_path_fits(pd.DataFrame({"s": pd.array(["a"], dtype="string[python]")}))   # pandas writes it


def test_index_is_left_out(tmp_path):
    frame = pd.DataFrame({"a": ["x", "y,z", None]}, index=[10, 5, 7]).iloc[[2, 0]]
    assert_same(frame, tmp_path)


def test_many_rows_over_several_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr("perfpay.output.ROWS_PER_CHUNK", 7)
    rng = np.random.default_rng(3)
    n = 100
    frame = pd.DataFrame({
        "text": np.array(TRICKY + [None], dtype=object)[rng.integers(0, len(TRICKY) + 1, n)],
        "points": [Decimal(int(c)).scaleb(-2) for c in rng.integers(-500, 500, n)],
        "rank": rng.integers(0, 10, n), "ok": rng.integers(0, 2, n).astype(bool),
    })
    assert_same(frame, tmp_path)


def test_neighbouring_columns_of_few_values_are_joined_once_per_pair(tmp_path, monkeypatch):
    from perfpay import output

    joined, real = [], output.joined_few

    def counted(columns, most):
        got = real(columns, most)
        joined.append((len(columns), len(got)))
        return got
    monkeypatch.setattr(output, "joined_few", counted)
    rng = np.random.default_rng(4)
    n = 5000
    indicator = rng.integers(0, 6, n)
    frame = pd.DataFrame({
        "period": "2026-07", "id": np.array([f"E{i}" for i in range(3000)], dtype=object)[rng.integers(0, 3000, n)],
        "section": np.array(["量化", "定性", 'a,"b"'], dtype=object)[indicator % 3],
        "indicator": np.array(TRICKY, dtype=object)[indicator],
        "rule": np.array(["step", ""], dtype=object)[indicator % 2],
        "full": np.array([Decimal(5 * k).scaleb(-2) for k in range(1, 7)], dtype=object)[indicator],
        "note": [f"row {i}" for i in range(n)], "points": rng.integers(-9, 9, n),
        "flag": rng.integers(0, 2, n).astype(bool), "none": None,
    })
    assert_same(frame, tmp_path)
    assert set(joined) == {(10, 4)}       # period to id, section to full, note, points to none


def joined_widths(monkeypatch) -> list:
    """A list that receives, at each call of output.joined_few, how many fields each of the
    columns it gives back holds."""
    from perfpay import output

    joined, real = [], output.joined_few

    def counted(columns, most):
        got = real(columns, most)
        joined.append([len(fields) for _, fields in got])
        return got
    monkeypatch.setattr(output, "joined_few", counted)
    return joined


def test_neighbouring_columns_of_many_values_but_few_pairs_are_joined_too(tmp_path, monkeypatch):
    """Two columns of 3,000 values each could make 9,000,000 pairs; the rows hold 3,000 (a person's
    id and name): they are joined once per pair, however the rows are ordered."""
    joined = joined_widths(monkeypatch)
    rng = np.random.default_rng(6)
    person = rng.integers(0, 3000, 20000)
    frame = pd.DataFrame({"id": np.array([f"E{k:05d}" for k in range(3000)], dtype=object)[person],
                          "name": np.array([f"名,{k}" for k in range(3000)], dtype=object)[person],
                          "row": np.arange(20000), "ok": person % 2 == 0})
    assert_same(frame, tmp_path)
    assert joined[0] == [len(np.unique(person)), 20000, 2]              # id and name as one; row; ok
    assert_same(frame.assign(name=np.array(["x", "y,z"], dtype=object)[rng.integers(0, 2, 20000)]), tmp_path)


@pytest.mark.parametrize("layout", ["name of id", "id after its name", "two names each"])
def test_pairs_of_many_values_are_joined_whether_one_column_gives_the_other_or_not(tmp_path, monkeypatch, layout):
    """Pairs too many to count are told apart without hashing where one column gives the other
    (an id gives the name, whichever comes first), and by hashing where neither does."""
    joined = joined_widths(monkeypatch)
    rng = np.random.default_rng(8)
    n = 40000
    person = rng.integers(0, 3000, n)
    ids = np.array([f"E{k:05d}" for k in range(3000)], dtype=object)[person]
    if layout == "two names each":
        names = np.array([f"名,{k}" for k in range(6000)], dtype=object)[person * 2 + rng.integers(0, 2, n)]
    else:
        names = np.array([f"名{k}" for k in range(1500)], dtype=object)[person // 2]     # two people a name
    columns = {"name": names, "id": ids} if layout == "id after its name" else {"id": ids, "name": names}
    frame = pd.DataFrame({**columns, "row": np.arange(n)})
    assert_same(frame, tmp_path)
    pairs = len({(a, b) for a, b in zip(ids, names)})
    assert joined[0] == [pairs, n]


def coded_table(n: int, seed: int) -> CodedTable:
    rng = np.random.default_rng(seed)
    texts = np.array(TRICKY + [None, np.nan], dtype=object)
    rows = texts[rng.integers(0, len(texts), n)]
    return CodedTable({
        "text": Coded(rng.integers(0, len(texts), n), texts),
        "twice": Coded(rng.integers(0, 3, n), np.array(["a", "a", "b,c"], dtype=object)),     # equal values, twice
        "points": Coded(rng.integers(0, 4, n), np.array([Decimal("1.10"), Decimal("1.1"), Decimal("-0.50"), None],
                                                        dtype=object)),       # equal, printed apart
        "cents": Coded(rng.integers(0, 3, n), np.array([5, -3, 0])),
        "row": rows, "n": rng.integers(-5, 5, n), "ok": rng.integers(0, 2, n).astype(bool),
        "source": pa.array(rows[::-1], pa.large_string(), from_pandas=True),
        "arrow": pd.array(rows, dtype="string[pyarrow]"),
    })


def test_a_coded_table_is_written_as_its_frame(tmp_path, monkeypatch):
    """A CodedTable (an explanation's columns as codes into texts) gives the CSV of its frame."""
    monkeypatch.setattr("perfpay.output.ROWS_PER_CHUNK", 7)
    table = coded_table(100, 5)
    frame = table.frame()
    assert list(frame.columns) == list(table.columns) and len(table) == len(frame) == 100
    assert frame["source"].dtype == "string[pyarrow]"
    assert csv_bytes(table) == pandas_bytes(frame, tmp_path)
    for few in ([], [3, 3, 0], [41]):                       # no row, some, one
        part = CodedTable({c: v if not isinstance(v, Coded) else Coded(v.codes[few], v.values)
                           for c, v in ((c, table.columns[c]) for c in table.columns)
                           if isinstance(v, Coded)})
        assert csv_bytes(part) == pandas_bytes(part.frame(), tmp_path)
    alone = CodedTable({"only": Coded(np.array([0, 1, 0]), np.array(["", "x"], dtype=object))})
    assert csv_bytes(alone) == pandas_bytes(alone.frame(), tmp_path) == '\ufeffonly\n""\nx\n""\n'.encode()


def test_a_coded_table_of_another_type_is_written_by_pandas(tmp_path):
    when = Coded(np.array([1, 0, 1]), np.array(["2026-07-01", "2026-08-01"], dtype="datetime64[ns]"))
    table = CodedTable({"when": when, "text": np.array(["a,b", None, "c"], dtype=object)})
    assert csv_bytes(table) == pandas_bytes(table.frame(), tmp_path)
    assert b"2026-08-01,\"a,b\"" in csv_bytes(table)


def test_fields_are_quoted_where_their_text_asks_for_it():
    """quote() looks at the bytes of the rows it is given first; a slice of an array whose other
    rows need quotes is quoted no more than it needs."""
    values = ["x,y", "plain", 'say "hi"', "two\nlines", "cr\rret", None, "", "中文，全角"]
    whole = pa.array(values, pa.large_string())
    for start, stop in [(0, 8), (1, 2), (4, 5), (5, 8), (0, 0), (3, 4), (7, 8)]:
        part = whole.slice(start, stop - start)
        expect = [v if v is None or not any(c in v for c in QUOTED) else '"' + v.replace('"', '""') + '"'
                  for v in values[start:stop]]
        assert quote(part).to_pylist() == expect
    assert quote(pa.array([None, None], pa.large_string())).to_pylist() == [None, None]


def test_the_scores_are_written_from_codes_in_their_order(tmp_path):
    """scores_csv: the scores' columns taken in the sorted order by codes write the bytes of scores_table."""
    from perfpay.load import load
    from perfpay.params import load_params
    from perfpay.scorecard import score, scores_csv, scores_table

    from conftest import ROOT

    params = load_params(ROOT / "params")
    inputs = load(ROOT / "inputs", params, "2026Q3")
    for period in ("2026-07", "2026Q3"):
        for department in [None, *inputs.roster["department"].dropna().unique()]:
            scores = score(params, inputs, period, department)
            expect, got = scores_table(scores), scores_csv(scores)
            if expect.empty:                                    # nobody scored (the general office)
                pd.testing.assert_frame_equal(got, expect)
                continue
            assert isinstance(got, CodedTable) and (got.column("grade") == expect["grade"].to_numpy()).all()
            pd.testing.assert_frame_equal(got.frame(), expect)
            assert csv_bytes(got) == csv_bytes(expect) == pandas_bytes(expect, tmp_path)
            if department is None and period == "2026Q3":
                assert expect.iloc[:, 6:-5].isna().any().any(), "a section some cards lack: missing, written empty"


def test_the_explanation_is_written_from_its_codes_where_it_can_be(tmp_path, monkeypatch):
    """explain_csv: the explanation's texts as codes (explanation not made yet, months alone or
    rolled up) write the bytes of explain_table; otherwise it is explain_table. Both are the
    table the explanation's frames make (its rows per unit, their totals, the roll-ups' means,
    each person's columns looked up by id), which is what is made where the roster rows of the
    units are not known."""
    import perfpay.scorecard as scorecard
    from perfpay.load import load
    from perfpay.params import load_params
    from perfpay.scorecard import explain_csv, explain_table, score

    from conftest import ROOT

    params = load_params(ROOT / "params")
    inputs = load(ROOT / "inputs", params, "2026")
    kinds = set()
    for period in ("2026-07", "2026Q3", "2026H2", "2026"):     # months alone; rolled up to a quarter, a half, a year
        for department in [None, *inputs.roster["department"].dropna().unique()]:
            expect = explain_table(score(params, inputs, period, department))
            got = explain_csv(score(params, inputs, period, department))
            with monkeypatch.context() as m:                    # no codes: the frames' own table
                m.setattr(scorecard, "_unit_columns", lambda *args: None)
                framed = score(params, inputs, period, department)
                framed.explain                                  # made now, while there are no codes
            pd.testing.assert_frame_equal(score(params, inputs, period, department).explain, framed.explain)
            pd.testing.assert_frame_equal(expect, explain_table(framed))
            kinds.add((period, type(got).__name__))
            if isinstance(got, CodedTable):
                pd.testing.assert_frame_equal(got.frame(), expect)
            else:
                pd.testing.assert_frame_equal(got, expect)
            assert csv_bytes(got) == csv_bytes(expect) == pandas_bytes(expect, tmp_path)
            made = score(params, inputs, period, department)
            made.explain                                        # made: written from the frame itself
            assert isinstance(explain_csv(made), pd.DataFrame)
    assert kinds >= {(period, "CodedTable") for period in ("2026-07", "2026Q3", "2026H2", "2026")}


def test_real_outputs_of_the_sample_company(tmp_path):
    from perfpay.load import load
    from perfpay.params import load_params
    from perfpay.scorecard import explain_table, score, scores_table

    from conftest import ROOT

    params = load_params(ROOT / "params")
    inputs = load(ROOT / "inputs", params, "2026Q3")
    departments = inputs.roster["department"].dropna().unique()
    assert len(departments) > 0
    for department in departments:
        scores = score(params, inputs, "2026Q3", department)
        for table in (scores_table(scores), explain_table(scores)):
            assert fast_path_fits(table) or table.shape[1] == 0    # no columns: pandas writes it
            assert_same(table, tmp_path)


# Staging: every file or none, the big tables written by a forked process --------------------------
class Printed:
    """A cell that notes which process printed it (pid appended to `log`), then does `then`."""

    def __init__(self, log, then=None):
        self.log, self.then = log, then

    def __str__(self):
        with open(self.log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        if self.then is not None:
            self.then()
        return "printed"


def printers(log) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def cells(n: int, cell) -> pd.DataFrame:
    return pd.DataFrame({"text": np.array(TRICKY * (n // len(TRICKY) + 1), dtype=object)[:n],
                         "odd": np.array([cell] + [None] * (n - 1), dtype=object)})


def test_a_big_table_is_written_by_another_process_the_same(tmp_path, forking):
    log = tmp_path / "pids"
    big, small = cells(50, Printed(log)), cells(3, "small")
    with Staging(tmp_path / "out", fork_rows=10) as staging:
        staging.add(tmp_path / "out" / "a" / "big.csv", big)
        staging.add(tmp_path / "out" / "small.csv", small)
    assert printers(log) and os.getpid() not in printers(log)       # another process printed it
    assert (tmp_path / "out" / "a" / "big.csv").read_bytes() == pandas_bytes(big, tmp_path)
    assert (tmp_path / "out" / "small.csv").read_bytes() == pandas_bytes(small, tmp_path)
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["a", "big.csv", "small.csv"]


def made_by(log: Path, name: str, table: pd.DataFrame):
    """A maker of `table` that notes its name and the process it runs in."""
    def make():
        with open(log, "a") as fh:
            fh.write(f"{name} {os.getpid()}\n")
        return table
    return make


@pytest.mark.parametrize("fork_rows", [10, None])
def test_a_table_made_later_is_made_once_by_the_process_that_writes_it(tmp_path, forking, fork_rows):
    log, out = tmp_path / "makers", tmp_path / "out"
    big, small = cells(50, "big"), cells(3, "small")
    with Staging(out, fork_rows=fork_rows) as staging:
        staging.add(out / "big.csv", Later(made_by(log, "big", big), len(big)))
        staging.add(out / "small.csv", Later(made_by(log, "small", small), len(small)))
    makers = [line.split() for line in log.read_text().splitlines()]
    assert sorted(name for name, _ in makers) == ["big", "small"], "each table made once"
    by = {name: int(pid) for name, pid in makers}
    assert (by["big"] != os.getpid()) == (fork_rows is not None), "the big one by the writer process, if any"
    assert by["small"] == os.getpid()
    assert (out / "big.csv").read_bytes() == pandas_bytes(big, tmp_path)
    assert (out / "small.csv").read_bytes() == pandas_bytes(small, tmp_path)


def test_without_fork_every_file_is_written_here(tmp_path):
    log = tmp_path / "pids"
    big = cells(50, Printed(log))
    with Staging(tmp_path / "out", fork_rows=None) as staging:
        staging.add(tmp_path / "out" / "big.csv", big)
    assert printers(log) == [os.getpid()]
    assert (tmp_path / "out" / "big.csv").read_bytes() == pandas_bytes(big, tmp_path)


def test_with_another_thread_about_every_file_is_written_here(tmp_path):
    """A thread could hold a lock the forked copy needs (pyarrow takes one in pa.array): no fork."""
    log, stop = tmp_path / "pids", threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with Staging(tmp_path / "out", fork_rows=10) as staging:
            staging.add(tmp_path / "out" / "big.csv", cells(50, Printed(log)))
    finally:
        stop.set()
        other.join()
    assert printers(log) == [os.getpid()]


def fail():
    raise ValueError("cannot print this cell")


def die_if_forked(parent=os.getpid()):
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("then, said", [(fail, "ValueError: cannot print this cell"), (die_if_forked, "signal 9")])
def test_a_failing_writer_process_leaves_nothing(tmp_path, forking, then, said):
    out = tmp_path / "out"
    with pytest.raises(WriteError, match=said) as raised:
        with Staging(out, fork_rows=10) as staging:
            staging.add(out / "good.csv", cells(3, "fine"))
            staging.add(out / "bad.csv", cells(50, Printed(tmp_path / "pids", then)))
    assert "bad.csv" in str(raised.value)
    assert not list(out.iterdir()), "nothing moved in, the staging folder removed"


def test_a_failing_writer_leaves_nothing(tmp_path):
    def broken(path):
        path.write_text("half")
        raise OSError("disk full")

    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        write_all({out / "a.csv": cells(30, "x"), out / "b" / "c.xlsx": broken, out / "d.csv": cells(2, "y")})
    assert not list(out.iterdir())


def test_an_error_while_staging_stops_the_writer_process(tmp_path, forking):
    log, out = tmp_path / "pids", tmp_path / "out"
    with pytest.raises(RuntimeError, match="scoring failed"):
        with Staging(out, fork_rows=10) as staging:
            staging.add(out / "slow.csv", cells(50, Printed(log, lambda: time.sleep(60))))
            for _ in range(400):                    # until the writer process is printing
                if printers(log):
                    break
                time.sleep(0.05)
            raise RuntimeError("scoring failed")
    [writer] = printers(log)
    with pytest.raises(ProcessLookupError):          # killed and reaped: no such process any more
        os.kill(writer, 0)
    assert not list(out.iterdir())


def pid_writer(log, text, then=None):
    """A writer (as write_all takes them) that notes its process in `log`, then writes `text`."""
    def write(path):
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        if then is not None:
            then()
        path.write_text(text)
    return write


def test_the_writers_are_shared_with_a_writer_process(tmp_path, forking):
    log, out = tmp_path / "pids", tmp_path / "out"
    files = {out / "d" / f"s{i}.xlsx": pid_writer(log, f"statement {i}", then=lambda: time.sleep(0.2))
             for i in range(6)}
    files[out / "table.csv"] = cells(5, "x")
    write_all(files)
    assert [(out / "d" / f"s{i}.xlsx").read_text() for i in range(6)] == [f"statement {i}" for i in range(6)]
    assert (out / "table.csv").read_bytes() == pandas_bytes(files[out / "table.csv"], tmp_path)
    by = printers(log)
    assert len(by) == 6 and 0 < by.count(os.getpid()) < 6, "each process took some, each file once"


def fail_if_forked(parent=os.getpid()):
    time.sleep(0.2)
    if os.getpid() != parent:
        fail()


def test_a_failing_writer_in_the_writer_process_is_named(tmp_path, forking):
    log, out = tmp_path / "pids", tmp_path / "out"
    files = {out / f"s{i}.xlsx": pid_writer(log, "ok", then=fail_if_forked) for i in range(4)}
    with pytest.raises(WriteError, match=r"writing s\d.xlsx failed in the writer process: ValueError"):
        write_all(files)
    assert not list(out.iterdir())


def test_a_count_left_locked_by_a_killed_process_is_an_error_not_a_hang(monkeypatch):
    from perfpay.output import Numbers

    numbers = Numbers(3)
    assert [numbers.take(), numbers.left(), numbers.take(), numbers.take(), numbers.take()] == [0, 2, 1, 2, None]
    monkeypatch.setattr(Numbers, "WAIT", 0.1)
    numbers.lock.acquire()                          # as a writer process killed while taking a number
    with pytest.raises(WriteError, match="stayed locked"):
        numbers.take()


def test_the_longest_work_is_started_first(tmp_path):
    """Sized writers by their estimate, tables by their rows, other writers last, in the order added."""
    log, out = tmp_path / "order", tmp_path / "out"
    with Staging(out, fork_rows=None) as staging:
        staging.add(out / "s1.xlsx", named_writer(log, "s1"))
        staging.add(out / "few.csv", Later(made_by(log, "few", cells(3, "x")), 3))
        staging.add(out / "many.csv", Later(made_by(log, "many", cells(50, "x")), 50))
        staging.add(out / "s2.xlsx", named_writer(log, "s2"))
        staging.add(out / "cards.xlsx", Sized(named_writer(log, "cards"), seconds=1.0))
    assert [name for name, _ in writers(log)] == ["cards", "many", "few", "s1", "s2"]
    assert (out / "cards.xlsx").read_text() == "cards"


def test_numbers_are_taken_once_from_either_end():
    from perfpay.output import Numbers

    numbers = Numbers(4)
    assert [numbers.take_last(), numbers.take(), numbers.left(), numbers.take_last(), numbers.take(),
            numbers.take(), numbers.take_last(), numbers.left()] == [3, 0, 2, 2, 1, None, None, 0]


def test_the_longest_writer_waits_for_a_writer_process_not_for_this_one(tmp_path, forking):
    """A table handed off while staging keeps the writer process busy at commit: this process writes
    the short files from the back meanwhile, and the longest is left to the next writer process,
    not started here (where it would hold up every file behind it)."""
    log, out = tmp_path / "order", tmp_path / "out"
    with Staging(out, fork_rows=10) as staging:
        staging.add(out / "big.csv", cells(50, Printed(tmp_path / "pids", then=lambda: time.sleep(0.3))))
        staging.add(out / "long.xlsx", Sized(named_writer(log, "long"), seconds=60.0))
        for i in range(3):
            staging.add(out / f"short{i}.xlsx", named_writer(log, f"short{i}", then=lambda: time.sleep(0.5)))
    by = dict(writers(log))
    assert sorted(by) == ["long", "short0", "short1", "short2"], "each file once"
    assert by["short2"] == os.getpid(), "the shortest, last added, here first"
    assert by["long"] != os.getpid(), "the longest by a writer process"
    assert (out / "long.xlsx").read_text() == "long"


def named_writer(log, name, then=None):
    """A writer that notes its name and process in `log`, then writes its name."""
    def write(path):
        with open(log, "a") as fh:
            fh.write(f"{name} {os.getpid()}\n")
        if then is not None:
            then()
        path.write_text(name)
    return write


def writers(log) -> list[tuple[str, int]]:
    return [(name, int(pid)) for name, pid in (line.split() for line in log.read_text().splitlines())]


def test_with_no_writer_process_busy_this_one_takes_the_longest_itself(tmp_path, forking):
    """A forked writer process pays for every page it writes that it shares with this one: the
    longest work is done here, the rest shared with a writer process started at commit."""
    log, out = tmp_path / "order", tmp_path / "out"
    with Staging(out, fork_rows=10**9) as staging:
        staging.add(out / "long.xlsx", Sized(named_writer(log, "long", then=lambda: time.sleep(1.0)), seconds=60.0))
        for i in range(3):
            staging.add(out / f"short{i}.xlsx", named_writer(log, f"short{i}", then=lambda: time.sleep(0.1)))
    by = dict(writers(log))
    assert by["long"] == os.getpid() and os.getpid() not in [by[f"short{i}"] for i in range(3)]


def test_only_a_column_that_starts_with_text_or_a_missing_value_is_asked_of_pyarrow(monkeypatch):
    from perfpay import output
    asked = []
    real = output.pa.array
    monkeypatch.setattr(output.pa, "array", lambda values, *a, **k: asked.append(len(values)) or real(values, *a, **k))
    assert output.text_only(np.array([Decimal("1.10"), "a", None], dtype=object)) is None
    assert output.text_only(np.array([1, "a"], dtype=object)) is None
    assert asked == []                  # refused at once: pyarrow is slow to refuse Decimals
    for first in (None, np.nan, "x"):
        got = output.text_only(np.array([first, "a,b", None], dtype=object))
        assert got.to_pylist() == [first if first == "x" else None, "a,b", None]
    assert output.text_only(np.array([None, Decimal("1")], dtype=object)) is None
    assert len(asked) == 4


def test_files_written_through_a_temporary_file_get_the_usual_permissions(tmp_path):
    from openpyxl import Workbook

    from perfpay.batch.manifest import write_text
    from perfpay.pay.statements import _save_atomic

    before = os.umask(0o027)
    try:
        write_csv(pd.DataFrame({"a": [1]}), tmp_path / "one.csv")
        _save_atomic(Workbook(), tmp_path / "book.xlsx")
        write_text(tmp_path / "run.json", "{}\n")
        (tmp_path / "plain.txt").write_text("made the usual way")
    finally:
        os.umask(before)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {"one.csv": 0o640, "book.xlsx": 0o640, "run.json": 0o640, "plain.txt": 0o640}


def test_a_csv_longer_than_an_excel_sheet_is_named_with_what_to_do():
    import perfpay.output as output

    assert output.EXCEL_ROWS == 2 ** 20                 # Excel's lines per sheet, the header among them
    fits = pd.DataFrame({"a": np.zeros(2 ** 20 - 1, dtype=np.int8)})     # the header and 1,048,575 rows
    over = pd.DataFrame({"a": np.zeros(2 ** 20, dtype=np.int8)})         # one row more
    files = {Path("out/客户服务部/explain.csv"): over, Path("out/BD组/explain.csv"): fits,
             Path("out/大客户部/explain.csv"): Later(lambda: None, 3_000_000),    # counted, not made
             Path("out/大客户部/scorecards.xlsx"): lambda path: None, Path("out/big.parquet"): over}
    said = output.beyond_excel(files)
    assert said == [
        "客户服务部/explain.csv: 1,048,576 rows, more than an Excel sheet holds (1,048,575 below the header), so "
        "Excel opens it cut short; read it with pandas, or in Excel through Data > From Text/CSV loaded into "
        "the Data Model",
        "大客户部/explain.csv: 3,000,000 rows, more than an Excel sheet holds (1,048,575 below the header), so "
        "Excel opens it cut short; read it with pandas, or in Excel through Data > From Text/CSV loaded into "
        "the Data Model"]


def test_the_score_pay_and_kpi_jobs_say_which_files_excel_cuts_short(tmp_path, params, monkeypatch):
    import perfpay.output as output
    from perfpay.jobs import kpi_files, pay_files, score_files, scored_departments
    from perfpay.load import load
    from perfpay.periods import Period

    root = Path(__file__).resolve().parents[1]
    period = Period.parse("2026-07")
    inputs = load(root / "inputs", params, period)
    departments = scored_departments(inputs)
    files, said = score_files(params, inputs, period, departments, tmp_path)
    longest = max((p for p in files if p.name == "explain.csv"), key=lambda p: len(files[p]))
    assert not [m for m in said if "Excel" in m]
    monkeypatch.setattr(output, "EXCEL_ROWS", len(files[longest]) + 1)     # it fits, with its header
    assert not [m for m in score_files(params, inputs, period, departments, tmp_path)[1] if "Excel" in m]
    monkeypatch.setattr(output, "EXCEL_ROWS", len(files[longest]))        # one line too many
    said = [m for m in score_files(params, inputs, period, departments, tmp_path)[1] if "Excel" in m]
    assert said and said[0].startswith(f"{longest.parent.name}/explain.csv: {len(files[longest]):,} rows")
    monkeypatch.setattr(output, "EXCEL_ROWS", 1)
    paid, said = pay_files(params, inputs, period, tmp_path)
    tables = sorted(f"{p.parent.name}/{p.name}" for p, v in paid.items() if p.suffix == ".csv" and len(v))
    assert tables and sorted(m.split(":")[0] for m in said if "Excel" in m) == tables
    measured, said = kpi_files(params, inputs, period, departments, tmp_path)
    tables = sorted(f"{p.parent.name}/{p.name}" for p, v in measured.items() if len(v))
    assert tables and sorted(m.split(":")[0] for m in said if "Excel" in m) == tables
