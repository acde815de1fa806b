"""Errors of the journalist app. The text is what the journalist reads; none
of it reveals whether an account exists or which factor was wrong.
"""

from __future__ import annotations

from server.errors import SamizdatServerError

SIGN_IN_FAILED = "Sign-in failed: check your user name, password and two-factor code."


class JournalistError(SamizdatServerError):
    """Base of the journalist app's domain errors."""


class SignInFailed(JournalistError):
    """Wrong name, password or code, a replayed code, or a disabled account:
    one message for all, so a response never says which."""

    def __init__(self) -> None:
        super().__init__(SIGN_IN_FAILED, hint="codes change every 30 seconds; each works once")


class TooManyAttempts(JournalistError):
    """More than 5 sign-in attempts for one user name within a minute."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = int(retry_after + 0.999)
        super().__init__(
            f"Too many sign-in attempts. Wait {self.retry_after} seconds, then try again.",
            hint="at most 5 attempts per minute are allowed for each user name",
        )


class NotAuthenticated(JournalistError):
    """No valid session or token (missing, expired, or ended by a password change)."""

    def __init__(self, message: str = "Not signed in, or the session has ended.") -> None:
        super().__init__(message, hint="sign in again")


class CsrfRejected(JournalistError):
    """A form arrived without this session's CSRF token."""

    def __init__(self) -> None:
        super().__init__("This form has expired. Go back, reload the page and try again.")


class ReplyRejected(JournalistError):
    """An uploaded reply is not a well-formed sealed reply, or is too big."""


class PasswordIncorrect(JournalistError):
    """The current password given to change it was wrong."""

    def __init__(self) -> None:
        super().__init__("The current password is not correct; nothing was changed.")
