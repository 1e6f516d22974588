"""ordertrack's benchmarks: each one times ordertrack and its floor in the same run.

usage: bench/run.py [NAMES ...] [--quick] [--runs N] [--orders N] [--list] [--keep]

NAMES are benchmarks or groups (``import``, ``floors``, ``all``; default: all). Each
benchmark runs its two sides as whole processes, A B A B … after a warm-up pair, and
reports the medians, the median of the per-pair A/B ratios and the goal from the issue.
A missed goal prints FAIL but does not change the exit status (benchmarks inform, they do
not gate); a benchmark whose command fails prints ERROR and makes the exit status 1.
Results also go to ``bench/.results/`` as JSON lines. See bench/README.md.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
RESULTS = BENCH / ".results"
BENCHENV = ROOT / ".benchenv"
# What the floor scripts and the data generator need besides duckdb (pinned to ours).
FLOOR_REQUIREMENTS = ["numpy", "pyarrow", "polars", "xlsxwriter", "fastexcel"]
RUN_TIMEOUT = 900.0  # seconds, one process
QUICK_ORDERS = 100_000
FULL_ORDERS = 1_000_000
XLSX_ORDERS = 100_000  # the XLSX goal is stated for 100k order rows


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- locations ------------------------------------------------------------------------------


def shared_bench() -> Path:
    """The floor scripts: $OT_SHARED/bench (or $OT_SHARED itself), else ../shared/bench."""
    env = os.environ.get("OT_SHARED")
    candidates = [Path(env) / "bench", Path(env)] if env else [ROOT.parent / "shared" / "bench"]
    for c in candidates:
        if (c / "abtime.py").is_file():
            return c.resolve()
    where = " or ".join(str(c) for c in candidates)
    sys.exit(f"error: shared floor scripts not found at {where} (set OT_SHARED=/path/to/shared)")


class Skip(Exception):
    """A benchmark that cannot run yet; ``floor`` (if any) is still timed on its own."""

    def __init__(self, reason: str, floor: Side | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.floor = floor


# -- timing ---------------------------------------------------------------------------------


@dataclass
class Side:
    """One side of a benchmark: a command, timed as a whole process."""

    label: str
    cmd: list[str]
    setup: Callable[[], None] | None = None  # untimed, before every run
    env: dict[str, str] | None = None
    # Checks the output of the last run; returns a problem, or None when it did the job.
    expect: Callable[[str], str | None] | None = None


@dataclass
class Sample:
    wall: float
    user: float
    sys: float
    peak: float  # MiB, the largest process waited for (ru_maxrss)
    rc: int
    stdout: str = ""
    stderr: str = ""

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def base_env() -> dict[str, str]:
    """The environment of every timed process: the caller's, less what would skew it."""
    env = dict(os.environ)
    env.pop("ORDERTRACK_HOME", None)
    # Both sides run from cached bytecode after the warm-up, as an installed package does;
    # with this set, modules without a current .pyc would be compiled on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(side: Side, timeout: float = RUN_TIMEOUT) -> Sample:
    """Run a command once: wall clock (monotonic) from spawn to exit, rusage from wait4."""
    if side.setup:
        side.setup()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(
            side.cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
            env=side.env or base_env(),
        )
        timer = threading.Timer(timeout, _kill_group, (p.pid,))
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            _kill_group(p.pid)
            raise
        finally:
            timer.cancel()
        wall = time.monotonic() - t0
        p.returncode = rc = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return Sample(wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss / 1024.0, rc, stdout, stderr)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class CommandFailed(Exception):
    pass


def check(sample: Sample, side: Side) -> Sample:
    if sample.rc != 0:
        tail = (sample.stderr.strip() or sample.stdout.strip())[-1500:]
        raise CommandFailed(f"{side.label} exited {sample.rc}: {' '.join(side.cmd)}\n{tail}")
    return sample


def paired(a: Side, b: Side, runs: int, warmup: int) -> tuple[list[Sample], list[Sample]]:
    """A B A B …: warm-up pairs first (not counted), then `runs` counted pairs."""
    for _ in range(warmup):
        check(run_once(a), a)
        check(run_once(b), b)
    xs: list[Sample] = []
    ys: list[Sample] = []
    for i in range(runs):
        xs.append(check(run_once(a), a))
        ys.append(check(run_once(b), b))
        log(f"   pair {i + 1}/{runs}: {xs[-1].wall:.3f} s vs {ys[-1].wall:.3f} s")
    return xs, ys


def alone(b: Side, runs: int, warmup: int) -> list[Sample]:
    for _ in range(warmup):
        check(run_once(b), b)
    ys = [check(run_once(b), b) for _ in range(runs)]
    log(f"   floor alone: {', '.join(f'{y.wall:.3f}' for y in ys)} s")
    return ys


def summary(samples: list[Sample]) -> dict[str, Any]:
    def med(key: str) -> float:
        return statistics.median(getattr(s, key) for s in samples)

    return {
        "wall_s": round(med("wall"), 4),
        "wall_min_s": round(min(s.wall for s in samples), 4),
        "wall_max_s": round(max(s.wall for s in samples), 4),
        "cpu_s": round(med("cpu"), 4),
        "peak_mib": round(med("peak"), 1),
        "samples": [
            {"wall": round(s.wall, 4), "cpu": round(s.cpu, 4), "peak": round(s.peak, 1)}
            for s in samples
        ],
    }


