"""Real browser tests: Playwright drives Debian's chromium (installed by `make test`) against a
desk served on 127.0.0.1. Each role does its main path; screenshots go to test-output/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from ingest.sources.demo import DemoSource
from socialcare.desk.app import app_for
from socialcare.pipeline import Pipeline
from socialcare.runtime import Runtime
from socialcare.settings import Settings
from socialcare.store.users import add_user

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "correct horse battery"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="chromium is not installed; `make test` installs it"
)


@pytest.fixture(scope="module")
def desk_url(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser") / "home"
    runtime = Runtime(Settings.resolve(home))
    pipeline = Pipeline(runtime, [DemoSource(60)], watchdog=False)
    pipeline.run(threading.Event(), until_idle=True)
    for name, role in (("ana", "agent"), ("ada", "admin"), ("ann", "analyst")):
        add_user(runtime.engine, name, role, PASSWORD)
    pipeline.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app_for(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def sign_in(browser, desk_url, name):
    page = browser.new_context(
        viewport={"width": 1400, "height": 900}, accept_downloads=True
    ).new_page()
    page.goto(f"{desk_url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-button")
    return page


def test_agent_claims_the_top_case_replies_and_resolves_it(browser, desk_url):
    page = sign_in(browser, desk_url, "ana")
    assert page.locator("tr[data-case]").count() > 10
    page.screenshot(path=str(SHOTS / "agent-queue.png"), full_page=False)
    top = page.locator("tr[data-case]").first.get_attribute("data-case")
    page.click("#claim-next")
    assert page.url.endswith(f"/cases/{top}")
    page.fill("#reply-text", "Hi! So sorry about this, we're on it now.")
    page.click("#reply-button")
    assert "Reply recorded" in page.locator(".flash").inner_text()
    assert page.locator(".post.brand", has_text="we're on it now.").count() == 1
    page.screenshot(path=str(SHOTS / "agent-case.png"), full_page=True)
    page.click("#resolve-button")
    assert "Resolved" in page.locator(".flash").inner_text()
    assert page.locator(f"tr[data-case='{top}']").count() == 0  # gone from the open queue


def test_admin_sees_a_broken_rule_fixes_it_and_publishes(browser, desk_url):
    page = sign_in(browser, desk_url, "ada")
    page.goto(f"{desk_url}/admin/rules")
    good = page.input_value("#rules-text")
    page.fill("#rules-text", good.replace("queue: urgent,", "queue: urgnt,", 1))
    page.click("#validate-button")
    problems = page.locator("#problems").inner_text()
    assert "queue 'urgnt' does not exist" in problems and "rules.yaml:" in problems
    page.screenshot(path=str(SHOTS / "admin-rules-error.png"), full_page=False)
    page.fill("#rules-text", good.replace("priority: 70", "priority: 75", 1))
    page.click("#preview-button")
    assert "Replay preview" in page.locator("#preview").inner_text()
    page.fill("#publish-message", "critical cases a little higher")
    page.click("#publish-button")
    assert "Published version" in page.locator(".flash").inner_text()
    assert "(in force)" in page.locator("#history").inner_text()
    assert "critical cases a little higher" in page.locator("#history").inner_text()
    page.screenshot(path=str(SHOTS / "admin-rules-published.png"), full_page=False)


def test_analyst_opens_the_report_and_downloads_the_csv(browser, desk_url):
    page = sign_in(browser, desk_url, "ann")
    assert page.url.endswith("/reports")
    assert page.locator("#report tbody tr").count() >= 3
    assert page.locator("svg").count() >= 1
    page.screenshot(path=str(SHOTS / "analyst-report.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#csv-link")
    path = info.value.path()
    header = Path(path).read_text().splitlines()[0]
    assert header.startswith("queue,cases,answered,resolved,first_response_median_s")
