"""`BundleSealer`: container + Padmé + age + minisign signature in one streaming pass.

Must never: write a plaintext byte to `sink` (everything passes the age
writer first), hold more than a bounded buffer, or sign anything but the
exact bytes it wrote.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

from ._labels import BUNDLE_COMMENT_PREFIX, MANIFEST_FORMAT, RECIPIENTS_LABEL
from ._pipeline import Stage
from .age import AgeWriter
from .container import ContainerWriter, FileEntry
from .errors import CryptoError
from .keys import Recipient
from .signing import SigningKey, TrustedComment, new_prehash

__all__ = ["BundleComment", "BundleSealer", "bundle_comment", "recipients_digest"]

_SOURCE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def recipients_digest(recipients: Sequence[str]) -> str:
    """`sha256:<hex>` over the sorted, de-duplicated `age1…` strings."""
    lines = "".join(r + "\n" for r in sorted(set(recipients)))
    return "sha256:" + hashlib.sha256(RECIPIENTS_LABEL + lines.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class BundleComment:
    submission_id: str
    source_id: str
    day: str
    recipients: str

    def text(self) -> str:
        return (
            f"{BUNDLE_COMMENT_PREFIX} id={self.submission_id} source={self.source_id} "
            f"day={self.day} recipients={self.recipients}"
        )

    @classmethod
    def parse(cls, comment: TrustedComment) -> BundleComment:
        fields = comment.fields(BUNDLE_COMMENT_PREFIX)
        if set(fields) != {"id", "source", "day", "recipients"}:
            raise CryptoError
        parsed = cls(fields["id"], fields["source"], fields["day"], fields["recipients"])
        if parsed.text() != comment.text:
            raise CryptoError
        return parsed


def bundle_comment(
    submission_id: str, source_id: str, day: str, recipients: Sequence[Recipient]
) -> str:
    return BundleComment(
        submission_id, source_id, day, recipients_digest([r.encode() for r in recipients])
    ).text()


def _check_ids(submission_id: str, source_id: str, day: str) -> None:
    # These end up in a signed, space-separated comment: keep them unambiguous.
    if str(uuid.UUID(submission_id)) != submission_id:
        raise ValueError("submission_id must be a lower-case UUID")
    if not _SOURCE_ID.fullmatch(source_id):
        raise ValueError("source_id must be 1-128 characters of [A-Za-z0-9_-]")
    if not _DAY.fullmatch(day):
        raise ValueError("day must be YYYY-MM-DD")
    datetime.strptime(day, "%Y-%m-%d")


class _SigningSink:
    """Hashes exactly what reaches the sink (the minisign prehash), on a helper thread.

    The copy is needed anyway (the encryptor reuses its buffer, libsodium wants
    bytes); the helper hashes and writes while the caller encrypts the next batch.
    """

    def __init__(self, sink: BinaryIO) -> None:
        prehash = new_prehash()
        self._prehash = prehash
        self.written = 0

        def consume(raw: bytes) -> None:  # no reference to self: see Stage
            prehash.update(raw)
            sink.write(raw)

        self._stage = Stage(consume)

    def write(self, data: bytes | memoryview) -> int:
        raw = bytes(data)
        self.written += len(raw)
        self._stage.put(raw)
        return len(raw)

    def digest(self) -> bytes:
        """Wait until everything is written and hashed; the BLAKE2b-512 prehash."""
        self._stage.close()
        return self._prehash.digest()

    def abort(self) -> None:
        self._stage.abort()


class BundleSealer:
    """Push-style sealer for one submission. Not thread-safe; one thread per sealer.

    Internally one helper thread hashes and writes ciphertext; call `finish()`
    or `abort()` (or use `with`) so it ends promptly. Errors from `sink.write`
    surface on a later call or at `finish()`; nothing reaches `sink` unsealed.

    Call order: (`begin_file` `write`* `end_file`)*, `set_message`? (anywhere
    outside a file), then `finish` exactly once. Each call does CPU work
    proportional to its input only (≈1 ms per MiB), so a server may call it
    from a worker thread as upload bytes arrive.
    """

    def __init__(
        self,
        recipients: Sequence[Recipient],
        signing_key: SigningKey,
        sink: BinaryIO,
        *,
        submission_id: str,
        source_id: str,
        day: str,
        reply_recipient: Recipient,
        submitted_at: datetime | None = None,
    ) -> None:
        _check_ids(submission_id, source_id, day)
        unique = sorted(set(recipients), key=lambda r: r.encode())
        if not unique:
            raise ValueError("at least one recipient is required")
        self._recipients = unique
        self._signing_key = signing_key
        self._submission_id = submission_id
        self._source_id = source_id
        self._day = day
        self._reply_recipient = reply_recipient
        when = submitted_at or datetime.now(UTC)
        self._submitted_at = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._sink = _SigningSink(sink)
        self._age = AgeWriter(unique, self._sink)  # type: ignore[arg-type]
        self._container = ContainerWriter(self._age.write)
        self._done = False

    def begin_file(self, name: str, detected_type: str) -> str:
        """Start a file; returns the sanitised name it is stored under."""
        return self._container.begin_file(name, detected_type)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._container.write(data)

    def end_file(self, report: dict[str, Any]) -> FileEntry:
        """Close the current file; size and SHA-256 are computed here."""
        return self._container.end_file(report)

    def set_message(self, text: str) -> None:
        self._container.set_message(text)

    def manifest(self, extra_manifest: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "submission_id": self._submission_id,
            "source_id": self._source_id,
            "day": self._day,
            "submitted_at": self._submitted_at,
            "reply_recipient": self._reply_recipient.encode(),
            "recipients": [r.encode() for r in self._recipients],
            "files": [f.as_json() for f in self._container.files],
            "message": self._container.message,
            "extra": extra_manifest or {},
        }

    def finish(self, extra_manifest: dict[str, Any] | None = None) -> str:
        """Write manifest, padding, final chunk; returns the `.minisig` text."""
        if self._done:
            raise ValueError("finish called twice")
        self._done = True
        try:
            self._container.finish(self.manifest(extra_manifest))
            self._age.close()
        except BaseException:
            self._sink.abort()
            raise
        comment = bundle_comment(self._submission_id, self._source_id, self._day, self._recipients)
        return self._signing_key.sign_digest(
            self._sink.digest(), comment, "samizdat bundle signature"
        )

    def abort(self) -> None:
        """Stop without finishing (the caller deletes the partial sink)."""
        if not self._done:
            self._done = True
            self._sink.abort()

    def __enter__(self) -> BundleSealer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()

    @property
    def bytes_written(self) -> int:
        return self._sink.written
