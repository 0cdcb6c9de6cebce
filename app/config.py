from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every setting CityKB reads, from the environment or a `.env` file."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./citykb.db"
    seed_path: Path = PROJECT_ROOT / "seed" / "changzhou-2025-11-26.yaml"
    cursor_secret: str = "citykb-cursor-v1"
    """Signs pagination cursors; set the same value on every replica."""
    cors_origins: list[str] = ["*"]
    log_level: str = "info"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return Settings()
