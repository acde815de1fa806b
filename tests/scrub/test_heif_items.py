"""HEIF item handling beyond what pillow-heif writes: a thumbnail item and item
names are added by hand (pillow-heif cannot write them), then must be gone."""

from __future__ import annotations

import io
import struct

import pillow_heif
from PIL import Image

from scrub.api import scrub_bytes
from scrub.base import Outcome
from tests.scrub.corpus import marker

pillow_heif.register_heif_opener()


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, bytes]]:
    out, pos = [], start
    while pos < end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        out.append((kind, data[pos + 8 : pos + size]))
        pos += size
    return out


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _with_thumbnail_and_names(heif: bytes) -> bytes:
    """Add item 9 (an hvc1 'thumbnail' sharing the primary's bytes, `thmb` -> 1)
    and give both items names holding markers."""
    top = _boxes(heif, 0, len(heif))
    assert [k for k, _ in top] == [b"ftyp", b"meta", b"mdat"]
    ftyp, meta, mdat = (p for _, p in top)
    parts = dict(_boxes(meta, 4, len(meta)))
    order = [k for k, _ in _boxes(meta, 4, len(meta))]
    # iinf v0: count + infe v2 entries. Rename item 1, add item 9.
    iinf = parts[b"iinf"]
    entries = []
    for kind, payload in _boxes(iinf, 6, len(iinf)):
        item_id = struct.unpack_from(">H", payload, 4)[0]
        named = payload[:12] + marker("HeifName").encode() + b"\0" if item_id == 1 else payload
        entries.append(_box(kind, named))
    thumb = b"\x02\0\0\0" + struct.pack(">HH4s", 9, 0, b"hvc1") + marker("HeifThumbName").encode()
    entries.append(_box(b"infe", thumb + b"\0"))
    parts[b"iinf"] = iinf[:4] + struct.pack(">H", len(entries)) + b"".join(entries)
    # ipma: item 9 gets item 1's associations.
    ipma_box = dict(_boxes(parts[b"iprp"], 0, len(parts[b"iprp"])))
    ipma = ipma_box[b"ipma"]
    count = struct.unpack_from(">I", ipma, 4)[0]
    assert ipma[:4] == b"\0\0\0\0"
    pos, item1 = 8, b""
    for _ in range(count):
        n = ipma[pos + 2]
        if struct.unpack_from(">H", ipma, pos)[0] == 1:
            item1 = ipma[pos + 3 : pos + 3 + n]
        pos += 3 + n
    ipma = (
        ipma[:4]
        + struct.pack(">I", count + 1)
        + ipma[8:]
        + struct.pack(">HB", 9, len(item1))
        + item1
    )
    parts[b"iprp"] = _box(b"ipco", ipma_box[b"ipco"]) + _box(b"ipma", ipma)
    if b"iref" not in parts:
        parts[b"iref"] = b"\0\0\0\0"
        order.append(b"iref")
    parts[b"iref"] = parts[b"iref"] + _box(b"thmb", struct.pack(">HHH", 9, 1, 1))
    # iloc v0 (4-byte offset/length/base): item 9 shares item 1's extent; every
    # absolute offset moves by however much the meta box grew.
    iloc = parts[b"iloc"]
    assert iloc[0] == 0 and iloc[4:6] == b"\x44\x40"
    n_items = struct.unpack_from(">H", iloc, 6)[0]
    pos, records = 8, []
    for _ in range(n_items):
        item_id, _ref, base, n_ext = struct.unpack_from(">HHIH", iloc, pos)
        ext = [struct.unpack_from(">II", iloc, pos + 10 + 8 * i) for i in range(n_ext)]
        records.append((item_id, base, ext))
        pos += 10 + 8 * n_ext
    records.append((9, *next((b, e) for i, b, e in records if i == 1)))

    def build(delta: int) -> bytes:
        out = b""
        for item_id, base, ext in records:
            out += struct.pack(">HHIH", item_id, 0, base + delta, len(ext))
            out += b"".join(struct.pack(">II", o, n) for o, n in ext)
        return iloc[:6] + struct.pack(">H", len(records)) + out

    def assemble(delta: int) -> bytes:
        parts[b"iloc"] = build(delta)
        return _box(b"meta", meta[:4] + b"".join(_box(k, parts[k]) for k in order))

    delta = len(assemble(0)) - (len(meta) + 8)
    return _box(b"ftyp", ftyp) + assemble(delta) + _box(b"mdat", mdat)


def test_heif_thumbnail_item_and_item_names_are_dropped() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 90)).save(buf, "HEIF", quality=90)
    crafted = _with_thumbnail_and_names(buf.getvalue())
    with Image.open(io.BytesIO(crafted)) as img:
        before = img.tobytes()
        assert pillow_heif.open_heif(io.BytesIO(crafted))[0].info["thumbnails"], (
            "thumbnail not planted"
        )
    result = scrub_bytes(crafted)
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    assert b"SMZ" not in result.data
    assert "Thumbnail" in result.report.removed["HEIF"]
    assert "ItemName" in result.report.removed["HEIF"]
    heif = pillow_heif.open_heif(io.BytesIO(result.data))
    assert len(heif) == 1 and not heif[0].info["thumbnails"]
    with Image.open(io.BytesIO(result.data)) as img:
        assert img.tobytes() == before
