"""In-process entry point: sniff, pick the scrubber, turn every failure into an outcome.

Must never: raise for bad input (the outcome says what happened), return data
unless the outcome is CLEANED, or label a file clean that no scrubber rebuilt.
Runs the parsers in *this* process: callers handling untrusted files in a
long-lived process use scrub.sandbox.ScrubPool instead.
"""

from __future__ import annotations

from scrub import registry
from scrub.base import DEFAULT_PROFILE, Outcome, Profile, Report, ScrubError, ScrubResult
from scrub.sniff import sniff, sniff_bytes

# Things no metadata scrubber can remove, per family of types. Shown to the
# source and the journalist so nobody mistakes "cleaned" for "anonymous".
_IMAGE_RISKS = [
    "visible content (faces, reflections, screens, documents, places) is unchanged",
    "camera sensor noise (PRNU) can link a photo to the device that took it",
    "scans or photos of printouts may carry printer tracking dots",
]
_RISKS_BY_TYPE: dict[str, list[str]] = {
    t: _IMAGE_RISKS for t in ("jpeg", "png", "webp", "gif", "tiff", "heif")
}
_NOT_CLEANED_RISK = "metadata was NOT removed: it may name the device, the place, the time or you"


def _not_cleaned(
    report: Report, reason: str, outcome: Outcome = Outcome.NOT_CLEANED
) -> ScrubResult:
    report.outcome = outcome
    report.reason = reason
    if outcome is Outcome.NOT_CLEANED and _NOT_CLEANED_RISK not in report.residual_risks:
        report.residual_risks.append(_NOT_CLEANED_RISK)
    return ScrubResult(report=report, data=None)


def scrub_bytes(untrusted_data: bytes, *, profile: Profile = DEFAULT_PROFILE) -> ScrubResult:
    """Clean one whole file held in memory. Never raises for bad input."""
    limits = profile.limits
    if len(untrusted_data) > limits.max_file_bytes:
        report = Report(detected_type=sniff(untrusted_data[:8192]))
        return _not_cleaned(
            report,
            f"file is larger than the {limits.max_file_bytes // (1 << 20)} MiB limit "
            "for cleaning in memory",
        )
    kind = sniff_bytes(untrusted_data)
    report = Report(detected_type=kind)
    if kind == "unknown":
        return _not_cleaned(report, "file type not recognised, so its metadata was not removed")
    if kind == "markup":
        return _not_cleaned(
            report,
            "structured text (RTF, HTML, SVG, XML, PostScript or e-mail) can hold author and "
            "software fields; cleaning it is not supported, so they were not removed",
        )
    try:
        scrubber = registry.get(kind)
    except registry.ScrubberUnavailable:
        return _not_cleaned(report, f"cleaning {kind} files is not supported yet")
    try:
        cleaned = scrubber.scrub(untrusted_data, profile, report)
    except ScrubError as exc:
        return _not_cleaned(report, str(exc), exc.outcome)
    except MemoryError:
        return _not_cleaned(report, "cleaning needed too much memory", Outcome.REJECTED)
    except RecursionError:
        return _not_cleaned(report, "file is nested too deeply", Outcome.REJECTED)
    except Exception as exc:
        # A parser failing on input it did not expect: the file is malformed in
        # a way we did not anticipate. Only the exception's *type* is shown: its
        # message could quote bytes from the file.
        return _not_cleaned(
            report,
            f"the {kind} parser failed on this file ({type(exc).__name__})",
            Outcome.REJECTED,
        )
    # Defence in depth: a scrubber's output must still be the type it claims.
    if sniff_bytes(cleaned) != kind:
        return _not_cleaned(report, "internal check failed: cleaned output has the wrong type")
    report.outcome = Outcome.CLEANED
    report.reason = ""
    for risk in _RISKS_BY_TYPE.get(kind, []):
        if risk not in report.residual_risks:
            report.residual_risks.append(risk)
    return ScrubResult(report=report, data=cleaned)
