"""A real AT Protocol network for the Bluesky tests, installed from the npm registry and started on
loopback: PLC, PDS and AppView from `@atproto/dev-env` (pinned with a lock file in
tests/integration/atproto/), on the test PostgreSQL.

The atproto servers need Node.js 22 or newer; where the machine's node is older, Node.js 22 is
installed from the npm registry too (the `node` package). Both installs are kept in a cache
directory (SOCIALCARE_TEST_CACHE, else ~/.cache/socialcare), keyed by the lock file, so a rerun
starts at once. A first install takes a few minutes (about 480 MB, and better-sqlite3 is built
for that Node.js with its headers). Without npm the tests are skipped, saying why.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import platform
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "atproto"
NODE_VERSION = "22.23.3"
INSTALL_TIMEOUT_S = 1200
START_TIMEOUT_S = 240


class Unavailable(Exception):
    """What the machine lacks to run the network (the tests skip with this reason)."""


def cache_dir() -> Path:
    root = os.environ.get("SOCIALCARE_TEST_CACHE") or Path.home() / ".cache" / "socialcare"
    return Path(root)


def _major(node: str) -> int:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return 0
    return int(out.stdout.strip().lstrip("v").split(".")[0] or 0)


def _npm(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        ["npm", *args, "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"npm {' '.join(args)} in {cwd} failed:\n{done.stderr[-3000:]}")


def node22() -> tuple[Path, Path | None]:
    """A Node.js >= 22 binary, and its headers directory when it was installed here."""
    system = shutil.which("node")
    if system and _major(system) >= 22:
        return Path(system), None
    if shutil.which("npm") is None:
        raise Unavailable(
            "npm is not installed (node and npm are needed for the AT Protocol tests)"
        )
    home = cache_dir() / f"node-{NODE_VERSION}"
    found = glob.glob(str(home / "node_modules/node/node_modules/node-*/bin/node"))
    if not found:
        home.mkdir(parents=True, exist_ok=True)
        _npm(["install", "--prefix", str(home), f"node@{NODE_VERSION}"], home)
        found = glob.glob(str(home / "node_modules/node/node_modules/node-*/bin/node"))
        if not found:
            raise Unavailable(f"npm's node@{NODE_VERSION} has no binary for {platform.machine()}")
    binary = Path(found[0])
    return binary, binary.parent.parent


def dev_env(node: Path, headers: Path | None) -> Path:
    """The node_modules directory holding @atproto/dev-env, installed once per lock file."""
    lock = (HERE / "package-lock.json").read_bytes()
    home = cache_dir() / f"atproto-{hashlib.sha256(lock).hexdigest()[:12]}"
    done = home / ".installed"
    if not done.exists():
        home.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(HERE / name, home / name)
        env = dict(os.environ, PATH=f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        if headers is not None:  # native modules are built for this node, with its headers
            env["npm_config_nodedir"] = str(headers)
        _npm(["ci"], home, env)
        done.write_text("ok\n")
    return home / "node_modules"


@dataclass
class Network:
    """A running network: its servers' URLs and what it seeded (see atproto/network.js)."""

    info: dict[str, Any]
    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    def command(self, line: str, timeout: float = 60) -> dict[str, Any]:
        """Ask the network to do something (`post TEXT`, `process`); its JSON answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return json.loads(_readline(self.process, timeout))

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _readline(process: subprocess.Popen, timeout: float) -> str:
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not got or not got[0]:
        raise RuntimeError(f"the AT Protocol network did not answer within {timeout:.0f} s")
    return got[0]


def start(pg_url: str, schema: str, log: Path) -> Network:
    """Install what is missing, then start the network on `pg_url` (a node-postgres URL)."""
    node, headers = node22()
    modules = dev_env(node, headers)
    process = subprocess.Popen(
        [str(node), str(HERE / "network.js"), pg_url, schema],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        env=dict(os.environ, NODE_PATH=str(modules), NODE_NO_WARNINGS="1"),
    )
    try:
        info = json.loads(_readline(process, START_TIMEOUT_S))
    except (RuntimeError, ValueError) as exc:
        process.kill()
        raise RuntimeError(f"{exc}; its log:\n{log.read_text()[-3000:]}") from None
    return Network(info, process)
