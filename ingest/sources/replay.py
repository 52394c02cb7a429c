"""Replay sources: JSONL in the mention schema, and CSV in the "Customer Support on Twitter"
(twcs) format.

JSONL is streamed; the cursor is the byte offset and line number of the next line, plus a
fingerprint of the file so an edited file is read again from the start (dedup then keeps what was
already ingested from taking effect twice). Its watermark is the latest post time read so far: a
file in time order delivers everything up to it; a post further back that comes later is a late
post, which the router handles as one (an escalation it contradicts is retracted).

twcs CSV is read whole, because a post's conversation id is the root of its reply chain and a
parent can come later in the file than its reply. Its posts are then delivered in time order
(unreadable rows first), so the watermark is exact: just before the next post's time, and the
last post's time at the end. The cursor is the number of rows consumed.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from ingest.sources.base import BadInput, Fetched, Source, unusable
from ingest.sources.polling import SourceConfigError
from socialcare.stream.schema import Mention, SchemaError, mention_from_dict, utcnow

MAX_LINE_BYTES = 1 << 20  # one JSONL line; longer lines are dead-lettered, not read into memory
TWCS_COLUMNS = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
TWCS_TIME = "%a %b %d %H:%M:%S %z %Y"
_MENTION = re.compile(r"@(\w{1,30})")


def open_replay(path: Path) -> Source:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return JsonlReplay(path)
    if suffix == ".csv":
        return TwcsReplay(path)
    raise SourceConfigError(
        f"replay: unsupported file type {suffix!r} (use .jsonl or .csv): {path}"
    )


def fingerprint(path: Path) -> str:
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        digest.update(fh.read(65536))
    digest.update(str(stat.st_size).encode())
    return digest.hexdigest()[:16]


@dataclass
class _Position:
    fp: str
    byte: int = 0
    line: int = 0
    wm: datetime | None = None  # the watermark so far (kept when an edited file starts over)

    def encode(self) -> str:
        data: dict = {"fp": self.fp, "byte": self.byte, "line": self.line}
        if self.wm is not None:
            data["wm"] = self.wm.isoformat()
        return json.dumps(data)

    @classmethod
    def decode(cls, cursor: str | None, fp: str) -> _Position:
        if cursor:
            try:
                data = json.loads(cursor)
                wm = datetime.fromisoformat(data["wm"]) if data.get("wm") else None
                if data.get("fp") == fp:
                    return cls(fp, int(data["byte"]), int(data["line"]), wm)
                return cls(fp, wm=wm)
            except (ValueError, KeyError, TypeError):
                pass  # an unreadable or foreign cursor starts over; dedup keeps effects once
        return cls(fp)

    def saw(self, mention: Mention) -> None:
        if self.wm is None or mention.created_at > self.wm:
            self.wm = mention.created_at


class JsonlReplay(Source):
    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.name = f"replay:{self.path}"

    def fetch(self, cursor: str | None, limit: int) -> Fetched:
        pos = _Position.decode(cursor, fingerprint(self.path))
        out = Fetched()
        with self.path.open("rb") as fh:
            fh.seek(pos.byte)
            while len(out.mentions) + len(out.bad) < limit:
                raw = fh.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    out.exhausted = True
                    break
                pos.line += 1
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    while (more := fh.readline(MAX_LINE_BYTES)) and not more.endswith(b"\n"):
                        pass
                    out.bad.append(
                        BadInput(raw[:65536], f"line longer than {MAX_LINE_BYTES} bytes", pos.line)
                    )
                    continue
                line = raw.strip()
                if not line:
                    continue
                try:
                    mention = self._parse(line, pos.line)
                except Exception as exc:  # any unusable line is a dead letter, never a halt
                    out.bad.append(BadInput(line, unusable(exc), pos.line))
                    continue
                out.mentions.append(mention)
                pos.saw(mention)
            pos.byte = fh.tell()
        out.cursor = pos.encode()
        out.watermark = pos.wm
        return out

    def _parse(self, line: bytes, lineno: int) -> Mention:
        try:
            data = json.loads(line)
        except UnicodeDecodeError:
            raise ValueError("line is not valid UTF-8") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        data.setdefault("ingest", {})
        if isinstance(data["ingest"], dict):
            data["ingest"] = {
                **data["ingest"],
                "source": self.name,
                "fetched_at": utcnow().isoformat(),
                "line": lineno,
            }
        if "conversation_id" not in data and "post_id" in data:
            data["conversation_id"] = data.get("in_reply_to") or data["post_id"]
        return mention_from_dict(data)


@dataclass(slots=True)
class TwcsRow:
    line: int
    tweet_id: str
    author_id: str
    inbound: bool
    created_at: datetime
    text: str
    response_ids: list[str]
    parent_id: str | None


class TwcsReplay(Source):
    """Customer Support on Twitter: customers (inbound) and brand accounts (outbound)."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.name = f"replay:{self.path}"
        self._loaded: tuple[str, list[Mention | BadInput]] | None = None

    def _items(self) -> tuple[str, list[Mention | BadInput]]:
        fp = fingerprint(self.path)
        if self._loaded is None or self._loaded[0] != fp:
            self._loaded = (fp, in_time_order(load_twcs(self.path, self.name)))
        return self._loaded

    def fetch(self, cursor: str | None, limit: int) -> Fetched:
        fp, items = self._items()
        pos = _Position.decode(cursor, fp)
        chunk = items[pos.line : pos.line + limit]
        pos.line += len(chunk)
        out = Fetched(exhausted=pos.line >= len(items))
        for item in chunk:
            (out.mentions if isinstance(item, Mention) else out.bad).append(item)
        if pos.line < len(items) and isinstance(items[pos.line], Mention):
            mark: datetime | None = items[pos.line].created_at - timedelta(microseconds=1)
        else:
            mark = max((m.created_at for m in items if isinstance(m, Mention)), default=None)
        if mark is not None and (pos.wm is None or mark > pos.wm):
            pos.wm = mark
        out.cursor = pos.encode()
        out.watermark = pos.wm
        return out


