"""Hand body chunks from the event loop to one submission's worker thread.

The event loop only receives bytes; parsing, scrubbing, hashing and sealing
run in the worker thread, so a 2 GiB upload never blocks other requests. A
bounded queue gives backpressure: when the worker falls behind, the loop
stops reading the socket, and memory stays bounded per upload.

Must never: let an exception in the worker go unnoticed (the submission
would be acknowledged without being sealed), or leave the worker running
after the request ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

R = TypeVar("R")

_FINISH = object()
_ABORT = object()
# Chunks in flight per upload (each at most one socket read, ~64-256 KiB).
DEFAULT_MAX_QUEUED = 32
# At most this many queued chunks are joined into one call.
_COALESCE = 16


class ChunkFeeder(Generic[R]):
    def __init__(
        self,
        consume: Callable[[bytes], None],
        finish: Callable[[], R],
        abort: Callable[[], None],
        *,
        max_queued: int = DEFAULT_MAX_QUEUED,
        name: str = "ingest",
    ) -> None:
        self._consume = consume
        self._finish = finish
        self._abort = abort
        self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(max_queued)
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._result: Future[R] = Future()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def error(self) -> BaseException | None:
        return self._error

    async def put(self, chunk: bytes) -> None:
        """Queue a chunk; raises the worker's error as soon as it has one."""
        if self._error is not None:
            raise self._error
        await self._slots.acquire()
        if self._error is not None:
            self._slots.release()
            raise self._error
        self._queue.put(chunk)

    async def finish(self) -> R:
        self._queue.put(_FINISH)
        return await asyncio.wrap_future(self._result)

    def abort(self) -> None:
        """Stop the worker and discard everything (safe to call from anywhere)."""
        self._queue.put(_ABORT)

    def _release_n(self, n: int) -> None:
        for _ in range(n):
            self._slots.release()

    def _run(self) -> None:
        failed = False
        while True:
            item = self._queue.get()
            if item is _ABORT:
                if not failed:
                    self._safe_abort()
                if not self._result.done():
                    self._result.set_exception(self._error or RuntimeError("aborted"))
                return
            if item is _FINISH:
                if failed:
                    assert self._error is not None  # noqa: S101 - set with failed
                    self._result.set_exception(self._error)
                    return
                try:
                    self._result.set_result(self._finish())
                except BaseException as exc:
                    self._error = exc
                    self._safe_abort()
                    self._result.set_exception(exc)
                return
            assert isinstance(item, bytes)  # noqa: S101 - only bytes are queued
            # Coalesce what is already queued: fewer, larger calls into the
            # parser and the sealer (the per-call overhead is Python's).
            parts, control = [item], None
            while len(parts) < _COALESCE:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if not isinstance(nxt, bytes):
                    control = nxt
                    break
                parts.append(nxt)
            if not failed:
                try:
                    self._consume(parts[0] if len(parts) == 1 else b"".join(parts))
                except BaseException as exc:
                    failed = True
                    self._error = exc
                    self._safe_abort()
            # One wake-up of the event loop per batch, not per chunk.
            self._loop.call_soon_threadsafe(self._release_n, len(parts))
            if control is not None:
                self._queue.put(control)

    def _safe_abort(self) -> None:
        # Cleanup must not mask the first error.
        with contextlib.suppress(Exception):
            self._abort()
