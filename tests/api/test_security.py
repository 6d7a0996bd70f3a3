"""Security over real HTTP: session fixation, CSRF, throttling, revoked tokens, the secret
check at start-up, and the headers on every response."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from api.app import create_app
from engine import admin, clock
from engine.accounts import passwords, throttle, tokens
from engine.accounts.secret import InsecureSecret
from engine.accounts.throttle import TooManyAttempts
from engine.cases import service
from engine.settings import DEMO_SECRET_KEY
from tests.api.conftest import PASSWORD, Api, make_ctx
from tests.factories import open_task

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client: httpx.Client, login: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/sign-in")
    token = TOKEN.search(page.text)
    assert token, page.text
    return client.post("/sign-in", data={"login": login, "password": password,
                                         "csrf_token": token.group(1), "next": "/"})  # fmt: skip


def session_csrf(client: httpx.Client) -> str:
    found = TOKEN.search(client.get("/").text)
    assert found
    return found.group(1)


@pytest.fixture
def web(sqlite_api: Api) -> Api:
    for login in ("somchai", "malee"):
        passwords.set_password(sqlite_api.ctx, login, PASSWORD)
    return sqlite_api


def test_sign_in_sets_a_hardened_cookie_and_rotates_the_session(web: Api) -> None:
    browser = web.client()
    first = sign_in(browser, "somchai")
    assert (first.status_code, first.headers["location"]) == (303, "/")
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    old = browser.cookies["prflow_session"]
    assert "สมชาย" not in browser.get("/").text and "Somchai" in browser.get("/").text

    # Signing in again in the same browser (as another person) must not keep the old id.
    assert sign_in(browser, "malee").status_code == 303
    new = browser.cookies["prflow_session"]
    assert new != old
    replayed = web.client(Cookie=f"prflow_session={old}").get("/api/v1/me")
    assert replayed.status_code == 401
    assert browser.get("/api/v1/me").json()["login"] == "malee"


def test_a_planted_session_id_is_worthless(web: Api) -> None:
    planted = web.client()
    planted.cookies.set("prflow_session", "attacker-chosen-id", domain="127.0.0.1")
    assert planted.get("/api/v1/me").status_code == 401
    assert sign_in(planted, "somchai").status_code == 303
    assert planted.cookies["prflow_session"] != "attacker-chosen-id"


def test_csrf_is_required_for_browser_writes(web: Api) -> None:
    browser = web.client()
    no_token = browser.post("/sign-in", data={"login": "somchai", "password": PASSWORD})
    assert no_token.status_code == 403
    assert "prflow_session" not in browser.cookies
    sign_in(browser, "somchai")
    case_id = service.start(web.ctx, "website_posting", {"title": "x"}, "malee").id
    task_id = open_task(web.ctx, case_id).id
    claim = f"/api/v1/tasks/{task_id}/claim"
    refused = browser.post(claim)
    assert (refused.status_code, refused.json()["type"]) == (403, "/problems/csrf")
    assert browser.post(claim, headers={"X-CSRF-Token": "guess"}).status_code == 403
    assert service.task(web.ctx, task_id).status == "ready"  # nothing happened
    assert browser.get(f"/api/v1/tasks/{task_id}").status_code == 200  # reads need none
    ok = browser.post(claim, headers={"X-CSRF-Token": session_csrf(browser)})
    assert ok.status_code == 200
    assert browser.post("/sign-out", data={"csrf_token": "guess"}).status_code == 403
    out = browser.post("/sign-out", data={"csrf_token": session_csrf(browser)})
    assert (out.status_code, out.headers["location"]) == (303, "/sign-in")
    assert browser.get("/api/v1/me").status_code == 401


def test_sign_in_is_throttled_after_repeated_failures(web: Api) -> None:
    browser = web.client()
    for _ in range(throttle.MAX_FAILURES):
        wrong = sign_in(browser, "somchai", "wrong password")
        assert wrong.status_code == 401
        assert 'value="somchai"' in wrong.text  # the form keeps what was typed
    locked = sign_in(browser, "somchai")  # even the right password now
    assert locked.status_code == 429
    assert "prflow_session" not in browser.cookies
    with pytest.raises(TooManyAttempts):
        passwords.sign_in(web.ctx, "somchai", PASSWORD)
    later = clock.now() + throttle.WINDOW + timedelta(seconds=1)
    assert passwords.sign_in(web.ctx, "somchai", PASSWORD, now=later).login == "somchai"
    unknown = sign_in(web.client(), "nobody", "whatever1")
    assert unknown.status_code == 401  # same answer as a wrong password


def test_revoked_and_unknown_tokens_are_refused(sqlite_api: Api) -> None:
    token, info = tokens.create(sqlite_api.ctx, "malee", "script")
    client = sqlite_api.client(Authorization=f"Bearer {token}")
    assert client.get("/api/v1/me").json()["login"] == "malee"
    tokens.revoke(sqlite_api.ctx, info.id)
    assert client.get("/api/v1/me").status_code == 401
    forged = sqlite_api.client(Authorization="Bearer prf_not-a-real-token")
    assert forged.get("/api/v1/me").status_code == 401
    listed = {t.id: t for t in tokens.list_tokens(sqlite_api.ctx, "malee")}
    assert listed[info.id].revoked_at is not None


def test_a_deactivated_users_token_is_refused_like_their_session(sqlite_api: Api) -> None:
    token, _ = tokens.create(sqlite_api.ctx, "malee", "script")
    client = sqlite_api.client(Authorization=f"Bearer {token}")
    assert client.get("/api/v1/tasks").status_code == 200
    admin.deactivate_user(sqlite_api.ctx, "malee", "admin", "ย้ายหน่วยงาน")
    refused = client.get("/api/v1/processes")  # a read that asks nothing more of the user
    assert refused.status_code == 403 and "deactivated" in refused.json()["detail"]
    admin.reactivate_user(sqlite_api.ctx, "malee", "admin")
    assert client.get("/api/v1/processes").status_code == 200


@pytest.mark.parametrize("secret", ["", DEMO_SECRET_KEY, "short-secret"])
def test_the_server_refuses_a_missing_default_or_short_secret(sqlite_url: str, secret: str) -> None:
    ctx = make_ctx(sqlite_url, secret=secret)
    try:
        with pytest.raises(InsecureSecret, match="PRFLOW_SECRET_KEY"):
            create_app(ctx)
        demo = make_ctx(sqlite_url, secret=secret, demo=True)
        assert create_app(demo) is not None  # demo mode may use the public key
        demo.close()
    finally:
        ctx.close()


def test_every_response_carries_the_security_headers(web: Api) -> None:
    client = web.client("malee")
    for response in (client.get("/sign-in"), client.get("/api/v1/me"),
                     client.get("/api/v1/tasks/999"), web.client().get("/")):  # fmt: skip
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert web.client().get("/").headers["location"] == "/sign-in"
