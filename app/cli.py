import logging
import sys
import time
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
import uvicorn
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import WRITE_OPTION, get_engine, make_engine
from app.errors import AppError
from app.migrate import downgrade, prepare, upgrade
from app.models import Scope
from app.services.coverage import LedgerError, check_source
from app.services.export import ExportFormat, write_export
from app.services.importing import ImportProblemError, import_records
from app.services.keys import create_key, get_key_by_name, list_keys, revoke_key
from app.services.plans import query_plans, row_counts
from app.services.seed_file import SeedError
from app.services.seeding import seed_database
from app.services.source_texts import register_text
from app.services.synth import AlreadySynthesizedError, Plan, synthesize

cli = typer.Typer(
    help="CityKB: a cited knowledge base of a city's development.", no_args_is_help=True
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
keys_cli = typer.Typer(help="API keys for curators and administrators.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")
sources_cli = typer.Typer(help="Sources and their text.", no_args_is_help=True)
cli.add_typer(sources_cli, name="sources")


def _seed(path: Path) -> None:
    try:
        with Session(get_engine()) as session, session.begin():
            report = seed_database(session=session, path=path)
    except SeedError as error:
        typer.echo(f"seed file {path} breaks these rules:", err=True)
        for problem in error.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
    typer.echo(report.summary())


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the database (DATABASE_URL) to the latest schema."""
    upgrade(get_engine(), revision)


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision.")]) -> None:
    """Migrate the database (DATABASE_URL) down to a revision (`base` empties it)."""
    downgrade(get_engine(), revision)


@cli.command()
def seed(
    path: Annotated[
        Path | None, typer.Option(help="Seed file; default: the bundled Changzhou report.")
    ] = None,
) -> None:
    """Load the seed file; records already present are updated, a second run changes nothing."""
    _seed(path or get_settings().seed_path)


class HttpParser(StrEnum):
    httptools = "httptools"
    h11 = "h11"


class EventLoop(StrEnum):
    uvloop = "uvloop"
    asyncio = "asyncio"


PROTOCOLS = {
    HttpParser.httptools: "app.server:GuardedHttpToolsProtocol",
    HttpParser.h11: "app.server:GuardedH11Protocol",
}


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    http: Annotated[
        HttpParser, typer.Option(help="HTTP parser: httptools (C), or h11 (pure Python).")
    ] = HttpParser.httptools,
    loop: Annotated[
        EventLoop, typer.Option(help="Event loop: uvloop (libuv), or asyncio's own.")
    ] = EventLoop.uvloop,
) -> None:
    """Serve the API; it migrates, and seeds an empty database, as it starts.

    The server answers even while the database is down (`/readyz` is 503 until it is back).
    `ACCESS_LOG=true` logs one line per request."""
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s:     %(message)s")
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=settings.access_log,
        http=PROTOCOLS[http],
        loop=loop.value,
    )


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who or what the key is for; unique.")],
    scope: Annotated[Scope, typer.Option(help="curator: write records; admin: also import.")],
) -> None:
    """Create a key and print its token, once, on the last line."""
    with Session(get_engine()) as session, session.begin():
        if get_key_by_name(session=session, name=name) is not None:
            typer.echo(f"a key named {name!r} exists already", err=True)
            raise typer.Exit(1)
        key, token = create_key(session=session, name=name, scope=scope)
        typer.echo(f"created key {key.name!r} with scope {key.scope.value}; its token, shown once:")
    typer.echo(token)


@keys_cli.command("list")
def keys_list() -> None:
    """List the keys: name, scope, created, last used, revoked."""
    with Session(get_engine()) as session:
        for key in list_keys(session=session):
            typer.echo(
                "\t".join(
                    [
                        key.name,
                        key.scope.value,
                        f"created {key.created_at:%Y-%m-%dT%H:%M:%SZ}",
                        f"last used {key.last_used_at:%Y-%m-%dT%H:%M:%SZ}"
                        if key.last_used_at
                        else "never used",
                        f"revoked {key.revoked_at:%Y-%m-%dT%H:%M:%SZ}"
                        if key.revoked_at
                        else "live",
                    ]
                )
            )


@keys_cli.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key; requests with it are refused from now on."""
    with Session(get_engine()) as session, session.begin():
        key = get_key_by_name(session=session, name=name)
        if key is None:
            typer.echo(f"no key named {name!r}", err=True)
            raise typer.Exit(1)
        revoke_key(session=session, key=key)
    typer.echo(f"revoked key {name!r}")


@cli.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="A seed file (YAML or JSON) or JSON Lines.")],
    dry_run: Annotated[bool, typer.Option(help="Check and count; write nothing.")] = False,
) -> None:
    """Import records, all or nothing: a problem anywhere, named by line and field, changes
    nothing; so does a process stopped part way."""
    text = path.read_text(encoding="utf-8")
    engine = make_engine(get_settings().database_url, statement_timeout_ms=3_600_000)
    with Session(engine) as session, session.begin():
        if not dry_run:
            # The write lock up front (SQLite: BEGIN IMMEDIATE): an API write committing between
            # the import's reads and its first write would otherwise fail it as "locked".
            session.connection(execution_options={WRITE_OPTION: True})
        bar: Any = None

        def validated(records: int) -> None:
            nonlocal bar
            typer.echo(f"import: {records} records valid; writing", err=True)
            bar = typer.progressbar(length=records, label="import", file=sys.stderr)
            bar.__enter__()

        try:
            report = import_records(
                session=session,
                text=text,
                actor="citykb import",
                dry_run=dry_run,
                on_validated=validated,
                progress=lambda: bar.update(1),
            )
        except ImportProblemError as error:
            typer.echo(f"{path} was not imported; it breaks these rules:", err=True)
            for problem in error.problems:
                typer.echo(f"  {problem}", err=True)
            raise typer.Exit(1) from None
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    prefix = "dry run, nothing written: would be " if dry_run else ""
    typer.echo(prefix + report.summary().replace("seed: ", "import: "))


