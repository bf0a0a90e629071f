"""One notebook job, run in a worker process: papermill into a private folder, then HTML.

Nothing here touches the final output folder: the job writes <stem>.ipynb and <stem>.html into its
own work folder and the kernel runs with that folder's `cwd/` as its working directory. The
parent process moves the files into place once the job is complete (`publish`).

A failing notebook is still written out with its failing cell marked (papermill does this) and
rendered; when papermill could not even write it (no kernel, a bad parameter), a notebook saying
why is written instead, so there is always something to look at.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

WORK_CWD = "cwd"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class JobResult:
    key: str                       # 大客户部/department_report
    notebook: str
    period: str
    department: str | None
    title: str
    parameters: dict
    status: str = "ok"             # ok | failed
    error: str | None = None       # first line of the error
    error_detail: str | None = None
    failed_cell: int | None = None  # execution count of the failing cell (papermill's)
    marked: bool = False            # the failing cell is marked in the kept notebook
    started: float = 0.0           # time.time()
    seconds: float = 0.0
    files: dict = field(default_factory=dict)     # kind (ipynb, html) -> path in the work folder
    extras: list = field(default_factory=list)    # files the notebook wrote into its cwd (relative)
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def not_run(payload: dict, error: str, detail: str | None = None) -> dict:
    """The result of a job that never produced a notebook (missing source, dead worker)."""
    return {"key": payload["key"], "notebook": payload["notebook"], "period": payload["period"],
            "department": payload["department"], "title": payload["title"], "parameters": payload["parameters"],
            "status": "failed", "error": error, "error_detail": detail or error, "failed_cell": None,
            "started": time.time(), "seconds": 0.0, "files": {}, "extras": [], "warnings": []}


def first_line(text) -> str:
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    return lines[0] if lines else ""


def _quiet(log_path: Path):
    """Send this process's stdout/stderr (and so the kernel's, which inherits them) to a log file."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    saved = os.dup(1), os.dup(2)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    return saved


def _restore(saved) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(saved[0], 1)
    os.dup2(saved[1], 2)
    os.close(saved[0])
    os.close(saved[1])


class _Collect(logging.Handler):
    """papermill's warnings (a parameter the notebook does not declare, say), for run.json."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _placeholder(source: Path, path: Path, message: str) -> None:
    """A notebook saying why the real one could not be executed: the source with a note on top."""
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    try:
        nb = nbformat.read(source, as_version=4)
    except Exception:                                   # noqa: BLE001 - the source itself is the problem
        nb = new_notebook()
    note = new_markdown_cell(f"**本报告未能运行 (the notebook could not be executed).**\n\n```\n{message}\n```")
    note.metadata["tags"] = ["perfpay-error"]
    nb.cells.insert(0, note)
    nbformat.write(nb, path)


def warm_up() -> None:
    """Import papermill and nbconvert and compile the HTML templates: what every job of a worker
    process needs first, done as the process starts (while the parent still prepares the run)."""
    try:
        import importlib

        from .html import _exporter
        importlib.import_module("papermill")
        _exporter()
    except Exception:                               # noqa: BLE001 - the job itself will say what is wrong
        pass


def run_job(job: dict) -> dict:
    """Execute one notebook and render it; never raises. `job` is plain data (it crosses processes).

    Keys: key, notebook, period, department, title, meta, source, work, parameters, final_ipynb,
    kernel_name, cell_timeout, start_timeout, log_file (default true: the process's stdout and
    stderr, and so the kernel's, go to work/kernel.log while the job runs), data (optional: the
    pickle of what the run's data step computed, passed as `report_data` to a notebook that
    declares that parameter).
    """
    work = Path(job["work"])
    cwd = work / WORK_CWD
    cwd.mkdir(parents=True, exist_ok=True)
    stem = Path(job["key"]).name
    ipynb, page = work / f"{stem}.ipynb", work / f"{stem}.html"
    res = JobResult(key=job["key"], notebook=job["notebook"], period=job["period"],
                    department=job["department"], title=job["title"], parameters=job["parameters"],
                    started=time.time())
    t0 = time.perf_counter()
    saved = _quiet(work / "kernel.log") if job.get("log_file", True) else None
    said = _Collect()
    logging.getLogger("papermill").addHandler(said)
    try:
        _execute(job, ipynb, cwd, res)
        _render(job, ipynb, page, res)
    finally:
        logging.getLogger("papermill").removeHandler(said)
        if saved:
            _restore(saved)
    res.warnings = [f"papermill: {m}" for m in said.messages] + res.warnings
    res.files = {"ipynb": str(ipynb), "html": str(page)}
    if res.status == "ok":
        res.extras = sorted(p.relative_to(cwd).as_posix() for p in cwd.rglob("*")
                            if p.is_file() and not _hidden(p.relative_to(cwd)))
    res.seconds = round(time.perf_counter() - t0, 3)
    return res.to_dict()


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in rel.parts)


SAVE_EVERY = 10.0          # seconds between two saves of a running notebook (papermill: every cell)
# A finished kernel is stopped at once (SIGKILL), not asked to exit: every output of its last cell
# has been received by then. Asked, a kernel that has imported pandas and matplotlib takes about
# 0.5 s to tear its modules down, and one in three sat 3 s more on ipykernel's output pipe.
SHUTDOWN = "immediate"
ENGINE = "perfpay"


@functools.lru_cache(maxsize=1)
def _engine():
    """papermill's nbclient engine, saving the running notebook at most every SAVE_EVERY seconds.

    papermill writes the whole notebook (its images too) before and after every cell: on a report
    of thirty cells, sixty writes of up to 2 MB. This one writes it at the start, after a failing
    cell, at the end whatever happens (papermill's notebook_complete, in a finally) and in
    between only every SAVE_EVERY seconds, so a failed or stopped run still leaves its notebook
    with the cell that was running marked.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager

    class Manager(NotebookExecutionManager):
        lazy = False

        def save(self, **kwargs):
            if self.lazy and (self.now() - self.last_save_time).total_seconds() < SAVE_EVERY:
                return
            super().save(**kwargs)

        def _lazily(self, step, *args, **kwargs):
            self.lazy = True
            try:
                step(self, *args, **kwargs)
            finally:
                self.lazy = False

        def cell_start(self, *args, **kwargs):
            self._lazily(NotebookExecutionManager.cell_start, *args, **kwargs)

        def cell_complete(self, *args, **kwargs):
            self._lazily(NotebookExecutionManager.cell_complete, *args, **kwargs)

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):       # papermill's Engine.execute_notebook
            nb_man = Manager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                             autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    return Engine


