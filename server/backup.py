"""Backups: one consistent snapshot of an instance, sealed with age.

Format (`samizdat-backup-v1`): an age v1 file (to a backup recipient, or a
passphrase via scrypt) whose plaintext is an uncompressed POSIX tar stream:
config, keys, tor's onion dirs, every stored bundle/signature/reply that the
DB snapshot references, the DB snapshot itself (SQLite online backup API),
and last `MANIFEST.json` with the size and SHA-256 of every member.

Threats: a backup leaves the machine, so it holds nothing in the clear (the
bundles are ciphertext already; the DB, keys and onion secrets are sealed by
age). A damaged or tampered file must never half-restore: restore reads the
whole backup once to verify it (age authenticates every chunk and the end;
the manifest pins every member) before writing a byte, then writes into an
empty directory with the instance marker last, removing everything on any
failure. Must never write backup plaintext to disk outside the target
instance, and never follow member paths outside it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from crypto.age import AgeReader, AgeWriter
from crypto.errors import CryptoError
from crypto.keys import Identity, Recipient
from server.admin.errors import BackupError
from server.instance import InstancePaths, mark_initialised, open_instance

__all__ = [
    "BACKUP_FORMAT",
    "BackupSummary",
    "RestoreSummary",
    "restore_backup",
    "verify_backup",
    "write_backup",
]

BACKUP_FORMAT = "samizdat-backup-v1"
MANIFEST_NAME = "MANIFEST.json"
DB_MEMBER = "samizdat.db"
# Members restore to these top-level places only; anything else is refused.
_ALLOWED_TOP = {"config.toml", "keys", "tor", "store", DB_MEMBER, MANIFEST_NAME}
_COPY_CHUNK = 1024 * 1024
# A manifest of millions of bundles is still well under this.
_MAX_MANIFEST = 256 * 1024 * 1024
# Tar stores a fixed time: file times would reveal when submissions arrived.
_FIXED_MTIME = 946_684_800


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    submissions: int
    replies: int
    files: int
    bytes_sealed: int


@dataclass(frozen=True)
class RestoreSummary:
    data_dir: Path
    files: int
    submissions: int
    members: list[str] = field(default_factory=list)


@dataclass(frozen=True, repr=False)
class Unlock:
    """How a backup is opened: an identity or a passphrase (never both)."""

    identity: Identity | None = None
    passphrase: bytes | None = None


# -- writing -------------------------------------------------------------------
class _HashingReader:
    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.sha = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self.sha.update(data)
        return data


class _CountingSink:
    """Passes tar's output to the age writer (tar's stream mode needs write())."""

    def __init__(self, writer: AgeWriter) -> None:
        self._writer = writer
        self.count = 0

    def write(self, data: bytes) -> int:
        self._writer.write(data)
        self.count += len(data)
        return len(data)


def _db_snapshot(db: Path) -> sqlite3.Connection:
    """An in-memory copy made with SQLite's online backup API: consistent
    even while the server commits (WAL readers see one transaction state)."""
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    mem = sqlite3.connect(":memory:")
    try:
        src.backup(mem)
    finally:
        src.close()
    return mem


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = _FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _plain_files(paths: InstancePaths) -> Iterator[tuple[str, Path]]:
    yield "config.toml", paths.config
    for sub in (paths.keys, paths.tor):
        for p in sorted(sub.rglob("*")):
            if p.is_file() and not p.is_symlink() and not p.name.endswith(".tmp"):
                yield p.relative_to(paths.root).as_posix(), p


def write_backup(
    data_dir: Path,
    out: Path,
    *,
    recipient: Recipient | None = None,
    passphrase: bytes | None = None,
) -> BackupSummary:
    """Write a sealed snapshot of the instance at `data_dir` to `out`."""
    if (recipient is None) == (passphrase is None):
        raise BackupError(
            "a backup is sealed to exactly one of a recipient or a passphrase",
            hint="pass --recipient FILE or --passphrase-file FILE",
        )
    paths = open_instance(data_dir)
    if out.resolve().is_relative_to(paths.root.resolve()):
        raise BackupError(
            "the backup file cannot be inside the data dir",
            hint="write it elsewhere (the next backup would contain it)",
        )
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.tmp")
    manifest: dict[str, dict[str, object]] = {}
    mem = _db_snapshot(paths.db)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as sink:
            writer = (
                AgeWriter([recipient], sink)
                if recipient is not None
                else AgeWriter.with_passphrase(passphrase or b"", sink)
            )
            counter = _CountingSink(writer)
            with tarfile.open(fileobj=counter, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]

                def add(name: str, f: BinaryIO, size: int) -> None:
                    reader = _HashingReader(f)
                    tar.addfile(_info(name, size), reader)
                    manifest[name] = {"size": size, "sha256": reader.sha.hexdigest()}

                for name, p in _plain_files(paths):
                    with p.open("rb") as f:
                        add(name, f, os.fstat(f.fileno()).st_size)
                subs, replies = _add_store(paths, mem, add)
                db_bytes = mem.serialize()
                add(DB_MEMBER, io.BytesIO(db_bytes), len(db_bytes))
                body = json.dumps(
                    {"format": BACKUP_FORMAT, "files": manifest}, sort_keys=True
                ).encode()
                tar.addfile(_info(MANIFEST_NAME, len(body)), io.BytesIO(body))
            writer.close()
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        where = exc.filename if exc.filename is not None else out
        raise BackupError(
            f"cannot write the backup: {exc.strerror or type(exc).__name__} ({where})",
            hint="run as the instance's user (tor's files must be readable) and check "
            "free space where --out points; nothing was written",
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        mem.close()
    return BackupSummary(out, subs, replies, len(manifest) + 1, counter.count)


def _add_store(
    paths: InstancePaths, mem: sqlite3.Connection, add: Callable[[str, BinaryIO, int], None]
) -> tuple[int, int]:
    """Add every bundle and reply the snapshot references. A bundle deleted
    after the snapshot loses its row too, so the backup never names a file
    it lacks."""
    bundles, replies = paths.bundles, paths.replies
    sub_ids = [r[0] for r in mem.execute("SELECT id FROM submission")]
    kept_subs = 0
    for sid in sub_ids:
        try:
            fa = (bundles / f"{sid}.age").open("rb")
            fs = (bundles / f"{sid}.age.minisig").open("rb")
        except FileNotFoundError:
            mem.execute("DELETE FROM submission WHERE id = ?", (sid,))
            continue
        with fa, fs:
            add(f"store/bundles/{sid}.age", fa, os.fstat(fa.fileno()).st_size)
            add(f"store/bundles/{sid}.age.minisig", fs, os.fstat(fs.fileno()).st_size)
        kept_subs += 1
    kept_replies = 0
    for (rid,) in list(mem.execute("SELECT id FROM reply")):
        try:
            fr = (replies / f"{rid}.age").open("rb")
        except FileNotFoundError:
            mem.execute("DELETE FROM reply WHERE id = ?", (rid,))
            continue
        with fr:
            add(f"store/replies/{rid}.age", fr, os.fstat(fr.fileno()).st_size)
        kept_replies += 1
    mem.commit()
    return kept_subs, kept_replies


# -- reading -------------------------------------------------------------------
class _ChunkStream(io.RawIOBase):
    """A read-only file over the age reader's authenticated chunks."""

    def __init__(self, chunks: Iterator[memoryview]) -> None:
        self._chunks = chunks
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buf:
            try:
                self._buf = bytes(next(self._chunks))
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _safe_member_name(name: str) -> str:
    p = PurePosixPath(name)
    if (
        p.is_absolute()
        or not p.parts
        or any(part in ("", ".", "..") for part in p.parts)
        or p.parts[0] not in _ALLOWED_TOP
        or "\\" in name
        or "\x00" in name
    ):
        raise BackupError(
            "the backup holds a file outside an instance's layout",
            hint="this file is not a Samizdat backup, or it was forged",
        )
    return p.as_posix()


