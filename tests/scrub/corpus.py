"""The shared registry of sample generators the contract test runs against.

Every scrubber engineer adds generators in a `tests/scrub/corpus_*.py`
module (the contract test imports them all):

    from tests.scrub.corpus import Sample, generator, marker

    @generator("pdf-basic")
    def _pdf(tmp: Path) -> Sample:
        return Sample(kind="pdf", data=..., markers=(marker("PdfAuthor"),),
                      same_content=compare_pdf_text)

A generator builds its file from code (no committed binaries) and plants
unique markers; the contract test then checks: the outcome, that no marker
survives (raw bytes, inflated streams, ZIP members, exiftool's view), that
content is unchanged (`same_content`), that cleaning is idempotent, and that
the output still sniffs as the same type. Hostile inputs register with
`@hostile(...)` and must get one of their allowed outcomes, with no output
unless cleaned.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scrub.base import Outcome


def marker(tag: str) -> str:
    """A unique, greppable marker string for one planted value."""
    return f"SMZ{tag}Q7"


@dataclass(frozen=True)
class Sample:
    kind: str
    data: bytes
    markers: tuple[str, ...]
    # Asserts that `after` shows the same content as `before` (pixels, text...).
    same_content: Callable[[bytes, bytes], None] | None
    # Report "kept" entries the output must list (e.g. "EXIF:Orientation").
    expect_kept: tuple[str, ...] = ()
    # Removed-field names the report must list, as "place:name".
    expect_removed: tuple[str, ...] = ()
    outcome: Outcome = Outcome.CLEANED
    # Markers must be findable in the *input* (proves the planting worked).
    markers_in_input: bool = True
    # False where the format requires fresh random identifiers on every run
    # (PDF /ID, DICOM instance UIDs): cleaning twice then gives different
    # bytes, so the contract checks the second output is clean instead.
    deterministic: bool = True


@dataclass(frozen=True)
class HostileSample:
    kind: str
    data: bytes
    allowed: frozenset[Outcome]
    # Bytes that must not appear in an output, if one is produced.
    forbidden: tuple[bytes, ...] = ()
    note: str = ""


GENERATORS: dict[str, Callable[[Path], Sample]] = {}
HOSTILE: dict[str, Callable[[Path], HostileSample]] = {}


def generator(name: str) -> Callable[[Callable[[Path], Sample]], Callable[[Path], Sample]]:
    def register(fn: Callable[[Path], Sample]) -> Callable[[Path], Sample]:
        if name in GENERATORS:
            raise ValueError(f"duplicate sample generator {name}")
        GENERATORS[name] = fn
        return fn

    return register


def hostile(
    name: str,
) -> Callable[[Callable[[Path], HostileSample]], Callable[[Path], HostileSample]]:
    def register(fn: Callable[[Path], HostileSample]) -> Callable[[Path], HostileSample]:
        if name in HOSTILE:
            raise ValueError(f"duplicate hostile sample {name}")
        HOSTILE[name] = fn
        return fn

    return register


def exiftool_write(tmp: Path, data: bytes, suffix: str, *args: str) -> bytes:
    """Return `data` after `exiftool ARGS` edited it (in a temp file under `tmp`)."""
    path = tmp / f"plant-{len(list(tmp.iterdir()))}{suffix}"
    path.write_bytes(data)
    subprocess.run(
        ["exiftool", "-q", "-q", "-overwrite_original", *args, str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return path.read_bytes()


def exiftool_json(data: bytes, tmp: Path) -> str:
    """exiftool's full view of `data` (all groups, embedded docs, unknown tags) as text.

    From a file, not stdin: exiftool with -ee can stall on a pipe it wants to seek."""
    path = tmp / f"oracle-{len(list(tmp.iterdir()))}.bin"
    path.write_bytes(data)
    result = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-ee", "-u", str(path)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    return result.stdout.decode("utf-8", "replace")
