"""deploy/samizdat-tor-sync: journalists' public client-auth keys go from the
instance to tor's dir (validated), tor's addresses come back, and the torrc
it writes passes the real `tor --verify-config`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from crypto.onion import generate_client_auth_keypair
from server.torconfig import SEALED_CLIENT, write_client_auth
from tests.tor.netns import NetNs, netns_unavailable_reason

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "samizdat-tor-sync"
ONION = "b" * 56 + ".onion"


@pytest.fixture
def netns() -> NetNs:
    if shutil.which("tor") is None:
        pytest.skip("tor is not installed (scripts/install-system-deps.sh)")
    reason = netns_unavailable_reason()
    if reason:
        pytest.skip(reason)
    return NetNs()


def _sync(tmp_path: Path, ns: NetNs) -> subprocess.CompletedProcess[str]:
    with ns:
        return subprocess.run(
            [
                sys.executable,
                str(SCRIPT),
                "--data-dir",
                str(tmp_path / "data"),
                "--tor-dir",
                str(tmp_path / "tor"),
                "--torrc",
                str(tmp_path / "torrc"),
                "--defaults-torrc",
                "/dev/null",
                "--tor-user",
                "root",
                "--app-user",
                "root",
                "--verify-prefix",
                " ".join(ns.prefix()),
                "--no-reload",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def test_sync_mirrors_valid_keys_drops_the_rest_and_publishes_addresses(
    tmp_path: Path, netns: NetNs
) -> None:
    (tmp_path / "data").mkdir()
    instance_tor = tmp_path / "data" / "tor"
    alice = generate_client_auth_keypair().public_b32
    write_client_auth(instance_tor, "alice", alice)
    auth = instance_tor / "journalist" / "authorized_clients"
    (auth / "mallory.auth").write_text("descriptor:x25519:AAAA\nSocksPort 9050\n")
    (tmp_path / "secret").write_text("not a key")
    os.symlink(tmp_path / "secret", auth / "link.auth")
    # A journalist removed since the last sync.
    write_client_auth(tmp_path / "tor", "bob", generate_client_auth_keypair().public_b32)
    (tmp_path / "tor" / "source").mkdir(mode=0o700)
    (tmp_path / "tor" / "source" / "hostname").write_text(ONION + "\n")

    result = _sync(tmp_path, netns)
    assert result.returncode == 0, result.stdout + result.stderr

    mirrored = tmp_path / "tor" / "journalist" / "authorized_clients"
    assert sorted(p.name for p in mirrored.iterdir()) == [f"{SEALED_CLIENT}.auth", "alice.auth"]
    assert (mirrored / "alice.auth").read_text() == f"descriptor:x25519:{alice}\n"
    assert stat.S_IMODE((mirrored / "alice.auth").stat().st_mode) == 0o600
    torrc = (tmp_path / "torrc").read_text()
    assert f"HiddenServiceDir {tmp_path / 'tor'}/journalist" in torrc
    assert "9050" not in torrc
    published = instance_tor / "source" / "hostname"
    assert published.read_text() == ONION + "\n"
    assert stat.S_IMODE(published.stat().st_mode) == 0o600
    assert "ignoring mallory.auth" in result.stderr
    assert "ignoring link.auth" in result.stderr


def test_with_nobody_enrolled_the_journalist_onion_exists_but_is_sealed(
    tmp_path: Path, netns: NetNs
) -> None:
    (tmp_path / "data").mkdir()
    result = _sync(tmp_path, netns)
    assert result.returncode == 0, result.stdout + result.stderr
    mirrored = tmp_path / "tor" / "journalist" / "authorized_clients"
    assert [p.name for p in mirrored.iterdir()] == [f"{SEALED_CLIENT}.auth"]
    assert "HiddenServicePort 80 127.0.0.1:8081" in (tmp_path / "torrc").read_text()


def test_a_torrc_tor_rejects_is_not_installed(tmp_path: Path, netns: NetNs) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "config.toml").write_text("source_port = 8080\njournalist_port = 70000\n")
    (tmp_path / "torrc").write_text("# the old config\n")
    result = _sync(tmp_path, netns)
    assert result.returncode != 0
    assert (tmp_path / "torrc").read_text() == "# the old config\n"


def test_a_planted_symlink_for_tors_dir_is_refused(tmp_path: Path, netns: NetNs) -> None:
    # Root must never chmod or write through a link someone else planted.
    (tmp_path / "data").mkdir()
    (tmp_path / "elsewhere").mkdir(mode=0o755)
    os.symlink(tmp_path / "elsewhere", tmp_path / "tor")
    result = _sync(tmp_path, netns)
    assert result.returncode != 0
    assert "not a directory owned by" in result.stderr
    assert stat.S_IMODE((tmp_path / "elsewhere").stat().st_mode) == 0o755
    assert list((tmp_path / "elsewhere").iterdir()) == []
