"""One submission, from the first body byte to the committed bundle.

Commit order (DESIGN "nothing acknowledged is lost"): ciphertext to a temp
name inside the store -> fsync -> atomic rename -> fsync dir -> signature ->
DB row commit -> only then the caller shows success. Any failure before the
row commits removes what was written; a crash is cleaned by the start-up sweep.

Must never: call anything blocking on the event loop, acknowledge a
submission whose row did not commit, or keep any part of a refused one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from sqlalchemy.engine import Engine

from crypto.keys import Recipient
from crypto.signing import SigningKey
from scrub.base import Profile, Report
from server.clock import Clock, day_of
from server.db.engine import session_scope
from server.ids import new_id
from server.ingest import repository
from server.ingest.builder import FileOutcome, MemoryBudget, Sealer, SubmissionBuilder
from server.ingest.errors import (
    CsrfFailed,
    LimitExceeded,
    NoRecipients,
    NothingToSend,
    ServerBusy,
    StoreFull,
)
from server.ingest.feeder import ChunkFeeder
from server.ingest.form import FormLimits, StreamingForm, boundary_of
from server.storage import PendingFile, Store

# Multipart framing around the files (boundaries, part headers, small
# fields) is allowed on top of max_submission_bytes and the message.
FRAMING_ALLOWANCE = 64 * 1024


class ScrubService:
    """Calls the sandboxed pool; returns the report and the cleaned bytes."""

    def __init__(self, pool: Any, profile: Profile) -> None:
        self._pool = pool
        self._profile = profile

    def __call__(self, untrusted_data: bytes) -> tuple[Report, bytes | None]:
        result = self._pool.scrub(untrusted_data, self._profile)
        return result.report, result.data


@dataclass(frozen=True)
class SealingKeys:
    recipients: list[Recipient]
    signing_key: SigningKey


@dataclass
class IngestDeps:
    store: Store
    engine: Engine
    limits: FormLimits
    max_submission_bytes: int
    min_free_bytes: int
    in_memory_cap: int
    budget: MemoryBudget
    # Runs in a worker thread: (db session, today) -> keys to seal and sign with.
    keys: Callable[[Any, str], SealingKeys]
    scrubber: Callable[[bytes], tuple[Report, bytes | None]]
    # BundleSealer(recipients, signing_key, sink, submission_id=, source_id=, day=,
    # reply_recipient=)
    sealer_factory: Callable[..., Sealer]
    clock: Clock
    # Uploads processed at once (each holds a worker thread and a temp file);
    # more wait, and get a "busy" page only after `upload_wait_seconds`.
    max_concurrent_uploads: int = 32
    upload_wait_seconds: float = 30.0
    _slots: asyncio.Semaphore | None = None

    def slots(self) -> asyncio.Semaphore:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_concurrent_uploads)
        return self._slots


@dataclass(frozen=True)
class SourceRef:
    id: str
    reply_recipient: str


@dataclass(frozen=True)
class IngestResult:
    submission_id: str | None
    files: list[FileOutcome]
    message_sent: bool


class _Job:
    """Everything one submission holds in its worker thread."""

    def __init__(
        self,
        deps: IngestDeps,
        source: SourceRef,
        boundary: bytes,
        expected_bytes: int,
        csrf_ok: Callable[[str], bool],
    ) -> None:
        self.deps = deps
        self.day = day_of(deps.clock())
        self.submission_id = new_id()
        self.source = source
        with session_scope(deps.engine) as session:
            keys = deps.keys(session, self.day)
        if not keys.recipients:
            raise NoRecipients("no active journalist key")
        self.keys = keys
        self._stack = contextlib.ExitStack()
        self.pending: PendingFile = self._stack.enter_context(deps.store.pending())
        try:
            self.sealer = deps.sealer_factory(
                keys.recipients,
                keys.signing_key,
                self.pending.fileobj,
                # The store and DB name submissions by 32-hex ids; the signed
                # manifest carries the canonical UUID form of the same id.
                submission_id=self.submission_id,
                source_id=source.id,
                day=self.day,
                reply_recipient=Recipient.parse(source.reply_recipient),
            )
            self.builder = SubmissionBuilder(
                self.sealer,
                scrubber=deps.scrubber,
                budget=deps.budget,
                in_memory_cap=deps.in_memory_cap,
                expected_bytes=expected_bytes,
                csrf_ok=csrf_ok,
            )
            self.form = StreamingForm(boundary, self.builder, deps.limits)
        except BaseException:
            self._stack.close()
            raise

    def consume(self, chunk: bytes) -> None:
        self.form.write(chunk)

    def abort(self) -> None:
        self.builder.abort()
        self._stack.close()  # removes the temp ciphertext

    def finish(self) -> IngestResult:
        self.form.finish()
        b = self.builder
        if not b.csrf_checked:
            raise CsrfFailed("no CSRF token")
        message = b.message.strip()
        if b.sealed_files == 0 and not message:
            if b.files:
                # Every file was rejected and there is no message: keep nothing,
                # but tell the source what happened to each file.
                self.abort()
                return IngestResult(None, b.files, False)
            raise NothingToSend("no files and no message")
        if message:
            self.sealer.set_message(b.message)
        cleaned_all = all(f.outcome == "cleaned" for f in b.files if f.outcome != "rejected")
        signature = self.sealer.finish(
            {"keep_metadata": b.keep_metadata, "all_files_cleaned": cleaned_all}
        )
        store = self.deps.store
        bundle = store.bundle_path(self.submission_id)
        size = self.pending.fileobj.tell()
        store.commit(self.pending, bundle)
        try:
            store.write_small(store.signature_path(self.submission_id), signature.encode())
            with session_scope(self.deps.engine) as session:
                repository.insert_submission(
                    session,
                    submission_id=self.submission_id,
                    source_id=self.source.id,
                    size=size,
                    day=self.day,
                    cleaned=cleaned_all,
                    file_count=b.sealed_files,
                    recipient_fingerprints=[r.fingerprint() for r in self.keys.recipients],
                    signing_key_id=self.keys.signing_key.public_key().key_id_hex,
                )
        except BaseException:
            store.delete_submission(self.submission_id)
            raise
        finally:
            self._stack.close()
        return IngestResult(self.submission_id, b.files, bool(message))


async def receive_submission(
    body: AsyncIterator[bytes],
    *,
    content_type: str,
    content_length: int | None,
    source: SourceRef,
    csrf_ok: Callable[[str], bool],
    deps: IngestDeps,
) -> IngestResult:
    """Stream one multipart body into a sealed, committed bundle."""
    boundary = boundary_of(content_type)
    max_total = deps.max_submission_bytes + 4 * deps.limits.max_message_chars + FRAMING_ALLOWANCE
    if content_length is not None and content_length > max_total:
        raise LimitExceeded("total")
    expected = content_length if content_length is not None else deps.in_memory_cap
    if deps.store.free_bytes() < deps.min_free_bytes + expected:
        raise StoreFull("not enough free space")
    slots = deps.slots()
    try:
        await asyncio.wait_for(slots.acquire(), timeout=deps.upload_wait_seconds)
    except TimeoutError:
        raise ServerBusy("too many uploads at once") from None
    try:
        return await _receive(
            body,
            max_total=max_total,
            expected=expected,
            boundary=boundary,
            source=source,
            csrf_ok=csrf_ok,
            deps=deps,
        )
    finally:
        slots.release()


async def _receive(
    body: AsyncIterator[bytes],
    *,
    max_total: int,
    expected: int,
    boundary: bytes,
    source: SourceRef,
    csrf_ok: Callable[[str], bool],
    deps: IngestDeps,
) -> IngestResult:
    job = await anyio.to_thread.run_sync(_Job, deps, source, boundary, expected, csrf_ok)
    feeder: ChunkFeeder[IngestResult] = ChunkFeeder(job.consume, job.finish, job.abort)
    finished = False
    try:
        total = 0
        async for chunk in body:
            if not chunk:
                continue
            total += len(chunk)
            if total > max_total:
                raise LimitExceeded("total")
            await feeder.put(chunk)
        finished = True
        return await feeder.finish()
    finally:
        if not finished:
            feeder.abort()


def scrub_profile(base: Profile, in_memory_cap: int) -> Profile:
    return dataclasses.replace(
        base, limits=dataclasses.replace(base.limits, max_file_bytes=in_memory_cap)
    )
