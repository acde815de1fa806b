"""Role matrix over every route of both apps, enumerated from the apps
themselves (a new route is covered the day it is added).

Journalist app: every route outside a short public list rejects anonymous
requests, source sessions and expired tokens; pages accept only the
journalist session cookie, the API only bearer tokens.
Source app: journalist credentials are ignored (the answer with them equals
the anonymous answer), and source-only pages stay closed to them.
"""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.routing import iter_route_contexts
from starlette.testclient import TestClient

from server.journalist.app import create_journalist_app
from server.journalist.deps import SESSION_COOKIE
from server.source.app import create_source_app
from server.storage import Store
from tests.server.journalist_fixtures import csrf_of, make_instance

# Routes anyone may reach: the sign-in form, its stylesheet, the token
# exchange and the API schema (the app sits behind client authorisation).
JOURNALIST_PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/static/journalist.css"),
    ("POST", "/api/v1/token"),
    ("GET", "/openapi.json"),
    ("HEAD", "/openapi.json"),
}
# Source pages that need a signed-in source.
SOURCE_SIGNED_IN = {"/submit", "/replies", "/logout"}


def _routes(app):
    """(method, path) of every route the app really serves, included routers
    flattened the way FastAPI itself resolves them."""
    out = []
    for route in iter_route_contexts(app.routes):
        if route.path is None or route.methods is None:
            continue  # a mount or a websocket: neither app has one
        out.extend((method, route.path) for method in sorted(route.methods))
    assert len(out) == len(set(out))
    return out


def _fill(path, ids):
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: ids.get(m.group(1), str(uuid.uuid4())), path)


def _rejected(r) -> bool:
    if r.status_code in (401, 403):
        return True
    return r.status_code in (302, 303, 307) and r.headers.get("location") == "/login"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    inst = make_instance(tmp_path_factory.mktemp("matrix"))
    alice = inst.enrol("alice")
    source_id = inst.add_source()
    submission_id = inst.add_submission(source_id)[0]
    japp = create_journalist_app(inst.settings, clock=inst.clock)
    sapp = create_source_app(inst.settings, clock=inst.clock, login_floor_seconds=0.0)

    def jclient():
        return TestClient(japp, base_url="http://127.0.0.1", follow_redirects=False)

    # An expired token: issued, then the clock moves past its lifetime (but
    # well inside a session's two hours).
    c = jclient()
    expired = c.post(
        "/api/v1/token",
        json={"username": "alice", "password": alice.password, "otp": inst.next_code(alice)},
    ).json()["token"]
    inst.clock.advance(inst.settings.api_token_minutes * 60 + 1)
    token = c.post(
        "/api/v1/token",
        json={"username": "alice", "password": alice.password, "otp": inst.next_code(alice)},
    ).json()["token"]
    page = c.get("/login")
    c.post(
        "/login",
        data={
            "username": "alice",
            "password": alice.password,
            "otp": inst.next_code(alice),
            "csrf_token": csrf_of(page.text),
        },
    )
    j_cookie = c.cookies[SESSION_COOKIE]
    j_csrf = csrf_of(c.get("/").text)

    src = TestClient(sapp, base_url="http://127.0.0.1", follow_redirects=False)
    home = src.get("/")
    created = src.post("/new", data={"csrf_token": csrf_of(home.text)})
    assert created.status_code == 200
    s_cookies = dict(src.cookies.items())
    s_csrf = csrf_of(created.text)
    assert s_cookies

    return {
        "inst": inst,
        "japp": japp,
        "sapp": sapp,
        "ids": {"source_id": source_id, "submission_id": submission_id},
        "token": token,
        "expired": expired,
        "j_cookie": j_cookie,
        "j_csrf": j_csrf,
        "s_cookies": s_cookies,
        "s_csrf": s_csrf,
    }


def _request(app, method, url, *, cookies=None, headers=None, csrf=""):
    client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    for k, v in (cookies or {}).items():
        client.cookies.set(k, v)
    kwargs = {"headers": headers or {}}
    if method == "POST":
        kwargs["data"] = {"csrf_token": csrf}
    return client.request(method, url, **kwargs)


