"""Ingest errors. Each carries a `code` the web layer turns into a translated
page; messages never carry bytes, names or values from the upload."""

from __future__ import annotations

from server.errors import SamizdatServerError


class IngestError(SamizdatServerError):
    """Base: the submission was refused and nothing from it was kept."""

    code = "failed"
    status = 400


class BadForm(IngestError):
    """Not a multipart form we understand (or fields out of order)."""

    code = "bad_form"


class CsrfFailed(IngestError):
    code = "csrf"
    status = 403


class LimitExceeded(IngestError):
    """A size or count limit was crossed while streaming."""

    status = 413

    def __init__(self, which: str) -> None:
        # which: "total", "file", "files", "message", "field"
        super().__init__(f"submission exceeds the {which} limit")
        self.which = which
        self.code = f"limit_{which}"


class HoneypotTripped(IngestError):
    code = "spam"


class NothingToSend(IngestError):
    code = "empty"


class StoreFull(IngestError):
    code = "full"
    status = 503


class ServerBusy(IngestError):
    code = "busy"
    status = 503


class RateLimited(IngestError):
    code = "rate"
    status = 429


class NoRecipients(IngestError):
    """No active journalist key: nothing could be sealed (fail closed)."""

    code = "no_keys"
    status = 503
