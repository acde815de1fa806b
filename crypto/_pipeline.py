"""A one-thread, bounded pipeline stage: hand off work to run beside the caller.

Why: on 2 cores, BLAKE2b (the signature prehash) is the slowest step of
sealing and SHA-256 + disk writes are the slowest of opening; running them
on a helper thread next to ChaCha20-Poly1305 (both release the GIL) nearly
doubles throughput. Must never: reorder items, grow beyond `depth` queued
items (memory bound), swallow an error, or outlive an abandoned owner.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable

_STOP = object()
# An owner that was dropped without close()/abort() is noticed this often.
_IDLE_CHECK_SECONDS = 10.0


def _run(
    q: queue.Queue[object],
    consume: Callable[[bytes], object],
    errors: list[BaseException],
    owner: weakref.ReferenceType[object],
) -> None:
    while True:
        try:
            item = q.get(timeout=_IDLE_CHECK_SECONDS)
        except queue.Empty:
            if owner() is None:
                return
            continue
        if item is _STOP:
            return
        if errors:
            continue  # drain without working after a failure
        try:
            consume(item)  # type: ignore[arg-type]
        except BaseException as exc:  # re-raised in the owner's thread
            errors.append(exc)


class Stage:
    """`consume` runs on the helper thread; it must not reference this Stage (so a
    dropped Stage is noticed and its thread ends)."""

    def __init__(self, consume: Callable[[bytes], object], depth: int = 4) -> None:
        self._q: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._errors: list[BaseException] = []
        self._thread = threading.Thread(
            target=_run,
            args=(self._q, consume, self._errors, weakref.ref(self)),
            name="samizdat-crypto-stage",
            daemon=True,
        )
        self._thread.start()
        self._closed = False

    def put(self, data: bytes) -> None:
        if self._errors:
            raise self._errors[0]
        if self._closed:
            raise ValueError("stage closed")
        self._q.put(data)

    def close(self) -> None:
        """Wait for every queued item; re-raise the first error from the helper."""
        if not self._closed:
            self._closed = True
            self._q.put(_STOP)
            self._thread.join()
        if self._errors:
            raise self._errors[0]

    def abort(self) -> None:
        if not self._closed:
            self._closed = True
            self._errors.append(RuntimeError("aborted"))
            self._q.put(_STOP)
            self._thread.join()
