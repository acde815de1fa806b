"""What journalists can do with sources, submissions and replies.

Each function is one action: it opens a DB session, calls the repository,
touches the ciphertext store, and returns plain views (never table rows).
Must never write plaintext (every file handled here is ciphertext), and never
leave a "deleted" flag: deleting removes the row first, then the files (a
file left by a crash in between has no row and the start-up sweep removes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crypto.errors import CryptoError
from crypto.passwords import verify_password
from crypto.reply import check_age_header
from server.admin.context import AdminContext
from server.admin.journalists import reset_password
from server.clock import day_of
from server.db.engine import session_scope
from server.db.tables import Reply, Source, Submission
from server.errors import NotFound
from server.ids import new_id
from server.journalist import repository as repo
from server.journalist.context import JournalistContext
from server.journalist.errors import PasswordIncorrect, ReplyRejected


@dataclass(frozen=True)
class SourceView:
    id: str
    designation: str
    starred: bool
    created_day: str
    last_active_day: str
    submission_count: int
    reply_count: int


@dataclass(frozen=True)
class SubmissionView:
    id: str
    source_id: str
    designation: str
    size: int
    day: str
    cleaned: bool
    file_count: int
    downloaded: bool
    signature_present: bool


@dataclass(frozen=True)
class ReplyView:
    id: str
    size: int
    day: str


def _source_view(s: Source, submissions: int, replies: int) -> SourceView:
    return SourceView(
        s.id, s.designation, s.starred, s.created_day, s.last_active_day, submissions, replies
    )


def _submission_view(ctx: JournalistContext, sub: Submission, src: Source) -> SubmissionView:
    return SubmissionView(
        id=sub.id,
        source_id=sub.source_id,
        designation=src.designation,
        size=sub.size,
        day=sub.day,
        cleaned=sub.cleaned,
        file_count=sub.file_count,
        downloaded=sub.downloaded,
        signature_present=ctx.store.signature_path(sub.id).is_file(),
    )


def list_sources(ctx: JournalistContext) -> list[SourceView]:
    with session_scope(ctx.engine) as session:
        return [_source_view(s, n, r) for s, n, r in repo.sources_with_counts(session)]


def get_source(
    ctx: JournalistContext, source_id: str
) -> tuple[SourceView, list[SubmissionView], list[ReplyView]]:
    with session_scope(ctx.engine) as session:
        src = repo.source_by_id(session, source_id)
        if src is None:
            raise NotFound("no such source")
        subs = [_submission_view(ctx, s, src) for s in repo.submissions_of(session, source_id)]
        replies = [ReplyView(r.id, r.size, r.day) for r in repo.replies_of(session, source_id)]
        return _source_view(src, len(subs), len(replies)), subs, replies


def list_submissions(ctx: JournalistContext) -> list[SubmissionView]:
    with session_scope(ctx.engine) as session:
        return [_submission_view(ctx, sub, src) for sub, src in repo.all_submissions(session)]


def bundle_for_download(ctx: JournalistContext, submission_id: str) -> Path:
    """The sealed bundle's path; the submission is marked as downloaded."""
    path = ctx.store.bundle_path(submission_id)  # refuses malformed ids
    with session_scope(ctx.engine) as session:
        if repo.submission_by_id(session, submission_id) is None or not path.is_file():
            raise NotFound("no such submission")
        repo.mark_downloaded(session, submission_id)
    return path


def signature_text(ctx: JournalistContext, submission_id: str) -> str:
    path = ctx.store.signature_path(submission_id)
    with session_scope(ctx.engine) as session:
        if repo.submission_by_id(session, submission_id) is None:
            raise NotFound("no such submission")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound("this submission has no signature") from None


def source_of_submission(ctx: JournalistContext, submission_id: str) -> str:
    with session_scope(ctx.engine) as session:
        sub = repo.submission_by_id(session, submission_id)
        if sub is None:
            raise NotFound("no such submission")
        return sub.source_id


def delete_submission(ctx: JournalistContext, submission_id: str) -> None:
    ctx.store.bundle_path(submission_id)  # refuses malformed ids before any SQL
    with session_scope(ctx.engine) as session:
        if not repo.delete_submission_row(session, submission_id):
            raise NotFound("no such submission")
    ctx.store.delete_submission(submission_id)


def delete_source(ctx: JournalistContext, source_id: str) -> None:
    with session_scope(ctx.engine) as session:
        if repo.source_by_id(session, source_id) is None:
            raise NotFound("no such source")
        submission_ids, reply_ids = repo.delete_source_rows(session, source_id)
    for sid in submission_ids:
        ctx.store.delete_submission(sid)
    for rid in reply_ids:
        ctx.store.delete_reply(rid)


def set_star(ctx: JournalistContext, source_id: str, starred: bool) -> None:
    with session_scope(ctx.engine) as session:
        if repo.source_by_id(session, source_id) is None:
            raise NotFound("no such source")
        repo.set_starred(session, source_id, starred)


def store_reply(
    ctx: JournalistContext, journalist_id: str, source_id: str, untrusted_reply: bytes
) -> str:
    """Validate a sealed reply (an age file under the size cap) and store it.

    The server cannot read the reply (it is sealed to the source's key); it
    only checks the file is well-formed so a source never meets garbage.
    """
    if len(untrusted_reply) > ctx.settings.max_reply_bytes:
        raise ReplyRejected(
            f"The reply is larger than {ctx.settings.max_reply_bytes} bytes.",
            hint="replies are short messages; send files another way",
        )
    if not untrusted_reply:
        raise ReplyRejected("The reply file is empty.")
    try:
        check_age_header(untrusted_reply)
    except CryptoError:
        raise ReplyRejected(
            "This is not a sealed reply (not a well-formed age file).",
            hint="upload the file written by `samizdat journalist reply`",
        ) from None
    with session_scope(ctx.engine) as session:
        if repo.source_by_id(session, source_id) is None:
            raise NotFound("no such source")
    reply_id = new_id()
    # File first, row second: a row never points at a missing file, and a
    # file without a row is swept at start-up.
    ctx.store.write_small(ctx.store.reply_path(reply_id), untrusted_reply)
    try:
        with session_scope(ctx.engine) as session:
            if repo.source_by_id(session, source_id) is None:
                raise NotFound("no such source")
            repo.add_reply(
                session,
                Reply(
                    id=reply_id,
                    source_id=source_id,
                    journalist_id=journalist_id,
                    size=len(untrusted_reply),
                    day=day_of(ctx.clock()),
                ),
            )
    except BaseException:
        ctx.store.delete_reply(reply_id)
        raise
    return reply_id


def change_password(ctx: JournalistContext, journalist_id: str, current_password: str) -> str:
    """Replace the password with a new generated one and end every session.

    Passwords are generated (Diceware), never chosen: no reuse, no weak ones.
    The admin service does the replacing (one code path, audited, bumps the
    session epoch). Returns the new password to show once; only its hash is kept.
    """
    with session_scope(ctx.engine) as session:
        journalist = repo.journalist_by_id(session, journalist_id)
        if journalist is None:
            raise NotFound("no such journalist")
        name = journalist.name
        password_ok = verify_password(journalist.password_hash, current_password)
    if not password_ok:
        raise PasswordIncorrect
    admin = AdminContext(
        paths=ctx.settings.paths, engine=ctx.engine, actor=f"journalist:{name}", clock=ctx.clock
    )
    new_password = reset_password(admin, name)
    ctx.sessions.drop_journalist(journalist_id)
    ctx.tokens.drop_journalist(journalist_id)
    return new_password