def in_time_order(items: list[Mention | BadInput]) -> list[Mention | BadInput]:
    """Unreadable rows first (they have no time), then posts by time, file order on a tie."""
    bad = [i for i in items if not isinstance(i, Mention)]
    posts = sorted((i for i in items if isinstance(i, Mention)), key=lambda m: m.created_at)
    return [*bad, *posts]


def read_twcs_rows(path: Path) -> Iterator[TwcsRow | BadInput]:
    """Rows of a twcs CSV, each either parsed or a BadInput with its line number and reason."""
    with path.open("r", encoding="utf-8", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadInput(b"", f"unreadable CSV header: {exc}", 1)
            return
        missing = [c for c in TWCS_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path}: not a twcs CSV, missing columns: {', '.join(missing)}")
        index = {name: header.index(name) for name in TWCS_COLUMNS}
        while True:
            line = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield BadInput(b"", f"unreadable CSV row: {exc}", line)
                continue
            yield _twcs_row(fields, index, line)


def _twcs_row(fields: list[str], index: dict[str, int], line: int) -> TwcsRow | BadInput:
    original = ",".join(fields).encode("utf-8", "surrogateescape")
    if len(fields) != len(index) and len(fields) < max(index.values()) + 1:
        return BadInput(original, f"expected {len(TWCS_COLUMNS)} columns, got {len(fields)}", line)
    get = {name: fields[i] for name, i in index.items()}
    try:
        for value in get.values():
            value.encode("utf-8")  # surrogates mark bytes that were not UTF-8
        tweet_id = get["tweet_id"].strip()
        if not tweet_id.isdigit():
            raise ValueError(f"tweet_id must be a number, got {tweet_id[:40]!r}")
        author = get["author_id"].strip()
        if not author:
            raise ValueError("author_id is empty")
        inbound_text = get["inbound"].strip().lower()
        if inbound_text not in ("true", "false"):
            raise ValueError(f"inbound must be True or False, got {get['inbound'][:20]!r}")
        created = twcs_time(get["created_at"].strip())
        parent = parse_tweet_id(get["in_response_to_tweet_id"].strip(), "in_response_to_tweet_id")
        responses = [r.strip() for r in get["response_tweet_id"].split(",") if r.strip()]
    except UnicodeEncodeError:
        return BadInput(original, "row is not valid UTF-8", line)
    except (ValueError, OverflowError) as exc:
        return BadInput(original, str(exc), line)
    return TwcsRow(
        line, tweet_id, author, inbound_text == "true", created, get["text"], responses, parent
    )


_TWCS_TIME = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d\d) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d) (\d{4})"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}


