"""HEIF/HEIC/AVIF stills: lossless rewrite of the `meta` box; coded image bytes copied unchanged.

Kept: `ftyp`; the primary item, the tiles it is derived from (`dimg`, for
iPhone grid images) and its alpha plane (`auxl` with an alpha `auxC`); their
item info (with empty names), references, properties and locations; `irot`/
`imir`/`clap` (they decide how the image displays: HEIF orientation lives
there, not in EXIF); `colr` (nclx kept as is, an ICC profile neutralised by
scrub.icc, since colour appearance is part of the evidence); a rebuilt `hdlr`
(empty name), `dinf`, `pitm`, `idat` and one `mdat` with only the kept bytes.
Dropped (named in the report): Exif and XMP items, thumbnails, depth maps,
gain maps and other auxiliary images, item names, groups, `uuid`/`free`
boxes, every other top-level box and trailing bytes. Properties used only by
dropped items become empty `free` boxes so property indices stay valid.
Not cleaned (said so): image sequences (`moov`), protected items, JPEG-coded
items, and anything else this rewrite does not understand. Re-encoding is
never an option: it would change the pixels.

Must never: follow a box size or extent outside the file, keep bytes of a
dropped item, or return output when unsure (NOT_CLEANED instead).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from scrub.base import Outcome, Profile, Rejected, Report, ScrubError
from scrub.formats import _exif, _xmp
from scrub.icc import IccError, neutralise
from scrub.limits import Limits, check_count

_IMAGE_TYPES = frozenset({b"hvc1", b"av01", b"grid", b"iden", b"iovl", b"unci"})
_ALPHA_URNS = (b"urn:mpeg:hevc:2015:auxid:1", b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha")
_KEEP_PROPS = frozenset(
    {
        b"hvcC",
        b"av1C",
        b"ispe",
        b"colr",
        b"pixi",
        b"rloc",
        b"irot",
        b"imir",
        b"clap",
        b"auxC",
        b"lsel",
        b"a1op",
        b"a1lx",
        b"clli",
        b"mdcv",
        b"cclv",
        b"amve",
        b"pasp",
        b"uncC",
        b"cmpd",
    }
)
_KEEP_REFS = frozenset({b"dimg", b"auxl", b"prem"})
_FREE = struct.pack(">I4s", 8, b"free")


def _not_cleaned(why: str) -> ScrubError:
    return ScrubError(
        f"HEIF not cleaned: {why}; the file is kept exactly as sent (re-encoding would "
        "change the pixels)",
        outcome=Outcome.NOT_CLEANED,
    )


def _boxes(data: bytes, start: int, end: int, limits: Limits) -> list[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) for each box in data[start:end]."""
    out: list[tuple[bytes, int, int, int]] = []
    pos = start
    while pos < end:
        check_count(len(out), limits.max_segments, "HEIF boxes")
        if pos + 8 > end:
            raise Rejected("HEIF box header runs past the end")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise Rejected("HEIF box header runs past the end")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise Rejected("HEIF box size is impossible")
        out.append((kind, pos, pos + header, pos + size))
        pos += size
    return out


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags) + payload)


def _uint(data: bytes, pos: int, size: int) -> int:
    if size == 0:
        return 0
    if pos + size > len(data):
        raise Rejected("HEIF field runs past the end")
    return int.from_bytes(data[pos : pos + size], "big")


@dataclass
class _Item:
    item_id: int
    item_type: bytes = b""
    flags: int = 0
    named: bool = False
    method: int = 0
    extents: list[tuple[int, int]] = field(default_factory=list)
    # Raw ipma association values (essential bit included) and their indices.
    assoc: list[int] = field(default_factory=list)
    props: list[int] = field(default_factory=list)


@dataclass
class _Meta:
    items: dict[int, _Item]
    refs: list[tuple[bytes, int, list[int]]]
    ipco: list[tuple[bytes, int, int, int]]
    ipma_version: int
    ipma_flags: int
    idat: tuple[int, int, int] | None


