"""The performance harness: CityKB against the ceiling and a peer, side by side in one run.

For each database (SQLite, and PostgreSQL when bench/perf.sh gives a cluster) and each size,
it loads `citykb synth --projects N` once (kept under bench/.data/ for the next run), then,
round after round, serves each app under uvicorn pinned to core 0 and drives it with wrk
pinned to core 1: a warm-up, then a fixed time. It prints, and writes to bench/results/,
requests/s, p50 and p99 latency and the ratio to the ceiling (the median of the rounds), and
the server's peak RSS. See bench/README.md."""

import argparse
import datetime as dt
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results"
SERVER_CORE, LOAD_CORE = "0", "1"
PORT = 8765
FRESH = {"Cache-Control": "no-cache"}
"""Asks CityKB's response cache to answer afresh: every scenario but `repeated` measures the
work behind a response, not the cache."""
SEARCH_WORDS = ["灯塔", "常州", "储能", "工厂"]
"""Two-character words for `/search`, from the seed's names; the synthetic records at N carry
储能 and 工厂 in 1/8 and 1/4 of their names."""

TARGETS = {
    "sqlite": {"list": 0.10, "repeated": 0.5, "get": 0.2, "search": 0.05, "stats": 0.05},
    "postgresql": {"list": 0.05, "repeated": 0.4, "stats": 0.05},
}
"""Issue 17's targets, as ratios to the fastest ceiling."""
P99_MS = {"sqlite": 50, "postgresql": 100}
ANCHORS = {"list": "anchor, list", "stats": "anchor, stats"}
"""bench/anchor.py: the one statement CityKB runs for a list or stats request, and no
framework; the most any framework reaches with that statement. On PostgreSQL, CityKB's list
is to reach half of it."""
CITYKB_SCENARIOS = (
    "list", "list, gzip", "repeated", "get", "search", "stats", "page 1", "page 500"
)  # fmt: skip
GZIP = {**FRESH, "Accept-Encoding": "gzip"}
"""What browsers, and pandas through `requests`, send: the answer compressed as they get it."""


@dataclass
class Scenario:
    name: str
    path: str
    """A fixed path, or a Lua expression (with `n`, the request number) that makes one."""
    headers: dict[str, str] = field(default_factory=dict)
    lua: bool = False
    server: str = "citykb"


@dataclass
class Measure:
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def add(self, rps: float, p50_ms: float, p99_ms: float, errors: int) -> None:
        self.rps.append(rps)
        self.p50_ms.append(p50_ms)
        self.p99_ms.append(p99_ms)
        self.errors += errors


def lua_script(scenario: Scenario, seed: int) -> str:
    headers = "".join(
        f'wrk.headers["{name}"] = "{value}"\n' for name, value in scenario.headers.items()
    )
    if not scenario.lua:
        return headers
    return f"""{headers}math.randomseed({seed})
n = 0
request = function()
  n = n + 1
  return wrk.format("GET", {scenario.path})
end
"""


