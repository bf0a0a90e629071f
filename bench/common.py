"""What the benches share: sizes, timing, peak memory, the table of figures and its JSON.

    args = options("scoring", {"people": (100_000, 300)})      # full size, --smoke size
    seconds, result = best_of(lambda: work(), args.repeat)
    runs = in_turns({"floor": read, "score": score}, args.repeat)   # the two sides of a ratio
    run = measured([PYTHON, "-c", "..."])                        # wall time, CPU and peak RSS of a child
    report("scoring", "…", [Figure("vectorised", seconds, "s", "<", 1)], facts)

Peak memory is the peak resident set of a child process (its own rusage, from os.wait4),
so the figure is the memory the measured step really held, without the cost of tracing. A
child that forks (perfpay's writer process) holds more than its own resident set says: with
`whole_tree=True` and where /proc is there, the sum over the child and its descendants of their
proportional set sizes (PSS: a page shared by two processes counts half in each) is sampled
every 20 ms, and the figure is the larger of the two. Sampling slows the child (by 15 % for
`perfpay score`: reading a process's page tables holds its memory map), so a bench samples
on a run of its own, never on a timed one.
Results go to bench/results/<name>.json (git-ignored), or under $PERFPAY_BENCH_RESULTS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = Path(os.environ.get("PERFPAY_BENCH_RESULTS") or BENCH / "results")   # the tests point it elsewhere
PYTHON = sys.executable
MiB = 1024 ** 2
GiB = 1024 ** 3
OPS = {"<": lambda v, t: v < t, "<=": lambda v, t: v <= t, ">": lambda v, t: v > t, ">=": lambda v, t: v >= t}


# sizes and options -----------------------------------------------------------------------------
def options(description: str, sizes: dict, argv=None, **extra) -> argparse.Namespace:
    """Command-line options: one per size (default: full size, or the second value with --smoke),
    --smoke, --repeat, --profile; `extra` adds name=(type, default, help) options."""
    ap = argparse.ArgumentParser(description=description)
    for name, (full, smoke) in sizes.items():
        ap.add_argument(f"--{name.replace('_', '-')}", type=type(full), default=None,
                        help=f"default {full:,} (--smoke: {smoke:,})")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: checks the bench runs, measures nothing")
    ap.add_argument("--repeat", type=int, default=None, help="runs of each timing, best kept (default 3, smoke 1)")
    ap.add_argument("--profile", action="store_true", help="also print the hot spots (pyinstrument)")
    for name, (kind, default, text) in extra.items():
        ap.add_argument(f"--{name.replace('_', '-')}", type=kind, default=default, help=text)
    args = ap.parse_args(argv)
    for name, (full, smoke) in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, smoke if args.smoke else full)
    if args.repeat is None:
        args.repeat = 1 if args.smoke else 3
    return args


# timing and memory -----------------------------------------------------------------------------
def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    """(fastest wall time in seconds, result of the last run) of `repeat` runs of fn()."""
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def in_turns(sides: dict, rounds: int) -> dict[str, list]:
    """{name: the results of its `rounds` calls}: the sides of a ratio called in turns, in the
    order given, then reversed, and so on (A B, B A, A B, ...), so that a slow spell of the machine
    falls on both sides alike rather than on whichever ran during it."""
    got = {name: [] for name in sides}
    order = list(sides)
    for i in range(max(1, rounds)):
        for name in order if i % 2 == 0 else order[::-1]:
            got[name].append(sides[name]())
    return got


@dataclass
class Run:
    seconds: float               # wall time
    peak: int                    # peak resident set of the child, bytes
    returncode: int
    stdout: str
    stderr: str
    cpu: float = 0.0             # user and system seconds of the child and the descendants it reaped

    @property
    def cores(self) -> float:
        """Cores busy on average over the run: CPU seconds over wall seconds."""
        return self.cpu / self.seconds if self.seconds else 0.0

    def check(self, what: str) -> "Run":
        if self.returncode != 0:
            raise RuntimeError(f"{what} failed (exit {self.returncode}):\n{self.stdout[-2000:]}\n{self.stderr[-4000:]}")
        return self


def measured(cmd: list[str], cwd=ROOT, env=None, whole_tree: bool = False) -> Run:
    """Run `cmd` as a child; its wall time and its peak memory: its own peak RSS (rusage of that
    child), or with `whole_tree` the sampled peak of the PSS summed over it and its descendants
    when larger (not for a timed run: sampling slows the child)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        sampled, stop = [0], threading.Event()
        sampler = threading.Thread(target=_sample_pss, args=(p.pid, sampled, stop), daemon=True) if whole_tree else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        if sampler:
            stop.set()
            sampler.join()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, max(usage.ru_maxrss * 1024, sampled[0]), p.returncode, out.read(), err.read(),
                   usage.ru_utime + usage.ru_stime)


def _sample_pss(pid: int, peak: list, stop: threading.Event, every: float = 0.02) -> None:
    """peak[0]: the largest sum of PSS over `pid` and its descendants seen until `stop`."""
    while not stop.wait(every):
        peak[0] = max(peak[0], sum(_pss(p) for p in _tree(pid)))


