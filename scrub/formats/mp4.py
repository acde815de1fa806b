"""MP4 and QuickTime MOV: a box-level rebuild that keeps only audio and video.

Output layout: `ftyp` (copied), one `mdat` holding only the chunks of the
kept tracks, then a `moov` rebuilt from an allowlist of boxes:
- tracks whose handler is `vide` or `soun` are kept; every other track
  (GPS and other timed metadata such as Apple `mebx`, subtitles, chapters,
  timecode, hint/data tracks) is dropped *with its samples*: its chunks are
  not copied into the new mdat, so a location track cannot survive as
  unreferenced bytes;
- udta, meta (keys/ilst), XMP and vendor `uuid` boxes, cover art, `free`,
  `wide`, `pnot` previews, track references and edits outside the list are
  dropped, at every level;
- creation and modification times in mvhd, tkhd and mdhd are zeroed;
- data references are rewritten as self-contained (an `alis`/`url ` entry
  can hold a path naming the user's machine).
Sample bytes are copied unchanged (frames are bit-exact) and every chunk
offset (stco/co64) is recomputed for the new layout. Fragmented files
(moof/mdat pairs) are rebuilt fragment by fragment (`_mp4_fragments`).

Must never: copy a byte of mdat that no kept track references, follow a
box size past its parent, allocate in proportion to a claimed size before
checking it against the real data, or keep an external data reference.
"""

from __future__ import annotations

import bisect
import struct
from array import array
from dataclasses import dataclass, field

from scrub.base import Profile, Rejected, Report, ScrubError
from scrub.formats._boxes import Box as _Box
from scrub.formats._boxes import children as _children
from scrub.formats._boxes import make_box as _box
from scrub.formats._boxes import name as _name
from scrub.formats._boxes import top_level
from scrub.formats._mp4_fragments import rebuild_fragments
from scrub.limits import check_count

_KEEP_HANDLERS = frozenset({b"vide", b"soun"})
_MOOV_KEEP = frozenset({b"mvhd", b"trak", b"mvex"})
_TRAK_KEEP = frozenset({b"tkhd", b"edts", b"mdia", b"tapt"})
_MDIA_KEEP = frozenset({b"mdhd", b"hdlr", b"minf"})
_MINF_KEEP = frozenset({b"vmhd", b"smhd", b"dinf", b"stbl", b"hdlr"})
_STBL_KEEP = frozenset(
    {
        b"stsd",
        b"stts",
        b"ctts",
        b"cslg",
        b"stss",
        b"stps",
        b"sdtp",
        b"sgpd",
        b"sbgp",
        b"stsc",
        b"stsz",
    }
)
_TIMED_HEADERS = frozenset({b"mvhd", b"tkhd", b"mdhd"})


def _u32_table(buf: bytes, offset: int, count: int, end: int, width: int = 4) -> list[int]:
    if offset + count * width > end:
        raise Rejected("MP4 sample table claims more entries than it holds")
    table = array("I" if width == 4 else "Q")
    if table.itemsize != width:
        raise ScrubError("platform array size unsupported")
    table.frombytes(buf[offset : offset + count * width])
    table.byteswap()  # tables are big-endian; array is native (little-endian hosts)
    return table.tolist()


@dataclass
class _Track:
    trak: _Box
    handler: bytes
    chunk_offsets: list[int] = field(default_factory=list)
    chunk_sizes: list[int] = field(default_factory=list)
    new_offsets: list[int] = field(default_factory=list)


