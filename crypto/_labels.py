"""Every domain-separation label and format marker, in one place (SPEC.md).

Must never: be changed in place. A new value is a new format version.
"""

from __future__ import annotations

from typing import Final

# age v1 (https://age-encryption.org/v1): interoperability with stock age.
AGE_VERSION_LINE: Final = b"age-encryption.org/v1"
X25519_LABEL: Final = b"age-encryption.org/v1/X25519"
SCRYPT_LABEL: Final = b"age-encryption.org/v1/scrypt"
HEADER_INFO: Final = b"header"
PAYLOAD_INFO: Final = b"payload"

# Inner container.
CONTAINER_MAGIC: Final = b"samizdat/bundle\x00"
CONTAINER_VERSION: Final = 1
MANIFEST_FORMAT: Final = "samizdat-manifest-v1"

# Signatures and key chain.
BUNDLE_COMMENT_PREFIX: Final = "samizdat-bundle-v1"
RECIPIENTS_LABEL: Final = b"samizdat-recipients-v1\n"
KEYID_LABEL: Final = b"samizdat-minisign-keyid-v1"
ROTATION_LABEL: Final = b"samizdat-key-rotation-v1\n"
ROTATION_COMMENT_PREFIX: Final = "samizdat-key-rotation-v1"
KEYCHAIN_FORMAT: Final = "samizdat-server-keys-v1"
SEED_FILE_PREFIX: Final = "samizdat-ed25519-seed-v1:"
FINGERPRINT_LABEL: Final = b"samizdat-fingerprint-v1\n"

# Codename derivation: distinct labels so the lookup id and the reply key
# can never coincide even if both instance secrets were equal.
CODENAME_SALT_LABEL: Final = b"samizdat-codename-salt-v1"
LOOKUP_LABEL: Final = b"samizdat-lookup-id-v1"
REPLY_KEY_LABEL: Final = b"samizdat-reply-key-v1"

REPLY_MAGIC: Final = b"samizdat-reply-v1\n"
