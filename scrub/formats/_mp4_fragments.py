"""Fragmented MP4 (moof/mdat pairs): keep only the audio and video tracks'
fragments, with only their sample bytes.

For every movie fragment: a new `moof` holding the kept tracks' `traf`
boxes (tfhd, tfdt, trun, sample-group boxes), rewritten so their data is
addressed relative to the new moof (`default-base-is-moof`, explicit
`data_offset` in every trun), followed by a new `mdat` holding only those
runs' bytes, in their original order. Other tracks' fragments (timed
metadata, subtitles) are dropped with their samples. `sidx`/`mfra` indexes
describe the old layout and are dropped (players seek without them).

Must never: copy a byte of media data that no kept run references, or trust
a sample count beyond what its box holds.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable
from dataclasses import dataclass

from scrub.base import Rejected
from scrub.formats._boxes import Box, children, make_box, name
from scrub.limits import Limits, check_count

_BASE_OFFSET = 0x000001
_SDI = 0x000002
_DURATION = 0x000008
_SIZE = 0x000010
_FLAGS = 0x000020
_BASE_IS_MOOF = 0x020000
# trun flags
_DATA_OFFSET = 0x000001
_FIRST_FLAGS = 0x000004
_S_DURATION = 0x000100
_S_SIZE = 0x000200
_S_FLAGS = 0x000400
_S_CTO = 0x000800
_TRAF_KEEP = frozenset({b"tfhd", b"tfdt", b"trun", b"sbgp", b"sgpd", b"subs"})


@dataclass
class _Run:
    header: bytes  # trun version/flags (with data_offset forced on) + sample_count
    tail: bytes  # first-sample flags and the per-sample table, unchanged
    offset: int  # absolute file offset of the run's data
    size: int


@dataclass
class _Traf:
    tfhd: bytes  # rewritten payload
    others: list[bytes]  # tfdt, sample groups (copied)
    runs: list[_Run]


def _tfhd(payload: bytes) -> tuple[int, int, int | None, int | None, bytes]:
    """Returns (flags, track_id, base offset, default size, payload for the
    rewrite: no base offset, base-is-moof set)."""
    if len(payload) < 8:
        raise Rejected("MP4 tfhd too small")
    (vf, track_id) = struct.unpack_from(">II", payload, 0)
    flags = vf & 0xFFFFFF
    pos = 8
    base: int | None = None
    default_size: int | None = None
    fields = b""
    for bit, width in ((_BASE_OFFSET, 8), (_SDI, 4), (_DURATION, 4), (_SIZE, 4), (_FLAGS, 4)):
        if flags & bit:
            if pos + width > len(payload):
                raise Rejected("MP4 tfhd shorter than its flags say")
            value = payload[pos : pos + width]
            if bit == _BASE_OFFSET:
                (base,) = struct.unpack(">Q", value)
            else:
                if bit == _SIZE:
                    (default_size,) = struct.unpack(">I", value)
                fields += value
            pos += width
    new_flags = (flags & ~_BASE_OFFSET) | _BASE_IS_MOOF
    new = struct.pack(">II", (vf & 0xFF000000) | new_flags, track_id) + fields
    return flags, track_id, base, default_size, new


def _trun(
    payload: bytes, default_size: int, limits: Limits
) -> tuple[int | None, int, bytes, bytes]:
    """Returns (data_offset or None, total data size, new header, tail)."""
    if len(payload) < 8:
        raise Rejected("MP4 trun too small")
    vf, count = struct.unpack_from(">II", payload, 0)
    flags = vf & 0xFFFFFF
    check_count(count, limits.max_segments, "MP4 fragment samples")
    pos = 8
    data_offset: int | None = None
    if flags & _DATA_OFFSET:
        (data_offset,) = struct.unpack_from(">i", payload, pos)
        pos += 4
    tail_start = pos
    if flags & _FIRST_FLAGS:
        pos += 4
    per = [(bit, 4) for bit in (_S_DURATION, _S_SIZE, _S_FLAGS, _S_CTO) if flags & bit]
    stride = sum(w for _, w in per)
    if pos + stride * count > len(payload):
        raise Rejected("MP4 trun claims more samples than it holds")
    if flags & _S_SIZE:
        size_at = pos + sum(w for bit, w in per if bit < _S_SIZE)
        total = sum(
            struct.unpack_from(">I", payload, size_at + i * stride)[0] for i in range(count)
        )
    else:
        total = default_size * count
    header = struct.pack(">II", vf | _DATA_OFFSET, count)
    return data_offset, total, header, payload[tail_start:]


def rebuild_fragments(
    buf: bytes,
    top: list[Box],
    *,
    keep_ids: set[int],
    trex_sizes: dict[int, int],
    limits: Limits,
    remove: Callable[[str, str], None],
    place: str,
) -> bytes:
    """The new moof/mdat pairs for the kept track ids, in file order."""
    mdats = sorted((b.payload, b.end) for b in top if b.type == b"mdat")
    starts = [m[0] for m in mdats]
    out: list[bytes] = []
    for moof in (b for b in top if b.type == b"moof"):
        mfhd: bytes | None = None
        trafs: list[_Traf] = []
        previous_end = moof.start  # base for a traf without base offset/flag
        index = 0
        for child in children(buf, moof.payload, moof.end):
            if child.type == b"mfhd":
                mfhd = buf[child.start : child.end]
                continue
            if child.type != b"traf":
                remove(f"{place}:moof", name(child.type))
                continue
            parts = children(buf, child.payload, child.end)
            tfhd_box = next((p for p in parts if p.type == b"tfhd"), None)
            if tfhd_box is None:
                raise Rejected("MP4 traf without tfhd")
            flags, track_id, base, default_size, new_tfhd = _tfhd(
                buf[tfhd_box.payload : tfhd_box.end]
            )
            if base is None:
                # ISO 14496-12 8.8.7.1: the moof for the first traf (or with
                # default-base-is-moof), else where the previous traf's data ended.
                base = moof.start if flags & _BASE_IS_MOOF or index == 0 else previous_end
            index += 1
            size_default = default_size if default_size is not None else trex_sizes.get(track_id, 0)
            runs: list[_Run] = []
            others: list[bytes] = []
            cursor = base
            for p in parts:
                if p.type == b"trun":
                    data_offset, total, header, tail = _trun(
                        buf[p.payload : p.end], size_default, limits
                    )
                    start = base + data_offset if data_offset is not None else cursor
                    runs.append(_Run(header, tail, start, total))
                    cursor = start + total
                elif p.type in _TRAF_KEEP and p.type != b"tfhd":
                    others.append(buf[p.start : p.end])
                elif p.type != b"tfhd":
                    remove(f"{place}:traf", name(p.type))
            previous_end = cursor
            if track_id in keep_ids:
                trafs.append(_Traf(new_tfhd, others, runs))
        if mfhd is None or not trafs:
            continue
        out.append(_fragment(buf, mfhd, trafs, mdats, starts))
    return b"".join(out)


def _fragment(
    buf: bytes,
    mfhd: bytes,
    trafs: list[_Traf],
    mdats: list[tuple[int, int]],
    starts: list[int],
) -> bytes:
    # Order the runs' data as in the original file (interleaving kept).
    runs = sorted((r.offset, id(r), r) for t in trafs for r in t.runs)
    pieces: list[bytes] = []
    positions: dict[int, int] = {}
    pos = 0
    prev_end = -1
    for offset, key, run in runs:
        if run.size:
            i = bisect.bisect_right(starts, offset) - 1
            if i < 0 or offset + run.size > mdats[i][1]:
                raise Rejected("MP4 fragment data lies outside the media data")
            if offset < prev_end:
                raise Rejected("MP4 fragment runs overlap")
            prev_end = offset + run.size
        positions[key] = pos
        pieces.append(buf[offset : offset + run.size])
        pos += run.size

    def moof_bytes(base: int) -> bytes:
        body = [mfhd]
        for t in trafs:
            inner = [make_box(b"tfhd", t.tfhd)]
            inner += t.others
            for r in t.runs:
                offset = base + positions[id(r)]
                if offset > 0x7FFFFFFF:
                    raise Rejected("MP4 fragment too large for 32-bit data offsets")
                inner.append(make_box(b"trun", r.header + struct.pack(">i", offset) + r.tail))
            body.append(make_box(b"traf", b"".join(inner)))
        return make_box(b"moof", b"".join(body))

    data = b"".join(pieces)
    mdat_header = 16 if len(data) + 8 > 0xFFFFFFFF else 8
    # Offsets are relative to the moof's first byte: moof size + mdat header.
    size = len(moof_bytes(0))
    moof = moof_bytes(size + mdat_header)
    if len(moof) != size:
        raise Rejected("MP4 fragment header changed size while being written")
    if mdat_header == 16:
        mdat = struct.pack(">I4sQ", 1, b"mdat", len(data) + 16) + data
    else:
        mdat = struct.pack(">I4s", len(data) + 8, b"mdat") + data
    return moof + mdat
