import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import SLUG_LENGTH, SUBJECT_TYPE_LENGTH, Base
from app.models.enums import enum_column


class Action(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"


class RecordHistory(Base):
    """One change to a record: who made it, when, and the record before and after."""

    __tablename__ = "record_history"
    __table_args__ = (Index(None, "subject_type", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(SUBJECT_TYPE_LENGTH))
    subject_id: Mapped[str] = mapped_column(String(SLUG_LENGTH))
    action: Mapped[Action] = mapped_column(enum_column(Action, "history_action"))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
