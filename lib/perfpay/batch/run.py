"""`perfpay run`: a period's data files, then every report notebook due, in parallel, as HTML.

    result = run_period("2026Q3", inputs_dir="inputs", params_dir="params", out_dir="outputs",
                        notebooks_dir="notebooks", jobs=4)
    result.ok, result.failed, result.record      # the record is what run.json holds

1. Data: `jobs.score_files`, `jobs.pay_files` and `jobs.excel_files` (scorecards, payroll),
   written all at once by `output.write_all`.
2. Notebooks: `due.due_notebooks` lists them; each runs in a worker process of a
   ProcessPoolExecutor (its own kernel) inside outputs/<period>/.run-*/, and its .ipynb and
   .html are moved into outputs/<period>/<department>/ when it is complete. A failed notebook
   is kept (failing cell marked) and rendered too; the others go on. With `scheduler`, the
   notebooks run on a Dask cluster instead (`cluster`, `remote`) and their files come back here
   to be moved into place the same way.
3. outputs/<period>/run.json and index.html, written last.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import InputError, PerfpayError
from ..periods import Period
from .due import NotebookJob, due_notebooks, facts_from_files
from .execute import first_line, not_run, publish, run_job, warm_up
from .index import index_html
from .manifest import file_hashes, sha256, versions, write_json, write_text

RUN_JSON = "run.json"
INDEX = "index.html"
TEMP_PREFIX = ".run-"
TREND = {"department_report", "company_overview"}     # the notebooks with a trend over the year


class BatchError(PerfpayError):
    """A run that cannot start (an unknown department, no notebooks folder)."""


@dataclass
class RunResult:
    period: Period
    out: Path                  # outputs/<period>
    record: dict               # the content of run.json

    @property
    def notebooks(self) -> list[dict]:
        return self.record["notebooks"]

    @property
    def failed(self) -> list[dict]:
        return [nb for nb in self.notebooks if nb["status"] != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def run_json(self) -> Path:
        return self.out / RUN_JSON

    @property
    def index(self) -> Path:
        return self.out / INDEX


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# --- 1. data files ---------------------------------------------------------------------------


def data_files(params, inputs, period: Period, departments: list[str], out: Path,
               narrowed: bool) -> tuple[dict, list[str], dict]:
    """Every data file of the run, as write_all takes them, the messages to show, and the results
    they come from (scores per department, the company's pay, its commission alone and KPIs) for the notebooks."""
    from ..jobs import excel_files, kpi_files, pay_files, score_files
    from ..kpis.compute import compute
    from ..pay.run import commission_only, pay

    scores: dict = {}
    files, messages = score_files(params, inputs, period, departments, out, results=scores)
    commissioned = commission_only(params, inputs, period)            # kept for the notebooks
    result = pay(params, inputs, period, commissioned)
    paid, notes = pay_files(params, inputs, period, out, departments if narrowed else None, result=result)
    files.update(paid)
    files.update(excel_files(params, period, scores, result, out))
    kpis = compute(params, inputs.records, inputs.roster, period)        # kept for the notebooks
    measured, kpi_messages = kpi_files(params, inputs, period, departments, out, result=kpis)
    files.update(measured)
    return files, messages + notes + kpi_messages, {"scores": scores, "pay": result, "kpis": kpis,
                                                    "commission": commissioned}


def report_data(path: Path, params, inputs, period: Period, due: list[NotebookJob], results: dict,
                inputs_dir: Path, params_dir: Path) -> Path:
    """The pickle of what the data step computed, for the notebooks of the run's own period
    (`perfpay.report.context.save_data`), with the year's scores their trend charts show."""
    from ..load import load
    from ..report.context import save_data
    from ..scorecard import score

    mine = [j for j in due if j.period == period.label]
    history = {}
    trend = {j.department for j in mine if j.notebook in TREND}
    if trend:
        year = period.year_period
        year_inputs = inputs if period == year else load(inputs_dir, params, year)
        history = {d: score(params, year_inputs, year, d) for d in sorted(trend, key=lambda d: d or "")}
    sellers = set(inputs.quotas["employee_id"]) | set(inputs.deals["employee_id"])
    people = set(inputs.roster.loc[inputs.roster["department"].isin({j.department for j in mine}), "employee_id"])
    commission = results["commission"] if people & sellers else None   # once, not per notebook
    return save_data(path, period, params, inputs, inputs_dir, params_dir, scores=results["scores"],
                     kpis=results["kpis"], pay=results["pay"], history=history, commission=commission)


# --- 2. notebooks ----------------------------------------------------------------------------


def _meta(job: NotebookJob) -> str:
    return f"期间 {job.period}" + (f" · 部门 {job.department}" if job.department else " · 全公司")


def _payload(job: NotebookJob, work: Path, out: Path, notebooks_dir: Path, inputs_dir, params_dir,
             kernel_name, cell_timeout, data=None) -> dict:
    return {"key": job.key, "notebook": job.notebook, "period": job.period, "department": job.department,
            "title": job.title, "meta": _meta(job), "source": str((notebooks_dir / f"{job.notebook}.ipynb").resolve()),
            "work": str(work), "parameters": job.parameters(inputs_dir, params_dir),
            "final_ipynb": str((out / job.relpath(".ipynb")).resolve()),
            "kernel_name": kernel_name, "cell_timeout": cell_timeout,
            "data": str(data) if data is not None and job.period == job.run_period else None}


def _entry(res: dict, placed: dict) -> dict:
    """A notebook's entry in run.json: paths relative to outputs/<period>/."""
    return {"key": res["key"], "notebook": res["notebook"], "period": res["period"],
            "department": res["department"], "title": res["title"], "parameters": res["parameters"],
            "status": res["status"], "error": res["error"], "error_detail": res.get("error_detail"),
            "failed_cell": res.get("failed_cell"),
            "started_at": datetime.fromtimestamp(res["started"]).astimezone().isoformat(timespec="milliseconds"),
            "seconds": res["seconds"], "files": placed.get("files", {}), "extras": placed.get("extras", []),
            "warnings": res.get("warnings", [])} | ({"worker": res["worker"]} if res.get("worker") else {})


def run_notebooks(due: list[NotebookJob], *, out: Path, notebooks_dir, inputs_dir, params_dir,
                  jobs: int | None = None, progress: bool | None = None, kernel_name: str | None = None,
                  cell_timeout: float | None = None, protected=frozenset(), echo=print,
                  scheduler=None, data=None, prepare=None) -> list[dict]:
    """Run `due` in parallel (one worker process and one kernel per notebook at a time); the run.json
    entries in the order of `due`. Work happens in out/.run-*/, removed at the end whatever happens.
    `protected`: resolved paths a notebook's own files may not replace (the data files).
    `scheduler`: run them on that Dask cluster instead (an address or a distributed.Client), at
    most `jobs` at a time (default: all handed to the scheduler, which runs as many as its workers
    have threads, and lets an adaptive cluster grow).
    `data`: the pickle of `report_data`, handed to the notebooks of the run's own period (not
    on a cluster, whose workers do not see this machine's files); `prepare`, when given, writes it
    and is called once the local worker processes are starting, so that their start overlaps it."""
    from tqdm import tqdm

    if not due:
        return []
    out.mkdir(parents=True, exist_ok=True)
    notebooks_dir = Path(notebooks_dir)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(due)))
    entries: dict[str, dict] = {}
    tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=out))
    bar = tqdm(total=len(due), desc=f"{due[0].run_period} 报告", unit="份", file=sys.stderr,
               disable=None if progress is None else not progress, dynamic_ncols=True)

    def done(payload: dict, res: dict) -> None:
        placed = publish(res, out, protected) if res.get("files") else {}
        entries[payload["key"]] = entry = _entry(res, placed)
        bar.update(1)
        bar.set_postfix_str(payload["key"], refresh=True)
        where = f", {entry['worker']}" if entry.get("worker") else ""
        status = "ok    " if entry["status"] == "ok" else "FAILED"
        line = f"{status} {payload['key']} ({entry['seconds']:.1f} s{where})"
        if entry["status"] != "ok":
            line += f": {entry['error']}"
        with tqdm.external_write_mode(file=sys.stderr):
            echo(line)

    try:
        if scheduler is not None:
            data = prepare = None
        payloads = [_payload(j, tmp / f"{i:03d}", out, notebooks_dir, inputs_dir, params_dir, kernel_name,
                             cell_timeout, data) for i, j in enumerate(due)]
        ready = []
        for p in payloads:
            if Path(p["source"]).is_file():
                ready.append(p)
            else:
                done(p, not_run(p, f"notebook not found: {p['source']}"))
        ready = start_order(ready)
        if ready and scheduler is not None:
            _on_cluster(ready, scheduler, jobs, done, {"inputs_dir": inputs_dir, "params_dir": params_dir,
                                                       "notebooks_dir": notebooks_dir})
        elif ready:
            _in_processes(ready, min(workers, len(ready)), done, prepare if data else None, data)
    finally:
        bar.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return [entries[j.key] for j in due]


