"""The ciphertext store: sealed bundles and replies on the local filesystem.

Only ciphertext is ever written here. A bundle is written to a temp name
inside the store, fsynced, atomically renamed, and the directory fsynced;
only then may the DB row commit. A crash at any point leaves a complete
bundle or a temp file that the start-up sweep removes, never half a bundle
under its final name.

A narrow interface: an S3-compatible store can implement the same methods.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from server.errors import NotFound
from server.ids import is_id
from server.instance import InstancePaths

# File times would reveal when a submission arrived: every stored file gets
# this fixed time (2000-01-01T00:00:00Z).
NORMALISED_MTIME = 946_684_800


def _check_id(object_id: str) -> str:
    # Ids are our own UUID4 hex; anything else (e.g. "../x") is refused so a
    # path can never be steered outside the store.
    if not is_id(object_id):
        raise NotFound("no such object")
    return object_id


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class PendingFile:
    """A temp file being written; `commit` makes it permanent."""

    temp_path: Path
    fileobj: BinaryIO


@dataclass(frozen=True)
class SweepReport:
    temp_removed: int
    orphan_files_removed: int


class Store:
    def __init__(self, paths: InstancePaths) -> None:
        self._paths = paths

    # -- names ---------------------------------------------------------------
    def bundle_path(self, submission_id: str) -> Path:
        return self._paths.bundles / f"{_check_id(submission_id)}.age"

    def signature_path(self, submission_id: str) -> Path:
        return self._paths.bundles / f"{_check_id(submission_id)}.age.minisig"

    def reply_path(self, reply_id: str) -> Path:
        return self._paths.replies / f"{_check_id(reply_id)}.age"

    # -- writing -------------------------------------------------------------
    @contextmanager
    def pending(self) -> Iterator[PendingFile]:
        """A temp file in the store; removed unless committed."""
        temp = self._paths.store_tmp / f"{secrets.token_hex(16)}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        fileobj = os.fdopen(fd, "wb", buffering=1024 * 1024)
        pending = PendingFile(temp, fileobj)
        try:
            yield pending
        finally:
            if not fileobj.closed:
                fileobj.close()
            temp.unlink(missing_ok=True)

    def commit(self, pending: PendingFile, final: Path) -> None:
        """fsync, normalise times, atomically rename, fsync the directory."""
        f = pending.fileobj
        f.flush()
        os.fsync(f.fileno())
        f.close()
        os.utime(pending.temp_path, (NORMALISED_MTIME, NORMALISED_MTIME))
        os.replace(pending.temp_path, final)
        _fsync_dir(final.parent)

    def write_small(self, final: Path, data: bytes) -> None:
        """Atomically write a small ciphertext file (signature, reply)."""
        with self.pending() as p:
            p.fileobj.write(data)
            self.commit(p, final)

    # -- reading & deleting --------------------------------------------------
    def open_bundle(self, submission_id: str) -> BinaryIO:
        try:
            return self.bundle_path(submission_id).open("rb")
        except FileNotFoundError:
            raise NotFound("no such submission") from None

    def delete_submission(self, submission_id: str) -> None:
        for p in (self.signature_path(submission_id), self.bundle_path(submission_id)):
            p.unlink(missing_ok=True)
        _fsync_dir(self._paths.bundles)

    def delete_reply(self, reply_id: str) -> None:
        self.reply_path(reply_id).unlink(missing_ok=True)
        _fsync_dir(self._paths.replies)

    def bundle_ids(self) -> set[str]:
        return {
            p.name[: -len(".age")]
            for p in self._paths.bundles.glob("*.age")
            if is_id(p.name[: -len(".age")])
        }

    def reply_ids(self) -> set[str]:
        return {
            p.name[: -len(".age")]
            for p in self._paths.replies.glob("*.age")
            if is_id(p.name[: -len(".age")])
        }

    # -- recovery ------------------------------------------------------------
    def sweep(self, known_submissions: set[str], known_replies: set[str]) -> SweepReport:
        """Start-up recovery: drop temp leftovers and files without a DB row.

        A bundle without a row was never acknowledged to the source (the row
        commits before the success page), so removing it loses nothing.
        """
        temp_removed = 0
        for p in self._paths.store_tmp.iterdir():
            p.unlink(missing_ok=True)
            temp_removed += 1
        orphans = 0
        for sid in self.bundle_ids() - known_submissions:
            self.delete_submission(sid)
            orphans += 1
        for p in self._paths.bundles.glob("*.minisig"):
            stem = p.name[: -len(".age.minisig")]
            if stem not in known_submissions:
                p.unlink(missing_ok=True)
        for rid in self.reply_ids() - known_replies:
            self.delete_reply(rid)
            orphans += 1
        return SweepReport(temp_removed, orphans)

    def free_bytes(self) -> int:
        st = os.statvfs(self._paths.store)
        return st.f_bavail * st.f_frsize
