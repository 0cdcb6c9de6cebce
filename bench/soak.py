"""The soak test: CityKB under a steady mix of reads and writes for minutes, on loopback.

It serves a fresh SQLite file (or `--database-url`) with `citykb serve`, which migrates and
seeds it as it starts, and drives it from 32 connections at once: lists with random filters
and sorts, records by id, stats, search, and curator writes (create a project, change its
status with If-Match, delete some). Each connection owns the records it creates, so no write
of the run has a reason to be refused.

It passes when:
- no request failed: no 5xx, no connection error, no answer other than the one expected;
- the server's memory (RSS) at the end is within 10% of what it was after the warm-up (two
  minutes, in which its bounded caches fill: SQLite's page cache of each pooled connection,
  the response cache, statements kept by shape);
- every write is accounted for: each record the run created and kept reads back as last
  written, with one history entry per write, each one it deleted is gone, and the collection
  holds the seed's projects plus exactly those kept.

It prints, and writes to bench/results/soak.md (and .json), what it measured. See
bench/README.md."""

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SOURCE = "changzhou-city-work-conference-2025"
QUOTE = "江苏时代新能源灯塔工厂LY9项目签约落地"
"""A quote found in the source's paragraph 7: what each written field cites."""
STATUSES = ["signed", "landed", "under_construction", "in_production"]
SORTS = ["name", "-investment_cny", "status_date", "-status_date", "-name"]
SEARCH_WORDS = ["灯塔", "常州", "光伏", "储能", "工厂"]
MAX_GROWTH = 0.10


def cite(*fields: str) -> dict[str, Any]:
    return {"source_id": SOURCE, "paragraph": 7, "quote": QUOTE, "fields": list(fields)}


@dataclass
class Owned:
    """A record one connection created: what it last wrote, and how many writes it made."""

    etag: str
    status: str
    writes: int = 1
    deleted: bool = False


@dataclass
class Tally:
    answered: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    owned: dict[str, Owned] = field(default_factory=dict)

    def check(self, action: str, response: httpx2.Response, expected: int) -> bool:
        self.answered[action] += 1
        if response.status_code == expected:
            return True
        if len(self.unexpected) < 20:
            self.unexpected.append(
                f"{action}: {response.status_code} (expected {expected}) {response.text[:200]}"
            )
        self.answered["unexpected"] += 1
        return False


async def read(
    client: httpx2.AsyncClient, tally: Tally, ids: list[str], rng: random.Random
) -> None:
    """One read, chosen by weight, as the dashboard and analysts make them."""
    roll = rng.random()
    if roll < 0.45:
        params: dict[str, Any] = {"sort": rng.choice(SORTS), "limit": rng.choice([10, 20, 50])}
        if rng.random() < 0.5:
            params["status"] = rng.choice(STATUSES)
        tally.check("list", await client.get("/api/v1/projects", params=params), 200)
    elif roll < 0.70:
        tally.check("get", await client.get(f"/api/v1/projects/{rng.choice(ids)}"), 200)
    elif roll < 0.85:
        params = {"group_by": rng.choice(["status", "district_id"])}
        tally.check("stats", await client.get("/api/v1/stats/projects", params=params), 200)
    else:
        params = {"q": rng.choice(SEARCH_WORDS)}
        tally.check("search", await client.get("/api/v1/search", params=params), 200)


