"""ISO base media file format (MP4/MOV) box primitives: bounded parsing of
a box list and writing a box.

Must never: follow a size past the parent box, or accept a size smaller
than the header (both are how a few bytes claim unbounded work).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from scrub.base import Rejected


@dataclass(frozen=True)
class Box:
    type: bytes
    start: int  # offset of the header
    payload: int  # offset of the payload
    end: int


def name(box_type: bytes) -> str:
    return "".join(c if c.isprintable() else "?" for c in box_type.decode("latin-1"))


def children(buf: bytes, start: int, end: int, *, top: bool = False) -> list[Box]:
    boxes: list[Box] = []
    pos = start
    while pos < end:
        if end - pos < 8:
            if top:
                break  # trailing bytes after the last box are dropped
            raise Rejected("MP4 box header runs past its parent")
        size, box_type = struct.unpack_from(">I4s", buf, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise Rejected("MP4 box header runs past its parent")
            (size,) = struct.unpack_from(">Q", buf, pos + 8)
            header = 16
        elif size == 0:
            if not top:
                raise Rejected("MP4 box with size 0 inside another box")
            size = end - pos
        if size < header or pos + size > end:
            raise Rejected("MP4 box size is absurd (past its parent or the file)")
        if box_type == b"uuid":
            header += 16
            if size < header:
                raise Rejected("MP4 uuid box too small")
        boxes.append(Box(box_type, pos, pos + header, pos + size))
        pos += size
    return boxes


def make_box(box_type: bytes, payload: bytes) -> bytes:
    size = len(payload) + 8
    if size > 0xFFFFFFFF:
        return struct.pack(">I4sQ", 1, box_type, size + 8) + payload
    return struct.pack(">I4s", size, box_type) + payload


def top_level(buf: bytes) -> tuple[list[Box], int]:
    """The file's top-level boxes, and how many bytes after the last valid
    box were ignored. Phones append vendor trailers that are not boxes
    (e.g. Samsung's "SEF" block): those bytes end the list instead of
    rejecting the file, and are never copied. A file whose moov or mdat is
    itself broken still fails later, when one of them is missing."""
    boxes: list[Box] = []
    pos = 0
    end = len(buf)
    while end - pos >= 8:
        size, box_type = struct.unpack_from(">I4s", buf, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                break
            (size,) = struct.unpack_from(">Q", buf, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if box_type == b"uuid":
            header += 16
        if size < header or pos + size > end:
            break
        boxes.append(Box(box_type, pos, pos + header, pos + size))
        pos += size
    return boxes, end - pos
