"""The JSON API under /api/v1 (used by `samizdat journalist fetch` and
`upload-reply`). Thin routes: parse, authorise (typed dependency), call one
service function, shape the response.

Must never accept the browser session cookie (bearer tokens only) and never
return a table row.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from server.ids import UUID4_PATTERN
from server.journalist import authn, service
from server.journalist.deps import ApiJournalist, Ctx
from server.journalist.errors import ReplyRejected, SignInFailed, TooManyAttempts
from server.journalist.schemas import (
    Deleted,
    ErrorOut,
    ReplyCreated,
    SubmissionList,
    SubmissionOut,
    TokenRequest,
    TokenResponse,
)

router = APIRouter(prefix="/api/v1", tags=["journalist API"])

# Ids are 32 lowercase hex characters (UUID4); anything else is refused
# before it reaches a path or a query.
IdPath = Annotated[str, Path(pattern=UUID4_PATTERN)]

_AUTH_ERRORS: dict[int | str, dict[str, object]] = {401: {"model": ErrorOut}}


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@router.post(
    "/token",
    response_model=TokenResponse,
    responses={401: {"model": ErrorOut}, 429: {"model": ErrorOut}},
    summary="Exchange user name, password and a TOTP code for a short-lived bearer token",
)
def create_token(body: TokenRequest, ctx: Ctx) -> Response:
    try:
        cred = authn.issue_token(ctx, body.username, body.password, body.otp)
    except TooManyAttempts as exc:
        return JSONResponse(
            {"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )
    except SignInFailed as exc:
        return JSONResponse({"detail": str(exc)}, status_code=401)
    return JSONResponse(TokenResponse(token=cred.value, expires=_iso(cred.expires_at)).model_dump())


@router.get("/submissions", response_model=SubmissionList, responses=_AUTH_ERRORS)
def list_submissions(principal: ApiJournalist, ctx: Ctx) -> SubmissionList:
    views = service.list_submissions(ctx)
    return SubmissionList(submissions=[SubmissionOut(**v.__dict__) for v in views])


@router.get(
    "/submissions/{submission_id}/bundle",
    response_class=FileResponse,
    responses={
        **_AUTH_ERRORS,
        404: {"model": ErrorOut},
        200: {"content": {"application/octet-stream": {}}},
        206: {"description": "Partial content (HTTP Range, for resuming)"},
    },
)
def download_bundle(submission_id: IdPath, principal: ApiJournalist, ctx: Ctx) -> FileResponse:
    path = service.bundle_for_download(ctx, submission_id)
    # Starlette's FileResponse answers Range requests (206) so fetch resumes.
    return FileResponse(
        path, media_type="application/octet-stream", filename=f"{submission_id}.age"
    )


@router.get(
    "/submissions/{submission_id}/signature",
    response_class=PlainTextResponse,
    responses={**_AUTH_ERRORS, 404: {"model": ErrorOut}},
)
def download_signature(
    submission_id: IdPath, principal: ApiJournalist, ctx: Ctx
) -> PlainTextResponse:
    return PlainTextResponse(service.signature_text(ctx, submission_id))


@router.delete(
    "/submissions/{submission_id}",
    response_model=Deleted,
    responses={**_AUTH_ERRORS, 404: {"model": ErrorOut}},
)
def delete_submission(submission_id: IdPath, principal: ApiJournalist, ctx: Ctx) -> Deleted:
    service.delete_submission(ctx, submission_id)
    return Deleted(deleted=submission_id)


@router.post(
    "/sources/{source_id}/replies",
    status_code=201,
    response_model=ReplyCreated,
    responses={**_AUTH_ERRORS, 404: {"model": ErrorOut}, 413: {"model": ErrorOut}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "description": "The sealed reply (an age file) written by `samizdat journalist reply`.",
        }
    },
)
async def upload_reply(
    source_id: IdPath, request: Request, principal: ApiJournalist, ctx: Ctx
) -> ReplyCreated:
    untrusted_reply = await read_capped(request, ctx.settings.max_reply_bytes)
    reply_id = await run_in_threadpool(
        service.store_reply, ctx, principal.journalist_id, source_id, untrusted_reply
    )
    return ReplyCreated(
        id=reply_id, source_id=source_id, size=len(untrusted_reply), day=_iso(ctx.now())[:10]
    )


@router.get(
    "/server-keys",
    responses={**_AUTH_ERRORS, 200: {"content": {"application/json": {}}}},
    summary="The server signing key chain (server-keys.json)",
)
def server_keys(principal: ApiJournalist, ctx: Ctx) -> Response:
    data = ctx.settings.paths.server_keys_json.read_bytes()
    return Response(data, media_type="application/json")


async def read_capped(request: Request, cap: int) -> bytes:
    """Read a body, refusing it as soon as it passes `cap` bytes."""
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > cap:
            raise ReplyRejected(
                f"The reply is larger than {cap} bytes.",
                hint="replies are short messages; send files another way",
            )
        chunks.append(chunk)
    return b"".join(chunks)
