"""The report notebooks: they run under papermill on the sample and show the library's numbers.

Every papermill run starts a real `python3` kernel; the runs of this file start together in a
few worker processes the first time a test needs one (about a minute on two cores), and each
test then reads its executed notebook. The committed notebooks are checked for outputs and a
`parameters` cell; the report module's escaping, overlay and fonts are checked directly.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, write_tables

NB = ROOT / "notebooks"
NOTEBOOKS = ["department_report", "commission_statements", "pay_pool", "company_overview", "scenario_explorer"]
XSS = "<script>alert(1)</script>"
XSS_VALUE = "<img src=x onerror=alert(2)>"


# running the notebooks ------------------------------------------------------------------------
def _execute(name: str, parameters: dict, cwd: str, out: str) -> str | None:
    """Run one notebook with papermill in this (worker) process; the error text, or None."""
    import papermill as pm

    from perfpay.batch.execute import kernel_sockets
    try:                                 # two kernels start at once: Unix sockets, not TCP ports
        with kernel_sockets() as sockets:
            pm.execute_notebook(str(NB / f"{name}.ipynb"), out, parameters=parameters, kernel_name="python3",
                                cwd=cwd, progress_bar=False, log_output=False, **sockets)
    except Exception as exc:             # papermill still wrote the notebook, failing cell marked
        return f"{type(exc).__name__}: {exc}"
    return None


def _xss_inputs(folder: Path) -> Path:
    """A small BD company whose first agent is named like a script, with one bad actual row."""
    people = [{"employee_id": "X1", "name": XSS, "department": "BD组", "branch": "总部", "role": "BD商家维护组",
               "hire_date": "2020-01-01"}]
    people += [{"employee_id": f"X{i}", "name": f"员工{i}", "department": "BD组", "branch": "华东分部",
                "role": "BD商家维护组", "hire_date": "2021-01-01"} for i in range(2, 6)]
    actuals = [{"period": "2026-07", "employee_id": p["employee_id"], "indicator": "merchant_visits",
                "actual": 60 + 5 * i} for i, p in enumerate(people)]
    actuals.append({"period": "2026-07", "employee_id": "X2", "indicator": "merchant_certification_rate",
                    "actual": XSS_VALUE})
    return write_tables(folder, {"roster": people, "actuals": actuals})


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """{key: (executed notebook path, future of the error or None)} of every run, started all at once.

    The runs go on in worker processes while the tests compute the library's numbers."""
    out = tmp_path_factory.mktemp("notebooks")
    xss = _xss_inputs(tmp_path_factory.mktemp("xss") / "inputs")
    plan = {
        "dept_cs": ("department_report", {"period": "2026Q3", "department": "客户服务部"}, ROOT),
        "dept_ka": ("department_report", {"period": "2026Q3", "department": "大客户部"}, ROOT),
        "dept_bd": ("department_report", {"period": "2026Q3", "department": "BD组"}, ROOT),
        # a month, run from inside notebooks/ as JupyterLab does: the project is found from there
        "dept_month": ("department_report", {"period": "2026-07", "department": "客户服务部"}, NB),
        "commission": ("commission_statements", {"period": "2026Q3", "department": "大客户部"}, ROOT),
        "pool": ("pay_pool", {"period": "2026", "department": "客户服务部"}, ROOT),
        "overview": ("company_overview", {"period": "2026Q3"}, ROOT),
        "scenario": ("scenario_explorer", {"period": "2026Q3", "department": "大客户部"}, ROOT),
        "xss": ("department_report", {"period": "2026-07", "department": "BD组", "inputs_dir": str(xss)}, ROOT),
    }
    workers = max(2, min(4, os.cpu_count() or 2))
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        yield {k: (out / f"{k}.ipynb", pool.submit(_execute, name, params, str(cwd), str(out / f"{k}.ipynb")))
               for k, (name, params, cwd) in plan.items()}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def executed(runs, key):
    path, future = runs[key]
    error = future.result()
    assert error is None, f"{key}: {error}"
    return nbformat.read(path, as_version=4)


# reading what a notebook shows ------------------------------------------------------------------
def html_outputs(nb) -> list[str]:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if "text/html" in data:
                out.append("".join(data["text/html"]))
    return out


def images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


