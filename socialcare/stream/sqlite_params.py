"""Binding None, bools and bytes to SQLite statements without the sqlite3 module's slow path.

Python's sqlite3 binds an exact int, float, str or bytearray as it is. Any other value (None,
a bool, bytes) first goes through its adaptation protocol: a look-up in the adapter registry,
then `__adapt__` on the protocol class and `__conform__` on the value, each a failed attribute
look-up that builds and drops an AttributeError. The router binds a few dozen such values per
post (flags, empty columns, message keys and values), and those look-ups were 2 % of the
all-in-one pipeline's instructions. An adapter registered for the type is found at the first
step. Each one here gives what the module would have bound anyway: a bool as its integer,
None as NULL, bytes as the same blob.

Registering is for the whole process and idempotent; it never touches the exact types above
(registering one of those would send every value through the slow path).
"""

from __future__ import annotations

import sqlite3

#: type → an adapter returning the value sqlite3 binds for it. None's is `{}.get`: a call in C
#: that gives None back (an empty dict has no key None).
ADAPTERS: dict[type, object] = {bool: int, type(None): {}.get, bytes: bytes}


def register() -> None:
    for kind, adapter in ADAPTERS.items():
        sqlite3.register_adapter(kind, adapter)  # type: ignore[arg-type]
