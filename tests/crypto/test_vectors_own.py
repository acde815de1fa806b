"""Our own known-answer vectors (tests/vectors/samizdat/samizdat-v1.json).

How they were made: tests/vectors/samizdat/make_vectors.py (fixed inputs, no
randomness or clock). Besides recomputing them, each is checked by something
independent of the code that made it: a by-hand decoding of the container per
SPEC.md §2, stock `minisign -V` for the signature, `age-keygen -y` for keys.
"""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from crypto.padme import padme

VECTORS = Path(__file__).parents[1] / "vectors" / "samizdat"
DATA = json.loads((VECTORS / "samizdat-v1.json").read_text())


def _build() -> dict[str, object]:
    sys.path.insert(0, str(VECTORS))
    try:
        import make_vectors  # type: ignore[import-not-found]

        return make_vectors.build()  # type: ignore[no-any-return]
    finally:
        sys.path.remove(str(VECTORS))


@pytest.mark.parametrize("section", ["container", "signature", "keys", "codename"])
def test_vectors_recompute(section: str) -> None:
    assert _build()[section] == DATA[section]


def test_container_vector_decodes_by_hand() -> None:
    raw = bytes.fromhex(DATA["container"]["container_hex"])
    assert raw[:16] == b"samizdat/bundle\x00" and raw[16:18] == b"\x00\x01"
    pos = 18
    assert raw[pos] == 0x01
    (n,) = struct.unpack(">H", raw[pos + 1 : pos + 3])
    assert raw[pos + 3 : pos + 3 + n].decode() == "Résumé_.pdf"
    pos += 3 + n
    assert raw[pos : pos + 4] == b"\x03pdf"
    pos += 4
    body = b""
    while raw[pos] == 0x02:
        (n,) = struct.unpack(">I", raw[pos + 1 : pos + 5])
        body += raw[pos + 5 : pos + 5 + n]
        pos += 5 + n
    assert body == b"%PDF-1.7 hello world"
    assert raw[pos] == 0x03
    size, digest = struct.unpack(">Q32s", raw[pos + 1 : pos + 41])
    assert size == len(body) and digest == hashlib.sha256(body).digest()
    # trailer: total is the Padmé length; the last 8 bytes give the content length
    (content,) = struct.unpack(">Q", raw[-8:])
    assert len(raw) == padme(content + 8)
    assert set(raw[content:-8]) <= {0}
    assert raw[content - 1 : content] == b"}"  # manifest JSON ends right there


def test_signature_vector_verifies_with_minisign(tmp_path: Path) -> None:
    sig = DATA["signature"]
    (tmp_path / "f").write_bytes(bytes.fromhex(sig["data_hex"]))
    (tmp_path / "f.minisig").write_text(sig["minisig"])
    (tmp_path / "k.pub").write_text(sig["public_key_text"])
    res = subprocess.run(
        ["minisign", "-V", "-p", str(tmp_path / "k.pub"), "-m", str(tmp_path / "f")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"Trusted comment: {sig['trusted_comment']}" in res.stdout
    assert sig["trusted_comment"].startswith("samizdat-bundle-v1 id=")


def test_key_vector_matches_age_keygen(tmp_path: Path) -> None:
    keys = DATA["keys"]
    for n in ("1", "2"):
        (tmp_path / "k").write_text(keys[f"identity_{n}"] + "\n")
        out = subprocess.run(
            ["age-keygen", "-y", str(tmp_path / "k")], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert out == keys[f"recipient_{n}"]
