"""`perfpay run --scheduler ADDRESS`: the notebooks of a run on a Dask distributed cluster.

    with connect("tcp://10.0.0.5:8786") as client:
        run_jobs(client, payloads, folders={...}, limit=8, done=done)

Only the notebooks go to the cluster: the data files, run.json and index.html are made here as
in a local run, and each notebook's files are published by the same `publish`. Files travel with
the jobs (see `remote`), so the workers need the same Python environment as this machine (checked
on connecting), not its folders. dask is imported by this module and `remote` only, and they only
for a cluster run.
"""

from __future__ import annotations

import time
import traceback
import uuid
from concurrent.futures import CancelledError
from contextlib import contextmanager
from pathlib import Path

from .execute import first_line, not_run
from .manifest import PACKAGES, versions
from .run import BatchError

CONNECT_TIMEOUT = 30     # seconds to reach the scheduler
WORKER_WAIT = 30         # seconds for a first worker to join it
NO_WORKER_LIMIT = 60     # seconds without any worker before the notebooks still due are given up
POLL = 0.2               # seconds between looks at the running notebooks
INSTALL = 'pip install "perfpay[dask]"'


def require_dask():
    try:
        import distributed
    except ImportError as exc:
        raise BatchError(f"--scheduler runs the notebooks on a Dask cluster, which needs the dask extra: "
                         f"{INSTALL}") from exc
    return distributed


@contextmanager
def connect(scheduler):
    """A Client of the scheduler at `scheduler` (an address such as tcp://host:8786, closed at the
    end; or a Client already open, left open), with a worker running this machine's versions."""
    distributed = require_dask()
    if isinstance(scheduler, distributed.Client):
        check(scheduler)
        yield scheduler
        return
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, ValueError, TimeoutError) as exc:
        raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {first_line(exc)}; check the "
                         f"address (tcp://host:8786) and that `dask scheduler` runs there") from exc
    try:
        check(client)
        yield client
    finally:
        client.close()


def address(client) -> str:
    return client.scheduler.address


def threads(client) -> int:
    """How many jobs the cluster's workers run at a time."""
    return sum(client.nthreads().values())


def check(client) -> None:
    """At least one worker, and every worker with the package versions of this machine: run.json
    records this machine's, and the numbers must not depend on which worker ran a notebook."""
    where = address(client)
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT)
    except (TimeoutError, OSError) as exc:
        raise BatchError(f"no Dask worker joined the scheduler at {where} within {WORKER_WAIT} s; start "
                         f"workers with `dask worker {where}`") from exc
    try:
        theirs = client.run(versions)
    except Exception as exc:                        # noqa: BLE001 - perfpay missing on a worker, say
        raise BatchError(f"the Dask workers of {where} cannot run perfpay ({first_line(exc)}); install the "
                         f"same perfpay on them: {INSTALL}") from exc
    mine = versions()
    wrong = [f"{worker} has {name} {found.get(name)} (here {mine[name]})"
             for worker, found in sorted(theirs.items()) for name in PACKAGES if found.get(name) != mine[name]]
    if wrong:
        raise BatchError("the Dask workers must have the package versions of this machine: "
                         + "; ".join(wrong[:6]) + (f"; and {len(wrong) - 6} more" if len(wrong) > 6 else ""))


def run_jobs(client, payloads: list[dict], *, folders: dict, limit: int, done) -> None:
    """Run each payload of run.py on the cluster, at most `limit` at a time, and call
    done(payload, result) here as each completes: run_job's result with its files written into the
    payload's work folder, or a failure saying why (worker lost, scheduler lost, no worker left).

    `folders`: {inputs_dir, params_dir, notebooks_dir: path}, sent once to every worker. A worker
    that dies mid-notebook has its notebook rerun on another (Dask's allowed-failures, 3 by default).
    """
    from .remote import RunFiles, pack

    token = uuid.uuid4().hex[:12]
    data, where = pack(folders)
    files = RunFiles(data, token)
    running: dict = {}                              # future -> payload, for _tidy on an interruption
    try:
        try:
            client.register_plugin(files)
        except Exception as exc:                    # noqa: BLE001 - every notebook is listed as failed
            why = first_line(f"the run's files could not be sent to the Dask workers: {type(exc).__name__}: {exc}")
            for p in payloads:
                done(p, not_run(p, why, traceback.format_exc()))
            return
        _dispatch(client, list(payloads), running, token, where, limit, done)
    finally:
        _tidy(client, list(running), files.name)


def _dispatch(client, queue: list[dict], running: dict, token: str, where: dict, limit: int, done) -> None:
    from .remote import run_on_worker

    stranded = _Stranded(client)
    while queue or running:
        while queue and len(running) < limit:
            p = queue.pop(0)
            fut = client.submit(run_on_worker, p, token, where, pure=False,
                                key=f"perfpay-{Path(p['work']).name}-{token}")
            running[fut] = p
        finished = [fut for fut in running if fut.done()]
        for fut in finished:
            p = running.pop(fut)
            done(p, _result(fut, p, client))
        if finished:
            continue
        if stranded():
            why = (f"no Dask worker left on the scheduler at {address(client)} for {NO_WORKER_LIMIT} s; "
                   f"the notebook did not complete")
            client.cancel(list(running))
            for p in [*running.values(), *queue]:
                done(p, not_run(p, why))
            running.clear()
            queue.clear()
        time.sleep(POLL)


def _result(fut, payload: dict, client) -> dict:
    from distributed import KilledWorker

    from .remote import land

    try:
        return land(fut.result(), Path(payload["work"]))
    except KilledWorker as exc:
        why = (f"the Dask worker running it died, {exc.allowed_failures + 1} times on as many workers (out of "
               f"memory, or stopped), last {getattr(exc.last_worker, 'address', exc.last_worker)}; see its log")
    except CancelledError as exc:
        why = (f"cancelled on the Dask cluster: {first_line(exc)}" if client.status == "running" else
               f"lost the connection to the Dask scheduler at {address(client)}; the notebook did not complete")
    except Exception as exc:                        # noqa: BLE001 - reported, the others go on
        why = first_line(f"{type(exc).__name__} on a Dask worker: {exc}")
    return not_run(payload, why, traceback.format_exc())


class _Stranded:
    """True once the cluster has had no worker for NO_WORKER_LIMIT seconds (asked every few seconds)."""

    EVERY = 5.0

    def __init__(self, client):
        self.client, self.asked, self.alone_since = client, 0.0, None

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self.asked >= self.EVERY:
            self.asked = now
            if self._workers():
                self.alone_since = None
            elif self.alone_since is None:
                self.alone_since = now
        return self.alone_since is not None and now - self.alone_since >= NO_WORKER_LIMIT

    def _workers(self) -> int:
        try:
            return len(self.client.nthreads()) if self.client.status == "running" else 0
        except Exception:                           # noqa: BLE001 - a scheduler that does not answer
            return 0


def _tidy(client, futures: list, plugin: str) -> None:
    """Cancel what still runs (an interrupted run) and remove the run's files from the workers."""
    try:
        client.cancel(futures)
        client.unregister_worker_plugin(plugin)
    except Exception:                               # noqa: BLE001 - the scheduler is gone: nothing to tidy
        pass
