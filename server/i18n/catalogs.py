"""Load the `.po` catalogs and pick a language for a request.

Must never: raise on a hostile `Accept-Language` header (it is parsed
leniently and bounded), or return a language we have no catalog for.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
# Language code -> its own name, shown in the language links (a source who
# cannot read the current language must still find their own).
LANGUAGES: Mapping[str, str] = {
    "en": "English",
    "ru": "Русский",
    "be": "Беларуская",
    "uk": "Українська",
}
# An Accept-Language header longer than this is cut: it is untrusted input.
_MAX_ACCEPT_LANGUAGE = 512


@dataclass(frozen=True)
class Catalogs:
    by_language: Mapping[str, gettext.NullTranslations]

    def gettext(self, language: str) -> gettext.NullTranslations:
        return self.by_language.get(language) or self.by_language[DEFAULT_LANGUAGE]


def _compile(po_path: Path) -> gettext.GNUTranslations:
    with po_path.open("rb") as f:
        catalog = read_po(f, abort_invalid=True)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def load_catalogs(locales_dir: Path = LOCALES_DIR) -> Catalogs:
    """Compile every language's catalog; English is the msgids themselves."""
    loaded: dict[str, gettext.NullTranslations] = {DEFAULT_LANGUAGE: gettext.NullTranslations()}
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        po_path = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        loaded[lang] = _compile(po_path)
    return Catalogs(loaded)


def negotiate(accept_language: str | None) -> str:
    """Best supported language from an Accept-Language header, else English."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, item in enumerate(accept_language[:_MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        # Earlier entries win ties, as the header's order expresses preference.
        score = q - position * 1e-6
        if score > best_q:
            best, best_q = primary, score
    return best
