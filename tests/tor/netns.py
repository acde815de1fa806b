"""A throw-away Linux network namespace with only a loopback interface.

Why: nothing the private Tor network does may leave this machine. Inside a
fresh namespace there is no route anywhere but 127.0.0.0/8, so even a wrong
option (or tor's own UDP `connect()` probe for its address) cannot reach the
outside. Every process of the test (tor, the server, the HTTP client) runs
in here via `ip netns exec`. This module must never add an interface other
than `lo`, and never delete a namespace it did not create.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence

__all__ = ["NetNs", "netns_unavailable_reason"]


def netns_unavailable_reason() -> str | None:
    """Why this machine cannot run namespaced tests, or None if it can."""
    if os.geteuid() != 0:
        return "needs root to create a network namespace (ip netns add); CI runs as root"
    if shutil.which("ip") is None:
        return "the `ip` tool (iproute2) is not installed"
    probe = f"samz-probe-{secrets.token_hex(4)}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, check=False)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.decode(errors='replace').strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return None


class NetNs:
    """Create on enter, verify loopback-only, kill what is left by PID, delete."""

    def __init__(self) -> None:
        self.name = f"samz-{secrets.token_hex(4)}"
        self._created = False

    def __enter__(self) -> NetNs:
        self.create()
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    def create(self) -> None:
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True)
        self._created = True
        self.run(["ip", "link", "set", "lo", "up"])
        links = self.run(["ip", "-o", "link", "show"]).stdout
        names = [line.split(":")[1].strip() for line in links.splitlines() if line.strip()]
        if names != ["lo"]:
            self.destroy()
            raise RuntimeError(f"namespace {self.name} has interfaces besides lo: {names}")

    def prefix(self) -> list[str]:
        """argv prefix that runs a command inside the namespace (same PID: no fork)."""
        return ["ip", "netns", "exec", self.name]

    def run(self, argv: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix(), *argv], check=True, capture_output=True, text=True, timeout=timeout
        )

    def pids(self) -> list[int]:
        if not self._created:
            return []
        out = subprocess.run(
            ["ip", "netns", "pids", self.name], capture_output=True, text=True, check=False
        ).stdout
        return [int(p) for p in out.split()]

    def destroy(self) -> None:
        if not self._created:
            return
        # Anything still inside was started by this test (the namespace is ours
        # alone): stop it by PID before the namespace goes.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            left = self.pids()
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + 5
            while self.pids() and time.monotonic() < deadline:
                time.sleep(0.1)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, check=False)
        self._created = False
