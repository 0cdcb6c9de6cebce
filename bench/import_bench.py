"""The import benchmark: `citykb import` of 20,000 generated project records into a fresh
database, and a dry run through the API.

On a fresh SQLite file (or `--database-url`, which must be empty), migrated and seeded, it
generates JSON Lines of N projects (each with two citations of the seed's source, an
organization and a district of the seed) and times, with the wall clock, each of these runs
(`--runs` picks some; they run in this order, and `updates` expects `inserts` before it):

- `dry-run`: `citykb import FILE --dry-run`, N would-be inserts;
- `inserts`: `citykb import FILE`, N inserts;
- `updates`: `citykb import FILE2`, the same N records with a changed description, N updates;
- `api-dry-run`: `POST /api/v1/import?dry_run=true` with as many records as fit in a 1 MiB body.

Each time includes starting the process (the command line) or the request (the API). During
the dry runs a curator creates a project through the API every half second: a dry run should
hold no lock that makes a writer wait (on SQLite a write waits 5 s for the lock, then is a
503). Imports that write run alone: on SQLite a write committed between an import's first read
and its first write would make the import fail. `--tree` runs the commands from another
checkout (e.g. an older commit's worktree), so that before and after are measured by one
script. It prints, and appends to bench/results/import.md, what it measured. See
bench/README.md."""

import argparse
import datetime as dt
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SOURCE = "changzhou-city-work-conference-2025"
ORGANIZATIONS = ["jiangsu-catl", "catl", "ninebot", "xinyu-group", "wanbang-digital-energy"]
DISTRICTS = ["changzhou", "liyang", "changzhou-edz", "jiangsu"]
SECTORS = ["新能源", "智能制造", "新材料"]
STATUSES = ["signed", "landed", "under_construction", "in_production"]
BODY_LIMIT = 1 << 20
PROBE_EVERY_S = 0.5


def project(number: int, edition: int) -> dict[str, Any]:
    """One generated project whose every fact cites paragraph 7 of the seed's source."""
    return {
        "id": f"bench-{number:06d}",
        "name": f"导入基准项目{number}号",
        "organization_ids": [ORGANIZATIONS[number % len(ORGANIZATIONS)]],
        "district_id": DISTRICTS[number % len(DISTRICTS)],
        "sector": SECTORS[number % len(SECTORS)],
        "status": STATUSES[number % len(STATUSES)],
        "description": f"Benchmark project {number}, edition {edition}.",
        "citations": [
            {
                "source_id": SOURCE,
                "paragraph": 7,
                "quote": "江苏时代新能源灯塔工厂LY9项目签约落地",
                "fields": ["name", "organization_ids", "sector", "status"],
            },
            {
                "source_id": SOURCE,
                "paragraph": 7,
                "quote": "常州基地成为宁德时代最大的制造基地之一",
                "fields": ["district_id"],
            },
        ],
    }


def json_lines(first: int, count: int, edition: int) -> bytes:
    return b"".join(
        orjson.dumps({"collection": "projects", "record": project(number, edition)}) + b"\n"
        for number in range(first, first + count)
    )


def fitting_in_a_body(first: int, edition: int) -> bytes:
    """As many generated records as a 1 MiB request body takes."""
    line = len(json_lines(first, 1, edition))
    return json_lines(first, (BODY_LIMIT - 1024) // (line + 16), edition)


@dataclass
class Probe:
    """A curator writing through the API while something else runs."""

    base: str
    token: str
    statuses: Counter[int] = field(default_factory=Counter)
    slowest_s: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)
    serial: int = 0

    def write(self) -> None:
        self.serial += 1
        body = {
            "name": f"探测写入{os.getpid()}号{self.serial}",
            "citations": [
                {
                    "source_id": SOURCE,
                    "paragraph": 7,
                    "quote": "江苏时代新能源灯塔工厂LY9项目签约落地",
                    "fields": ["name"],
                }
            ],
        }
        request = urllib.request.Request(
            f"{self.base}/api/v1/projects",
            data=orjson.dumps(body),
            method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        self.slowest_s = max(self.slowest_s, time.monotonic() - started)
        self.statuses[status] += 1

    def run(self) -> None:
        while not self.stop.is_set():
            self.write()
            self.stop.wait(PROBE_EVERY_S)

    def summary(self) -> str:
        answers = ", ".join(f"{count}× {status}" for status, count in sorted(self.statuses.items()))
        return f"{answers or 'none'}; slowest {self.slowest_s:.1f} s"


class Tree:
    """A checkout of CityKB whose command line the run calls."""

    def __init__(self, path: Path, database_url: str) -> None:
        self.path = path
        self.env = {
            **os.environ,
            "PYTHONPATH": str(path),
            "DATABASE_URL": database_url,
            "WRITE_RATE_PER_MINUTE": "100000000",
            "LOG_LEVEL": "warning",
        }

    def citykb(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", *arguments],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def key(self, name: str, scope: str) -> str:
        result = self.citykb("keys", "create", name, "--scope", scope)
        result.check_returncode()
        return result.stdout.strip().splitlines()[-1]

    def serve(self, port: int) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            cwd=self.path,
            env=self.env,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).close()
                return process
            except OSError as error:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from error
                time.sleep(0.3)


def probed(probe: Probe, work: Any) -> tuple[float, Any]:
    """Run `work` while the probe writes; its wall time and its result."""
    probe.statuses.clear()
    probe.slowest_s = 0.0
    probe.stop.clear()
    writer = threading.Thread(target=probe.run)
    started = time.monotonic()
    writer.start()
    try:
        result = work()
    finally:
        elapsed = time.monotonic() - started
        probe.stop.set()
        writer.join()
    return elapsed, result


def unprobed(work: Any) -> tuple[float, Any]:
    """Run `work` alone; its wall time and its result."""
    started = time.monotonic()
    result = work()
    return time.monotonic() - started, result


def post_import(base: str, token: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"{base}/api/v1/import?dry_run=true",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
    )
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def database_version(database_url: str, tree: Tree) -> str:
    if database_url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from sqlalchemy import create_engine, text; "
            "print(create_engine(sys.argv[1]).connect().execute(text('SHOW server_version'))"
            ".scalar())",
            database_url,
        ],
        env=tree.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return f"PostgreSQL {result.stdout.split()[0]}"


