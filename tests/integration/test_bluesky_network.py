"""The Bluesky source against a real AT Protocol network on loopback (PLC, PDS and AppView from
@atproto/dev-env on the test PostgreSQL; see atproto_network.py), through the command line a
user runs: mentions and searches become the right cases, a restart adds no doubles, a desk reply
sent live lands in the right thread, and a wrong app password is one clear error.

Seeded (atproto/network.js): maya mentions the brand, replies in her thread and lee quotes her;
the brand answers, and lee likes and reposts the answer (notifications that are not cases); lee
posts a mention and deletes it; lee posts a mention with emoji and a link."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from route.casebook import clock_refresher
from route.rules import default_rules
from socialcare.store import actions
from socialcare.store.db import open_store
from socialcare.store.tables import posts
from tests.integration import atproto_network
from tests.integration.conftest import create_database

CLI = [sys.executable, "-m", "socialcare.cli"]
BRAND = "carebrand.test"


@pytest.fixture(scope="module")
def network(pg_server, tmp_path_factory):
    name = create_database(pg_server, "atp")
    socket_dir = pg_server.partition("host=")[2].split("&")[0]
    url = f"postgresql://postgres@localhost/{name}?host={socket_dir}"
    log = tmp_path_factory.mktemp("atproto") / "network.log"
    try:
        net = atproto_network.start(url, "socialcare", log)
    except atproto_network.Unavailable as exc:
        pytest.skip(str(exc))
    yield net
    net.close()


def cli(network, home: Path, *args: str, password: str | None = None):
    env = dict(os.environ)
    env.update(
        SOCIALCARE_BLUESKY_API_URL=network.info["pds"],
        SOCIALCARE_BLUESKY_HANDLE=BRAND,
        SOCIALCARE_BLUESKY_APP_PASSWORD=password or "carebrand-pass",
        SOCIALCARE_BLUESKY_POLL_SECONDS="1",
    )
    return subprocess.run(
        [*CLI, *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )


def ingest(network, home: Path, source: str, **kw) -> subprocess.CompletedProcess:
    done = cli(network, home, "run", "--source", source, "--until-idle", "--no-desk", **kw)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def stored(home: Path) -> dict[str, str | None]:
    """Post URI → its case id, for every stored post."""
    engine = open_store(f"sqlite:///{home / 'cases.db'}")
    with engine.connect() as conn:
        rows = conn.execute(select(posts.c.post_id, posts.c.case_id)).all()
    engine.dispose()
    return dict(rows)


def test_mentions_become_the_right_cases_and_a_restart_adds_no_doubles(network, tmp_path):
    seeded, home = network.info["seeded"], tmp_path / "home"
    ingest(network, home, f"bluesky:mentions:{BRAND}")
    got = stored(home)
    assert set(got) == {seeded["opening"], seeded["reply"], seeded["quote"], seeded["emoji"]}
    assert got[seeded["reply"]] == got[seeded["opening"]]  # one thread, one case
    assert len({got[seeded["opening"]], got[seeded["quote"]], got[seeded["emoji"]]}) == 3
    # the like, the repost and the deleted post are not there; the brand's answer is not a
    # notification to itself
    assert not {seeded["like"], seeded["repost"], seeded["deleted"], seeded["answer"]} & set(got)

    ingest(network, home, f"bluesky:mentions:{BRAND}")  # a restart: the same, no doubles
    assert stored(home) == got
    posted = network.command("post @carebrand.test and now my stroller is missing too")["posted"]
    ingest(network, home, f"bluesky:mentions:{BRAND}")
    after = stored(home)
    assert set(after) == set(got) | {posted}


def test_search_finds_exactly_the_matching_posts(network, tmp_path):
    seeded = network.info["seeded"]
    ingest(network, tmp_path / "home", "bluesky:search:stroller")
    ingest(network, tmp_path / "emoji", "bluesky:search:refund")
    assert set(stored(tmp_path / "emoji")) == {seeded["emoji"]}
    assert len(stored(tmp_path / "home")) == 1


def test_a_desk_reply_sent_live_lands_under_the_right_parent_and_root(network, tmp_path):
    seeded, home = network.info["seeded"], tmp_path / "home"
    ingest(network, home, f"bluesky:mentions:{BRAND}")
    case_id = stored(home)[seeded["reply"]]
    engine = open_store(f"sqlite:///{home / 'cases.db'}")
    actions.reply(engine, clock_refresher(default_rules()), case_id, "ana", "Found it, on its way")
    engine.dispose()
    sent = cli(network, home, "replies", "send", "--live")
    assert sent.returncode == 0, sent.stderr[-2000:]
    outbox = [
        json.loads(line) for line in cli(network, home, "replies", "list").stdout.splitlines()
    ]
    assert [r["status"] for r in outbox] == ["sent"], outbox
    network.command("process")
    thread = httpx.get(
        f"{network.info['appview']}/xrpc/app.bsky.feed.getPostThread",
        params={"uri": seeded["opening"], "depth": 5},
        timeout=30,
    ).json()["thread"]

    def walk(node):
        yield node
        for child in node.get("replies") or []:
            yield from walk(child)

    ours = [
        n["post"] for n in walk(thread) if n["post"]["record"]["text"] == "Found it, on its way"
    ]
    assert len(ours) == 1
    record = ours[0]["record"]
    assert ours[0]["author"]["handle"] == BRAND
    assert record["reply"]["root"]["uri"] == seeded["opening"]
    assert record["reply"]["parent"]["uri"] == seeded["reply"]  # the customer's latest post


def test_a_wrong_app_password_is_one_clear_error(network, tmp_path):
    done = cli(
        network,
        tmp_path / "home",
        "run",
        "--source",
        f"bluesky:mentions:{BRAND}",
        "--until-idle",
        "--no-desk",
        password="not-the-password",
    )
    assert "Traceback" not in done.stderr
    refused = [line for line in done.stderr.splitlines() if "password" in line.lower()]
    assert refused, done.stderr[-2000:]
    assert json.dumps(done.stderr).count("not-the-password") == 0  # the secret is not printed
