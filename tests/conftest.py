from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("SOCIALCARE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout (or $SOCIALCARE_SHARED_DATA). Missing data fails the
    tests that need it, loudly: they are part of the suite, not optional."""
    if not (SHARED_DATA / "twcs_sample.csv").is_file():
        pytest.fail(f"shared data not found at {SHARED_DATA}; set SOCIALCARE_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"
