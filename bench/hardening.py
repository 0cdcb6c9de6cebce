"""Issue 13's acceptance measures, taken as a hostile but ordinary client would, side by side.

For each code tree given (this one, and with `--before DIR` a checkout of an earlier commit,
e.g. `git worktree add /tmp/before 78c64c3`), on one SQLite file of `--projects` synthetic
projects, it serves `citykb serve` as shipped and measures:

- **liveness**: `/healthz` latency, sampled every 50 ms, while clients loop on heavy lists: 4
  clients sending 300 `organization_id` values (what the attack sent), 4 sending 100 (the most
  now accepted), and 20 sending ordinary one-value lists;
- **slow CSV**: `/api/v1/projects?format=csv` read at `--rate` bytes a second: how many rows
  arrive, and whether the stream ended cleanly.

Results go to stdout and bench/results/hardening.md."""

import argparse
import csv
import datetime as dt
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database(tree: Path, name: str, projects: int) -> Path:
    """A SQLite file with the seed and `projects` synthetic projects, made by the code in `tree`
    (whose migrations it then matches), once, and kept."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"hardening-{name}-{projects}.db"
    if not path.exists():
        environment = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "PYTHONPATH": str(tree)}
        for command in (["db", "upgrade"], ["seed"], ["synth", "--projects", str(projects)]):
            subprocess.run(
                [sys.executable, "-m", "app", *command], cwd=tree, env=environment, check=True
            )
    return path


@contextmanager
def serving(tree: Path, path: Path) -> Iterator[str]:
    """`citykb serve` of the code in `tree`, on a copy of the database file."""
    copy = Path(tempfile.mkdtemp()) / "citykb.db"
    copy.write_bytes(path.read_bytes())
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{copy}",
        "PYTHONPATH": str(tree),
        "LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=tree,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{tree}: the server did not become ready")
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def get(url: str, timeout: float = 60, *, fresh: bool = False) -> int:
    """The status of a GET; `fresh` asks the response cache to stand aside, as an attacker
    varying each request would make it."""
    request = urllib.request.Request(url, headers={"Cache-Control": "no-cache"} if fresh else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read()
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def liveness(base: str, *, seconds: float) -> dict[str, object]:
    """/healthz latency while heavy lists run, and what those lists were answered."""

    def organizations(count: int) -> str:
        query = urllib.parse.urlencode([("organization_id", f"syn1-o{i}") for i in range(count)])
        return f"{base}/api/v1/projects?{query}"

    loads = [organizations(300)] * 4 + [organizations(100)] * 4
    loads += [f"{base}/api/v1/projects?district_id=syn1-d{i % 30}" for i in range(20)]
    stop = time.monotonic() + seconds
    statuses: dict[str, list[int]] = {"300 values": [], "100 values": [], "one value": []}

    def client(url: str, kind: str) -> None:
        while time.monotonic() < stop:
            statuses[kind].append(get(url, fresh=True))

    kinds = ["300 values"] * 4 + ["100 values"] * 4 + ["one value"] * 20
    threads = [
        threading.Thread(target=client, args=pair) for pair in zip(loads, kinds, strict=True)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1)
    latencies = []
    while time.monotonic() < stop:
        started = time.monotonic()
        get(base + "/healthz", timeout=30)
        latencies.append(time.monotonic() - started)
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "healthz_samples": len(latencies),
        "healthz_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "healthz_max_ms": round(latencies[-1] * 1000, 1),
        "answers": {
            kind: {str(code): codes.count(code) for code in sorted(set(codes))}
            for kind, codes in statuses.items()
        },
    }


def slow_csv(base: str, *, rate: int) -> dict[str, object]:
    """The CSV of every project read at `rate` bytes a second."""
    address = urllib.parse.urlsplit(base)
    chunk = max(1024, rate // 20)
    received = bytearray()
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=120) as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, chunk)
        request = "GET /api/v1/projects?format=csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        connection.sendall(request.encode())
        while data := connection.recv(chunk):
            received += data
            behind = len(received) / rate - (time.monotonic() - started)
            if behind > 0:
                time.sleep(behind)
    seconds = time.monotonic() - started
    head, _, rest = bytes(received).partition(b"\r\n\r\n")
    body, complete = bytearray(), False
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line or b"0", 16)
        if size == 0:
            complete = size_line == b"0"
            break
        body += rest[:size]
        rest = rest[size + 2 :]
    rows = sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig", "replace")))) - 1
    return {
        "status": head.split(b" ", 2)[1].decode() if head else "none",
        "rows": rows,
        "ended_cleanly": complete,
        "seconds": round(seconds, 1),
        "bytes": len(body),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--before", type=Path, help="a checkout of the code before the fixes")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=int, default=300_000, help="CSV reading speed, bytes/s")
    arguments = parser.parse_args()
    trees = [("before", arguments.before)] if arguments.before else []
    trees.append(("after", ROOT))
    results: dict[str, dict[str, object]] = {}
    for name, tree in trees:
        with serving(tree, database(tree, name, arguments.projects)) as base:
            results[name] = {
                "liveness": liveness(base, seconds=arguments.seconds),
                "slow_csv": slow_csv(base, rate=arguments.rate),
            }
        print(name, results[name], flush=True)
    lines = [
        "# Hardening measures (bench/hardening.py)",
        "",
        f"{dt.date.today()}; SQLite; {arguments.projects:,} synthetic projects; `citykb serve` "
        f"as shipped; command: `{' '.join(['python', 'bench/hardening.py', *sys.argv[1:]])}`",
        "",
        "| tree | /healthz p50 | /healthz max | answers to the lists meanwhile | CSV read at "
        f"{arguments.rate // 1000} KB/s at most |",
        "|---|---|---|---|---|",
    ]
    for name, result in results.items():
        live, csv_ = result["liveness"], result["slow_csv"]
        assert isinstance(live, dict)
        assert isinstance(csv_, dict)
        ending = "ended cleanly" if csv_["ended_cleanly"] else "cut short"
        answers = live["answers"]
        assert isinstance(answers, dict)
        load = "; ".join(
            f"{kind}: " + ", ".join(f"{count:,}× {code}" for code, count in codes.items())
            for kind, codes in answers.items()
        )
        effective = int(csv_["bytes"]) / float(csv_["seconds"]) / 1000
        lines.append(
            f"| {name} | {live['healthz_p50_ms']} ms | {live['healthz_max_ms']} ms | {load} | "
            f"{csv_['status']}, {csv_['rows']:,} rows, {int(csv_['bytes']):,} bytes in "
            f"{csv_['seconds']} s ({effective:.0f} KB/s), {ending} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hardening.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
