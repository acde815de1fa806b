"""server.torconfig: the rendered torrc, checked by the real tor, and the
client-authorisation files it manages."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from crypto.onion import generate_client_auth_keypair, public_from_private
from server.errors import ConfigError
from server.torconfig import (
    SEALED_CLIENT,
    TorConfig,
    client_auth_private_line,
    list_client_auth,
    onion_address,
    remove_client_auth,
    render_torrc,
    seal_journalist_onion,
    write_client_auth,
)
from tests.tor.netns import NetNs, netns_unavailable_reason

ONION = "a" * 56 + ".onion"


def _options(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln and not ln.startswith("#")]


def _enrolled(tmp_path: Path, *names: str) -> TorConfig:
    for name in names:
        write_client_auth(tmp_path / "tor", name, generate_client_auth_keypair().public_b32)
    return TorConfig.for_instance(tmp_path)


def test_the_source_onion_is_public_with_pow_and_the_server_sees_only_loopback(
    tmp_path: Path,
) -> None:
    opts = _options(render_torrc(_enrolled(tmp_path, "alice")))
    tor = tmp_path.absolute() / "tor"
    source = opts.index(f"HiddenServiceDir {tor}/source")
    journalist = opts.index(f"HiddenServiceDir {tor}/journalist")
    assert source < journalist
    src_block, jour_block = opts[source:journalist], opts[journalist:]
    assert "HiddenServicePort 80 127.0.0.1:8080" in src_block
    assert "HiddenServicePoWDefensesEnabled 1" in src_block
    assert "HiddenServicePort 80 127.0.0.1:8081" in jour_block
    for block in (src_block, jour_block):
        assert "HiddenServiceVersion 3" in block
        assert "HiddenServiceMaxStreamsCloseCircuit 1" in block
        assert any(re.fullmatch(r"HiddenServiceMaxStreams [1-9]\d*", o) for o in block)
    for line in ("SocksPort 0", "SafeLogging 1", "ExitRelay 0", "ExitPolicy reject *:*"):
        assert line in opts
    assert "HiddenServiceNonAnonymousMode 0" in opts
    # Every forwarding target is loopback: the server never sees a client address.
    targets = [o.split()[2] for o in opts if o.startswith("HiddenServicePort")]
    assert targets and all(t.startswith("127.0.0.1:") for t in targets)


def test_the_journalist_onion_is_left_out_until_someone_is_enrolled(tmp_path: Path) -> None:
    # Tor serves an onion with an empty authorized_clients/ to anyone (shown
    # against real tor in tests/tor), so no enrolled journalist = no onion.
    text = render_torrc(TorConfig.for_instance(tmp_path))
    dirs = [o for o in _options(text) if o.startswith("HiddenServiceDir")]
    assert dirs == [f"HiddenServiceDir {tmp_path.absolute()}/tor/source"]
    assert "127.0.0.1:8081" not in text
    assert "HiddenServicePort 80 127.0.0.1:8080" in text


def test_client_auth_files_use_tors_format_and_private_modes(tmp_path: Path) -> None:
    pair = generate_client_auth_keypair()
    tor_dir = tmp_path / "tor"
    path = write_client_auth(tor_dir, "alice", pair.public_b32)
    assert path == tor_dir / "journalist" / "authorized_clients" / "alice.auth"
    assert path.read_text() == f"descriptor:x25519:{pair.public_b32}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for d in (tor_dir, tor_dir / "journalist", path.parent):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    write_client_auth(tor_dir, "bob", generate_client_auth_keypair().public_b32)
    assert list(list_client_auth(tor_dir)) == ["alice", "bob"]
    assert remove_client_auth(tor_dir, "alice") is True
    assert remove_client_auth(tor_dir, "alice") is False
    assert list(list_client_auth(tor_dir)) == ["bob"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["bob.auth"]


def test_the_private_line_is_what_tor_browser_takes() -> None:
    pair = generate_client_auth_keypair()
    line = client_auth_private_line(ONION, pair.private_b32)
    addr, kind, algo, key = line.split(":")
    assert (addr, kind, algo) == ("a" * 56, "descriptor", "x25519")
    assert re.fullmatch(r"[A-Z2-7]{52}", key)
    assert public_from_private(key) == pair.public_b32
    assert "=" not in line
    assert pair.private_b32 not in repr(pair)


def test_each_key_pair_is_fresh() -> None:
    pairs = {generate_client_auth_keypair().private_b32 for _ in range(8)}
    assert len(pairs) == 8


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden", "a b", "x" * 65, "é"])
def test_unsafe_client_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError):
        write_client_auth(tmp_path, name, generate_client_auth_keypair().public_b32)
    assert not any(tmp_path.rglob("*.auth"))


@pytest.mark.parametrize(
    "tor_dir", [Path("relative/tor"), Path("/srv/my tor"), Path("/srv/x\nSocksPort 9050")]
)
def test_paths_that_would_inject_options_are_refused(tor_dir: Path) -> None:
    with pytest.raises(ConfigError):
        render_torrc(TorConfig(tor_dir=tor_dir))


def test_bad_ports_and_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        render_torrc(TorConfig(tor_dir=tmp_path, source_port=8080, journalist_port=8080))
    with pytest.raises(ConfigError):
        render_torrc(TorConfig(tor_dir=tmp_path, source_port=0))
    with pytest.raises(ConfigError):
        write_client_auth(tmp_path, "alice", "not-a-key")
    with pytest.raises(ConfigError):
        client_auth_private_line("example.onion", generate_client_auth_keypair().private_b32)


def test_onion_address_reads_tors_hostname_file(tmp_path: Path) -> None:
    assert onion_address(tmp_path, "source") is None
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "hostname").write_text(ONION + "\n")
    assert onion_address(tmp_path, "source") == ONION
    (tmp_path / "source" / "hostname").write_text("evil\nSocksPort 9050\n")
    with pytest.raises(ConfigError):
        onion_address(tmp_path, "source")


@pytest.mark.parametrize("enrolled", [False, True])
def test_real_tor_accepts_the_rendered_torrc(tmp_path: Path, enrolled: bool) -> None:
    if shutil.which("tor") is None:
        pytest.skip("tor is not installed (scripts/install-system-deps.sh)")
    reason = netns_unavailable_reason()
    if reason:
        pytest.skip(reason)
    config = _enrolled(tmp_path, "alice") if enrolled else TorConfig.for_instance(tmp_path)
    torrc = tmp_path / "torrc"
    torrc.write_text(
        render_torrc(
            TorConfig(
                tor_dir=config.tor_dir,
                journalist_clients=config.journalist_clients,
                data_directory=tmp_path / "tor-data",
            )
        )
    )
    # --verify-config only parses, but it still runs with no network at all.
    with NetNs() as ns:
        result = subprocess.run(
            [*ns.prefix(), "tor", "--verify-config", "--defaults-torrc", "/dev/null", "-f", torrc],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration was valid" in result.stdout


def test_a_sealed_journalist_onion_has_client_auth_on_from_the_start(tmp_path: Path) -> None:
    tor_dir = tmp_path / "tor"
    first = seal_journalist_onion(tor_dir)
    key = first.read_text()
    assert seal_journalist_onion(tor_dir) == first and first.read_text() == key
    assert list(list_client_auth(tor_dir)) == []  # not a journalist
    text = render_torrc(TorConfig.for_instance(tmp_path))
    assert "HiddenServicePort 80 127.0.0.1:8081" in text
    with pytest.raises(ConfigError):
        write_client_auth(tor_dir, SEALED_CLIENT, key.split(":")[2].strip())