@cli.command("export")
def export(
    export_format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="sqlite: one SQLite database; zip: a CSV per table and datapackage.json.",
        ),
    ] = ExportFormat.sqlite,
    output: Annotated[
        Path | None,
        typer.Option(help="The file to write; default: citykb-<revision>.<format> here."),
    ] = None,
) -> None:
    """Write the whole knowledge base to one file, from one snapshot of the database: a table
    per collection, its links, and every citation. The file appears only once it is whole."""
    folder = Path.cwd() if output is None else output.parent
    partial = folder / f".citykb-export-{uuid.uuid4().hex}.part"

    def progress(table: str, rows: int) -> None:
        typer.echo(f"export: {table}: {rows} row{'' if rows == 1 else 's'}", err=True)

    try:
        with Session(get_engine()) as session:
            revision = write_export(
                session=session, export_format=export_format, path=partial, progress=progress
            )
        target = output or folder / f"citykb-{revision}.{export_format}"
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    typer.echo(f"exported revision {revision} to {target}")


@sources_cli.command("text")
def sources_text(
    source_id: Annotated[str, typer.Argument(help="The source's id.")],
    path: Annotated[Path, typer.Argument(help="Its text, UTF-8, one paragraph a line.")],
) -> None:
    """Register a source's text, which every quote citing it is checked against; it is refused
    unless its lines number the source's paragraphs and hold every quote already citing it.
    The database is migrated, and seeded if empty, first."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        typer.echo(f"cannot read {path} as UTF-8 text: {error}", err=True)
        raise typer.Exit(1) from None
    prepare(get_engine(), get_settings().seed_path)
    try:
        with Session(get_engine()) as session, session.begin():
            session.connection(execution_options={WRITE_OPTION: True})
            count = register_text(session=session, source_id=source_id, text=text)
    except AppError as error:
        if not error.errors:
            typer.echo(error.detail, err=True)
        else:
            typer.echo(f"the text of {source_id!r} was not registered:", err=True)
            for problem in error.errors:
                typer.echo(f"  {problem.msg}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"registered the text of {source_id!r}: {count} paragraphs")


@cli.command()
def coverage(
    source_id: Annotated[str, typer.Argument(help="The source's id.")],
    ledger: Annotated[
        Path | None, typer.Option(help="The ledger; default: the seed file's *.ledger.yaml.")
    ] = None,
    text: Annotated[
        Path | None,
        typer.Option(help="The source's text, used for this run if the database has none."),
    ] = None,
) -> None:
    """Check a source paragraph by paragraph against its ledger: each paragraph cited or
    waived, each number held by a figure or record or waived, each entity a record that cites
    it and a search finds; exit 1 on any problem. Nothing is written."""
    ledger_path = ledger or get_settings().seed_path.with_suffix(".ledger.yaml")
    try:
        source_text = None if text is None else text.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        typer.echo(f"cannot read {text} as UTF-8 text: {error}", err=True)
        raise typer.Exit(1) from None
    with Session(get_engine()) as session:
        if source_text is not None:
            session.connection(execution_options={WRITE_OPTION: True})
        try:
            report = check_source(
                session=session, source_id=source_id, ledger_path=ledger_path, text=source_text
            )
        except (LedgerError, AppError) as error:
            problems = error.problems if isinstance(error, LedgerError) else [error.detail]
            for problem in problems:
                typer.echo(problem, err=True)
            raise typer.Exit(1) from None
        finally:
            session.rollback()
    for line in report.lines():
        typer.echo(line)
    if report.problems:
        raise typer.Exit(1)


@cli.command()
def synth(
    projects: Annotated[int, typer.Option(min=1, help="How many synthetic projects.")],
    seed: Annotated[int, typer.Option(help="Same seed, same records.")] = 1,
) -> None:
    """Bulk-load deterministic synthetic records (every collection) for scale tests."""
    # A bulk load runs far longer than any request may: no statement timeout here.
    engine = make_engine(get_settings().database_url, statement_timeout_ms=24 * 3_600_000)
    upgrade(engine)
    started = time.perf_counter()
    with typer.progressbar(length=Plan(projects).total_rows(), label="synth") as bar:
        try:
            counts = synthesize(engine, projects=projects, seed=seed, progress=bar.update)
        except AlreadySynthesizedError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(1) from None
    elapsed = time.perf_counter() - started
    rows = ", ".join(f"{table}: {count}" for table, count in sorted(counts.rows.items()))
    typer.echo(f"synth: {projects} projects in {elapsed:.1f} s ({rows})")


@cli.command()
def explain(
    full_scans_only: Annotated[
        bool, typer.Option(help="Print only plans with a full scan.")
    ] = False,
) -> None:
    """Print the database's plan for every documented list query; exit 1 on a full scan."""
    engine = get_engine()
    typer.echo(f"rows: {row_counts(engine)}")
    plans = query_plans(engine)
    for plan in plans:
        if plan.full_scan or not full_scans_only:
            typer.echo(plan.describe())
    scans = sum(plan.full_scan for plan in plans)
    typer.echo(f"{len(plans)} queries, {scans} with a full scan")
    if scans:
        raise typer.Exit(1)


@cli.command()
def openapi() -> None:
    """Print the OpenAPI document (what `tests/snapshots/openapi.json` keeps)."""
    from app.main import create_app

    document = create_app().openapi()
    typer.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())


def main() -> None:
    cli()
