"""What a read runs on: a plain connection on the event loop, a session elsewhere."""

from sqlalchemy import Connection
from sqlalchemy.orm import Session

Reader = Session | Connection


def connection_of(reader: Reader) -> Connection:
    """The connection under a reader, for Core statements."""
    return reader if isinstance(reader, Connection) else reader.connection()
