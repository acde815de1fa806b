"""scrub: find a file's real type and remove identifying metadata losslessly.

Public surface: `scrub.sniff.sniff` / `sniff_bytes`, `scrub.api.scrub_bytes`
(in-process), `scrub.sandbox.ScrubPool` (for untrusted files in long-lived
processes), `scrub.base` (Outcome, Profile, Report, ScrubResult, errors) and
`scrub.registry`. One module per format in `scrub.formats`.

Must never: import web, DB or HTTP code (an import-linter contract), or import
a format module at package import time (`samizdat scrub` must start fast).
"""
