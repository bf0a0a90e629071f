"""`perfpay run --scheduler`: the notebooks on a Dask cluster give what a local run gives.

A `distributed.LocalCluster` of two worker processes (one thread each) stands in for a cluster;
the runs use the small notebooks and the three-person company of test_batch.py.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import openpyxl
import pytest
from nbformat.v4 import new_code_cell

from conftest import ROOT
from perfpay import cli
from perfpay.batch import cluster as dask_cluster
from test_batch import EXPECTED, company, files_under, notebooks, run


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """The workers' scratch folders."""
    return tmp_path_factory.mktemp("dask-workers")


@pytest.fixture(scope="module")
def cluster(scratch):
    distributed = pytest.importorskip("distributed", reason='needs the dask extra: pip install "perfpay[dask]"')
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  local_directory=str(scratch)) as c:
        yield c


def workers(c) -> set[str]:
    return set(c.scheduler_info["workers"])


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """The same period run twice: by local processes and on the cluster."""
    base = tmp_path_factory.mktemp("same")
    inputs, nbs = company(base / "in"), notebooks(base / "nb")
    local = run(inputs, nbs, base / "local", "--jobs", "2")
    remote = run(inputs, nbs, base / "cluster", "--scheduler", cluster.scheduler_address)
    return {"local": local, "cluster": remote,
            "local_out": base / "local" / "2026Q3", "cluster_out": base / "cluster" / "2026Q3"}


