"""Shared set-up for the journalist app tests: a real instance (admin init),
real enrolled journalists, the app in-process with a pinned clock, and
sources/submissions whose stored files are opaque ciphertext stand-ins
(the journalist app never looks inside a bundle)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from crypto.keys import generate_identity
from crypto.totp import STEP_SECONDS, totp_code
from server.admin.context import AdminContext
from server.admin.init import init_instance
from server.admin.journalists import Enrolment, enrol_journalist
from server.db.engine import make_engine, session_scope
from server.db.tables import Source, Submission
from server.ids import new_id
from server.journalist.app import create_journalist_app
from server.settings import Settings, load_settings
from server.storage import Store


class FakeClock:
    """A clock tests move by hand (TOTP steps, session and token expiry)."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def ts(self) -> float:
        return self.now.timestamp()


@dataclass
class Instance:
    settings: Settings
    clock: FakeClock

    def enrol(self, name: str) -> Enrolment:
        ctx = AdminContext(
            paths=self.settings.paths,
            engine=make_engine(self.settings.paths.db),
            actor="test",
            clock=self.clock,
        )
        return enrol_journalist(ctx, name, generate_identity().recipient())

    def code(self, enrolment: Enrolment) -> str:
        return totp_code(enrolment.totp_secret, self.clock.ts())

    def next_code(self, enrolment: Enrolment) -> str:
        """Move to the next TOTP step (a code works once) and return its code."""
        self.clock.advance(STEP_SECONDS)
        return self.code(enrolment)

    def add_source(self, designation: str = "quiet heron") -> str:
        engine = make_engine(self.settings.paths.db)
        with session_scope(engine) as s:
            src = Source(
                lookup_id=secrets.token_hex(32),
                reply_recipient=generate_identity().recipient().encode(),
                designation=designation,
                created_day="2026-01-02",
                last_active_day="2026-01-03",
            )
            s.add(src)
            return src.id

    def add_submission(
        self, source_id: str, *, size: int = 3000, cleaned: bool = True, signed: bool = True
    ) -> tuple[str, bytes, str]:
        """Store opaque bytes as a bundle (+ signature) and add its row."""
        sid = new_id()
        store = Store(self.settings.paths)
        data = secrets.token_bytes(size)
        store.write_small(store.bundle_path(sid), data)
        sig = f"untrusted comment: test\nsig-{sid}\n"
        if signed:
            store.write_small(store.signature_path(sid), sig.encode())
        engine = make_engine(self.settings.paths.db)
        with session_scope(engine) as s:
            s.add(
                Submission(
                    id=sid,
                    source_id=source_id,
                    size=size,
                    day="2026-01-03",
                    cleaned=cleaned,
                    file_count=2,
                    recipients="[]",
                    signing_key_id="0000",
                )
            )
        return sid, data, sig


def make_instance(tmp_path: Path, **env: str) -> Instance:
    root = tmp_path / "instance"
    clock = FakeClock()
    init_instance(root, clock=clock, actor="test")
    environ = {f"SAMIZDAT_{k.upper()}": v for k, v in env.items()}
    return Instance(load_settings(root, environ=environ), clock)


def client_for(instance: Instance) -> TestClient:
    app = create_journalist_app(instance.settings, clock=instance.clock)
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "page holds no CSRF token"
    return m.group(1)


def sign_in(client: TestClient, instance: Instance, enrolment: Enrolment) -> str:
    """Sign in through the real form; returns the CSRF token of the new session."""
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": enrolment.name,
            "password": enrolment.password,
            "otp": instance.next_code(enrolment),
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/"
    return csrf_of(client.get("/").text)


def api_token(client: TestClient, instance: Instance, enrolment: Enrolment) -> str:
    r = client.post(
        "/api/v1/token",
        json={
            "username": enrolment.name,
            "password": enrolment.password,
            "otp": instance.next_code(enrolment),
        },
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def second_client(client: TestClient) -> TestClient:
    """Another browser on the same running app (its own cookie jar)."""
    return TestClient(client.app, base_url="http://127.0.0.1", follow_redirects=False)
