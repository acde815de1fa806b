"""Sessions, throttles and catalogs, each on its own with an injected clock."""

from __future__ import annotations

import asyncio
import re
import threading

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from server.i18n import LANGUAGES, load_catalogs, negotiate
from server.i18n.catalogs import LOCALES_DIR
from server.source.sessions import SessionStore, cookie_header
from server.source.throttle import Busy, DerivationLimiter, LoginThrottle, SlidingWindow


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_session_expires_after_idle_time() -> None:
    clock = FakeClock()
    store = SessionStore(60.0, now=clock)
    first = store.load(None)
    assert first.token_to_send is not None
    cookie = cookie_header(first.token_to_send).decode().split(";")[0].split("=", 1)[1]
    first.source_id = "abc"
    clock.t += 59
    assert store.load(cookie) is first
    clock.t += 61
    again = store.load(cookie)
    assert again is not first and not again.signed_in


def test_rotate_gives_a_new_id_and_drops_the_old() -> None:
    store = SessionStore(60.0)
    s = store.load(None)
    s.language = "uk"
    old_token = s.token_to_send
    assert old_token is not None
    s.token_to_send = None
    new = store.rotate(s)
    assert new.key != s.key and new.language == "uk" and new.csrf_token != s.csrf_token
    cookie = cookie_header(old_token).decode().split(";")[0].split("=", 1)[1]
    assert store.load(cookie) is not new


def test_garbage_cookies_get_a_fresh_session() -> None:
    store = SessionStore(60.0)
    for junk in ("", "x", "a" * 43, "====", "é" * 43):
        assert not store.load(junk).signed_in


def test_login_throttle_global_and_per_id() -> None:
    clock = FakeClock()
    t = LoginThrottle(now=clock)
    assert all(t.admit_lookup("id1") for _ in range(LoginThrottle.PER_ID_PER_HOUR))
    assert not t.admit_lookup("id1")
    assert t.admit_lookup("id2")
    clock.t += 3601
    assert t.admit_lookup("id1")
    assert all(t.admit() for _ in range(LoginThrottle.GLOBAL_PER_MINUTE))
    assert not t.admit()
    clock.t += 61
    assert t.admit()


def test_sliding_window_is_bounded() -> None:
    w = SlidingWindow(1, 10.0, max_keys=5)
    for i in range(50):
        w.hit(f"k{i}")
    assert len(w._events) <= 5


def test_derivation_limiter_caps_concurrency_and_times_out() -> None:
    gate = threading.Event()
    running = []
    peak = [0]

    def slow() -> int:
        running.append(1)
        peak[0] = max(peak[0], len(running))
        gate.wait(5)
        running.pop()
        return 1

    async def scenario() -> list[object]:
        lim = DerivationLimiter(2, 0.3)
        tasks = [asyncio.create_task(lim.run(slow)) for _ in range(3)]
        await asyncio.sleep(0.6)
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(scenario())
    assert peak[0] == 2
    assert sum(isinstance(r, Busy) for r in results) == 1
    assert results.count(1) == 2


def test_negotiate() -> None:
    assert negotiate(None) == "en"
    assert negotiate("uk-UA,uk;q=0.9,en;q=0.5") == "uk"
    assert negotiate("fr, ru;q=0.1") == "ru"
    assert negotiate("x" * 10_000) == "en"
    assert negotiate("ru;q=abc, be") == "be"


def test_every_message_is_translated_in_every_language() -> None:
    extracted = {
        msg[2] if isinstance(msg[2], str) else msg[2][0]
        for msg in extract_from_dir(
            "server/source",
            method_map=[("templates/**.html", "jinja2"), ("**.py", "python")],
        )
    }
    assert len(extracted) > 50
    catalogs = load_catalogs()
    for lang in LANGUAGES:
        if lang == "en":
            continue
        with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            po = read_po(f)
        translated = {m.id for m in po if m.id and m.string and not m.fuzzy}
        assert extracted <= translated, (lang, sorted(extracted - translated)[:5])
        gt = catalogs.gettext(lang)
        for msgid in extracted:
            out = gt.gettext(msgid)
            assert out and out != msgid, (lang, msgid)
            if "%(" in msgid:
                # Placeholders survive translation.
                assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(
                    re.findall(r"%\(\w+\)s", out)
                )


@pytest.mark.parametrize("lang", ["ru", "be", "uk"])
def test_catalog_uses_its_own_script(lang: str) -> None:
    gt = load_catalogs().gettext(lang)
    assert any("\u0400" <= ch <= "\u04ff" for ch in gt.gettext("Log in"))
