"""The optional compiled modules (classify/_kernels.c, socialcare/stream/_terms.c).

`pip install` builds them when a C compiler is there; without one the install goes on and the
code that uses them runs its Python path, to the same results, more slowly.
SOCIALCARE_NO_KERNELS=1 turns all of them off (to compare both paths, or to rule them out)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

SWITCH = "SOCIALCARE_NO_KERNELS"


def optional(name: str) -> ModuleType | None:
    """The compiled module `name`, or None where it was not built or is turned off."""
    if os.environ.get(SWITCH) == "1":
        return None
    try:
        return importlib.import_module(name)
    except ImportError:  # not built
        return None
