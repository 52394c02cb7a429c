"""The compiled scoring loops (classify/_kernels.c), or None where they were not built.

`pip install` builds them when a C compiler is there; without one the install goes on and the
learned models score with numpy alone, to the same numbers, more slowly. SOCIALCARE_NO_KERNELS=1
turns them off (to compare both paths, or to rule them out)."""

from __future__ import annotations

import itertools
import os
from types import ModuleType

import numpy as np

compiled: ModuleType | None
if os.environ.get("SOCIALCARE_NO_KERNELS") == "1":
    compiled = None
else:
    try:
        from classify import _kernels as compiled
    except ImportError:  # not built: numpy alone
        compiled = None


def lookup(index: dict[str, int], keys: list[str]) -> np.ndarray:
    """`index[key]` of each key in order (int64), -1 for a key not in `index`."""
    if compiled is not None:
        return np.frombuffer(compiled.lookup(index, keys), np.int64)
    return np.fromiter(map(index.get, keys, itertools.repeat(-1)), np.int64, len(keys))