def start_order(ready: list[dict]) -> list[dict]:
    """The order the notebooks start in: the company's first (it reads every department: left for
    last, it would run alone while the other workers wait), then the departments' as due. run.json
    keeps the order of `due`."""
    return sorted(ready, key=lambda p: p["department"] is not None)


def _in_processes(ready: list[dict], workers: int, done, prepare=None, data=None) -> None:
    """Run the jobs in `workers` processes. With `prepare`, the jobs start at once (workers warm
    up, kernels start and import) while this process writes `data`; a notebook that reaches its
    `load` first waits for it, as the `pending` marker beside it says."""
    from ..report.context import pending

    ctx = multiprocessing.get_context("spawn")      # no fork of a process that holds threads
    marker = pending(data) if prepare is not None and data is not None else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=warm_up) as pool:
        try:
            if marker is not None:
                marker.touch()
            futures = {pool.submit(run_job, p): p for p in ready}
            try:
                if prepare is not None:
                    prepare()
            finally:
                if marker is not None:
                    marker.unlink(missing_ok=True)
            for fut in as_completed(futures):
                p = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:             # noqa: BLE001 - a worker process died
                    res = not_run(p, first_line(f"{type(exc).__name__}: {exc}") or type(exc).__name__)
                done(p, res)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _on_cluster(ready: list[dict], scheduler, jobs: int | None, done, folders: dict) -> None:
    from .cluster import connect, run_jobs

    with connect(scheduler) as client:
        run_jobs(client, ready, folders=folders, limit=jobs or len(ready), done=done)


