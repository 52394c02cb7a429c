"""What acting on one big incident costs: crisis mode and the bulk actions on every open case.

    python benchmarks/incident_actions.py [--cases 20000] [--tree DIR]

On a bad day one incident can hold thousands of cases. This builds a store with one incident
`inc1` of `--cases` cases (that many customers, one post each, routed by `socialcare run
--source replay:FILE --until-idle --no-desk`, then grouped into the incident), and times on a
copy of it each:

- `socialcare crisis on` and then `crisis off` (the CLI, start-up included), which route every
  open case of the incident again;
- the desk's bulk reply, tag all and resolve all (`POST /api/incidents/inc1/reply`, `/tag`,
  `/resolve`, through the app in process, as an agent with a token).

`--tree` runs another checkout's code (an older commit in a `git worktree`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

GROUP = """
import sys
from datetime import datetime
from sqlalchemy import update
from socialcare.store.db import open_store
from socialcare.store.incidents import add_incident
from socialcare.store.tables import cases, posts
from socialcare.store.users import add_user
engine = open_store(sys.argv[1])
at = datetime.fromisoformat(sys.argv[2])
with engine.begin() as conn:
    add_incident(conn, {"id": "inc1", "brand": "AirlineX", "alert_id": None,
        "title": "check-in outage", "terms": ["outage"], "signature": {"outage": 1.0},
        "idf": {"docs": 1, "df": {}}, "status": "open", "first_seen": at, "last_seen": at,
        "created_at": at})
    conn.execute(update(posts).values(incident_id="inc1"))
    conn.execute(update(cases).values(incident_id="inc1"))
add_user(engine, "ann", "agent", "correct horse battery")
"""

BULK = """
import sys, time
from fastapi.testclient import TestClient
from socialcare.desk.app import app_for
from socialcare.runtime import Runtime
from socialcare.settings import Settings
from socialcare.store.users import create_token
runtime = Runtime(Settings.resolve(sys.argv[1]))
token = create_token(runtime.engine, "ann")
client = TestClient(app_for(runtime), headers={"Authorization": f"Bearer {token}"})
body = {"reply": {"text": "We are on it: check-in is back within the hour."},
        "tag": {"tag": "outage"}, "resolve": {}}[sys.argv[2]]
started = time.perf_counter()
answer = client.post(f"/api/incidents/inc1/{sys.argv[2]}", json=body)
seconds = time.perf_counter() - started
assert answer.status_code == 200, answer.text
done = next((v for k, v in answer.json().items() if isinstance(v, list) and k != "skipped"), [])
print(seconds, len(done))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    tree = args.tree.resolve()
    print(f"one incident of {args.cases:,} open cases ({tree})")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        built = work / "built"
        seconds = build(tree, work / "replay.jsonl", built, args.cases)
        print(f"  routing its posts (run --until-idle)  {seconds:7.2f} s")
        home = fresh_copy(built, work / "crisis")
        for step in ("on", "off"):
            command = ["crisis", step, "--incident", "inc1", "--author", "ann", "-m", "outage"]
            seconds = timed(tree, [*cli(), *command, "--home", str(home)])
            print(f"  crisis {step:<4} (CLI, start-up included)   {seconds:7.2f} s")
        for action in ("reply", "tag", "resolve"):
            home = fresh_copy(built, work / action)
            out = python(tree, BULK, str(home), action).split()
            print(
                f"  {action + ' all':<13} (desk API)             {float(out[0]):7.2f} s"
                f"  ({int(out[1]):,} cases)"
            )


def build(tree: Path, replay: Path, home: Path, n: int) -> float:
    """The replay of `n` customers' posts, a twentieth of a second apart, routed, then
    grouped into one incident (the spike judge is not what this measures)."""
    start = datetime.now(UTC) - timedelta(minutes=30)
    texts = (
        "@AirlineX outage again, the app is down, refund please",
        "@AirlineX check-in is down and my flight is cancelled!!",
        "@AirlineX the app outage is so annoying, any news?",
    )
    with replay.open("w") as out:
        for i in range(n):
            at = start + timedelta(milliseconds=50 * i)
            post = {
                "schema": 1,
                "network": "x",
                "post_id": f"p{i}",
                "conversation_id": f"c{i}",
                "author": {"id": f"customer{i}", "handle": f"customer{i}"},
                "text": f"{texts[i % len(texts)]} #{i}",
                "created_at": at.isoformat().replace("+00:00", "Z"),
                "from_brand": False,
                "brand": "AirlineX",
            }
            out.write(json.dumps(post) + "\n")
    command = [*cli(), "run", "--source", f"replay:{replay}", "--until-idle", "--no-desk"]
    seconds = timed(tree, [*command, "--home", str(home)])
    python(tree, GROUP, f"sqlite:///{home / 'cases.db'}", start.isoformat())
    return seconds


def fresh_copy(built: Path, home: Path) -> Path:
    shutil.copytree(built, home)
    return home


def cli() -> list[str]:
    return [sys.executable, "-m", "socialcare.cli"]


def env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def timed(tree: Path, command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=tree, env=env(tree), check=True, capture_output=True)
    return time.perf_counter() - started


def python(tree: Path, code: str, *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=tree,
        env=env(tree),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


if __name__ == "__main__":
    main()