class _Tables(HTMLParser):
    """Rows of every <table data-table=...>: {name: [(is_header, [cell text, ...]), ...]}."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list] = {}
        self._rows = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = self.tables.setdefault(dict(attrs).get("data-table", ""), [])
        elif tag == "tr" and self._rows is not None:
            self._rows.append((False, []))
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []
            if tag == "th":
                self._rows[-1] = (True, self._rows[-1][1])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._rows[-1][1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(nb) -> dict[str, list[dict]]:
    """Every named table shown, its rows as dicts keyed by the (Chinese) headers of their table."""
    parser = _Tables()
    for h in html_outputs(nb):
        parser.feed(h)
    out = {}
    for name, rows in parser.tables.items():
        dicts, header = [], []
        for is_header, cells in rows:
            if is_header:
                header = cells
            else:
                dicts.append(dict(zip(header, cells)))
        out[name] = dicts
    return out


def money(d) -> str:
    return f"{Decimal(str(d)).quantize(Decimal('0.01')):,.2f}"


# the library's own numbers ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def sample():
    """Scores tables per department and the pay of 2026Q3 and 2026, from the library directly."""
    from perfpay.load import load
    from perfpay.params import load_params
    from perfpay.pay.run import PayResult, annual_pool, pay
    from perfpay.periods import Period
    from perfpay.scorecard import score, scores_table

    params = load_params(ROOT / "params")
    q3 = load(ROOT / "inputs", params, "2026Q3")            # tables, records and computed actuals
    year = load(ROOT / "inputs", params, "2026")
    pool_2026 = PayResult(Period.parse("2026"))          # the pool alone: no need for a year's commission
    annual_pool(pool_2026, params, score(params, year, "2026"), year, Period.parse("2026"))
    return {
        "params": params,
        "scores": {d: scores_table(score(params, q3, "2026Q3", d)) for d in ("客户服务部", "大客户部", "BD组")},
        "all": scores_table(score(params, q3, "2026Q3")),
        "pay_q3": pay(params, q3, "2026Q3"),
        "pool_2026": pool_2026,
    }


def _headers(nb) -> list[str]:
    return [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
            if line.startswith("#")]


# the committed notebooks ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_has_no_outputs_and_a_parameters_cell(name):
    nb = nbformat.read(NB / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: outputs committed"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: one cell tagged parameters"
    for var in ("period", "department", "inputs_dir", "params_dir"):
        assert re.search(rf"^{var} = ", tagged[0].source, re.M), f"{name}: parameter {var}"
    heads = _headers(nb)
    assert heads and heads[0].startswith("# ") and any(h.startswith("## ") for h in heads)
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h in heads), "headings in Chinese"


def test_scenario_explorer_has_an_overlay_parameter():
    nb = nbformat.read(NB / "scenario_explorer.ipynb", as_version=4)
    source = next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    scope: dict = {}
    exec(source, scope)
    assert scope["overlay"]["grades.yaml"] == {"bands.优秀.min_total": 92}
    assert scope["overlay"]["commission.yaml"] == {"task_rate.value": 0.05}


# department report ------------------------------------------------------------------------------------
@pytest.mark.parametrize("key,department", [("dept_cs", "客户服务部"), ("dept_ka", "大客户部"), ("dept_bd", "BD组")])
def test_department_report_shows_the_library_ranking(runs, sample, key, department):
    nb = executed(runs, key)
    shown = tables_of(nb)
    ranking = {r["工号"]: r for r in shown["ranking"]}
    expected = sample["scores"][department]
    assert set(ranking) == set(expected["employee_id"])
    for _, row in expected.iterrows():
        got = ranking[row["employee_id"]]
        assert got["总分"] == money(row["total"]), row["employee_id"]
        assert got["等级"] == row["grade"] and got["排名"] == str(row["rank"])
    assert images(nb) >= 3, "grade chart, trend, branches embedded as PNG"
    heat = tables_of(nb)["heatmap"]
    assert {r["姓名"] for r in heat} == {f"{r['name']} ({r['employee_id']})" for _, r in expected.iterrows()}, \
        "the heatmap tables hold every person scored"
    heads = _headers(nb)
    for h in ("## 概览", "## 排名", "## 指标得分热力图", "## 年内趋势", "## 后三名与整改方案", "## 个人考核明细", "## 数据质量"):
        assert h in heads
    text = "".join(html_outputs(nb))
    assert text.count("<details") >= len(expected), "a collapsible scorecard per person"


def test_department_report_headline_and_pay(runs, sample):
    nb = executed(runs, "dept_ka")
    text = "".join(html_outputs(nb))
    bonus = sample["pay_q3"].tables["大客户部"]["bonus.csv"]
    total = sum(Decimal(str(b)) for b in bonus["bonus"])
    assert f'<div class="label">月度绩效奖金合计</div><div class="value">{money(total)}</div>' in text
    people = len(sample["scores"]["大客户部"])
    assert f'<div class="label">考核人数</div><div class="value">{people}</div>' in text
    pay = {r["工号"]: r for r in tables_of(nb)["pay"]}
    ledger = sample["pay_q3"].tables["大客户部"]["commission.csv"]
    for _, row in ledger.iterrows():
        assert pay[row["employee_id"]]["提成奖金"] == money(row["bonus"])


def test_department_report_awards_and_bottom_three(runs, sample):
    nb = executed(runs, "dept_cs")
    shown = tables_of(nb)
    awards = sample["pay_q3"].tables["客户服务部"]["awards.csv"]
    quarterly = awards[awards["kind"] == "quarterly_award"]
    winners = quarterly[quarterly["award"].map(lambda a: Decimal(str(a)) > 0)]
    assert sorted((r["工号"], r["奖金"]) for r in shown["awards"]) == \
        sorted((e, money(a)) for e, a in zip(winners["employee_id"], winners["award"]))
    bottom = awards[awards["kind"] == "bottom_three"]
    assert len(shown["bottom_three"]) == len(bottom)
    assert {r["整改方案截止"] for r in shown["bottom_three"]} == {str(d) for d in bottom["plan_due"]}


def test_department_report_kpi_section_shows_the_records_kpis(runs, sample):
    from perfpay.kpis.compute import compute
    from perfpay.load import load

    params = sample["params"]
    inputs = load(ROOT / "inputs", params, "2026Q3")
    k = compute(params, inputs.records, inputs.roster, "2026Q3").department("客户服务部").kpis
    dept = k[(k["period"] == "2026Q3") & (k["level"] == "department")].set_index("kpi")
    answer = dept.loc["answer_rate"]
    nb = executed(runs, "dept_cs")
    rows = {r["KPI"]: r for r in tables_of(nb)["kpis"]}
    shown = rows["接通率"]
    expected = Decimal(answer["value"]).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert shown["部门"] == f"{expected}%"
    assert shown["分子 / 分母"] == f"{answer['numerator']:,} / {answer['denominator']:,}"
    branches = set(inputs.roster.loc[inputs.roster["department"] == "客户服务部", "branch"])
    assert branches <= set(shown)                                # one column per branch
    people = tables_of(nb)["kpi_people"]
    persons = set(k.loc[(k["period"] == "2026Q3") & (k["level"] == "person"), "unit"])
    assert {r["工号"] for r in people} == persons and len(persons) > 20
    assert "运营指标" in "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    ka = tables_of(executed(runs, "dept_ka"))
    blocked = compute(params, inputs.records, inputs.roster, "2026Q3").department("大客户部").visits
    blocked = blocked[blocked["blocks_reimbursement"].astype(bool)]
    assert "kpis" in ka and len(blocked) > 0
    text = "".join(html_outputs(executed(runs, "dept_ka")))
    assert all(v in text for v in blocked["visit_id"])       # visits that block reimbursement are listed


def test_department_report_for_a_month_from_notebooks_folder(runs):
    nb = executed(runs, "dept_month")
    ranking = tables_of(nb)["ranking"]
    assert ranking and all(r["考核期"] == "1 个月" for r in ranking)
    trend = tables_of(nb)["trend"]
    assert [r["期间"] for r in trend][-1] == "2026-07", "trend runs up to the period"


# commission, pool, overview, scenario -------------------------------------------------------------
def test_commission_statements(runs, sample):
    nb = executed(runs, "commission")
    shown = tables_of(nb)
    ledger = sample["pay_q3"].tables["大客户部"]["commission.csv"]
    got = {r["工号"]: r for r in shown["ledger"]}
    assert set(got) == set(ledger["employee_id"])
    for _, row in ledger.iterrows():
        assert got[row["employee_id"]]["实发奖金"] == money(row["bonus"])
        assert got[row["employee_id"]]["本季核算额 X"] == money(row["X"])
    cost = {r["项目"]: r["金额"] for r in shown["cost"]}
    s = lambda col: sum((Decimal(str(v)) for v in ledger[col]), Decimal(0))   # noqa: E731
    assert cost["计提奖金"] == money(s("commission"))
    assert cost["本季成本"] == money(s("bonus") + s("floating_wage_amount") - s("withheld"))
    assert "".join(html_outputs(nb)).count("<details") >= len(ledger), "one statement per salesperson"


def test_pay_pool_adds_up_to_the_budget(runs, sample):
    nb = executed(runs, "pool")
    rows = tables_of(nb)["pool"]
    pool = sample["pool_2026"].tables["客户服务部"]["pool.csv"]
    people = {r["工号"]: r["金额"] for r in rows if r["工号"]}
    assert people == {e: money(a) for e, a in zip(pool["employee_id"], pool["amount"])}
    total_row = next(r for r in rows if r["姓名"] == "合计")
    assert total_row["金额"] == "300,000.00"
    assert "分配合计等于预算。" in "".join(html_outputs(nb))
    weights = tables_of(nb)["weights"]
    assert [r["等级"] for r in weights] == ["优秀", "良好", "合格", "不合格"]


def test_company_overview(runs, sample):
    nb = executed(runs, "overview")
    shown = tables_of(nb)
    table = sample["all"]
    counts = table["department"].value_counts().to_dict()
    assert {r["部门"]: int(r["人数"]) for r in shown["departments"]} == counts
    branches = {r["分部"] for r in shown["branches"]}
    assert branches == set(table["branch"])
    assert images(nb) >= 3


def test_scenario_explorer(runs, sample):
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "params").rglob("*.yaml")}
    nb = executed(runs, "scenario")
    shown = tables_of(nb)
    cost = {r["项目"]: r for r in shown["cost"]}
    ledger = sample["pay_q3"].tables["大客户部"]["commission.csv"]
    assert cost["提成奖金"]["调整前"] == money(sum(Decimal(str(b)) for b in ledger["bonus"]))
    assert Decimal(cost["提成奖金"]["变化"].replace(",", "")) > 0, "5% instead of 4% pays more"
    assert cost["总成本"]["变化"].startswith("+")
    grades = {r["范围"]: r for r in shown["grades"]}
    expected = sample["scores"]["大客户部"]["grade"].value_counts()
    assert int(grades["现行参数"]["优秀"]) == int(expected.get("优秀", 0))
    assert int(grades["调整后"]["优秀"]) <= int(grades["现行参数"]["优秀"])
    people = {r["工号"]: r for r in shown["people"]}
    assert set(people) == set(sample["scores"]["大客户部"]["employee_id"])
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "params").rglob("*.yaml")}
    assert before == after, "the overlay works on a copy"


# escaping ------------------------------------------------------------------------------------------
def test_a_script_name_is_shown_as_text(runs):
    nb = executed(runs, "xss")
    outputs = html_outputs(nb)
    joined = "".join(outputs)
    assert XSS not in joined and "<img src=x" not in joined
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in joined
    ranking = tables_of(nb)["ranking"]
    assert XSS in {r["姓名"] for r in ranking}, "the name reads as written"
    rejected = tables_of(nb)["rejected"]
    assert any(XSS_VALUE in r["值"] for r in rejected), "the bad row is listed in the data-quality section"

    from nbconvert import HTMLExporter
    page, _ = HTMLExporter().from_notebook_node(nb)
    assert XSS not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_tables_escape_and_format():
    import pandas as pd

    from perfpay.report import tables

    frame = pd.DataFrame({"name": [XSS], "bonus": [Decimal("1234567.005")], "total": [Decimal("89.5")],
                          "grade": ["不合格"], "weird<col>": ["a&b"]})
    html = tables.html(frame, name="t")
    assert XSS not in html and "&lt;script&gt;" in html and "weird&lt;col&gt;" in html and "a&amp;b" in html
    assert "1,234,567.01" in html and "89.50" in html and ">姓名<" in html and ">奖金<" in html
    assert 'class="grade" style="background:#fde2e1' in html
    assert "<th>index" not in html and ">0<" not in html, "no index"
    details = tables.details(XSS, XSS, grade="优秀")
    assert XSS not in details
    twice = tables.html(pd.DataFrame([[1, "a,b"]], columns=["x", "x"]))
    assert '<th class="num">x</th><th>x</th>' in twice and '<td class="num">1</td><td>a,b</td>' in twice, \
        "columns of one name are told apart by position"


def test_the_style_sheet_is_given_once_per_block_of_person_tables():
    import pandas as pd

    from perfpay.report import tables

    frame = pd.DataFrame({"indicator": ["a"], "points": [Decimal("1")]})
    assert tables.html(frame).startswith(tables.CSS) and not tables.html(frame, css=False).startswith(tables.CSS)
    row = pd.Series({"rank": 1, "name": "张三", "employee_id": "E1", "role": "r", "branch": "b",
                     "total": Decimal("1"), "grade": "优秀", "flags": ""})
    cards = tables.scorecards([{"row": row, "explain": frame}] * 3).data
    assert cards.count(tables.CSS) == 1 and cards.count('data-table="scorecard"') == 3


def test_heatmap_colours_and_whole_percents():
    from fractions import Fraction

    from perfpay.report import tables

    backgrounds, texts = tables.heat_colours([0, 100, -5, 130])
    assert backgrounds == ["#a50026", "#006837", "#a50026", "#006837"], "RdYlGn's ends; outside 0 … 100 clipped"
    assert texts == ["#ffffff"] * 4, "white on the dark ends"
    assert tables.heat_colours([50])[1] == ["#262626"], "dark text on the light middle"
    cases = {Fraction(175, 2): "88", Fraction(125, 2): "63", Fraction(8849, 100): "88", Fraction(1, 2): "1",
             Fraction(49, 100): "0", Fraction(0): "0", Fraction(100): "100", Fraction(200, 3): "67",
             Fraction(-5, 2): "-3", Fraction(-1, 3): "0"}
    assert {share: tables.percent_text(share) for share in cases} == cases, "exact, half away from zero"


def test_the_ranking_says_each_persons_flags_in_words():
    from perfpay.report import load, summary

    ctx = load("2026Q3", "客户服务部", ROOT / "inputs", ROOT / "params")
    words = summary.ranking(ctx).set_index("employee_id")["flags"]
    flagged = words[words != ""]
    assert sorted(flagged) == ["缺少实际值（实绩） — 客户意见反馈及时率 ×3、客户回访率 ×3",
                               "缺少评分人：本人 — 工作积极性 ×3、服务态度 ×3",
                               "缺少评分人：本人 — 工作积极性 ×3、服务态度 ×3"]
    assert summary.readable_flags(ctx, "missing_rater:上级 initiative; forced_distribution:良好") == \
        "缺少评分人：上级 — 工作积极性; 强制分布：良好"


def test_indicator_shares_are_the_exact_share_of_each_indicators_points():
    """Each cell: the points of that indicator over the period's months / their maximum × 100,
    against explain.csv's own columns (Decimal), for every person of 客户服务部 in 2026Q3."""
    from fractions import Fraction

    from perfpay.report import load, summary
    from perfpay.scorecard import explain_table

    ctx = load("2026Q3", "客户服务部", ROOT / "inputs", ROOT / "params")
    shares = summary.indicator_shares(ctx)
    explain = explain_table(ctx.scores)
    rows = explain[(explain["rule"] != "total") & (explain["max_points"] > 0)]
    expected = {}
    for (role, who, name, indicator), part in rows.groupby(["role", "employee_id", "name", "indicator"]):
        expected[(role, f"{name} ({who})", indicator)] = Fraction(sum(part["points"]) * 100) / Fraction(
            sum(part["max_points"]))
    got = {(role, who, ind): v for role, m in shares.items() for who, row in m.iterrows() for ind, v in row.items()
           if not isinstance(v, float)}
    assert got == expected and len(got) > 100
    assert all(isinstance(v, Fraction) for v in got.values())


