"""Keep a signed-in source's reply key only sealed to their cookie.

At login the reply identity is re-derived from the codename; it is then
sealed (an age file, crypto.reply) to an X25519 key derived from the session
cookie, which the server never stores. Each `/replies` request unseals it
with the cookie it came with, uses it, and drops it.

Must never: keep the unsealed identity beyond one call, or store the cookie.
"""

from __future__ import annotations

from crypto.keys import Identity
from crypto.reply import open_reply, seal_reply
from server.source.sessions import wrap_secret


def seal_for_session(reply_identity: Identity, cookie_token: bytes) -> bytes:
    wrapper = Identity.from_bytes(wrap_secret(cookie_token))
    sealed: bytes = seal_reply(reply_identity.secret_bytes(), [wrapper.recipient()])
    return sealed


def open_from_session(sealed: bytes, cookie_token: bytes) -> Identity:
    """Raises crypto.errors.CryptoError if the cookie does not match."""
    wrapper = Identity.from_bytes(wrap_secret(cookie_token))
    return Identity.from_bytes(open_reply(sealed, wrapper))
