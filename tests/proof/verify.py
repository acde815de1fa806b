"""Checks on a data dir after the server ran: the store and the DB agree,
every bundle's signature verifies with the stock `minisign` tool and it
opens with the journalist identity (crypto.opener, as the offline client
does), and no marker is left anywhere.

Must never: open bundles inside the scanned places (opened plaintext goes to
a folder the caller excludes, standing for the air-gapped workstation).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from crypto.keychain import KeyChain
from crypto.keys import Identity
from crypto.opener import OpenedBundle, open_bundle
from crypto.signing import PublicKey
from tests.support.scan import Hit, scan_paths
from tests.support.server_process import FreshInstance, db_rows


@dataclass(frozen=True)
class StoreState:
    bundles: set[str]
    signatures: set[str]
    rows: set[str]
    temp_files: list[str]

    def consistent(self) -> bool:
        return self.bundles == self.rows == self.signatures and not self.temp_files


def store_state(data_dir: Path) -> StoreState:
    bundles_dir = data_dir / "store" / "bundles"
    bundles = {p.name[:-4] for p in bundles_dir.glob("*.age")}
    sigs = {p.name[: -len(".age.minisig")] for p in bundles_dir.glob("*.age.minisig")}
    rows = {str(r[0]) for r in db_rows(data_dir / "samizdat.db", "submission")}
    tmp = sorted(p.name for p in (data_dir / "store" / "tmp").iterdir())
    return StoreState(bundles, sigs, rows, tmp)


def minisign_verify(server_pub: Path, bundle: Path) -> None:
    sig = bundle.with_name(bundle.name + ".minisig")
    proc = subprocess.run(
        ["minisign", "-V", "-q", "-p", str(server_pub), "-m", str(bundle), "-x", str(sig)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, f"minisign -V refused {bundle.name}: {proc.stderr}"


def trusted_keys(inst: FreshInstance) -> list[PublicKey]:
    pinned = PublicKey.parse(inst.server_pub.read_text())
    chain = KeyChain.from_json((inst.data_dir / "keys" / "server-keys.json").read_text())
    return chain.resolve(pinned)


def open_bundles(
    inst: FreshInstance, identity: Identity, ids: Iterable[str], out: Path
) -> dict[str, OpenedBundle]:
    """Verify (minisign -V and the opener's own check) and open each bundle."""
    trusted = trusted_keys(inst)
    opened: dict[str, OpenedBundle] = {}
    bundles_dir = inst.data_dir / "store" / "bundles"
    for sid in sorted(ids):
        bundle = bundles_dir / f"{sid}.age"
        minisign_verify(inst.server_pub, bundle)
        opened[sid] = open_bundle(
            bundle, bundle.with_name(bundle.name + ".minisig"), identity, trusted, out
        )
    return opened


# A recent file in a shared /tmp bigger than this is another suite's (the
# machine is shared); every file our tests and the server write is smaller.
RECENT_MAX_BYTES = 512 * 1024 * 1024


def recent_files(roots: Iterable[Path], since: float) -> list[Path]:
    """Regular files under `roots` changed since `since` (the test's start)."""
    out: list[Path] = []
    for root in roots:
        if not root.exists():
            continue
        for dirpath, _dirs, files in os.walk(root, onerror=lambda _e: None):
            for name in files:
                p = Path(dirpath) / name
                try:
                    st = p.lstat()
                except OSError:
                    continue
                recent = max(st.st_mtime, st.st_ctime) >= since
                small = st.st_size <= RECENT_MAX_BYTES
                if recent and small and p.is_file() and not p.is_symlink():
                    out.append(p)
    return out


def scan_for_marker(
    marker: str,
    *,
    everything_under: Iterable[Path],
    recent_under: Iterable[Path] = (),
    since: float = 0.0,
    exclude: Iterable[Path] = (),
) -> tuple[list[Hit], int]:
    """Hits of `marker` in every file under `everything_under` and in files
    changed since `since` under `recent_under`; also returns how many files
    were scanned."""
    everything = list(everything_under)
    recent = recent_files(recent_under, since)
    excluded = [e.resolve() for e in exclude]
    files = [
        p
        for p in recent
        if not any(p.resolve().is_relative_to(e) for e in excluded)
        and not any(p.resolve().is_relative_to(r.resolve()) for r in everything)
    ]
    hits = scan_paths([*everything, *files], marker.encode(), exclude=excluded)
    count = sum(1 for _ in _all_files(everything)) + len(files)
    return hits, count


def _all_files(roots: Iterable[Path]) -> Iterable[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            for dirpath, _dirs, files in os.walk(root):
                for name in files:
                    yield Path(dirpath) / name