SOCKET_PATH_MAX = 100      # bytes; a Unix socket's path must fit in 108 (Linux) or 104 (macOS)


@contextlib.contextmanager
def kernel_sockets():
    """papermill keyword arguments that have the kernel talk over Unix sockets in a private folder
    (ZeroMQ's ipc transport) instead of TCP ports on 127.0.0.1.

    With TCP, jupyter_client picks ports that are free at that moment and the kernel binds them a
    moment later; a process starting a kernel at the same time (another job, a Dask worker's own
    connections) can take one in between. The kernel then fails with "Address already in use" yet
    stays alive, and papermill waits its whole start timeout before failing the notebook. Files in
    a folder of this job's own cannot collide. The folder is removed when the block ends.
    """
    if os.name == "nt":                             # no Unix sockets for ZeroMQ there: TCP as before
        yield {}
        return
    from traitlets.config import Config

    folder = tempfile.mkdtemp(prefix="perfpay-kernel-")
    if len(os.fsencode(folder)) > SOCKET_PATH_MAX - 4 and os.path.isdir("/tmp"):
        os.rmdir(folder)                            # a long TMPDIR: the sockets' paths would not fit
        folder = tempfile.mkdtemp(prefix="perfpay-kernel-", dir="/tmp")
    try:
        yield {"config": Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "k")}})}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _execute(job: dict, ipynb: Path, cwd: Path, res: JobResult) -> None:
    import papermill as pm
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError

    papermill_engines.register(ENGINE, _engine())
    try:
        parameters = dict(job["parameters"])
        if job.get("data") and _declares(job["source"], "report_data"):
            parameters["report_data"] = job["data"]
        with kernel_sockets() as sockets:
            pm.execute_notebook(job["source"], str(ipynb), parameters=parameters, cwd=str(cwd), engine_name=ENGINE,
                                kernel_name=job.get("kernel_name"), progress_bar=False, log_output=False,
                                execution_timeout=job.get("cell_timeout"),
                                start_timeout=job.get("start_timeout") or 60,
                                shutdown_kernel=SHUTDOWN, **sockets)
    except PapermillExecutionError as exc:          # the notebook is written, its failing cell marked
        res.status, res.failed_cell = "failed", exc.exec_count
        res.error = first_line(f"{exc.ename}: {exc.evalue}")
        res.error_detail = "\n".join(_ANSI.sub("", line) for line in exc.traceback or []) or res.error
    except Exception as exc:                        # noqa: BLE001 - any failure is reported, not raised
        res.status = "failed"
        res.error = first_line(f"{type(exc).__name__}: {exc}") or type(exc).__name__
        res.error_detail = traceback.format_exc()
    if res.status == "failed":
        log = _tail(ipynb.parent / "kernel.log")
        if log:
            res.error_detail = f"{res.error_detail}\n--- kernel and papermill log (last lines) ---\n{log}"
        if not _readable(ipynb):
            _placeholder(Path(job["source"]), ipynb, res.error_detail or res.error)
        elif res.failed_cell is None:
            res.marked = _mark_failure(ipynb, res.error)
        else:
            res.marked = True
    _fix_metadata(ipynb, job)


