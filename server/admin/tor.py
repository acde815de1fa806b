"""The instance's tor configuration and onion addresses, via the deploy
engineer's `server.torconfig` renderer.

Must never write a private client-auth key, and never start tor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from server.admin.signing_files import atomic_write
from server.settings import load_settings
from server.torconfig import (
    JOURNALIST_SERVICE,
    SOURCE_SERVICE,
    TorConfig,
    onion_address,
    render_torrc,
)


def render_instance_torrc(data_dir: Path, *, data_directory: Path | None = None) -> str:
    settings = load_settings(data_dir)
    config = TorConfig.for_instance(
        settings.data_dir,
        source_port=settings.source_port,
        journalist_port=settings.journalist_port,
        data_directory=data_directory,
    )
    return render_torrc(config)


def write_torrc(text: str, out: Path) -> None:
    # torrc names key dirs; not secret, but no reason for others to read it.
    atomic_write(out, text.encode("utf-8"), mode=0o600)


@dataclass(frozen=True)
class Onions:
    source: str | None
    journalist: str | None


def onion_addresses(tor_dir: Path) -> Onions:
    return Onions(
        source=onion_address(tor_dir, SOURCE_SERVICE),
        journalist=onion_address(tor_dir, JOURNALIST_SERVICE),
    )
