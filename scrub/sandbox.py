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
import ctypes
import dataclasses
import importlib
import json
import os
import resource
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from scrub.base import PROFILES, Outcome, Profile, Report, ScrubResult
from scrub.limits import Limits
from scrub.sniff import TYPES, sniff, sniff_bytes

_REQ_MAGIC = b"SZRQ"
_RES_MAGIC = b"SZRS"
_READY_MAGIC = b"SZOK"
_FRAME = struct.Struct(">4sIQ")  # magic, header length, data length
_MAX_HEADER = 1 << 20  # a report is small; anything bigger is a confused worker
_NO_DATA = (1 << 64) - 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
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
        code = f"from scrub.sandbox import _worker_main; _worker_main({json.dumps(config)!r})"
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
                            if need is None and len(buf) >= _FRAME.size:
                                magic, hlen, dlen = _FRAME.unpack_from(buf)
                                expected = _READY_MAGIC if not frames else _RES_MAGIC
                                if magic != expected or hlen > _MAX_HEADER:
                                    raise _WorkerGone
                                if dlen != _NO_DATA and dlen > max_data:
                                    raise _WorkerGone
                                need = _FRAME.size + hlen + (0 if dlen == _NO_DATA else dlen)
                            if need is None or len(buf) < need:
                                break
                            magic, hlen, dlen = _FRAME.unpack_from(buf)
                            header = json.loads(bytes(buf[_FRAME.size : _FRAME.size + hlen]))
                            if not isinstance(header, dict):
                                raise _WorkerGone
                            data = (
                                None if dlen == _NO_DATA else bytes(buf[_FRAME.size + hlen : need])
                            )
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
        request = _FRAME.pack(_REQ_MAGIC, len(header), len(untrusted_data)) + header
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


# ---------------------------------------------------------------- worker side


def _unshare_network() -> str:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return ""
    if libc.unshare(_CLONE_NEWNET) == 0:
        return "netns"
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return "userns+netns"
    return ""


def _no_new_privileges() -> bool:
    """prctl(PR_SET_NO_NEW_PRIVS): nothing the worker executes (ffmpeg, a
    setuid binary) can gain privileges. Cheap, unprivileged, irreversible."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    pr_set_no_new_privs = 38
    return bool(libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) == 0)


_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REC, _MS_PRIVATE = 0x4000, 1 << 18
_NOBODY = 65534


def _isolate_filesystem() -> str:
    """Leave the filesystem: a private mount namespace, an empty read-only
    tmpfs as the new root, and (when running as root) drop to nobody so the
    chroot cannot be undone. After this the worker can read no file: not the
    server's keys, DB or other bundles. Returns the mode, "" if not possible.

    Everything the worker needs must be imported before this (see _preimport)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return ""
    libc.mount.argtypes = [
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_ulong,
        ctypes.c_char_p,
    ]
    if libc.unshare(_CLONE_NEWNS) != 0:
        return ""
    # Private first, or the tmpfs mount would propagate to the host's namespace.
    if libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return ""
    flags = _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    # /tmp only as a mount point inside our private namespace: nothing is written.
    if libc.mount(b"samizdat-scrub", b"/tmp", b"tmpfs", flags, b"size=4k,mode=0555") != 0:
        return ""
    try:
        os.chroot("/tmp")  # noqa: S108 - the empty tmpfs mounted just above
        os.chdir("/")
    except OSError:
        return ""
    if os.getuid() == 0:
        # Root in a chroot can escape it (and remount): give up every capability.
        os.setgroups([])
        os.setgid(_NOBODY)
        os.setuid(_NOBODY)
        return "chroot+nobody"
    return "userns-chroot"


def _block_python_sockets() -> None:
    import socket  # noqa: PLC0415 - only the fallback path needs it

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError("network access is disabled in the scrub sandbox")

    socket.socket = refuse  # type: ignore[assignment,misc]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.socketpair = refuse  # type: ignore[assignment]


def _preimport() -> None:
    # Import every scrubber before the limits bite: later imports would need
    # to open files under a small RLIMIT_NOFILE and address-space cap.
    from scrub import registry  # noqa: PLC0415

    for type_name in registry.registered_types():
        with contextlib.suppress(Exception):
            registry.get(type_name)
    # Modules the image scrubbers load lazily on first use, and every text
    # codec (zipfile needs cp437, XML declares arbitrary encodings): after
    # _isolate_filesystem nothing more can be imported.
    import encodings  # noqa: PLC0415
    import pkgutil  # noqa: PLC0415

    names = ["PIL.ExifTags", "defusedxml.ElementTree", "xml.etree.ElementTree"]
    names += [f"encodings.{m.name}" for m in pkgutil.iter_modules(encodings.__path__)]
    for name in names:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def _read_exact(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _apply_limits(config: dict[str, int]) -> None:
    """Core dumps off, no file writes, few fds, CPU and address-space caps."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    cpu = int(config["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(config["fsize"]), int(config["fsize"])))
    nofile = int(config["open_files"])
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    used = int(resource.getrusage(resource.RUSAGE_SELF).ru_utime) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (used + cpu, used + cpu + 5))
    memory = int(config["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _worker_main(config_json: str) -> None:
    """Entry point of a worker process. Isolate, limit, then serve one request."""
    config = json.loads(config_json)
    sys.dont_write_bytecode = True
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # Keep the protocol pipes on private fds; point 0/1 at /dev/null so no
    # library print and no child tool can corrupt the protocol or read it.
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    _no_new_privileges()
    network = _unshare_network()
    if not network:
        _block_python_sockets()
        network = "python-socket-block"
    _preimport()
    from scrub.api import scrub_bytes  # noqa: PLC0415

    filesystem = _isolate_filesystem() or "none"
    _apply_limits(config)

    ready = json.dumps({"network": network, "filesystem": filesystem}).encode()
    _write_all(proto_out, _FRAME.pack(_READY_MAGIC, len(ready), 0) + ready)
    magic, hlen, dlen = _FRAME.unpack(_read_exact(proto_in, _FRAME.size))
    if magic != _REQ_MAGIC or hlen > _MAX_HEADER:
        os._exit(2)
    request = json.loads(_read_exact(proto_in, hlen))
    untrusted_data = _read_exact(proto_in, dlen)
    base = PROFILES.get(request["profile"], Profile(name=request["profile"]))
    profile = dataclasses.replace(base, limits=Limits(**request["limits"]))
    try:
        result = scrub_bytes(untrusted_data, profile=profile)
        header = json.dumps(result.report.to_json()).encode()
        data = result.data
    except MemoryError:
        report = Report(detected_type=sniff(untrusted_data[:8192]), outcome=Outcome.REJECTED)
        report.reason = "cleaning needed too much memory"
        header = json.dumps(report.to_json()).encode()
        data = None
    dlen_out = _NO_DATA if data is None else len(data)
    _write_all(proto_out, _FRAME.pack(_RES_MAGIC, len(header), dlen_out) + header)
    if data is not None:
        _write_all(proto_out, data)
    os.close(proto_out)
    os._exit(0)
