from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import get_engine
from app.migrate import upgrade_database
from app.models import Source
from app.seeding import SeedError, seed_database

cli = typer.Typer(
    help="CityKB: a cited knowledge base of a city's development.", no_args_is_help=True
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


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
    upgrade_database(revision)


@cli.command()
def seed(
    path: Annotated[
        Path | None, typer.Option(help="Seed file; default: the bundled Changzhou report.")
    ] = None,
) -> None:
    """Load the seed file; records already present are updated, a second run changes nothing."""
    _seed(path or get_settings().seed_path)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Migrate, seed an empty database, then serve the API."""
    upgrade_database()
    with Session(get_engine()) as session:
        empty = session.scalar(select(Source.id).limit(1)) is None
    if empty:
        _seed(get_settings().seed_path)
    settings = get_settings()
    uvicorn.run("app.main:app", host=host, port=port, workers=workers, log_level=settings.log_level)


def main() -> None:
    cli()
