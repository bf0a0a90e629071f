"""run.json: what a run was given (parameters, SHA-256 of every input and params file, versions),
what it did (per-notebook status and timings) and what it wrote."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path

from ..output import new_file_mode

PACKAGES = ("perfpay", "pandas", "numpy", "papermill", "nbconvert", "openpyxl", "seaborn", "matplotlib")


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _skipped(rel: Path) -> bool:
    """Hidden files and folders, caches and Office lock files (~$x.xlsx) are not inputs."""
    return any(p.startswith(".") or p == "__pycache__" for p in rel.parts) or rel.name.startswith("~$")


def listed_files(folder) -> dict[str, Path]:
    """{path relative to folder (posix): path} of every file under `folder` (or the file itself), sorted."""
    folder = Path(folder)
    if folder.is_file():
        return {folder.name: folder}
    found = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*")
             if p.is_file() and not _skipped(p.relative_to(folder))}
    return {rel: found[rel] for rel in sorted(found)}


def file_hashes(folder) -> dict[str, str]:
    """{path relative to folder (posix): sha256} of every file under `folder`, sorted by path."""
    return {rel: sha256(path) for rel, path in listed_files(folder).items()}


def versions() -> dict[str, str | None]:
    """python and the versions of the packages a run's numbers and reports depend on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name == "perfpay":
                from .. import __version__
                out[name] = __version__
            else:
                out[name] = None
    return out


def write_text(path: Path, text: str) -> None:
    """Atomically: a temporary file next to it, then a rename (with the usual permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