def ratios(xs: list[Sample], ys: list[Sample]) -> dict[str, Any]:
    """Median (min, max) of the pair-by-pair A/B ratios; peak: ratio of the medians."""
    out: dict[str, Any] = {}
    for m in ("wall", "cpu"):
        rs = [getattr(x, m) / getattr(y, m) for x, y in zip(xs, ys, strict=True) if getattr(y, m)]
        if rs:
            out[m] = {
                "median": round(statistics.median(rs), 4),
                "min": round(min(rs), 4),
                "max": round(max(rs), 4),
            }
    peak_b = statistics.median(y.peak for y in ys)
    if peak_b:
        out["peak"] = {"median": round(statistics.median(x.peak for x in xs) / peak_b, 4)}
    return out


# -- context: interpreters, data sets, ordertrack ---------------------------------------------


@dataclass
class Ctx:
    quick: bool
    orders: int
    work: Path
    py: str = sys.executable
    _floor_py: str | None = None
    _import_ok: bool | None = None
    notes: list[str] = field(default_factory=list)  # the current benchmark's notes
    load_start: float = field(default_factory=lambda: round(os.getloadavg()[0], 2))
    _cache: dict[str, Any] = field(default_factory=dict)

    # interpreters

    def script(self, name: str) -> str:
        """A floor script in shared/bench (looked for on first use: `help` needs none)."""
        if "shared" not in self._cache:
            self._cache["shared"] = shared_bench()
        return str(self._cache["shared"] / name)

    def ot(self, *args: str) -> list[str]:
        """The ordertrack command: its console script, run by the same interpreter."""
        script = Path(self.py).parent / "ordertrack"
        if script.is_file():
            return [self.py, str(script), *args]
        return [
            self.py,
            "-c",
            "import sys; from ordertrack.cli import main; sys.exit(main())",
            *args,
        ]

    def floor_py(self) -> str:
        """Python with the floor scripts' dependencies ($OT_BENCH_PY, else .benchenv)."""
        if self._floor_py:
            return self._floor_py
        env = os.environ.get("OT_BENCH_PY")
        if env:
            self._floor_py = env
            return env
        duckdb = importlib.metadata.version("duckdb")
        reqs = [f"duckdb=={duckdb}", *FLOOR_REQUIREMENTS]
        py = BENCHENV / "bin" / "python"
        stamp = BENCHENV / ".ot-bench-requirements"
        if not (py.is_file() and stamp.is_file() and stamp.read_text() == " ".join(reqs)):
            log(f"== creating {BENCHENV.name} for the floor scripts: {' '.join(reqs)}")
            if not py.is_file():
                base = getattr(sys, "_base_executable", sys.executable)
                subprocess.run([base, "-m", "venv", str(BENCHENV)], check=True)
            pip = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            subprocess.run([*pip, *reqs], check=True)
            stamp.write_text(" ".join(reqs))
        self._floor_py = str(py)
        return self._floor_py

    # data

    def dataset(self, n: int, xlsx: bool = False) -> Path:
        """gen_orders.py output for n orders, generated once into bench/.data/orders-N/."""
        d = DATA / f"orders-{label(n)}"
        stamp = d / ".complete"
        want = f"--orders {n}" + (" --xlsx" if xlsx else "")
        have = stamp.read_text() if stamp.is_file() else ""
        if have in (want, f"{want} --xlsx"):  # a set with XLSX serves CSV-only use too
            return d
        log(f"== generating {label(n)} orders{' with XLSX' if xlsx else ''} into {d}")
        shutil.rmtree(d, ignore_errors=True)
        cmd = [self.floor_py(), self.script("gen_orders.py"), "--orders", str(n), "--out", str(d)]
        subprocess.run([*cmd, *(["--xlsx"] if xlsx else [])], check=True, stdout=sys.stderr)
        stamp.write_text(want)
        return d

    def csv_set(self) -> Path:
        # The 100k set always carries the XLSX files, so --quick generates one set only.
        return self.dataset(self.orders, xlsx=self.orders == XLSX_ORDERS)

    def orders_csv(self) -> Path:
        return self.csv_set() / "orders.csv"

    def delta_csv(self) -> Path:
        out = self.csv_set() / "orders_delta.csv"
        if not out.is_file():
            log(f"== make_delta.py -> {out}")
            tmp = out.with_suffix(".tmp")
            cmd = [self.py, self.script("make_delta.py"), str(self.orders_csv()), str(tmp)]
            subprocess.run(cmd, check=True, stdout=sys.stderr)
            tmp.rename(out)
        return out

    def gbk_csv(self) -> Path:
        """orders.csv re-encoded as GBK (GB18030 only if a character has no GBK code)."""
        out = self.csv_set() / "orders_gbk.csv"
        if not out.is_file():
            src = self.orders_csv()
            for encoding in ("gbk", "gb18030"):
                log(f"== transcoding {src.name} to {encoding} -> {out}")
                try:
                    transcode(src, out.with_suffix(".tmp"), encoding)
                except UnicodeEncodeError:
                    continue
                out.with_suffix(".tmp").rename(out)
                (out.parent / "orders_gbk.encoding").write_text(encoding)
                break
        encoding = (out.parent / "orders_gbk.encoding").read_text()
        self.notes.append(f"{out.name}: orders.csv re-encoded as {encoding}")
        return out

    def xlsx(self) -> Path:
        return self.dataset(XLSX_ORDERS, xlsx=True) / "orders.xlsx"

    # ordertrack

    def import_available(self) -> bool:
        if self._import_ok is None:
            s = run_once(Side("ordertrack import --help", self.ot("import", "--help")))
            self._import_ok = s.rc == 0
        return self._import_ok

    def require_import(self, floor: Side | None) -> None:
        if not self.import_available():
            raise Skip("ordertrack import not available", floor)

    def ot_import(self, file: Path, ws: Path, *extra: str) -> list[str]:
        return self.ot("import", str(file), "--profile", "orders", "--json", "-w", str(ws), *extra)

    def import_side(
        self, label: str, file: Path, ws: Path, *extra: str, setup: Callable[[], None], **want: Any
    ) -> Side:
        """`ordertrack import`, its --json summary checked against `want` (counts, status)."""
        return Side(label, self.ot_import(file, ws, *extra), setup=setup, expect=import_check(want))

    def fresh_ws(self, ws: Path) -> Callable[[], None]:
        """Setup: an empty workspace made by `ordertrack init` (untimed)."""
        init = Side("ordertrack init", self.ot("init", str(ws)))

        def setup() -> None:
            shutil.rmtree(ws, ignore_errors=True)
            check(run_once(init), init)

        return setup

    def imported_ws(self, file: Path) -> Path:
        """A workspace with `file` imported once, made once per run of the bench."""
        key = f"ws:{file}"
        if key not in self._cache:
            ws = self.work / f"base-{file.stem}"
            self.fresh_ws(ws)()
            side = Side("ordertrack import (base)", self.ot_import(file, ws))
            check(run_once(side), side)
            self._cache[key] = ws
        return self._cache[key]

    def copy_of(self, src: Path, dst: Path) -> Callable[[], None]:
        """Setup: a fresh copy of a workspace or database file (untimed)."""

        def setup() -> None:
            if dst.is_dir():
                shutil.rmtree(dst)
            for p in (dst, Path(f"{dst}.wal")):
                if p.is_file():
                    p.unlink()
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)

        return setup

    # floors

    def rows_in(self, file: Path) -> int:
        """Order rows in a data file the bench made (make_delta.py adds 1%)."""
        if file.suffix == ".xlsx":
            return XLSX_ORDERS
        return self.orders + self.orders // 100 if "delta" in file.name else self.orders

    def bare_read(self, csv: Path, tag: str = "auto") -> Side:
        db = self.work / f"a_{tag}.duckdb"
        cmd = [self.py, self.script("a_duckdb_csv.py"), str(csv), str(db), "orders", tag]
        return Side(f"a_duckdb_csv.py {tag}", cmd, expect=rows_check(self.rows_in(csv)))

    def upsert_base(self) -> Path:
        """c_upsert.py init: orders.csv in a table with a primary key (made once)."""
        key = "c_base"
        if key not in self._cache:
            db = self.work / "c_base.duckdb"
            cmd = [self.py, self.script("c_upsert.py"), str(self.orders_csv()), str(db), "orders"]
            init = Side("c_upsert.py init", [*cmd, "init"])
            check(run_once(init), init)
            self._cache[key] = db
        return self._cache[key]

    def diff(self, csv: Path) -> Side:
        db = self.work / "c_run.duckdb"
        cmd = [self.py, self.script("c_upsert.py"), str(csv), str(db), "orders", "diff"]
        setup = self.copy_of(self.upsert_base(), db)
        return Side("c_upsert.py diff", cmd, setup=setup, expect=rows_check(self.rows_in(csv)))


