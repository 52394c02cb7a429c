"""The compiled scoring loops (classify/_kernels.c), or None where they were not built.

`pip install` builds them when a C compiler is there; without one the install goes on and the
learned models score with numpy alone, to the same numbers, more slowly. SOCIALCARE_NO_KERNELS=1
turns them off (to compare both paths, or to rule them out)."""

from __future__ import annotations

import os
from types import ModuleType

compiled: ModuleType | None
if os.environ.get("SOCIALCARE_NO_KERNELS") == "1":
    compiled = None
else:
    try:
        from classify import _kernels as compiled
    except ImportError:  # not built: numpy alone
        compiled = None
