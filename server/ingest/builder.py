"""Turn one parsed submission into a sealed bundle, file by file.

Runs in the submission's worker thread (never on the event loop): sniffing,
scrubbing (in the sandboxed pool), hashing and sealing are all CPU work.

Per file: the first bytes are sniffed. Types with a scrubber are held in
memory, up to the in-memory cap, and cleaned in a sandboxed worker; above
the cap the file streams into the sealer as it is, flagged "not cleaned".
Types without a scrubber stream straight into the sealer, flagged "not
cleaned". With keep_metadata the original streams in and the manifest says
so. A file the scrubber rejects is not sealed; the others still are.

Must never: write plaintext anywhere but into the sealer; label a file
cleaned that no scrubber rebuilt; accept a file before the CSRF token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from scrub.base import Outcome, Profile, Report
from scrub.registry import registered_types
from scrub.sniff import HEAD_BYTES, sniff
from server.ingest.errors import BadForm, CsrfFailed, HoneypotTripped

_MiB = 1 << 20
# Shown on the confirmation page; the full name travels only in the manifest.
_MAX_DISPLAY_NAME = 200
HONEYPOT_FIELD = "website"
_SCRUBBABLE = frozenset(registered_types())


class Sealer(Protocol):
    def begin_file(self, name: str, detected_type: str) -> object: ...
    def write(self, data: bytes) -> None: ...
    def end_file(self, report: dict[str, Any]) -> object: ...
    def set_message(self, text: str) -> None: ...
    def finish(self, extra_manifest: dict[str, object] | None = None) -> str: ...


class Scrubber(Protocol):
    def scrub(self, untrusted_data: bytes, profile: Profile) -> object: ...


class MemoryBudget:
    """Bytes of whole files held in memory for cleaning, across all uploads.

    Bounds RAM under a burst of uploads: a file that would need more waits
    (its upload is paused by backpressure) instead of exhausting memory.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self._free = total
        self._cond = threading.Condition()

    def acquire(self, n: int) -> int:
        n = min(n, self.total)
        with self._cond:
            while self._free < n:
                self._cond.wait()
            self._free -= n
        return n

    def release(self, n: int) -> None:
        with self._cond:
            self._free += n
            self._cond.notify_all()


@dataclass
class FileOutcome:
    """What the confirmation page says about one file."""

    name: str
    outcome: str  # "cleaned", "not_cleaned", "kept_metadata", "rejected"
    reason: str = ""
    removed: dict[str, list[str]] = field(default_factory=dict)


def display_name(untrusted_filename: str) -> str:
    # Browsers send a base name, some old ones a full path: keep the last part.
    name = untrusted_filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:_MAX_DISPLAY_NAME] or "file"


@dataclass
class _CurrentFile:
    name: str
    display: str
    mode: str = "sniff"  # sniff | buffer | stream
    kind: str = "unknown"
    head: bytearray = field(default_factory=bytearray)
    reserved: int = 0
    report: Report | None = None
    outcome: str = "not_cleaned"


