from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every setting CityKB reads, from the environment or a `.env` file."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./citykb.db"
    seed_path: Path = PROJECT_ROOT / "seed" / "changzhou-2025-11-26.yaml"
    cursor_secret: str | None = None
    """Signs pagination cursors. Unset, each installation generates a key of its own when it
    is migrated and keeps it in its database, where every worker and replica reads it."""
    cors_origins: list[str] = ["*"]
    log_level: str = "info"
    access_log: bool = False
    """One line per request on the log. Off, no request pays for it."""
    statement_timeout_ms: int = 5000
    """Any single SQL statement running longer is cancelled and the request gets a 503."""
    connect_timeout_s: int = 3
    """How long to wait for a PostgreSQL connection before answering 503."""
    database_pool_size: int = 20
    """PostgreSQL connections each worker opens and keeps for the requests its worker threads
    serve; more requests at once wait for one (up to `connect_timeout_s`). A connection opened
    past the pool and closed after would be a server process started and ended under load.
    Whole CSV downloads, which hold theirs as long as their clients read, take at most half."""
    write_rate_per_minute: int = 120
    """Writes each API key may make per minute, across every process and replica sharing the
    database; more get a 429."""
    header_timeout_s: float = 10.0
    """How long a client has to send a request's headers, from connecting or from the previous
    answer; a slower one gets a 408 and the connection closes (app/server.py)."""
    body_timeout_s: float = 30.0
    """How long a client has to send a request's body, once its headers have arrived; a slower
    one gets a 408 and the connection closes (app/limits.py)."""
    prepare_on_start: bool = True
    """Migrate, and seed an empty database, when the server starts (retried until it works)."""
    response_cache_mb: int = 32
    """Memory for whole responses to reads, kept per revision (app/cache.py); 0 turns it off."""


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return Settings()
