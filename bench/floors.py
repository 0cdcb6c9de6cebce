"""Floors: what a request costs the server's core, and how much of that its SQL alone takes.

bench/perf.py measures requests a second. This measures why they are what they are, for the
scenarios whose targets are ratios to the ceiling, on one database at one size:
- the CPU time `citykb serve` (as shipped, pinned to core 0) spends per request under the
  benchmark's load (wrk, 32 connections, on core 1), from the kernel's count of the process's
  user and system time over the measured run; the same for the ceiling (bench/ceiling.py on
  uvicorn with httptools and uvloop), and for `/healthz`, which runs the whole middleware
  chain and no SQL: the framework's own floor;
- the SQL alone: each scenario's requests are made once in this process, through the
  application, to capture the statements they run as the driver receives them; each request's
  statements are then run once more on a plain driver connection (the median over requests).

From these, two upper bounds on each scenario's ratio to the ceiling: `sql bound`, had its
request cost what the ceiling's costs plus its SQL, and `framework bound`, what `/healthz`
costs plus its SQL. A target above the SQL bound cannot be met with these statements on this
machine, whatever the code around them; one above the framework bound, not through the
framework.

    .venv/bin/python bench/floors.py --projects 100000
    .venv/bin/python bench/floors.py --projects 100000 --databases postgresql --pg-url URL

Databases are made, and kept, as bench/perf.py makes them (bench/perf.sh starts a PostgreSQL
cluster; here give one)."""

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import perf

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TARGETS = {"sqlite": perf.TARGETS["sqlite"], "postgresql": perf.TARGETS["postgresql"]}
FLOORED = ("list", "stats", "page 1", "page 500")
"""The scenarios measured: those whose targets are not met (`get`, `repeated` and `search`
meet theirs)."""
SAMPLES = 100
"""Requests per scenario whose statements are captured and timed, each once, as the benchmark
makes each request once: a page read again would find its pages in the database's cache."""