class SubmissionBuilder:
    """Receives form events (form.FormHandler) and drives one Sealer."""

    def __init__(
        self,
        sealer: Sealer,
        *,
        scrubber: Callable[[bytes], tuple[Report, bytes | None]],
        budget: MemoryBudget,
        in_memory_cap: int,
        expected_bytes: int,
        csrf_ok: Callable[[str], bool],
    ) -> None:
        self._sealer = sealer
        self._scrub = scrubber
        self._budget = budget
        self._cap = in_memory_cap
        # The request's declared length bounds any one file: reserve no more.
        self._expected = expected_bytes
        self._csrf_ok = csrf_ok
        self.csrf_checked = False
        self.keep_metadata = False
        self.honeypot = False
        self.message = ""
        self.files: list[FileOutcome] = []
        self.sealed_files = 0
        self._cur: _CurrentFile | None = None

    # -- form.FormHandler ----------------------------------------------------
    def field(self, name: str, value: str) -> None:
        if name == "csrf_token":
            if not self._csrf_ok(value):
                raise CsrfFailed("bad CSRF token")
            self.csrf_checked = True
        elif name == "keep_metadata":
            if self.files or self._cur is not None:
                # The page puts the checkbox before the file input; a client
                # sending it after files would have them cleaned by surprise.
                raise BadForm("keep_metadata must come before the files")
            self.keep_metadata = value not in ("", "0", "off")
        elif name == HONEYPOT_FIELD:
            if value.strip():
                raise HoneypotTripped("honeypot field filled")
        elif name == "message":
            self.message = value

    def file_start(self, untrusted_filename: str) -> None:
        if not self.csrf_checked:
            raise CsrfFailed("file before CSRF token")
        self._cur = _CurrentFile(name=untrusted_filename, display=display_name(untrusted_filename))

    def file_data(self, untrusted_data: bytes) -> None:
        cur = self._cur
        assert cur is not None  # noqa: S101 - the parser only calls between start/end
        if cur.mode == "stream":
            self._sealer.write(untrusted_data)
            return
        cur.head += untrusted_data
        if cur.mode == "sniff":
            if len(cur.head) >= HEAD_BYTES:
                self._decide(cur)
        elif len(cur.head) > cur.reserved:
            # Too big to clean in memory: seal it as it is, and say so.
            self._start_stream(
                cur,
                Report(
                    detected_type=cur.kind,
                    outcome=Outcome.NOT_CLEANED,
                    reason=f"larger than the {self._cap // _MiB} MiB limit for cleaning",
                ),
            )

    def file_end(self) -> None:
        cur = self._cur
        assert cur is not None  # noqa: S101 - the parser only calls after start
        self._cur = None
        if cur.mode == "sniff":
            self._decide(cur)
        if cur.mode == "buffer":
            self._clean_and_seal(cur)
            return
        report = cur.report
        assert report is not None  # noqa: S101 - set by _start_stream
        self._sealer.end_file(report.to_json())
        self.sealed_files += 1
        self.files.append(FileOutcome(cur.display, cur.outcome, report.reason))

    # -- per-file decisions --------------------------------------------------
    def _decide(self, cur: _CurrentFile) -> None:
        cur.kind = sniff(bytes(cur.head[:HEAD_BYTES]))
        if self.keep_metadata:
            report = Report(
                detected_type=cur.kind,
                outcome=Outcome.NOT_CLEANED,
                reason="the source chose to keep the original metadata",
            )
            self._start_stream(cur, report, outcome="kept_metadata")
        elif cur.kind in _SCRUBBABLE or cur.head.startswith(b"PK\x03\x04"):
            cur.mode = "buffer"
            cur.reserved = self._budget.acquire(min(self._cap, max(self._expected, 1)))
            if len(cur.head) > cur.reserved:
                self.file_data(b"")
        else:
            self._start_stream(
                cur,
                Report(
                    detected_type=cur.kind,
                    outcome=Outcome.NOT_CLEANED,
                    reason="file type not recognised, so its metadata was not removed",
                ),
            )

    def _release(self, cur: _CurrentFile) -> None:
        if cur.reserved:
            self._budget.release(cur.reserved)
            cur.reserved = 0

    def _start_stream(
        self, cur: _CurrentFile, report: Report, outcome: str = "not_cleaned"
    ) -> None:
        cur.report = report
        cur.outcome = outcome
        cur.mode = "stream"
        self._sealer.begin_file(cur.name, cur.kind)
        if cur.head:
            self._sealer.write(bytes(cur.head))
        cur.head = bytearray()
        self._release(cur)

    def _clean_and_seal(self, cur: _CurrentFile) -> None:
        untrusted = bytes(cur.head)
        cur.head = bytearray()
        try:
            report, cleaned = self._scrub(untrusted)
            if report.outcome is Outcome.CLEANED and cleaned is not None:
                del untrusted
                self._sealer.begin_file(cur.name, report.detected_type)
                self._sealer.write(cleaned)
                self._sealer.end_file(report.to_json())
                self.sealed_files += 1
                self.files.append(FileOutcome(cur.display, "cleaned", removed=dict(report.removed)))
            elif report.outcome is Outcome.REJECTED:
                # Hostile or broken beyond what we seal: this file only is dropped.
                self.files.append(FileOutcome(cur.display, "rejected", report.reason))
            else:
                self._sealer.begin_file(cur.name, report.detected_type)
                self._sealer.write(untrusted)
                self._sealer.end_file(report.to_json())
                self.sealed_files += 1
                self.files.append(FileOutcome(cur.display, "not_cleaned", report.reason))
        finally:
            self._release(cur)

    def abort(self) -> None:
        """Give back any memory reservation (the caller discards the bundle)."""
        if self._cur is not None:
            self._release(self._cur)
            self._cur = None
