"""One scrubber object for a family of ZIP-based types (docx/xlsx/pptx,
odt/ods/odp) that share a rebuild job.

The registry maps every member of a family to the same SCRUBBER; which type
it was handed is `report.detected_type` (decided by sniffing the ZIP
directory, never by the file name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from scrub.base import Profile, Report


class _Job(Protocol):
    def run(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes: ...


class FamilyScrubber:
    def __init__(self, type_name: str, family: frozenset[str], job: Callable[[str], _Job]) -> None:
        self.type_name = type_name
        self._family = family
        self._job = job

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        kind = report.detected_type if report.detected_type in self._family else self.type_name
        return self._job(kind).run(untrusted_data, profile, report)
