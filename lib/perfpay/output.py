"""Writing results: UTF-8 with BOM (Excel on a Chinese Windows opens it), all or nothing."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write one CSV atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            frame.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(files: dict) -> None:
    """Write every file or none: render all into a staging folder first, then move them in.

    A value is a DataFrame (written as CSV with BOM) or a callable that writes the file at the
    path it is given (an xlsx writer, say).
    """
    if not files:
        return
    paths = [Path(p) for p in files]
    root = Path(os.path.commonpath([p.parent for p in paths]))
    root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        staged = []
        for path, frame in files.items():
            target = stage / Path(path).relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            if callable(frame):
                frame(target)
            else:
                frame.to_csv(target, index=False, encoding="utf-8-sig")
            staged.append((target, Path(path)))
        for target, final in staged:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
