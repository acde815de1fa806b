"""Sign-in attempt throttling: at most 5 attempts per user name per minute.

Keyed by the user name as typed (normalised), whether or not such an account
exists, so the throttle itself never tells an attacker which names are real.
Must never key on a client address: the journalist app sits behind Tor, where
every request comes from 127.0.0.1, and addresses are not to be kept anyway.
"""

from __future__ import annotations

import threading
from collections import deque

MAX_ATTEMPTS = 5
WINDOW_SECONDS = 60.0
# Bound on remembered names, so random names cannot grow memory without end.
MAX_NAMES = 10_000


def normalise_username(name: str) -> str:
    folded = " ".join(name.split()).casefold()
    # Cut after folding (which may lengthen), then tidy the cut edge.
    return " ".join(folded[:200].split())


class AttemptThrottle:
    def __init__(
        self,
        max_attempts: int = MAX_ATTEMPTS,
        window_seconds: float = WINDOW_SECONDS,
    ) -> None:
        self._max = max_attempts
        self._window = window_seconds
        self._attempts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check_and_record(self, username: str, now: float) -> float:
        """Record an attempt; return 0 if allowed, else seconds to wait.

        A refused attempt is not recorded, so waiting the given time always
        works, and a legitimate user is not locked out for longer.
        """
        key = normalise_username(username)
        with self._lock:
            if len(self._attempts) > MAX_NAMES:
                self._prune(now)
            times = self._attempts.setdefault(key, deque())
            while times and times[0] <= now - self._window:
                times.popleft()
            if len(times) >= self._max:
                return max(1.0, times[0] + self._window - now)
            times.append(now)
            return 0.0

    def _prune(self, now: float) -> None:
        for k in [k for k, t in self._attempts.items() if not t or t[-1] <= now - self._window]:
            del self._attempts[k]
        if len(self._attempts) > MAX_NAMES:
            # Still full of live entries: forget the oldest half rather than grow.
            for k in list(self._attempts)[: len(self._attempts) // 2]:
                del self._attempts[k]
