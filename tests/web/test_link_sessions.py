"""The hosted connect flow over plain HTTP: sessions, the form, codes, and every refusal."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from plantlink.connectors.maintainx import MaintainXConnector
from plantlink.connectors.registry import CONNECTORS
from plantlink.sandbox.core.server import SandboxServer
from plantlink.store.tables import connection_tokens, connections, link_codes, link_sessions
from tests.api.conftest import wait_synced
from tests.web.conftest import FormClient, Integrator, code_of, count, creds


def _session_error(integrator: Integrator, body: dict[str, Any]) -> dict[str, Any]:
    with integrator.admin() as admin:
        r = admin.post("/v1/admin/link-sessions", json=body)
    assert r.status_code == 422, r.text
    error: dict[str, Any] = r.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    return error


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"redirect_url": "https://evil.example/plantlink/connected"}, "redirect_url"),
        ({"redirect_url": "{registered}/more"}, "redirect_url"),
        ({"redirect_url": "{registered}?next=https://evil.example"}, "redirect_url"),
        ({"systems": ["maintainx", "widgetworks"]}, "systems"),
        ({"systems": []}, "systems"),
        ({"connection_id": "00000000-0000-0000-0000-000000000000"}, "connection_id"),
        ({"end_user_name": ""}, "end_user_name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_session_requests_are_refused(
    integrator: Integrator, change: dict[str, Any], field: str
) -> None:
    body: dict[str, Any] = {"redirect_url": integrator.receiver.url}
    for key, value in change.items():
        body[key] = (
            value.format(registered=integrator.receiver.url) if key == "redirect_url" else value
        )
    error = _session_error(integrator, body)
    named = error["details"].get("field") or error["details"]["errors"][0]["field"]
    assert named == field
    assert field in error["message"]
    assert count(integrator.api, link_sessions) == 0


def test_session_for_another_organizations_connection(
    maintainx: SandboxServer, integrator: Integrator
) -> None:
    other_key = integrator.api.new_org("Someone Else")
    with integrator.api.client(other_key) as other:
        r = other.post(
            "/v1/admin/connections",
            json={"system": "maintainx", "name": "Theirs", "credentials": creds(maintainx)},
        )
        assert r.status_code == 201, r.text
        theirs = r.json()["connection"]["id"]
    error = _session_error(
        integrator, {"redirect_url": integrator.receiver.url, "connection_id": theirs}
    )
    assert error["details"]["field"] == "connection_id"
    assert count(integrator.api, link_sessions) == 0


def test_session_needs_an_admin_key(integrator: Integrator) -> None:
    with integrator.api.client("plk_conn_not-an-admin-key") as c:
        r = c.post("/v1/admin/link-sessions", json={"redirect_url": integrator.receiver.url})
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTHENTICATION_FAILED"


def test_connect_wrong_then_right_then_exchange(
    maintainx: SandboxServer, integrator: Integrator, browser_form: FormClient
) -> None:
    url = integrator.link_session(end_user_name="Plant 3", state="opaque-42")
    page = browser_form.get(url)
    assert page.status_code == 200 and "Connect your MaintainX" in page.text

    wrong = browser_form.connect(url, creds(maintainx, api_key="not-the-key"))
    assert wrong.status_code == 422
    assert 'role="alert"' in wrong.text
    assert "MaintainX did not accept these credentials" in wrong.text
    assert "refused the credentials" in wrong.text  # the source's own reason follows
    assert "not-the-key" not in wrong.text  # a secret is never echoed back
    assert maintainx.info["credentials"]["base_url"] in wrong.text  # the rest is kept
    assert count(integrator.api, connections) == 0

    right = browser_form.connect(url, creds(maintainx))
    assert right.status_code == 303, right.text
    location = right.headers["location"]
    assert location.startswith(integrator.receiver.url + "?")
    assert "state=opaque-42" in location
    assert right.headers["referrer-policy"] == "no-referrer"
    code = code_of(location)
    assert count(integrator.api, connections) == 1

    exchanged = integrator.exchange(code)
    assert exchanged.status_code == 200, exchanged.text
    body = exchanged.json()
    assert body["connection"]["name"] == "Plant 3"
    assert body["connection"]["system"] == "maintainx"
    assert "api_key" not in body["connection"]["credentials"]
    with integrator.api.client(body["token"]) as c:
        status = wait_synced(c)
        assert status["connection_id"] == body["connection"]["id"]
        assert c.get("/v1/work-orders", params={"page_size": 1}).json()["data"]

    again = integrator.exchange(code)
    assert again.status_code == 422
    assert again.json()["error"]["details"] == {
        "field": "code",
        "reason": "used",
        "connection_id": body["connection"]["id"],
    }
    with integrator.api.client(body["token"]) as c:  # a refused replay revokes nothing
        assert c.get("/v1/connection").status_code == 200

    reopened = browser_form.get(url)
    assert reopened.status_code == 410 and "already used" in reopened.text
    assert count(integrator.api, connections) == 1


def test_unknown_links_and_codes(integrator: Integrator, browser_form: FormClient) -> None:
    r = browser_form.get(f"{integrator.api.url}/link/plk_link_doesnotexist")
    assert r.status_code == 404 and "Link not found" in r.text
    r = integrator.exchange("plk_code_doesnotexist")
    assert r.status_code == 422
    assert r.json()["error"]["details"] == {"field": "code", "reason": "unknown"}


def test_forged_posts_create_nothing(
    maintainx: SandboxServer, integrator: Integrator, browser_form: FormClient
) -> None:
    url = integrator.link_session()
    other_url = integrator.link_session()
    good = creds(maintainx)
    fields = {f"credentials.{k}": str(v) for k, v in good.items()}
    other_token = browser_form.csrf(browser_form.get(other_url))
    token = browser_form.csrf(browser_form.get(url))

    attempts = [
        # a cross-site post: no cookie of ours, no token
        httpx.post(url, data={"system": "maintainx", **fields}),
        # a token lifted from a page, sent without the browser's cookie
        httpx.post(url, data={"csrf_token": token, "system": "maintainx", **fields}),
        # the browser's cookie, but the token of another link session
        browser_form.post(url, {"csrf_token": other_token, "system": "maintainx", **fields}),
        # the browser's cookie and no token
        browser_form.post(url, {"system": "maintainx", **fields}),
        # a tampered token
        browser_form.post(url, {"csrf_token": token[:-2] + "xx", "system": "maintainx", **fields}),
    ]
    for r in attempts:
        assert r.status_code == 403, r.text
        assert "could not be verified" in r.text
    assert count(integrator.api, connections) == 0
    assert integrator.receiver.hits == []
    # the session itself is untouched and still works
    assert browser_form.connect(url, good, csrf=token).status_code == 303


def test_system_outside_the_session_is_refused(
    maintainx: SandboxServer, integrator: Integrator, browser_form: FormClient
) -> None:
    url = integrator.link_session(systems=["maintainx"])
    r = browser_form.connect(url, creds(maintainx), system="sap_s4hana")
    assert r.status_code == 422 and "Choose one of the systems listed" in r.text
    assert count(integrator.api, connections) == 0


def test_missing_field_is_named_on_the_form(
    maintainx: SandboxServer, integrator: Integrator, browser_form: FormClient
) -> None:
    url = integrator.link_session()
    r = browser_form.connect(url, {**creds(maintainx), "api_key": ""})
    assert r.status_code == 422
    assert 'aria-invalid="true"' in r.text and "is required" in r.text
    assert 'id="cred-api_key-error"' in r.text
    assert count(integrator.api, connections) == 0


@pytest.mark.parametrize("settings_overrides", [{"link_session_ttl_seconds": 1}])
def test_expired_session(
    maintainx: SandboxServer, integrator: Integrator, browser_form: FormClient
) -> None:
    url = integrator.link_session(state="s-1")
    token = browser_form.csrf(browser_form.get(url))  # opened in time …
    time.sleep(1.2)  # … submitted too late
    r = browser_form.connect(url, creds(maintainx), csrf=token)
    assert r.status_code == 410 and "This link has expired" in r.text
    assert "error=expired" in r.text and "state=s-1" in r.text  # a way back
    r = browser_form.get(url)
    assert r.status_code == 410 and "This link has expired" in r.text
    assert count(integrator.api, connections) == 0
    assert count(integrator.api, link_codes) == 0


@pytest.mark.parametrize("settings_overrides", [{"link_code_ttl_seconds": 1}])
def test_expired_code(
    maintainx: SandboxServer, integrator: Integrator, browser_form: FormClient
) -> None:
    r = browser_form.connect(integrator.link_session(), creds(maintainx))
    assert r.status_code == 303
    time.sleep(1.2)
    refused = integrator.exchange(code_of(r.headers["location"]))
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["details"]["reason"] == "expired" and "expired" in error["message"]
    with integrator.api.store.engine.connect() as conn:  # no token was issued for it
        rows = conn.execute(connection_tokens.select()).all()
    assert len(rows) == 1 and rows[0].revoked_at is None


def test_code_of_another_organization(
    maintainx: SandboxServer, integrator: Integrator, browser_form: FormClient
) -> None:
    r = browser_form.connect(integrator.link_session(), creds(maintainx))
    code = code_of(r.headers["location"])
    with integrator.api.client(integrator.api.new_org("Someone Else")) as other:
        stolen = other.post("/v1/admin/link-sessions/exchange", json={"code": code})
    assert stolen.status_code == 422
    assert stolen.json()["error"]["details"] == {"field": "code", "reason": "unknown"}
    assert integrator.exchange(code).status_code == 200  # the owner's code still works


def test_double_submit_creates_one_connection(
    maintainx: SandboxServer, integrator: Integrator, browser_form: FormClient
) -> None:
    url = integrator.link_session()
    token = browser_form.csrf(browser_form.get(url))
    httpx.post(f"{maintainx.base_url}/_sandbox/latency", json={"ms": 1500}).raise_for_status()
    results: list[httpx.Response] = []

    def submit() -> None:
        results.append(browser_form.connect(url, creds(maintainx), csrf=token))

    first = threading.Thread(target=submit)
    first.start()
    deadline = time.monotonic() + 30
    while not _claimed(integrator):  # the first submission is checking the credentials
        assert time.monotonic() < deadline
        time.sleep(0.02)
    submit()
    first.join()
    httpx.post(f"{maintainx.base_url}/_sandbox/latency", json={"ms": 0}).raise_for_status()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [303, 409], [r.text for r in results]
    assert "Already connecting" in next(r.text for r in results if r.status_code == 409)
    assert count(integrator.api, connections) == 1


def _claimed(integrator: Integrator) -> bool:
    with integrator.api.store.engine.connect() as conn:
        row = conn.execute(link_sessions.select()).first()
    return row is not None and row.claimed_until is not None


class _SecondMaintainX(MaintainXConnector):
    """Another connectable system (a MaintainX region), so the page has to ask."""

    system = "maintainx_eu"
    label = "MaintainX EU"


def test_system_choice(
    maintainx: SandboxServer,
    integrator: Integrator,
    browser_form: FormClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(CONNECTORS, "maintainx_eu", _SecondMaintainX())
    url = integrator.link_session(systems=None)
    page = browser_form.get(url)
    assert page.status_code == 200 and "Which system do you use?" in page.text
    assert 'id="system-maintainx"' in page.text and 'id="system-maintainx_eu"' in page.text
    assert 'name="csrf_token"' not in page.text  # choosing is a plain GET, nothing changes

    bogus = browser_form.get(url, params={"system": "widgetworks"})
    assert bogus.status_code == 400 and "Choose one of the systems listed" in bogus.text

    form = browser_form.get(url, params={"system": "maintainx_eu"})
    assert form.status_code == 200 and "Connect your MaintainX EU" in form.text
    assert "Choose another system" in form.text
    r = browser_form.connect(
        url, creds(maintainx), system="maintainx_eu", csrf=FormClient.csrf(form)
    )
    assert r.status_code == 303
    exchanged = integrator.exchange(code_of(r.headers["location"])).json()
    assert exchanged["connection"]["system"] == "maintainx_eu"

    limited = browser_form.get(integrator.link_session(systems=["maintainx"]))
    assert (
        "Which system do you use?" not in limited.text and "Connect your MaintainX" in limited.text
    )
