"""Build the journalist ASGI app: `create_journalist_app(settings)`.

Nothing runs at import time; everything the handlers share is built here and
hung on `app.state`. The OpenAPI schema is served at /openapi.json (API routes
only); the interactive docs are off because they load scripts from a CDN.
Must never be mounted on the source app's port, nor serve anything external.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.clock import Clock, utc_now
from server.db.engine import create_schema, make_engine
from server.errors import NotFound
from server.journalist import api, pages
from server.journalist.context import JournalistContext
from server.journalist.deps import PageSignInRequired
from server.journalist.errors import CsrfRejected, NotAuthenticated, ReplyRejected
from server.journalist.limits import BodySizeLimit
from server.journalist.render import Renderer
from server.settings import Settings
from server.storage import Store
from server.web.headers import SecurityHeaders

# Forms are tiny; the largest body is a sealed reply plus multipart framing.
_FORM_OVERHEAD = 64 * 1024


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str, heading: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    renderer: Renderer = request.app.state.renderer
    return renderer.page(
        "message.html", status_code=status, heading=heading, error=message, back="/"
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PageSignInRequired)
    async def _sign_in(request: Request, exc: PageSignInRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(request: Request, exc: NotAuthenticated) -> Response:
        return JSONResponse(
            {"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, "Not found.", "Not found")

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> Response:
        return _error(request, 403, str(exc), "Form expired")

    @app.exception_handler(ReplyRejected)
    async def _reply(request: Request, exc: ReplyRejected) -> Response:
        status = 413 if "larger" in str(exc) else 422
        return _error(request, status, str(exc), "Reply not uploaded")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's default echoes the input back, which for /token would
        # include the password: answer with field locations and messages only.
        problems = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse({"detail": problems}, status_code=422)
        return _error(request, 400, "The request was not understood.", "Bad request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = "Not found." if exc.status_code == 404 else "The request was refused."
        return _error(request, exc.status_code, message, message.rstrip("."))


def create_journalist_app(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    context: JournalistContext | None = None,
) -> FastAPI:
    """The journalist app for one instance. Pass `clock` to pin time in tests."""
    paths = settings.paths
    if context is None:
        engine = make_engine(paths.db)
        create_schema(engine)
        context = JournalistContext(
            settings=settings, engine=engine, store=Store(paths), clock=clock
        )
    app = FastAPI(
        title="Samizdat journalist API",
        version="1",
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/openapi.json",
    )
    app.state.journalist_context = context
    app.state.renderer = Renderer()
    app.include_router(api.router)
    app.include_router(pages.router)
    _install_error_handlers(app)
    # Order: the outermost middleware is added last. Headers go on every
    # answer, including the 413 from the body cap.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_reply_bytes + _FORM_OVERHEAD)
    app.add_middleware(SecurityHeaders)
    return app
