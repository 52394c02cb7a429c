"""Desk sign-ins kept server side, and sign-in throttling.

A session is a random id in the (signed) cookie whose SHA-256 is a row here: signing out deletes
the row, so an old cookie is refused at once; disabling a user or changing their password deletes
all of theirs. Wrong passwords are counted per account and per address; past the limit, sign-in
is locked for a while (whatever the password), so guessing is slow and a locked account is
visible in the log. Both live in the case store, so several desk processes share them."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update

from socialcare.store.tables import desk_sessions, login_failures
from socialcare.stream.schema import utcnow

log = logging.getLogger(__name__)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def open_session(engine: Engine, user: str, lasts: timedelta) -> str:
    """A new session for `user`; returns the id to keep in the cookie."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(delete(desk_sessions).where(desk_sessions.c.expires_at <= now))
        conn.execute(
            insert(desk_sessions).values(
                id_hash=_digest(sid), user=user, created_at=now, expires_at=now + lasts
            )
        )
    return sid


def session_user(engine: Engine, sid: str) -> str | None:
    """The user a live session belongs to, or None (unknown, ended or expired)."""
    if not sid or len(sid) > 100:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(desk_sessions.c.user, desk_sessions.c.expires_at).where(
                desk_sessions.c.id_hash == _digest(sid)
            )
        ).first()
    if row is None or row.expires_at <= utcnow():
        return None
    return row.user


def close_session(engine: Engine, sid: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(desk_sessions).where(desk_sessions.c.id_hash == _digest(sid)))


class Throttle:
    """Wrong passwords per key ("user:NAME", "addr:IP"): `limit` within `window` locks the key
    for `window`."""

    def __init__(self, engine: Engine, limit: int, window: timedelta) -> None:
        self.engine = engine
        self.limit = limit
        self.window = window

    def locked_until(self, keys: list[str], now: datetime | None = None) -> datetime | None:
        now = now or utcnow()
        with self.engine.connect() as conn:
            until = conn.execute(
                select(login_failures.c.locked_until).where(
                    login_failures.c.key.in_(keys), login_failures.c.locked_until > now
                )
            ).scalars()
            return max(until, default=None)

    def failed(self, keys: dict[str, int], now: datetime | None = None) -> datetime | None:
        """Count a failure against each key (with its own limit); returns when a lock that this
        failure started or extends ends, if any."""
        now = now or utcnow()
        locked: datetime | None = None
        with self.engine.begin() as conn:
            for key, limit in keys.items():
                row = conn.execute(
                    select(login_failures).where(login_failures.c.key == key)
                ).first()
                if row is None or row.first_at < now - self.window:
                    failures, first = 1, now
                    if row is None:
                        conn.execute(
                            insert(login_failures).values(
                                key=key, failures=1, first_at=now, locked_until=None
                            )
                        )
                    else:
                        conn.execute(
                            update(login_failures)
                            .where(login_failures.c.key == key)
                            .values(failures=1, first_at=now, locked_until=None)
                        )
                else:
                    failures, first = row.failures + 1, row.first_at
                    conn.execute(
                        update(login_failures)
                        .where(login_failures.c.key == key)
                        .values(failures=failures)
                    )
                if failures >= limit:
                    until = now + self.window
                    conn.execute(
                        update(login_failures)
                        .where(login_failures.c.key == key)
                        .values(locked_until=until)
                    )
                    log.warning(
                        "sign-in locked for %s until %s (%d failures)", key, until, failures
                    )
                    locked = max(locked, until) if locked else until
                else:
                    log.warning("sign-in failed for %s (%d since %s)", key, failures, first)
        return locked

    def succeeded(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.key == key))
