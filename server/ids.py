"""The one id format: canonical lower-case UUID4 text.

Ids are random, never sequential (nothing may expose arrival order), and the
same text is bound into each bundle's signed comment, so the file name, the DB
row and the signature all agree on it.
"""

from __future__ import annotations

import re
import uuid

UUID4_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_UUID4_RE = re.compile(UUID4_PATTERN)


def new_id() -> str:
    return str(uuid.uuid4())


def is_id(text: str) -> bool:
    return _UUID4_RE.fullmatch(text) is not None
