"""The source pages' routes: parse, authorise (a typed dependency), call one
service function, shape the response.

Must never: log anything about a request, put a codename in a URL, cookie
or redirect, or answer differently (in content or time) for an unknown
codename than for a wrong one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from crypto.errors import CryptoError
from crypto.keys import Identity
from server.ingest.builder import FileOutcome
from server.ingest.errors import IngestError, RateLimited
from server.ingest.service import IngestDeps, SourceRef, receive_submission
from server.source import messages
from server.source.body import BodyReader, ClientGone, FormTooLarge, read_small_form
from server.source.pages import Pages, session_of
from server.source.replykey import open_from_session, seal_for_session
from server.source.service import SourceService
from server.source.sessions import SessionStore, SourceSession
from server.source.throttle import Busy, DerivationLimiter, LoginThrottle, SlidingWindow

# A refused upload's remaining body is read and discarded up to this much so
# the browser shows our error page; beyond it the connection is just closed.
DRAIN_LIMIT = 256 * 1024 * 1024
_MAX_CODENAME_CHARS = 400
_MAX_REMOVED_NAMES = 12


@dataclass
class SourceContext:
    pages: Pages
    service: SourceService
    sessions: SessionStore
    limiter: DerivationLimiter
    logins: LoginThrottle
    per_session: SlidingWindow
    per_source: SlidingWindow
    ingest: IngestDeps
    # Every login answer takes at least this long, so timing does not tell
    # an existing codename from an unknown one.
    login_floor_seconds: float


class NotSignedIn(Exception):
    pass


def get_ctx(request: Request) -> SourceContext:
    ctx: SourceContext = request.app.state.source_ctx
    return ctx


def get_session(request: Request) -> SourceSession:
    return session_of(request)


def require_source(request: Request) -> SourceSession:
    sess = session_of(request)
    if not sess.signed_in:
        raise NotSignedIn
    return sess


Ctx = Annotated[SourceContext, Depends(get_ctx)]
Sess = Annotated[SourceSession, Depends(get_session)]
SignedInSess = Annotated[SourceSession, Depends(require_source)]

router = APIRouter()


async def _small_form(request: Request) -> dict[str, str] | None:
    try:
        return await read_small_form(request.receive)
    except (FormTooLarge, ClientGone):
        return None


def _csrf_ok(sess: SourceSession, form: dict[str, str] | None) -> bool:
    return form is not None and sess.check_csrf(form.get("csrf_token", ""))


@router.get("/")
async def index(request: Request, ctx: Ctx) -> Response:
    return ctx.pages.render(request, "index.html")


@router.get("/robots.txt")
async def robots() -> Response:
    return PlainTextResponse("User-agent: *\nDisallow: /\n")


@router.post("/new")
async def new_source(request: Request, ctx: Ctx, sess: Sess) -> Response:
    form = await _small_form(request)
    if not _csrf_ok(sess, form):
        return ctx.pages.error(request, "csrf", status_code=403)
    try:
        created = await ctx.limiter.run(ctx.service.create_source)
    except Busy:
        return ctx.pages.error(request, "busy", status_code=503, title=messages.TITLE_BUSY)
    signed_in = ctx.sessions.rotate(sess)
    assert signed_in.token_to_send is not None  # noqa: S101 - a rotated session is new
    signed_in.source_id = created.source_id
    signed_in.sealed_reply_key = seal_for_session(created.reply_identity, signed_in.token_to_send)
    request.scope["state"]["source_session"] = signed_in
    return ctx.pages.render(request, "codename.html", {"codename": created.codename})


@router.get("/submit")
async def submit_form(request: Request, ctx: Ctx, sess: SignedInSess) -> Response:
    return ctx.pages.render(request, "submit.html")


def _removed_summary(f: FileOutcome) -> str:
    parts = []
    for place, names in f.removed.items():
        shown = ", ".join(names[:_MAX_REMOVED_NAMES])
        if len(names) > _MAX_REMOVED_NAMES:
            shown += f" (+{len(names) - _MAX_REMOVED_NAMES})"
        parts.append(f"{place}: {shown}")
    return "; ".join(parts)


@router.post("/submit")
async def submit(request: Request, ctx: Ctx, sess: SignedInSess) -> Response:
    body = BodyReader(request.receive)
    source_id = sess.source_id
    assert source_id is not None  # noqa: S101 - SignedInSess guarantees it
    try:
        if not (ctx.per_session.allowed(sess.key) and ctx.per_source.allowed(source_id)):
            raise RateLimited("hourly cap")
        row = await anyio.to_thread.run_sync(ctx.service.source_ref, source_id)
        if row is None:
            raise NotSignedIn
        result = await receive_submission(
            body,
            content_type=request.headers.get("content-type", ""),
            content_length=_content_length(request),
            source=SourceRef(row.id, row.reply_recipient),
            csrf_ok=sess.check_csrf,
            deps=ctx.ingest,
        )
    except ClientGone:
        return Response(status_code=400)
    except IngestError as exc:
        drained = body.done or await body.drain(DRAIN_LIMIT)
        response = ctx.pages.error(
            request, exc.code, status_code=exc.status, title=messages.TITLE_REFUSED
        )
        if not drained:
            response.headers["connection"] = "close"
        return response
    if result.submission_id is not None:
        ctx.per_session.hit(sess.key)
        ctx.per_source.hit(source_id)
    files = [
        {"name": f.name, "outcome": f.outcome, "reason": f.reason, "removed": _removed_summary(f)}
        for f in result.files
    ]
    return ctx.pages.render(
        request,
        "submitted.html",
        {
            "sent": result.submission_id is not None,
            "files": files,
            "message_sent": result.message_sent,
        },
    )


def _content_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None or not value.isdigit():
        return None
    return int(value)


@router.get("/login")
async def login_form(request: Request, ctx: Ctx, sess: Sess) -> Response:
    error = None
    if request.query_params.get("expired") == "1":
        error = ctx.pages.gettext(request)(messages.ERRORS["expired"])
    return ctx.pages.render(request, "login.html", {"error": error})


@router.post("/login")
async def login(request: Request, ctx: Ctx, sess: Sess) -> Response:
    started = time.monotonic()
    form = await _small_form(request)
    if not _csrf_ok(sess, form):
        return ctx.pages.error(request, "csrf", status_code=403)
    assert form is not None  # noqa: S101 - _csrf_ok checked it
    codename = form.get("codename", "")[:_MAX_CODENAME_CHARS]
    if not ctx.logins.admit():
        return await _login_failed(request, ctx, started, "login_throttled", 429)
    try:
        lookup_id, identity = await ctx.limiter.run(ctx.service.derive_lookup, codename)
    except Busy:
        return ctx.pages.error(request, "busy", status_code=503, title=messages.TITLE_BUSY)
    del codename
    if not ctx.logins.admit_lookup(lookup_id):
        return await _login_failed(request, ctx, started, "login_throttled", 429)
    signed = await anyio.to_thread.run_sync(ctx.service.sign_in, lookup_id, identity)
    await _pad(started, ctx.login_floor_seconds)
    if signed is None:
        return await _login_failed(request, ctx, started, "login_failed", 200)
    new_sess = ctx.sessions.rotate(sess)
    assert new_sess.token_to_send is not None  # noqa: S101 - a rotated session is new
    new_sess.source_id = signed.source_id
    new_sess.sealed_reply_key = seal_for_session(signed.reply_identity, new_sess.token_to_send)
    request.scope["state"]["source_session"] = new_sess
    return RedirectResponse("/replies", status_code=303)


async def _pad(started: float, floor: float) -> None:
    remaining = floor - (time.monotonic() - started)
    if remaining > 0:
        await asyncio.sleep(remaining)


async def _login_failed(
    request: Request, ctx: SourceContext, started: float, code: str, status: int
) -> Response:
    await _pad(started, ctx.login_floor_seconds)
    message = ctx.pages.gettext(request)(messages.ERRORS[code])
    return ctx.pages.render(request, "login.html", {"error": message}, status_code=status)


def _reply_identity(sess: SourceSession) -> Identity | None:
    if sess.sealed_reply_key is None or sess.request_token is None:
        return None
    try:
        return open_from_session(sess.sealed_reply_key, sess.request_token)
    except CryptoError:
        return None


@router.get("/replies")
async def replies(request: Request, ctx: Ctx, sess: SignedInSess) -> Response:
    source_id = sess.source_id
    assert source_id is not None  # noqa: S101 - SignedInSess guarantees it
    identity = _reply_identity(sess)
    if identity is None:
        ctx.sessions.drop(sess)
        raise NotSignedIn
    shown = await anyio.to_thread.run_sync(ctx.service.replies, source_id, identity)
    del identity
    notice_code = request.query_params.get("notice", "")
    notice = None
    if notice_code in ("reply_deleted", "reply_not_found"):
        notice = ctx.pages.gettext(request)(messages.ERRORS[notice_code])
    return ctx.pages.render(request, "replies.html", {"replies": shown, "notice": notice})


@router.post("/replies/{reply_id}/delete")
async def delete_reply(request: Request, reply_id: str, ctx: Ctx, sess: SignedInSess) -> Response:
    form = await _small_form(request)
    if not _csrf_ok(sess, form):
        return ctx.pages.error(request, "csrf", status_code=403)
    source_id = sess.source_id
    assert source_id is not None  # noqa: S101 - SignedInSess guarantees it
    deleted = await anyio.to_thread.run_sync(ctx.service.delete_reply, source_id, reply_id)
    notice = "reply_deleted" if deleted else "reply_not_found"
    return RedirectResponse(f"/replies?notice={notice}", status_code=303)


@router.post("/logout")
async def logout(request: Request, ctx: Ctx, sess: Sess) -> Response:
    form = await _small_form(request)
    if not _csrf_ok(sess, form):
        return ctx.pages.error(request, "csrf", status_code=403)
    fresh = ctx.sessions.rotate(sess)
    request.scope["state"]["source_session"] = fresh
    return ctx.pages.render(request, "logged_out.html")
