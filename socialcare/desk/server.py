"""Serving the desk with uvicorn, in the foreground or beside the all-in-one pipeline."""

from __future__ import annotations

import threading

import uvicorn

from socialcare.desk.app import app_for


def serve(runtime, host: str, port: int) -> None:
    uvicorn.run(app_for(runtime), host=host, port=port, log_level="warning")


def serve_in_thread(runtime, host: str, port: int) -> threading.Thread:
    config = uvicorn.Config(app_for(runtime), host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="desk", daemon=True)
    thread.start()
    return thread
