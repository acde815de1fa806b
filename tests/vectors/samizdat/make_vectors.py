"""Regenerate samizdat-v1.json: known-answer vectors for our own formats.

Run: .venv/bin/python tests/vectors/samizdat/make_vectors.py
Inputs are fixed below (no randomness, no clock); every output is a pure
function of them. Regenerating must give a byte-identical file; a diff means
the format changed and needs a new version marker (SPEC.md).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from crypto.bundle import bundle_comment
from crypto.codename import derive_source_keys
from crypto.container import ContainerWriter
from crypto.keys import Identity
from crypto.signing import SigningKey

HERE = Path(__file__).parent
SEED = bytes(range(32))
J1 = Identity.from_bytes(bytes([1]) * 32)
J2 = Identity.from_bytes(bytes([2]) * 32)
CODENAME = "abacus abdomen abdominal abide abiding ability ablaze able"
LOOKUP_SECRET = bytes([0x11]) * 32
REPLY_SECRET = bytes([0x22]) * 32
SUBMISSION_ID = "2f1e6c1e-8d5f-4a5b-9c3e-0d1f2a3b4c5d"


def container_vector() -> dict[str, object]:
    out = bytearray()
    w = ContainerWriter(out.extend)
    w.begin_file("../Résumé?.pdf", "pdf")
    w.write(b"%PDF-1.7 hello")
    w.write(b" world")
    w.end_file({"outcome": "cleaned", "removed": {"PDF:Info": ["Author", "Producer"]}})
    w.begin_file("résumé_.pdf", "pdf")  # collides after sanitising -> " (2)"
    w.end_file({"outcome": "not_cleaned", "reason": "empty"})
    w.set_message("Hello, journalist.\n")
    w.finish({"format": "samizdat-manifest-v1", "submission_id": SUBMISSION_ID})
    return {
        "container_hex": out.hex(),
        "sha256": hashlib.sha256(out).hexdigest(),
        "length": len(out),
    }


def codename_vector() -> dict[str, object]:
    keys = derive_source_keys(CODENAME, LOOKUP_SECRET, REPLY_SECRET)
    return {
        "codename": CODENAME,
        "lookup_secret_hex": LOOKUP_SECRET.hex(),
        "reply_secret_hex": REPLY_SECRET.hex(),
        "lookup_id": keys.lookup_id,
        "reply_recipient": keys.reply_recipient.encode(),
    }


def signature_vector() -> dict[str, object]:
    sk = SigningKey.from_seed(SEED)
    comment = bundle_comment(
        SUBMISSION_ID, "src_42", "2026-11-25", [J2.recipient(), J1.recipient()]
    )
    data = b"example .age bytes"
    return {
        "seed_hex": SEED.hex(),
        "public_key_text": sk.public_key().minisign_text(),
        "data_hex": data.hex(),
        "trusted_comment": comment,
        "minisig": sk.sign_bytes(data, comment),
    }


def keys_vector() -> dict[str, object]:
    return {
        "identity_1": J1.encode(),
        "recipient_1": J1.recipient().encode(),
        "fingerprint_1": J1.recipient().fingerprint(),
        "identity_2": J2.encode(),
        "recipient_2": J2.recipient().encode(),
    }


def build() -> dict[str, object]:
    return {
        "container": container_vector(),
        "codename": codename_vector(),
        "signature": signature_vector(),
        "keys": keys_vector(),
    }


if __name__ == "__main__":
    (HERE / "samizdat-v1.json").write_text(json.dumps(build(), indent=2, sort_keys=True) + "\n")
