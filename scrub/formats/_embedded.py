"""Recursion into containers: clean a file found inside another file.

Images inside PDFs and Office/ODF documents, attachments in PDFs and
workbooks embedded in charts go back through `scrub.api` with the same
profile, so one set of format scrubbers decides what is clean. A depth
guard bounds containers-in-containers (a ZIP in a ZIP in a PDF ...): each
level multiplies work, so nesting past the limit is refused.

Must never: return bytes that the inner scrubber did not report CLEANED, or
copy the inner report's values (it holds names only, like ours).
"""

from __future__ import annotations

import contextvars

from scrub.base import Outcome, Profile, Rejected, Report

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("scrub_embed_depth", default=0)
# A document inside a document inside a document is already unusual; more
# is a recursion bomb.
MAX_NESTING = 4


def clean_embedded(
    untrusted_data: bytes, profile: Profile, report: Report, place: str
) -> tuple[str, bytes | None]:
    """Scrub an embedded file. Returns (detected type, cleaned bytes or None).

    Removed names are merged into `report` under `place`."""
    from scrub.api import scrub_bytes  # noqa: PLC0415 - api imports the registry, which imports us

    depth = _depth.get()
    if depth >= MAX_NESTING:
        raise Rejected("containers are nested too deeply")
    token = _depth.set(depth + 1)
    try:
        result = scrub_bytes(untrusted_data, profile=profile)
    finally:
        _depth.reset(token)
    inner = result.report
    if inner.outcome is Outcome.REJECTED and "nested too deeply" in inner.reason:
        raise Rejected("containers are nested too deeply")
    for sub_place, names in inner.removed.items():
        for name in names:
            report.remove(f"{place}/{sub_place}", name)
    for w in inner.warnings:
        if w not in report.warnings:
            report.warnings.append(w)
    for r in inner.residual_risks:
        if r not in report.residual_risks:
            report.residual_risks.append(r)
    for k in inner.kept:
        note = f"{place}: {k}"
        if note not in report.kept:
            report.kept.append(note)
    if inner.outcome is Outcome.CLEANED and result.data is not None:
        return inner.detected_type, result.data
    return inner.detected_type, None
