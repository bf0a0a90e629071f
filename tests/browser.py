"""Headless Chromium for tests: dump a page's DOM after its scripts ran, screenshot it, print it.

    from browser import dump_dom, screenshot, print_to_pdf
    html = dump_dom(path)                      # the DOM as Chromium built it, scripts run
    screenshot(path, tmp / "page.png")         # 1280 × 2000 PNG
    print_to_pdf(path, tmp / "page.pdf")

Uses Debian's `chromium` (install it with `bash scripts/system-deps.sh`; PERFPAY_CHROMIUM
names another binary). Each call starts a fresh browser with its own throw-away profile,
no network chatter (no sync, updates or QUIC) and a timeout; on timeout the whole process
group the call started is killed. When no Chromium is found the calling test is skipped,
except under CI (the CI environment variable set), where a missing browser fails the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
    "--no-default-browser-check", "--disable-breakpad", "--disable-crash-reporter",
)
TIMEOUT = 90            # seconds for one browser run
WINDOW = (1280, 2000)
INSTALL = ("Chromium not found: run `bash scripts/system-deps.sh` (as root on Debian: "
           "chromium, chromium-driver, fonts-noto-cjk) or set PERFPAY_CHROMIUM to a Chromium binary")


class BrowserError(RuntimeError):
    """Chromium ran but did not produce what was asked; the message has its stderr."""


def find_chromium() -> str | None:
    """The Chromium binary: $PERFPAY_CHROMIUM, else the first of NAMES on PATH, else None."""
    wanted = os.environ.get("PERFPAY_CHROMIUM")
    if wanted:
        return shutil.which(wanted) or (wanted if Path(wanted).is_file() else None)
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The binary, or skip the calling test (fail it under CI) with how to install it."""
    found = find_chromium()
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{INSTALL} (CI is set: the browser tests must run here)", pytrace=False)
    pytest.skip(INSTALL)


def url_of(page) -> str:
    """A local file as a file:// URL (a URL is passed through)."""
    text = str(page)
    if "://" in text:
        return text
    return Path(text).resolve().as_uri()


def run_chromium(args: list[str], timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """Run Chromium headless with FLAGS, a fresh --user-data-dir and `args`; kill it all on timeout."""
    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="perfpay-chromium-") as profile:
        cmd = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, "HOME": profile})
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)            # not reaped yet: the group id is still ours
            out, err = proc.communicate()
            raise TimeoutError(f"Chromium took longer than {timeout} s: {' '.join(args)}\n"
                               f"{_tail(err)}") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out.decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))


def dump_dom(page, timeout: float = TIMEOUT, budget_ms: int = 2000) -> str:
    """The serialised DOM of `page` after its scripts ran (`--dump-dom`)."""
    res = run_chromium([f"--virtual-time-budget={budget_ms}", "--dump-dom", url_of(page)], timeout)
    if res.returncode != 0 or "<html" not in res.stdout.lower():
        raise BrowserError(f"--dump-dom {page} gave exit {res.returncode}\n{_tail(res.stderr)}")
    return res.stdout


def screenshot(page, png, size: tuple[int, int] = WINDOW, timeout: float = TIMEOUT,
               budget_ms: int = 2000) -> Path:
    """A PNG of `page` in a window of `size` (width, height)."""
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    res = run_chromium([f"--virtual-time-budget={budget_ms}", f"--screenshot={png}",
                        f"--window-size={size[0]},{size[1]}", url_of(page)], timeout)
    if not png.is_file() or png.stat().st_size == 0:
        raise BrowserError(f"--screenshot {page} wrote nothing (exit {res.returncode})\n{_tail(res.stderr)}")
    return png


def print_to_pdf(page, pdf, timeout: float = TIMEOUT, budget_ms: int = 2000) -> Path:
    """`page` printed to PDF, without the browser's header and footer."""
    pdf = Path(pdf).resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.unlink(missing_ok=True)
    res = run_chromium([f"--virtual-time-budget={budget_ms}", f"--print-to-pdf={pdf}",
                        "--no-pdf-header-footer", url_of(page)], timeout)
    if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF-"):
        raise BrowserError(f"--print-to-pdf {page} wrote no PDF (exit {res.returncode})\n{_tail(res.stderr)}")
    return pdf


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)       # the session this call started, nothing else
    except (ProcessLookupError, PermissionError):
        pass


def _tail(err, lines: int = 15) -> str:
    text = err.decode("utf-8", "replace") if isinstance(err, bytes) else (err or "")
    return "\n".join(text.strip().splitlines()[-lines:])
