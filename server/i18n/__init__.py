"""Languages of the source pages: English, Russian, Belarusian, Ukrainian.

Catalogs are Babel `.po` files under `locales/<lang>/LC_MESSAGES/messages.po`,
compiled in memory when an app is built (no generated binary in the repo that
could drift from its source). Regenerate the template after changing a page:

    pybabel extract -F server/i18n/babel.cfg -o server/i18n/messages.pot server/source
    pybabel update -i server/i18n/messages.pot -d server/i18n/locales

Must never: fall back silently to a half-translated page in a release (a test
checks every message is translated in every language), or choose a language
from anything but the request (`?lang=`, the session, `Accept-Language`).
"""

from __future__ import annotations

from server.i18n.catalogs import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Catalogs,
    load_catalogs,
    negotiate,
)

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Catalogs", "load_catalogs", "negotiate"]
