"""Where the online CLI keeps its state: the pinned server signing key.

`$SAMIZDAT_CLIENT_DIR` if set, else `$XDG_CONFIG_HOME/samizdat`, else
`~/.config/samizdat`. Must never store a password, a token or a TOTP secret.
"""

from __future__ import annotations

import os
from pathlib import Path

PIN_FILE = "server-key.pub"


def client_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    explicit = env.get("SAMIZDAT_CLIENT_DIR")
    if explicit:
        return Path(explicit)
    xdg = env.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path.home() / ".config"
    return base / "samizdat"


def pin_path(environ: dict[str, str] | None = None) -> Path:
    return client_dir(environ) / PIN_FILE


def write_private_text(path: Path, text: str) -> None:
    """Atomically replace `path` (0600, parent 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
