"""The crypto package's error tree.

Must never: carry secret, plaintext or key bytes in a message, or distinguish
*why* a ciphertext/signature was refused (that would be an oracle).
"""

from __future__ import annotations

__all__ = ["CryptoError", "KeyFormatError"]


class CryptoError(Exception):
    """The data could not be verified or decrypted (it is damaged, forged, or not for you)."""

    hint: str | None = None

    def __init__(self, message: str = "the data could not be verified or decrypted") -> None:
        super().__init__(message)


class KeyFormatError(CryptoError):
    """A key file or key string the user supplied is not in the expected form."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint
