"""`socialcare classify` on stdin: JSONL in, the same lines with tags added out, in order.

A line may be `{"text": ...}` or a full mention. A bad line gives an output line with an
`error` field; the stream never stops for one bad line. Lines are scored in batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

import orjson

from classify.classifier import Classifier
from classify.urgency import Reach

BATCH = 512


def _parse(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = orjson.loads(raw)  # the fast path; anything it refuses gets the stdlib's verdict
    except orjson.JSONDecodeError:
        return _parse_slow(raw)
    return _checked(data)


def _parse_slow(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        return None, "line is not valid UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at column {exc.colno}"
    except RecursionError:
        return None, "JSON nested too deeply"
    return _checked(data)


def _checked(data: Any) -> tuple[dict[str, Any] | None, str | None]:
    if not isinstance(data, dict):
        return None, f"expected a JSON object, got {type(data).__name__}"
    text = data.get("text")
    if not isinstance(text, str):
        return None, "missing string field 'text'"
    return data, None


def _reach(data: dict) -> Reach:
    author = data.get("author")
    if not isinstance(author, dict):
        return Reach()
    followers = author.get("followers")
    return Reach(
        followers if isinstance(followers, int) and followers >= 0 else None,
        author.get("verified") is True,
    )


def _dump(data: dict) -> str:
    try:
        return orjson.dumps(data).decode()
    except TypeError:  # what orjson will not write (integers past 64 bits, lone surrogates)
        return json.dumps(data, ensure_ascii=False)


def classify_lines(lines: Iterable[bytes], classifier: Classifier) -> Iterable[str]:
    batch: list[tuple[dict | None, str | None, bytes]] = []

    def flush() -> Iterable[str]:
        good = [d for d, err, _ in batch if err is None]
        tags = iter(classifier.tag([d["text"] for d in good], [_reach(d) for d in good]))
        for data, err, raw in batch:
            if err is not None:
                yield json.dumps(
                    {"error": err, "line": raw[:200].decode("utf-8", "replace")}, ensure_ascii=False
                )
                continue
            data.update(next(tags))
            yield _dump(data)
        batch.clear()

    for raw in lines:
        data, err = _parse(raw) if raw.strip() else (None, "empty line")
        batch.append((data, err, raw.rstrip(b"\n")))
        if len(batch) >= BATCH:
            yield from flush()
    yield from flush()


def classify_stream(
    stdin: IO[bytes], stdout: IO[str], classifier: Classifier | None = None
) -> None:
    classifier = classifier or Classifier()
    for line in classify_lines(stdin, classifier):
        stdout.write(line + "\n")
