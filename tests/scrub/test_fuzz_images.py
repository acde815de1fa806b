"""Short, fixed-seed fuzz of every image parser (Hypothesis; atheris is not in the
locked toolchain). Mutations of valid files must never raise out of
scrub_bytes, never leave output on failure, and a cleaned output must be a
valid file of the same type that cleans to itself."""

from __future__ import annotations

import io
import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from scrub.api import scrub_bytes
from scrub.base import Outcome
from scrub.sniff import sniff_bytes


def _seed_files() -> dict[str, bytes]:
    rng = random.Random(7)
    img = Image.frombytes("RGB", (24, 16), bytes(rng.getrandbits(8) for _ in range(24 * 16 * 3)))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "fuzzmake"
    out = {}
    for fmt, kwargs in (
        ("JPEG", {"exif": exif, "comment": b"c"}),
        ("PNG", {"exif": exif}),
        ("GIF", {"comment": b"c"}),
        ("WEBP", {"exif": exif, "lossless": True}),
        ("TIFF", {"compression": "tiff_lzw"}),
    ):
        buf = io.BytesIO()
        img.save(buf, fmt, **kwargs)
        out[fmt.lower()] = buf.getvalue()
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    img.convert("RGBA").save(buf, "HEIF", exif=exif.tobytes(), xmp=b"<x:xmpmeta/>")
    out["heif"] = buf.getvalue()
    return out


SEEDS = _seed_files()


def _mutate(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    buf = bytearray(data)
    for kind, where, value in ops:
        if len(buf) < 4:
            break
        at = where % len(buf)
        if kind == 0:  # flip one byte
            buf[at] = value
        elif kind == 1:  # truncate
            del buf[at:]
        elif kind == 2:  # insert a short run
            buf[at:at] = bytes([value]) * (value % 7 + 1)
        else:  # overwrite a 16-bit length-like field
            struct.pack_into(">H", buf, min(at, len(buf) - 2), value * 257 % 65536)
    return bytes(buf)


_OPS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6
)


@pytest.mark.parametrize("kind", sorted(SEEDS))
@settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(ops=_OPS)
def test_mutated_images_get_a_defined_outcome(kind: str, ops: list[tuple[int, int, int]]) -> None:
    data = _mutate(SEEDS[kind], ops)
    result = scrub_bytes(data)
    report = result.report
    assert report.outcome in set(Outcome)
    if report.outcome is not Outcome.CLEANED:
        assert result.data is None
        assert report.reason
        return
    assert result.data is not None
    assert sniff_bytes(result.data) == report.detected_type
    again = scrub_bytes(result.data)
    assert again.report.outcome is Outcome.CLEANED
    assert again.data == result.data
