"""Open a sealed bundle with a journalist identity (offline workstation only).

The server may not import this module (import-linter contract).
Must never: decrypt before the signature verifies, release (rename into
place) anything before the last chunk and every container check pass, write
outside `out_dir`, or open/preview a submitted file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from ._container_reader import ContainerParser, UnverifiedContainer
from ._labels import MANIFEST_FORMAT
from ._pipeline import Stage
from .age import AgeReader
from .bundle import BundleComment, recipients_digest
from .errors import CryptoError
from .keys import Identity, Recipient
from .signing import PublicKey, verify_file_trusted

__all__ = ["OpenedBundle", "OpenedFile", "OutputExistsError", "open_bundle", "read_manifest"]

_UUID_NAME = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.age")
_MAX_SIG = 4096
FILES_DIR = "files"


class OutputExistsError(Exception):
    """The submission's output folder already exists."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists")
        self.hint = "remove it or choose another --out folder"


@dataclass(frozen=True, slots=True)
class OpenedFile:
    name: str
    path: Path
    type: str
    size: int
    sha256: str
    scrub: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OpenedBundle:
    folder: Path
    submission_id: str
    source_id: str
    day: str
    submitted_at: str
    reply_recipient: Recipient
    files: list[OpenedFile]
    message: str | None
    manifest: dict[str, Any]
    signer: PublicKey


def _check(container: UnverifiedContainer, comment: BundleComment, me: Recipient) -> Recipient:
    m = container.manifest
    try:
        recipients = m["recipients"]
        ok = (
            m["format"] == MANIFEST_FORMAT
            and m["submission_id"] == comment.submission_id
            and m["source_id"] == comment.source_id
            and m["day"] == comment.day
            and isinstance(recipients, list)
            and all(isinstance(r, str) for r in recipients)
            and recipients_digest(recipients) == comment.recipients
            and me.encode() in recipients
            and m["files"] == [f.as_json() for f in container.files]
            and isinstance(m["submitted_at"], str)
        )
        if not ok:
            raise CryptoError
        message = m["message"]
        if container.message is None:
            ok = message is None
        else:
            raw = container.message.encode("utf-8")
            ok = message == {"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
        if not ok:
            raise CryptoError
        return Recipient.parse(m["reply_recipient"])
    except (KeyError, TypeError, ValueError):
        raise CryptoError from None


def open_bundle(
    bundle_path: str | os.PathLike[str],
    sig_path: str | os.PathLike[str],
    identity: Identity,
    trusted: Sequence[PublicKey],
    out_dir: str | os.PathLike[str],
    *,
    progress: Callable[[int], object] | None = None,
) -> OpenedBundle:
    """Verify, decrypt and unpack into `out_dir/<submission-id>/`; CryptoError on any failure.

    `trusted` must already be trusted: a pinned key, or `KeyChain.resolve`'s
    result. A raw KeyChain is deliberately not accepted: its links are only
    checked by resolve(), and trusting every key it lists would let whoever
    wrote the chain file add a signer.
    `progress` is called with the number of ciphertext bytes consumed so far.
    """
    bundle_path = Path(bundle_path)
    out_dir = Path(out_dir)
    keys = list(trusted)
    try:
        with open(sig_path, "rb") as f:
            raw_sig = f.read(_MAX_SIG + 1)
        sig_text = raw_sig.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise CryptoError from None
    if len(raw_sig) > _MAX_SIG:
        raise CryptoError

    with open(bundle_path, "rb") as src:
        # 1. Signature first, over the exact bytes we then decrypt (same fd).
        signer, trusted_comment = verify_file_trusted(keys, src, sig_text)
        comment = BundleComment.parse(trusted_comment)
        if _UUID_NAME.fullmatch(bundle_path.name) and bundle_path.name != (
            comment.submission_id + ".age"
        ):
            raise CryptoError  # a bundle renamed to pose as another submission
        final = out_dir / comment.submission_id
        if final.exists():
            raise OutputExistsError(final)
        src.seek(0)
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = out_dir / f".partial-{secrets.token_hex(8)}"
        tmp.mkdir(mode=0o700)
        try:
            (tmp / FILES_DIR).mkdir(mode=0o700)
            container = _decrypt(src, identity, tmp / FILES_DIR, progress)
            reply = _check(container, comment, identity.recipient())
            if container.message is not None:
                (tmp / "message.txt").write_text(container.message, "utf-8")
            (tmp / "manifest.json").write_text(
                json.dumps(container.manifest, indent=2, sort_keys=True, ensure_ascii=False),
                "utf-8",
            )
            if final.exists():
                raise OutputExistsError(final)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    m = container.manifest
    return OpenedBundle(
        folder=final,
        submission_id=comment.submission_id,
        source_id=comment.source_id,
        day=comment.day,
        submitted_at=m["submitted_at"],
        reply_recipient=reply,
        files=[
            OpenedFile(f.name, final / FILES_DIR / f.name, f.type, f.size, f.sha256, f.scrub)
            for f in container.files
        ],
        message=container.message,
        manifest=m,
        signer=signer,
    )


def _decrypt(
    src: BinaryIO,
    identity: Identity,
    files_dir: Path,
    progress: Callable[[int], object] | None,
) -> UnverifiedContainer:
    def open_file(name: str) -> IO[bytes]:
        # Names are checked sanitised (no separators, no dot names) by the parser;
        # O_EXCL and O_NOFOLLOW refuse to reuse or follow anything already there.
        fd = os.open(files_dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        return os.fdopen(fd, "wb")

    parser = ContainerParser(open_file)
    reader = AgeReader(src, [identity])
    # Parsing (SHA-256 + writes to the temp folder) runs on a helper thread
    # beside decryption; the copy frees the decryptor's reused buffer.
    stage = Stage(parser.feed)
    try:
        for chunk in reader.chunks():
            stage.put(bytes(chunk))
            if progress is not None:
                progress(src.tell())
        stage.close()
    except BaseException:
        stage.abort()
        raise
    return parser.finish()


class _Discard:
    """A file sink that keeps nothing (reading only the manifest)."""

    def write(self, data: bytes | memoryview) -> int:
        return len(data)

    def close(self) -> None:
        return None


def read_manifest(
    bundle_path: str | os.PathLike[str],
    identity: Identity,
    *,
    sig_path: str | os.PathLike[str] | None = None,
    trusted: list[PublicKey] | None = None,
) -> dict[str, Any]:
    """Decrypt a bundle only to read its manifest (files are discarded, not written).

    With `sig_path` and `trusted`, the signature and comment are checked first
    and the manifest is bound to them; without, the result is unverified by the
    server's signature (still authenticated to whoever knew your public key).
    """
    with open(bundle_path, "rb") as src:
        comment: BundleComment | None = None
        if sig_path is not None and trusted is not None:
            with open(sig_path, "rb") as f:
                raw_sig = f.read(_MAX_SIG + 1)
            if len(raw_sig) > _MAX_SIG:
                raise CryptoError
            try:
                sig_text = raw_sig.decode("utf-8")
            except UnicodeDecodeError:
                raise CryptoError from None
            _, trusted_comment = verify_file_trusted(trusted, src, sig_text)
            comment = BundleComment.parse(trusted_comment)
            src.seek(0)
        parser = ContainerParser(lambda _name: _Discard())  # type: ignore[arg-type, return-value]
        for chunk in AgeReader(src, [identity]).chunks():
            parser.feed(chunk)
        container = parser.finish()
    if comment is not None:
        _check(container, comment, identity.recipient())
    elif identity.recipient().encode() not in container.manifest.get("recipients", []):
        raise CryptoError
    return container.manifest
