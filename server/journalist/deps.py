"""Authorisation as typed dependencies, declared in each route's signature.

`PageJournalist`: a signed-in browser session (cookie). `CsrfJournalist`: the
same, plus the form's CSRF token checked (every state-changing form).
`ApiJournalist`: a bearer token from `POST /api/v1/token`; the API never
accepts the cookie, so a page in the journalist's browser cannot drive it.
Must never accept a source's session for anything: source cookies have
other names and live in another app's store.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.journalist import authn
from server.journalist.authn import JournalistPrincipal
from server.journalist.context import JournalistContext
from server.journalist.errors import CsrfRejected, NotAuthenticated

SESSION_COOKIE = "samizdat_journalist"


def get_context(request: Request) -> JournalistContext:
    ctx: JournalistContext = request.app.state.journalist_context
    return ctx


Ctx = Annotated[JournalistContext, Depends(get_context)]


class PageSignInRequired(NotAuthenticated):
    """A page was asked for without a valid session: redirect to sign-in."""


def require_page_journalist(request: Request, ctx: Ctx) -> JournalistPrincipal:
    try:
        return authn.principal_from_session(ctx, request.cookies.get(SESSION_COOKIE))
    except NotAuthenticated:
        raise PageSignInRequired from None


PageJournalist = Annotated[JournalistPrincipal, Depends(require_page_journalist)]


def require_csrf_journalist(
    principal: PageJournalist, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> JournalistPrincipal:
    if not authn.csrf_matches(principal.csrf_token, csrf_token):
        raise CsrfRejected
    return principal


CsrfJournalist = Annotated[JournalistPrincipal, Depends(require_csrf_journalist)]

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/token")


def require_api_journalist(
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> JournalistPrincipal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("A bearer token is required.")
    try:
        return authn.principal_from_token(ctx, credentials.credentials)
    except NotAuthenticated:
        raise NotAuthenticated("The token is invalid or has expired.") from None


ApiJournalist = Annotated[JournalistPrincipal, Depends(require_api_journalist)]