RUNS = ("dry-run", "inserts", "updates", "api-dry-run")


def command_line_run(
    tree: Tree, probe: Probe | None, label: str, records: int, *arguments: str
) -> list[str]:
    """Time one `citykb import`, probed by an API writer or alone."""
    work = partial(tree.citykb, "import", *arguments)
    elapsed, result = probed(probe, work) if probe is not None else unprobed(work)
    outcome = (result.stdout.strip().splitlines() or [""])[-1]
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if line.strip()]
        outcome = "failed: " + (errors or ["?"])[-1].strip()[:300]
    writes = probe.summary() if probe is not None else "(not probed)"
    return [label, f"{records:,}", f"{elapsed:.1f}", f"{records / elapsed:,.0f}", writes, outcome]


def bench(args: argparse.Namespace, database_url: str, scratch: Path) -> list[list[str]]:
    tree = Tree(Path(args.tree).resolve(), database_url)
    if not args.source_text.is_file():
        raise SystemExit(f"the seed source's text is missing: {args.source_text} (--source-text)")
    # Every quote a write cites is checked against its source's registered text.
    for step in (("db", "upgrade"), ("seed",), ("sources", "text", SOURCE, str(args.source_text))):
        tree.citykb(*step).check_returncode()
    inserts, updates = scratch / "inserts.jsonl", scratch / "updates.jsonl"
    inserts.write_bytes(json_lines(0, args.records, edition=1))
    updates.write_bytes(json_lines(0, args.records, edition=2))
    curator, admin = tree.key("bench-curator", "curator"), tree.key("bench-admin", "admin")
    base = f"http://127.0.0.1:{args.port}"
    server = tree.serve(args.port)
    probe = None if args.no_probe else Probe(base, curator)
    runs = args.runs.split(",")
    rows = []
    try:
        if "dry-run" in runs:
            label = "`citykb import --dry-run`"
            rows.append(
                command_line_run(tree, probe, label, args.records, "--dry-run", str(inserts))
            )
            print(" | ".join(rows[-1]), flush=True)
        if "inserts" in runs:
            label = "`citykb import` (inserts)"
            rows.append(command_line_run(tree, None, label, args.records, str(inserts)))
            print(" | ".join(rows[-1]), flush=True)
        if "updates" in runs:
            label = "`citykb import` (updates)"
            rows.append(command_line_run(tree, None, label, args.records, str(updates)))
            print(" | ".join(rows[-1]), flush=True)
        if "api-dry-run" in runs:
            body = fitting_in_a_body(args.records, edition=1)
            records = body.count(b"\n")
            work = partial(post_import, base, admin, body)
            elapsed, (status, answer) = probed(probe, work) if probe else unprobed(work)
            rows.append(
                [
                    f"`POST /api/v1/import?dry_run=true` ({len(body) / 1024:,.0f} KiB)",
                    f"{records:,}",
                    f"{elapsed:.1f}",
                    f"{records / elapsed:,.0f}",
                    probe.summary() if probe is not None else "(not probed)",
                    f"{status} {answer[:300].decode(errors='replace')}",
                ]
            )
            print(" | ".join(rows[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def report(args: argparse.Namespace, database: str, rows: list[list[str]]) -> str:
    commit = subprocess.run(
        ["git", "-C", args.tree, "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "-C", args.tree, "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if commit and changed:
        commit += ", with changes not yet committed"
    lines = [
        f"### {args.label or commit}",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, "
        f"{platform.machine()}, Python {platform.python_version()}, {database}; "
        f"tree `{args.tree}` at {commit or 'an unknown commit'}.",
        "",
        "| run | records | seconds | records/s | API writes meanwhile | output |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--database-url", help="an empty database; default: a fresh SQLite file")
    parser.add_argument("--tree", default=str(ROOT), help="the checkout to run (default: this)")
    parser.add_argument(
        "--source-text",
        type=Path,
        default=ROOT.parent / "shared" / "source" / "article-zh-hans.txt",
        help="the seed source's text, registered before the imports (the repository holds none)",
    )
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--label", help="the heading of this run in the results")
    parser.add_argument("--runs", default=",".join(RUNS), help=f"some of {','.join(RUNS)}")
    parser.add_argument("--no-probe", action="store_true", help="no API writer during dry runs")
    parser.add_argument("--results", default="import", help="name of the result file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database_url = args.database_url or f"sqlite:///{scratch}/import.db"
        database = database_version(database_url, Tree(Path(args.tree), database_url))
        rows = bench(args, database_url, Path(scratch))
    text = report(args, database, rows)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / f"{args.results}.md").open("a", encoding="utf-8") as results:
        results.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
