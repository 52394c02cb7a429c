"""Real browser tests: Playwright drives Debian's chromium (installed by `make test`) against a
desk served on 127.0.0.1. Each role does its main path; screenshots go to test-output/."""

from __future__ import annotations

import csv
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
from socialcare.store import corrections
from socialcare.store.users import add_user
from socialcare.stream.schema import utcnow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "correct horse battery"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="chromium is not installed; `make test` installs it"
)


STORE: dict = {}  # the desk's case store, for tests that add data behind it


@pytest.fixture(scope="module")
def desk_url(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser") / "home"
    runtime = Runtime(Settings.resolve(home))
    pipeline = Pipeline(runtime, [DemoSource(60)], watchdog=False)
    pipeline.run(threading.Event(), until_idle=True)
    for name, role in (("ana", "agent"), ("bob", "agent"), ("ada", "admin"), ("ann", "analyst")):
        add_user(runtime.engine, name, role, PASSWORD)
    pipeline.close()
    STORE["engine"] = runtime.engine
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
    assert page.locator("figure.bars").count() >= 3
    page.screenshot(path=str(SHOTS / "analyst-report.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#csv-link")
    path = info.value.path()
    header = Path(path).read_text().splitlines()[0]
    assert header.startswith("queue,cases,answered,resolved,first_response_median_s")


def fits_the_width(page) -> bool:
    """Nothing sticks out sideways: the page scrolls only down (wide tables scroll in place)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def open_a_fresh_case(page, desk_url) -> str:
    page.goto(desk_url + "/")
    case_id = page.locator("tr[data-case]").nth(3).get_attribute("data-case")
    page.goto(f"{desk_url}/cases/{case_id}")
    return case_id


def test_agent_picks_a_saved_reply_sees_it_filled_in_edits_and_sends(browser, desk_url):
    page = sign_in(browser, desk_url, "ana")
    open_a_fresh_case(page, desk_url)
    page.select_option("#saved-reply", "sorry-dm")
    filled = page.input_value("#reply-text")
    assert "{{" not in filled and filled.endswith("^ana")
    page.fill("#reply-text", filled.replace("sorry about this", "so sorry about this"))
    page.click("#reply-button")
    assert "Reply recorded" in page.locator(".flash").inner_text()
    assert page.locator(".post.brand", has_text="so sorry about this").count() == 1
    page.set_viewport_size({"width": 390, "height": 844})
    assert fits_the_width(page)
    page.screenshot(path=str(SHOTS / "agent-case-saved-reply-phone.png"), full_page=True)


def test_a_stale_reply_is_stopped_and_the_draft_kept(browser, desk_url):
    ana = sign_in(browser, desk_url, "ana")
    case_id = open_a_fresh_case(ana, desk_url)
    bob = sign_in(browser, desk_url, "bob")
    bob.goto(f"{desk_url}/cases/{case_id}")
    assert "Also viewing now" in bob.locator("#viewers").inner_text()
    bob.fill("#note-text", "Customer called the hotline, rebooked already")
    bob.click("text=Add note")
    assert "Note added" in bob.locator(".flash").inner_text()
    ana.fill("#reply-text", "Let me look into your booking")
    ana.click("#reply-button")
    stale = ana.locator("#stale")
    assert "changed since you opened it" in stale.inner_text()
    assert "rebooked already" in stale.inner_text() and "bob" in stale.inner_text()
    assert ana.input_value("#reply-text") == "Let me look into your booking"
    assert ana.locator(".post.brand", has_text="Let me look into").count() == 0
    ana.screenshot(path=str(SHOTS / "agent-case-stale.png"), full_page=True)
    ana.click("#reply-button")  # the page now carries the new version: sent
    assert "Reply recorded" in ana.locator(".flash").inner_text()


def test_the_presence_toggle(browser, desk_url):
    page = sign_in(browser, desk_url, "bob")
    page.select_option("#presence", "away")
    page.wait_for_selector(".flash")
    assert "You are away" in page.locator(".flash").inner_text()
    assert page.input_value("#presence") == "away"
    assert "away" in page.get_attribute("#presence-form", "class")
    page.select_option("#presence", "online")
    page.wait_for_selector("text=You are online")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "agent-queue-phone.png"), full_page=False)


def test_the_queue_on_a_phone_scrolls_its_table_not_the_page(browser, desk_url):
    page = sign_in(browser, desk_url, "ana")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(desk_url + "/")
    post = page.locator("#cases tbody td.text").first
    assert post.bounding_box()["width"] >= 180  # a post reads in lines, not letter by letter
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page fits
    wide = page.evaluate("document.querySelector('#cases').parentElement.scrollWidth")
    assert wide > 390  # the table scrolls inside its box
    page.screenshot(path=str(SHOTS / "agent-queue-table-phone.png"), full_page=False)


def test_customer_profile_and_saved_replies_editor_pages(browser, desk_url):
    page = sign_in(browser, desk_url, "ana")
    open_a_fresh_case(page, desk_url)
    page.click("#customer-link")
    assert page.locator("#customer-cases tbody tr").count() >= 1
    page.fill("#customer-note", "prefers DMs")
    page.click("text=Add note")
    assert "prefers DMs" in page.locator("#customer-notes").inner_text()
    for width, name in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        assert fits_the_width(page)
        page.screenshot(path=str(SHOTS / f"agent-customer-{name}.png"), full_page=True)
    admin = sign_in(browser, desk_url, "ada")
    admin.goto(f"{desk_url}/admin/saved-replies")
    text = admin.input_value("#saved-replies-text")
    admin.fill("#saved-replies-text", text.replace("{{agent.name}}", "{{agent.nickname}}", 1))
    admin.click("#validate-button")
    assert "unknown variable agent.nickname" in admin.locator("#problems").inner_text()
    admin.screenshot(path=str(SHOTS / "admin-saved-replies-error.png"), full_page=False)


CHART_PROBLEMS = """() => {
  const out = [];
  for (const fig of document.querySelectorAll("figure.bars")) {
    const box = fig.getBoundingClientRect();
    if (fig.scrollWidth > fig.clientWidth + 1) out.push(`${fig.ariaLabel}: wider than its box`);
    for (const li of fig.querySelectorAll("li")) {
      const r = li.getBoundingClientRect();
      if (r.height < 8) out.push(`${fig.ariaLabel}: a row is hidden`);
      if (r.left < box.left - 1 || r.right > box.right + 1) out.push(`${fig.ariaLabel}: a row sticks out`);
      for (const part of li.querySelectorAll(".bar-label, .bar-value")) {
        const p = part.getBoundingClientRect();
        if (p.right > box.right + 1 || p.width === 0) out.push(`${fig.ariaLabel}: ${part.className} cut`);
      }
    }
  }
  return out;
}"""


def test_every_report_page_fits_desktop_and_phone_widths(browser, desk_url):
    page = sign_in(browser, desk_url, "ann")
    page.goto(f"{desk_url}/listening")
    drill = page.locator("#voice table a").first.get_attribute("href")
    for path, name in (
        ("/reports", "reports"),
        ("/listening", "listening"),
        (drill, "listening-mentions"),
    ):
        for width, size in ((1280, "desktop"), (390, "phone")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(desk_url + path)
            assert fits_the_width(page), (path, width)
            assert page.evaluate(CHART_PROBLEMS) == [], (path, width)
            page.screenshot(path=str(SHOTS / f"analyst-{name}-{size}.png"), full_page=True)
    page.goto(desk_url + drill)
    figure = int(page.locator("#mentions-total").inner_text().split()[0])
    assert page.locator("#mentions tbody tr").count() == min(figure, 100)


def test_review_and_models_pages(browser, desk_url, shared_data):
    page = sign_in(browser, desk_url, "ana")
    page.goto(f"{desk_url}/review")
    first = page.locator(".review-item").first
    case_id = first.get_attribute("data-case")
    first.locator("button[value=negative]").click()
    assert page.url.endswith("/review")
    assert page.locator(f'.review-item[data-case="{case_id}"]').count() == 0
    for width, size in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{desk_url}/review")
        assert fits_the_width(page), width
        page.screenshot(path=str(SHOTS / f"agent-review-{size}.png"), full_page=False)

    with (shared_data / "airline_tweets.csv").open(newline="", encoding="utf-8") as fh:
        rows = [(r["text"], r["sentiment"]) for r in csv.DictReader(fh) if r["sentiment"]]
    corrections.import_rows(
        STORE["engine"], "sentiment", rows[:400], "import", "import:b", utcnow()
    )
    admin = sign_in(browser, desk_url, "ada")
    admin.goto(f"{desk_url}/admin/models")
    admin.click('.model-card[data-task="sentiment"] button.retrain')
    assert "Promoted sentiment-" in admin.locator("body").inner_text()
    assert admin.locator('.model-card[data-task="sentiment"] table.confusion').count() == 1
    admin.click('.model-card[data-task="complaint"] button.retrain')  # no corrections: turned down
    turned_down = admin.locator('.model-card[data-task="complaint"] .last-attempt').inner_text()
    assert "not promoted" in turned_down and "needs at least" in turned_down
    for width, size in ((1280, "desktop"), (390, "phone")):
        admin.set_viewport_size({"width": width, "height": 900})
        admin.goto(f"{desk_url}/admin/models")
        assert fits_the_width(admin), width
        admin.screenshot(path=str(SHOTS / f"admin-models-{size}.png"), full_page=True)


def test_a_routed_post_shows_in_every_open_queue_within_2_s(browser, desk_url):
    from route.casebook import CaseBook, case_id_for
    from route.rules import default_rules
    from tests.factories import classified

    pages = [sign_in(browser, desk_url, name) for name in ("ana", "bob")]
    for page in pages:
        page.goto(desk_url + "/")
        page.wait_for_function("document.body.dataset.stream === 'open'", timeout=10_000)
    conv = f"live-{time.time_ns()}"
    with STORE["engine"].begin() as conn:
        CaseBook(conn, default_rules(), utcnow()).apply(
            [
                classified(
                    conv,
                    urgency="critical",
                    text="smoke in the cabin, row 12",
                    created_at=utcnow().isoformat(),
                )
            ]
        )
    routed = time.monotonic()
    for page in pages:
        page.wait_for_selector(f'tr[data-case="{case_id_for("x", conv)}"]', timeout=2_000)
    assert time.monotonic() - routed <= 2.0
    pages[0].screenshot(path=str(SHOTS / "agent-queue-live.png"), full_page=False)
