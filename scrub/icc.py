"""Keep an ICC colour profile's colour data, drop everything that describes who or what made it.

Decision: a profile changes how pixels *display* (a wide-gamut phone photo
looks wrong without it), so we keep it; but its header and text tags can name
the device maker and model, the software, a creation time, and free text
(a calibrated monitor's profile is often named after its owner or machine).
We rebuild the profile from an allowlist of colour tags, replace the
description and copyright with neutral text (both are required by the ICC
spec, so readers keep working), and zero the header's CMM, date, platform,
device maker/model, creator and profile ID (zero = "not computed", allowed).
Residual risk: the colour data of a custom-calibrated profile can itself be
unique to one device.

Must never: copy a text tag, or read outside the profile's declared size.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

# Tags that define colour appearance (ICC.1:2010 / ICC.1:2022 §9).
_KEEP_SPEC = (
    b"A2B0 A2B1 A2B2 A2B3 B2A0 B2A1 B2A2 B2A3 D2B0 D2B1 D2B2 D2B3 B2D0 B2D1 B2D2 B2D3 "
    b"rXYZ gXYZ bXYZ rTRC gTRC bTRC kTRC wtpt bkpt lumi chad chrm clro clrt clot "
    b"gamt meas pre0 pre1 pre2 rig0 rig2 tech ciis cicp view ncl2 A2M0"
)
_KEEP_TAGS = frozenset(_KEEP_SPEC.split())
_TAG_NAMES = {
    b"desc": "ProfileDescription",
    b"cprt": "ProfileCopyright",
    b"dmnd": "DeviceMfgDesc",
    b"dmdd": "DeviceModelDesc",
    b"vued": "ViewingCondDesc",
    b"calt": "CalibrationDateTime",
    b"targ": "CharTarget",
    b"meta": "Metadata",
    b"mmod": "MakeAndModel",
    b"dscm": "ProfileDescriptionML",
    b"vcgt": "VideoCardGamma",
    b"scrd": "ScreeningDesc",
}
# Header fields we zero: (start, end, report name).
_HEADER_FIELDS = (
    (4, 8, "CMMType"),
    (24, 36, "ProfileDateTime"),
    (40, 44, "PrimaryPlatform"),
    (48, 52, "DeviceManufacturer"),
    (52, 56, "DeviceModel"),
    (80, 84, "ProfileCreator"),
    (84, 100, "ProfileID"),
    (100, 128, "Reserved"),
)
_MAX_TAGS = 1000
DESCRIPTION = "Embedded colour profile"
COPYRIGHT = "No copyright"


class IccError(ValueError):
    """The profile is malformed; callers drop it and say so."""


def _text_tag(text: str, version: int) -> bytes:
    if version >= 4:
        encoded = text.encode("utf-16-be")
        return (
            b"mluc\x00\x00\x00\x00"
            + struct.pack(">II", 1, 12)
            + b"enUS"
            + struct.pack(">II", len(encoded), 28)
            + encoded
        )
    return b"text\x00\x00\x00\x00" + text.encode("ascii") + b"\x00"


def _desc_tag(text: str, version: int) -> bytes:
    if version >= 4:
        return _text_tag(text, version)
    ascii_text = text.encode("ascii") + b"\x00"
    return (
        b"desc\x00\x00\x00\x00"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + struct.pack(">II", 0, 0)
        + struct.pack(">HB", 0, 0)
        + b"\x00" * 67
    )


def neutralise(profile: bytes, remove: Callable[[str, str], None], place: str = "ICC") -> bytes:
    """Rebuild `profile` keeping colour tags only; report dropped names via `remove`."""
    if len(profile) < 132:
        raise IccError("profile too short")
    (size,) = struct.unpack_from(">I", profile, 0)
    if size < 132 or size > len(profile) or profile[36:40] != b"acsp":
        raise IccError("bad profile header")
    profile = profile[:size]
    version = profile[8]
    (count,) = struct.unpack_from(">I", profile, 128)
    if count > _MAX_TAGS or 132 + 12 * count > size:
        raise IccError("bad tag table")
    kept: list[tuple[bytes, int, int]] = []
    for i in range(count):
        sig, offset, length = struct.unpack_from(">4sII", profile, 132 + 12 * i)
        if offset + length > size or offset < 132 + 12 * count:
            raise IccError("tag outside profile")
        if sig in _KEEP_TAGS:
            kept.append((sig, offset, length))
        elif sig not in (b"desc", b"cprt"):
            remove(place, _TAG_NAMES.get(sig, "Tag" + sig.hex()))
        else:
            remove(place, _TAG_NAMES[sig])
    header = bytearray(profile[:128])
    for start, end, name in _HEADER_FIELDS:
        if any(header[start:end]):
            if name != "Reserved":
                remove(place, name)
            header[start:end] = bytes(end - start)
    tags = [*kept, (b"desc", -1, 0), (b"cprt", -2, 0)]
    table_size = 4 + 12 * len(tags)
    body = bytearray()
    placed: dict[tuple[int, int], int] = {}
    entries = []
    cursor = 128 + table_size
    for sig, offset, length in tags:
        if offset == -1:
            blob = _desc_tag(DESCRIPTION, version)
        elif offset == -2:
            blob = _text_tag(COPYRIGHT, version)
        else:
            # Tags may share one data block; keep them sharing.
            key = (offset, length)
            if key in placed:
                entries.append((sig, placed[key], length))
                continue
            blob = profile[offset : offset + length]
        while (cursor + len(body)) % 4:
            body.append(0)
        at = cursor + len(body)
        if offset >= 0:
            placed[(offset, length)] = at
        entries.append((sig, at, len(blob)))
        body += blob
    while (cursor + len(body)) % 4:
        body.append(0)
    table = struct.pack(">I", len(entries)) + b"".join(struct.pack(">4sII", *e) for e in entries)
    out = header + table + body
    struct.pack_into(">I", out, 0, len(out))
    return bytes(out)
