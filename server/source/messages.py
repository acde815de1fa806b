"""Every user-facing message the source pages build in code (the rest live
in templates). `N_` marks them for extraction; they are translated at render.

Must never: include a value from the request or the upload in a message.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention Babel extracts
    return message


TITLE_ERROR = N_("Something went wrong")
TITLE_REFUSED = N_("Your submission was not accepted")
TITLE_BUSY = N_("The server is busy")

ERRORS: dict[str, str] = {
    "csrf": N_("This form has expired. Go back, reload the page and try again. Nothing was sent."),
    "bad_form": N_(
        "The form could not be read. Please use the form on this site. Nothing was sent."
    ),
    "limit_total": N_(
        "Your submission is larger than this server accepts. Nothing was kept. "
        "Send fewer or smaller files, perhaps in several submissions."
    ),
    "limit_file": N_(
        "One of your files is larger than this server accepts. Nothing was kept. "
        "Try splitting it into smaller parts."
    ),
    "limit_files": N_(
        "You attached too many files at once. Nothing was kept. Send them in several submissions."
    ),
    "limit_message": N_(
        "Your message is too long. Nothing was kept. Shorten it or attach it as a file."
    ),
    "limit_field": N_("The form contained an oversized field. Nothing was kept."),
    "spam": N_("The form was filled in the way automated programs do, so nothing was kept."),
    "empty": N_("You did not attach any files or write a message, so there was nothing to send."),
    "full": N_(
        "The server cannot store new submissions right now. Nothing was kept. "
        "Please try again later."
    ),
    "rate": N_(
        "You have sent many submissions in the last hour. Please wait an hour and try again. "
        "Nothing was kept."
    ),
    "no_keys": N_(
        "Submissions cannot be accepted right now. Nothing was kept. Please try again later."
    ),
    "failed": N_("Your submission could not be completed, so nothing was kept. Please try again."),
    "busy": N_(
        "Too many people are using the service right now. Nothing was lost: "
        "wait a minute, then go back and try again."
    ),
    "not_found": N_("This page does not exist."),
    "method": N_("This page cannot be used like that."),
    "login_failed": N_(
        "That codename was not recognised. "
        "Check each word and the spaces between them, and try again."
    ),
    "login_throttled": N_(
        "There have been too many attempts to log in. Wait an hour, then try again."
    ),
    "expired": N_(
        "Your session has ended, to protect you. Please log in again with your codename."
    ),
    "reply_deleted": N_("The reply was deleted."),
    "reply_not_found": N_("That reply no longer exists."),
}

LIMITS = N_("You can attach up to %(files)s files, %(size)s in total.")
SIZE_MIB = N_("%(n)s MiB")
SIZE_GIB = N_("%(n)s GiB")
