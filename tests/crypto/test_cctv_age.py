"""Every applicable C2SP CCTV age vector (vendored; see tests/vectors/cctv-age/PROVENANCE).

Not applicable, and skipped with the reason: ASCII-armored files (we neither
write nor accept armor: bundles are binary) and vectors whose identity is a
post-quantum hybrid key (we implement X25519 and scrypt only).
"""

from __future__ import annotations

import hashlib
import io
import zlib
from pathlib import Path

import pytest

from crypto.age import AgeReader
from crypto.errors import CryptoError, KeyFormatError
from crypto.keys import Identity

VECTORS = Path(__file__).parents[1] / "vectors" / "cctv-age" / "testdata"
ALL = sorted(p.name for p in VECTORS.iterdir())


def _parse(path: Path) -> tuple[dict[str, list[str]], bytes]:
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n\n")
    meta: dict[str, list[str]] = {}
    for line in head.decode().splitlines():
        key, _, value = line.partition(": ")
        meta.setdefault(key, []).append(value)
    if meta.get("compressed") == ["zlib"]:
        body = zlib.decompress(body)
    return meta, body


def test_vector_set_is_complete() -> None:
    assert len(ALL) == 143


@pytest.mark.parametrize("name", ALL)
def test_cctv_vector(name: str) -> None:
    meta, body = _parse(VECTORS / name)
    if meta.get("armored") == ["yes"]:
        pytest.skip("armored: not applicable (bundles are binary)")
    try:
        identities = [Identity.parse(s) for s in meta.get("identity", [])]
    except KeyFormatError:
        pytest.skip("hybrid (post-quantum) identity: not implemented")
    passphrases: list[bytes | None] = [p.encode() for p in meta.get("passphrase", [])] or [None]
    expect = meta["expect"][0]
    outcomes = {_attempt(name, body, identities, p, meta) for p in passphrases}
    # With several passphrases (age's CLI would try each), one success is enough.
    assert ("ok" in outcomes) == (expect == "success"), f"{name}: expected {expect}"


def _attempt(
    name: str,
    body: bytes,
    identities: list[Identity],
    passphrase: bytes | None,
    meta: dict[str, list[str]],
) -> str:
    expect = meta["expect"][0]
    released = hashlib.sha256()
    try:
        reader = AgeReader(io.BytesIO(body), identities, passphrase=passphrase)
        for chunk in reader.chunks():
            released.update(chunk)
    except CryptoError:
        if expect == "payload failure":
            # Whatever was released before the failure must be exactly the good prefix.
            assert released.hexdigest() == meta["payload"][0]
        return "refused"
    assert released.hexdigest() == meta["payload"][0], name
    return "ok"