async def write(
    client: httpx2.AsyncClient, tally: Tally, worker: int, serial: int, rng: random.Random
) -> None:
    """Create a project, or change or delete one this connection created."""
    live = [record_id for record_id, owned in tally.owned.items() if not owned.deleted]
    mine = [record_id for record_id in live if record_id.startswith(f"soak-{worker}-")]
    roll = rng.random()
    if not mine or roll < 0.5:
        record_id = f"soak-{worker}-{serial}"
        body = {
            "id": record_id,
            "name": f"浸泡测试项目{worker}号{serial}",
            "status": "signed",
            "citations": [cite("name", "status")],
        }
        response = await client.post("/api/v1/projects", json=body)
        if tally.check("create", response, 201):
            tally.owned[record_id] = Owned(etag=response.headers["etag"], status="signed")
        return
    record_id = rng.choice(mine)
    owned = tally.owned[record_id]
    headers = {"If-Match": owned.etag}
    if roll < 0.85:
        status = rng.choice([s for s in STATUSES if s != owned.status])
        body = {"status": status, "citations": [cite("status")]}
        response = await client.patch(f"/api/v1/projects/{record_id}", json=body, headers=headers)
        if tally.check("update", response, 200):
            owned.etag, owned.status = response.headers["etag"], status
            owned.writes += 1
    else:
        response = await client.delete(f"/api/v1/projects/{record_id}", headers=headers)
        if tally.check("delete", response, 204):
            owned.deleted, owned.writes = True, owned.writes + 1


async def connection(
    base: str, token: str, worker: int, until: float, tally: Tally, ids: list[str], writes: float
) -> None:
    rng = random.Random(worker)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        serial = 0
        while time.monotonic() < until:
            try:
                if rng.random() < writes:
                    serial += 1
                    await write(client, tally, worker, serial, rng)
                else:
                    await read(client, tally, ids, rng)
            except httpx2.HTTPError as error:
                tally.answered["unexpected"] += 1
                if len(tally.unexpected) < 20:
                    tally.unexpected.append(f"transport: {error!r}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def sample_memory(pid: int, until: float, samples: list[tuple[float, float]]) -> None:
    start = time.monotonic()
    while time.monotonic() < until:
        samples.append((time.monotonic() - start, rss_mb(pid)))
        await asyncio.sleep(2)
    samples.append((time.monotonic() - start, rss_mb(pid)))


async def account(base: str, tally: Tally, seeded_total: int) -> list[str]:
    """What the database holds against what the run wrote: the problems found."""
    problems = []
    async with httpx2.AsyncClient(base_url=base, timeout=30) as client:
        for record_id, owned in tally.owned.items():
            got = await client.get(f"/api/v1/projects/{record_id}")
            history = (await client.get(f"/api/v1/projects/{record_id}/history")).json()
            if owned.deleted:
                if got.status_code != 404:
                    problems.append(f"{record_id}: deleted, but reads {got.status_code}")
            elif got.status_code != 200 or got.json()["status"] != owned.status:
                problems.append(f"{record_id}: expected {owned.status}, got {got.text[:100]}")
            if len(history["items"]) != owned.writes:
                problems.append(
                    f"{record_id}: {owned.writes} writes, {len(history['items'])} in its history"
                )
        kept = sum(not owned.deleted for owned in tally.owned.values())
        total = (await client.get("/api/v1/projects", params={"limit": 1})).json()["total"]
        if total != seeded_total + kept:
            problems.append(f"{total} projects; expected {seeded_total} seeded + {kept} kept")
    return problems


def start_server(database_url: str, port: int, extra: list[str]) -> subprocess.Popen[bytes]:
    citykb = Path(sys.executable).with_name("citykb")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        # Every write of the run is meant to land; the rate limit has tests of its own.
        "WRITE_RATE_PER_MINUTE": "100000000",
        "LOG_LEVEL": "warning",
        **dict(setting.split("=", 1) for setting in extra),
    }
    process = subprocess.Popen([str(citykb), "serve", "--port", str(port)], cwd=ROOT, env=env)
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).close()
            return process
        except OSError as error:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start") from error
            time.sleep(0.3)