def parse_wrk(output: str) -> tuple[float, float, float, int]:
    """Requests/s, p50 and p99 in ms, and non-2xx or socket errors, from `wrk --latency`."""

    def millis(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        assert match, output
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return rps, millis("50%"), millis("99%"), errors


def drive(
    scenario: Scenario, args: argparse.Namespace, seed: int
) -> tuple[float, float, float, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(scenario, seed))
    url = f"http://127.0.0.1:{PORT}" + ("" if scenario.lua else scenario.path)
    command = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{args.connections}", "-s", script.name]
    subprocess.run([*command, "-d", f"{args.warmup}s", url], capture_output=True, check=True)
    done = subprocess.run(
        [*command, "-d", f"{args.duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(script.name)
    return parse_wrk(done.stdout)


CEILINGS = {
    "ceiling, uvicorn httptools uvloop": "uvicorn",
    "ceiling, granian": "granian",
}
"""The raw ASGI app (bench/ceiling.py) on the fastest stacks there are: uvicorn's C parser on
libuv's loop, and granian's Rust HTTP server. Each round measures both, before and after
CityKB; every ratio divides by the faster one's median."""
REFERENCE = "ceiling, uvicorn h11 asyncio (reference)"
"""The same app on uvicorn's pure-Python parser and asyncio's loop, what `citykb serve` ran
before issue 17: kept as a reference row, never a denominator."""


def uvicorn_command(python: str, http: str, loop: str, target: list[str]) -> list[str]:
    return [python, "-m", "uvicorn", "--port", str(PORT), "--no-access-log",
            "--log-level", "warning", "--http", http, "--loop", loop, *target]  # fmt: skip


@contextmanager
def serve(
    kind: str, database_url: str, datasette_db: Path | None, args: argparse.Namespace
) -> Iterator[int]:
    """Start a server on core 0; yield its pid; stop it. CityKB runs as a user runs it:
    `citykb serve`, its default settings and logging, on a database it finds migrated."""
    env = {**os.environ, "DATABASE_URL": database_url}
    bench = ["--app-dir", str(ROOT / "bench")]
    ready = "/"
    if kind == "citykb":
        command, ready = [args.citykb, "serve", "--port", str(PORT)], "/readyz"
    elif kind == CEILINGS["ceiling, granian"]:
        command = [str(Path(args.peer_python).with_name("granian")), "--interface", "asgi",
                   "--port", str(PORT), "--workers", "1", "--runtime-threads", "1",
                   "--loop", "uvloop", "--no-ws", "--log-level", "warning",
                   "--working-dir", str(ROOT / "bench"), "ceiling:app"]  # fmt: skip
    elif kind == CEILINGS["ceiling, uvicorn httptools uvloop"]:
        command = uvicorn_command(args.python, "httptools", "uvloop", [*bench, "ceiling:app"])
    elif kind == "reference":
        command = uvicorn_command(args.python, "h11", "asyncio", [*bench, "ceiling:app"])
    elif kind == "anchor":
        command = uvicorn_command(args.python, "httptools", "uvloop", [*bench, "anchor:app"])
    else:
        assert kind == "datasette", kind
        assert datasette_db is not None
        env["DATASETTE_DB"] = str(datasette_db)
        command = uvicorn_command(
            args.peer_python, "httptools", "uvloop", [*bench, "datasette_app:app"]
        )
    with running(command, env, kind, ready=ready) as pid:
        yield pid


@contextmanager
def running(
    command: list[str], env: dict[str, str], label: str, *, ready: str = "/", cwd: Path = ROOT
) -> Iterator[int]:
    """Start a server command on core 0, listening on PORT; yield its pid once `ready` answers;
    stop it with SIGINT. With `ready` "/", any HTTP answer will do; with another path, only a
    200 (e.g. `/readyz`, once `citykb serve` has migrated and seeded)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            raise RuntimeError(f"port {PORT} is taken: stop what listens there first")
    process = subprocess.Popen(["taskset", "-c", SERVER_CORE, *command], cwd=cwd, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}{ready}", timeout=2).close()
                break
            except OSError as error:
                if getattr(error, "code", None) and ready == "/":  # an HTTP error: it answers
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{label} did not start") from error
                time.sleep(0.2)
        yield process.pid
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def fetch(path: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=60) as response:
        return json.load(response)  # type: ignore[no-any-return]


def deep_cursor(pages: int) -> str:
    """The cursor of page `pages` of the unfiltered list sorted by investment, walked to."""
    cursor = None
    for _ in range(pages - 1):
        query = "sort=-investment_cny&limit=20" + (f"&cursor={cursor}" if cursor else "")
        cursor = fetch(f"/api/v1/projects?{query}")["next_cursor"]
    assert cursor is not None
    return cursor


def citykb(*args: str, database_url: str, python: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "PREPARE_ON_START": "false"}
    subprocess.run([python, "-m", "app", *args], cwd=ROOT, env=env, check=True)


def prepare_database(
    label: str, projects: int, args: argparse.Namespace
) -> tuple[str, Path | None]:
    """A database with the seed and `projects` synthetic projects; SQLite files are kept."""
    if label == "sqlite":
        path = DATA / f"citykb-{projects}.db"
        done = path.with_suffix(".done")
        if not done.exists():
            DATA.mkdir(parents=True, exist_ok=True)
            for stale in DATA.glob(f"citykb-{projects}.db*"):
                stale.unlink()
            url = f"sqlite:///{path}"
            citykb("db", "upgrade", database_url=url, python=args.python)
            citykb("seed", database_url=url, python=args.python)
            citykb("synth", "--projects", str(projects), database_url=url, python=args.python)
            done.touch()
        return f"sqlite:///{path}", path
    base = args.pg_url.rsplit("/", 1)[0]
    name = f"citykb_{projects}"
    admin = [args.python, "-c", (
        "import sys; from sqlalchemy import create_engine, text; "
        "e = create_engine(sys.argv[1], isolation_level='AUTOCOMMIT'); c = e.connect(); "
        "exists = c.scalar(text('SELECT 1 FROM pg_database WHERE datname = :n'), "
        "{'n': sys.argv[2]}); "
        "exists or c.execute(text(f'CREATE DATABASE {sys.argv[2]}')); "
        "print('exists' if exists else 'new')"
    ), args.pg_url, name]  # fmt: skip
    created = subprocess.run(admin, capture_output=True, text=True, check=True).stdout.strip()
    url = f"{base}/{name}"
    if created == "new":
        citykb("db", "upgrade", database_url=url, python=args.python)
        citykb("seed", database_url=url, python=args.python)
        citykb("synth", "--projects", str(projects), database_url=url, python=args.python)
    return url, None


def district_ids(database_url: str, args: argparse.Namespace) -> list[str]:
    code = (
        "import sys; from sqlalchemy import create_engine, text; "
        "c = create_engine(sys.argv[1]).connect(); "
        "print('\\n'.join(c.scalars(text(\"SELECT id FROM districts WHERE kind = 'district' "
        "AND id LIKE 'syn%' ORDER BY id\"))))"
    )
    output = subprocess.run(
        [args.python, "-c", code, database_url], capture_output=True, text=True, check=True
    )
    return output.stdout.split()


def scenarios(
    projects: int, districts: list[str], deep: str, *, with_peer: bool, with_anchor: bool
) -> list[Scenario]:
    table = "{" + ",".join(f'"{d}"' for d in districts) + "}"
    pick = f"({table})[math.random({len(districts)})]"
    words = "{" + ",".join(f'"{w}"' for w in SEARCH_WORDS) + "}"
    # A lower bound spread over the synthetic amounts (10 M to 100 G yuan), made distinct by
    # the request number: no two query strings, and no two counts, alike.
    bound = "(math.random(0, 99999) * 1000000 + n)"
    stats = f'"/api/v1/stats/projects?group_by=status&district_id=" .. {pick}'
    listing = (
        f'"/api/v1/projects?district_id=" .. {pick} .. "&investment_cny_min=" .. {bound} .. '
        '"&sort=-investment_cny&limit=" .. math.random(10, 50)'
    )
    found = [
        *(Scenario(name, "/", server=server) for name, server in CEILINGS.items()),
        Scenario(REFERENCE, "/", server="reference"),
        Scenario("list", listing, FRESH, lua=True),
        Scenario("list, gzip", listing, GZIP, lua=True),
        Scenario("repeated", f"/api/v1/projects?district_id={districts[0]}&sort=-investment_cny"),
        Scenario(
            "get",
            f'string.format("/api/v1/projects/syn1-p%07d", math.random(0, {projects - 1}))',
            FRESH,
            lua=True,
        ),
        Scenario(
            "search",
            f'"/api/v1/search?q=" .. {words}[math.random({len(SEARCH_WORDS)})]',
            FRESH,
            lua=True,
        ),
        Scenario("stats", stats, FRESH, lua=True),
        Scenario("page 1", "/api/v1/projects?sort=-investment_cny&limit=20", FRESH),
        Scenario(
            "page 500", f"/api/v1/projects?sort=-investment_cny&limit=20&cursor={deep}", FRESH
        ),
    ]
    if with_anchor:
        found.append(Scenario(ANCHORS["list"], listing, lua=True, server="anchor"))
        found.append(Scenario(ANCHORS["stats"], stats, lua=True, server="anchor"))
    if with_peer:
        found.append(
            Scenario(
                "datasette",
                f'"/citykb-{projects}/projects.json?_shape=objects&_nocol=rendered&_nocol=search_text'
                f'&district_id=" .. {pick} .. "&investment_cny__gte=" .. {bound} .. '
                '"&_sort_desc=investment_cny&_size=" .. math.random(10, 50)',
                lua=True,
                server="datasette",
            )
        )
    return found


def run_configuration(label: str, projects: int, args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    database_url, sqlite_file = prepare_database(label, projects, args)
    districts = district_ids(database_url, args)
    with serve("citykb", database_url, None, args):
        deep = deep_cursor(500)
    plan = scenarios(
        projects,
        districts,
        deep,
        with_peer=bool(sqlite_file is not None and args.peer_python),
        with_anchor=True,
    )
    if not args.peer_python:  # granian lives in the peer's environment (bench/perf.sh)
        plan = [scenario for scenario in plan if scenario.server != "granian"]
    measures = {scenario.name: Measure() for scenario in plan}
    rss = 0.0
    ceilings = [*CEILINGS.values(), "reference"]
    for round_number in range(args.rounds):
        # The ceilings before and after CityKB: a drift of the machine shows in both.
        for server in (*ceilings, "citykb", "anchor", "datasette", *ceilings):
            chosen = [s for s in plan if s.server == server]
            if not chosen:
                continue
            with serve(server, database_url, sqlite_file, args) as pid:
                for scenario in chosen:
                    rps, p50, p99, errors = drive(scenario, args, seed=round_number + 1)
                    measures[scenario.name].add(rps, p50, p99, errors)
                    print(f"{label} {projects} round {round_number + 1} {scenario.name}: "
                          f"{rps:.0f}/s p50 {p50:.2f} ms p99 {p99:.2f} ms errors {errors}",
                          flush=True)  # fmt: skip
                if server == "citykb":
                    rss = max(rss, peak_rss_mb(pid))
    fastest = max(
        (name for name in CEILINGS if name in measures),
        key=lambda name: statistics.median(measures[name].rps),
    )
    ceiling = statistics.median(measures[fastest].rps)
    rows = {}
    for name, measure in measures.items():
        rps = statistics.median(measure.rps)
        rows[name] = {
            "rps": rps,
            "p50_ms": statistics.median(measure.p50_ms),
            "p99_ms": statistics.median(measure.p99_ms),
            "ratio": rps / ceiling,
            "errors": measure.errors,
        }
    return {
        "database": label,
        "projects": projects,
        "rows": rows,
        "peak_rss_mb": rss,
        "ceiling": fastest,
    }


def verdicts(result: dict) -> list[str]:  # type: ignore[type-arg]
    rows, database = result["rows"], result["database"]
    targets = TARGETS[database]
    checks = [f"{name} ≥ {target}: {'met' if rows[name]['ratio'] >= target else 'NOT met'} "
              f"({rows[name]['ratio']:.3f})" for name, target in targets.items()]  # fmt: skip
    if ANCHORS["list"] in rows and database == "postgresql":
        of_anchor = rows["list"]["rps"] / rows[ANCHORS["list"]]["rps"]
        checks.append(
            f"list ≥ 0.5 of the anchor: {'met' if of_anchor >= 0.5 else 'NOT met'} "
            f"({of_anchor:.3f})"
        )
    for name, anchor in ANCHORS.items():
        if anchor in rows:
            checks.append(
                f"{anchor} at {rows[anchor]['ratio']:.3f} of the ceiling, CityKB's {name} at "
                f"{rows[name]['rps'] / rows[anchor]['rps']:.3f} of it"
            )
    deep = rows["page 500"]["rps"] / rows["page 1"]["rps"]
    checks.append(
        f"page 500 within 20% of page 1: {'met' if deep >= 0.8 else 'NOT met'} ({deep:.2f})"
    )
    worst = max(rows[name]["p99_ms"] for name in rows if name in CITYKB_SCENARIOS)
    limit = P99_MS[database]
    checks.append(
        f"p99 < {limit} ms at every CityKB scenario: {'met' if worst < limit else 'NOT met'} "
        f"({worst:.1f} ms)"
    )
    checks.append(f"peak RSS < 300 MB: {'met' if result['peak_rss_mb'] < 300 else 'NOT met'} "
                  f"({result['peak_rss_mb']:.0f} MB)")  # fmt: skip
    if "datasette" in rows:
        checks.append(f"list vs Datasette: {rows['list']['rps'] / rows['datasette']['rps']:.1f}×")
    return checks


def cpu_model() -> str:
    """The processor's name (Linux): machines of one kind (2 cores, 24 GiB) have differed by a
    third in how fast they serve, so each result names the one it ran on."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), {memory:.0f} GiB, {platform.machine()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def report(results: list[dict], args: argparse.Namespace) -> str:  # type: ignore[type-arg]
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}; "
        f"CityKB as `citykb serve` runs it (uvicorn, httptools, uvloop), server on core "
        f"{SERVER_CORE}, wrk -t1 -c{args.connections} on core {LOAD_CORE}; {args.warmup} s "
        f"warm-up + {args.duration} s, median of {args.rounds} rounds. × ceiling divides by "
        "the fastest ceiling measured (named below), whose rounds come before and after "
        "CityKB's.",
        "",
        "| database | projects | scenario | requests/s | × ceiling | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for name, row in result["rows"].items():
            lines.append(
                f"| {result['database']} | {result['projects']:,} | {name} | {row['rps']:,.0f} | "
                f"{row['ratio']:.3f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
                f"{row['errors']} |"
            )
    lines.append("")
    for result in results:
        lines.append(
            f"**{result['database']}, {result['projects']:,} projects** (against "
            f"{result['ceiling']}): " + "; ".join(verdicts(result)) + "."
        )
        lines.append("")
    return "\n".join(lines)


def load_options(parser: argparse.ArgumentParser) -> None:
    """The options of the load itself, shared with bench/compare.py."""
    parser.add_argument("--duration", type=int, default=5, help="seconds measured")
    parser.add_argument("--warmup", type=int, default=2, help="seconds before, not measured")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default=os.environ.get("PG_URL"))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--peer-python", default=os.environ.get("PEER_PYTHON"))
    load_options(parser)
    parser.add_argument(
        "--citykb",
        default=str(Path(sys.executable).with_name("citykb")),
        help="the citykb command (default: beside --python's interpreter)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "perf.md")
    args = parser.parse_args()
    results = []
    for projects in args.projects:
        for label in args.databases:
            if label == "postgresql" and not args.pg_url:
                print("PostgreSQL: no --pg-url (bench/perf.sh starts a cluster); skipped")
                continue
            results.append(run_configuration(label, projects, args))
            text = report(results, args)
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(text + "\n")
            args.output.with_suffix(".json").write_text(json.dumps(results, indent=1))
    print(report(results, args))


if __name__ == "__main__":
    main()