class HeifScrubber:
    type_name = "heif"

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        data = untrusted_data
        limits = profile.limits
        top = _boxes(data, 0, len(data), limits)
        kinds = [k for k, *_ in top]
        if kinds[:1] != [b"ftyp"] or kinds.count(b"meta") != 1:
            raise Rejected("HEIF file lacks ftyp or has no single meta box")
        if b"moov" in kinds:
            raise _not_cleaned("image sequences are not supported")
        for kind in kinds:
            if kind not in (b"ftyp", b"meta", b"mdat"):
                report.remove("HEIF", _name(kind))
        if top[-1][3] < len(data):
            report.remove("HEIF", "TrailingData")
        ftyp = data[top[0][1] : top[0][3]]
        _, _, payload, end = next(b for b in top if b[0] == b"meta")
        return ftyp + self._rebuild(
            data, payload + 4, end, ftyp_len=len(ftyp), limits=limits, report=report
        )

    # ----------------------------------------------------------- parsing

    def _parse(
        self, data: bytes, children: dict[bytes, tuple[int, int, int]], limits: Limits
    ) -> _Meta:
        items: dict[int, _Item] = {}
        _, p, e = children[b"iinf"]
        version = data[p]
        entries_at = p + 4 + (2 if version == 0 else 4)
        for kind, _s, ip, ie in _boxes(data, entries_at, e, limits):
            if kind != b"infe":
                continue
            iv = data[ip]
            if iv < 2:
                raise _not_cleaned("old item info entries are not supported")
            flags = _uint(data, ip + 1, 3)
            id_size = 2 if iv == 2 else 4
            item_id = _uint(data, ip + 4, id_size)
            protection = _uint(data, ip + 4 + id_size, 2)
            if protection:
                raise _not_cleaned("protected items are not supported")
            type_at = ip + 6 + id_size
            item_type = data[type_at : type_at + 4]
            named = type_at + 4 < ie and data[type_at + 4] != 0
            items[item_id] = _Item(item_id, item_type, flags, named)
            check_count(len(items), limits.max_segments, "HEIF items")
        # iloc: where each item's bytes are.
        _, p, e = children[b"iloc"]
        version = data[p]
        if version > 2:
            raise _not_cleaned("unknown item location version")
        sizes = data[p + 4], data[p + 5]
        offset_size, length_size = sizes[0] >> 4, sizes[0] & 15
        base_size = sizes[1] >> 4
        index_size = sizes[1] & 15 if version in (1, 2) else 0
        pos = p + 6
        count_size = 4 if version == 2 else 2
        count = _uint(data, pos, count_size)
        pos += count_size
        check_count(count, limits.max_segments, "HEIF item locations")
        for _ in range(count):
            item_id = _uint(data, pos, 4 if version == 2 else 2)
            pos += 4 if version == 2 else 2
            method = 0
            if version in (1, 2):
                method = _uint(data, pos, 2) & 15
                pos += 2
            if _uint(data, pos, 2) != 0:
                raise _not_cleaned("items stored in other files are not supported")
            pos += 2
            base = _uint(data, pos, base_size)
            pos += base_size
            n_extents = _uint(data, pos, 2)
            pos += 2
            check_count(n_extents, limits.max_segments, "HEIF extents")
            extents = []
            for _ in range(n_extents):
                pos += index_size
                off = base + _uint(data, pos, offset_size)
                pos += offset_size
                length = _uint(data, pos, length_size)
                pos += length_size
                extents.append((off, length))
            if pos > e:
                raise Rejected("HEIF item locations run past their box")
            item = items.get(item_id)
            if item is None:
                continue
            if method not in (0, 1):
                raise _not_cleaned("item construction method not supported")
            item.method = method
            item.extents = extents
        idat = children.get(b"idat")
        for item in items.values():
            for off, length in item.extents:
                if length == 0:
                    raise _not_cleaned("an item extends to the end of the file")
                if item.method == 0 and off + length > len(data):
                    raise Rejected("HEIF item data lies outside the file")
                if item.method == 1 and (idat is None or off + length > idat[2] - idat[1]):
                    raise Rejected("HEIF item data lies outside its idat box")
        # iref
        refs: list[tuple[bytes, int, list[int]]] = []
        if b"iref" in children:
            _, p, e = children[b"iref"]
            id_size = 2 if data[p] == 0 else 4
            for kind, _s, rp, re_ in _boxes(data, p + 4, e, limits):
                src = _uint(data, rp, id_size)
                n = _uint(data, rp + id_size, 2)
                if rp + id_size + 2 + n * id_size > re_:
                    raise Rejected("HEIF reference runs past its box")
                targets = [_uint(data, rp + id_size + 2 + i * id_size, id_size) for i in range(n)]
                refs.append((kind, src, targets))
        # iprp: ipco properties and ipma associations.
        _, p, e = children[b"iprp"]
        parts = {k: (s, pp, ee) for k, s, pp, ee in _boxes(data, p, e, limits)}
        if b"ipco" not in parts or b"ipma" not in parts:
            raise Rejected("HEIF lacks item properties")
        ipco = _boxes(data, parts[b"ipco"][1], parts[b"ipco"][2], limits)
        _, mp, me = parts[b"ipma"]
        ipma_version, ipma_flags = data[mp], _uint(data, mp + 1, 3)
        pos = mp + 4
        count = _uint(data, pos, 4)
        pos += 4
        check_count(count, limits.max_segments, "HEIF property associations")
        for _ in range(count):
            id_size = 2 if ipma_version == 0 else 4
            item_id = _uint(data, pos, id_size)
            pos += id_size
            n = _uint(data, pos, 1)
            pos += 1
            width = 2 if ipma_flags & 1 else 1
            mask = 0x7FFF if width == 2 else 0x7F
            raw = [_uint(data, pos + i * width, width) for i in range(n)]
            pos += n * width
            if pos > me:
                raise Rejected("HEIF property associations run past their box")
            if item_id in items:
                items[item_id].assoc = raw
                items[item_id].props = [v & mask for v in raw]
        for item in items.values():
            if any(i == 0 or i > len(ipco) for i in item.props):
                raise Rejected("HEIF item refers to a property that does not exist")
        return _Meta(items, refs, ipco, ipma_version, ipma_flags, idat)

    def _kept(self, primary: int, meta: _Meta, data: bytes) -> set[int]:
        """The primary image, what it is derived from, and its alpha plane."""
        kept = {primary}
        changed = True
        while changed:
            changed = False
            for kind, src, targets in meta.refs:
                if kind == b"dimg" and src in kept:
                    new = set(targets) - kept
                elif kind == b"auxl" and src not in kept and set(targets) & kept:
                    new = {src} if self._is_alpha(meta, src, data) else set()
                else:
                    continue
                new &= meta.items.keys()
                if new:
                    kept |= new
                    changed = True
        return kept

    @staticmethod
    def _is_alpha(meta: _Meta, item_id: int, data: bytes) -> bool:
        item = meta.items.get(item_id)
        if item is None:
            return False
        for index in item.props:
            kind, _s, p, e = meta.ipco[index - 1]
            if kind == b"auxC" and data[p + 4 : e].split(b"\x00", 1)[0] in _ALPHA_URNS:
                return True
        return False

    # ----------------------------------------------------------- reporting

    @staticmethod
    def _report_dropped(data: bytes, meta: _Meta, item: _Item, report: Report) -> None:
        roles = {kind for kind, src, _t in meta.refs if src == item.item_id}
        if item.item_type == b"Exif":
            blob = b"".join(data[o : o + n] for o, n in item.extents) if item.method == 0 else b""
            if len(blob) >= 4:
                skip = 4 + int.from_bytes(blob[:4], "big")
                _exif.record_exif(blob[skip:], report.remove)
            else:
                report.remove("EXIF", "(Exif item)")
        elif item.item_type == b"mime":
            blob = b"".join(data[o : o + n] for o, n in item.extents) if item.method == 0 else b""
            _xmp.record_xmp(blob, report.remove)
        elif b"thmb" in roles:
            report.remove("HEIF", "Thumbnail")
        elif b"auxl" in roles:
            report.remove("HEIF", "AuxiliaryImage")
        else:
            report.remove("HEIF", f"Item:{_name(item.item_type)}")

    # ----------------------------------------------------------- writing

    @staticmethod
    def _colr(data: bytes, s: int, p: int, e: int, report: Report) -> bytes:
        colour_type = data[p : p + 4]
        if colour_type not in (b"prof", b"rICC"):
            return data[s:e]
        try:
            cleaned = neutralise(data[p + 4 : e], report.remove)
        except (IccError, struct.error):
            raise _not_cleaned("its ICC colour profile is malformed") from None
        note = "ICC:colour data (description and device fields neutralised)"
        if note not in report.kept:
            report.kept.append(note)
        return _box(b"colr", colour_type + cleaned)

    def _rebuild(
        self, data: bytes, start: int, end: int, *, ftyp_len: int, limits: Limits, report: Report
    ) -> bytes:
        children: dict[bytes, tuple[int, int, int]] = {}
        for kind, s, p, e in _boxes(data, start, end, limits):
            if kind in (b"hdlr", b"dinf", b"pitm", b"iinf", b"iref", b"iprp", b"iloc", b"idat"):
                children[kind] = (s, p, e)
            else:
                report.remove("HEIF:meta", _name(kind))
        for need in (b"hdlr", b"pitm", b"iinf", b"iprp", b"iloc"):
            if need not in children:
                raise Rejected("HEIF meta box lacks a required part")
        hp = children[b"hdlr"][1]
        if data[hp + 8 : hp + 12] != b"pict":
            raise _not_cleaned("the meta box is not a picture handler")
        pp = children[b"pitm"][1]
        primary = _uint(data, pp + 4, 2 if data[pp] == 0 else 4)
        meta = self._parse(data, children, limits)
        if primary not in meta.items:
            raise Rejected("HEIF primary item is missing")
        kept = self._kept(primary, meta, data)
        for item in meta.items.values():
            if item.item_id in kept:
                if item.item_type not in _IMAGE_TYPES:
                    raise _not_cleaned("an image item uses a coding this rewrite does not carry")
            else:
                self._report_dropped(data, meta, item, report)
        if any(item.named for item in meta.items.values()):
            report.remove("HEIF", "ItemName")
        kept_items = [meta.items[i] for i in sorted(kept)]
        for item in kept_items:
            for index in item.props:
                if meta.ipco[index - 1][0] in (b"irot", b"imir"):
                    label = "HEIF:" + meta.ipco[index - 1][0].decode()
                    if label not in report.kept:
                        report.kept.append(label)
        big = any(i > 0xFFFF for i in kept)
        iprp = self._iprp_out(data, meta, kept_items, report)
        iinf = self._iinf_out(kept_items, big)
        iref = self._iref_out(meta, kept, big)
        hdlr = _full(b"hdlr", 0, 0, b"\x00" * 4 + b"pict" + b"\x00" * 13)
        dinf = _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1) + _full(b"url ", 0, 1, b"")))
        pitm = (
            _full(b"pitm", 1, 0, struct.pack(">I", primary))
            if big
            else _full(b"pitm", 0, 0, struct.pack(">H", primary))
        )
        # Only kept bytes go into the new idat (method 1) and mdat (method 0).
        idat_data = bytearray()
        mdat_parts: list[bytes] = []
        mdat_len = 0
        placed: list[tuple[_Item, list[tuple[int, int]]]] = []
        idat_start = meta.idat[1] if meta.idat else 0
        for item in kept_items:
            extents = []
            for off, length in item.extents:
                if item.method == 1:
                    extents.append((len(idat_data), length))
                    idat_data += data[idat_start + off : idat_start + off + length]
                else:
                    extents.append((mdat_len, length))
                    mdat_parts.append(data[off : off + length])
                    mdat_len += length
            placed.append((item, extents))
        idat = _box(b"idat", bytes(idat_data)) if idat_data else b""
        head = hdlr + dinf + pitm
        tail = iinf + iref + iprp + idat
        meta_len = 12 + len(head) + len(self._iloc_out(placed, 0, big)) + len(tail)
        mdat_start = ftyp_len + meta_len + 8
        iloc = self._iloc_out(placed, mdat_start, big)
        out_meta = _full(b"meta", 0, 0, head + iloc + tail)
        if len(out_meta) != meta_len:
            raise _not_cleaned("internal layout check failed")
        return out_meta + _box(b"mdat", b"".join(mdat_parts))

    @staticmethod
    def _iprp_out(data: bytes, meta: _Meta, kept_items: list[_Item], report: Report) -> bytes:
        used = {i for item in kept_items for i in item.props}
        props = []
        for index, (kind, s, p, e) in enumerate(meta.ipco, start=1):
            if index not in used:
                props.append(_FREE)  # keeps later property indices valid
            elif kind == b"colr":
                props.append(HeifScrubber._colr(data, s, p, e, report))
            elif kind in _KEEP_PROPS:
                props.append(data[s:e])
            else:
                raise _not_cleaned("an image uses an unknown property")
        id_fmt = ">H" if meta.ipma_version == 0 else ">I"
        val_fmt = ">H" if meta.ipma_flags & 1 else ">B"
        entries = b""
        for item in kept_items:
            entries += struct.pack(id_fmt, item.item_id) + struct.pack(">B", len(item.assoc))
            entries += b"".join(struct.pack(val_fmt, v) for v in item.assoc)
        ipma = _full(
            b"ipma",
            meta.ipma_version,
            meta.ipma_flags,
            struct.pack(">I", len(kept_items)) + entries,
        )
        return _box(b"iprp", _box(b"ipco", b"".join(props)) + ipma)

    @staticmethod
    def _iinf_out(kept_items: list[_Item], big: bool) -> bytes:
        infes = b""
        for item in kept_items:
            if big:
                body = struct.pack(">IH4s", item.item_id, 0, item.item_type) + b"\x00"
                infes += _full(b"infe", 3, item.flags, body)
            else:
                body = struct.pack(">HH4s", item.item_id, 0, item.item_type) + b"\x00"
                infes += _full(b"infe", 2, item.flags, body)
        if len(kept_items) > 0xFFFF:
            return _full(b"iinf", 1, 0, struct.pack(">I", len(kept_items)) + infes)
        return _full(b"iinf", 0, 0, struct.pack(">H", len(kept_items)) + infes)

    @staticmethod
    def _iref_out(meta: _Meta, kept: set[int], big: bool) -> bytes:
        fmt = ">I" if big else ">H"
        body = b""
        for kind, src, targets in meta.refs:
            if kind not in _KEEP_REFS or src not in kept:
                continue
            to = [t for t in targets if t in kept]
            if to:
                refs = b"".join(struct.pack(fmt, t) for t in to)
                body += _box(kind, struct.pack(fmt, src) + struct.pack(">H", len(to)) + refs)
        return _full(b"iref", 1 if big else 0, 0, body) if body else b""

    @staticmethod
    def _iloc_out(
        placed: list[tuple[_Item, list[tuple[int, int]]]], mdat_start: int, big: bool
    ) -> bytes:
        version = 2 if big else 1
        body = bytes((0x44, 0x00))  # 4-byte offsets and lengths, no base offset, no index
        body += struct.pack(">I" if big else ">H", len(placed))
        for item, extents in placed:
            body += struct.pack(">I" if big else ">H", item.item_id)
            body += struct.pack(">HHH", item.method, 0, len(extents))
            for off, length in extents:
                absolute = off + (mdat_start if item.method == 0 else 0)
                if absolute > 0xFFFFFFFF or length > 0xFFFFFFFF:
                    raise _not_cleaned("the rebuilt file would exceed 4 GiB")
                body += struct.pack(">II", absolute, length)
        return _full(b"iloc", version, 0, body)


def _name(kind: bytes) -> str:
    text = kind.decode("latin-1").strip()
    return text if text.isascii() and text.isalnum() else "Box"


SCRUBBER = HeifScrubber()
