"""Map a sniffed type name to the scrubber that handles it, importing lazily.

Lazy because `samizdat scrub` is timed as a whole process against exiftool:
a JPEG run must not pay for importing Pillow, pikepdf or pydicom. Each entry
is "module:attribute"; the module is imported on first use only.

Must never: import a format module at import time, or return a scrubber for a
type it was not registered for (an unknown type has no scrubber, so it can
never be labelled clean by accident).
"""

from __future__ import annotations

import importlib
import threading

from scrub.base import Scrubber

# One module per format (scrub/formats/<name>.py), each exposing SCRUBBER.
# A module serving several types (OOXML, ODF, MP4/MOV) reads
# report.detected_type to know which one it was handed.
_TARGETS: dict[str, str] = {
    "jpeg": "scrub.formats.jpeg:SCRUBBER",
    "png": "scrub.formats.png:SCRUBBER",
    "webp": "scrub.formats.webp:SCRUBBER",
    "gif": "scrub.formats.gif:SCRUBBER",
    "tiff": "scrub.formats.tiff:SCRUBBER",
    "heif": "scrub.formats.heif:SCRUBBER",
    "text": "scrub.formats.text:SCRUBBER",
    "pdf": "scrub.formats.pdf:SCRUBBER",
    "docx": "scrub.formats.ooxml:SCRUBBER",
    "xlsx": "scrub.formats.ooxml:SCRUBBER",
    "pptx": "scrub.formats.ooxml:SCRUBBER",
    "odt": "scrub.formats.odf:SCRUBBER",
    "ods": "scrub.formats.odf:SCRUBBER",
    "odp": "scrub.formats.odf:SCRUBBER",
    "dicom": "scrub.formats.dicom:SCRUBBER",
    "mp4": "scrub.formats.mp4:SCRUBBER",
    "mov": "scrub.formats.mp4:SCRUBBER",
}
_loaded: dict[str, Scrubber] = {}
_lock = threading.Lock()


class ScrubberUnavailable(LookupError):
    """No scrubber is registered for a type, or its module is not installed yet."""


def registered_types() -> list[str]:
    return sorted(_TARGETS)


def register(type_name: str, target: str) -> None:
    """Add or replace the "module:attribute" that scrubs `type_name`."""
    if ":" not in target:
        raise ValueError("target must be 'module:attribute'")
    with _lock:
        _TARGETS[type_name] = target
        _loaded.pop(type_name, None)


def get(type_name: str) -> Scrubber:
    """The scrubber for `type_name`; raises ScrubberUnavailable if there is none."""
    with _lock:
        if type_name in _loaded:
            return _loaded[type_name]
        target = _TARGETS.get(type_name)
    if target is None:
        raise ScrubberUnavailable(f"no scrubber for type {type_name!r}")
    module_name, attr = target.split(":", 1)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only "this format module does not exist yet" is an unavailable
        # scrubber; a missing dependency inside an existing module is a bug.
        if exc.name != module_name:
            raise
        raise ScrubberUnavailable(f"no scrubber installed for type {type_name!r}") from None
    scrubber: Scrubber = getattr(module, attr)
    with _lock:
        _loaded[type_name] = scrubber
    return scrubber