def rows_check(rows: int) -> Callable[[str], str | None]:
    """The floor scripts print one JSON line with the table's row count."""

    def check_output(stdout: str) -> str | None:
        try:
            got = json.loads(stdout.strip().splitlines()[-1]).get("rows")
        except (ValueError, IndexError, AttributeError):
            return "no JSON line with a row count"
        return None if got == rows else f"{got} rows in the table, expected {rows}"

    return check_output


def import_check(want: dict[str, Any]) -> Callable[[str], str | None]:
    """Compare the totals of `ordertrack import --json` with the expected ones."""

    def check_output(stdout: str) -> str | None:
        try:
            data = json.loads(stdout)
        except ValueError:
            return "its --json output is not JSON"
        files = data if isinstance(data, list) else [data]
        got: dict[str, Any] = {}
        for key, value in want.items():
            values = [f.get(key) for f in files if isinstance(f, dict)]
            got[key] = sum(values) if isinstance(value, int) else ",".join(map(str, values))
        if got != want:
            return f"expected {want}, got {got}"
        return None

    return check_output


def label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def transcode(src: Path, dst: Path, encoding: str) -> None:
    dec = codecs.getincrementaldecoder("utf-8")()
    enc = codecs.getincrementalencoder(encoding)()
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(1 << 20):
            fout.write(enc.encode(dec.decode(chunk)))
        fout.write(enc.encode(dec.decode(b"", final=True), final=True))


# -- the benchmarks -------------------------------------------------------------------------


@dataclass
class Bench:
    name: str
    what: str  # A vs B, one line
    prepare: Callable[[Ctx], tuple[Side, Side]]  # may raise Skip
    goals: dict[str, float] = field(default_factory=dict)  # metric -> max A/B; {} = info
    runs: int = 5
    quick_runs: int = 3
    warmup: int = 1