def test_heatmap_table_shows_each_share_in_its_colour():
    from fractions import Fraction

    import pandas as pd

    from perfpay.report import tables

    matrix = pd.DataFrame({"及时率": [Fraction(177, 2), Fraction(0)], "满意度<b>": [Fraction(100), float("nan")]},
                          index=[XSS, "王五 (E002)"], dtype=object)
    page = tables.heatmaps({"客服专员": matrix}).data
    assert XSS not in page and "&lt;script&gt;" in page and "满意度&lt;b&gt;" in page
    assert "<caption>客服专员：指标得分率（% 满分）</caption>" in page
    rows = tables_of(nbformat.from_dict({"cells": [{"outputs": [{"data": {"text/html": page}}]}]}))["heatmap"]
    assert [list(r.values()) for r in rows] == [[XSS, "89", "100"], ["王五 (E002)", "0", ""]]
    assert 'style="background:#a50026;color:#ffffff">0</td>' in page
    assert 'style="background:#006837;color:#ffffff">100</td>' in page
    assert '<td class="heat"></td>' in page, "no such indicator: a blank cell"
    assert "linear-gradient(to right,#a50026," in page, "the legend"
    assert "本期没有考核结果" in tables.heatmaps({}).data


# params overlay ------------------------------------------------------------------------------------
def test_overlay_changes_a_copy_of_params(tmp_path):
    from perfpay.report import load_params_with_overlay

    params = load_params_with_overlay(ROOT / "params", {
        "grades.yaml": {"bands.优秀.min_total": 92},
        "commission.yaml": {"task_rate.value": 0.05, "withholding": {"value": {"2026-07-01": 500}}},
        "cards/ka_manager.yaml": {"sections": {"sales": {"indicators": {"sales_task": {"rule.penalty": 4}}}}},
    })
    bands = {b.grade: b.min_total for b in params.grading("2026Q3").bands}
    assert bands["优秀"] == 92 and bands["良好"] == 75
    assert params.document("commission", "2026Q3")["task_rate"]["value"] == Decimal("0.05")
    assert params.document("commission", "2026Q1")["withholding"]["value"] == 600, "dated values merge"
    assert params.document("commission", "2026Q3")["withholding"]["value"] == 500
    rule = params.card("ka_manager", "2026-07").indicator("sales_task").rule
    assert rule["penalty"] == 4

    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("grades.yaml:\n  bands.合格.min_total: 65\n", encoding="utf-8")
    assert {b.grade: b.min_total for b in load_params_with_overlay(ROOT / "params", overlay)
            .grading("2026Q3").bands}["合格"] == 65


