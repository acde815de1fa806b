"""Name the properties inside an XMP packet we are about to drop.

We never keep XMP (it holds creator tools, edit history, GPS, document IDs);
we parse it only to tell the source *which* fields went, e.g. `XMP:dc:creator`.

Must never: expand entities or fetch external DTDs (defusedxml refuses both:
billion-laughs XMP is a known hostile input), return a property *value*, or
fail the scrub because a packet does not parse (it is dropped either way).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_NS_DECL = re.compile(rb'xmlns:([A-Za-z_][\w.-]{0,31})\s*=\s*["\']([^"\']{1,300})["\']')
_SAFE_NAME = re.compile(r"^[A-Za-z_][\w.-]{0,63}$")
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_SKIP = {_RDF, "adobe:ns:meta/", "http://www.w3.org/XML/1998/namespace"}
_MAX_NAMES = 500


def _qualified(tag: str, prefixes: dict[str, str]) -> str | None:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
    else:
        uri, local = "", tag
    if uri in _SKIP or not _SAFE_NAME.match(local):
        return None
    prefix = prefixes.get(uri, "ns")
    return f"{prefix}:{local}"


def property_names(packet: bytes) -> list[str]:
    """Top-level XMP property names ("dc:creator", "exif:GPSLatitude", ...)."""
    from defusedxml import ElementTree  # noqa: PLC0415 - only when a file has XMP

    prefixes = {
        uri.decode("utf-8", "replace"): prefix.decode() for prefix, uri in _NS_DECL.findall(packet)
    }
    start = packet.find(b"<x:xmpmeta")
    if start < 0:
        start = packet.find(b"<rdf:RDF")
    end_tag = b"</x:xmpmeta>" if packet[start : start + 10] == b"<x:xmpmeta" else b"</rdf:RDF>"
    end = packet.find(end_tag, start)
    if start < 0 or end < 0:
        raise ValueError("no XMP root")
    root = ElementTree.fromstring(packet[start : end + len(end_tag)], forbid_dtd=True)
    names: list[str] = []
    for desc in root.iter(f"{{{_RDF}}}Description"):
        candidates = [*desc.attrib.keys(), *(child.tag for child in desc)]
        for tag in candidates:
            name = _qualified(tag, prefixes)
            if name and name not in names:
                names.append(name)
            if len(names) >= _MAX_NAMES:
                return names
    return names


def record_xmp(packet: bytes, remove: Callable[[str, str], None], place: str = "XMP") -> None:
    """Report the names in `packet` under `place`; an unparseable packet is named as such."""
    try:
        names = property_names(packet)
    except Exception:  # any parse failure: the packet is dropped all the same
        remove(place, "(unparsed XMP packet)")
        return
    if not names:
        remove(place, "(empty XMP packet)")
    for name in names:
        remove(place, name)
