import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import ApiKey, Scope

TOKEN_PREFIX = "ckb_"


def _hash(token: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough, and lets every request check one.
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_key(*, session: Session, name: str, scope: Scope) -> tuple[ApiKey, str]:
    """Create a key; return it with its token, which is not stored and cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, scope=scope, token_hash=_hash(token), created_at=_now())
    session.add(key)
    session.flush()
    return key, token


def list_keys(*, session: Session) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def get_key_by_name(*, session: Session, name: str) -> ApiKey | None:
    """Return the key with this name, or None."""
    return session.scalar(select(ApiKey).where(ApiKey.name == name))


def revoke_key(*, session: Session, key: ApiKey) -> None:
    """Revoke a key: it is refused from now on; its history stays attributed to it."""
    if key.revoked_at is None:
        key.revoked_at = _now()


def authenticate(*, session: Session, token: str) -> ApiKey | None:
    """The live key this token belongs to (a read only); None for any other token."""
    key = session.scalar(select(ApiKey).where(ApiKey.token_hash == _hash(token)))
    if key is None or key.revoked_at is not None:
        return None
    return key


USE_RECORDED_EVERY = dt.timedelta(minutes=1)
"""How precisely a key's last use is kept: a key used again within this is not rewritten."""


def record_use(*, session: Session, key: ApiKey) -> None:
    """Record that the key is used now, in the session's (write) transaction, unless its last
    use is recorded as less than `USE_RECORDED_EVERY` ago."""
    now, last = _now(), key.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite keeps no zone; every time is UTC
        last = last.replace(tzinfo=dt.UTC)
    if last is None or now - last >= USE_RECORDED_EVERY:
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