def test_overlay_errors_name_what_is_wrong():
    from perfpay.report import ReportError, load_params_with_overlay

    with pytest.raises(ReportError, match="no item '卓越'.*优秀"):
        load_params_with_overlay(ROOT / "params", {"grades.yaml": {"bands.卓越.min_total": 95}})
    with pytest.raises(ReportError, match="no nope.yaml"):
        load_params_with_overlay(ROOT / "params", {"nope.yaml": {"a": 1}})


def test_project_root_is_found_from_notebooks(monkeypatch):
    from perfpay.report import project_root

    monkeypatch.delenv("PERFPAY_ROOT", raising=False)
    monkeypatch.chdir(NB)
    assert project_root() == ROOT


# charts ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rows, cols, long", [(1, 1, False), (4, 9, False), (27, 8, False), (2, 3, True)])
def test_heatmap_labels_fit_in_the_figure(rows, cols, long):
    """The heatmap's fixed margins hold every label, the title and the colorbar (nothing clipped)."""
    import numpy as np
    import pandas as pd
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from perfpay.report import charts

    name = "非常非常长的指标名称用于测试标签" if long else "客户满意度"
    matrix = pd.DataFrame(np.linspace(0, 100, rows * cols).reshape(rows, cols),
                          index=[f"欧阳娜娜{i} (E{i:05d})" for i in range(rows)],
                          columns=[f"{name}{j}" for j in range(cols)])
    fig = charts.indicator_heatmap(matrix, "客服专员：指标得分率（% 满分）")
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    page = fig.bbox.padded(0.5)
    for ax in fig.axes:
        assert page.contains(*ax.get_tightbbox(renderer).min) and page.contains(*ax.get_tightbbox(renderer).max)
    main, bar = fig.axes
    assert main.get_window_extent().x1 < bar.get_tightbbox(renderer).x0, "the colorbar beside the grid"


