"""Desk users, roles and API tokens. Passwords are hashed with Argon2; API tokens are random
and only their SHA-256 is stored, so a leaked database leaks neither."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from socialcare.errors import InputError, NotFoundError
from socialcare.store.tables import api_tokens, app_secrets, desk_sessions, users
from socialcare.stream.schema import utcnow

ROLES = ("agent", "admin", "analyst")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_hasher = PasswordHasher()


class UserError(InputError):
    pass


@dataclass(frozen=True)
class User:
    name: str
    role: str


DEFAULT_CAPACITY = 5
PRESENCE = ("online", "away", "offline")
_SKILL = re.compile(r"^[a-z0-9][a-z0-9_+-]{0,31}$")


def skills_of(text: str | list[str] | None) -> list[str]:
    """Skills from `es,urgent` (or a list): lowercase, sorted, each checked."""
    items = text.split(",") if isinstance(text, str) else list(text or [])
    out = sorted({s.strip().lower() for s in items if s.strip()})
    bad = [s for s in out if not _SKILL.match(s)]
    if bad:
        raise UserError(f"a skill is 1-32 letters, digits, _ + - (like es, urgent): not {bad[0]!r}")
    return out


def _capacity(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 1000:
        raise UserError("capacity is 0-1000 open cases")
    return value


def add_user(
    engine: Engine,
    name: str,
    role: str,
    password: str,
    capacity: int | None = None,
    skills: str | list[str] | None = None,
) -> User:
    if not _NAME.match(name):
        raise UserError(
            "a user name is 1-64 letters, digits, _ . @ - (starting with a letter or digit)"
        )
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    _check_password(password)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(users).values(
                    name=name,
                    role=role,
                    created_at=utcnow(),
                    password_hash=_hasher.hash(password),
                    disabled=False,
                    presence="offline",
                    capacity=_capacity(capacity),
                    skills=skills_of(skills),
                )
            )
    except IntegrityError:
        raise UserError(f"user {name!r} exists already") from None
    return User(name, role)


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise UserError("a password needs at least 10 characters")


def get_user(engine: Engine, name: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(users.c.name, users.c.role).where(
                users.c.name == name, users.c.disabled.is_(False)
            )
        ).first()
    return User(row.name, row.role) if row else None


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            {
                "name": r.name,
                "role": r.role,
                "disabled": r.disabled,
                "presence": r.presence or "offline",
                "capacity": DEFAULT_CAPACITY if r.capacity is None else r.capacity,
                "skills": list(r.skills or []),
            }
            for r in conn.execute(select(users).order_by(users.c.name))
        ]


def set_agent(
    engine: Engine, name: str, capacity: int | None = None, skills: str | list[str] | None = None
) -> None:
    """Change an agent's capacity and/or skills (None: unchanged)."""
    _known(engine, name)
    values: dict = {}
    if capacity is not None:
        values["capacity"] = _capacity(capacity)
    if skills is not None:
        values["skills"] = skills_of(skills)
    if values:
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.name == name).values(**values))


def presence_of(engine: Engine, name: str) -> str:
    with engine.connect() as conn:
        return (
            conn.execute(select(users.c.presence).where(users.c.name == name)).scalar() or "offline"
        )


def seen(engine: Engine, name: str) -> None:
    """The user's desk made a request now (an idle desk turns away: route/assigner.py)."""
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.name == name).values(last_seen_at=utcnow()))


def authenticate(engine: Engine, name: str, password: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(users).where(users.c.name == name, users.c.disabled.is_(False))
        ).first()
    if row is None:
        _hasher.hash(password)  # spend the same time as a real check
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(row.name, row.role)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id(digest: str) -> str:
    """A token's public id: the start of its hash (enough to name it, useless to use it)."""
    return digest[:12]


def create_token(engine: Engine, name: str, expires_in: timedelta | None = None) -> str:
    """A new API token for `name` (only its hash is kept); it expires after `expires_in`."""
    if get_user(engine, name) is None:
        raise UserError(f"no user {name!r}; add one with `socialcare user add`")
    token = "sc_" + secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(api_tokens).values(
                token_hash=token_hash(token),
                user=name,
                created_at=now,
                expires_at=now + expires_in if expires_in else None,
            )
        )
    return token


