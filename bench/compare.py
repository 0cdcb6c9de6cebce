"""This working tree against an earlier revision: perf.py's CityKB scenarios, side by side.

`bench/perf.sh --baseline REV [--projects N] [load options]` runs it. The baseline is checked
out into a git worktree, bench/.baseline/<commit>, with a virtual environment of its own
(`pip install -e` of that worktree); both are made once and reused. One SQLite file of N
synthetic projects is built once (by perf.py, kept in bench/.data/) and each side serves a copy
of it with `citykb serve` from its own environment, the same settings for both. One server runs
at a time, pinned to core 0, and wrk drives it from core 1. For each scenario the two sides
alternate, a fresh server each time, the order flipping every round (A B, B A, ...), so the
noise of the machine falls on both alike. It prints, and writes to bench/results/compare.md
(and .json), the median of the rounds for each side and the ratio current/baseline."""

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from perf import (
    DATA,
    LOAD_CORE,
    PORT,
    RESULTS,
    ROOT,
    SERVER_CORE,
    Measure,
    deep_cursor,
    district_ids,
    drive,
    load_options,
    machine,
    peak_rss_mb,
    prepare_database,
    running,
    scenarios,
)

BASELINES = ROOT / "bench" / ".baseline"
DEEP_PAGE = 500
"""The page perf.py's `page 500` scenario reads, at 20 a page: N must be 10,000 or more."""


@dataclass
class Side:
    name: str
    """"baseline" or "current"."""
    label: str
    """The revision, for the report."""
    citykb: Path
    """The `citykb` script of the side's virtual environment."""
    commit: str | None
    """None for the working tree."""
    database: Path = Path()
    """The side's copy of the database file."""


def git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def checked_out(revision: str, name: str) -> Side:
    """A side running `revision`: a worktree of it under bench/.baseline/, installed in a
    virtual environment of its own; both are made the first time and reused after."""
    commit = git("rev-parse", "--verify", f"{revision}^{{commit}}")
    tree = BASELINES / commit[:12]
    if not (tree / ".git").exists():
        BASELINES.mkdir(parents=True, exist_ok=True)
        git("worktree", "prune")
        git("worktree", "add", "--detach", str(tree), commit)
    if git("rev-parse", "HEAD", cwd=tree) != commit:
        raise SystemExit(f"{tree} is not at {commit}: remove it (git worktree remove) and rerun")
    venv = tree / ".venv"
    if not (venv / "bin" / "citykb").exists():
        # The interpreter the project's own environment was made from: the same Python.
        python = sys._base_executable  # type: ignore[attr-defined]
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        subprocess.run([venv / "bin" / "pip", "install", "--quiet", "-e", str(tree)], check=True)
    label = f"`{revision}` = {commit[:7]} ({git('log', '-1', '--format=%s', commit)})"
    return Side(name, label, venv / "bin" / "citykb", commit)


def working_tree(python: str) -> Side:
    """The current side by default: this working tree, in the project's own environment."""
    head = git("rev-parse", "HEAD")
    changed = git("status", "--porcelain", "--", ".", ":!bench")
    label = f"the working tree at {head[:7]} ({git('log', '-1', '--format=%s')})" + (
        ", with uncommitted changes outside bench/" if changed else ", nothing uncommitted"
    )
    # Absolute, since the servers run elsewhere; not resolved, which would leave the venv.
    return Side("current", label, Path(python).absolute().parent / "citykb", None)


def same_migrations(baseline: Side, current: Side) -> bool:
    """Whether both sides have the same migrations, so that one file serves both."""
    assert baseline.commit is not None
    revisions = [baseline.commit] + ([current.commit] if current.commit else [])
    changed = subprocess.run(["git", "diff", "--quiet", *revisions, "--", "migrations"], cwd=ROOT)
    untracked = git("ls-files", "--others", "--exclude-standard", "--", "migrations")
    return changed.returncode == 0 and not (untracked and current.commit is None)


def dataset(side: Side, args: argparse.Namespace) -> Path:
    """A SQLite file of the seed and N synthetic projects made by the side's code, kept in
    bench/.data/: for the working tree, perf.py's own (citykb-N.db)."""
    if side.commit is None:
        _, path = prepare_database("sqlite", args.projects, args)
        assert path is not None
        return path
    path = DATA / f"citykb-{side.commit[:12]}-{args.projects}.db"
    done = path.with_suffix(".done")
    if not done.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        for stale in DATA.glob(f"{path.name}*"):
            stale.unlink()
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
        synth = ["synth", "--projects", str(args.projects)]
        for command in (["db", "upgrade"], ["seed"], synth):
            subprocess.run([side.citykb, *command], cwd=DATA, env=env, check=True)
        done.touch()
    return path


