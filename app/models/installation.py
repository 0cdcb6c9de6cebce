from sqlalchemy import Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class InstallationSetting(Base):
    """A value this installation generated for itself and every process shares, such as the
    key that signs pagination cursors when none is configured."""

    __tablename__ = "installation_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RateBucket(Base):
    """One API key's token bucket for writes, kept in the database so that every worker and
    replica spends from the same one."""

    __tablename__ = "rate_buckets"

    key_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    """When `tokens` was last worked out, in seconds since the epoch."""
