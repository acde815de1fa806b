"""Sanitised file names for the container: safe on every journalist's filesystem.

Must never: return a name containing a path separator, a control character,
`.`/`..`, or that a case-insensitive filesystem would merge with another.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["dedupe", "is_sanitised", "sanitise_name"]

MAX_NAME_BYTES = 120
_BAD = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$")


def _cut(text: str, limit: int) -> str:
    raw = text.encode("utf-8")[:limit]
    return raw.decode("utf-8", "ignore")


def sanitise_name(untrusted_name: str) -> str:
    name = unicodedata.normalize("NFC", untrusted_name)
    # Directory parts are dropped: only the base name is evidence-relevant.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _BAD.sub("_", name)
    # Bidi overrides and other format characters can disguise an extension.
    name = "".join("_" if unicodedata.category(c) in ("Cf", "Zl", "Zp") else c for c in name)
    name = name.strip(" .").lstrip(" .")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext.encode()) <= 16 and stem:
            name = _cut(stem, MAX_NAME_BYTES - len(ext.encode()) - 1).rstrip(" .") + "." + ext
        else:
            name = _cut(name, MAX_NAME_BYTES).rstrip(" .")
    if not name or name in (".", ".."):
        name = "file"
    if _RESERVED.match(name):
        name = "_" + name
    return name


def is_sanitised(name: str) -> bool:
    return sanitise_name(name) == name


def dedupe(name: str, taken: set[str]) -> str:
    """`name`, or `name (2).ext`, … so that no two differ only by case."""
    candidate = name
    n = 1
    while candidate.casefold() in taken:
        n += 1
        stem, dot, ext = name.rpartition(".")
        suffix = f" ({n})"
        if dot and stem:
            candidate = sanitise_name(f"{_cut(stem, MAX_NAME_BYTES - len(ext) - 8)}{suffix}.{ext}")
        else:
            candidate = sanitise_name(f"{_cut(name, MAX_NAME_BYTES - 8)}{suffix}")
    taken.add(candidate.casefold())
    return candidate