def user_for_token(engine: Engine, token: str) -> User | None:
    if not token.startswith("sc_") or len(token) > 100:
        return None
    with engine.connect() as conn:  # one query: every API request of the desk asks this
        row = conn.execute(
            select(users.c.name, users.c.role, api_tokens.c.expires_at)
            .join(users, users.c.name == api_tokens.c.user)
            .where(api_tokens.c.token_hash == token_hash(token), users.c.disabled.is_(False))
        ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return User(row.name, row.role)


def list_tokens(engine: Engine, name: str) -> list[dict]:
    """A user's tokens: id, created, expires (never the token)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(api_tokens).where(api_tokens.c.user == name).order_by(api_tokens.c.created_at)
        ).all()
    now = utcnow()
    return [
        {
            "id": token_id(r.token_hash),
            "user": r.user,
            "created_at": r.created_at.isoformat(),
            "expires_at": r.expires_at.isoformat() if r.expires_at else None,
            "expired": r.expires_at is not None and r.expires_at <= now,
        }
        for r in rows
    ]


def revoke_token(engine: Engine, tid: str) -> str:
    """Revoke the token whose id is `tid`; returns its user."""
    tid = tid.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{12}", tid):
        raise UserError("a token id is the 12 characters `socialcare token list` shows")
    with engine.begin() as conn:
        row = conn.execute(
            select(api_tokens.c.token_hash, api_tokens.c.user).where(
                api_tokens.c.token_hash.startswith(tid)
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no token {tid}; see `socialcare token list NAME`")
        conn.execute(delete(api_tokens).where(api_tokens.c.token_hash == row.token_hash))
    return row.user


def _known(engine: Engine, name: str) -> None:
    with engine.connect() as conn:
        if conn.execute(select(users.c.name).where(users.c.name == name)).first() is None:
            raise NotFoundError(f"no user {name!r}")


def disable_user(engine: Engine, name: str) -> None:
    """The user can no longer sign in, and their sessions and API tokens stop working at once
    (tokens work again if the user is enabled; revoke them to end them for good)."""
    _known(engine, name)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.name == name).values(disabled=True))
        conn.execute(delete(desk_sessions).where(desk_sessions.c.user == name))


def enable_user(engine: Engine, name: str) -> None:
    _known(engine, name)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.name == name).values(disabled=False))


def set_password(engine: Engine, name: str, password: str) -> None:
    """A new password; every session of the user ends."""
    _known(engine, name)
    _check_password(password)
    with engine.begin() as conn:
        conn.execute(
            update(users).where(users.c.name == name).values(password_hash=_hasher.hash(password))
        )
        conn.execute(delete(desk_sessions).where(desk_sessions.c.user == name))


def set_role(engine: Engine, name: str, role: str) -> None:
    _known(engine, name)
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.name == name).values(role=role))


def session_secret(engine: Engine) -> str:
    """One secret for signing desk sessions, made on first use and shared by every desk
    replica through the store."""
    with engine.begin() as conn:
        value = conn.execute(
            select(app_secrets.c.value).where(app_secrets.c.key == "session")
        ).scalar()
        if value is None:
            value = secrets.token_urlsafe(48)
            try:
                with conn.begin_nested():
                    conn.execute(insert(app_secrets).values(key="session", value=value))
            except IntegrityError:
                value = conn.execute(
                    select(app_secrets.c.value).where(app_secrets.c.key == "session")
                ).scalar()
    return value


def first_admin(engine: Engine, note: Path) -> str | None:
    """On a desk with no users at all, make an admin `admin` with a random password, write the
    login to `note` (mode 0600) and return it as "name / password"; otherwise None."""
    with engine.connect() as conn:
        if conn.execute(select(users.c.name).limit(1)).first() is not None:
            return None
    password = secrets.token_urlsafe(12)
    add_user(engine, "admin", "admin", password)
    note.write_text(f"desk login: admin / {password}\n")
    note.chmod(0o600)
    return f"admin / {password}"
