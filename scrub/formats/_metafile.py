"""Windows metafiles (EMF/WMF) inside Office documents: kept, with the EMF
header's description blanked.

The EMF header carries a free-text description, conventionally
"application\\0picture name\\0", which Office fills with the program and
sometimes the source file's path. It is never drawn, so its UTF-16 code
units are overwritten with spaces in place: same length, every offset and
record unchanged, the drawing identical. Comment records inside the
drawing (EMR_COMMENT, EMF+) are not parsed; that is a residual risk the
report names.

Must never: change a byte outside the description, or trust the
description's offset/length beyond the header record.
"""

from __future__ import annotations

import struct


def is_metafile(data: bytes) -> bool:
    emf = data[:4] == b"\x01\x00\x00\x00" and data[40:44] == b" EMF"
    wmf = data[:4] == b"\xd7\xcd\xc6\x9a" or data[:6] in (
        b"\x01\x00\x09\x00\x00\x03",
        b"\x02\x00\x09\x00\x00\x03",
    )
    return emf or wmf


def blank_emf_description(data: bytes) -> tuple[bytes, bool]:
    """Returns (metafile, whether a description was blanked)."""
    if len(data) < 88 or data[:4] != b"\x01\x00\x00\x00" or data[40:44] != b" EMF":
        return data, False
    (header_size,) = struct.unpack_from("<I", data, 4)
    count, offset = struct.unpack_from("<II", data, 60)  # nDescription, offDescription
    end = offset + 2 * count
    if count == 0 or offset < 88 or end > min(header_size, len(data)):
        return data, False
    out = bytearray(data)
    out[offset:end] = " ".encode("utf-16-le") * count
    return bytes(out), True
