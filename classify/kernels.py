"""The compiled scoring loops (classify/_kernels.c), or None where they were not built.

Without them the learned models score with numpy alone, to the same numbers, more slowly
(socialcare/stream/extensions.py: how they are built, and the switch that turns them off)."""

from __future__ import annotations

from types import ModuleType

from socialcare.stream.extensions import optional

compiled: ModuleType | None = optional("classify._kernels")
