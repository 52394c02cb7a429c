"""A small fake of the X API v2 on 127.0.0.1 for end-to-end tests: user lookup and a user's
mentions, newest first, 10 a page, honouring since_id and pagination_token."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from tests.ingest.x_api import USER_LOOKUP, page


class FakeX:
    def __init__(self, tweets: list[dict], page_size: int = 10, delay_s: float = 0.05) -> None:
        self.tweets = sorted(tweets, key=lambda t: -int(t["id"]))
        self.page_size = page_size
        self.delay_s = delay_s
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests.append(self.path)
                time.sleep(fake.delay_s)
                status, body = fake.answer(self.path, self.headers.get("Authorization", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, tweets: list[dict]) -> None:
        self.tweets = sorted(self.tweets + tweets, key=lambda t: -int(t["id"]))

    def answer(self, path: str, auth: str) -> tuple[int, dict]:
        if auth != "Bearer test-token":
            return 401, {"title": "Unauthorized"}
        url = urlparse(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/2/users/by/username/AcmeAir":
            return 200, USER_LOOKUP
        if url.path == "/2/users/1/mentions":
            since = int(query.get("since_id", 0))
            newer = [t for t in self.tweets if int(t["id"]) > since]
            start = int(query.get("pagination_token", 0))
            chunk = newer[start : start + self.page_size]
            more = start + self.page_size < len(newer)
            body = page(chunk, next_token=str(start + self.page_size) if more else None)
            if chunk and start:  # X gives newest_id of the whole result on every page
                body["meta"]["newest_id"] = newer[0]["id"]
            return 200, body
        return 404, {"title": "Not Found"}

    def stop(self) -> None:
        self.server.shutdown()
