"""Bounds on the expensive and the abusable: codename derivation, logins,
submissions.

Argon2id at 64 MiB per derivation: at most `concurrency` run at once; the
rest wait in a queue and get a "busy, retry" page only after the queue
timeout. Logins are limited globally and per lookup id. Nothing here knows or
records *who* is asking (no address, no agent): the per-id limit is keyed by
the derived lookup id, so guessing one codename is slowed without profiling
anybody.

Must never: key a counter by a network address or anything from the request
headers, or run a derivation on the event loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

T = TypeVar("T")
Monotonic = Callable[[], float]


class Busy(Exception):
    """Too many derivations or logins right now; the page asks to retry."""


class DerivationLimiter:
    """Runs a blocking derivation in a thread, at most `concurrency` at once."""

    def __init__(self, concurrency: int, queue_timeout: float) -> None:
        self._sem = asyncio.Semaphore(concurrency)
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._timeout = queue_timeout

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        try:
            await asyncio.wait_for(self._sem.acquire(), timeout=self._timeout)
        except TimeoutError:
            raise Busy from None
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
        finally:
            self._sem.release()


class SlidingWindow:
    """Counts events per key within `window` seconds; thread-safe, bounded."""

    def __init__(
        self, limit: int, window: float, *, max_keys: int = 100_000, now: Monotonic = time.monotonic
    ) -> None:
        self.limit = limit
        self._window = window
        self._max_keys = max_keys
        self._now = now
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, q: deque[float], now: float) -> None:
        while q and now - q[0] > self._window:
            q.popleft()

    def allowed(self, key: str) -> bool:
        now = self._now()
        with self._lock:
            q = self._events.get(key)
            if q is None:
                return True
            self._trim(q, now)
            return len(q) < self.limit

    def hit(self, key: str) -> None:
        now = self._now()
        with self._lock:
            if key not in self._events and len(self._events) >= self._max_keys:
                # Drop keys with no recent events first; under a flood, the oldest.
                for k in [
                    k for k, q in self._events.items() if not q or now - q[-1] > self._window
                ]:
                    del self._events[k]
                if len(self._events) >= self._max_keys:
                    del self._events[next(iter(self._events))]
            q = self._events.setdefault(key, deque())
            self._trim(q, now)
            q.append(now)

    def try_hit(self, key: str) -> bool:
        """Record an event if under the limit; False (and nothing recorded) if not."""
        now = self._now()
        with self._lock:
            q = self._events.setdefault(key, deque())
            self._trim(q, now)
            if len(q) >= self.limit:
                return False
            q.append(now)
            return True


class LoginThrottle:
    """Global and per-lookup-id limits on codename logins."""

    # A codename has >= 90 bits: online guessing is hopeless anyway. These
    # limits keep a guesser from burning the CPU (each try is a 64 MiB
    # Argon2id) and slow any attack on one particular codename.
    GLOBAL_PER_MINUTE = 120
    PER_ID_PER_HOUR = 20

    def __init__(self, *, now: Monotonic = time.monotonic) -> None:
        self._global = SlidingWindow(self.GLOBAL_PER_MINUTE, 60.0, max_keys=1, now=now)
        self._per_id = SlidingWindow(self.PER_ID_PER_HOUR, 3600.0, now=now)

    def admit(self) -> bool:
        return self._global.try_hit("*")

    def admit_lookup(self, lookup_id: str) -> bool:
        return self._per_id.try_hit(lookup_id)
