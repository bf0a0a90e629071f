"""`perfpay run`: data files, report notebooks run by papermill in parallel (real kernels), HTML for
managers, run.json and index.html.

The runs use the small notebooks of tests/fixtures/notebooks/ (same names and parameters as the
real ones) over a three-person company; the last test runs the real notebooks on the sample company.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pandas as pd
import pytest

from conftest import ROOT, write_tables
from perfpay.batch import (DueFacts, due_notebooks, external_references, facts_from_files, index_html,
                           make_offline, run_notebooks)
from perfpay.batch.execute import publish
from perfpay.batch.html import headings, toc

FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
REAL_NOTEBOOKS = ROOT / "notebooks"
REPORTS = ("department_report", "commission_statements", "pay_pool", "company_overview")

BOSS = {"employee_id": "G1", "name": "高总", "department": "总经理办公室", "branch": "总部", "role": "总经理",
        "hire_date": "2010-01-01"}
MERCHANT = {"employee_id": "E1", "name": "马超", "department": "BD组", "branch": "华东分部", "role": "BD商家维护组",
            "hire_date": "2020-01-01", "manager_id": "G1"}
SELLER = {"employee_id": "S1", "name": "吴敏", "department": "大客户部", "branch": "总部", "role": "大客户专员",
          "hire_date": "2020-01-01", "manager_id": "G1"}


def company(folder: Path, extra_actuals=()) -> Path:
    """BD组 (one merchant keeper) and 大客户部 (one salesperson with a quota and a deal in 2026Q3)."""
    actuals = [{"period": "2026-07", "employee_id": "E1", "indicator": "merchant_visits", "actual": 80},
               {"period": "2026-08", "employee_id": "E1", "indicator": "merchant_visits", "actual": 60},
               {"period": "2026Q3", "employee_id": "S1", "indicator": "sales_plan_rate", "actual": 100},
               *extra_actuals]
    return write_tables(folder, {
        "roster": [BOSS, MERCHANT, SELLER],
        "actuals": actuals,
        "targets": [{"period": "2026Q3", "employee_id": "S1", "indicator": "sales_plan_rate", "target": 100}],
        "quotas": [{"quarter": "2026Q3", "employee_id": "S1", "target": 200000}],
        "deals": [{"date": "2026-08-10", "deal_id": "D1", "crm_id": "CRM-1", "employee_id": "S1",
                   "revenue_type": "软件", "amount": 240000}],
    })


def notebooks(folder: Path, **instead) -> Path:
    """The fixture notebooks under their real names; instead={'company_overview': 'dies'} swaps one."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in REPORTS:
        shutil.copy(FIXTURES / f"{instead.get(name, name)}.ipynb", folder / f"{name}.ipynb")
    return folder


