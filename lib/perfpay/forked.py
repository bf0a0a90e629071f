"""A function run in a forked copy of this process while this one goes on; what it returns comes
back pickled through a pipe. Objects shared within it stay shared (text read once per distinct
value stays one str); an object column travels as its distinct objects and a code per entry, a
plain frame as its columns (both twice as fast to pickle and unpickle as pandas' and numpy's own)."""

from __future__ import annotations

import contextlib
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


def can_fork() -> bool:
    """True where a forked copy of this process can safely do work: on Linux, with no other
    Python thread about (one could hold a lock the copy needs, forever: pyarrow's, say)."""
    return hasattr(os, "fork") and sys.platform.startswith("linux") and threading.active_count() == 1


class Forked:
    """fn() in a forked copy of this process (call only where can_fork()); result() gives what
    it returned. Where the copy fails or is killed, result() runs fn() here instead, so that
    nothing is lost and a real error is raised here with its traceback."""

    def __init__(self, fn):
        self.fn = fn
        read, write = os.pipe()
        try:
            with warnings.catch_warnings():             # pyarrow's own threads are about, idle
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:                                 # no process to be had (memory, limits): fn runs in result()
            os.close(read)
            os.close(write)
            self.pid = self.pipe = None
            return
        if pid == 0:                                    # the copy
            code = 1
            try:
                os.close(read)
                data = dumps(fn())
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
                code = 0
            finally:                                    # never returns into the caller's code
                os._exit(code)
        os.close(write)
        self.pid, self.pipe = pid, read

    def result(self, timeout: float | None = None):
        """What fn() returned in the copy (or here, where the copy failed, or sent nothing for
        `timeout` seconds: then it is killed, as stuck)."""
        if self.pid is None:
            return self.fn()
        data = self._read(timeout)                      # read before waiting: the copy blocks on a full pipe
        if data is None:
            self.stop()
            return self.fn()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if status == 0 and data:
            return pickle.loads(data)
        return self.fn()

    def _read(self, timeout: float | None) -> bytes | None:
        """All the copy writes, until it closes the pipe; None after `timeout` seconds without a byte."""
        chunks = []
        while select.select([self.pipe], [], [], timeout)[0]:
            chunk = os.read(self.pipe, 1 << 20)
            if not chunk:
                os.close(self.pipe)
                self.pipe = None
                return b"".join(chunks)
            chunks.append(chunk)
        return None

    def stop(self) -> None:
        """Kill the copy if it still runs, and reap it (when its result is not wanted)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = None
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None


def dumps(value) -> bytes:
    out = io.BytesIO()
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
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
