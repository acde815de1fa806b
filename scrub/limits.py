"""Bounds on the work a hostile file can make a scrubber do, checked before the work.

Every number here exists because a format lets a few bytes claim a huge
amount of work or memory (decompression bombs, billion-pixel headers, chunk
lengths near 4 GiB, IFD loops, ZIP bombs). Scrubbers call these checks on
values parsed from headers *before* allocating or iterating.

Must never: read files, allocate in proportion to an untrusted claimed size,
or put a value from the file into an error message beyond the numbers it
checked (numbers are safe to show; text from the file is not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    # Whole-file formats are held in RAM (never spooled to disk), so there is a
    # cap; larger files are sealed "not cleaned" rather than risk exhausting memory.
    max_file_bytes: int = 512 * MiB
    # A pixel count beyond this is a decompression bomb for every viewer that
    # opens the output, even though our allowlist rebuild never decodes pixels.
    max_pixels: int = 1 << 28
    # Frames, pages, IFDs: each costs parse work and output structure.
    max_frames: int = 20_000
    # Segments/chunks/tags/boxes per file: bounds Python-level loops.
    max_segments: int = 1_000_000
    # ICC profiles, EXIF, XMP blobs we parse to name what we remove.
    max_metadata_bytes: int = 32 * MiB
    # Containers (ZIP-based Office/ODF), used by the container scrubbers.
    max_zip_members: int = 20_000
    max_inflated_bytes: int = 2 * GiB
    max_inflate_ratio: int = 200
    # PDF.
    max_pages: int = 20_000
    max_objects: int = 500_000
    # Nested boxes (ISOBMFF) and containers-in-containers.
    max_depth: int = 16


DEFAULT_LIMITS = Limits()


def _reject(message: str) -> NoReturn:
    # scrub.base builds its default Profile from Limits at import time, so
    # this module cannot import scrub.base at the top.
    from scrub.base import Rejected  # noqa: PLC0415 - import cycle, see above

    raise Rejected(message)


def check_pixels(width: int, height: int, limits: Limits, what: str = "image") -> None:
    """Reject an image whose header claims more pixels than we allow."""
    if width < 0 or height < 0:
        _reject(f"{what} has negative dimensions")
    if width * height > limits.max_pixels:
        _reject(f"{what} claims {width}x{height} pixels, over the limit of {limits.max_pixels}")


def check_count(count: int, limit: int, what: str) -> None:
    """Reject when a count of structures (frames, chunks, tags...) exceeds its limit."""
    if count > limit:
        _reject(f"too many {what} (over {limit})")


def check_metadata_size(size: int, limits: Limits, what: str) -> None:
    if size > limits.max_metadata_bytes:
        _reject(f"{what} is larger than {limits.max_metadata_bytes} bytes")
