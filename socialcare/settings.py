"""Every setting socialcare reads, in one typed object, resolved once per process.

Precedence: a command-line option, then the environment (`SOCIALCARE_<FIELD>`, e.g.
SOCIALCARE_KAFKA_REPLICATION), then `HOME/config.toml` (a table's keys are `<table>_<key>`:
`[x] bearer_token` is `x_bearer_token`), then the default. This is the only module that reads
SOCIALCARE_* variables; everything else receives what it needs from a `Settings` (usually through
`socialcare.runtime.Runtime`). `socialcare config show` prints the effective values and where each
came from, with secrets masked.
"""

from __future__ import annotations

import contextvars
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from socialcare.errors import ConfigError, StorageError

if TYPE_CHECKING:  # SQLAlchemy loads only where a store is opened: `classify` never needs it
    from sqlalchemy.engine import URL

ENV_PREFIX = "SOCIALCARE_"
_toml_values: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
    "socialcare_toml", default=None
)


@dataclass(frozen=True)
class NetworkSettings:
    """One network's settings (`[x]`, `[mastodon]`, … or SOCIALCARE_X_…), as its source reads
    them: `get("bearer_token")` is the value or "" (secrets revealed only here)."""

    network: str
    values: dict[str, str]
    poll_seconds: float

    def get(self, key: str) -> str:
        return self.values.get(key, "")


class _TomlTables(PydanticBaseSettingsSource):
    """HOME/config.toml, flattened: `[x] bearer_token` → `x_bearer_token`."""

    def get_field_value(self, field, field_name):  # pragma: no cover - __call__ does the work
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        known = self.settings_cls.model_fields
        return {k: v for k, v in (_toml_values.get() or {}).items() if k in known}


