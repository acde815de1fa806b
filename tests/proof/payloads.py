"""Submission payloads built in memory (never written to disk: the scans
look for their marker everywhere), each tagged so an opened bundle can be
matched to the upload it came from.

Types are chosen so the expected cleaned form is known exactly: text/CSV
(passed through unchanged), an unknown binary type (sealed as it is, "not
cleaned"), and a JPEG whose cleaned form the test computes with scrub.api.

Must never: write a payload to a file.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field

from PIL import Image

from scrub.api import scrub_bytes

KiB = 1024
MiB = 1024 * KiB
# No magic number starts like this, so sniff says "unknown".
UNKNOWN_MAGIC = b"SMZD\x00\x01\xfe"


@dataclass(frozen=True)
class Upload:
    """One submission attempt: what was sent and what must come out."""

    tag: str
    message: str
    files: list[tuple[str, bytes]]  # as sent
    expected: dict[str, bytes] = field(default_factory=dict)  # name -> cleaned bytes

    @property
    def size(self) -> int:
        return sum(len(b) for _n, b in self.files)


def text_payload(tag: str, marker: str, size: int, rng: random.Random) -> bytes:
    header = f"id,note\n{tag},{marker}\n".encode()
    line = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ,") for _ in range(79)) + "\n"
    body = line.encode() * (max(0, size - len(header)) // len(line) + 1)
    return (header + body)[:size] if size > len(header) else header


def unknown_payload(tag: str, marker: str, size: int, rng: random.Random) -> bytes:
    head = UNKNOWN_MAGIC + f"{tag}|{marker}|".encode()
    return head + rng.randbytes(max(0, size - len(head)))


def gps_jpeg(marker: str, *, size: tuple[int, int] = (48, 32)) -> bytes:
    """A JPEG whose EXIF GPSProcessingMethod, ImageDescription and Artist carry `marker`."""
    img = Image.new("RGB", size, (180, 40, 40))
    exif = Image.Exif()
    exif[0x010E] = f"desc {marker}"  # ImageDescription
    exif[0x013B] = f"artist {marker}"  # Artist
    exif[0x010F] = "MarkerCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (55.0, 45.0, 12.5)
    gps[3] = "E"
    gps[4] = (37.0, 37.0, 1.0)
    gps[0x1B] = b"ASCII\x00\x00\x00" + marker.encode()  # GPSProcessingMethod
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), quality=90)
    return buf.getvalue()


def cleaned(data: bytes) -> bytes:
    """The cleaned form, computed in-process with scrub.api (what the sandbox runs)."""
    result = scrub_bytes(data)
    assert result.data is not None, result.report
    return result.data


def make_upload(
    tag: str, marker: str, rng: random.Random, sizes: list[int], *, jpeg: bool = False
) -> Upload:
    files: list[tuple[str, bytes]] = []
    expected: dict[str, bytes] = {}
    for i, size in enumerate(sizes):
        if rng.random() < 0.5:
            name, data = f"{tag}-{i}.csv", text_payload(tag, marker, size, rng)
        else:
            name, data = f"{tag}-{i}.bin", unknown_payload(tag, marker, size, rng)
        files.append((name, data))
        expected[name] = data  # text passes unchanged; unknown is sealed as it is
    if jpeg:
        data = gps_jpeg(marker)
        files.append((f"{tag}-photo.jpg", data))
        expected[f"{tag}-photo.jpg"] = cleaned(data)
    return Upload(tag, f"{tag} message {marker}", files, expected)