REGISTRY: dict[str, Bench] = {}
GROUPS = {
    "import": "import-",
    "flow": "advance-",
    "alerts": "alerts-",
    "report": "report-",
    "floors": "floor-",
}


def bench(name: str, what: str, **kw: Any) -> Callable[[Callable[[Ctx], Any]], Any]:
    def register(prepare: Callable[[Ctx], tuple[Side, Side]]) -> Callable[[Ctx], Any]:
        REGISTRY[name] = Bench(name, what, prepare, **kw)
        return prepare

    return register


@bench(
    "help",
    "`ordertrack --help` vs a bare typer app with the same command tree (generated)",
    goals={"wall": 1.3},
    runs=20,
    quick_runs=10,
    warmup=2,
)
def _help(ctx: Ctx) -> tuple[Side, Side]:
    out_dir = DATA / "help-floor"
    console = Path(ctx.py).parent / "ordertrack"
    gen = [ctx.py, str(BENCH / "help_app.py"), str(out_dir), "--console-script", str(console)]
    proc = subprocess.run(gen, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CommandFailed(f"help_app.py failed:\n{proc.stderr[-1500:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    floor_main = info["script"]
    a = Side("ordertrack", ctx.ot("--help"))
    b = Side("floor", [ctx.py, floor_main, "--help"])
    if a.cmd[1] == "-c":  # no console script: start the floor the same way
        sys_path = f"import sys; sys.path.insert(0, {str(out_dir)!r}); "
        b.cmd = [ctx.py, "-c", sys_path + "from ot_help_floor import main; sys.exit(main())"]
        b.cmd.append("--help")
    # The floor is fair only if it prints the same help: compare every command path.
    env = {**base_env(), "COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}
    differ = []
    for path in info["paths"]:
        outs = [
            run_once(Side(s.label, [*s.cmd[:-1], *path, "--help"], env=env)).stdout for s in (a, b)
        ]
        if outs[0] != outs[1]:
            differ.append(" ".join(["ordertrack", *path]))
    tree = f"{info['groups']} groups, {info['commands']} commands, {info['params']} parameters"
    notes = [f"floor: {tree}, generated into {Path(info['module']).relative_to(ROOT)}"]
    if differ:
        notes.append("WARNING: --help output differs from the floor's for: " + ", ".join(differ))
    else:
        notes.append(f"--help output identical to the floor's for all {len(info['paths'])} paths")
    notes += [f"WARNING: {w}" for w in info["warnings"]]
    ctx.notes += notes
    return a, b


@bench(
    "import-first",
    "first import of orders.csv into a new workspace vs DuckDB's bare read_csv (CTAS)",
    goals={"wall": 1.8, "peak": 1.5},
)
def _import_first(ctx: Ctx) -> tuple[Side, Side]:
    csv = ctx.orders_csv()
    floor = ctx.bare_read(csv)
    ctx.require_import(floor)
    ws = ctx.work / "ws-first"
    n = ctx.orders
    a = ctx.import_side("ordertrack", csv, ws, setup=ctx.fresh_ws(ws), inserted=n, rejected=0)
    return a, floor


@bench(
    "import-again",
    "the same orders.csv again (a no-op) vs DuckDB's bare read_csv of it",
    goals={"wall": 0.3},
)
def _import_again(ctx: Ctx) -> tuple[Side, Side]:
    csv = ctx.orders_csv()
    floor = ctx.bare_read(csv)
    ctx.require_import(floor)
    ws = ctx.work / "ws-again"
    setup = ctx.copy_of(ctx.imported_ws(csv), ws)
    return ctx.import_side("ordertrack", csv, ws, setup=setup, status="skipped"), floor


@bench(
    "import-force",
    "the same orders.csv again with --force vs DuckDB's bare read_csv of it",
    goals={"wall": 1.0},
)
def _import_force(ctx: Ctx) -> tuple[Side, Side]:
    csv = ctx.orders_csv()
    floor = ctx.bare_read(csv)
    ctx.require_import(floor)
    ws = ctx.work / "ws-force"
    setup = ctx.copy_of(ctx.imported_ws(csv), ws)
    want = {"inserted": 0, "updated": 0, "unchanged": ctx.orders, "rejected": 0}
    return ctx.import_side("ordertrack", csv, ws, "--force", setup=setup, **want), floor


@bench(
    "import-next-day",
    "next day's export (make_delta.py: 2% changed, 1% new) over the first import "
    "vs DuckDB's bare read_csv of that file",
    goals={"wall": 1.3},
)
def _import_next_day(ctx: Ctx) -> tuple[Side, Side]:
    delta = ctx.delta_csv()
    floor = ctx.bare_read(delta)
    ctx.require_import(floor)
    ws = ctx.work / "ws-next"
    setup = ctx.copy_of(ctx.imported_ws(ctx.orders_csv()), ws)
    want = {"inserted": ctx.orders // 100, "rejected": 0}  # make_delta.py: 1% new
    return ctx.import_side("ordertrack", delta, ws, setup=setup, **want), floor


@bench(
    "import-gbk",
    "first import of orders.csv encoded in GBK vs ordertrack's import of the UTF-8 file",
    goals={"wall": 1.6},
)
def _import_gbk(ctx: Ctx) -> tuple[Side, Side]:
    gbk, utf8 = ctx.gbk_csv(), ctx.orders_csv()
    ctx.require_import(None)  # the floor is ordertrack itself; see floor-gbk for DuckDB's
    ws_a, ws_b = ctx.work / "ws-gbk", ctx.work / "ws-utf8"
    n = ctx.orders
    return (
        ctx.import_side("ordertrack GBK", gbk, ws_a, setup=ctx.fresh_ws(ws_a), inserted=n),
        ctx.import_side("ordertrack UTF-8", utf8, ws_b, setup=ctx.fresh_ws(ws_b), inserted=n),
    )


@bench(
    "import-xlsx",
    f"first import of orders.xlsx ({label(XLSX_ORDERS)} orders) vs fastexcel -> Arrow -> DuckDB",
    goals={"wall": 1.5},
)
def _import_xlsx(ctx: Ctx) -> tuple[Side, Side]:
    xlsx = ctx.xlsx()
    db = ctx.work / "d_fxd.duckdb"
    # Same interpreter as ordertrack when it has fastexcel (an ordertrack dependency now).
    has_fastexcel = all(importlib.util.find_spec(m) for m in ("fastexcel", "pyarrow"))
    py = ctx.py if has_fastexcel else ctx.floor_py()
    cmd = [py, ctx.script("d_xlsx_read.py"), "fastexcel-duckdb", str(xlsx), str(db)]
    floor = Side("d_xlsx_read.py fastexcel-duckdb", cmd, expect=rows_check(XLSX_ORDERS))
    ctx.require_import(floor)
    ws = ctx.work / "ws-xlsx"
    setup = ctx.fresh_ws(ws)
    a = ctx.import_side("ordertrack", xlsx, ws, setup=setup, inserted=XLSX_ORDERS, rejected=0)
    return a, floor


# Floor against floor: what bare DuckDB needs for each job, for reading the goals above.


POINT_UPDATE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("UPDATE orders SET stage = 'business_review', stage_entered_at = now() "
            "WHERE order_id = ?", [sys.argv[2]])
con.close()
"""

BULK_UPDATE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("UPDATE orders SET stage = 'business_review', stage_entered_at = now() "
            "WHERE order_id IN (SELECT order_id FROM read_csv(?))", [sys.argv[2]])
con.close()
"""


def _flow_sides(ctx: Ctx, name: str) -> tuple[Path, Path, Callable[[], None], Callable[[], None]]:
    base = ctx.imported_ws(ctx.orders_csv())
    ws, db = ctx.work / f"ws-{name}", ctx.work / f"{name}.duckdb"
    return ws, db, ctx.copy_of(base, ws), ctx.copy_of(base / "ordertrack.duckdb", db)


def _moved(n: int) -> Callable[[str], str | None]:
    def check_moved(out: str) -> str | None:
        try:
            got = len(json.loads(out)["moved"])
        except (ValueError, KeyError, TypeError):
            return f"no --json result: {out[-200:]!r}"
        return None if got == n else f"moved {got} orders, not {n}"

    return check_moved


@bench(
    "advance-one",
    "`ordertrack advance ORDER` in a database of all the orders vs a bare Python+DuckDB "
    "point UPDATE of the same row (both whole processes)",
    goals={"wall": 1.5},
)
def _advance_one(ctx: Ctx) -> tuple[Side, Side]:
    ctx.require_import(None)
    ws, db, ws_setup, db_setup = _flow_sides(ctx, "advance-one")
    order = "SO-2025-000042"
    a = Side(
        "ordertrack",
        ctx.ot("advance", order, "--by", "bench", "--json", "-w", str(ws)),
        setup=ws_setup,
        expect=_moved(1),
    )
    b = Side("point update", [ctx.py, "-c", POINT_UPDATE, str(db), order], setup=db_setup)
    return a, b


@bench(
    "advance-file-10k",
    "`ordertrack advance --from-file` with 10,000 orders vs a bare bulk UPDATE of them",
    goals={"wall": 5.0},
)
def _advance_file(ctx: Ctx) -> tuple[Side, Side]:
    ctx.require_import(None)
    ws, db, ws_setup, db_setup = _flow_sides(ctx, "advance-file")
    ids = ctx.work / "moves-10k.csv"
    with ids.open("w", encoding="utf-8") as f:
        f.write("order_id,to_stage\n")
        for i in range(1, min(10_000, ctx.orders) + 1):
            f.write(f"SO-2025-{i:06d},business_review\n")
    n = min(10_000, ctx.orders)
    a = Side(
        "ordertrack",
        ctx.ot("advance", "--from-file", str(ids), "--by", "bench", "--json", "-w", str(ws)),
        setup=ws_setup,
        expect=_moved(n),
    )
    b = Side("bulk update", [ctx.py, "-c", BULK_UPDATE, str(db), str(ids)], setup=db_setup)
    return a, b


# -- the rule engine --------------------------------------------------------------------------

AS_OF = "2026-06-30T23:59:59"  # gen_orders.py's AS_OF: "now" for the data set

SET_STATES = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
# gen_orders.py marks cancelled / on-hold orders in `status`; in ordertrack they would have
# been cancelled or put on hold with `ordertrack cancel` / `hold`, which set `state`.
con.execute("UPDATE orders SET state = status WHERE status IN ('cancelled', 'on_hold')")
con.close()
"""


def alerts_ws(ctx: Ctx) -> Path:
    """A workspace holding the whole data set (orders, lines, stock, stage history,
    shipments) and the nine bench rules (bench/alerts.toml), made once per run."""
    key = "ws:alerts"
    if key in ctx._cache:
        return ctx._cache[key]
    data = ctx.dataset(ctx.orders)
    ws = ctx.work / "base-alerts"
    ctx.fresh_ws(ws)()
    cfg = ws / "ordertrack.toml"
    text = cfg.read_text(encoding="utf-8")
    start, end = text.index("# Rules: If"), text.index("[alerts]")
    extra = (BENCH / "alerts.toml").read_text(encoding="utf-8")
    cfg.write_text(text[:start] + text[end:] + "\n" + extra, encoding="utf-8")
    files = [
        data / f for f in ("orders.csv", "order_lines.csv", "inventory.csv", "stage_events.csv")
    ]
    steps = [
        Side("import (base)", ctx.ot("import", *map(str, files), "--json", "-w", str(ws))),
        Side(
            "import shipments (base)",
            ctx.ot(
                "import",
                str(data / "shipments.csv"),
                "--profile",
                "bench_shipments",
                "--json",
                "-w",
                str(ws),
            ),
        ),
        Side("set states", [ctx.py, "-c", SET_STATES, str(ws / "ordertrack.duckdb")]),
        Side("status", ctx.ot("status", "-w", str(ws))),
    ]
    for side in steps:
        check(run_once(side), side)
    ctx._cache[key] = ws
    return ws


def floor_db(ctx: Ctx) -> Path:
    """build_db.py: the same data set as the floor scripts hold it (made once per run)."""
    key = "floor:db"
    if key not in ctx._cache:
        db = ctx.work / "floor-e.duckdb"
        side = Side(
            "build_db.py",
            [ctx.py, ctx.script("build_db.py"), str(ctx.dataset(ctx.orders)), str(db)],
        )
        check(run_once(side), side)
        ctx._cache[key] = db
    return ctx._cache[key]


def _swept(changed: bool) -> Callable[[str], str | None]:
    def check_sweep(out: str) -> str | None:
        try:
            data = json.loads(out)
        except ValueError:
            return f"no --json result: {out[-200:]!r}"
        if data.get("changed") != changed:
            return f"changed = {data.get('changed')}, expected {changed}"
        if not sum(r["firing"] for r in data["rules"]):
            return "no alert is firing"
        return None

    return check_sweep


def _alert_sides(ctx: Ctx, name: str, swept_once: bool) -> tuple[Side, Side]:
    ctx.require_import(None)
    base = alerts_ws(ctx)
    env = {**base_env(), "ORDERTRACK_NOW": AS_OF}
    if swept_once:
        key = "ws:alerts-swept"
        if key not in ctx._cache:
            swept = ctx.work / "base-alerts-swept"
            ctx.copy_of(base, swept)()
            first = Side("first sweep (base)", ctx.ot("alerts", "run", "-w", str(swept)), env=env)
            check(run_once(first), first)
            ctx._cache[key] = swept
        base = ctx._cache[key]
    ws = ctx.work / f"ws-{name}"
    a = Side(
        "ordertrack alerts run",
        ctx.ot("alerts", "run", "--json", "-w", str(ws)),
        setup=ctx.copy_of(base, ws),
        env=env,
        expect=_swept(changed=not swept_once),
    )
    floor = Side(
        "e_alert_sweep.py sql", [ctx.py, ctx.script("e_alert_sweep.py"), str(floor_db(ctx)), "sql"]
    )
    return a, floor


@bench(
    "alerts-sweep",
    "first `ordertrack alerts run` over all orders (nine rules: alerts opened, actions run, "
    "stage forecast computed) vs one hand-written SQL computing the firing set "
    "(e_alert_sweep.py sql)",
    goals={"wall": 2.0},
)
def _alerts_sweep(ctx: Ctx) -> tuple[Side, Side]:
    return _alert_sides(ctx, "alerts-sweep", swept_once=False)


@bench(
    "alerts-resweep",
    "`ordertrack alerts run` again with nothing changed (evaluates everything, writes "
    "nothing) vs one hand-written SQL computing the firing set (e_alert_sweep.py sql)",
    goals={"wall": 2.0},
)
def _alerts_resweep(ctx: Ctx) -> tuple[Side, Side]:
    return _alert_sides(ctx, "alerts-resweep", swept_once=True)


@bench(
    "report-ceo",
    "`ordertrack report build --pack ceo --period 2026-06` over all orders (KPIs, previous "
    "month, six-month trends, charts, HTML) vs the same kind of KPI SQL + five matplotlib "
    "charts + one HTML file written directly (f_report.py --tuned)",
    goals={"wall": 1.5},
)
def _report_ceo(ctx: Ctx) -> tuple[Side, Side]:
    ctx.require_import(None)
    base = alerts_ws(ctx)
    ws = ctx.work / "ws-report"
    out = ctx.work / "report-ceo.html"
    env = {**base_env(), "ORDERTRACK_NOW": AS_OF}
    a = Side(
        "ordertrack report build",
        ctx.ot(
            "report",
            "build",
            "--pack",
            "ceo",
            "--period",
            "2026-06",
            "--out",
            str(out),
            "-w",
            str(ws),
        ),
        setup=ctx.copy_of(base, ws),
        env=env,
    )
    floor_out = ctx.work / "f_report.html"
    b = Side(
        "f_report.py --tuned",
        [ctx.py, ctx.script("f_report.py"), str(floor_db(ctx)), str(floor_out), "--tuned"],
    )
    return a, b


@bench("floor-rejects-pk", "a_duckdb_csv.py rejects-pk (PK + typed read + rejects) vs auto")
def _floor_rejects(ctx: Ctx) -> tuple[Side, Side]:
    csv = ctx.orders_csv()
    return ctx.bare_read(csv, "rejects-pk"), ctx.bare_read(csv)


@bench("floor-validated-pk", "a_duckdb_csv.py validated-pk (PK + TRY_CAST + rejects) vs auto")
def _floor_validated(ctx: Ctx) -> tuple[Side, Side]:
    csv = ctx.orders_csv()
    return ctx.bare_read(csv, "validated-pk"), ctx.bare_read(csv)


@bench("floor-reimport", "c_upsert.py diff of the same orders.csv (compare-first) vs auto")
def _floor_reimport(ctx: Ctx) -> tuple[Side, Side]:
    csv = ctx.orders_csv()
    return ctx.diff(csv), ctx.bare_read(csv)


@bench("floor-next-day", "c_upsert.py diff of the next-day file vs auto of that file")
def _floor_next_day(ctx: Ctx) -> tuple[Side, Side]:
    delta = ctx.delta_csv()
    return ctx.diff(delta), ctx.bare_read(delta)


@bench("floor-gbk", "x_gbk_csv.py (detect, transcode, read_csv) of the GBK file vs auto of UTF-8")
def _floor_gbk(ctx: Ctx) -> tuple[Side, Side]:
    gbk, utf8 = ctx.gbk_csv(), ctx.orders_csv()
    db = ctx.work / "x_gbk.duckdb"
    cmd = [ctx.py, ctx.script("x_gbk_csv.py"), str(gbk), str(db), "orders"]
    return Side("x_gbk_csv.py", cmd, expect=rows_check(ctx.orders)), ctx.bare_read(utf8)


# -- running and reporting ------------------------------------------------------------------


def select(names: list[str]) -> list[Bench]:
    if not names or names == ["all"]:
        return list(REGISTRY.values())
    chosen: list[Bench] = []
    for n in names:
        if n in REGISTRY:
            picked = [REGISTRY[n]]
        elif n in GROUPS:
            picked = [b for k, b in REGISTRY.items() if k.startswith(GROUPS[n])]
        else:
            known = ", ".join([*REGISTRY, *GROUPS, "all"])
            sys.exit(f"error: unknown benchmark {n!r}; known: {known}")
        chosen += [b for b in picked if b not in chosen]
    return chosen


def run_bench(b: Bench, ctx: Ctx, runs: int | None) -> dict[str, Any]:
    n = runs or (b.quick_runs if ctx.quick else b.runs)
    rec: dict[str, Any] = {"name": b.name, "what": b.what, "goals": b.goals, "runs": n}
    log(f"== {b.name}: {b.what}")
    ctx.notes = []
    try:
        a, f = b.prepare(ctx)
        rec["commands"] = {"ordertrack": a.cmd, "floor": f.cmd}
        log(f"   A = {' '.join(a.cmd)}\n   B = {' '.join(f.cmd)}")
        xs, ys = paired(a, f, n, b.warmup)
        rec.update(ordertrack=summary(xs), floor=summary(ys), ratio=ratios(xs, ys))
        rec["output"] = {"ordertrack": xs[-1].stdout[-4000:], "floor": ys[-1].stdout[-4000:]}
        for side, sample in ((a, xs[-1]), (f, ys[-1])):
            problem = side.expect(sample.stdout) if side.expect else None
            if problem:
                ctx.notes.append(f"WARNING: {side.label} did not do the job: {problem}")
        rec["checks"] = {
            m: {"ratio": rec["ratio"][m]["median"], "goal": g, "ok": rec["ratio"][m]["median"] <= g}
            for m, g in b.goals.items()
        }
        if not b.goals:
            rec["status"] = "info"
        else:
            rec["status"] = "PASS" if all(c["ok"] for c in rec["checks"].values()) else "FAIL"
    except Skip as s:
        rec.update(status="skipped", reason=s.reason)
        log(f"   skipped: {s.reason}")
        if s.floor:
            try:
                rec["commands"] = {"floor": s.floor.cmd}
                ys = alone(s.floor, n, b.warmup)
                rec["floor"] = summary(ys)
                rec["output"] = {"floor": ys[-1].stdout[-4000:]}
                problem = s.floor.expect(ys[-1].stdout) if s.floor.expect else None
                if problem:
                    ctx.notes.append(f"WARNING: {s.floor.label} did not do the job: {problem}")
            except CommandFailed as e:
                rec.update(status="ERROR", reason=f"{s.reason}; the floor failed: {e}")
    except (CommandFailed, subprocess.CalledProcessError) as e:
        rec.update(status="ERROR", reason=str(e))
        log(f"   ERROR: {e}")
    rec["notes"] = ctx.notes
    return rec


def fmt_side(s: dict[str, Any] | None) -> str:
    return f"{s['wall_s']:.3f} s, {s['peak_mib']:.0f} MiB" if s else "—"


def table(recs: list[dict[str, Any]]) -> list[str]:
    """One row per goal (a benchmark with a time and a memory goal gets two)."""
    head = ["benchmark", "n", "A: ordertrack", "B: floor", "A/B (min–max)", "goal", "result"]
    rows = []
    for r in recs:
        metrics = list(r["goals"]) or ["wall"]
        for i, m in enumerate(metrics):
            ratio = r.get("ratio", {}).get(m)
            if ratio is None:
                ratio_s = "—"
            elif "min" in ratio:
                ratio_s = f"{ratio['median']:.2f} ({ratio['min']:.2f}–{ratio['max']:.2f})"
            else:
                ratio_s = f"{ratio['median']:.2f}"
            if r["status"] in ("PASS", "FAIL"):
                result = "PASS" if r["checks"][m]["ok"] else "FAIL"
            elif r["status"] == "skipped":
                result = f"skipped: {r['reason']}"
            elif r["status"] == "ERROR":
                result = "ERROR (see below)"
            else:
                result = "info"
            rows.append(
                [
                    r["name"] if i == 0 else f"{r['name']} ({m})",
                    str(r["runs"]),
                    fmt_side(r.get("ordertrack")),
                    fmt_side(r.get("floor")),
                    ratio_s if m == "wall" else f"{m} {ratio_s}",
                    f"{m} ≤ {r['goals'][m]:g}×" if m in r["goals"] else "info",
                    result,
                ]
            )
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)]


def machine(ctx: Ctx) -> dict[str, Any]:
    def version(pkg: str) -> str | None:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return None

    git = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {p: version(p) for p in ("ordertrack", "duckdb", "typer", "rich")},
        "commit": git.stdout.strip() or None,
        "load_average_1min": {"start": ctx.load_start, "end": round(os.getloadavg()[0], 2)},
        "quick": ctx.quick,
        "orders": ctx.orders,
    }


@contextlib.contextmanager
def workdir(keep: bool) -> Iterator[Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="work-", dir=DATA))
    try:
        yield path
    finally:
        if keep:
            log(f"(kept {path})")
        else:
            shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="benchmarks: " + ", ".join(REGISTRY) + "; groups: import, floors, all",
    )
    ap.add_argument("names", nargs="*", metavar="NAME")
    ap.add_argument(
        "--quick", action="store_true", help=f"{label(QUICK_ORDERS)} orders, fewer runs"
    )
    ap.add_argument("--runs", type=int, help="counted A/B pairs per benchmark")
    ap.add_argument(
        "--orders", type=int, help="orders in the CSV data set (default 1M, --quick 100k)"
    )
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (workspaces, DBs)")
    a = ap.parse_args(argv)
    if a.list:
        for b in REGISTRY.values():
            goals = ", ".join(f"{m} ≤ {g:g}×" for m, g in b.goals.items()) or "info"
            print(f"{b.name:18s} {goals:28s} {b.what}")
        return 0
    if importlib.util.find_spec("ordertrack") is None:
        sys.exit(f"error: ordertrack is not installed for {sys.executable}; run `make bench`")
    benches = select(a.names)
    orders = a.orders or (QUICK_ORDERS if a.quick else FULL_ORDERS)
    with workdir(a.keep) as work:
        ctx = Ctx(quick=a.quick, orders=orders, work=work)
        started = datetime.datetime.now().astimezone()
        recs = [run_bench(b, ctx, a.runs) for b in benches]
    info = machine(ctx)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%S")
    lines = [
        json.dumps(
            {"run": stamp, "at": started.isoformat(timespec="seconds"), **info, **r},
            ensure_ascii=False,
        )
        for r in recs
    ]
    out = RESULTS / f"{stamp}.jsonl"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copyfile(out, RESULTS / "latest.jsonl")

    print()
    print(
        f"ordertrack {info['versions']['ordertrack']} ({info['commit']}), {info['cores']} cores, "
        f"Python {info['python']}, DuckDB {info['versions']['duckdb']}; "
        + (f"CSV data: {label(orders)} orders. " if any(b.name != "help" for b in benches) else "")
        + "Whole processes (start-up included), A B A B "
        "after a warm-up; n = counted pairs; times and peaks are medians, A/B the median "
        "of the pair-by-pair ratios. "
        f"Load average {info['load_average_1min']['start']:.2f} at the start, "
        f"{info['load_average_1min']['end']:.2f} at the end."
    )
    print("\n".join(table(recs)))
    for r in recs:
        cpu = r.get("ratio", {}).get("cpu")
        if cpu:
            spread = f"{cpu['min']:.2f}–{cpu['max']:.2f}"
            print(f"  {r['name']}: A/B cpu time {cpu['median']:.2f} ({spread})")
        for note in r["notes"]:
            print(f"  {r['name']}: {note}")
        if r["status"] == "ERROR":
            print(f"  {r['name']}: ERROR: {r['reason']}")
    print(f"results: {out.relative_to(ROOT)}")
    failed = [r["name"] for r in recs if r["status"] == "FAIL"]
    if failed:
        print(f"goals missed (informational, exit status unaffected): {', '.join(failed)}")
    return 1 if any(r["status"] == "ERROR" for r in recs) else 0


if __name__ == "__main__":
    sys.exit(main())