def _declares(source, name: str) -> bool:
    """The notebook's parameters cell assigns `name` (else papermill would warn of an unknown parameter)."""
    import nbformat

    try:
        nb = nbformat.read(source, as_version=4)
    except Exception:                               # noqa: BLE001 - papermill reports an unreadable notebook
        return False
    assign = re.compile(rf"^{re.escape(name)}\s*[:=]", re.MULTILINE)
    return any(c.cell_type == "code" and "parameters" in c.metadata.get("tags", []) and assign.search(c.source)
               for c in nb.cells)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


ERROR_TAG = "perfpay-error-cell"


def _mark_failure(ipynb: Path, error: str) -> bool:
    """Mark the cell that was running when the run stopped (a dead kernel, a timeout), as papermill
    marks a cell that raised: a red note before it. True when a cell could be marked."""
    import html

    import nbformat
    from nbformat.v4 import new_markdown_cell

    nb = nbformat.read(ipynb, as_version=4)
    if any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in nb.cells):
        return True
    # the cell running when it stopped: the last one papermill saw start (it calls every cell
    # "completed" once the run ends, so the status does not tell)
    started = [i for i, c in enumerate(nb.cells) if c.metadata.get("papermill", {}).get("start_time")]
    if not started:
        return False
    at = started[-1]
    note = new_markdown_cell(
        '<span id="papermill-error-cell" style="color:red; font-size:1.5em;">'
        f"运行到此处时出错，以下内容未完成 (execution stopped here): {html.escape(error)}</span>")
    note.metadata["tags"] = [ERROR_TAG]
    nb.cells.insert(at, note)
    nbformat.write(nb, ipynb)
    return True


def _readable(path: Path) -> bool:
    import nbformat

    try:
        nbformat.read(path, as_version=4)
        return True
    except Exception:                               # noqa: BLE001
        return False


def _fix_metadata(ipynb: Path, job: dict) -> None:
    """The kept copy names where it is kept, not the work folder it was executed in."""
    import nbformat

    try:
        nb = nbformat.read(ipynb, as_version=4)
    except Exception:                               # noqa: BLE001
        return
    pm_meta = nb.metadata.get("papermill")
    if pm_meta is not None:
        pm_meta["output_path"] = job["final_ipynb"]
        pm_meta["cwd"] = None
        nbformat.write(nb, ipynb)


def _render(job: dict, ipynb: Path, page: Path, res: JobResult) -> None:
    from .html import error_page, render_html

    try:
        body, warnings = render_html(ipynb, title=job["title"], meta=job["meta"],
                                     error=res.error if res.status == "failed" else None,
                                     error_marked=res.marked, base_dir=Path(job["source"]).parent)
        res.warnings += warnings
    except Exception as exc:                        # noqa: BLE001
        message = first_line(f"{type(exc).__name__}: {exc}")
        if res.status == "ok":
            res.status, res.error = "failed", f"HTML: {message}"
            res.error_detail = traceback.format_exc()
        body = error_page(title=job["title"], meta=job["meta"], error=res.error or message)
    page.write_text(body, encoding="utf-8")


def publish(result: dict, out: Path, protected=frozenset()) -> dict:
    """Move a finished job's files into out/ (each an atomic rename); return {kind: path under out}.

    The HTML and the executed notebook are kept whatever the status; files the notebook wrote
    into its working folder only when it succeeded (a failed run leaves no partial file), and
    never over a file of `protected` (the run's data files): those are skipped with a warning.
    """
    key = Path(result["key"])
    target_dir = out / key.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    placed = {}
    for kind in ("ipynb", "html"):
        src = Path(result["files"][kind])
        if src.exists():
            dst = target_dir / src.name
            os.replace(src, dst)
            placed[kind] = dst.relative_to(out).as_posix()
    extras = []
    if result["status"] == "ok":
        cwd = Path(result["files"]["html"]).parent / WORK_CWD
        for rel in result["extras"]:
            dst = target_dir / rel
            if dst.resolve() in protected:
                result.setdefault("warnings", []).append(
                    f"the notebook wrote {rel}, the name of a data file of the run: not kept")
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(cwd / rel, dst)
            extras.append(dst.relative_to(out).as_posix())
    shutil.rmtree(Path(result["files"]["html"]).parent, ignore_errors=True)
    return {"files": placed, "extras": extras}