def twcs_time(text: str) -> datetime:
    """A twcs `created_at` ('Tue Oct 31 22:10:47 +0000 2017'). The usual shape is read by one
    regex match (strptime was a tenth of reading the file); anything else goes to strptime,
    which accepts the same values and says what is wrong."""
    if found := _TWCS_TIME.fullmatch(text):
        mon, day, hh, mm, ss, sign, oh, om, year = found.groups()
        offset = timedelta(hours=int(oh), minutes=int(om))
        with contextlib.suppress(ValueError):  # a date that does not exist: strptime says so
            return datetime(
                int(year),
                _MONTHS[mon],
                int(day),
                int(hh),
                int(mm),
                int(ss),
                tzinfo=UTC if not offset else timezone(-offset if sign == "-" else offset),
            )
    try:
        return datetime.strptime(text, TWCS_TIME)
    except ValueError:
        raise ValueError(
            f"created_at {text[:40]!r} is not like 'Tue Oct 31 22:10:47 +0000 2017'"
        ) from None


def parse_tweet_id(text: str, column: str) -> str | None:
    """A tweet id column: digits, or a float pandas wrote (1.0e5); empty is None."""
    if not text:
        return None
    if text.isdigit():
        return text
    try:
        value = float(text)
        if not value.is_integer() or value < 0:
            raise ValueError
        return str(int(value))
    except (ValueError, OverflowError):
        raise ValueError(f"{column} must be a tweet id, got {text[:40]!r}") from None


def conversation_roots(rows: list[TwcsRow]) -> dict[str, str]:
    """tweet id → id of the root of its reply chain, over the whole file.

    Parents come from `in_response_to_tweet_id`, and from a parent's `response_tweet_id` list
    where the child does not name its parent. A parent missing from the file is the root as far
    as the file can tell (its siblings then share it).
    """
    parent: dict[str, str] = {}
    for row in rows:
        if row.parent_id:
            parent[row.tweet_id] = row.parent_id
    for row in rows:
        for child in row.response_ids:
            parent.setdefault(child, row.tweet_id)
    roots: dict[str, str] = {}
    for row in rows:
        chain = [row.tweet_id]
        seen = {row.tweet_id}
        node = row.tweet_id
        while node in parent and node not in roots:
            node = parent[node]
            if node in seen:  # a cycle in broken data: cut it at the smallest id
                node = min(seen, key=lambda t: (len(t), t))
                break
            seen.add(node)
            chain.append(node)
        root = roots.get(node, node)
        for tid in chain:
            roots[tid] = root
    return roots


def load_twcs(path: Path, source_name: str) -> list[Mention | BadInput]:
    parsed: list[TwcsRow | BadInput] = list(read_twcs_rows(path))
    rows = [r for r in parsed if isinstance(r, TwcsRow)]
    roots = conversation_roots(rows)
    brands = {r.author_id.lower(): r.author_id for r in rows if not r.inbound}
    fetched_at = utcnow()
    out: list[Mention | BadInput] = []
    for item in parsed:
        if isinstance(item, BadInput):
            out.append(item)
            continue
        brand = item.author_id if not item.inbound else _mentioned_brand(item.text, brands)
        data = {
            "schema": 1,
            "network": "x",
            "post_id": item.tweet_id,
            "conversation_id": roots[item.tweet_id],
            "author": {"id": item.author_id, "handle": item.author_id},
            "text": item.text,
            "created_at": item.created_at,
            "url": f"https://x.com/i/web/status/{item.tweet_id}",
            "in_reply_to": item.parent_id,
            "from_brand": not item.inbound,
            "brand": brand,
            "ingest": {"source": source_name, "fetched_at": fetched_at, "line": item.line},
        }
        try:
            out.append(mention_from_dict(data))
        except SchemaError as exc:
            out.append(BadInput(item.text.encode("utf-8", "replace"), str(exc), item.line))
    return out


def _mentioned_brand(text: str, brands: dict[str, str]) -> str | None:
    for handle in _MENTION.findall(text):
        if handle.lower() in brands:
            return brands[handle.lower()]
    return None
