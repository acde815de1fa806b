"""Fresh sign-in credentials for a journalist: a Diceware password, a TOTP
secret with its `otpauth://` URI, and an onion client-authorisation key pair.

Everything comes from the OS CSPRNG via `crypto`. The plaintext password
and the private client-auth key exist only in the returned value, to be shown
once; the server keeps the password's Argon2id hash, the TOTP secret (needed
to check codes) and the public client-auth key. Must never log or store the
plaintext password or the private client-auth key.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from crypto.onion import ClientAuthKeypair, generate_client_auth_keypair
from crypto.passwords import generate_password, hash_password
from crypto.totp import DIGITS, STEP_SECONDS, generate_totp_secret

# ≥ 7 EFF words (≈ 90 bits): out of reach of offline guessing even if the
# hash leaks, and still typeable.
PASSWORD_WORDS = 7
TOTP_ISSUER = "Samizdat"


@dataclass(frozen=True, repr=False)
class NewPassword:
    """`repr` is off so the plaintext never lands in a log or traceback."""

    plaintext: str
    hash: str


def new_password() -> NewPassword:
    plaintext = generate_password(words=PASSWORD_WORDS)
    return NewPassword(plaintext=plaintext, hash=hash_password(plaintext))


def new_totp_secret() -> str:
    return generate_totp_secret()


def totp_uri(name: str, secret: str) -> str:
    """The `otpauth://` URI authenticator apps import (SHA-1, 6 digits, 30 s)."""
    label = quote(f"{TOTP_ISSUER}:{name}", safe=":")
    query = urlencode(
        {
            "secret": secret,
            "issuer": TOTP_ISSUER,
            "algorithm": "SHA1",
            "digits": str(DIGITS),
            "period": str(STEP_SECONDS),
        }
    )
    return f"otpauth://totp/{label}?{query}"


def new_client_auth() -> ClientAuthKeypair:
    return generate_client_auth_keypair()
