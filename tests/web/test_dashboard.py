"""The dashboard over plain HTTP: sign-in, what it shows, Sync now, and what it refuses."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import update

from plantlink.sandbox.core.server import SandboxServer
from plantlink.store.tables import admin_keys, sync_runs
from tests.api.conftest import Linked, wait_synced
from tests.conftest import Api
from tests.web.conftest import FormClient, count, creds


def _sign_in(api: Api, form: FormClient, key: str) -> httpx.Response:
    page = form.get(f"{api.url}/dashboard/login")
    assert page.status_code == 200
    return form.post(
        f"{api.url}/dashboard/login", {"csrf_token": form.csrf(page), "admin_key": key}
    )


def test_pages_need_a_session(api: Api) -> None:
    for path in ("/dashboard", "/dashboard/webhooks", "/dashboard/connections/x"):
        r = httpx.get(api.url + path)
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/login", path
    r = httpx.post(api.url + "/dashboard/connections/x/sync", data={"csrf_token": "x"})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"


def test_sign_in_refusals(api: Api, browser_form: FormClient) -> None:
    api.new_org()
    wrong = "plk_admin_thisIsNotAKeyAnyoneHas"
    r = _sign_in(api, browser_form, wrong)
    assert r.status_code == 401
    assert 'role="alert"' in r.text and "not recognized" in r.text
    assert wrong not in r.text  # never echoed back
    assert "plk_dash" not in browser_form.http.cookies
    forged = httpx.post(f"{api.url}/dashboard/login", data={"admin_key": api.new_org()})
    assert forged.status_code == 403 and "plk_dash" not in forged.headers.get("set-cookie", "")


def test_overview_detail_and_webhooks(
    linked: Linked, maintainx: SandboxServer, browser_form: FormClient
) -> None:
    api = linked.api
    with api.client(api.new_org("Someone Else")) as other:
        theirs = other.post(
            "/v1/admin/connections",
            json={"system": "maintainx", "name": "Not yours", "credentials": creds(maintainx)},
        ).json()["connection"]["id"]
    with linked.admin() as admin:
        hook = admin.post(
            "/v1/admin/webhooks",
            json={"url": "http://127.0.0.1:9/unreachable", "events": ["sync.completed"]},
        ).json()
    with linked.client() as c:
        assert c.post("/v1/sync").status_code == 202

    signed_in = _sign_in(api, browser_form, linked.admin_key)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/dashboard"
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/dashboard" in cookie
    assert linked.admin_key not in cookie

    home = browser_form.get(f"{api.url}/dashboard")
    assert home.status_code == 200
    assert "Plant 3" in home.text and "MaintainX" in home.text and "Not yours" not in home.text
    assert "default-src 'none'" in home.headers["content-security-policy"]
    assert "records changed in the last 48 hours" in home.text  # the chart's summary
    assert 'role="img"' in home.text and "<rect" in home.text

    detail = browser_form.get(f"{api.url}/dashboard/connections/{linked.connection_id}")
    assert detail.status_code == 200
    for model in ("work-orders", "assets", "purchase-orders"):
        assert f'<th scope="row">{model}</th>' in detail.text
    assert "initial" in detail.text and "s-done" in detail.text
    assert browser_form.get(f"{api.url}/dashboard/connections/{theirs}").status_code == 404

    deadline = time.monotonic() + 30
    while True:  # the event of the sync above, sent to a receiver that is not there
        with linked.admin() as admin:
            deliveries = admin.get(f"/v1/admin/webhooks/{hook['id']}/deliveries").json()["data"]
        if deliveries and deliveries[0]["attempt_count"] >= 1:
            break
        assert time.monotonic() < deadline, deliveries
        time.sleep(0.1)
    hooks = browser_form.get(f"{api.url}/dashboard/webhooks")
    assert hooks.status_code == 200
    assert "http://127.0.0.1:9/unreachable" in hooks.text
    assert "sync.completed" in hooks.text and "s-pending" in hooks.text
    assert hook["secret"] not in hooks.text


def test_sync_now(linked: Linked, browser_form: FormClient) -> None:
    api = linked.api
    _sign_in(api, browser_form, linked.admin_key)
    page_url = f"{api.url}/dashboard/connections/{linked.connection_id}"
    sync_url = f"{page_url}/sync"
    runs = count(api, sync_runs)

    forged = [
        httpx.post(sync_url, data={}),  # no session at all
        browser_form.post(sync_url, {}),  # the session, but no token
        browser_form.post(sync_url, {"csrf_token": "made-up"}),
    ]
    assert [r.status_code for r in forged] == [303, 403, 403]
    conn = api.store.accounts.get_connection(linked.connection_id)
    assert conn is not None and not conn.sync_pending
    assert count(api, sync_runs) == runs

    token = browser_form.csrf(browser_form.get(page_url))
    r = browser_form.post(sync_url, {"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].endswith("?queued=1")
    queued = browser_form.get(api.url + r.headers["location"])
    assert "Sync queued" in queued.text
    deadline = time.monotonic() + 30
    while ">dashboard" not in browser_form.get(page_url).text:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert count(api, sync_runs) == runs + 1
    with linked.client() as c:
        wait_synced(c)


def test_session_ends(linked: Linked, browser_form: FormClient) -> None:
    api = linked.api
    _sign_in(api, browser_form, linked.admin_key)
    home = f"{api.url}/dashboard"
    assert browser_form.get(home).status_code == 200

    genuine = browser_form.http.cookies["plk_dash"]
    key_id, expires, signature = genuine.split(".")
    for forged in (f"{key_id}.{int(expires) + 3600}.{signature}", f"{key_id}.{expires}.x"):
        r = httpx.get(home, cookies={"plk_dash": forged})
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/login?ended=1"
        assert 'plk_dash=""' in r.headers["set-cookie"]  # the bad cookie is dropped

    page = browser_form.get(home)
    r = browser_form.post(f"{home}/logout", {"csrf_token": browser_form.csrf(page)})
    assert r.status_code == 303
    assert browser_form.get(home).status_code == 303

    assert httpx.get(home, cookies={"plk_dash": genuine}).status_code == 200
    with api.store.engine.begin() as conn:  # revoking the admin key ends its sessions
        conn.execute(update(admin_keys).values(revoked_at=1))
    ended = httpx.get(home, cookies={"plk_dash": genuine}, follow_redirects=True)
    assert "Your session has ended" in ended.text and 'role="status"' in ended.text
