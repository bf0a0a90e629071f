"""A function run in a forked copy of this process while this one goes on; what it returns comes
back pickled, in a file in memory (memfd) that the copy fills and closes a pipe on: it never
waits for this process to read. Objects shared within it stay shared (text read once per distinct
value stays one str); an object column travels as its distinct objects and a code per entry, a
plain frame as its columns (both twice as fast to pickle and unpickle as pandas' and numpy's own)."""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import select
import signal
import sys
import threading
import io
import warnings

import numpy as np
import pandas as pd

from .distinct import same_objects


def can_fork(stopped: int = 0) -> bool:
    """True where a forked copy of this process can safely do work: on Linux, with no other
    Python thread about (one could hold a lock the copy needs, forever: pyarrow's, say), but for
    `stopped` threads the caller stops before it forks."""
    return hasattr(os, "fork") and sys.platform.startswith("linux") and threading.active_count() == 1 + stopped


class Forked:
    """fn() in a forked copy of this process (call only where can_fork()); result() gives what
    it returned. Where the copy fails or is killed, result() runs fn() here instead, so that
    nothing is lost and a real error is raised here with its traceback."""

    def __init__(self, fn):
        self.fn = fn
        self.pid = self.pipe = self.store = None
        fds = []
        try:
            fds = [*os.pipe(), os.memfd_create("perfpay-forked", os.MFD_CLOEXEC)]
            with warnings.catch_warnings():             # pyarrow's own threads are about, idle
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:                                 # no process to be had (memory, limits): fn runs in result()
            for fd in fds:
                os.close(fd)
            return
        read, write, store = fds
        if pid == 0:                                    # the copy
            code = 1
            try:
                os.close(read)
                value = fn()
                with os.fdopen(store, "wb") as kept:
                    dump(value, kept)
                os.close(write)                         # done: the pipe's end tells the process
                code = 0
            finally:                                    # never returns into the caller's code
                os._exit(code)
        os.close(write)
        self.pid, self.pipe, self.store = pid, read, store

    def result(self, timeout: float | None = None):
        """What fn() returned in the copy (or here, where the copy failed, or had not finished
        after `timeout` seconds: then it is killed, as stuck)."""
        if self.pid is None:
            return self.fn()
        if not self._ended(timeout):
            self.stop()
            return self.fn()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        try:
            size = os.fstat(self.store).st_size
            if status == 0 and size:
                with mmap.mmap(self.store, size, access=mmap.ACCESS_READ) as data:
                    return pickle.loads(data)
        finally:
            self.stop()
        return self.fn()

    def _ended(self, timeout: float | None) -> bool:
        """Whether the copy closed its end of the pipe (done, or gone) within `timeout` seconds."""
        if not select.select([self.pipe], [], [], timeout)[0]:
            return False
        while os.read(self.pipe, 1 << 16):              # nothing is written to it; its end is read as b""
            pass
        return True

    def stop(self) -> None:
        """Kill the copy if it still runs, and reap it (when its result is not wanted)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = None
        for name in ("pipe", "store"):
            if getattr(self, name) is not None:
                os.close(getattr(self, name))
                setattr(self, name, None)


def dump(value, file) -> None:
    _Pickler(file, protocol=pickle.HIGHEST_PROTOCOL).dump(value)


def dumps(value) -> bytes:
    out = io.BytesIO()
    dump(value, out)
    return out.getvalue()


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if type(obj) is np.ndarray and obj.dtype == object and obj.ndim == 1 and obj.size >= 1000:
            codes, first = same_objects(obj)
            if len(first) <= obj.size // 2:
                return _spread, (obj[first], codes.astype(np.min_scalar_type(len(first))))
        elif type(obj) is pd.DataFrame and _plain(obj):
            return _frame, ({c: obj[c].to_numpy() for c in obj.columns}, len(obj))
        return NotImplemented


def _plain(frame: pd.DataFrame) -> bool:
    """A frame of numpy columns with distinct names, indexed 0, 1, ... and no attrs."""
    index = frame.index
    return (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and not frame.attrs
            and frame.columns.is_unique and all(isinstance(t, np.dtype) for t in frame.dtypes))


def _spread(distinct: np.ndarray, codes: np.ndarray) -> np.ndarray:
    return distinct[codes]


def _frame(columns: dict, n: int) -> pd.DataFrame:
    return pd.DataFrame(columns, index=pd.RangeIndex(n), copy=False)
