"""What a report notebook works on: params, inputs, the period's scores and pay, in one object.

    ctx = load("2026Q3", "客户服务部")          # inputs/ and params/ of the project
    ctx.scores, ctx.ranking, ctx.pay, ctx.tables["awards.csv"], ctx.inputs.report

Everything is the library's own result (`score`, `pay`, `scores_table`, ...), computed
once and only when asked for. Inputs with errors do not stop a report: the rows with
errors are left out, as `perfpay score --skip-invalid` does, and `ctx.inputs.report`
lists them for the notebook's data-quality section.

`load_params_with_overlay` reads params/ with a few values changed (the scenario
explorer): the overlay is applied to a temporary copy, which is then checked and loaded
like any params folder.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import pandas as pd
import yaml

from ..errors import ParamsError, PerfpayError
from ..load import load as load_all
from ..params import load_params
from ..periods import Period

ROOT_ENV = "PERFPAY_ROOT"
ALL = ("全公司", "全部", "all", "")      # department values meaning the whole company


class ReportError(PerfpayError):
    """A report cannot be made as asked (no project folder, unknown department, bad overlay)."""


# where the project is -----------------------------------------------------------------------
def project_root(start=None) -> Path:
    """The folder holding params/, searched from `start` (default: the cwd) upwards.

    So a notebook finds the project both from notebooks/ (JupyterLab) and from the repo root
    (papermill). The environment variable PERFPAY_ROOT, when set, wins.
    """
    if os.environ.get(ROOT_ENV):
        root = Path(os.environ[ROOT_ENV]).expanduser().resolve()
        if not (root / "params").is_dir():
            raise ReportError(f"{ROOT_ENV}={root}: no params/ folder there")
        return root
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "params").is_dir():
            return folder
    raise ReportError(f"no params/ folder in {here} or any folder above it: run the notebook inside "
                      f"the project, set {ROOT_ENV}, or pass params_dir= and inputs_dir=")


def _folder(given, name: str) -> Path:
    """`given` (relative to the cwd, else to the project root), or <project root>/<name>."""
    if given is None or str(given).strip() == "":
        return project_root() / name
    path = Path(given).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    try:
        beside = project_root() / path
    except ReportError:
        beside = None
    if beside is not None and beside.exists():
        return beside
    raise ReportError(f"{name} folder {given!r} not found (looked in {Path.cwd()}"
                      + (f" and {beside.parent}" if beside is not None else "") + ")")


# params with an overlay -----------------------------------------------------------------------
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


class _Dumper(yaml.SafeDumper):
    """Writes Decimals as numbers and keeps Chinese text readable."""


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", format(v, "f")))


def read_overlay(overlay) -> dict:
    """An overlay as a dict: a dict, a YAML/JSON text, or the path of a YAML file."""
    if overlay is None:
        return {}
    if isinstance(overlay, dict):
        return overlay
    if isinstance(overlay, (str, os.PathLike)):
        text = str(overlay)
        path = Path(text).expanduser()
        if text.strip().endswith((".yaml", ".yml", ".json")) or path.is_file():
            if not path.is_file():
                raise ReportError(f"overlay file {text!r} not found")
            text = path.read_text(encoding="utf-8-sig")
        data = yaml.safe_load(text) if text.strip() else {}
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ReportError(f"an overlay is a mapping {{yaml file: {{key path: value}}}}, got {data!r}")
        return data
    raise ReportError(f"an overlay is a dict or a YAML file path, got {type(overlay).__name__}")


def _dates(value):
    """Date-like string keys ('2026-07-01') as dates, so that the copy keeps dated values dated."""
    if isinstance(value, dict):
        return {(_as_date(k) if isinstance(k, str) else k): _dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    return value


def _as_date(text: str):
    if _DATE.match(text.strip()):
        y, m, d = map(int, text.strip().split("-"))
        try:
            return date(y, m, d)
        except ValueError:
            return text
    return text


def _item(items: list, segment: str, where: str):
    """The list item named by `segment`: an index, or the item whose key / grade / name is it."""
    if re.fullmatch(r"-?\d+", segment) and not any(_names(i) & {segment} for i in items):
        i = int(segment)
        if -len(items) <= i < len(items):
            return i
    for i, item in enumerate(items):
        if segment in _names(item):
            return i
    known = ", ".join(sorted(n for item in items for n in _names(item))) or f"indexes 0..{len(items) - 1}"
    raise ReportError(f"overlay: {where}: no item {segment!r}; items: {known}")


def _names(item) -> set:
    if not isinstance(item, dict):
        return set()
    return {str(item[k]) for k in ("key", "grade", "name", "department") if k in item and item[k] is not None}


def _set(node, path: list[str], value, where: str):
    """Set `value` at `path` inside node (dicts by key, lists by item name or index)."""
    head, rest = path[0], path[1:]
    here = f"{where}{head}" if where.endswith(":") else f"{where}.{head}" if where else str(head)
    if isinstance(node, list):
        i = _item(node, head, where.rstrip(":") or "<top>")
        if rest:
            _set(node[i], rest, value, here)
        else:
            node[i] = _merge(node[i], value, here)
        return
    if not isinstance(node, dict):
        raise ReportError(f"overlay: {where or '<top>'} is a value ({node!r}), it has no {head!r}")
    if isinstance(head, str) and head not in node and isinstance(_as_date(head), date) \
            and (_as_date(head) in node or all(isinstance(k, date) for k in node)):
        head = _as_date(head)                # a day of a dated value
    if rest:
        if head not in node:
            if any(isinstance(k, date) for k in node):
                raise ReportError(f"overlay: {here}: {where} is a dated value; set it whole "
                                  f"(e.g. {{{where}: 5}}) or give its dates")
            node[head] = {}
        _set(node[head], rest, value, here)
    else:
        node[head] = _merge(node.get(head), value, here)


def _merge(old, new, where: str):
    """A mapping merges into a mapping (or into a list's named items); anything else replaces."""
    if isinstance(new, dict) and isinstance(old, (dict, list)) and new:
        dated_new = all(isinstance(k, date) for k in new)
        if isinstance(old, dict) and old and all(isinstance(k, date) for k in old) != dated_new:
            return new                       # a plain value over a dated one, or the other way round
        for key, value in new.items():
            _set(old, _split(key), value, where)
        return old
    return new


def _split(key) -> list:
    if isinstance(key, str):
        return [k for k in key.split(".")]
    return [key]


def apply_overlay(params_dir, overlay, target) -> list[str]:
    """Copy params_dir to `target` with the overlay applied; returns the files changed."""
    src, dst = Path(params_dir), Path(target)
    shutil.copytree(src, dst, dirs_exist_ok=True)
    changed = []
    for rel, changes in read_overlay(overlay).items():
        rel = str(rel).replace("\\", "/")
        rel = rel if rel.endswith((".yaml", ".yml")) else f"{rel}.yaml"
        path = dst / rel
        if not path.is_file():
            files = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.yaml"))
            raise ReportError(f"overlay: no {rel} in {src}; files: {', '.join(files)}")
        if not isinstance(changes, dict):
            raise ReportError(f"overlay: {rel}: give {{key path: new value}}, got {changes!r}")
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        for key, value in changes.items():
            _set(data, _split(key), _dates(value), f"{rel}:")
        path.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        changed.append(rel)
    return changed


def load_params_with_overlay(params_dir, overlay):
    """params/ with the overlay's values, checked like any params folder.

    overlay: {yaml file relative to params/: {key path: new value}} as a dict, a YAML text or
    the path of a YAML file. A key path is dotted; in a list it names an item by its key,
    grade or name (or index), e.g.

        {"grades.yaml": {"bands.优秀.min_total": 92},
         "commission.yaml": {"task_rate.value": 0.05},
         "cards/ka_manager.yaml": {"sections.sales.indicators.sales_task.rule.penalty": 4}}

    A nested mapping merges into the mapping it names. A plain value replaces a dated value
    (it is then in force on every date); give dates to change it from a day on:
    {"task_rate.value": {"2026-01-01": 0.04, "2026-07-01": 0.05}}.
    """
    with tempfile.TemporaryDirectory(prefix="perfpay-params-") as tmp:
        target = Path(tmp) / "params"
        apply_overlay(params_dir, overlay, target)
        try:
            return load_params(target)
        except ParamsError as exc:
            raise ParamsError([f"with the overlay: {p}" for p in exc.problems]) from None


# the report's data ----------------------------------------------------------------------------
class ReportContext:
    """params, inputs and the period's results for one department (or the whole company)."""

    def __init__(self, period, department, params, inputs, inputs_dir: Path, params_dir: Path,
                 overlay: dict | None = None):
        self.period = Period.parse(period)
        self.department = department
        self.params = params
        self.inputs = inputs
        self.inputs_dir = inputs_dir
        self.params_dir = params_dir
        self.overlay = overlay or {}
        self.commissioned = None          # the period's commission, when handed over (`department_pay`)
        self.company_pay = None           # the company's PayResult of the period, when handed over
        self.department_scores = None     # the company's: every scored department's Scores, when handed over

    def __repr__(self) -> str:
        return f"<report {self.period} {self.department or '全公司'}: {self.inputs_dir}>"

    @property
    def title(self) -> str:
        return f"{self.department or '全公司'} {self.period.label}"

    # results (the library's, computed once) -----------------------------------------------
    @cached_property
    def scores(self):
        from ..scorecard import score
        return score(self.params, self.inputs, self.period, self.department)

    @cached_property
    def flagged(self) -> pd.DataFrame:
        """The explanation rows with a flag (a missing rater, rating, actual or target). For the
        company, from the departments' explanations when perfpay run handed them over (each
        person's rows are his department's), not from an explanation of everyone made again."""
        if self.department is None and self.department_scores:
            explains = [s.explain for s in self.department_scores.values()]
            e = pd.concat(explains, ignore_index=True)
        else:
            e = self.scores.explain
        return e[e["flag"].astype(str) != ""] if len(e) else e

    @cached_property
    def ranking(self) -> pd.DataFrame:
        """scores.csv of the period: one row per person."""
        from ..scorecard import scores_table
        return scores_table(self.scores)

    @cached_property
    def explanations(self) -> pd.DataFrame:
        """explain.csv of the period: one row per person × indicator × unit, and the totals."""
        from ..scorecard import explain_table
        return explain_table(self.scores)

    @cached_property
    def pay(self):
        """PayResult of the period: `pay()` for the company, `department_pay()` for one department."""
        if self.department is None:
            from ..pay.run import pay
            return pay(self.params, self.inputs, self.period)
        return department_pay(self.params, self.inputs, self.period, self.department, self.scores,
                              self.commissioned, self.company_pay)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The department's pay tables: commission.csv, excluded_deals.csv, bonus.csv, awards.csv, pool.csv."""
        if self.department is None:
            out: dict[str, pd.DataFrame] = {}
            for dept in sorted(self.pay.tables):
                for name, table in self.pay.tables[dept].items():
                    out[name] = pd.concat([out[name], table], ignore_index=True) if name in out else table
            return out
        return self.pay.tables.get(self.department, {})

    def table(self, name: str) -> pd.DataFrame:
        """One of `tables`, or an empty frame when the period has none."""
        name = name if name.endswith(".csv") else f"{name}.csv"
        return self.tables.get(name, pd.DataFrame())

    @property
    def statements(self) -> list:
        """(file name, statement arguments) of the department's salespeople."""
        if self.department is None:
            return [s for d in sorted(self.pay.statements) for s in self.pay.statements[d]]
        return self.pay.statements.get(self.department, [])

    @cached_property
    def history(self):
        """Scores of the period's year (inputs of the whole year); `trend` keeps the units up to the period."""
        from ..scorecard import score
        year = self.period.year_period
        inputs = self.inputs if self.period == year else load_all(self.inputs_dir, self.params, year)
        return score(self.params, inputs, year, self.department)

    @cached_property
    def kpis(self):
        """KpiResult of the period from the raw records (the department's rows when one is asked for)."""
        from ..kpis.compute import compute
        result = compute(self.params, self.inputs.records, self.inputs.roster, self.period)
        return result if self.department is None else result.department(self.department)

    @property
    def notes(self) -> list[str]:
        """What the scoring and the pay have to say (no one to score, no budget, ...)."""
        out = list(self.scores.notes)
        if "pay" in self.__dict__:
            out += self.pay.notes
        return out


def department_pay(params, inputs, period, department: str, scored=None, commissioned=None, company=None):
    """The steps of `perfpay.pay.run.pay` for one department, on its own scores.

    Every pay rule works within a department (bonus per person, awards and the pool within
    department and card), so the department's tables equal those of `pay()`; the commission
    ledger (all salespeople, replayed from the first quarter) runs only when someone of the
    department has a quota or a deal. Saves scoring the other departments. `commissioned`: a
    PayResult holding only what `pay.commission.commission` gave for the period (`commission_only`),
    used instead of running the ledger again. `company`: `pay()` of the period (perfpay run's
    data step), whose bonus.csv and awards.csv of the department are taken instead of computed.
    """
    from ..pay import run
    from ..scorecard import score

    period = Period.parse(period)
    result = run.PayResult(period)
    scored = scored if scored is not None else score(params, inputs, period, department)
    if scored.units.empty:
        result.notes.append(f"nobody scored in {period}")
        return result
    if company is not None:
        for name in ("bonus.csv", "awards.csv"):
            result.add(department, name, company.tables.get(department, {}).get(name))
    else:
        run.monthly_bonuses(result, scored, inputs, period)
        run.ranking_awards(result, params, scored, period)
    if period.unit == "year":                       # pay() notes that the pool is annual; a report need not
        run.annual_pool(result, params, scored, inputs, period)
    people = set(inputs.roster.loc[inputs.roster["department"] == department, "employee_id"])
    sellers = set(inputs.quotas["employee_id"]) | set(inputs.deals["employee_id"])
    if people & sellers:
        if commissioned is None:
            commissioned = run.commission_only(params, inputs, period)
        result.merge(commissioned)
    return result


# results handed over by `perfpay run` ----------------------------------------------------------
DATA_FORMAT = "perfpay report data 1"


def save_data(path, period, params, inputs, inputs_dir, params_dir, *, scores=None, kpis=None, pay=None,
              history=None, commission=None) -> Path:
    """What the data step of `perfpay run` computed, as a pickle its notebooks read (`load(data=path)`).

    scores: {department: Scores of the period}; kpis: the company's KpiResult; pay: the company's
    PayResult; history: {department, or None for the company: Scores of the year}; commission: the
    period's commission alone (`commission_only`), for the departments' own pay. Each is exactly
    what the ReportContext would compute for itself; the history's explanations are left out (the
    notebooks show only its units) and are made again from the inputs if anyone asks for them.
    """
    import pickle

    history = {d: (s.period, s.scores, s.units, s.notes) for d, s in (history or {}).items()}
    data = {"format": DATA_FORMAT, "period": Period.parse(period).label, "params": params, "inputs": inputs,
            "inputs_dir": str(Path(inputs_dir).resolve()), "params_dir": str(Path(params_dir).resolve()),
            "scores": scores or {}, "kpis": kpis, "pay": pay, "history": history, "commission": commission}
    path = Path(path)
    part = path.with_name(f".{path.name}.part")
    with open(part, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(part, path)                        # whole or absent, for a notebook already waiting
    return path


def pending(path) -> Path:
    """The marker `perfpay run` keeps beside the pickle while it writes it: notebooks that start
    meanwhile (their kernels start while the pickle is written) wait for the pickle."""
    path = Path(path)
    return path.with_name(f"{path.name}.pending")


def _arrived(data, limit: float = 600.0) -> bool:
    """True once `data` is a file; while its `pending` marker exists, wait for it (at most `limit` s)."""
    import time

    path, marker = Path(data), pending(data)
    deadline = time.monotonic() + limit
    while not path.is_file() and marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return path.is_file()


def _given(data, period: Period, inputs_dir: Path, params_dir: Path) -> dict | None:
    """The handed-over results when they are for this period and these folders; else None (computed here).

    A path that no longer exists (the kept notebook of a finished run) counts as not given; one
    still being written (`pending`) is waited for.
    """
    import pickle

    if data is None or str(data).strip() == "" or not _arrived(data):
        return None
    with open(data, "rb") as f:
        given = pickle.load(f)
    if given.get("format") != DATA_FORMAT or given["period"] != period.label \
            or given["inputs_dir"] != str(inputs_dir.resolve()) or given["params_dir"] != str(params_dir.resolve()):
        return None
    return given


def _fill(ctx: ReportContext, given: dict) -> None:
    """Put the handed-over results where the context's cached properties keep theirs."""
    from ..jobs import scored_departments

    dept = ctx.department
    if dept in given["scores"]:
        ctx.__dict__["scores"] = given["scores"][dept]
    if given["kpis"] is not None:
        ctx.__dict__["kpis"] = given["kpis"] if dept is None else given["kpis"].department(dept)
    if dept is None and given["pay"] is not None:
        ctx.__dict__["pay"] = given["pay"]
    if dept is not None and given["commission"] is not None:
        ctx.commissioned = given["commission"]
    if dept is not None and given["pay"] is not None:
        ctx.company_pay = given["pay"]
    if dept is None and given["scores"] and set(given["scores"]) == set(scored_departments(ctx.inputs)):
        ctx.department_scores = given["scores"]
    if dept in given["history"]:
        from ..scorecard import Scores, score

        period, scores, units, notes = given["history"][dept]

        def explain():
            year = ctx.period.year_period
            inputs = ctx.inputs if ctx.period == year else load_all(ctx.inputs_dir, ctx.params, year)
            return score(ctx.params, inputs, year, dept).explain

        ctx.__dict__["history"] = Scores(period, scores, units, explain, notes)


def load(period, department=None, inputs_dir=None, params_dir=None, *, overlay=None,
         params=None, data=None) -> ReportContext:
    """Read params/ and the inputs of `period` for a report on `department` (None: the company).

    inputs_dir / params_dir: None for the project's inputs/ and params/ (found from the cwd);
    a relative path is looked up from the cwd, then from the project root. overlay: changed
    params values (see `load_params_with_overlay`). Inputs with errors are loaded without the
    bad rows; `ctx.inputs.report` lists them. data: the pickle `perfpay run` hands its
    notebooks (`save_data`): its params, inputs and results are used instead of being read and
    computed again, when it is for this period and these folders (and no overlay or params is given).
    """
    period = Period.parse(period)
    department = None if department is None or str(department).strip() in ALL else str(department).strip()
    p_dir = _folder(params_dir, "params")
    i_dir = _folder(inputs_dir, "inputs")
    overlay = read_overlay(overlay)
    given = _given(data, period, i_dir, p_dir) if not overlay and params is None else None
    if given is not None:
        params, inputs = given["params"], given["inputs"]
    else:
        if params is None:
            params = load_params_with_overlay(p_dir, overlay) if overlay else load_params(p_dir)
        inputs = load_all(i_dir, params, period)
    if department is not None:
        known = sorted(d for d in inputs.roster["department"].dropna().unique()) if len(inputs.roster) else []
        if department not in known:
            raise ReportError(f"department {department!r} is not in the roster of {i_dir}; "
                              f"departments: {', '.join(known) or '(none)'}; use 全公司 for all")
    ctx = ReportContext(period, department, params, inputs, i_dir, p_dir, overlay)
    if given is not None:
        _fill(ctx, given)
    return ctx
