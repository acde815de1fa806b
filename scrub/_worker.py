"""The worker side of scrub.sandbox: isolate this process, then serve one request.

Runs as `python -I -B -c "from scrub._worker import main; main(CONFIG)"`,
started only by scrub.sandbox.ScrubPool. Order matters: leave the network,
import everything, leave the filesystem, apply resource limits, and only then
read the untrusted bytes from the pipe.

Must never: read the request before isolation and limits are in place, write
anything but the protocol frames to the parent, or touch the disk.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import importlib
import json
import os
import resource
import signal
import struct
import sys

from scrub.base import PROFILES, Outcome, Profile, Report
from scrub.limits import Limits
from scrub.sniff import sniff

REQ_MAGIC = b"SZRQ"
RES_MAGIC = b"SZRS"
READY_MAGIC = b"SZOK"
FRAME = struct.Struct(">4sIQ")  # magic, header length, data length
MAX_HEADER = 1 << 20  # a report is small; anything bigger is a confused peer
NO_DATA = (1 << 64) - 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def unshare_network() -> str:
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


def isolate_filesystem() -> str:
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


def block_python_sockets() -> None:
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


def apply_limits(config: dict[str, int]) -> None:
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


# Working room a job gets beyond its input, and per input byte: rebuilding
# needs the input, the output and the parser's own structures. A small hostile
# file (a 7 MB PDF declaring 300k objects) then cannot grow a worker to the
# pool-wide cap, which only large legitimate files approach.
_JOB_BASE_BYTES = 192 << 20
_JOB_BYTES_PER_INPUT_BYTE = 6


def _vm_size() -> int:
    """This process's virtual size now (read before /proc becomes unreachable)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 128 << 20


def _tighten_memory(cap: int, base_vm: int, input_bytes: int) -> None:
    # Lowering a limit is always allowed; the job may never exceed `cap`.
    limit = min(
        cap, base_vm + input_bytes + _JOB_BASE_BYTES + _JOB_BYTES_PER_INPUT_BYTE * input_bytes
    )
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(config_json: str) -> None:
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
    network = unshare_network()
    if not network:
        block_python_sockets()
        network = "python-socket-block"
    _preimport()
    from scrub.api import scrub_bytes  # noqa: PLC0415

    base_vm = _vm_size()
    filesystem = isolate_filesystem() or "none"
    apply_limits(config)

    ready = json.dumps({"network": network, "filesystem": filesystem}).encode()
    _write_all(proto_out, FRAME.pack(READY_MAGIC, len(ready), 0) + ready)
    magic, hlen, dlen = FRAME.unpack(_read_exact(proto_in, FRAME.size))
    if magic != REQ_MAGIC or hlen > MAX_HEADER:
        os._exit(2)
    request = json.loads(_read_exact(proto_in, hlen))
    untrusted_data = _read_exact(proto_in, dlen)
    _tighten_memory(int(config["memory_bytes"]), base_vm, dlen)
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
    dlen_out = NO_DATA if data is None else len(data)
    _write_all(proto_out, FRAME.pack(RES_MAGIC, len(header), dlen_out) + header)
    if data is not None:
        _write_all(proto_out, data)
    os.close(proto_out)
    os._exit(0)
