"""Looking up many keys at once without unbounded IN lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

CHUNK = 500  # values per IN list: far under SQLite's and PostgreSQL's parameter limits
BULK_CHUNK = 500  # cases a transaction in a bulk action on an incident's cases


def chunks(values: list[str], size: int = CHUNK) -> Iterator[list[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def per_network(
    keys: Iterable[tuple[str, str]], size: int = CHUNK
) -> Iterator[tuple[str, list[str]]]:
    """(network, value) pairs → (network, up to `size` distinct values), ready for
    `WHERE network = :net AND column IN (...)`."""
    grouped: dict[str, dict[str, None]] = defaultdict(dict)
    for network, value in keys:
        grouped[network][value] = None
    for network, values in grouped.items():
        for chunk in chunks(list(values), size):
            yield network, chunk
