"""TOTP recipe: RFC 6238 known answers, window, replay refusal."""

from __future__ import annotations

import base64

import pytest

from crypto.totp import STEP_SECONDS, generate_totp_secret, step_of, totp_code, verify_totp

# RFC 6238 appendix B, SHA-1 seed "12345678901234567890"; six-digit codes are
# the last six digits of the published eight-digit values.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode().rstrip("=")
RFC_VECTORS = [
    (59, "287082"),
    (1111111109, "081804"),
    (1234567890, "005924"),
    (2000000000, "279037"),
]


@pytest.mark.parametrize(("t", "code"), RFC_VECTORS)
def test_rfc6238_vectors(t: int, code: str) -> None:
    assert totp_code(RFC_SECRET, t) == code
    assert verify_totp(RFC_SECRET, code, t, last_step=0) == step_of(t)


def test_secret_is_160_bit_unpadded_base32() -> None:
    secret = generate_totp_secret()
    assert "=" not in secret and " " not in secret
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20
    assert secret != generate_totp_secret()


def test_window_is_one_step_either_side() -> None:
    secret = generate_totp_secret()
    now = 1_700_000_000
    for offset in (-1, 0, 1):
        code = totp_code(secret, now + offset * STEP_SECONDS)
        assert verify_totp(secret, code, now, last_step=0) == step_of(now) + offset
    for offset in (-2, 2):
        code = totp_code(secret, now + offset * STEP_SECONDS)
        if code in {totp_code(secret, now + k * STEP_SECONDS) for k in (-1, 0, 1)}:
            continue  # a one-in-a-million collision with a code in the window
        with pytest.raises(ValueError):
            verify_totp(secret, code, now, last_step=0)


def test_replay_and_older_codes_are_refused() -> None:
    secret = generate_totp_secret()
    now = 1_700_000_000
    code = totp_code(secret, now)
    step = verify_totp(secret, code, now, last_step=0)
    with pytest.raises(ValueError):
        verify_totp(secret, code, now, last_step=step)
    older = totp_code(secret, now - STEP_SECONDS)
    if older != code:
        with pytest.raises(ValueError):
            verify_totp(secret, older, now, last_step=step)


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_malformed_codes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        verify_totp(generate_totp_secret(), bad, 1_700_000_000, last_step=0)