@pytest.fixture(scope="session")
def chart_contexts():
    """The report contexts of 2026Q3 the notebooks' charts are drawn from (three departments, the company)."""
    from perfpay.report import load
    return {d: load("2026Q3", d, ROOT / "inputs", ROOT / "params") for d in ("客户服务部", "大客户部", "BD组", "全公司")}


def _long_chart_frames():
    """Long names and many categories: departments, branches, roles and two-line period labels;
    a first tick label wider than its bar group (it reaches left past the y axis labels)."""
    import pandas as pd

    depts = [f"华东重点客户服务部{i}" if i % 2 else f"部门{i}" for i in range(6)]     # as long as a group is wide
    ranking = pd.DataFrame({"department": [depts[i % 6] for i in range(60)],
                            "grade": [("优秀", "良好", "合格", "不合格")[i % 4] for i in range(60)]})
    months = pd.period_range("2026-01", "2026-12", freq="M")
    roles = [f"高级售后服务专员（驻场支持）{i}" for i in range(8)]
    rows = [{"period": str(m), "end": m.end_time.normalize(), "role": r, "mean_value": 70 + (i * 7 + j * 3) % 25}
            for i, m in enumerate(months) for j, r in enumerate(roles)]
    rows += [{"period": f"2026Q{q}", "end": pd.Period(f"2026Q{q}").end_time.normalize(), "role": r,
              "mean_value": 80 + j} for q in range(1, 5) for j, r in enumerate(roles)]
    trend = pd.DataFrame(rows)
    branches = [f"西南大区成都高新区分部{i}" for i in range(6)]
    by_branch = pd.DataFrame([{"branch": b, "department": d, "mean_value": 60 + (i * 5 + j * 11) % 40}
                              for i, b in enumerate(branches) for j, d in enumerate(depts[:4])])
    few = pd.DataFrame({"branch": ["内蒙古自治区呼和浩特市赛罕区金桥开发区分部", "总部", "华北"],
                        "mean_value": [88.0, 91.5, 79.25]})
    return ranking, trend, by_branch, few


