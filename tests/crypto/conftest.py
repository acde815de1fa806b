"""Shared helpers for crypto tests: keys and a one-call bundle sealer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crypto.bundle import BundleSealer
from crypto.keys import Identity, generate_identity
from crypto.signing import SigningKey

FIXED_TIME = datetime(2026, 11, 25, 12, 34, 56, 789012, tzinfo=UTC)


@dataclass
class Sealed:
    bundle: Path
    sig: Path
    submission_id: str
    source_id: str


@pytest.fixture(scope="session")
def journalist() -> Identity:
    return generate_identity()


@pytest.fixture(scope="session")
def server_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def source_reply() -> Identity:
    return generate_identity()


def seal(
    directory: Path,
    identities: list[Identity],
    signing_key: SigningKey,
    reply: Identity,
    files: list[tuple[str, bytes]],
    *,
    message: str | None = "a message",
    source_id: str = "source-1",
    chunk: int = 100_000,
) -> Sealed:
    sid = str(uuid.uuid4())
    bundle = directory / f"{sid}.age"
    with bundle.open("wb") as sink:
        sealer = BundleSealer(
            [i.recipient() for i in identities],
            signing_key,
            sink,
            submission_id=sid,
            source_id=source_id,
            day="2026-11-25",
            reply_recipient=reply.recipient(),
            submitted_at=FIXED_TIME,
        )
        for name, data in files:
            sealer.begin_file(name, "text")
            for i in range(0, len(data), chunk):
                sealer.write(data[i : i + chunk])
            sealer.end_file({"outcome": "cleaned", "removed": {"EXIF": ["Make"]}})
        if message is not None:
            sealer.set_message(message)
        sig_text = sealer.finish()
    sig = directory / f"{sid}.age.minisig"
    sig.write_text(sig_text)
    return Sealed(bundle, sig, sid, source_id)
