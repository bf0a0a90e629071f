"""What runs on a Dask worker in a cluster run, and the files that travel to and from it.

The client packs the run's inputs, params and notebooks folders into one zip (`pack`), which a
worker plugin (`RunFiles`) unpacks into the scratch folder of every worker, including one that
joins or restarts during the run. Each notebook then runs there with `execute.run_job`, as a local
run does (`run_on_worker`). The result comes back with the
bytes of the files to keep (executed notebook, HTML and, when it succeeded, the files the notebook
wrote), which the client writes into the run's work folder (`land`) before `publish` moves them
into place. Nothing on the worker is assumed to be shared with the client but the Python
environment.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from .execute import WORK_CWD, run_job
from .manifest import listed_files

_STAMP = (1980, 1, 1, 0, 0, 0)      # every member of the zip: the same bundle from the same files


def pack(folders: dict) -> tuple[bytes, dict]:
    """One zip of {parameter: folder} and where each lands once unpacked ({parameter: relative path}).

    `parameter` is inputs_dir, params_dir or notebooks_dir; a folder that is a single file (an
    inputs workbook) lands inside a folder of its own.
    """
    buf, where = io.BytesIO(), {}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for parameter, folder in folders.items():
            folder, name = Path(folder), parameter.removesuffix("_dir")
            where[parameter] = f"{name}/{folder.name}" if folder.is_file() else name
            z.writestr(zipfile.ZipInfo(f"{name}/", _STAMP), b"")
            for rel, path in listed_files(folder).items():
                z.writestr(zipfile.ZipInfo(f"{name}/{rel}", _STAMP), path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buf.getvalue(), where


def scratch(token: str, local_directory) -> Path:
    """Where a worker keeps the files of run `token`."""
    return Path(local_directory) / f"perfpay-{token}"


class RunFiles(WorkerPlugin):
    """The files of run `token` on every worker, present or joining later: unpacked on setup,
    removed on teardown (when the run unregisters the plugin at its end)."""

    def __init__(self, bundle: bytes, token: str):
        self.bundle, self.token, self.name = bundle, token, f"perfpay-{token}"

    def setup(self, worker):
        folder = scratch(self.token, worker.local_directory)
        shutil.rmtree(folder, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=worker.local_directory))
        with zipfile.ZipFile(io.BytesIO(self.bundle)) as z:
            z.extractall(tmp)
        os.rename(tmp, folder)          # complete or absent
        self.bundle = None              # the worker's copy of the bytes is no longer needed

    def teardown(self, worker):
        shutil.rmtree(scratch(self.token, worker.local_directory), ignore_errors=True)


def run_on_worker(payload: dict, token: str, where: dict) -> dict:
    """Run one job of run.py (`payload`, with the client's paths) on this worker; never raises for a
    failing notebook. The result is run_job's, with the client's paths and parameters, the worker's
    address and the files to keep under "returned" ({path relative to the job's folder: bytes})."""
    from distributed import get_worker

    worker = get_worker()
    root = scratch(token, worker.local_directory)
    if not root.is_dir():
        raise RuntimeError(f"the files of the run are not on this worker ({root}): its RunFiles plugin failed")
    used = {k: (str(root / where[k]) if k in where else v) for k, v in payload["parameters"].items()}
    work = Path(tempfile.mkdtemp(prefix="job-", dir=root))
    job = dict(payload, work=str(work), parameters=used,
               source=str(root / where["notebooks_dir"] / Path(payload["source"]).name),
               # the kernel's output goes to a log file by redirecting the process's stdout and
               # stderr: only safe when this worker runs one job at a time
               log_file=worker.state.nthreads == 1)
    try:
        res = run_job(job)
        show_client_paths(Path(res["files"]["ipynb"]), used, payload)
        res["returned"] = _returned(work, res)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res.update(parameters=payload["parameters"], worker=worker.address)
    return res


def _returned(work: Path, res: dict) -> dict:
    keep = [Path(p).relative_to(work) for p in res["files"].values()]
    keep += [Path(WORK_CWD) / rel for rel in res["extras"]]        # empty unless the notebook succeeded
    return {p.as_posix(): (work / p).read_bytes() for p in keep if (work / p).is_file()}


def land(res: dict, work: Path) -> dict:
    """Write the files a worker returned into `work`, this run's folder for the job, laid out as a
    local job leaves them; the result then names them there."""
    for rel, data in res.pop("returned").items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    res["files"] = {kind: str(work / Path(p).name) for kind, p in res["files"].items()}
    return res


def show_client_paths(ipynb: Path, used: dict, payload: dict) -> None:
    """The kept notebook names the client's folders, as a local run's does (the worker ran it on
    an identical copy of them): its injected parameters cell and its papermill metadata."""
    import nbformat
    from papermill.translators import papermill_translators

    try:
        nb = nbformat.read(ipynb, as_version=4)
    except Exception:                               # noqa: BLE001 - nothing readable to fix
        return
    meta = nb.metadata.get("papermill")
    if meta is None:
        return
    shown = payload["parameters"]
    spec = nb.metadata.get("kernelspec", {})
    try:
        translate = papermill_translators.find_translator(spec.get("name"), spec.get("language")).translate
    except Exception:                               # noqa: BLE001 - a language papermill cannot write
        translate = None
    for cell in nb.cells:
        if translate and "injected-parameters" in cell.metadata.get("tags", []):
            for key, value in used.items():
                cell.source = cell.source.replace(translate(value), translate(shown[key]))
    meta["parameters"] = shown
    meta["input_path"] = payload["source"]
    nbformat.write(nb, ipynb)