class Settings(BaseSettings):
    """socialcare's settings. Each field's env var is SOCIALCARE_ and its name in capitals."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", case_sensitive=False
    )

    # -- where state lives --------------------------------------------------------------------
    home: Path = Field(
        Path(".socialcare"),
        description="SOCIALCARE_HOME: directory of the embedded log, the SQLite case store, "
        "rules.yaml and config.toml.",
    )
    bus: str | None = Field(
        None, description="SOCIALCARE_BUS: embedded:///PATH or kafka://HOST:PORT[,HOST:PORT]."
    )
    db: str | None = Field(
        None, description="SOCIALCARE_DB: case store URL (sqlite:///PATH or postgresql://…)."
    )
    rules: Path | None = Field(
        None, description="SOCIALCARE_RULES: a rules YAML file, re-read when it changes."
    )
    models: Path | None = Field(
        None, description="SOCIALCARE_MODELS: a directory of trained models (DIR/sentiment, …)."
    )
    # -- transport ----------------------------------------------------------------------------
    partitions: int = Field(
        4, ge=1, le=1000, description="SOCIALCARE_PARTITIONS: partitions of a new topic."
    )
    kafka_session_timeout_ms: int = Field(
        10_000,
        ge=1000,
        description="SOCIALCARE_KAFKA_SESSION_TIMEOUT_MS: consumer group session timeout.",
    )
    kafka_replication: int = Field(
        1, ge=1, description="SOCIALCARE_KAFKA_REPLICATION: replicas of a new topic."
    )
    embedded_session_ms: int = Field(
        6000,
        ge=50,
        description="SOCIALCARE_EMBEDDED_SESSION_MS: embedded log's consumer session timeout.",
    )
    # -- routing, escalation, replies ---------------------------------------------------------
    webhook_url: str | None = Field(
        None,
        description="SOCIALCARE_WEBHOOK_URL: where escalations and warnings are POSTed when the "
        "rule file names no escalation.webhook.",
    )
    replies: Literal["dry-run", "live"] = Field(
        "dry-run",
        description="SOCIALCARE_REPLIES: dry-run (nothing is posted) or live.",
    )
    brand_handles: str = Field(
        "",
        description="SOCIALCARE_BRAND_HANDLES: the brand's own X accounts, comma-separated "
        "(their posts are responses).",
    )
    source_lag_alert_minutes: float = Field(
        5.0,
        ge=0,
        description="SOCIALCARE_SOURCE_LAG_ALERT_MINUTES: a live source whose routed watermark "
        "is further behind than this is shown as holding back SLA checks.",
    )
    # -- ingest: sources and network credentials ----------------------------------------------
    ingest_sources: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="SOCIALCARE_INGEST_SOURCES ([ingest] sources): sources when no --source.",
    )
    x_bearer_token: SecretStr | None = Field(None, description="SOCIALCARE_X_BEARER_TOKEN")
    x_user_token: SecretStr | None = Field(
        None, description="SOCIALCARE_X_USER_TOKEN: a user token with tweet.write, for replies."
    )
    x_api_url: str = Field("https://api.twitter.com", description="SOCIALCARE_X_API_URL")
    x_poll_seconds: float = Field(60.0, gt=0, description="SOCIALCARE_X_POLL_SECONDS")
    mastodon_api_url: str = Field("", description="SOCIALCARE_MASTODON_API_URL")
    mastodon_access_token: SecretStr | None = Field(
        None, description="SOCIALCARE_MASTODON_ACCESS_TOKEN"
    )
    mastodon_account: str = Field("", description="SOCIALCARE_MASTODON_ACCOUNT")
    mastodon_poll_seconds: float = Field(60.0, gt=0, description="SOCIALCARE_MASTODON_POLL_SECONDS")
    bluesky_handle: str = Field("", description="SOCIALCARE_BLUESKY_HANDLE")
    bluesky_app_password: SecretStr | None = Field(
        None, description="SOCIALCARE_BLUESKY_APP_PASSWORD"
    )
    bluesky_api_url: str = Field("", description="SOCIALCARE_BLUESKY_API_URL")
    bluesky_poll_seconds: float = Field(60.0, gt=0, description="SOCIALCARE_BLUESKY_POLL_SECONDS")
    reddit_client_id: str = Field("", description="SOCIALCARE_REDDIT_CLIENT_ID")
    reddit_client_secret: SecretStr | None = Field(
        None, description="SOCIALCARE_REDDIT_CLIENT_SECRET"
    )
    reddit_username: str = Field("", description="SOCIALCARE_REDDIT_USERNAME")
    reddit_password: SecretStr | None = Field(None, description="SOCIALCARE_REDDIT_PASSWORD")
    reddit_oauth_url: str = Field("", description="SOCIALCARE_REDDIT_OAUTH_URL")
    reddit_www_url: str = Field("", description="SOCIALCARE_REDDIT_WWW_URL")
    reddit_poll_seconds: float = Field(60.0, gt=0, description="SOCIALCARE_REDDIT_POLL_SECONDS")
    # -- the desk -----------------------------------------------------------------------------
    desk_secure_cookies: bool = Field(
        False,
        description="SOCIALCARE_DESK_SECURE_COOKIES: mark the session cookie Secure (set it when "
        "the desk is served behind TLS).",
    )
    desk_max_body_bytes: int = Field(
        2 * 1024 * 1024,
        ge=1024,
        description="SOCIALCARE_DESK_MAX_BODY_BYTES: larger request bodies get 413 before they "
        "are read.",
    )
    desk_session_hours: float = Field(
        12.0, gt=0, description="SOCIALCARE_DESK_SESSION_HOURS: a sign-in lasts this long."
    )
    desk_login_max_failures: int = Field(
        5,
        ge=1,
        description="SOCIALCARE_DESK_LOGIN_MAX_FAILURES: wrong passwords for one account "
        "(four times as many from one address) before sign-in is locked for a while.",
    )
    retrain_every: int = Field(
        200,
        ge=0,
        description="SOCIALCARE_RETRAIN_EVERY: `run` retrains a task's model (behind the gate) "
        "once this many new corrections of it have come in; 0: never on its own.",
    )
    log_retention_hours: float = Field(
        168.0,
        ge=0,
        description="SOCIALCARE_LOG_RETENTION_HOURS: `run` (and `watchdog`, for stages run "
        "apart) on the embedded log deletes, every ten minutes, messages older than this that every consumer group has committed past "
        "(care.events by age alone; dead letters stay); 0: keep everything. On Kafka the "
        "brokers' retention.ms applies.",
    )
    desk_idle_away_minutes: float = Field(
        10.0,
        gt=0,
        description="SOCIALCARE_DESK_IDLE_AWAY_MINUTES: an agent whose desk made no request for "
        "this long counts as away (gets no new cases) until it does again.",
    )
    desk_login_lockout_minutes: float = Field(
        15.0,
        gt=0,
        description="SOCIALCARE_DESK_LOGIN_LOCKOUT_MINUTES: how long a lock lasts; failures "
        "older than this are forgotten.",
    )

    @field_validator("ingest_sources", mode="before")
    @classmethod
    def _sources_list(cls, value: Any) -> Any:
        if isinstance(value, str):  # SOCIALCARE_INGEST_SOURCES="x:mentions:a,reddit:search:b"
            return [s.strip() for s in value.split(",") if s.strip()]
        if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
            raise ValueError("[ingest] sources must be a list of source specs")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlTables(settings_cls))

    # -- resolving ----------------------------------------------------------------------------
    @classmethod
    def resolve(
        cls,
        home: str | Path | None = None,
        bus: str | None = None,
        db: str | None = None,
        rules: str | Path | None = None,
        **options: Any,
    ) -> Settings:
        """Settings from command-line options (None: not given), the environment,
        HOME/config.toml and the defaults. Raises ConfigError naming what is wrong."""
        given = {
            k: v
            for k, v in {"home": home, "bus": bus, "db": db, "rules": rules, **options}.items()
            if v is not None
        }
        home_path = Path(given.get("home") or _env("home") or ".socialcare").expanduser().resolve()
        if home_path.exists() and not home_path.is_dir():
            raise ConfigError(f"--home {home_path} exists and is not a directory")
        token = _toml_values.set(read_config_toml(home_path))
        try:
            settings = cls(**{**given, "home": home_path})
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None
        finally:
            _toml_values.reset(token)
        if settings.rules is not None:
            rules_path = settings.rules.expanduser().resolve()
            if not rules_path.is_file():
                raise ConfigError(f"--rules {rules_path}: no such file")
            settings = settings.model_copy(update={"rules": rules_path})
        return settings

    # -- derived values -----------------------------------------------------------------------
    @property
    def bus_url(self) -> str:
        return self.bus or f"embedded://{self.home / 'bus.db'}"

    @property
    def db_url(self) -> str | URL:
        """The case store: `--db` as given, else SQLite in HOME, built as a URL object so a
        home named with `%`, `?` or `#` stays a path."""
        if self.db:
            return self.db
        from sqlalchemy.engine import URL

        return URL.create("sqlite", database=str(self.home / "cases.db"))

    @property
    def rules_path(self) -> Path | None:
        return self.rules

    @property
    def live_replies(self) -> bool:
        return self.replies == "live"

    @property
    def brand_handle_set(self) -> set[str]:
        return {h.strip().lstrip("@").lower() for h in self.brand_handles.split(",") if h.strip()}

    def network(self, name: str) -> NetworkSettings:
        """The settings of one network (x, mastodon, bluesky, reddit), secrets revealed."""
        prefix = f"{name}_"
        values: dict[str, str] = {}
        for field, value in self:
            if not field.startswith(prefix) or field == f"{name}_poll_seconds":
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            values[field.removeprefix(prefix)] = "" if value is None else str(value)
        return NetworkSettings(name, values, float(getattr(self, f"{name}_poll_seconds", 60.0)))

    def ensure_home(self) -> None:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create home directory {self.home}: {exc.strerror}"
            ) from None
        if not _writable(self.home):
            raise StorageError(
                f"home directory {self.home} is not writable; pick another with --home"
            )

    def shown(self, given: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Each setting as `config show` prints it: name, env var, value (secrets and database
        passwords masked) and where it came from."""
        given = {k for k, v in (given or {}).items() if v is not None}
        toml = read_config_toml(self.home)
        rows = []
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown: Any = "********" if value.get_secret_value() else ""
            elif name == "db" and value:
                from sqlalchemy.engine import make_url

                shown = make_url(value).render_as_string(hide_password=True)
            elif isinstance(value, Path):
                shown = str(value)
            else:
                shown = value
            if name in given:
                source = "command line"
            elif _env(name) is not None:
                source = f"env {ENV_PREFIX}{name.upper()}"
            elif name in toml:
                source = f"{self.home / 'config.toml'}"
            else:
                source = "default"
            rows.append(
                {
                    "name": name,
                    "env": f"{ENV_PREFIX}{name.upper()}",
                    "value": shown,
                    "source": source,
                    "help": info.description or "",
                }
            )
        return rows


def read_config_toml(home: Path) -> dict[str, Any]:
    """HOME/config.toml flattened to setting names; {} if there is none."""
    path = home / "config.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for inner, item in value.items():
                flat[f"{key}_{inner}"] = item
        else:
            flat[key] = value
    return flat


def _env(name: str) -> str | None:
    wanted = f"{ENV_PREFIX}{name}".upper()
    for key, value in os.environ.items():
        if key.upper() == wanted:
            return value
    return None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        name = ".".join(str(p) for p in err["loc"])
        parts.append(
            f"setting {name} ({ENV_PREFIX}{name.upper()}): {err['msg']}"
            if name
            else str(err["msg"])
        )
    return "; ".join(parts)


def _writable(path: Path) -> bool:
    """Whether a file can be made in `path`. Each probe has a name of its own, so workers
    starting together on one home never remove each other's probe."""
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
            return True
    except OSError:
        return False