def create_key(database_url: str) -> str:
    citykb = Path(sys.executable).with_name("citykb")
    result = subprocess.run(
        [str(citykb), "keys", "create", f"soak-{os.getpid()}", "--scope", "curator"],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


async def soak(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    base = f"http://127.0.0.1:{args.port}"
    server = start_server(database_url, args.port, args.server_env)
    try:
        token = create_key(database_url)
        async with httpx2.AsyncClient(base_url=base) as client:
            first = (await client.get("/api/v1/projects", params={"limit": 200})).json()
        ids, seeded_total = [item["id"] for item in first["items"]], first["total"]
        tally, samples = Tally(), []
        started = time.monotonic()
        until = started + args.duration
        await asyncio.gather(
            sample_memory(server.pid, until, samples),
            *(
                connection(base, token, worker, until, tally, ids, args.writes)
                for worker in range(args.connections)
            ),
        )
        elapsed = time.monotonic() - started
        problems = await account(base, tally, seeded_total)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    after_warmup = next(rss for at, rss in samples if at >= args.warmup)
    end = samples[-1][1]
    growth = end / after_warmup - 1
    requests = sum(n for action, n in tally.answered.items() if action != "unexpected")
    writes = sum(tally.answered[action] for action in ("create", "update", "delete"))
    return {
        "date": dt.date.today().isoformat(),
        "database": database_url.split(":", 1)[0],
        "duration_s": round(elapsed, 1),
        "connections": args.connections,
        "requests": requests,
        "requests_per_s": round(requests / elapsed, 1),
        "by_action": dict(tally.answered),
        "writes": writes,
        "records_created": len(tally.owned),
        "records_deleted": sum(owned.deleted for owned in tally.owned.values()),
        "errors": tally.answered["unexpected"],
        "error_samples": tally.unexpected,
        "rss_after_warmup_mb": round(after_warmup, 1),
        "rss_end_mb": round(end, 1),
        "rss_peak_mb": round(max(rss for _, rss in samples), 1),
        "rss_growth": round(growth, 4),
        "rss_samples_mb": [(round(at, 1), round(rss, 1)) for at, rss in samples],
        "accounting_problems": problems,
        "passed": tally.answered["unexpected"] == 0 and growth < MAX_GROWTH and not problems,
    }


def by_minute(samples: list[tuple[float, float]]) -> str:
    """The RSS at the start of each minute of the run, and at its end."""
    marks = [
        next(rss for at, rss in samples if at >= minute * 60)
        for minute in range(0, 60)
        if samples[-1][0] >= minute * 60
    ]
    return ", ".join(f"{rss:.0f}" for rss in [*marks, samples[-1][1]])


def report(result: dict[str, Any]) -> str:
    actions = ", ".join(f"{action} {n:,}" for action, n in sorted(result["by_action"].items()))
    lines = [
        f"# Soak: {result['date']}, {result['database']}",
        "",
        "| | |",
        "|---|---|",
        f"| duration | {result['duration_s']} s at {result['connections']} connections |",
        f"| requests | {result['requests']:,} ({result['requests_per_s']}/s): {actions} |",
        f"| writes | {result['writes']:,}: {result['records_created']:,} projects created, "
        f"{result['records_deleted']:,} of them deleted |",
        f"| errors | {result['errors']} |",
        f"| memory (RSS) | {result['rss_after_warmup_mb']} MB after the warm-up, "
        f"{result['rss_end_mb']} MB at the end ({result['rss_growth']:+.1%}), "
        f"peak {result['rss_peak_mb']} MB |",
        f"| RSS by minute (MB) | {by_minute(result['rss_samples_mb'])} |",
        f"| writes accounted for | {'yes' if not result['accounting_problems'] else 'no'} |",
        f"| passed | {'yes' if result['passed'] else 'NO'} |",
    ]
    for problem in result["error_samples"] + result["accounting_problems"]:
        lines.append(f"- {problem}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument(
        "--warmup", type=float, default=120, help="seconds before the memory baseline"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--writes", type=float, default=0.2, help="share of requests that write")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the server's environment; repeat for several",
    )
    parser.add_argument("--results", default="soak", help="name of the result files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database_url = args.database_url or f"sqlite:///{scratch}/soak.db"
        result = asyncio.run(soak(args, database_url))
    text = report(result)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.results}.md").write_text(text, encoding="utf-8")
    (RESULTS / f"{args.results}.json").write_text(json.dumps(result, ensure_ascii=False) + "\n")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