def perfpay(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "perfpay.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd)


def run(inputs: Path, nbs: Path, out: Path, *extra):
    return perfpay("run", "--period", "2026Q3", "--inputs", str(inputs), "--params", str(ROOT / "params"),
                   "--notebooks", str(nbs), "--out", str(out), *extra)


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


class Links(HTMLParser):
    """Every src/href attribute, by tag."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.links += [(tag, k, v) for k, v in attrs if k in ("src", "href") and v is not None]


def links(page: str):
    parser = Links()
    parser.feed(page)
    return parser.links


REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def assert_offline(page: str, name: str):
    """Nothing on the internet in any src or href, in @import or in url()."""
    remote = [(t, k, v) for t, k, v in links(page) if REMOTE.match(v)]
    assert not remote, f"{name} refers to the internet: {remote[:5]}"
    css = re.findall(r"@import[^;]*|url\(\s*['\"]?\s*(?:https?:)?//[^)]*\)", page)
    assert not [c for c in css if "//" in c], f"{name}: {css[:5]}"
    assert not re.search(r"<script[^>]+src=", page), f"{name} loads a script"
    assert external_references(page) == [], name


# --- the due rules (no kernel) -------------------------------------------------------------------


def keys(jobs):
    return [(j.notebook, j.period, j.department) for j in jobs]


FACTS = DueFacts(commission={"大客户部": {"2026Q3", "2026Q4"}}, pools=frozenset({"客户服务部"}))
DEPTS = ["BD组", "大客户部", "客户服务部"]


def test_a_month_has_department_reports_and_the_overview():
    assert keys(due_notebooks("2026-07", DEPTS, FACTS)) == [
        ("department_report", "2026-07", "BD组"), ("department_report", "2026-07", "大客户部"),
        ("department_report", "2026-07", "客户服务部"), ("company_overview", "2026-07", None)]


def test_a_quarter_adds_commission_statements_of_departments_with_commission_rows():
    jobs = due_notebooks("2026Q3", DEPTS, FACTS)
    assert ("commission_statements", "2026Q3", "大客户部") in keys(jobs)
    assert [k for k in keys(jobs) if k[0] == "commission_statements"] == [("commission_statements", "2026Q3", "大客户部")]
    assert not [j for j in jobs if j.notebook == "pay_pool"]
    one = next(j for j in jobs if j.notebook == "commission_statements")
    assert one.stem == "commission_statements" and one.key == "大客户部/commission_statements"
    assert one.title == "大客户部 季度提成 2026Q3"
    assert keys(due_notebooks("2026Q1", DEPTS, FACTS)) == keys(due_notebooks("2026Q1", DEPTS, DueFacts({}, frozenset())))


def test_a_half_has_one_commission_notebook_per_quarter_with_rows():
    jobs = [j for j in due_notebooks("2026H2", DEPTS, FACTS) if j.notebook == "commission_statements"]
    assert [(j.period, j.stem) for j in jobs] == [("2026Q3", "commission_statements_2026Q3"),
                                                  ("2026Q4", "commission_statements_2026Q4")]


def test_a_year_adds_the_pool_of_departments_with_one():
    jobs = due_notebooks("2026", DEPTS, FACTS)
    assert [k for k in keys(jobs) if k[0] == "pay_pool"] == [("pay_pool", "2026", "客户服务部")]
    assert len([j for j in jobs if j.notebook == "commission_statements"]) == 2
    assert keys(jobs)[-1] == ("company_overview", "2026", None)
    assert len({j.key for j in jobs}) == len(jobs), "every output has its own name"


def test_a_run_narrowed_to_departments_has_no_overview_and_only_their_notebooks():
    jobs = due_notebooks("2026", ["大客户部"], DueFacts({"大客户部": {"2026Q1"}}, frozenset()), company=False)
    assert keys(jobs) == [("department_report", "2026", "大客户部"), ("commission_statements", "2026Q1", "大客户部")]


def test_parameters_are_absolute_paths(tmp_path):
    job = due_notebooks("2026Q3", ["BD组"], FACTS)[0]
    p = job.parameters("inputs", "params")
    assert p["period"] == "2026Q3" and p["department"] == "BD组"
    assert Path(p["inputs_dir"]).is_absolute() and Path(p["params_dir"]).is_absolute()
    overview = due_notebooks("2026Q3", [], FACTS)[-1]
    assert "department" not in overview.parameters("inputs", "params")


def test_due_facts_are_read_from_the_data_files(tmp_path):
    out = tmp_path / "2026"
    files = {out / "大客户部" / "commission.csv": pd.DataFrame({"quarter": ["2026Q1", "2026Q3", "2026Q3"]}),
             out / "客户服务部" / "pool.csv": pd.DataFrame({"x": [1]}),
             out / "BD组" / "commission.csv": pd.DataFrame({"quarter": []}),
             out / "大客户部" / "statements" / "S1.xlsx": lambda path: None}
    facts = facts_from_files(files, out)
    assert facts.commission == {"大客户部": {"2026Q1", "2026Q3"}} and facts.pools == {"客户服务部"}


# --- HTML pieces (no kernel) ------------------------------------------------------------------------


def test_external_references_are_found_and_blanked():
    page = ('<html><head><script src="https://cdn.example.com/require.js"></script>'
            '<link rel="stylesheet" href="//fonts.example.com/a.css">'
            '<style>@import url("https://x.example.com/b.css"); .a { background: url(http://x.example.com/c.png) }'
            '</style></head><body><img src="data:image/png;base64,AAAA"><a href="https://example.com/">site</a>'
            '<script type="module">const m = await import("https://cdn.example.com/m.mjs");</script>'
            '<a href="#part">part</a></body></html>')
    found = external_references(page)
    assert found == ["https://cdn.example.com/require.js", "//fonts.example.com/a.css",
                     "https://x.example.com/b.css", "http://x.example.com/c.png", "https://cdn.example.com/m.mjs"]
    clean, warnings = make_offline(page)
    assert external_references(clean) == [] and len(warnings) == 5
    assert 'href="https://example.com/"' in clean, "a link the reader may follow is not a load"


LOADS = [  # (page, loads something): URLs however written, and pages with // that load nothing
    ('<img src="&#104;ttps://x.example.com/a.png">', True),
    ('<link rel="stylesheet" href="&sol;&sol;x.example.com/a.css">', True),
    ('<img srcset="a.png 1x, &#x2F;/x.example.com/b.png 2x">', True),
    ('<img srcset="a.png 1x,//x.example.com/b.png 2x">', True),
    ("<img src = //x.example.com/a.png>", True),
    ("<img src='\n HTTP://x.example.com/a.png'>", True),
    ('<div style="background: url( \'//x.example.com/c.png\')"></div>', True),
    ('<div style="background:url&lpar;//x.example.com/c.png)"></div>', True),
    ("<style>@import //x.example.com/b.css;</style>", True),
    ("<style>@import\turl(https://x.example.com/b.css);</style>", True),
    ("<script>import(`https://x.example.com/m.mjs`)</script>", True),
    ("<style>/* see https://example.com/licence */ a { color: red }</style>", False),
    ('<a href="https://example.com/">site</a><p>http://example.com/ in text</p>', False),
    ('<img src="data:image/png;base64,AB//CD+//EF/==">', False),
    ("<!-- <img src='//x.example.com/a.png'> -->", False),
]


@pytest.mark.parametrize("page, loads", LOADS)
def test_pages_that_may_load_are_parsed_the_others_not(page, loads):
    from perfpay.batch.html import _Loads, may_load

    parser = _Loads()                   # what the whole page parsed finds
    parser.feed(page)
    assert bool(parser.urls) == loads
    assert external_references(page) == list(dict.fromkeys(parser.urls))
    assert may_load(page) or not loads, "a page that loads something is always parsed"


def test_a_report_page_is_not_parsed_for_what_it_loads():
    from perfpay.batch.html import may_load, render_html

    assert not may_load(render_html(nbformat.v4.new_notebook(), title="t")[0])


def test_toc_lists_headings_with_ids():
    body = ('<h1 id="a%20b">部门 报告<a class="anchor-link" href="#a%20b">¶</a></h1><p>x</p>'
            '<h2 id="c">得分 &amp; 等级</h2><h4 id="d">深</h4><h2>no id</h2>')
    assert headings(body) == [(1, "a%20b", "部门 报告"), (2, "c", "得分 & 等级")]
    nav = toc(body)
    assert '<a href="#a%20b">部门 报告</a>' in nav and "得分 &amp; 等级" in nav and "目录" in nav
    assert toc("<p>none</p>") == ""


def test_index_escapes_names_and_encodes_links():
    record = {"period": "2026Q3", "finished_at": "t", "departments": ["A&B<部>"],
              "data_files": [{"path": "A&B<部>/scores.csv", "sha256": "0"}],
              "notebooks": [{"key": "A&B<部>/department_report", "notebook": "department_report",
                             "period": "2026Q3", "department": "A&B<部>", "title": "A&B<部> 绩效报告 2026Q3",
                             "status": "failed", "error": "KeyError: '<script>alert(1)</script>'", "seconds": 1.0,
                             "files": {"html": "A&B<部>/department_report.html"}, "extras": [], "warnings": []}]}
    page = index_html(record)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "A&amp;B&lt;部&gt;" in page and "A&B<部>" not in page
    hrefs = [v for t, k, v in links(page) if k == "href"]
    assert "A%26B%3C%E9%83%A8%3E/department_report.html" in hrefs
    assert "1 份报告生成失败" in page


def test_the_company_notebook_starts_first_and_the_others_keep_their_order():
    from perfpay.batch.run import start_order

    ready = [{"key": k, "department": d} for k, d in
             (("A/department_report", "A"), ("B/department_report", "B"), ("A/commission_statements", "A"),
              ("company_overview", None), ("B/pay_pool", "B"))]
    assert [p["key"] for p in start_order(ready)] == [
        "company_overview", "A/department_report", "B/department_report", "A/commission_statements", "B/pay_pool"]


def test_a_missing_notebook_is_a_failure_not_a_crash(tmp_path):
    jobs = due_notebooks("2026Q3", [], FACTS)                       # the overview alone
    entries = run_notebooks(jobs, out=tmp_path / "2026Q3", notebooks_dir=tmp_path / "none",
                            inputs_dir=tmp_path, params_dir=tmp_path, jobs=1, echo=lambda line: None)
    assert entries[0]["status"] == "failed" and "notebook not found" in entries[0]["error"]
    assert files_under(tmp_path / "2026Q3") == set(), "nothing written, no work folder left"


def test_a_file_written_by_a_notebook_never_replaces_a_data_file(tmp_path):
    out, work = tmp_path / "2026Q3", tmp_path / "work"
    (work / "cwd").mkdir(parents=True)
    for name, text in (("department_report.ipynb", "{}"), ("department_report.html", "<html></html>"),
                       ("cwd/scores.csv", "from the notebook"), ("cwd/chart.png", "png")):
        (work / name).write_text(text, encoding="utf-8")
    (out / "BD组").mkdir(parents=True)
    (out / "BD组" / "scores.csv").write_text("data", encoding="utf-8")
    result = {"key": "BD组/department_report", "status": "ok", "extras": ["scores.csv", "chart.png"], "warnings": [],
              "files": {"ipynb": str(work / "department_report.ipynb"), "html": str(work / "department_report.html")}}
    placed = publish(result, out, protected={(out / "BD组" / "scores.csv").resolve()})
    assert placed == {"files": {"ipynb": "BD组/department_report.ipynb", "html": "BD组/department_report.html"},
                      "extras": ["BD组/chart.png"]}
    assert (out / "BD组" / "scores.csv").read_text(encoding="utf-8") == "data"
    assert "scores.csv" in result["warnings"][0] and not work.exists()


# --- a real run: two jobs, every notebook succeeds ------------------------------------------------


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    base = tmp_path_factory.mktemp("good")
    inputs = company(base / "in")
    out = base / "out"
    r = run(inputs, notebooks(base / "nb"), out, "--jobs", "2")
    return {"proc": r, "inputs": inputs, "nb": base / "nb", "out": out, "period": out / "2026Q3"}


EXPECTED = {
    "run.json", "index.html", "company_overview.ipynb", "company_overview.html",
    "BD组/scores.csv", "BD组/explain.csv", "BD组/department_report.ipynb", "BD组/department_report.html",
    "BD组/附件.csv", "BD组/scorecards.xlsx", "BD组/payroll.xlsx",
    "大客户部/scores.csv", "大客户部/explain.csv", "大客户部/commission.csv", "大客户部/statements/S1.xlsx",
    "大客户部/department_report.ipynb", "大客户部/department_report.html", "大客户部/附件.csv",
    "大客户部/commission_statements.ipynb", "大客户部/commission_statements.html",
    "大客户部/scorecards.xlsx", "大客户部/payroll.xlsx",
}


def test_parallel_run_writes_data_and_reports(good):
    r, period = good["proc"], good["period"]
    assert r.returncode == 0, r.stdout + r.stderr
    assert files_under(period) == EXPECTED
    for key in ("BD组/department_report", "大客户部/department_report", "大客户部/commission_statements",
                "company_overview"):
        assert re.search(rf"^ok +{re.escape(key)} \(", r.stdout, re.M), r.stdout
    assert "notebooks: 4 ok, 0 failed" in r.stdout and "with 2 jobs" in r.stdout
    record = json.loads((period / "run.json").read_text(encoding="utf-8"))
    assert record["parameters"]["jobs"] == 2
    spans = sorted((pd.Timestamp(nb["started_at"]).timestamp(),
                    pd.Timestamp(nb["started_at"]).timestamp() + nb["seconds"]) for nb in record["notebooks"])
    assert any(b_start < a_end for (a_start, a_end), (b_start, _) in zip(spans, spans[1:])), \
        f"two notebooks ran at the same time: {spans}"
    # the overview, last in run.json as it is due, started among the first two (start_order)
    keys = [nb["key"] for nb in record["notebooks"]]
    assert keys[-1] == "company_overview"
    started = sorted(record["notebooks"], key=lambda nb: pd.Timestamp(nb["started_at"]))
    assert "company_overview" in [nb["key"] for nb in started[:2]], [nb["key"] for nb in started]
    executed = nbformat.read(period / "大客户部" / "department_report.ipynb", as_version=4)
    injected = next(c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'inputs_dir = "{good["inputs"].resolve()}"' in injected.source
    assert executed.metadata.papermill["output_path"] == str((period / "大客户部" / "department_report.ipynb").resolve())


def test_run_json_records_parameters_hashes_versions_timings(good):
    record = json.loads((good["period"] / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "ok" and record["period"] == "2026Q3"
    p = record["parameters"]
    assert p["inputs_dir"] == str(good["inputs"].resolve()) and p["params_dir"] == str((ROOT / "params").resolve())
    assert p["departments"] == ["BD组", "大客户部"] and p["department_filter"] is None
    for section, folder in (("inputs", good["inputs"]), ("params", ROOT / "params")):
        hashes = record[section]["sha256"]
        on_disk = {q.relative_to(folder).as_posix(): q for q in folder.rglob("*") if q.is_file()}
        assert set(hashes) == set(on_disk), section
        for rel, digest in hashes.items():
            assert digest == hashlib.sha256(on_disk[rel].read_bytes()).hexdigest(), rel
    assert set(record["versions"]) == {"python", "perfpay", "pandas", "numpy", "papermill", "nbconvert",
                                       "openpyxl", "seaborn", "matplotlib"}
    assert all(record["versions"].values())
    assert record["versions"]["pandas"] == pd.__version__
    for f in record["data_files"]:
        assert hashlib.sha256((good["period"] / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert {f["path"] for f in record["data_files"]} == {
        "BD组/scores.csv", "BD组/explain.csv", "大客户部/scores.csv", "大客户部/explain.csv",
        "大客户部/commission.csv", "大客户部/statements/S1.xlsx", "BD组/scorecards.xlsx",
        "BD组/payroll.xlsx", "大客户部/scorecards.xlsx", "大客户部/payroll.xlsx"}
    t = record["timings"]
    assert t["total_seconds"] >= t["notebooks_seconds"] > 0 and t["data_seconds"] > 0
    assert [(nb["key"], nb["status"]) for nb in record["notebooks"]] == [
        ("BD组/department_report", "ok"), ("大客户部/department_report", "ok"),
        ("大客户部/commission_statements", "ok"), ("company_overview", "ok")]
    assert all(nb["seconds"] > 0 for nb in record["notebooks"])
    assert [nb["warnings"] for nb in record["notebooks"]] == [[]] * 4, "every parameter passed is declared"
    src = record["notebook_sources"]["sha256"]
    assert src["department_report.ipynb"] == hashlib.sha256((good["nb"] / "department_report.ipynb").read_bytes()).hexdigest()


def test_html_has_no_code_no_prompts_a_toc_print_css_and_nothing_from_the_internet(good):
    period = good["period"]
    for rel in sorted(f for f in files_under(period) if f.endswith(".html")):
        page = (period / rel).read_text(encoding="utf-8")
        assert_offline(page, rel)
        assert 'lang="zh-CN"' in page and "@media print" in page, rel
    page = (period / "大客户部" / "department_report.html").read_text(encoding="utf-8")
    assert "<title>大客户部 绩效报告 2026Q3</title>" in page
    assert "SOURCE_CODE_MARKER" not in page and "load_params" not in page, "code cells are left out"
    body = page[page.index("<body"):]
    for code_or_prompt in ("hl-ipython3", "jp-InputPrompt", "jp-OutputPrompt", "In&nbsp;[", "Out["):
        assert code_or_prompt not in body, code_or_prompt
    assert "a warning managers need not see" not in page, "stderr is left out"
    nav = re.search(r'<nav class="perfpay-toc".*?</nav>', page, re.S).group(0)
    assert [unquote(v) for t, k, v in links(nav)] == ["#部门绩效报告", "#得分", "#图表", "#总分"]
    for _, _, ident in [(t, k, v) for t, k, v in links(nav)]:
        assert f'id="{ident[1:]}"' in page, "each entry points at a heading"
    images = [v for t, k, v in links(page) if t == "img"]
    assert images and all(v.startswith("data:image/png;base64,") for v in images), "charts are embedded"
    assert "吴敏" in page and "马超" not in page, "the department's own people"


def test_index_links_every_report_and_data_file(good):
    period = good["period"]
    page = (period / "index.html").read_text(encoding="utf-8")
    assert_offline(page, "index.html")
    targets = {unquote(v) for t, k, v in links(page) if t == "a"}
    assert all((period / t).is_file() for t in targets), targets
    assert EXPECTED - {"index.html"} <= targets
    assert "2026Q3 绩效报告索引" in page and "全部报告生成成功" in page and "得分汇总" in page
    assert "<h2>大客户部</h2>" in page and "<h2>BD组</h2>" in page


def test_rerun_with_unchanged_inputs_gives_byte_identical_csvs(good):
    period = good["period"]
    before = {rel: (period / rel).read_bytes() for rel in files_under(period)}
    r = run(good["inputs"], good["nb"], good["out"], "--jobs", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    after = {rel: (period / rel).read_bytes() for rel in files_under(period)}
    assert set(after) == set(before)
    csvs = [rel for rel in before if rel.endswith(".csv")]
    assert len(csvs) == 7
    assert [rel for rel in csvs if before[rel] != after[rel]] == []
    reports = [rel for rel in before if rel.endswith(".html") and rel != "index.html"]
    assert [rel for rel in reports if before[rel] != after[rel]] == [], "the reports show no run-specific detail"


# --- a run where notebooks fail ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    base = tmp_path_factory.mktemp("failing")
    inputs = company(base / "in")
    nbs = notebooks(base / "nb", commission_statements="failing", company_overview="dies")
    out = base / "out"
    r = run(inputs, nbs, out, "--jobs", "2")
    return {"proc": r, "out": out, "period": out / "2026Q3"}


def test_failing_notebooks_are_kept_rendered_listed_and_the_others_complete(failing):
    r, period = failing["proc"], failing["period"]
    assert r.returncode == 1, r.stdout + r.stderr
    assert "notebooks: 2 ok, 2 failed" in r.stdout
    assert "FAILED 大客户部/commission_statements: ValueError: 故意失败：缺少数据 <测试> & 更多" in r.stdout
    assert "FAILED company_overview: DeadKernelError" in r.stdout
    for key in ("BD组/department_report", "大客户部/department_report"):
        assert (period / f"{key}.html").is_file() and (period / f"{key}.ipynb").is_file()
    kept = nbformat.read(period / "大客户部" / "commission_statements.ipynb", as_version=4)
    assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in kept.cells), "failing cell marked"
    assert any(o.get("output_type") == "error" for c in kept.cells if c.cell_type == "code" for o in c.outputs)
    page = (period / "大客户部" / "commission_statements.html").read_text(encoding="utf-8")
    assert "本报告未能完整生成" in page and "papermill-error-cell" in page and "ValueError" in page
    assert_offline(page, "failed report")
    died = nbformat.read(period / "company_overview.ipynb", as_version=4)
    marker = next(i for i, c in enumerate(died.cells) if "perfpay-error-cell" in c.metadata.get("tags", []))
    assert "os._exit" in died.cells[marker + 1].source, "the cell running when the kernel died is marked"
    assert "本报告未能完整生成" in (period / "company_overview.html").read_text(encoding="utf-8")

    record = json.loads((period / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "failed"
    status = {nb["key"]: (nb["status"], nb["error"]) for nb in record["notebooks"]}
    assert status["大客户部/commission_statements"] == ("failed", "ValueError: 故意失败：缺少数据 <测试> & 更多")
    assert status["company_overview"][0] == "failed" and status["BD组/department_report"] == ("ok", None)


def test_index_flags_the_failed_reports_with_the_first_line_of_the_error(failing):
    page = (failing["period"] / "index.html").read_text(encoding="utf-8")
    assert "2 份报告生成失败" in page
    assert "ValueError: 故意失败：缺少数据 &lt;测试&gt; &amp; 更多" in page and "第二行细节" not in page
    assert page.count('<tr class="failed">') == 2 and page.count('<tr class="ok">') == 2
    targets = {unquote(v) for t, k, v in links(page) if t == "a"}
    assert "大客户部/commission_statements.html" in targets and "company_overview.html" in targets
    assert all((failing["period"] / t).is_file() for t in targets)


def test_no_partial_output_is_left_when_a_notebook_fails_mid_way(failing):
    out = failing["out"]
    every = files_under(out)
    assert not [f for f in every if "partial.csv" in f or "half_written.csv" in f], every
    assert not [p for p in out.rglob("*") if p.name.startswith((".run-", ".staging"))], "work folders removed"
    assert every == {f"2026Q3/{f}" for f in EXPECTED}, "the same files as a good run, no more"


# --- refusals (no kernel) ---------------------------------------------------------------------------


def test_input_errors_stop_the_run_before_anything_is_written(tmp_path):
    bad = [{"period": "2026-07", "employee_id": "E9", "indicator": "merchant_visits", "actual": 3}]
    out = tmp_path / "out"
    r = run(company(tmp_path / "in", bad), notebooks(tmp_path / "nb"), out)
    assert r.returncode == 1 and "E9" in r.stderr and "--skip-invalid" in r.stderr
    assert not out.exists()


def test_an_unknown_department_is_refused(tmp_path):
    r = run(company(tmp_path / "in"), notebooks(tmp_path / "nb"), tmp_path / "out", "--department", "研发部")
    assert r.returncode == 2 and "研发部" in r.stderr
    assert not (tmp_path / "out").exists()


# --- the real notebooks on the sample company ------------------------------------------------------


@pytest.mark.skipif(not (REAL_NOTEBOOKS / "department_report.ipynb").exists()
                    or not (REAL_NOTEBOOKS / "commission_statements.ipynb").exists(),
                    reason="the report notebooks are not in notebooks/ yet")
def test_sample_company_key_accounts_2026q3(tmp_path):
    out = tmp_path / "out"
    r = perfpay("run", "--period", "2026Q3", "--department", "大客户部", "--jobs", "2", "--out", str(out), cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    period = out / "2026Q3"
    record = json.loads((period / "run.json").read_text(encoding="utf-8"))
    assert [(nb["key"], nb["status"]) for nb in record["notebooks"]] == [
        ("大客户部/department_report", "ok"), ("大客户部/commission_statements", "ok")]
    assert [nb["warnings"] for nb in record["notebooks"]] == [[], []], "the notebooks declare every parameter"
    for rel in ("大客户部/department_report.html", "大客户部/commission_statements.html", "index.html"):
        page = (period / rel).read_text(encoding="utf-8")
        assert_offline(page, rel)
        body = page[page.index("<body"):]
        assert "hl-ipython3" not in body and "jp-InputPrompt" not in body and "In&nbsp;[" not in body, rel
    page = (period / "大客户部" / "department_report.html").read_text(encoding="utf-8")
    assert "<title>大客户部 绩效报告 2026Q3</title>" in page and 'class="perfpay-toc"' in page
    assert all(v.startswith("data:") for t, k, v in links(page) if t == "img")
    assert (period / "大客户部" / "commission.csv").is_file() and len(list((period / "大客户部" / "statements").glob("*.xlsx"))) == 15
    index = (period / "index.html").read_text(encoding="utf-8")
    assert all((period / unquote(v)).is_file() for t, k, v in links(index) if t == "a")


# --- what the data step hands the notebooks ----------------------------------------------------------


def _shown(ctx) -> list:
    """What the reports show of a context: the summaries behind every table and chart."""
    from perfpay.report import kpi_section, summary

    dept = ctx.department
    by = "role" if dept else "department"
    unit = None if dept else "quarter"
    out = [summary.headline(ctx), summary.trend(ctx, by, unit), summary.trend_table(ctx, by, unit),
           summary.by_branch(ctx), summary.data_quality(ctx), summary.input_summary(ctx)]
    if dept:
        out += [summary.rankings(ctx), summary.indicator_shares(ctx), summary.bottom_three(ctx),
                summary.awards_table(ctx), summary.pay_table(ctx), summary.pay_totals(ctx),
                [s["explain"] for s in summary.scorecards(ctx)], kpi_section.headline(ctx),
                kpi_section.by_unit(ctx), kpi_section.people(ctx), kpi_section.key_accounts(ctx),
                summary.commission_cost(ctx), summary.ledger(ctx), summary.excluded_deals(ctx),
                summary.statements(ctx)]
    else:
        out += [summary.departments(ctx), summary.branches(ctx), summary.pay_by_department(ctx)]
    return out


def _same(a, b, where: str) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _same(a[k], b[k], f"{where}[{k}]")
    else:
        assert a == b, where


def test_notebooks_given_the_data_step_results_show_what_they_compute_alone(tmp_path):
    """report_data: params, inputs, scores, KPIs, pay and the year's scores of the data step, handed
    to the notebooks, give the same tables as a notebook that reads and computes everything itself."""
    from perfpay.batch.run import data_files, report_data
    from perfpay.load import load as load_inputs
    from perfpay.params import load_params
    from perfpay.periods import Period
    from perfpay.report import load

    period = Period.parse("2026Q3")
    inputs_dir, params_dir = ROOT / "inputs", ROOT / "params"
    params = load_params(params_dir)
    inputs = load_inputs(inputs_dir, params, period)
    departments = ["客户服务部", "大客户部", "BD组"]
    files, _, results = data_files(params, inputs, period, departments, tmp_path / "out", narrowed=False)
    due = due_notebooks(period, departments, facts_from_files(files, tmp_path / "out"))
    data = report_data(tmp_path / "report_data.pickle", params, inputs, period, due, results, inputs_dir, params_dir)
    for dept in [*departments, None]:
        given = load(period, dept, inputs_dir, params_dir, data=data)
        alone = load(period, dept, inputs_dir, params_dir)
        handed = {"scores", "kpis", "history"} if dept else {"kpis", "pay", "history"}
        assert handed <= set(given.__dict__), "the data step's results are used, not computed again"
        assert (given.commissioned is not None) == (dept is not None), "the ledger is run once, not per notebook"
        assert (given.company_pay is not None) == (dept is not None), "bonus and awards are taken, not computed"
        assert (given.department_scores is not None) == (dept is None), \
            "the company's flagged indicators come from the departments' explanations"
        _same(_shown(given), _shown(alone), dept or "全公司")
    # handed-over results for another period or other folders, or a file gone, are not used
    other = load("2026Q2", "BD组", inputs_dir, params_dir, data=data)
    assert "history" not in other.__dict__ and other.period.label == "2026Q2"
    assert "history" not in load(period, "BD组", inputs_dir, params_dir, data=tmp_path / "gone.pickle").__dict__


def test_report_data_goes_only_to_notebooks_that_declare_it(tmp_path):
    from perfpay.batch.execute import _declares

    assert _declares(REAL_NOTEBOOKS / "department_report.ipynb", "report_data")
    assert not _declares(FIXTURES / "department_report.ipynb", "report_data")


def _one_cell_job(tmp_path: Path, name: str, code: str) -> dict:
    """A run_job job for a notebook of one code cell, its work folder under tmp_path."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, source)
    return {"key": name, "notebook": name, "period": "2026Q3", "department": None, "title": name,
            "meta": "", "source": str(source), "work": str(tmp_path / "work"), "parameters": {},
            "final_ipynb": str(source), "kernel_name": None, "cell_timeout": None, "log_file": False}


def test_a_kernel_that_hangs_at_exit_is_stopped_once_its_notebook_is_done(tmp_path):
    """A kernel takes its time to exit (module teardown, ipykernel's output pipe); the job stops it
    at once (SHUTDOWN): a handler that would finish two seconds after the notebook never does."""
    from perfpay.batch.execute import run_job

    marker = tmp_path / "exited.txt"
    result = run_job(_one_cell_job(tmp_path, "hangs", (
        "import atexit, time\n"
        f"atexit.register(lambda: (time.sleep(2), open({str(marker)!r}, 'w').write('done')))\n"
        "print('ran')")))
    assert result["status"] == "ok", result["error"]
    time.sleep(2.5)                 # a kernel left to exit on its own would have written it by now
    assert not marker.exists(), "the kernel was stopped before its exit handler finished"
    ran = nbformat.read(result["files"]["ipynb"], as_version=4)
    assert "ran" in ran.cells[0].outputs[0]["text"]


def test_a_kernel_talks_over_unix_sockets_in_a_folder_removed_after_the_job(tmp_path):
    """Two processes starting kernels at once could pick the same free TCP port; the kernel that
    lost it failed with "Address already in use" and the job waited 60 s for it. The job's kernel
    uses ZeroMQ's ipc transport in a private folder instead, and the folder goes with the job."""
    from perfpay.batch.execute import run_job

    result = run_job(_one_cell_job(tmp_path, "sockets", (
        "from ipykernel.kernelapp import IPKernelApp\n"
        "app = IPKernelApp.instance()\n"
        "import os\n"
        "print(app.transport, os.path.dirname(app.ip), os.path.exists(f'{app.ip}-{app.shell_port}'))")))
    assert result["status"] == "ok", result["error"]
    transport, folder, exists = nbformat.read(result["files"]["ipynb"], as_version=4).cells[0].outputs[0]["text"].split()
    assert (transport, exists) == ("ipc", "True")
    assert Path(folder).name.startswith("perfpay-kernel-")
    assert not Path(folder).exists(), "the sockets' folder is removed once the job is done"


def test_a_notebook_waits_for_the_pickle_while_perfpay_run_writes_it(tmp_path):
    """The jobs start while the data step's pickle is written: `load` waits while the pending
    marker is there, reads the pickle once it is whole, and computes alone when the marker goes
    without a pickle (or was never there)."""
    import threading
    import time

    from perfpay.report.context import _arrived, pending, save_data

    data = tmp_path / "report_data.pickle"
    marker = pending(data)
    marker.touch()

    def write_later():
        time.sleep(0.3)
        save_data(data, "2026Q3", {"p": 1}, None, tmp_path, tmp_path)
        marker.unlink()

    writer = threading.Thread(target=write_later)
    writer.start()
    assert _arrived(data), "waited for the pickle"
    writer.join()
    assert data.is_file() and not list(tmp_path.glob(".*.part")), "written whole, then renamed"

    gone = tmp_path / "gone.pickle"
    pending(gone).touch()
    threading.Timer(0.2, pending(gone).unlink).start()
    assert not _arrived(gone), "the marker went without a pickle: computed alone"
    assert not _arrived(tmp_path / "never.pickle"), "no marker, no pickle: computed alone"
