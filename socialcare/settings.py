"""Where state lives. One frozen object, resolved once from command-line options and env vars
(SOCIALCARE_HOME, SOCIALCARE_BUS, SOCIALCARE_DB, SOCIALCARE_RULES)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    bus_url: str
    db_url: str
    rules_path: Path | None  # an explicit --rules file; None: published version or fallbacks

    @classmethod
    def resolve(
        cls,
        home: str | Path | None = None,
        bus: str | None = None,
        db: str | None = None,
        rules: str | Path | None = None,
    ) -> Settings:
        home_path = Path(home or ".socialcare").expanduser().resolve()
        if home_path.exists() and not home_path.is_dir():
            raise ValueError(f"--home {home_path} exists and is not a directory")
        rules_path = Path(rules).expanduser().resolve() if rules else None
        if rules_path is not None and not rules_path.is_file():
            raise ValueError(f"--rules {rules_path}: no such file")
        return cls(
            home=home_path,
            bus_url=bus or f"embedded://{home_path / 'bus.db'}",
            db_url=db or f"sqlite:///{home_path / 'cases.db'}",
            rules_path=rules_path,
        )

    def ensure_home(self) -> None:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OSError(f"cannot create home directory {self.home}: {exc.strerror}") from None
        if not _writable(self.home):
            raise OSError(f"home directory {self.home} is not writable; pick another with --home")


def _writable(path: Path) -> bool:
    probe = path / ".write-probe"
    try:
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False