# --- the run ---------------------------------------------------------------------------------


def run_period(period, *, inputs_dir="inputs", params_dir="params", out_dir="outputs", notebooks_dir="notebooks",
               departments=None, jobs: int | None = None, skip_invalid: bool = False,
               progress: bool | None = None, kernel_name: str | None = None,
               cell_timeout: float | None = None, scheduler=None, echo=print) -> RunResult:
    """Data files, every notebook due, run.json and index.html for `period`.

    Raises InputError when the inputs have errors (unless `skip_invalid`: the valid rows are
    used and the skipped ones listed in problems.csv) and BatchError for an unknown department.
    A failing notebook does not raise: see `RunResult.failed`.

    `scheduler`: run the notebooks on that Dask cluster (an address such as tcp://host:8786, or a
    distributed.Client) instead of local processes. It is reached before anything is written, and
    BatchError says why when it cannot be (dask not installed, no scheduler there, no worker).
    """
    from ..jobs import scored_departments
    from ..load import load
    from ..output import write_all
    from ..params import load_params

    t0 = time.perf_counter()
    started_at = _now()
    period = Period.parse(period)
    if scheduler is not None:
        from .cluster import require_dask
        require_dask()
    inputs_dir, params_dir = Path(inputs_dir).resolve(), Path(params_dir).resolve()
    notebooks_dir, out_root = Path(notebooks_dir).resolve(), Path(out_dir).resolve()
    if not notebooks_dir.is_dir():
        raise BatchError(f"no notebooks folder {notebooks_dir}; pass --notebooks with the folder of the "
                         f"report notebooks")
    input_hashes, params_hashes = file_hashes(inputs_dir), file_hashes(params_dir)

    params = load_params(params_dir)
    inputs = load(inputs_dir, params, period)
    report = inputs.report
    if report.has_errors and not skip_invalid:
        raise InputError(report)
    known = scored_departments(inputs)
    wanted = list(dict.fromkeys(departments)) if departments else known
    unknown = [d for d in wanted if d not in known]
    if unknown:
        raise BatchError(f"unknown department(s) {unknown}; the roster has {known}")

    out = out_root / period.label
    with _cluster(scheduler) as client:             # reached before anything is written
        files, messages, results = data_files(params, inputs, period, wanted, out, narrowed=bool(departments))
        if report.problems:
            files[out / "problems.csv"] = report.to_frame()
        for m in messages:
            echo(m)
        write_all(files)
        if report.problems:
            echo(report.summary())
        data_seconds = time.perf_counter() - t0
        echo(f"wrote {len(files)} data files under {out}/")

        due = due_notebooks(period, wanted, facts_from_files(files, out), company=not departments)
        t1 = time.perf_counter()
        workers, scheduler_address = _capacity(client, jobs)
        staging = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=out))
        try:
            data = staging / "report_data.pickle"      # written (prepare) while the workers start
            entries = run_notebooks(due, out=out, notebooks_dir=notebooks_dir, inputs_dir=inputs_dir,
                                    params_dir=params_dir, jobs=jobs, progress=progress, kernel_name=kernel_name,
                                    cell_timeout=cell_timeout, protected={Path(p).resolve() for p in files},
                                    echo=echo, scheduler=client, data=data,
                                    prepare=lambda: report_data(data, params, inputs, period, due, results,
                                                                inputs_dir, params_dir))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        notebooks_seconds = time.perf_counter() - t1

    data = sorted(Path(p).relative_to(out).as_posix() for p in files)
    sources = sorted({j.notebook for j in due})
    record = {
        "format": "perfpay run 1",
        "period": period.label,
        "status": "ok" if all(e["status"] == "ok" for e in entries) else "failed",
        "started_at": started_at,
        "finished_at": None,
        "parameters": {
            "period": period.label, "departments": wanted, "department_filter": list(departments or []) or None,
            "jobs": workers, "inputs_dir": str(inputs_dir), "params_dir": str(params_dir),
            "notebooks_dir": str(notebooks_dir), "out_dir": str(out_root), "skip_invalid": skip_invalid,
            "kernel_name": kernel_name, "cell_timeout": cell_timeout, "scheduler": scheduler_address,
        },
        "versions": versions(),
        "inputs": {"dir": str(inputs_dir), "sha256": input_hashes},
        "params": {"dir": str(params_dir), "sha256": params_hashes},
        "notebook_sources": {"dir": str(notebooks_dir),
                             "sha256": {f"{n}.ipynb": sha256(notebooks_dir / f"{n}.ipynb") for n in sources
                                        if (notebooks_dir / f"{n}.ipynb").is_file()}},
        "input_problems": report.summary() if report.problems else None,
        "departments": wanted,
        "data_files": [{"path": rel, "sha256": sha256(out / rel)} for rel in data],
        "notebooks": entries,
        "messages": messages,
        "timings": {"data_seconds": round(data_seconds, 3), "notebooks_seconds": round(notebooks_seconds, 3),
                    "total_seconds": None},
    }
    record["timings"]["total_seconds"] = round(time.perf_counter() - t0, 3)
    record["finished_at"] = _now()
    write_json(out / RUN_JSON, record)
    write_text(out / INDEX, index_html(record))
    result = RunResult(period, out, record)
    _summary(result, echo)
    return result


