"""Run scrub_bytes on untrusted files in resource-limited, network-less worker processes.

Why: image, PDF and Office parsers have a long history of exploitable bugs;
a hostile upload must not be able to take the server down, read other
sources' files, or reach the network. Each worker is a fresh Python process
(`python -I -B`) that, before it reads a single byte of the file:
  * leaves the network: a new, empty network namespace via unshare(2)
    (CLONE_NEWNET as root, or CLONE_NEWUSER|CLONE_NEWNET unprivileged where
    user namespaces are allowed); where neither works it replaces
    socket.socket with a refusing stub, which only stops *Python* code and is
    reported as `network_isolation == "python-socket-block"`;
  * sets PR_SET_NO_NEW_PRIVS (no setuid escalation by anything it runs);
  * caps address space (RLIMIT_AS), CPU seconds (RLIMIT_CPU), open files
    (RLIMIT_NOFILE), core dumps (RLIMIT_CORE=0) and file writes
    (RLIMIT_FSIZE=0, SIGXFSZ ignored so a write fails with EFBIG; this also
    covers memfds, so every scrubber must work on bytes in memory: all of
    ours are pure rebuilds that run no external tool);
  * then reads one request from a pipe and answers on a pipe: plaintext never
    touches the disk.
By default each worker handles exactly one file and exits (jobs_per_worker=1),
so a worker compromised by one file never sees another source's file. Warm
spares are started ahead of time to hide the start-up cost. The parent
enforces a wall-clock timeout, kills the worker on timeout, crash or protocol
violation, and validates everything the worker sends back as untrusted (a
narrow result: a Report of bounded strings, and bytes that must sniff as the
claimed type).

After importing every scrubber and codec it also leaves the filesystem: a
private mount namespace, an empty read-only tmpfs as its root (chroot), and,
when started as root, setuid to nobody so the chroot cannot be undone
(`filesystem_isolation`: "chroot+nobody", "userns-chroot" or "none").
Not done (residual risk, see SECURITY.md): no seccomp filter, so the kernel's
whole syscall surface stays reachable from a compromised parser.

Must never: write request or result bytes to disk or logs, let a worker's
stderr reach the server's logs, or trust a worker's answer without checking it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from scrub._worker import FRAME, MAX_HEADER, NO_DATA, READY_MAGIC, REQ_MAGIC, RES_MAGIC
from scrub.base import Outcome, Profile, Report, ScrubResult
from scrub.sniff import TYPES, sniff, sniff_bytes

_MiB = 1 << 20


@dataclass(frozen=True)
class SandboxLimits:
    memory_bytes: int = 1 << 30  # RLIMIT_AS: bounds any allocation a bomb can cause
    cpu_seconds: int = 60  # RLIMIT_CPU per job: stops parser loops
    wall_seconds: float = 120.0  # kill after this, whatever the worker is doing
    open_files: int = 64  # RLIMIT_NOFILE: a worker needs its pipes and little else


class _WorkerGone(Exception):
    pass


class _Worker:
    """One worker process and its two pipes."""

    def __init__(self, limits: SandboxLimits) -> None:
        config = {
            "memory_bytes": limits.memory_bytes,
            "cpu_seconds": limits.cpu_seconds,
            "open_files": limits.open_files,
            "fsize": 0,
        }
        code = f"from scrub._worker import main; main({json.dumps(config)!r})"
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        # Fixed argv, no shell; stderr discarded so tracebacks (which could
        # quote file content) never reach the server's logs.
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
            [sys.executable, "-I", "-B", "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        self.started = time.monotonic()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def run(
        self, request: bytes, deadline: float, max_data: int
    ) -> tuple[dict[str, Any], dict[str, Any], bytes | None]:
        """Send one request; return (ready info, result header, data)."""
        if self.proc.stdin is None or self.proc.stdout is None:
            raise _WorkerGone
        out_fd = self.proc.stdin.fileno()
        in_fd = self.proc.stdout.fileno()
        os.set_blocking(out_fd, False)
        os.set_blocking(in_fd, False)
        sel = selectors.DefaultSelector()
        view = memoryview(request)
        sent = 0
        buf = bytearray()
        frames: list[tuple[bytes, dict[str, Any], bytes | None]] = []
        need: int | None = None
        try:
            sel.register(out_fd, selectors.EVENT_WRITE)
            sel.register(in_fd, selectors.EVENT_READ)
            while len(frames) < 2:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                for key, _ in sel.select(timeout=remaining):
                    if key.fd == out_fd:
                        try:
                            sent += os.write(out_fd, view[sent : sent + (1 << 20)])
                        except (BrokenPipeError, ConnectionResetError):
                            raise _WorkerGone from None
                        if sent == len(view):
                            sel.unregister(out_fd)
                            self.proc.stdin.close()
                    else:
                        chunk = os.read(in_fd, 1 << 20)
                        if not chunk:
                            raise _WorkerGone
                        buf += chunk
                        # Parse as many complete frames as the buffer holds.
                        while True:
                            if need is None and len(buf) >= FRAME.size:
                                magic, hlen, dlen = FRAME.unpack_from(buf)
                                expected = READY_MAGIC if not frames else RES_MAGIC
                                if magic != expected or hlen > MAX_HEADER:
                                    raise _WorkerGone
                                if dlen != NO_DATA and dlen > max_data:
                                    raise _WorkerGone
                                need = FRAME.size + hlen + (0 if dlen == NO_DATA else dlen)
                            if need is None or len(buf) < need:
                                break
                            magic, hlen, dlen = FRAME.unpack_from(buf)
                            header = json.loads(bytes(buf[FRAME.size : FRAME.size + hlen]))
                            if not isinstance(header, dict):
                                raise _WorkerGone
                            data = None if dlen == NO_DATA else bytes(buf[FRAME.size + hlen : need])
                            frames.append((magic, header, data))
                            del buf[:need]
                            need = None
        finally:
            sel.close()
        return frames[0][1], frames[1][1], frames[1][2]


class ScrubPool:
    """Blocking, thread-safe pool of sandboxed scrub workers."""

    def __init__(
        self,
        max_workers: int = 2,
        *,
        limits: SandboxLimits | None = None,
        warm: bool = True,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.limits = limits or SandboxLimits()
        self._warm = warm
        self._slots = threading.BoundedSemaphore(max_workers)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._closed = False
        # How the last worker isolated itself from the network (see module doc).
        self.network_isolation = "unknown"
        # How it left the filesystem: "chroot+nobody", "userns-chroot" or "none".
        self.filesystem_isolation = "unknown"

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.proc.poll() is None:
                    return worker
                worker.kill()
        return _Worker(self.limits)

    def _prestart(self) -> None:
        if not self._warm:
            return
        with self._lock:
            if self._closed or len(self._idle) >= self.max_workers:
                return
            self._idle.append(_Worker(self.limits))

    def scrub(self, untrusted_data: bytes, profile: Profile) -> ScrubResult:
        """Clean one file in a fresh sandboxed worker. Never raises for bad input."""
        if self._closed:
            raise RuntimeError("ScrubPool is closed")
        limits = profile.limits
        head_type = sniff(untrusted_data[:8192])
        if len(untrusted_data) > limits.max_file_bytes:
            report = Report(detected_type=head_type)
            return _failed(
                report,
                Outcome.NOT_CLEANED,
                f"file is larger than the {limits.max_file_bytes // _MiB} MiB limit "
                "for cleaning in memory",
            )
        header = json.dumps(
            {"profile": profile.name, "limits": dataclasses.asdict(limits)}
        ).encode()
        request = FRAME.pack(REQ_MAGIC, len(header), len(untrusted_data)) + header
        request += untrusted_data
        with self._slots:
            worker = self._take()
            try:
                deadline = time.monotonic() + self.limits.wall_seconds
                max_data = 2 * limits.max_file_bytes + _MiB
                try:
                    ready, result, data = worker.run(request, deadline, max_data)
                except TimeoutError:
                    return _failed(
                        Report(detected_type=head_type),
                        Outcome.REJECTED,
                        f"cleaning took longer than {self.limits.wall_seconds:.0f} s",
                    )
                except (_WorkerGone, OSError, ValueError):
                    return _failed(
                        Report(detected_type=head_type), Outcome.REJECTED, _crash_reason(worker)
                    )
                self.network_isolation = str(ready.get("network", "unknown"))
                self.filesystem_isolation = str(ready.get("filesystem", "unknown"))
                return _validate(untrusted_data, result, data)
            finally:
                worker.kill()
                self._prestart()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()

    def __enter__(self) -> ScrubPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _crash_reason(worker: _Worker) -> str:
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.proc.wait(timeout=2)
    code = worker.proc.returncode
    if code == -signal.SIGXCPU:
        return "cleaning used too much CPU time"
    if code is not None and code < 0:
        return f"the cleaning process crashed (signal {-code})"
    return "the cleaning process stopped unexpectedly"


def _failed(report: Report, outcome: Outcome, reason: str) -> ScrubResult:
    report.outcome = outcome
    report.reason = reason
    return ScrubResult(report=report, data=None)


def _str_list(value: object, limit: int = 10_000) -> list[str]:
    if not isinstance(value, list) or len(value) > limit:
        raise ValueError("bad list")
    out = []
    for item in value:
        if not isinstance(item, str) or len(item) > 1000:
            raise ValueError("bad string")
        out.append(item)
    return out


def _validate(
    untrusted_data: bytes, untrusted_header: dict[str, Any], data: bytes | None
) -> ScrubResult:
    """Turn the worker's answer into a ScrubResult, or REJECTED if it is malformed."""
    expected_type = sniff_bytes(untrusted_data)
    try:
        detected = untrusted_header["detected_type"]
        if detected not in TYPES or detected != expected_type:
            raise ValueError("type")
        outcome = Outcome(untrusted_header["outcome"])
        reason = untrusted_header["reason"]
        if not isinstance(reason, str) or len(reason) > 2000:
            raise ValueError("reason")
        removed_raw = untrusted_header["removed"]
        if not isinstance(removed_raw, dict) or len(removed_raw) > 10_000:
            raise ValueError("removed")
        removed = {}
        for place, names in removed_raw.items():
            if not isinstance(place, str) or len(place) > 1000:
                raise ValueError("place")
            removed[place] = _str_list(names)
        report = Report(
            detected_type=detected,
            outcome=outcome,
            reason=reason,
            removed=removed,
            kept=_str_list(untrusted_header["kept"]),
            residual_risks=_str_list(untrusted_header["residual_risks"]),
            warnings=_str_list(untrusted_header["warnings"]),
        )
    except (KeyError, ValueError, TypeError):
        return _failed(
            Report(detected_type=expected_type),
            Outcome.REJECTED,
            "the cleaning process returned a malformed answer",
        )
    if outcome is Outcome.CLEANED:
        if data is None or sniff_bytes(data) != detected:
            return _failed(
                Report(detected_type=expected_type),
                Outcome.REJECTED,
                "the cleaning process returned output of the wrong type",
            )
        return ScrubResult(report=report, data=data)
    return ScrubResult(report=report, data=None)
