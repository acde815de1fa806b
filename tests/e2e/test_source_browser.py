"""The whole source flow in a real browser with JavaScript off: Debian's
Chromium driven by Playwright against a real `samizdat serve` process."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from crypto.keys import Recipient
from crypto.reply import seal_reply
from server.db.engine import make_engine, session_scope
from server.db.tables import Journalist, Reply, Source
from server.storage import Store
from tests.server.conftest import Instance, make_instance
from tests.server.serve_helpers import start_server
from tests.server.source_helpers import gps_jpeg, open_all

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _journalist_replies(inst: Instance, text: str) -> str:
    """A test journalist seals a reply to the (only) source and stores it."""
    engine = make_engine(inst.paths.db)
    try:
        with session_scope(engine) as s:
            (source,) = s.exec(select(Source)).all()
            journalist = s.exec(select(Journalist)).first()
            assert journalist is not None
            ct = seal_reply(
                text.encode(),
                [Recipient.parse(source.reply_recipient), inst.journalist.recipient()],
            )
            reply = Reply(
                source_id=source.id, journalist_id=journalist.id, size=len(ct), day="2026-01-01"
            )
            s.add(reply)
            s.flush()
            store = Store(inst.paths)
            store.write_small(store.reply_path(reply.id), ct)
            return reply.id
    finally:
        engine.dispose()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_source_flow_without_javascript(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    inst = make_instance(tmp_path / "data")
    server = start_server(inst.root, tmp_path / "logs")
    upload_dir = tmp_path / "upload"
    upload_dir.mkdir()
    (upload_dir / "photo.jpg").write_bytes(gps_jpeg("browsermarker"))
    (upload_dir / "notes.txt").write_text("meeting notes\n")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            page.goto(server.source_url + "/")
            page.click("form[action='/new'] button")
            codename = page.inner_text("#codename").strip()
            assert re.fullmatch(r"[a-z\-]+( [a-z\-]+){6,}", codename)
            page.click("a[href='/submit']")
            page.fill("textarea[name=message]", "a message from the browser")
            page.set_input_files(
                "input[name=files]", [upload_dir / "photo.jpg", upload_dir / "notes.txt"]
            )
            page.click("form[action='/submit'] button[type=submit]")
            body = page.inner_text("main")
            assert "Your submission was received" in body
            assert "photo.jpg" in body and "notes.txt" in body
            assert "Removed:" in body and "GPS" in body
            page.click("form[action='/logout'] button")
            assert "New Identity" in page.inner_text("main")
            reply_id = _journalist_replies(inst, "Thank you, we are looking into it.")
            page.goto(server.source_url + "/login?lang=ru")
            page.fill("input[name=codename]", codename)
            page.click("form[action='/login'] button")
            assert page.url.endswith("/replies")
            assert "Thank you, we are looking into it." in page.inner_text("main")
            assert "Ответы журналистов" in page.inner_text("main")
            page.click(f"form[action='/replies/{reply_id}/delete'] button")
            assert "Ответ удалён." in page.inner_text("main")
            assert "Thank you, we are looking" not in page.inner_text("main")
            cookies = context.cookies()
            assert all(codename not in c["value"] for c in cookies)
            assert all(c["httpOnly"] and c["sameSite"] == "Strict" for c in cookies)
            browser.close()
    finally:
        server.stop()
    assert not Store(inst.paths).reply_path(reply_id).exists()
    (opened,) = open_all(inst, tmp_path / "opened")
    assert opened.message == "a message from the browser"
    assert sorted(f.name for f in opened.files) == ["notes.txt", "photo.jpg"]
    assert b"browsermarker" not in (opened.folder / "files" / "photo.jpg").read_bytes()
    shutil.rmtree(tmp_path / "opened")
