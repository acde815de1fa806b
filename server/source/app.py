"""Build the source app: `create_source_app(settings)`.

Nothing runs at import time; every resource (DB engine, store, scrub pool,
sessions, catalogs) is made here from the frozen settings and passed in.

Must never: expose OpenAPI/docs routes, log requests, or read settings from
anywhere but the `Settings` it is given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from crypto.bundle import BundleSealer
from scrub.base import DEFAULT_PROFILE
from scrub.sandbox import SandboxLimits, ScrubPool
from server.clock import Clock, utc_now
from server.db.engine import make_engine
from server.i18n import load_catalogs
from server.ingest.builder import MemoryBudget
from server.ingest.form import FormLimits
from server.ingest.service import IngestDeps, ScrubService, SealingKeys, scrub_profile
from server.instance import read_secret
from server.keys import load_signing_key, sealing_recipients
from server.settings import Settings
from server.source.pages import Pages
from server.source.routes import NotSignedIn, SourceContext, router
from server.source.service import SourceService
from server.source.sessions import SessionMiddleware, SessionStore
from server.source.throttle import DerivationLimiter, LoginThrottle, SlidingWindow
from server.storage import Store
from server.web.headers import SecurityHeaders

STATIC_DIR = Path(__file__).parent / "static"


class _LazyPool:
    """Starts the sandboxed scrub pool on first use (keeps idle RSS small)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: ScrubPool | None = None

    def scrub(self, untrusted_data: bytes, profile: Any) -> Any:
        if self._pool is None:
            self._pool = ScrubPool(
                self._settings.scrub_workers,
                limits=SandboxLimits(wall_seconds=float(self._settings.scrub_timeout_seconds)),
            )
        return self._pool.scrub(untrusted_data, profile)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def create_source_app(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    login_floor_seconds: float = 1.0,
) -> FastAPI:
    paths = settings.paths
    engine = make_engine(paths.db)
    store = Store(paths)
    pool = _LazyPool(settings)
    catalogs = load_catalogs()

    def keys(session: Any, today: str) -> SealingKeys:
        # Read per submission so admin key changes apply without a restart.
        return SealingKeys(sealing_recipients(session, today), load_signing_key(paths))

    ingest = IngestDeps(
        store=store,
        engine=engine,
        limits=FormLimits(
            max_file_bytes=settings.max_file_bytes,
            max_files=settings.max_files,
            max_message_chars=settings.max_message_chars,
            max_total_file_bytes=settings.max_submission_bytes,
        ),
        max_submission_bytes=settings.max_submission_bytes,
        min_free_bytes=settings.min_free_bytes,
        in_memory_cap=settings.scrub_in_memory_cap,
        # Whole files held for cleaning, across all uploads at once.
        budget=MemoryBudget(2 * settings.scrub_in_memory_cap),
        keys=keys,
        scrubber=ScrubService(pool, scrub_profile(DEFAULT_PROFILE, settings.scrub_in_memory_cap)),
        sealer_factory=BundleSealer,
        clock=clock,
    )
    sessions = SessionStore(settings.source_session_idle_minutes * 60.0)
    ctx = SourceContext(
        pages=Pages(
            catalogs,
            max_files=settings.max_files,
            max_submission_bytes=settings.max_submission_bytes,
            max_message_chars=settings.max_message_chars,
        ),
        service=SourceService(
            engine=engine,
            store=store,
            lookup_secret=read_secret(paths.lookup_secret),
            reply_secret=read_secret(paths.reply_secret),
            clock=clock,
        ),
        sessions=sessions,
        limiter=DerivationLimiter(
            settings.codename_concurrency, settings.codename_queue_timeout_seconds
        ),
        logins=LoginThrottle(),
        per_session=SlidingWindow(settings.submissions_per_hour, 3600.0),
        per_source=SlidingWindow(settings.submissions_per_hour, 3600.0),
        ingest=ingest,
        login_floor_seconds=login_floor_seconds,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            pool.close()
            engine.dispose()

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.source_ctx = ctx
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: Exception) -> Response:
        return RedirectResponse("/login?expired=1", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        code = "not_found" if status == 404 else "method" if status == 405 else "failed"
        return ctx.pages.error(request, code, status_code=status)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _exc: Exception) -> Response:
        # No detail to the page or the log line: it could carry source data.
        return ctx.pages.error(request, "failed", status_code=500)

    app.add_middleware(SessionMiddleware, store=sessions)
    app.add_middleware(SecurityHeaders, onion_location=settings.onion_location)
    return app
