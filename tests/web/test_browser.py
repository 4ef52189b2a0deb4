"""The hosted connect page and the dashboard in a real browser (Debian's Chromium, headless)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from plantlink.sandbox.core.server import SandboxServer
from tests.api.conftest import Linked, wait_synced
from tests.web.conftest import Integrator, creds

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.browser

ACCESSIBILITY = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('html has no lang');
  if (!document.title.trim()) problems.push('no title');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!el.labels || el.labels.length === 0) problems.push('no label: ' + (el.id || el.name));
  }
  for (const el of document.querySelectorAll('fieldset')) {
    if (!el.querySelector(':scope > legend')) problems.push('fieldset without legend');
  }
  return problems;
}"""


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing but CI is set: browser tests must run")
        pytest.skip(f"{CHROMIUM} missing (install Debian's chromium; CI makes this a failure)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context()
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def assert_accessible(page: Page) -> None:
    assert page.evaluate(ACCESSIBILITY) == []


def focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.textContent"))


def test_connect_flow_end_to_end(
    maintainx: SandboxServer, integrator: Integrator, page: Page
) -> None:
    url = integrator.link_session(end_user_name="Plant 9", state="st-1", systems=None)
    source = creds(maintainx)
    page.goto(url)
    choice = page.get_by_role("group", name="Which system do you use?")
    if choice.count():  # the choice is only asked once several systems can be connected
        assert_accessible(page)
        choice.get_by_label("MaintainX").check()
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile("Connect MaintainX"))
    assert_accessible(page)

    page.get_by_label("Instance URL").fill(source["base_url"])
    page.get_by_label("API key").fill("a-wrong-key")
    page.get_by_label("Organization id").fill(str(source["organization_id"]))
    page.get_by_role("button", name="Connect").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("MaintainX did not accept these credentials")
    expect(alert).to_contain_text("refused the credentials")
    expect(page.get_by_label("API key")).to_be_focused()
    expect(page.get_by_label("API key")).to_have_value("")
    expect(page.get_by_label("Instance URL")).to_have_value(source["base_url"])
    assert_accessible(page)
    assert integrator.receiver.hits == []

    page.get_by_label("API key").fill(source["api_key"])
    page.get_by_role("button", name="Connect").click()
    page.wait_for_url(re.compile(re.escape(integrator.receiver.url) + r"\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Back at the integrator")

    (hit,) = integrator.receiver.hits
    assert hit["state"] == "st-1" and hit["code"].startswith("plk_code_")
    exchanged = integrator.exchange(hit["code"])
    assert exchanged.status_code == 200, exchanged.text
    with integrator.api.client(exchanged.json()["token"]) as c:
        wait_synced(c)
        work_orders = c.get("/v1/work-orders", params={"page_size": 5}).json()["data"]
    assert len(work_orders) == 5 and all(w["remote_id"] for w in work_orders)


def test_reconnect_flow(maintainx: SandboxServer, integrator: Integrator, page: Page) -> None:
    with integrator.admin() as admin:
        made = admin.post(
            "/v1/admin/connections",
            json={"system": "maintainx", "name": "Line 4", "credentials": creds(maintainx)},
        ).json()
    old_token, connection_id = made["token"], made["connection"]["id"]
    with integrator.api.client(old_token) as c:
        wait_synced(c)
    rotated = httpx.post(f"{maintainx.base_url}/_sandbox/credentials/rotate").json()

    page.goto(integrator.link_session(connection_id=connection_id, state="re"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Reconnect Line 4")
    expect(page.get_by_label("Instance URL")).to_have_value(rotated["base_url"])
    expect(page.get_by_label("API key")).to_have_value("")
    assert_accessible(page)
    page.get_by_label("API key").fill(rotated["api_key"])
    page.get_by_role("button", name="Reconnect").click()
    page.wait_for_url(re.compile(re.escape(integrator.receiver.url) + r"\?"))

    (hit,) = integrator.receiver.hits
    exchanged = integrator.exchange(hit["code"]).json()
    assert exchanged["connection"]["id"] == connection_id
    with integrator.api.client(exchanged["token"]) as c:
        assert c.get("/v1/connection").status_code == 200
        wait_synced(c)
        assert c.get("/v1/work-orders", params={"page_size": 1}).json()["data"]
    with integrator.api.client(old_token) as c:
        assert c.get("/v1/connection").status_code == 401


def test_keyboard_only(maintainx: SandboxServer, integrator: Integrator, page: Page) -> None:
    source = creds(maintainx)
    page.goto(integrator.link_session())

    page.keyboard.press("Tab")
    assert focused(page) == "Skip to main content"
    for field, value in (
        ("cred-base_url", source["base_url"]),
        ("cred-api_key", source["api_key"]),
        ("cred-organization_id", str(source["organization_id"])),
    ):
        page.keyboard.press("Tab")
        assert focused(page) == field
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    assert focused(page) == "Connect"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(integrator.receiver.url) + r"\?"))
    assert integrator.receiver.hits[0]["code"]


def test_dashboard_sign_in_and_sync_now(linked: Linked, page: Page) -> None:
    page.goto(f"{linked.api.url}/dashboard")
    expect(page).to_have_url(re.compile("/dashboard/login$"))
    assert_accessible(page)
    page.get_by_label("Admin API key").fill(linked.admin_key)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Connections")
    row = page.get_by_role("row", name=re.compile("Plant 3"))
    expect(row).to_contain_text("MaintainX")
    expect(row).to_contain_text("active")
    expect(page.get_by_role("img", name=re.compile("Records changed per hour"))).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Plant 3").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plant 3")
    expect(page.get_by_role("row", name=re.compile("work-orders"))).to_contain_text("done")
    runs = page.locator("tr.run")
    before = runs.count()
    assert before >= 1
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_role("status")).to_contain_text("Sync queued")

    deadline = time.monotonic() + 30
    while runs.count() == before:
        assert time.monotonic() < deadline, "the dashboard's sync never showed up"
        time.sleep(0.2)
        page.reload()
    expect(runs.first).to_contain_text("dashboard")
    with linked.client() as c:
        wait_synced(c)