CHART_CASES = [f"{d}:{c}" for d in ("客户服务部", "大客户部", "BD组") for c in ("grades", "trend", "comparison")]
CHART_CASES += ["全公司:grades", "全公司:comparison", "全公司:trend",
                "long:grades", "long:trend", "long:comparison", "long:comparison_one_colour"]


def _chart(case, contexts):
    """The figure of a notebook chart call (`department_report`, `company_overview`), or of long names."""
    from perfpay.report import charts, summary

    where, what = case.split(":")
    if where == "long":
        ranking, trend, by_branch, few = _long_chart_frames()
        return {"grades": lambda: charts.grade_distribution(ranking, by="department", title="各部门等级分布"),
                "trend": lambda: charts.trend(trend, title="年内平均分趋势（全部岗位，按月与季度）"),
                "comparison": lambda: charts.comparison(by_branch, hue="department"),
                "comparison_one_colour": lambda: charts.comparison(few, hue=None, title="分部对比")}[what]()
    ctx = contexts[where]
    if where == "全公司":
        return {"grades": lambda: charts.grade_distribution(ctx.ranking, summary.grades(ctx), by="department",
                                                            title="各部门等级分布"),
                "comparison": lambda: charts.comparison(summary.by_branch(ctx, by=("department", "branch")),
                                                        hue="department"),
                "trend": lambda: charts.trend(summary.trend(ctx, by="department", unit="quarter"), by="department",
                                              legend="部门")}[what]()
    return {"grades": lambda: charts.grade_distribution(ctx.ranking, summary.grades(ctx)),
            "trend": lambda: charts.trend(summary.trend(ctx)),
            "comparison": lambda: charts.comparison(summary.by_branch(ctx), hue="role", title="各分部各岗位平均分")}[what]()


