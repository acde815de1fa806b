"""Auth and web hardening against a real `samizdat serve` (the in-process
role matrix lives in tests/server/test_role_matrix.py, expired tokens
included; this file does not repeat it):

- a marker in a spoofed X-Forwarded-For, X-Real-IP, Forwarded and
  User-Agent reaches no log line and no DB row (nor any file in the data dir);
- the session id changes at sign-in, for a source (POST /new, POST /login)
  and for a journalist (POST /login), and the pre-sign-in cookie is worth
  nothing afterwards (no session fixation);
- every state-changing form of both apps refuses a missing or wrong CSRF
  token and changes nothing;
- every source page (and error page) carries the pinned headers and no
  Server header; cookies are HttpOnly, SameSite=Strict, without Secure.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from crypto.totp import totp_code
from tests.proof.conftest import copy_instance
from tests.proof.figures import Figures
from tests.proof.verify import scan_for_marker
from tests.support.server_process import (
    FreshInstance,
    HttpSource,
    ServerProcess,
    csrf_of,
    db_rows,
)

PINNED = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}
SOURCE_COOKIE = "samizdat_session"
JOURNALIST_COOKIE = "samizdat_journalist"


@dataclass
class World:
    inst: FreshInstance
    server: ServerProcess
    source: HttpSource  # signed in, has sent one submission
    journalist: httpx.Client  # signed-in journalist page session
    journalist_csrf: str
    cookie_before_sign_in: str
    cookie_after_sign_in: str


def _cookie_attrs(response: httpx.Response, name: str) -> list[str]:
    return [v for v in response.headers.get_list("set-cookie") if v.startswith(name + "=")]


def _journalist_sign_in(
    server: ServerProcess, inst: FreshInstance
) -> tuple[httpx.Client, str, str, str]:
    client = httpx.Client(base_url=server.journalist_url, timeout=60)
    page = client.get("/login")
    before = client.cookies.get(JOURNALIST_COOKIE) or ""
    r = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "username": inst.journalist["name"],
            "password": inst.journalist["password"],
            "otp": totp_code(inst.journalist["totp_secret"], time.time()),
        },
    )
    assert r.status_code == 303, (r.status_code, r.text[:300])
    after = client.cookies.get(JOURNALIST_COOKIE) or ""
    home = client.get("/")
    assert home.status_code == 200
    return client, csrf_of(home.text), before, after


@pytest.fixture(scope="module")
def world(
    instance_template: FreshInstance, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    base = tmp_path_factory.mktemp("hardening")
    inst = copy_instance(instance_template, base / "instance")
    server = ServerProcess(inst.data_dir, base / "serve.log", {"TMPDIR": str(base)})
    server.start()
    source = HttpSource(server.source_url)
    try:
        assert source.new().status_code == 200
        assert source.submit([("a.txt", b"hello\n")], "hi").sent
        journalist, jcsrf, before, after = _journalist_sign_in(server, inst)
        yield World(inst, server, source, journalist, jcsrf, before, after)
        journalist.close()
    finally:
        source.close()
        server.stop()


# -- no address or agent kept -------------------------------------------------


@pytest.mark.slow
def test_spoofed_address_and_agent_reach_no_log_and_no_db_row(
    fresh: FreshInstance,
    server_factory: Callable[..., ServerProcess],
    figures: Figures,
) -> None:
    marker = "ADDRMARK" + secrets.token_hex(8)
    spoof = {
        "X-Forwarded-For": f"203.0.113.{secrets.randbelow(200) + 1}, {marker}",
        "X-Real-IP": marker,
        "Forwarded": f'for="{marker}";proto=http',
        "User-Agent": f"Mozilla/5.0 ({marker})",
        "Referer": f"http://{marker}.example/",
    }
    server = server_factory(fresh)
    server.start()
    sent = 0
    with HttpSource(server.source_url, headers=spoof) as source:
        assert source.new().status_code == 200
        assert source.submit([("note.txt", b"a note\n")], "a message").sent
        source.client.get("/replies")
        source.client.get("/no-such-page")
        source.client.post("/logout", data={"csrf_token": "wrong"})
        source.login("not a real codename at all")
        sent += 7
    with httpx.Client(base_url=server.journalist_url, headers=spoof, timeout=60) as j:
        page = j.get("/login")
        j.post(
            "/login",
            data={"csrf_token": csrf_of(page.text), "username": "x", "password": "y", "otp": "1"},
        )
        j.post("/api/v1/token", json={"username": "x", "password": "y", "otp": "123456"})
        j.get("/api/v1/submissions", headers={"Authorization": "Bearer nope"})
        sent += 4
    server.stop()  # flush logs, checkpoint the WAL
    hits, scanned = scan_for_marker(
        marker, everything_under=[fresh.data_dir, server.log_path, Path(server.env["TMPDIR"])]
    )
    figures("requests with spoofed headers", sent)
    figures("files scanned (data dir, DB, WAL, log)", scanned)
    figures("marker hits", len(hits))
    assert not hits, hits


# -- session fixation ------------------------------------------------------------


def test_source_session_id_changes_at_sign_in(world: World) -> None:
    s = httpx.Client(base_url=world.server.source_url, timeout=60)
    try:
        home = s.get("/")
        before = s.cookies.get(SOURCE_COOKIE)
        assert before, "the landing page sets an anonymous session cookie"
        r = s.post("/new", data={"csrf_token": csrf_of(home.text)})
        assert r.status_code == 200
        after_new = s.cookies.get(SOURCE_COOKIE)
        assert after_new and after_new != before
        codename = r.text.split('id="codename">', 1)[1].split("<", 1)[0]
        # The pre-sign-in cookie is worth nothing: an attacker who planted it
        # cannot ride the source's new session.
        stale = httpx.get(
            world.server.source_url + "/submit", cookies={SOURCE_COOKIE: before}, timeout=60
        )
        assert stale.status_code == 303 and "/login" in stale.headers["location"]
        # Sign out, then sign in with the codename: another new id.
        r = s.post("/logout", data={"csrf_token": csrf_of(r.text)})
        assert r.status_code == 200
        after_logout = s.cookies.get(SOURCE_COOKIE)
        assert after_logout != after_new
        login = s.get("/login")
        r = s.post("/login", data={"csrf_token": csrf_of(login.text), "codename": codename})
        assert r.status_code == 303 and r.headers["location"] == "/replies"
        after_login = s.cookies.get(SOURCE_COOKIE)
        assert after_login not in (before, after_new, after_logout)
        stale = httpx.get(
            world.server.source_url + "/replies",
            cookies={SOURCE_COOKIE: after_logout or ""},
            timeout=60,
        )
        assert stale.status_code == 303
    finally:
        s.close()


def test_journalist_session_id_changes_at_sign_in(world: World) -> None:
    assert world.cookie_before_sign_in and world.cookie_after_sign_in
    assert world.cookie_before_sign_in != world.cookie_after_sign_in
    stale = httpx.get(
        world.server.journalist_url + "/",
        cookies={JOURNALIST_COOKIE: world.cookie_before_sign_in},
        timeout=60,
    )
    assert stale.status_code == 303 and stale.headers["location"].endswith("/login"), (
        stale.status_code,
        stale.headers,
    )


# -- CSRF on every state-changing form ------------------------------------------


def _ids(world: World) -> tuple[str, str]:
    db = world.inst.data_dir / "samizdat.db"
    (source_id,) = [str(r[0]) for r in db_rows(db, "source")][:1]
    (submission_id,) = [str(r[0]) for r in db_rows(db, "submission")][:1]
    return source_id, submission_id


def test_every_source_form_refuses_missing_or_wrong_csrf(world: World) -> None:
    src = world.source
    db = world.inst.data_dir / "samizdat.db"
    before = len(db_rows(db, "submission"))
    forms: list[tuple[str, dict[str, str]]] = [
        ("/new", {}),
        ("/login", {"codename": "a b c d e f g"}),
        ("/logout", {}),
        ("/replies/00000000-0000-4000-8000-000000000000/delete", {}),
    ]
    for token in (None, "wrong-" + secrets.token_urlsafe(16)):
        for path, data in forms:
            body = dict(data)
            if token is not None:
                body["csrf_token"] = token
            r = src.client.post(path, data=body, follow_redirects=False)
            assert r.status_code == 403, (path, token, r.status_code)
        res = src.submit([("x.txt", b"should not land\n")], "no", token=token or "")
        assert res.status == 403 and not res.sent, res.status
    assert len(db_rows(db, "submission")) == before
    # Still signed in: the refused logout did not log the source out.
    assert src.client.get("/submit").status_code == 200


def test_every_journalist_form_refuses_missing_or_wrong_csrf(world: World) -> None:
    source_id, submission_id = _ids(world)
    db = world.inst.data_dir / "samizdat.db"
    journalist_rows = db_rows(db, "journalist")
    forms: list[tuple[str, dict[str, str]]] = [
        (f"/sources/{source_id}/star", {"starred": "1"}),
        (f"/sources/{source_id}/delete", {"confirm": "yes"}),
        (f"/submissions/{submission_id}/delete", {}),
        ("/account/password", {"current_password": world.inst.journalist["password"]}),
        ("/logout", {}),
    ]
    for token in (None, "wrong-" + secrets.token_urlsafe(16)):
        for path, data in forms:
            body = dict(data)
            if token is not None:
                body["csrf_token"] = token
            r = world.journalist.post(path, data=body, follow_redirects=False)
            assert r.status_code == 403, (path, token, r.status_code)
        files = {"reply": ("reply.age", b"age-encryption.org/v1\n", "application/octet-stream")}
        data = {} if token is None else {"csrf_token": token}
        r = world.journalist.post(f"/sources/{source_id}/replies", data=data, files=files)
        assert r.status_code == 403, ("replies", token, r.status_code)
    # Nothing changed: the source, its submission, the star, the password.
    assert [str(r[0]) for r in db_rows(db, "submission")] == [submission_id]
    assert any(str(r[0]) == source_id for r in db_rows(db, "source"))
    assert db_rows(db, "reply") == []
    assert db_rows(db, "journalist") == journalist_rows
    assert world.journalist.get("/").status_code == 200  # the refused logout did nothing
    # The right token goes through (the refusals were about the token).
    r = world.journalist.post(
        f"/sources/{source_id}/star",
        data={"csrf_token": world.journalist_csrf, "starred": "1"},
    )
    assert r.status_code == 303


# -- pinned headers and cookies -------------------------------------------------


def test_pinned_headers_on_every_source_page(world: World, figures: Figures) -> None:
    url = world.server.source_url
    anon = httpx.Client(base_url=url, timeout=60)
    src = world.source.client
    responses: list[tuple[str, httpx.Response]] = []
    try:
        home = anon.get("/")
        responses += [
            ("GET /", home),
            ("GET /?lang=ru", anon.get("/", params={"lang": "ru"})),
            ("GET /login", anon.get("/login")),
            ("GET /robots.txt", anon.get("/robots.txt")),
            ("GET /submit anonymous", anon.get("/submit")),
            ("GET /nope", anon.get("/no-such-page")),
            ("POST / (405)", anon.post("/")),
            ("POST /new bad csrf", anon.post("/new", data={"csrf_token": "x"})),
            ("GET /submit", src.get("/submit")),
            ("GET /replies", src.get("/replies")),
        ]
        css = [a for a in home.text.split('"') if a.startswith("/static/")]
        responses += [(f"GET {p}", anon.get(p)) for p in css]
        new = anon.post("/new", data={"csrf_token": csrf_of(home.text)})
        responses.append(("POST /new", new))
        res = world.source.submit([("b.txt", b"again\n")], "")
        assert res.sent
        responses.append(("POST /submit", httpx.Response(res.status, headers=res.headers)))
        big = httpx.post(url + "/submit", content=b"x" * 10, headers={"content-type": "text/plain"})
        responses.append(("POST /submit anonymous", big))
    finally:
        anon.close()
    problems = []
    for name, r in responses:
        for k, v in PINNED.items():
            if r.headers.get(k) != v:
                problems.append(f"{name}: {k}={r.headers.get(k)!r}")
        if "server" in r.headers or "x-powered-by" in r.headers:
            problems.append(f"{name}: names the server software")
    cookies = _cookie_attrs(home, SOURCE_COOKIE) + _cookie_attrs(new, SOURCE_COOKIE)
    assert cookies
    for c in cookies:
        attrs = {a.strip().split("=")[0].lower() for a in c.split(";")[1:]}
        if "httponly" not in attrs or "secure" in attrs or "samesite=strict" not in c.lower():
            problems.append(f"cookie flags: {c.split(';', 1)[1]}")
    figures("source responses checked for pinned headers", len(responses))
    assert not problems, problems
