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


def _dump(data: dict) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:  # what orjson will not write (integers past 64 bits, lone surrogates)
        return json.dumps(data, ensure_ascii=False).encode("utf-8", "backslashreplace")


def _error(err: str, raw: bytes) -> bytes:
    line = raw[:200].decode("utf-8", "replace")
    return json.dumps({"error": err, "line": line}, ensure_ascii=False).encode()


def classify_lines(
    lines: Iterable[bytes], classifier: Classifier, explain: bool = False
) -> Iterable[bytes]:
    """One output line (JSON, UTF-8, without the newline) per input line, in order."""
    batch: list[tuple[dict | None, str | None, bytes]] = []

    def flush() -> Iterable[bytes]:
        good = [d for d, err, _ in batch if err is None]
        texts, reaches = [d["text"] for d in good], [_reach(d) for d in good]
        tags = iter(classifier.tag(texts, reaches, explain))
        for data, err, raw in batch:
            if err is not None:
                yield _error(err, raw)
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
    stdin: IO[bytes],
    stdout: IO[bytes],
    classifier: Classifier | None = None,
    explain: bool = False,
) -> None:
    classifier = classifier or Classifier()
    out: list[bytes] = []
    for line in classify_lines(stdin, classifier, explain):
        out.append(line)
        if len(out) >= BATCH:
            out.append(b"")
            stdout.write(b"\n".join(out))
            out.clear()
    if out:
        out.append(b"")
        stdout.write(b"\n".join(out))
    stdout.flush()