def _drawn_texts(ax):
    """{kind: [Text]} of what the axes draws: titles, axis labels, tick labels in view, texts, legend texts."""
    shown = lambda t: t.get_visible() and t.get_text() != ""          # noqa: E731
    ticks = [t.label1 for axis in (ax.xaxis, ax.yaxis) for t in axis._update_ticks() if shown(t.label1)]
    legend = ax.get_legend()
    return {"title": [t for t in (ax.title, ax._left_title, ax._right_title) if shown(t)],
            "label": [t for t in (ax.xaxis.label, ax.yaxis.label) if shown(t)],
            "tick": ticks,
            "text": [t for t in ax.texts if shown(t)],
            "legend": [t for t in ([legend.get_title()] + legend.get_texts() if legend else []) if shown(t)]}


@pytest.mark.parametrize("case", CHART_CASES)
def test_chart_labels_and_legend_fit_in_the_figure(case, chart_contexts):
    """Each chart the notebooks draw is laid out at margins measured from its texts (not by
    constrained layout): every text and the legend lie inside the figure, the legend beside the
    axes, no tick label under the title or the legend, and no margin wider than needed."""
    import matplotlib

    from perfpay.report import charts

    fig = _chart(case, chart_contexts)
    engine = fig.get_layout_engine()
    assert isinstance(engine, charts.MarginLayout)
    assert charts.png(fig)[:4] == b"\x89PNG"
    assert engine.used == "margins"
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    (ax,) = fig.axes
    texts = _drawn_texts(ax)
    assert texts["title"] and texts["tick"]
    for kind, items in texts.items():
        for t in items:
            bb = t.get_window_extent(renderer)
            assert (bb.x0 >= page.x0 - 0.5 and bb.y0 >= page.y0 - 0.5 and bb.x1 <= page.x1 + 0.5
                    and bb.y1 <= page.y1 + 0.5), f"{case}: {kind} {t.get_text()!r} at {bb.bounds} outside {page.bounds}"
    for title in texts["title"]:
        tb = title.get_window_extent(renderer)
        for t in texts["tick"] + texts["label"] + texts["text"]:
            assert not tb.overlaps(t.get_window_extent(renderer)), f"{case}: {t.get_text()!r} under the title"
    legend = ax.get_legend()
    if legend is not None:
        lb = legend.get_window_extent(renderer)
        assert page.x0 <= lb.x0 and lb.x1 <= page.x1 + 0.5 and page.y0 <= lb.y0 and lb.y1 <= page.y1 + 0.5, case
        assert lb.x0 >= ax.bbox.x1, f"{case}: the legend beside the axes"
        for t in texts["tick"] + texts["title"] + texts["label"]:
            assert not lb.overlaps(t.get_window_extent(renderer)), f"{case}: legend over {t.get_text()!r}"

    # tight: on each side something (a text, the legend, the axes) comes to the padding, as in
    # constrained layout; margins a pixel wider than that are wasted
    from matplotlib.transforms import Bbox
    boxes = [t.get_window_extent(renderer) for items in texts.values() for t in items] + [ax.bbox]
    boxes += [legend.get_window_extent(renderer)] if legend is not None else []
    used = Bbox.union(boxes)
    rc = matplotlib.rcParams
    w_pad, h_pad = rc["figure.constrained_layout.w_pad"] * fig.dpi, rc["figure.constrained_layout.h_pad"] * fig.dpi
    gaps = {"left": used.x0 - page.x0 - w_pad, "right": page.x1 - used.x1 - w_pad,
            "bottom": used.y0 - page.y0 - h_pad, "top": page.y1 - used.y1 - h_pad}
    for side, gap in gaps.items():
        assert abs(gap) <= 1, f"{case}: {gap:+.1f} px beside the padding on the {side}"


