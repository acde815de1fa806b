"""Plain text and CSV: passed through unchanged, and the report says so.

A text file has no metadata container to strip: what could identify the
source is its content (names, writing style), which we must not alter.

Must never: change a byte (re-encoding or normalising line endings would
alter the evidence).
"""

from __future__ import annotations

from scrub.base import Profile, Report

_RISKS = [
    "plain text passes through unchanged: names, places and writing style in the text itself "
    "can identify you",
]


class TextScrubber:
    type_name = "text"

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        report.kept.append("TEXT:content (unchanged; plain text has no metadata container)")
        report.residual_risks.extend(r for r in _RISKS if r not in report.residual_risks)
        return untrusted_data


SCRUBBER = TextScrubber()