def test_journalist_routes_are_enumerated(world):
    routes = _routes(world["japp"])
    assert ("DELETE", "/api/v1/submissions/{submission_id}") in routes
    assert ("POST", "/sources/{source_id}/delete") in routes
    assert len(routes) >= 20


def test_every_journalist_route_rejects_the_wrong_roles(world):
    japp, ids = world["japp"], world["ids"]
    wrong_roles = {
        "anonymous": {},
        # A source's cookie, under its own name and under the journalist one.
        "source session": {
            "cookies": {
                **world["s_cookies"],
                SESSION_COOKIE: next(iter(world["s_cookies"].values())),
            }
        },
        "expired token": {"headers": {"Authorization": f"Bearer {world['expired']}"}},
    }
    checked = 0
    for method, path in _routes(japp):
        if (method, path) in JOURNALIST_PUBLIC:
            continue
        url = _fill(path, ids)
        for role, kw in wrong_roles.items():
            # The journalist's valid CSRF token rides along: auth alone must refuse.
            r = _request(japp, method, url, csrf=world["j_csrf"], **kw)
            assert _rejected(r), f"{role} reached {method} {path}: {r.status_code}"
            checked += 1
        is_api = path.startswith("/api/")
        # The other journalist credential type is refused as well.
        if is_api:
            r = _request(japp, method, url, cookies={SESSION_COOKIE: world["j_cookie"]})
            assert _rejected(r), f"session cookie reached API {method} {path}"
        else:
            r = _request(
                japp,
                method,
                url,
                headers={"Authorization": f"Bearer {world['token']}"},
                csrf=world["j_csrf"],
            )
            assert _rejected(r), f"bearer token reached page {method} {path}"
    assert checked >= 3 * 15
    # Nothing was deleted by any refused request.
    inst = world["inst"]
    assert Store(inst.settings.paths).bundle_path(ids["submission_id"]).exists()


def test_public_journalist_routes_are_exactly_the_allowlist(world):
    japp = world["japp"]
    public = set()
    for method, path in _routes(japp):
        r = _request(japp, method, _fill(path, world["ids"]))
        if not _rejected(r):
            public.add((method, path))
    # /api/v1/token and POST /login answer 4xx to an empty body, not a rejection.
    assert public <= JOURNALIST_PUBLIC


def test_the_right_role_gets_through_every_journalist_route(world):
    japp, ids = world["japp"], world["ids"]
    # Deleting routes after the others, signing out last of all.
    routes = sorted(
        _routes(japp),
        key=lambda mp: (mp[1] == "/logout", "delete" in mp[1] or mp[0] == "DELETE", mp),
    )
    for method, path in routes:
        if (method, path) in JOURNALIST_PUBLIC:
            continue
        url = _fill(path, ids)
        if path.startswith("/api/"):
            r = _request(japp, method, url, headers={"Authorization": f"Bearer {world['token']}"})
        else:
            r = _request(
                japp, method, url, cookies={SESSION_COOKIE: world["j_cookie"]}, csrf=world["j_csrf"]
            )
        if path == "/logout":
            # Success also lands on /login, but only a real sign-out clears the cookie.
            assert f'{SESSION_COOKIE}=""' in r.headers.get("set-cookie", "")
            continue
        assert not _rejected(r), f"journalist refused at {method} {path}: {r.status_code}"
        assert r.status_code < 500


def test_source_routes_ignore_journalist_credentials(world):
    sapp = world["sapp"]
    routes = _routes(sapp)
    assert ("POST", "/submit") in routes
    journalist_creds = {
        "cookies": {SESSION_COOKIE: world["j_cookie"], "samizdat_session": world["j_cookie"]},
        "headers": {"Authorization": f"Bearer {world['token']}"},
    }
    for method, path in routes:
        url = _fill(path, {})
        anonymous = _request(sapp, method, url)
        with_journalist = _request(sapp, method, url, **journalist_creds)
        assert with_journalist.status_code == anonymous.status_code, (method, path)
        if path in SOURCE_SIGNED_IN or path.startswith("/replies/"):
            assert with_journalist.status_code != 200, (method, path)