def test_margin_layout_leaves_other_figures_to_constrained_layout():
    """`_figure` stays constrained by default; a margins figure it does not know falls back."""
    from perfpay.report import charts

    fig, ax = charts._figure(6, 3)
    assert fig.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"
    fig, ax = charts._figure(6, 3, layout="margins")
    ax.plot([0, 1], [0, 1])
    ax.set_title("标题")
    fig.suptitle("总标题")
    engine = fig.get_layout_engine()
    charts.png(fig)
    assert engine.used == "constrained"


# fonts ----------------------------------------------------------------------------------------------
def test_setup_fonts_picks_a_font_with_chinese_glyphs():
    from matplotlib.ft2font import FT2Font

    from perfpay.report import charts

    name = charts.setup_fonts()
    path = charts.font_path(name)
    font = FT2Font(path)
    missing = [ch for ch in "优秀良好合格不合格" if font.get_char_index(ord(ch)) == 0]
    assert not missing, f"{name} ({path}) has no glyph for {missing}"
    import matplotlib
    assert matplotlib.rcParams["font.sans-serif"][0] == name
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_department_pay_equals_the_company_pay(sample):
    """The reports pay one department on its own scores: the same tables as `perfpay pay`."""
    import pandas as pd

    from perfpay.load import load
    from perfpay.report.context import department_pay

    params = sample["params"]
    inputs = load(ROOT / "inputs", params, "2026Q3")
    full = sample["pay_q3"]
    for dept in ("客户服务部", "大客户部", "BD组"):
        mine = department_pay(params, inputs, "2026Q3", dept)
        assert set(mine.tables.get(dept, {})) == set(full.tables.get(dept, {})), dept
        for name, table in full.tables.get(dept, {}).items():
            pd.testing.assert_frame_equal(mine.tables[dept][name].reset_index(drop=True),
                                          table.reset_index(drop=True))
        assert len(mine.statements.get(dept, [])) == len(full.statements.get(dept, []))


@pytest.fixture
def bare_fonts(monkeypatch):
    """matplotlib's font list without any CJK font, as on a machine whose font cache predates them."""
    from matplotlib import font_manager as fm

    from perfpay.report import charts

    kept = [f for f in fm.fontManager.ttflist if not any(h in f.name for h in charts.NAME_HINTS)]
    monkeypatch.setattr(fm.fontManager, "ttflist", kept)
    monkeypatch.setattr(fm, "json_dump", lambda *args: None)       # leave the real cache file alone
    monkeypatch.setattr(charts, "_chosen", None)
    fm.fontManager._findfont_cached.cache_clear()
    yield fm
    monkeypatch.undo()
    fm.fontManager._findfont_cached.cache_clear()
    charts.setup_fonts(force=True)


def test_setup_fonts_rescans_fonts_installed_after_the_cache(bare_fonts):
    from perfpay.report import charts

    name = charts.setup_fonts(force=True)
    assert any(h in name for h in charts.NAME_HINTS)
    assert name in {f.name for f in bare_fonts.fontManager.ttflist}


def test_setup_fonts_says_which_package_to_install(bare_fonts, monkeypatch):
    from perfpay.report import charts

    monkeypatch.setattr(bare_fonts, "findSystemFonts", lambda *args, **kwargs: [])
    with pytest.raises(charts.FontError, match="apt-get install -y fonts-noto-cjk"):
        charts.setup_fonts(force=True)


def test_managers_html_in_a_real_browser(runs, tmp_path):
    """The report as managers get it (batch HTML), opened in headless Chromium."""
    from browser import dump_dom, require_chromium, screenshot

    from perfpay.batch.html import external_references, render_html

    require_chromium()
    page, warnings = render_html(executed(runs, "xss"), title="BD组 绩效报告 2026Q3", meta="期间 2026Q3")
    assert external_references(page) == [] and warnings == [], "nothing is loaded from the internet"
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    dom = dump_dom(path)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom, "the name shows as text"
    assert "<script>alert(1)</script>" not in dom
    assert "绩效报告" in dom and "排名" in dom
    assert not re.search(r'class="[^"]*jp-InputArea-editor', dom), "no code for managers"
    assert "perfpay.report" not in dom and "In&nbsp;[" not in dom, "no code, no prompts"
    png = screenshot(path, tmp_path / "report.png")
    assert png.stat().st_size > 20_000, "the page renders (tables and charts)"