def copy_database(source: Path, target: Path) -> None:
    """A copy of the SQLite file, its write-ahead log checkpointed into it first."""
    with closing(sqlite3.connect(source)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for stale in target.parent.glob(f"{target.name}*"):
        stale.unlink()
    shutil.copyfile(source, target)


def give_databases(baseline: Side, current: Side, args: argparse.Namespace) -> None:
    """Each side a copy of one dataset, built by the current side's code; or, where the
    migrations differ, the baseline its own, built by its code."""
    source = dataset(current, args)
    if same_migrations(baseline, current):
        baseline_source = source
    else:
        print("The migrations differ: the baseline's database is built by the baseline's code.")
        baseline_source = dataset(baseline, args)
    for side, path in ((baseline, baseline_source), (current, source)):
        side.database = DATA / f"compare-{side.name}-{args.projects}.db"
        copy_database(path, side.database)


@contextmanager
def serve(side: Side) -> Iterator[int]:
    """`citykb serve` from the side's environment, as a user starts it, on PORT; ready once
    `/readyz` answers 200. Both run in bench/.data/, where no `.env` file adds settings."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{side.database}", "LOG_LEVEL": "warning"}
    command = [str(side.citykb), "serve", "--port", str(PORT)]
    with running(command, env, side.name, ready="/readyz", cwd=DATA) as pid:
        yield pid


def report(result: dict, args: argparse.Namespace) -> str:  # type: ignore[type-arg]
    lines = [
        f"Baseline: {result['baseline']}. Current: {result['current']}.",
        "",
        f"Run {result['date']} UTC on {machine()}; SQLite, {args.projects:,} synthetic projects, "
        f"one file, a copy for each side; `citykb serve` from each side's environment "
        f"(LOG_LEVEL=warning), one at a time on core {SERVER_CORE}, a fresh server for each "
        f"measurement; wrk -t1 -c{args.connections} on core {LOAD_CORE}, {args.warmup} s warm-up "
        f"+ {args.duration} s; {args.rounds} rounds a scenario, baseline and current alternating, "
        "the order flipping each round; medians of the rounds.",
        "",
        "| scenario | baseline req/s | current req/s | current/baseline | each round | "
        "baseline p99 ms | current p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in result["rows"].items():
        base, current = row["baseline"], row["current"]
        rounds = ", ".join(f"{ratio:.2f}" for ratio in row["round_ratios"])
        lines.append(
            f"| {name} | {base['rps']:,.0f} | {current['rps']:,.0f} | {row['ratio']:.3f} | "
            f"{rounds} | {base['p99_ms']:.2f} | {current['p99_ms']:.2f} | "
            f"{base['errors']} / {current['errors']} |"
        )
    lowest = min(result["rows"], key=lambda name: result["rows"][name]["ratio"])
    lines += [
        "",
        f"Lowest ratio: {result['rows'][lowest]['ratio']:.3f} ({lowest}). Peak RSS: baseline "
        f"{result['peak_rss_mb']['baseline']:.0f} MB, current "
        f"{result['peak_rss_mb']['current']:.0f} MB. Ratios are only as steady as the rounds "
        "are: compare them with the spread of each round's ratio.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", required=True, help="a git revision, e.g. HEAD~3 or a tag")
    parser.add_argument(
        "--current", help="a git revision to run as the current side (default: the working tree)"
    )
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--python", default=sys.executable, help="the working tree's Python")
    parser.add_argument("--output", type=Path, default=RESULTS / "compare.md")
    load_options(parser)
    args = parser.parse_args()
    if args.projects < DEEP_PAGE * 20:
        parser.error(f"--projects must be {DEEP_PAGE * 20:,} or more (the page 500 scenario)")
    if args.rounds < 2:
        parser.error("--rounds must be 2 or more")

    baseline = checked_out(args.baseline, "baseline")
    current = checked_out(args.current, "current") if args.current else working_tree(args.python)
    sides = [baseline, current]
    give_databases(baseline, current, args)
    districts = district_ids(f"sqlite:///{current.database}", args)
    plans = {}
    for side in sides:  # each side walks to its own deep cursor
        with serve(side):
            deep = deep_cursor(DEEP_PAGE)
        plan = scenarios(args.projects, districts, deep, with_peer=False, with_anchor=False)
        plans[side.name] = [scenario for scenario in plan if scenario.server == "citykb"]
    names = [scenario.name for scenario in plans["current"]]
    measures = {(side.name, name): Measure() for side in sides for name in names}
    rss = {side.name: 0.0 for side in sides}
    for index, name in enumerate(names):
        for round_number in range(args.rounds):
            for side in sides if round_number % 2 == 0 else sides[::-1]:
                with serve(side) as pid:
                    rps, p50, p99, errors = drive(
                        plans[side.name][index], args, seed=round_number + 1
                    )
                    rss[side.name] = max(rss[side.name], peak_rss_mb(pid))
                measures[side.name, name].add(rps, p50, p99, errors)
                print(f"{name} round {round_number + 1} {side.name}: {rps:.0f}/s "
                      f"p50 {p50:.2f} ms p99 {p99:.2f} ms errors {errors}", flush=True)  # fmt: skip

    rows: dict[str, dict] = {}  # type: ignore[type-arg]
    for name in names:
        base, current_measure = measures["baseline", name], measures["current", name]
        rows[name] = {
            side: {
                "rps": statistics.median(measure.rps),
                "p50_ms": statistics.median(measure.p50_ms),
                "p99_ms": statistics.median(measure.p99_ms),
                "errors": measure.errors,
                "rounds_rps": measure.rps,
            }
            for side, measure in (("baseline", base), ("current", current_measure))
        }
        rows[name]["ratio"] = rows[name]["current"]["rps"] / rows[name]["baseline"]["rps"]
        rows[name]["round_ratios"] = [
            c / b for c, b in zip(current_measure.rps, base.rps, strict=True)
        ]
    result = {
        "date": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        "baseline": baseline.label,
        "current": current.label,
        "projects": args.projects,
        "rows": rows,
        "peak_rss_mb": rss,
    }
    text = report(result, args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n")
    args.output.with_suffix(".json").write_text(json.dumps(result, indent=1))
    print(text)


if __name__ == "__main__":
    main()