def _tree(pid: int) -> list[int]:
    """pid and its descendants (/proc/<pid>/task/*/children); [] once it has gone."""
    try:
        kids = [int(k) for t in os.listdir(f"/proc/{pid}/task")
                for k in Path(f"/proc/{pid}/task/{t}/children").read_text().split()]
    except OSError:
        return []
    return [pid, *(p for k in kids for p in _tree(k))]


def _pss(pid: int) -> int:
    """Proportional set size of a process in bytes (0 when it has gone or /proc cannot say)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def child_json(run: Run) -> dict:
    """The last line of a child's output, which the child prints as JSON."""
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"no result from the child:\n{run.stdout[-2000:]}\n{run.stderr[-4000:]}")
    return json.loads(lines[-1])


# figures -----------------------------------------------------------------------------------------
@dataclass
class Figure:
    name: str
    value: float
    unit: str                    # s, ×, MiB, MB, …
    op: str | None = None        # <, <=, >, >= against `limit`; None: no target
    limit: float | None = None
    note: str = ""
    ok: bool | None = field(default=None)

    def __post_init__(self):
        if self.op is not None:
            self.ok = bool(OPS[self.op](self.value, self.limit))

    @property
    def target(self) -> str:
        return "" if self.op is None else f"{self.op} {_num(self.limit)} {self.unit}".replace(" ×", "×")

    @property
    def shown(self) -> str:
        return f"{_num(self.value)} {self.unit}".replace(" ×", "×")

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("pass" if self.ok else "MISS")


def _num(v: float) -> str:
    if v is None:
        return "-"
    if float(v).is_integer():
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


def load() -> dict:
    one, five, fifteen = os.getloadavg()
    return {"load_1m": round(one, 2), "load_5m": round(five, 2), "load_15m": round(fifteen, 2),
            "cpus": os.cpu_count()}


def machine() -> dict:
    try:
        uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        uptime = ""
    return {**load(), "uptime": uptime, "python": platform.python_version(), "platform": platform.platform()}


def table(title: str, figures: list[Figure], smoke: bool = False) -> str:
    width = max([len(f.name) for f in figures] + [6])
    value = max([len(f.shown) for f in figures] + [5])
    target = max([len(f.target) for f in figures] + [6])
    lines = [title + ("  [smoke: tiny sizes, not a measurement]" if smoke else "")]
    lines.append(f"  {'figure':<{width}}  {'value':>{value}}  {'target':>{target}}")
    for f in figures:
        lines.append(f"  {f.name:<{width}}  {f.shown:>{value}}  {f.target:>{target}}  {f.verdict:4}"
                     + (f"  {f.note}" if f.note else ""))
    return "\n".join(lines)


def report(name: str, title: str, figures: list[Figure], facts: dict, smoke: bool = False,
           started: dict | None = None) -> Path:
    """Print the table and write bench/results/<name>.json; the path written.

    `started`: the machine's load when the bench began (else taken now)."""
    print(table(title, figures, smoke))
    now = machine()
    print(f"  machine: {now['uptime'] or now} ({now['cpus']} CPUs)")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}{'_smoke' if smoke else ''}.json"
    record = {"bench": name, "title": title, "smoke": smoke, "finished_at": datetime.now().astimezone().isoformat(
        timespec="seconds"), "figures": [{**asdict(f), "target": f.target} for f in figures],
        "facts": facts, "machine_at_start": started or load(), "machine_at_end": now}
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"  written: {path}")
    return path


# profiles ------------------------------------------------------------------------------------------
def hot_spots(fn, name: str, top: int = 12) -> list[tuple[float, str]]:
    """Run fn() under pyinstrument; print and return the perfpay functions that hold the time.

    Each sample is charged to the innermost frame in lib/perfpay (or bench/), so pandas and
    numpy time counts against the project line that called them. The full tree goes to
    bench/results/<name>.profile.txt."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    fn()
    profiler.stop()
    session = profiler.last_session
    spots: dict[str, float] = {}

    def walk(frame, owner: str) -> None:
        path = frame.file_path or ""
        if not frame.is_synthetic and ("/lib/perfpay/" in path or "/bench/" in path):
            short = path.split("/lib/")[-1] if "/lib/perfpay/" in path else "bench/" + path.split("/bench/")[-1]
            owner = f"{frame.function} ({short}:{frame.line_no})"
        if not frame.children:
            spots[owner] = spots.get(owner, 0.0) + frame.time
        for child in frame.children:
            walk(child, owner)

    walk(session.root_frame(), "(outside perfpay)")
    ranked = sorted(((t, f) for f, t in spots.items()), reverse=True)[:top]
    total = session.duration
    print(f"  hot spots ({total:.2f} s profiled; time charged to the innermost perfpay function):")
    for t, f in ranked:
        print(f"    {t:7.2f} s  {100 * t / total:4.0f}%  {f}")
    RESULTS.mkdir(exist_ok=True)
    text = profiler.output_text(unicode=True, color=False)
    (RESULTS / f"{name}.profile.txt").write_text(text, encoding="utf-8")
    return ranked