class _Rebuild:
    def __init__(self, buf: bytes, profile: Profile, report: Report) -> None:
        self.buf = buf
        self.report = report
        self.limits = profile.limits
        self.place = "MOV" if report.detected_type == "mov" else "MP4"

    def child(self, parent: _Box, box_type: bytes) -> _Box | None:
        for b in _children(self.buf, parent.payload, parent.end):
            if b.type == box_type:
                return b
        return None

    def path(self, parent: _Box, *types: bytes) -> _Box:
        box: _Box | None = parent
        for t in types:
            box = self.child(box, t) if box is not None else None
        if box is None:
            raise ScrubError(f"MP4 track is missing {'/'.join(_name(t) for t in types)}")
        return box

    def handler(self, trak: _Box) -> bytes:
        hdlr = self.path(trak, b"mdia", b"hdlr")
        if hdlr.end - hdlr.payload < 12:
            raise Rejected("MP4 handler box too small")
        return self.buf[hdlr.payload + 8 : hdlr.payload + 12]

    def chunks(self, track: _Track) -> None:
        stbl = self.path(track.trak, b"mdia", b"minf", b"stbl")
        buf = self.buf
        stco = self.child(stbl, b"stco")
        co64 = self.child(stbl, b"co64")
        if (stco is None) == (co64 is None):
            raise ScrubError("MP4 track has no single chunk offset table")
        table = stco if stco is not None else co64
        if table is None:
            raise ScrubError("MP4 track has no chunk offset table")
        (count,) = struct.unpack_from(">I", buf, table.payload + 4)
        check_count(count, self.limits.max_segments, "MP4 chunks")
        offsets = _u32_table(buf, table.payload + 8, count, table.end, 4 if stco else 8)
        stsc = self.path(stbl, b"stsc")
        (n_stsc,) = struct.unpack_from(">I", buf, stsc.payload + 4)
        check_count(n_stsc, self.limits.max_segments, "MP4 sample-to-chunk entries")
        stsc_t = _u32_table(buf, stsc.payload + 8, 3 * n_stsc, stsc.end)
        stsz = self.child(stbl, b"stsz")
        if stsz is None:
            raise ScrubError("MP4 track uses compact sample sizes (stz2), not supported")
        uniform, n_samples = struct.unpack_from(">II", buf, stsz.payload + 4)
        check_count(n_samples, self.limits.max_segments, "MP4 samples")
        sizes = (
            [uniform] * n_samples
            if uniform
            else _u32_table(buf, stsz.payload + 12, n_samples, stsz.end)
        )
        chunk_sizes: list[int] = []
        sample = 0
        for j in range(n_stsc):
            first, per_chunk = stsc_t[3 * j], stsc_t[3 * j + 1]
            last = stsc_t[3 * (j + 1)] - 1 if j + 1 < n_stsc else count
            if first < 1 or last > count or (j + 1 < n_stsc and last < first):
                raise Rejected("MP4 sample-to-chunk table is inconsistent")
            for _ in range(first, last + 1):
                if sample + per_chunk > n_samples:
                    raise Rejected("MP4 chunks claim more samples than the track has")
                chunk_sizes.append(sum(sizes[sample : sample + per_chunk]))
                sample += per_chunk
        if len(chunk_sizes) != count:
            raise Rejected("MP4 sample-to-chunk table does not cover every chunk")
        track.chunk_offsets = offsets
        track.chunk_sizes = chunk_sizes

    # --- rebuilding boxes -------------------------------------------------

    def rebuild(self, box: _Box, keep: frozenset[bytes], where: str) -> bytes:
        parts: list[bytes] = []
        for child in _children(self.buf, box.payload, box.end):
            if child.type in keep:
                parts.append(self.copy(child, where))
            else:
                self.report_dropped(child, where)
        return _box(box.type, b"".join(parts))

    def report_dropped(self, box: _Box, where: str) -> None:
        self.report.remove(f"{self.place}:{where}", _name(box.type))
        if box.type in (b"udta", b"meta"):
            start = box.payload
            # ISO `meta` is a full box (version/flags first); QuickTime's is not.
            if box.type == b"meta" and self.buf[box.payload + 4 : box.payload + 8] != b"hdlr":
                start += 4
            try:
                inner = _children(self.buf, start, box.end)
            except Rejected:
                return
            for child in inner:
                self.report.remove(f"{self.place}:{where}/{_name(box.type)}", _name(child.type))

    def copy(self, box: _Box, where: str) -> bytes:
        t = box.type
        here = f"{where}/{_name(t)}"
        if t in _TIMED_HEADERS:
            return self.zero_times(box, here)
        if t == b"edts":
            return self.rebuild(box, frozenset({b"elst"}), here)
        if t == b"mvex":
            return self.rebuild_mvex(box, here)
        if t == b"mdia":
            return self.rebuild(box, _MDIA_KEEP, here)
        if t == b"minf":
            return self.rebuild(box, _MINF_KEEP, here)
        if t == b"dinf":
            return self.self_contained_dinf(box)
        if t == b"stbl":
            return self.rebuild_stbl(box, here)
        return self.buf[box.start : box.end]

    def zero_times(self, box: _Box, where: str) -> bytes:
        payload = bytearray(self.buf[box.payload : box.end])
        width = 8 if payload[:1] == b"\x01" else 4
        if len(payload) < 4 + 2 * width:
            raise Rejected("MP4 header box too small")
        for n, name in enumerate(("creation_time", "modification_time")):
            at = 4 + n * width
            if any(payload[at : at + width]):
                self.report.remove(f"{self.place}:{where}", name)
            payload[at : at + width] = bytes(width)
        return _box(box.type, bytes(payload))

    def self_contained_dinf(self, box: _Box) -> bytes:
        dref = self.child(box, b"dref")
        if dref is None:
            raise ScrubError("MP4 track has no data reference")
        (count,) = struct.unpack_from(">I", self.buf, dref.payload + 4)
        entries = _children(self.buf, dref.payload + 8, dref.end)
        if count != len(entries) or count == 0 or count > 64:
            raise Rejected("MP4 data reference table is inconsistent")
        for e in entries:
            flags = self.buf[e.payload + 1 : e.payload + 4]
            if e.end - e.payload < 4 or not flags[-1] & 1:
                raise ScrubError("the video refers to media in other files; not supported")
            if e.end - e.payload > 4:
                self.report.remove(f"{self.place}:dref", _name(e.type))
        # Same number of entries (sample descriptions index them), each an
        # empty self-contained `url `.
        url = _box(b"url ", b"\x00\x00\x00\x01")
        new_dref = _box(b"dref", b"\x00\x00\x00\x00" + struct.pack(">I", count) + url * count)
        return _box(b"dinf", new_dref)

    def rebuild_stbl(self, box: _Box, where: str) -> bytes:
        track = self.current
        parts: list[bytes] = []
        for child in _children(self.buf, box.payload, box.end):
            if child.type in _STBL_KEEP:
                parts.append(self.buf[child.start : child.end])
            elif child.type in (b"stco", b"co64"):
                continue
            else:
                self.report_dropped(child, where)
        offsets = track.new_offsets
        if offsets and max(offsets) > 0xFFFFFFFF:
            table = array("Q", offsets)
            kind = b"co64"
        else:
            table = array("I", offsets)
            kind = b"stco"
        table.byteswap()
        parts.append(
            _box(kind, b"\x00\x00\x00\x00" + struct.pack(">I", len(offsets)) + table.tobytes())
        )
        return _box(b"stbl", b"".join(parts))

    current: _Track
    keep_ids: set[int]

    def track_id(self, trak: _Box) -> int:
        tkhd = self.path(trak, b"tkhd")
        width = 8 if self.buf[tkhd.payload : tkhd.payload + 1] == b"\x01" else 4
        at = tkhd.payload + 4 + 2 * width
        if at + 4 > tkhd.end:
            raise Rejected("MP4 track header too small")
        (track_id,) = struct.unpack_from(">I", self.buf, at)
        return int(track_id)

    def trex_sizes(self, moov: _Box) -> dict[int, int]:
        sizes: dict[int, int] = {}
        mvex = self.child(moov, b"mvex")
        if mvex is None:
            return sizes
        for trex in _children(self.buf, mvex.payload, mvex.end):
            if trex.type == b"trex" and trex.end - trex.payload >= 24:
                track_id, _, _, size = struct.unpack_from(">IIII", self.buf, trex.payload + 4)
                sizes[int(track_id)] = int(size)
        return sizes

    def rebuild_mvex(self, box: _Box, where: str) -> bytes:
        parts: list[bytes] = []
        for child in _children(self.buf, box.payload, box.end):
            if child.type == b"mehd":
                parts.append(self.buf[child.start : child.end])
            elif child.type == b"trex" and child.end - child.payload >= 8:
                (track_id,) = struct.unpack_from(">I", self.buf, child.payload + 4)
                if track_id in self.keep_ids:
                    parts.append(self.buf[child.start : child.end])
            else:
                self.report_dropped(child, where)
        return _box(b"mvex", b"".join(parts))

    def run(self) -> bytes:
        buf = self.buf
        top, trailing = top_level(buf)
        check_count(len(top), self.limits.max_segments, "MP4 boxes")
        if trailing:
            self.report.remove(f"{self.place}:file", "trailing data after the last box")
        moovs = [b for b in top if b.type == b"moov"]
        if len(moovs) != 1:
            raise Rejected("MP4 must have exactly one moov box")
        moov = moovs[0]
        if any(b.type == b"cmov" for b in _children(buf, moov.payload, moov.end)):
            raise ScrubError("compressed QuickTime movie headers are not supported")
        mdats = sorted((b.payload, b.end) for b in top if b.type == b"mdat")
        ftyp = next((b for b in top if b.type == b"ftyp"), None)
        for b in top:
            if b.type not in (b"ftyp", b"moov", b"mdat", b"moof"):
                self.report_dropped(b, "file")

        tracks: list[_Track] = []
        for trak in _children(buf, moov.payload, moov.end):
            if trak.type != b"trak":
                continue
            handler = self.handler(trak)
            if handler in _KEEP_HANDLERS:
                track = _Track(trak, handler)
                self.chunks(track)
                tracks.append(track)
            else:
                self.report.remove(f"{self.place}:tracks", f"{_name(handler)} track")
        if not tracks:
            raise ScrubError("the file has no audio or video track")
        self.keep_ids = {self.track_id(t.trak) for t in tracks}

        # New mdat: the kept chunks in their original order (interleaving
        # preserved), nothing else.
        head = buf[ftyp.start : ftyp.end] if ftyp is not None else b""
        chunks = sorted(
            (off, size, ti, ci)
            for ti, t in enumerate(tracks)
            for ci, (off, size) in enumerate(zip(t.chunk_offsets, t.chunk_sizes, strict=True))
        )
        total = sum(c[1] for c in chunks)
        header = 16 if total + 8 > 0xFFFFFFFF else 8
        base = len(head) + header
        for t in tracks:
            t.new_offsets = [0] * len(t.chunk_offsets)
        starts = [m[0] for m in mdats]
        pieces: list[bytes] = []
        pos = base
        prev_end = -1
        for off, size, ti, ci in chunks:
            if size == 0:
                tracks[ti].new_offsets[ci] = pos
                continue
            i = bisect.bisect_right(starts, off) - 1
            if i < 0 or off + size > mdats[i][1]:
                raise Rejected("MP4 chunk lies outside the media data")
            if off < prev_end:
                raise Rejected("MP4 chunks overlap")
            prev_end = off + size
            tracks[ti].new_offsets[ci] = pos
            pieces.append(buf[off : off + size])
            pos += size
        mdat_payload = b"".join(pieces)
        mdat = (
            struct.pack(">I4sQ", 1, b"mdat", len(mdat_payload) + 16)
            if header == 16
            else struct.pack(">I4s", len(mdat_payload) + 8, b"mdat")
        ) + mdat_payload

        kept_traks = {t.trak.start: t for t in tracks}
        parts: list[bytes] = []
        for child in _children(buf, moov.payload, moov.end):
            if child.type == b"trak":
                if child.start in kept_traks:
                    self.current = kept_traks[child.start]
                    parts.append(self.rebuild(child, _TRAK_KEEP, "moov/trak"))
            elif child.type in _MOOV_KEEP:
                parts.append(self.copy(child, "moov"))
            else:
                self.report_dropped(child, "moov")
        fragments = b""
        if any(b.type == b"moof" for b in top):
            fragments = rebuild_fragments(
                buf,
                top,
                keep_ids=self.keep_ids,
                trex_sizes=self.trex_sizes(moov),
                limits=self.limits,
                remove=self.report.remove,
                place=self.place,
            )
        return head + mdat + _box(b"moov", b"".join(parts)) + fragments


class Mp4Scrubber:
    """One scrubber for MP4 and MOV (the registry maps both to SCRUBBER)."""

    type_name = "mp4"

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        try:
            out = _Rebuild(untrusted_data, profile, report).run()
        except struct.error as exc:
            raise Rejected("MP4 box is truncated") from exc
        report.residual_risks.append(
            "what the video and audio show and say; encoder settings written inside the "
            "video stream itself (e.g. H.264 SEI) cannot be removed without re-encoding"
        )
        return out


SCRUBBER = Mp4Scrubber()
