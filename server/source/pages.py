"""Render the source pages: Jinja2 templates, autoescaped, in the request's language.

Must never: render a template with autoescape off, or include anything that
makes the browser fetch from another host.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from server.i18n import LANGUAGES, Catalogs, negotiate
from server.source import messages
from server.source.sessions import SourceSession

TEMPLATES_DIR = Path(__file__).parent / "templates"
_GiB = 1024**3
_MiB = 1024**2


def make_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )


def session_of(request: Request) -> SourceSession:
    sess: SourceSession = request.scope["state"]["source_session"]
    return sess


def choose_language(request: Request, sess: SourceSession) -> str:
    wanted = request.query_params.get("lang", "")
    if wanted in LANGUAGES:
        # Remembered server-side, so form actions never carry ?lang=.
        sess.language = wanted
    if sess.language is not None and sess.language in LANGUAGES:
        return sess.language
    return negotiate(request.headers.get("accept-language"))


class Pages:
    def __init__(
        self,
        catalogs: Catalogs,
        *,
        max_files: int,
        max_submission_bytes: int,
        max_message_chars: int,
    ) -> None:
        self._env = make_environment()
        self._catalogs = catalogs
        self._max_files = max_files
        self._max_bytes = max_submission_bytes
        self._max_message_chars = max_message_chars

    def gettext(self, request: Request) -> Any:
        sess = session_of(request)
        return self._catalogs.gettext(choose_language(request, sess)).gettext

    @staticmethod
    def _size(gettext: Any, n: int) -> str:
        if n >= _GiB and n % _GiB == 0:
            return str(gettext(messages.SIZE_GIB)) % {"n": n // _GiB}
        return str(gettext(messages.SIZE_MIB)) % {"n": max(1, n // _MiB)}

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        sess = session_of(request)
        lang = choose_language(request, sess)
        gettext = self._catalogs.gettext(lang).gettext
        size = self._size(gettext, self._max_bytes)
        ctx: dict[str, Any] = {
            "_": gettext,
            "lang": lang,
            "languages": LANGUAGES,
            "csrf_token": sess.csrf_token,
            "signed_in": sess.signed_in,
            "max_message_chars": self._max_message_chars,
            "limits_text": gettext(messages.LIMITS) % {"files": self._max_files, "size": size},
        }
        ctx.update(context or {})
        html = self._env.get_template(template).render(ctx)
        return HTMLResponse(html, status_code=status_code)

    def error(
        self, request: Request, code: str, *, status_code: int, title: str = messages.TITLE_ERROR
    ) -> HTMLResponse:
        gettext = self.gettext(request)
        return self.render(
            request,
            "error.html",
            {"title": gettext(title), "message": gettext(messages.ERRORS[code])},
            status_code=status_code,
        )
