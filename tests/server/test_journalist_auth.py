"""Journalist sign-in: password + TOTP, replay, throttling, no account
oracle, server-side sessions (regenerated, expiring, killed by epoch), CSRF,
and short-lived API tokens."""

from __future__ import annotations

import pytest

from crypto.totp import STEP_SECONDS, totp_code
from server.admin.context import AdminContext
from server.admin.journalists import remove_journalist, reset_password
from server.db.engine import make_engine
from server.journalist.deps import SESSION_COOKIE
from tests.server.journalist_fixtures import (
    Instance,
    api_token,
    client_for,
    csrf_of,
    make_instance,
    second_client,
    sign_in,
)


@pytest.fixture
def inst(tmp_path):
    return make_instance(tmp_path)


def _admin(inst: Instance) -> AdminContext:
    return AdminContext(
        paths=inst.settings.paths,
        engine=make_engine(inst.settings.paths.db),
        actor="test",
        clock=inst.clock,
    )


def _attempt(client, inst, username, password, otp):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "otp": otp,
            "csrf_token": csrf_of(page.text),
        },
    )


def _error_text(html: str) -> str:
    start = html.index('class="error"')
    return html[start : html.index("</p>", start)]


def test_sign_in_regenerates_session_and_sets_safe_cookie(inst):
    alice = inst.enrol("alice")
    client = client_for(inst)
    page = client.get("/login")
    assert page.status_code == 200
    assert "<script" not in page.text
    pre_cookie = client.cookies[SESSION_COOKIE]
    r = client.post(
        "/login",
        data={
            "username": "alice",
            "password": alice.password,
            "otp": inst.next_code(alice),
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 303
    set_cookie = r.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    assert "Secure" not in set_cookie
    post_cookie = client.cookies[SESSION_COOKIE]
    assert post_cookie != pre_cookie
    # The cookie is opaque: it holds neither the name nor the id.
    assert "alice" not in post_cookie
    home = client.get("/")
    assert home.status_code == 200 and "Sources" in home.text
    # The pre-sign-in value was dropped: it is not a session of alice.
    fixation = second_client(client)
    fixation.cookies.set(SESSION_COOKIE, pre_cookie)
    assert fixation.get("/").status_code == 303


def test_failures_look_the_same_whether_or_not_the_user_exists(inst):
    alice = inst.enrol("alice")
    client = client_for(inst)
    code = inst.next_code(alice)
    wrong_password = _attempt(client, inst, "alice", "not the password", code)
    no_such_user = _attempt(client, inst, "mallory", alice.password, code)
    wrong_code = _attempt(
        client, inst, "alice", alice.password, "000000" if code != "000000" else "111111"
    )
    assert wrong_password.status_code == no_such_user.status_code == wrong_code.status_code == 401
    assert _error_text(wrong_password.text) == _error_text(no_such_user.text)
    assert _error_text(wrong_code.text) == _error_text(no_such_user.text)


def test_a_code_is_accepted_once(inst):
    alice = inst.enrol("alice")
    client = client_for(inst)
    code = inst.next_code(alice)
    assert _attempt(client, inst, "alice", alice.password, code).status_code == 303
    other = second_client(client)
    assert _attempt(other, inst, "alice", alice.password, code).status_code == 401
    # An earlier step's code is refused too, even inside the ±1 window.
    older = totp_code(alice.totp_secret, inst.clock.ts() - STEP_SECONDS)
    assert _attempt(other, inst, "alice", alice.password, older).status_code == 401
    # The next step works.
    nxt = inst.next_code(alice)
    assert _attempt(other, inst, "alice", alice.password, nxt).status_code == 303


def test_more_than_five_attempts_a_minute_are_refused_with_a_wait(inst):
    alice = inst.enrol("alice")
    client = client_for(inst)
    for name in ("alice", "nobody"):
        for _ in range(5):
            assert _attempt(client, inst, name, "wrong", "123456").status_code == 401
        refused = _attempt(client, inst, name, alice.password, inst.code(alice))
        assert refused.status_code == 429
        assert "Wait" in refused.text and "seconds" in refused.text
        assert int(refused.headers["retry-after"]) > 0
    inst.clock.advance(61)
    assert _attempt(client, inst, "alice", alice.password, inst.code(alice)).status_code == 303


def test_session_expires_after_two_hours(inst):
    alice = inst.enrol("alice")
    client = client_for(inst)
    sign_in(client, inst, alice)
    inst.clock.advance(2 * 3600 - 60)
    assert client.get("/").status_code == 200
    inst.clock.advance(120)
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_admin_reset_and_removal_kill_sessions_and_tokens(inst):
    alice = inst.enrol("alice")
    bob = inst.enrol("bob")
    client = client_for(inst)
    sign_in(client, inst, alice)
    token = api_token(client, inst, alice)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/submissions", headers=headers).status_code == 200
    reset_password(_admin(inst), "alice")
    assert client.get("/").status_code == 303
    assert client.get("/api/v1/submissions", headers=headers).status_code == 401

    bob_client = second_client(client)
    sign_in(bob_client, inst, bob)
    remove_journalist(_admin(inst), "bob")
    assert bob_client.get("/").status_code == 303


def test_change_own_password(inst):
    alice = inst.enrol("alice")
    client = client_for(inst)
    csrf = sign_in(client, inst, alice)
    wrong = client.post("/account/password", data={"csrf_token": csrf, "current_password": "nope"})
    assert wrong.status_code == 400
    r = client.post(
        "/account/password", data={"csrf_token": csrf, "current_password": alice.password}
    )
    assert r.status_code == 200
    new_password = r.text.split('id="new-password">', 1)[1].split("<", 1)[0]
    assert len(new_password.split("-")) >= 7
    # Every session ended, including this one.
    assert client.get("/").status_code == 303
    assert _attempt(client, inst, "alice", alice.password, inst.next_code(alice)).status_code == 401
    assert _attempt(client, inst, "alice", new_password, inst.next_code(alice)).status_code == 303


def test_forms_without_the_csrf_token_are_refused(inst):
    alice = inst.enrol("alice")
    client = client_for(inst)
    csrf = sign_in(client, inst, alice)
    for data in ({}, {"csrf_token": "x" * len(csrf)}):
        r = client.post("/logout", data=data)
        assert r.status_code == 403
    assert client.get("/").status_code == 200
    # The sign-in form needs its token as well (login CSRF).
    r = client.post(
        "/login",
        data={"username": "alice", "password": alice.password, "otp": inst.next_code(alice)},
    )
    assert r.status_code == 403
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/").status_code == 303


def test_api_token_is_short_lived_and_errors_do_not_echo_secrets(inst):
    alice = inst.enrol("alice")
    client = client_for(inst)
    r = client.post(
        "/api/v1/token",
        json={"username": "alice", "password": alice.password, "otp": inst.next_code(alice)},
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"token", "expires"}
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/submissions", headers=headers).status_code == 200
    inst.clock.advance(inst.settings.api_token_minutes * 60 + 1)
    expired = client.get("/api/v1/submissions", headers=headers)
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == "Bearer"

    bad = client.post(
        "/api/v1/token",
        json={"username": "alice", "password": alice.password, "otp": "000000"},
    )
    assert bad.status_code == 401
    missing = client.post("/api/v1/token", json={"username": "alice", "password": "s3cret-pw"})
    assert missing.status_code == 422
    assert "s3cret-pw" not in missing.text

    # The browser session cookie is not an API credential.
    sign_in(client, inst, alice)
    assert client.get("/api/v1/submissions").status_code == 401
