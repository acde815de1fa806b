"""The journalist's HTML pages: no JavaScript, every form POSTs with the
session's CSRF token. Thin routes: authorise (typed dependency), call one
service function, render.

Must never put a secret or source data in a URL, and never answer a failed
sign-in differently for a missing account than for a wrong password.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from server.ids import UUID4_PATTERN
from server.journalist import authn, service
from server.journalist.deps import SESSION_COOKIE, CsrfJournalist, Ctx, PageJournalist
from server.journalist.errors import (
    CsrfRejected,
    NotAuthenticated,
    PasswordIncorrect,
    ReplyRejected,
    SignInFailed,
    TooManyAttempts,
)
from server.journalist.render import STATIC, Renderer
from server.web.memform import FormRejected, read_memory_form

router = APIRouter(include_in_schema=False)

IdPath = Annotated[str, Path(pattern=UUID4_PATTERN)]


def _renderer(request: Request) -> Renderer:
    renderer: Renderer = request.app.state.renderer
    return renderer


def _set_session_cookie(response: Response, value: str, max_age: int) -> None:
    # HttpOnly and SameSite=Strict; no Secure flag: the onion service is
    # plain http and Tor Browser treats it as a secure context (CONTRACT.md).
    response.set_cookie(
        SESSION_COOKIE, value, max_age=max_age, httponly=True, samesite="strict", path="/"
    )


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- static --------------------------------------------------------------------
@router.get("/static/journalist.css")
def stylesheet() -> Response:
    return Response((STATIC / "journalist.css").read_bytes(), media_type="text/css")


# -- sign-in -------------------------------------------------------------------
def _login_page(
    request: Request, ctx: Ctx, *, status_code: int = 200, error: str | None = None
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    record = ctx.sessions.get(cookie, ctx.now())
    new_cookie = None
    if record is None or record.journalist_id is not None:
        cred = authn.anonymous_session(ctx)
        new_cookie = cred.value
        record = ctx.sessions.get(cred.value, ctx.now())
    assert record is not None  # noqa: S101 - just created, cannot have expired
    response = _renderer(request).page(
        "login.html", status_code=status_code, csrf_token=record.csrf_token, error=error
    )
    if new_cookie:
        _set_session_cookie(response, new_cookie, 15 * 60)
    return response


@router.get("/login")
def login_form(request: Request, ctx: Ctx) -> Response:
    try:
        authn.principal_from_session(ctx, request.cookies.get(SESSION_COOKIE))
    except NotAuthenticated:
        return _login_page(request, ctx)
    return _see_other("/")


@router.post("/login")
def login(
    *,
    request: Request,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=1024)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    otp: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    record = ctx.sessions.get(cookie, ctx.now())
    if record is None or not authn.csrf_matches(record.csrf_token, csrf_token):
        return _login_page(request, ctx, status_code=403, error=str(CsrfRejected()))
    try:
        cred = authn.sign_in_session(ctx, username, password, otp, previous=cookie)
    except TooManyAttempts as exc:
        response = _login_page(request, ctx, status_code=429, error=str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except SignInFailed as exc:
        return _login_page(request, ctx, status_code=401, error=str(exc))
    response = _see_other("/")
    _set_session_cookie(response, cred.value, ctx.settings.journalist_session_hours * 3600)
    return response


@router.post("/logout")
def logout(request: Request, principal: CsrfJournalist, ctx: Ctx) -> Response:
    authn.sign_out(ctx, request.cookies.get(SESSION_COOKIE))
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


# -- sources -------------------------------------------------------------------
@router.get("/")
def sources(request: Request, principal: PageJournalist, ctx: Ctx) -> Response:
    return _renderer(request).page(
        "sources.html", principal=principal, sources=service.list_sources(ctx)
    )


@router.get("/sources/{source_id}")
def source(request: Request, source_id: IdPath, principal: PageJournalist, ctx: Ctx) -> Response:
    view, submissions, replies = service.get_source(ctx, source_id)
    notice = request.query_params.get("done")
    notices = {
        "reply": "Reply uploaded.",
        "deleted": "Submission deleted.",
        "star": "Saved.",
    }
    return _renderer(request).page(
        "source.html",
        principal=principal,
        source=view,
        submissions=submissions,
        replies=replies,
        notice=notices.get(notice or ""),
    )


@router.post("/sources/{source_id}/star")
def star(
    source_id: IdPath,
    principal: CsrfJournalist,
    ctx: Ctx,
    starred: Annotated[str, Form(max_length=1)] = "1",
) -> Response:
    service.set_star(ctx, source_id, starred == "1")
    return _see_other(f"/sources/{source_id}?done=star")


@router.post("/sources/{source_id}/delete")
def delete_source(
    request: Request,
    source_id: IdPath,
    principal: CsrfJournalist,
    ctx: Ctx,
    confirm: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    if confirm != "yes":
        return _renderer(request).page(
            "message.html",
            status_code=400,
            principal=principal,
            heading="Nothing was deleted",
            error="Tick the box to confirm deleting the source.",
            back=f"/sources/{source_id}",
        )
    service.delete_source(ctx, source_id)
    return _renderer(request).page(
        "message.html", principal=principal, heading="Source deleted", back="/"
    )


@router.post("/sources/{source_id}/replies")
async def upload_reply(
    request: Request, source_id: IdPath, principal: PageJournalist, ctx: Ctx
) -> Response:
    # Parsed in RAM (never request.form(), which spools parts over 1 MiB to
    # /tmp): the body is bounded by the reply cap plus a little framing.
    try:
        form = await read_memory_form(request, limit=ctx.settings.max_reply_bytes + 64 * 1024)
    except FormRejected as exc:
        return _reply_refused(request, principal, source_id, str(exc))
    if not authn.csrf_matches(principal.csrf_token, form.fields.get("csrf_token", "")):
        raise CsrfRejected
    untrusted_reply = form.files.get("reply", b"")
    try:
        await run_in_threadpool(
            service.store_reply, ctx, principal.journalist_id, source_id, untrusted_reply
        )
    except ReplyRejected as exc:
        return _reply_refused(request, principal, source_id, str(exc))
    return _see_other(f"/sources/{source_id}?done=reply")


def _reply_refused(
    request: Request, principal: PageJournalist, source_id: str, reason: str
) -> Response:
    return _renderer(request).page(
        "message.html",
        status_code=422,
        principal=principal,
        heading="Reply not uploaded",
        error=reason,
        back=f"/sources/{source_id}",
    )


# -- submissions ---------------------------------------------------------------
@router.get("/submissions/{submission_id}/bundle")
def bundle(submission_id: IdPath, principal: PageJournalist, ctx: Ctx) -> FileResponse:
    path = service.bundle_for_download(ctx, submission_id)
    return FileResponse(
        path, media_type="application/octet-stream", filename=f"{submission_id}.age"
    )


@router.get("/submissions/{submission_id}/signature")
def signature(submission_id: IdPath, principal: PageJournalist, ctx: Ctx) -> Response:
    return PlainTextResponse(
        service.signature_text(ctx, submission_id),
        headers={"Content-Disposition": f'attachment; filename="{submission_id}.age.minisig"'},
    )


@router.post("/submissions/{submission_id}/delete")
def delete_submission(submission_id: IdPath, principal: CsrfJournalist, ctx: Ctx) -> Response:
    source_id = service.source_of_submission(ctx, submission_id)
    service.delete_submission(ctx, submission_id)
    return _see_other(f"/sources/{source_id}?done=deleted")


# -- account -------------------------------------------------------------------
@router.get("/account")
def account(request: Request, principal: PageJournalist) -> Response:
    return _renderer(request).page("account.html", principal=principal)


@router.post("/account/password")
def change_password(
    request: Request,
    principal: CsrfJournalist,
    ctx: Ctx,
    current_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        new_password = service.change_password(ctx, principal.journalist_id, current_password)
    except PasswordIncorrect as exc:
        return _renderer(request).page(
            "account.html", status_code=400, principal=principal, error=str(exc)
        )
    response = _renderer(request).page("new_password.html", new_password=new_password)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
