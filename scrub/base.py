"""The one interface every format scrubber implements, and its result types.

Pure: no I/O beyond the bytes handed in, no web or DB imports. A scrubber
rebuilds its output from an allowlist of what is needed to show the content;
it never deletes from a blocklist. It must never return a partial output: it
either returns the whole cleaned file or raises.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scrub.limits import Limits


class Outcome(enum.StrEnum):
    CLEANED = "cleaned"
    # Sealed as it is: the format is unsupported, too large for the in-memory
    # cap, or the source chose to keep metadata. Never shown as "clean".
    NOT_CLEANED = "not_cleaned"
    # Refused outright (hostile or malformed beyond what we will seal).
    REJECTED = "rejected"


def _default_limits() -> Limits:
    # Imported here: scrub.limits raises Rejected, defined below.
    from scrub.limits import Limits  # noqa: PLC0415 - breaks an import cycle

    return Limits()


@dataclass(frozen=True)
class Profile:
    """How aggressively to clean. "default" keeps clinical evidence in DICOM;
    "strict" also removes patient identity. `limits` bounds the work a hostile
    file can cause (see scrub.limits); replace it with dataclasses.replace."""

    name: str = "default"
    limits: Limits = field(default_factory=_default_limits)


DEFAULT_PROFILE = Profile()
STRICT_PROFILE = Profile("strict")
PROFILES = {p.name: p for p in (DEFAULT_PROFILE, STRICT_PROFILE)}


@dataclass
class Report:
    """What happened to one file. Holds field *names*, never their values."""

    detected_type: str
    outcome: Outcome = Outcome.CLEANED
    reason: str = ""
    # place (e.g. "EXIF", "PDF:Info", "DOCX:docProps/core.xml") -> field names removed
    removed: dict[str, list[str]] = field(default_factory=dict)
    # what was deliberately kept because it changes how the content displays
    kept: list[str] = field(default_factory=list)
    # things the tool cannot remove (visible content, burned-in text, ...)
    residual_risks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def remove(self, place: str, name: str) -> None:
        names = self.removed.setdefault(place, [])
        if name not in names:
            names.append(name)

    def to_json(self) -> dict[str, object]:
        return {
            "detected_type": self.detected_type,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "removed": {k: list(v) for k, v in self.removed.items()},
            "kept": list(self.kept),
            "residual_risks": list(self.residual_risks),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ScrubResult:
    report: Report
    # The cleaned bytes; None unless report.outcome is CLEANED.
    data: bytes | None


class ScrubError(Exception):
    """A file could not be cleaned. The message is shown to the source and
    must never contain bytes or values from the file."""

    def __init__(self, message: str, *, outcome: Outcome = Outcome.NOT_CLEANED) -> None:
        super().__init__(message)
        self.outcome = outcome


class Rejected(ScrubError):
    """The file is hostile or malformed beyond what we will handle."""

    def __init__(self, message: str) -> None:
        super().__init__(message, outcome=Outcome.REJECTED)


class Scrubber(Protocol):
    """One format. `type_name` matches what scrub.sniff returns."""

    type_name: str

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        """Return the whole cleaned file, recording removed field names in
        `report`; raise ScrubError/Rejected instead of returning a partial."""
        ...
