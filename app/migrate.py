from alembic import command
from alembic.config import Config

from app.config import PROJECT_ROOT


def alembic_config() -> Config:
    """Alembic's configuration for this project's migrations; the URL comes from Settings."""
    config = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def upgrade_database(revision: str = "head") -> None:
    """Migrate the configured database up to `revision`."""
    command.upgrade(alembic_config(), revision)


def downgrade_database(revision: str) -> None:
    """Migrate the configured database down to `revision`."""
    command.downgrade(alembic_config(), revision)