def _open_reader(f: BinaryIO, unlock: Unlock) -> AgeReader:
    try:
        if unlock.identity is not None:
            return AgeReader(f, [unlock.identity])
        return AgeReader(f, passphrase=unlock.passphrase)
    except CryptoError:
        raise BackupError(
            "the backup cannot be opened: it is damaged, or not sealed to this key or passphrase",
            hint="check the --identity / --passphrase-file and that the file copied completely",
        ) from None


def _walk(backup: Path, unlock: Unlock, target: Path | None) -> RestoreSummary:
    """Read the whole backup; check every member against the manifest.

    With `target`, also write members under it (the caller verified first).
    """
    seen: dict[str, dict[str, object]] = {}
    manifest: dict[str, object] | None = None
    submissions = 0
    try:
        with backup.open("rb") as f:
            reader = _open_reader(f, unlock)
            stream = io.BufferedReader(_ChunkStream(reader.chunks()), _COPY_CHUNK)
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    if manifest is not None:
                        raise BackupError(
                            "the backup has data after its manifest",
                            hint="this file was altered; use another backup",
                        )
                    if not member.isfile():
                        raise BackupError(
                            "the backup holds something other than plain files",
                            hint="this file is not a Samizdat backup, or it was forged",
                        )
                    name = _safe_member_name(member.name)
                    if name in seen:
                        raise BackupError(
                            "the backup names a file twice", hint="use another backup"
                        )
                    src = tar.extractfile(member)
                    if src is None:  # pragma: no cover - isfile() checked
                        raise BackupError("unreadable member", hint="use another backup")
                    if name == MANIFEST_NAME:
                        if member.size > _MAX_MANIFEST:
                            raise BackupError(
                                "the manifest is too large", hint="use another backup"
                            )
                        manifest = json.loads(src.read())
                        continue
                    sha = hashlib.sha256()
                    size = 0
                    out = None
                    if target is not None:
                        dest = target / name
                        for parent in reversed(dest.relative_to(target).parents):
                            (target / parent).mkdir(mode=0o700, exist_ok=True)
                        out = os.fdopen(
                            os.open(
                                dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600
                            ),
                            "wb",
                        )
                    try:
                        while chunk := src.read(_COPY_CHUNK):
                            sha.update(chunk)
                            size += len(chunk)
                            if out is not None:
                                out.write(chunk)
                        if out is not None:
                            out.flush()
                            os.fsync(out.fileno())
                    finally:
                        if out is not None:
                            out.close()
                    seen[name] = {"size": size, "sha256": sha.hexdigest()}
                    if name.startswith("store/bundles/") and name.endswith(".age"):
                        submissions += 1
    except CryptoError:
        raise BackupError(
            "the backup is damaged or was tampered with (authentication failed)",
            hint="nothing was restored; use another copy of the backup",
        ) from None
    except (tarfile.TarError, ValueError, UnicodeDecodeError):
        raise BackupError(
            "the backup's contents are malformed",
            hint="nothing was restored; use another copy of the backup",
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(
            "the backup has no valid manifest (it may be truncated or not a Samizdat backup)",
            hint="nothing was restored; use another copy of the backup",
        )
    if manifest.get("files") != seen:
        raise BackupError(
            "the backup's files do not match its manifest",
            hint="nothing was restored; this file was altered, use another copy",
        )
    for required in ("config.toml", DB_MEMBER, "keys/signing.key", "keys/server-keys.json"):
        if required not in seen:
            raise BackupError(f"the backup lacks {required}", hint="use another backup")
    return RestoreSummary(target or backup, len(seen), submissions, sorted(seen))


def verify_backup(backup: Path, unlock: Unlock) -> RestoreSummary:
    """Read and check the whole backup without writing anything."""
    return _walk(backup, unlock, None)


def restore_backup(backup: Path, data_dir: Path, unlock: Unlock) -> RestoreSummary:
    """Verify, then restore into `data_dir` (new or empty). On any failure
    everything written is removed; an existing instance is never touched."""
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupError(
            f"{data_dir} is not empty",
            hint="restore into a new or empty directory; an instance is never overwritten",
        )
    verify_backup(backup, unlock)
    created = not data_dir.exists()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    try:
        summary = _walk(backup, unlock, data_dir)
        paths = InstancePaths(data_dir)
        for d in (
            paths.store,
            paths.bundles,
            paths.replies,
            paths.store_tmp,
            paths.logs,
            paths.tor,
        ):
            d.mkdir(mode=0o700, exist_ok=True)
        mark_initialised(paths)
    except BaseException:
        if created:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            for child in data_dir.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise
    return RestoreSummary(data_dir, summary.files, summary.submissions, summary.members)