class Tables(HTMLParser):
    """The text of every table cell, table by table, row by row; and how many images."""

    def __init__(self, page: str):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.images = 0
        self._cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def cells(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def shown(path: Path) -> list:
    """What a notebook shows: each code cell's source and text outputs, and whether it drew a chart."""
    nb = nbformat.read(path, as_version=4)
    out = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        texts = [o.get("text") or o.get("data", {}).get("text/plain") for o in c.outputs]
        out.append((c.source, texts, any("image/png" in o.get("data", {}) for o in c.outputs)))
    return out


# --- a cluster run equals a local run -----------------------------------------------------------


def test_both_runs_succeed_and_write_the_same_files(runs, cluster, scratch):
    for name in ("local", "cluster"):
        r = runs[name]
        assert r.returncode == 0, r.stdout + r.stderr
    assert f"with 2 jobs on the Dask cluster at {cluster.scheduler_address}" in runs["cluster"].stdout
    assert files_under(runs["local_out"]) == files_under(runs["cluster_out"]) == EXPECTED
    assert not list(scratch.rglob("perfpay-*")), "the run's files are removed from the workers"


def test_data_files_are_byte_equal_and_workbooks_cell_equal(runs):
    a, b = runs["local_out"], runs["cluster_out"]
    data = [rel for rel in EXPECTED if rel.endswith(".csv")]
    assert len(data) == 7 and [rel for rel in data if (a / rel).read_bytes() != (b / rel).read_bytes()] == []
    books = [rel for rel in EXPECTED if rel.endswith(".xlsx")]
    assert len(books) == 5
    for rel in books:
        assert cells(a / rel) == cells(b / rel), rel


def test_reports_show_the_same_tables_and_charts(runs):
    a, b = runs["local_out"], runs["cluster_out"]
    for rel in sorted(r for r in EXPECTED if r.endswith(".html") and r != "index.html"):
        here, there = Tables((a / rel).read_text(encoding="utf-8")), Tables((b / rel).read_text(encoding="utf-8"))
        assert here.tables == there.tables and here.images == there.images, rel
    report = Tables((b / "大客户部" / "department_report.html").read_text(encoding="utf-8"))
    assert report.tables and report.images, "the comparison compares something"
    assert any("吴敏" in cell for row in report.tables[0] for cell in row)
    for rel in sorted(r for r in EXPECTED if r.endswith(".ipynb")):
        assert shown(a / rel) == shown(b / rel), rel


def test_kept_notebooks_name_the_folders_of_the_run_not_the_workers(runs):
    path = runs["cluster_out"] / "大客户部" / "department_report.ipynb"
    nb = nbformat.read(path, as_version=4)
    local = json.loads((runs["local_out"] / "run.json").read_text(encoding="utf-8"))
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'inputs_dir = "{local["parameters"]["inputs_dir"]}"' in injected.source
    assert nb.metadata.papermill["parameters"]["params_dir"] == local["parameters"]["params_dir"]
    assert nb.metadata.papermill["output_path"] == str(path.resolve())


def test_run_json_lists_the_same_notebooks_and_the_workers(runs, cluster):
    a, b = (json.loads((runs[k] / "run.json").read_text(encoding="utf-8")) for k in ("local_out", "cluster_out"))
    assert a["status"] == "ok" and b["status"] == "ok"
    listed = [(nb["key"], nb["status"]) for nb in b["notebooks"]]
    assert listed == [(nb["key"], nb["status"]) for nb in a["notebooks"]]
    assert len(listed) == 4 and all(status == "ok" for _, status in listed)
    same = ("files", "extras", "parameters", "warnings")
    for x, y in zip(a["notebooks"], b["notebooks"]):
        assert [x[k] for k in same] == [y[k] for k in same], x["key"]
    assert {nb["worker"] for nb in b["notebooks"]} <= workers(cluster) and "worker" not in a["notebooks"][0]
    assert a["parameters"]["scheduler"] is None and b["parameters"]["scheduler"] == cluster.scheduler_address
    assert b["parameters"]["jobs"] == 2, "as many as the workers have threads"
    csv = {f["path"]: f["sha256"] for f in a["data_files"] if f["path"].endswith(".csv")}
    assert csv and csv.items() <= {f["path"]: f["sha256"] for f in b["data_files"]}.items()
    assert [f["path"] for f in a["data_files"]] == [f["path"] for f in b["data_files"]]
    assert (a["inputs"], a["params"], a["notebook_sources"]) == (b["inputs"], b["params"], b["notebook_sources"])
    for page in (runs["local_out"] / "index.html", runs["cluster_out"] / "index.html"):
        assert "全部报告生成成功" in page.read_text(encoding="utf-8")
    assert untimed(runs["local_out"] / "index.html") == untimed(runs["cluster_out"] / "index.html")


def untimed(index: Path) -> list:
    """The index's tables without the time each notebook took."""
    tables = Tables(index.read_text(encoding="utf-8")).tables
    return [[[cell for cell in row if not cell.endswith(" 秒")] for row in table] for table in tables]


# --- failures -----------------------------------------------------------------------------------


def test_failing_notebooks_are_kept_marked_rendered_and_listed(cluster, tmp_path):
    nbs = notebooks(tmp_path / "nb", department_report="dies", commission_statements="failing")
    out = tmp_path / "out"
    r = run(company(tmp_path / "in"), nbs, out, "--department", "大客户部",
            "--scheduler", cluster.scheduler_address)
    assert r.returncode == 1, r.stdout + r.stderr
    period = out / "2026Q3"
    assert "notebooks: 0 ok, 2 failed" in r.stdout
    assert "FAILED 大客户部/commission_statements: ValueError: 故意失败：缺少数据 <测试> & 更多" in r.stdout
    assert "FAILED 大客户部/department_report: DeadKernelError" in r.stdout
    kept = nbformat.read(period / "大客户部" / "commission_statements.ipynb", as_version=4)
    assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in kept.cells)
    died = nbformat.read(period / "大客户部" / "department_report.ipynb", as_version=4)
    assert any("perfpay-error-cell" in c.metadata.get("tags", []) for c in died.cells)
    for key in ("大客户部/commission_statements", "大客户部/department_report"):
        assert "本报告未能完整生成" in (period / f"{key}.html").read_text(encoding="utf-8")
    record = json.loads((period / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "failed" and [nb["status"] for nb in record["notebooks"]] == ["failed", "failed"]
    assert "2 份报告生成失败" in (period / "index.html").read_text(encoding="utf-8")
    every = files_under(out)
    assert not [f for f in every if "partial.csv" in f or "half_written.csv" in f or "/.run-" in f], every
    expected = {f"2026Q3/{f}" for f in EXPECTED if f.startswith("大客户部/") and "附件" not in f}
    assert every == expected | {"2026Q3/run.json", "2026Q3/index.html"}, "the files of a local run, no more"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_in_process(tmp_path, *extra) -> int:
    return cli.main(["run", "--period", "2026Q3", "--inputs", str(company(tmp_path / "in")),
                     "--params", str(ROOT / "params"), "--notebooks", str(notebooks(tmp_path / "nb")),
                     "--out", str(tmp_path / "out"), *extra])


def test_an_unreachable_scheduler_is_a_clear_error_before_anything_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT", 2)
    address = f"tcp://127.0.0.1:{_free_port()}"
    assert _run_in_process(tmp_path, "--scheduler", address) == 2
    err = capsys.readouterr().err
    assert f"cannot reach the Dask scheduler at {address}" in err and "dask scheduler" in err
    assert not (tmp_path / "out").exists()


def test_without_the_dask_extra_the_error_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)          # import distributed fails
    assert _run_in_process(tmp_path, "--scheduler", "tcp://127.0.0.1:8786") == 2
    assert 'pip install "perfpay[dask]"' in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_dask_is_imported_only_for_a_cluster_run():
    code = ("import sys, perfpay.cli, perfpay.batch; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


def test_a_worker_lost_mid_notebook_has_it_rerun_on_another(cluster, tmp_path):
    """The first worker to run the report is killed from inside its kernel; Dask reruns it elsewhere."""
    nbs = notebooks(tmp_path / "nb")
    flag = tmp_path / "killed"
    nb = nbformat.read(nbs / "department_report.ipynb", as_version=4)
    nb.cells.insert(2, new_code_cell(
        "import os, signal\nfrom pathlib import Path\n"
        f"flag = Path({str(flag)!r})\n"
        "if not flag.exists():\n"
        "    flag.write_text(str(os.getppid()))\n"
        "    os.kill(os.getppid(), signal.SIGKILL)   # the worker process running this kernel\n"))
    nbformat.write(nb, nbs / "department_report.ipynb")
    out = tmp_path / "out"
    r = run(company(tmp_path / "in"), nbs, out, "--department", "BD组", "--scheduler", cluster.scheduler_address)
    assert r.returncode == 0, r.stdout + r.stderr
    assert flag.exists(), "a worker was killed"
    record = json.loads((out / "2026Q3" / "run.json").read_text(encoding="utf-8"))
    assert [(nb["key"], nb["status"]) for nb in record["notebooks"]] == [("BD组/department_report", "ok")]
    expected = {f for f in EXPECTED if f.startswith("BD组/")} | {"run.json", "index.html"}
    assert files_under(out / "2026Q3") == expected, "the killed attempt left nothing behind"
