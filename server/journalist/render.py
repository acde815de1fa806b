"""HTML rendering for the journalist pages (Jinja2, autoescaped).

Must never render a template from user input or mark user data safe.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class Renderer:
    def __init__(self) -> None:
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            auto_reload=False,
        )
        self._env.filters["size"] = human_size

    def page(self, name: str, *, status_code: int = 200, **values: object) -> HTMLResponse:
        html = self._env.get_template(name).render(**values)
        return HTMLResponse(html, status_code=status_code)
