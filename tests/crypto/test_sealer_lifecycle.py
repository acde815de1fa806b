"""BundleSealer lifecycle: misuse is refused, sink errors surface, abort stops the helper."""

from __future__ import annotations

import io
import threading
import uuid

import pytest

from crypto.bundle import BundleSealer
from crypto.keys import generate_identity
from crypto.signing import SigningKey

ID = generate_identity()
SK = SigningKey.generate()


def _sealer(sink: object) -> BundleSealer:
    return BundleSealer(
        [ID.recipient()],
        SK,
        sink,  # type: ignore[arg-type]
        submission_id=str(uuid.uuid4()),
        source_id="s",
        day="2026-11-25",
        reply_recipient=ID.recipient(),
    )


class _FailingSink:
    def __init__(self, after: int) -> None:
        self.left = after

    def write(self, data: bytes) -> int:
        self.left -= len(data)
        if self.left < 0:
            raise OSError(28, "No space left on device")
        return len(data)


def test_sink_error_surfaces_to_caller() -> None:
    s = _sealer(_FailingSink(after=100_000))
    s.begin_file("a", "text")
    with pytest.raises(OSError, match="No space"):
        for _ in range(200):
            s.write(b"x" * 65536)
        s.end_file({})
        s.finish()


def test_abort_and_context_manager_end_the_helper_thread() -> None:
    before = threading.active_count()
    with _sealer(io.BytesIO()) as s:
        s.begin_file("a", "text")
        s.write(b"data")
    s2 = _sealer(io.BytesIO())
    s2.abort()
    assert threading.active_count() == before


def test_misuse_is_refused() -> None:
    s = _sealer(io.BytesIO())
    with pytest.raises(ValueError):
        s.write(b"outside a file")
    with pytest.raises(ValueError):
        s.end_file({})
    s.begin_file("a", "text")
    with pytest.raises(ValueError):
        s.begin_file("b", "text")
    with pytest.raises(ValueError):
        s.finish()
    s.abort()
    for bad in ({"submission_id": "not-a-uuid"}, {"source_id": "has space"}, {"day": "25/11/2026"}):
        kwargs = {"submission_id": str(uuid.uuid4()), "source_id": "s", "day": "2026-11-25"}
        kwargs.update(bad)
        with pytest.raises(ValueError):
            BundleSealer(
                [ID.recipient()], SK, io.BytesIO(), reply_recipient=ID.recipient(), **kwargs
            )
    with pytest.raises(ValueError):
        BundleSealer(
            [],
            SK,
            io.BytesIO(),
            submission_id=str(uuid.uuid4()),
            source_id="s",
            day="2026-11-25",
            reply_recipient=ID.recipient(),
        )


def test_abandoned_sealer_thread_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc
    import time

    from crypto import _pipeline

    monkeypatch.setattr(_pipeline, "_IDLE_CHECK_SECONDS", 0.05)
    before = threading.active_count()
    s = _sealer(io.BytesIO())
    s.begin_file("a", "text")
    del s
    gc.collect()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == before