def cpu_seconds(pid: int) -> float:
    """User and system time of a process and every process under it, in seconds."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def measure(scenario: perf.Scenario, pid: int, args: argparse.Namespace) -> tuple[float, float]:
    """Requests a second and CPU microseconds per request, under wrk's load."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(perf.lua_script(scenario, seed=1))
    url = f"http://127.0.0.1:{perf.PORT}" + ("" if scenario.lua else scenario.path)
    command = ["taskset", "-c", perf.LOAD_CORE, "wrk", "-t1", f"-c{args.connections}"]
    command += ["-s", script.name]
    subprocess.run([*command, "-d", f"{args.warmup}s", url], capture_output=True, check=True)
    before = cpu_seconds(pid)
    done = subprocess.run(
        [*command, "-d", f"{args.duration}s", url], capture_output=True, text=True, check=True
    )
    spent = cpu_seconds(pid) - before
    os.unlink(script.name)
    served = int(re.search(r"(\d+) requests in", done.stdout).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    return rps, spent * 1e6 / served


def sample_paths(name: str, districts: list[str], deep: str, rng: random.Random) -> Iterator[str]:
    """Paths like the ones bench/perf.py's Lua makes for scenario `name`."""
    for n in range(1, SAMPLES + 1):
        if name == "list":
            bound = rng.randint(0, 99999) * 1_000_000 + n
            limit = rng.randint(10, 50)
            yield (f"/api/v1/projects?district_id={rng.choice(districts)}"
                   f"&investment_cny_min={bound}&sort=-investment_cny&limit={limit}")  # fmt: skip
        elif name == "stats":
            yield f"/api/v1/stats/projects?group_by=status&district_id={rng.choice(districts)}"
        elif name == "search":
            yield f"/api/v1/search?q={rng.choice(perf.SEARCH_WORDS)}"
        elif name == "page 1":
            yield "/api/v1/projects?sort=-investment_cny&limit=20"
        else:
            yield f"/api/v1/projects?sort=-investment_cny&limit=20&cursor={deep}"


def sql_microseconds(database_url: str, paths: dict[str, list[str]]) -> dict[str, float]:
    """For each scenario, the median over its sample requests of the time its statements
    take on a plain driver connection (execute and fetch every row)."""
    os.environ.update(DATABASE_URL=database_url, PREPARE_ON_START="false")
    sys.path.insert(0, str(perf.ROOT))
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from app.db import get_engine
    from app.main import create_app

    engine = get_engine()
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    statements: dict[str, list[list[tuple[str, Any]]]] = {}
    with TestClient(create_app()) as client:
        for name, scenario_paths in paths.items():
            statements[name] = []
            for path in scenario_paths:
                captured.clear()
                response = client.get(path, headers=perf.FRESH)
                assert response.status_code == 200, (path, response.text[:300])
                statements[name].append(list(captured))
    engine.dispose()  # a connection whose own cache has not read these pages yet
    driver = engine.raw_connection().dbapi_connection
    assert driver is not None
    if hasattr(driver, "autocommit"):
        driver.autocommit = True  # PostgreSQL: as the application's reads run
    else:
        driver.isolation_level = None  # SQLite: BEGIN and ROLLBACK as the application sends them

    def run(request: list[tuple[str, Any]]) -> float:
        started = time.perf_counter()
        for statement, parameters in request:
            cursor = driver.cursor()
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
            cursor.close()
        if getattr(driver, "in_transaction", False):
            driver.rollback()  # SQLite: as the session ends its read
        return time.perf_counter() - started

    found = {}
    for name, requests in statements.items():
        run(requests[-1])  # the driver prepares each statement once; so does the server's
        found[name] = statistics.median(run(request) for request in requests[:-1]) * 1e6
    driver.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite"])
    parser.add_argument("--pg-url", default=os.environ.get("PG_URL"))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--citykb", default=str(Path(sys.executable).with_name("citykb")))
    perf.load_options(parser)
    args = parser.parse_args()
    args.peer_python = None
    rng = random.Random(1)
    for label in args.databases:
        database_url, _ = perf.prepare_database(label, args.projects, args)
        districts = perf.district_ids(database_url, args)
        with perf.serve("uvicorn", database_url, None, args) as pid:
            ceiling_rps, ceiling_us = measure(perf.Scenario("ceiling", "/"), pid, args)
        with perf.serve("citykb", database_url, None, args) as pid:
            deep = perf.deep_cursor(500)
            plan = perf.scenarios(args.projects, districts, deep, with_peer=False,
                                  with_anchor=False)  # fmt: skip
            chosen = [scenario for scenario in plan if scenario.name in FLOORED]
            healthz = perf.Scenario("healthz", "/healthz", perf.FRESH)
            served = {s.name: measure(s, pid, args) for s in [healthz, *chosen]}
        paths = {s.name: list(sample_paths(s.name, districts, deep, rng)) for s in chosen}
        sql = sql_microseconds(database_url, paths)
        framework_us = served["healthz"][1]
        print(f"\n{label}, {args.projects} projects; ceiling (uvicorn httptools uvloop): "
              f"{ceiling_rps:,.0f}/s, {ceiling_us:.0f} µs of CPU a request; "
              f"/healthz through CityKB: {served['healthz'][0]:,.0f}/s, "
              f"{framework_us:.0f} µs")  # fmt: skip
        print("| scenario | requests/s | × ceiling | CPU µs/request | SQL µs/request | "
              "sql bound | framework bound | target |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|")
        for scenario in chosen:
            rps, cpu_us = served[scenario.name]
            sql_us = sql[scenario.name]
            target = TARGETS[label].get(scenario.name)
            print(f"| {scenario.name} | {rps:,.0f} | {rps / ceiling_rps:.3f} | {cpu_us:.0f} | "
                  f"{sql_us:.0f} | {ceiling_us / (ceiling_us + sql_us):.3f} | "
                  f"{ceiling_us / (sql_us + framework_us):.3f} | "
                  f"{'' if target is None else target} |")  # fmt: skip


if __name__ == "__main__":
    main()
