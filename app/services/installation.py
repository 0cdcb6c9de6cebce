"""Values an installation generates for itself once, kept in its database for every process."""

import secrets

from sqlalchemy import Connection, insert, select

from app.config import get_settings
from app.errors import unavailable
from app.models import InstallationSetting
from app.reader import Reader, connection_of

CURSOR_KEY = "cursor_key"
_table = InstallationSetting.__table__
_CURSOR_KEY_SQL = select(_table.c.value).where(_table.c.name == CURSOR_KEY)
_cursor_keys: dict[str, bytes] = {}
"""Per database: the key is made once and never changes, so each process reads it once."""


def new_cursor_key() -> str:
    """A fresh random key for signing cursors."""
    return secrets.token_urlsafe(32)


def ensure_cursor_key(*, connection: Connection) -> None:
    """Give the installation a cursor key of its own, unless it has one."""
    if connection.scalar(_CURSOR_KEY_SQL) is None:
        setting = insert(InstallationSetting).values(name=CURSOR_KEY, value=new_cursor_key())
        connection.execute(setting)


def cursor_key(*, session: Reader) -> bytes:
    """The key that signs this installation's cursors: `CURSOR_SECRET` when it is set, else
    the key generated for the installation and kept in its database."""
    configured = get_settings().cursor_secret
    if configured:
        return configured.encode()
    connection = connection_of(session)
    database = connection.engine.url.render_as_string(hide_password=False)
    key = _cursor_keys.get(database)
    if key is None:
        value = connection.scalar(_CURSOR_KEY_SQL)
        if value is None:
            raise unavailable(
                "The database is not prepared (no cursor key): run `citykb db upgrade`."
            )
        key = _cursor_keys[database] = value.encode()
    return key
