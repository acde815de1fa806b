"""Unit tests of the in-memory session/token map and the sign-in throttle."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.journalist.sessions import OpaqueStore
from server.journalist.throttle import AttemptThrottle, normalise_username


def test_values_are_opaque_random_and_expire():
    store = OpaqueStore()
    a = store.create("j1", 0, expires_at=100.0, now=0.0)
    b = store.create("j1", 0, expires_at=100.0, now=0.0)
    assert a != b and len(a) >= 43 and "j1" not in a
    assert store.get(a, 99.9).journalist_id == "j1"
    assert store.get(a, 100.0) is None
    assert store.get(a, 0.0) is None  # an expired entry is gone for good
    assert store.get(b + "x", 0.0) is None
    assert store.get(None, 0.0) is None


def test_drop_journalist_ends_only_their_entries():
    store = OpaqueStore()
    mine = [store.create("j1", 0, 100.0, 0.0) for _ in range(3)]
    theirs = store.create("j2", 0, 100.0, 0.0)
    store.drop_journalist("j1")
    assert all(store.get(v, 1.0) is None for v in mine)
    assert store.get(theirs, 1.0) is not None


def test_cap_evicts_anonymous_entries_first():
    store = OpaqueStore(max_entries=20)
    signed_in = store.create("j1", 0, 100.0, 0.0)
    for _ in range(100):
        store.create(None, 0, 100.0, 0.0)
    assert len(store) <= 20
    assert store.get(signed_in, 1.0) is not None


def test_each_session_has_its_own_csrf_token():
    store = OpaqueStore()
    a = store.get(store.create(None, 0, 10.0, 0.0), 0.0)
    b = store.get(store.create(None, 0, 10.0, 0.0), 0.0)
    assert a.csrf_token != b.csrf_token and len(a.csrf_token) >= 43


def test_throttle_allows_five_a_minute_and_says_how_long_to_wait():
    throttle = AttemptThrottle()
    for i in range(5):
        assert throttle.check_and_record("Alice", 10.0 + i) == 0.0
    wait = throttle.check_and_record("alice ", 20.0)
    assert 49.0 <= wait <= 51.0
    # Refused attempts are not counted: waiting the given time is enough.
    assert throttle.check_and_record("alice", 10.0 + 60.0) == 0.0
    assert throttle.check_and_record("bob", 20.0) == 0.0


@given(st.text(max_size=300))
def test_username_normalisation_is_idempotent_and_bounded(name):
    once = normalise_username(name)
    assert normalise_username(once) == once
    assert len(once) <= 200
    assert (
        normalise_username(name.upper()) == normalise_username(name.lower()) or not name.isascii()
    )


def test_username_cut_at_a_space_stays_stable():
    name = "a" * 199 + " bcd"
    assert normalise_username(normalise_username(name)) == normalise_username(name)