@contextmanager
def _cluster(scheduler):
    """The Dask client of a cluster run, None for a local run."""
    if scheduler is None:
        yield None
        return
    from .cluster import connect

    with connect(scheduler) as client:
        yield client


def _capacity(client, jobs: int | None) -> tuple[int, str | None]:
    """How many notebooks run at a time (on a cluster: at the start, unless capped), and the
    scheduler's address (None for a local run)."""
    if client is None:
        return max(1, jobs or os.cpu_count() or 1), None
    from .cluster import address, threads

    return max(1, jobs or threads(client)), address(client)


def _on(scheduler) -> str:
    return f" on the Dask cluster at {scheduler}" if scheduler else ""


def _summary(result: RunResult, echo) -> None:
    r = result.record
    ok = sum(1 for nb in result.notebooks if nb["status"] == "ok")
    echo(f"notebooks: {ok} ok, {len(result.failed)} failed, in {r['timings']['notebooks_seconds']:.1f} s "
         f"with {r['parameters']['jobs']} jobs{_on(r['parameters'].get('scheduler'))}; "
         f"total {r['timings']['total_seconds']:.1f} s")
    for nb in result.failed:
        where = nb["files"].get("html")
        echo(f"  FAILED {nb['key']}: {nb['error']}" + (f"\n         see {result.out / where}" if where else ""))
    echo(f"index: {result.index}\nrecord: {result.run_json}")
