"""Render the instance's torrc and manage its onion client-authorisation files.

Two v3 onion services: the source interface (virtual port 80 -> 127.0.0.1:
source port, proof-of-work defence on) and the journalist interface
(-> 127.0.0.1:journalist port, client authorisation on: one
`authorized_clients/<name>.auth` per journalist). The server only ever sees
127.0.0.1: tor terminates every circuit.

`render_torrc` is pure (a value in, text out). The file helpers touch only
the tor dir they are given. This module must never start tor, never write a
private client-auth key to disk (the journalist takes it away; the server
keeps only the public half), and never emit an option that reaches the
network from the server (no SocksPort, no exit, no non-anonymous mode).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crypto.onion import generate_client_auth_keypair
from server.errors import ConfigError

__all__ = [
    "CLIENT_AUTH_DIR",
    "JOURNALIST_SERVICE",
    "SEALED_CLIENT",
    "SOURCE_SERVICE",
    "TorConfig",
    "client_auth_private_line",
    "list_client_auth",
    "onion_address",
    "remove_client_auth",
    "render_torrc",
    "seal_journalist_onion",
    "write_client_auth",
]

SOURCE_SERVICE = "source"
JOURNALIST_SERVICE = "journalist"
CLIENT_AUTH_DIR = "authorized_clients"

# A page with no external resources opens a handful of streams; a per-circuit
# cap stops one circuit from tying up every server worker (cheap DoS), and
# MaxStreamsCloseCircuit tears down a circuit that tries.
SOURCE_MAX_STREAMS = 20
JOURNALIST_MAX_STREAMS = 20

# Client names become file names under authorized_clients/: no path
# separators, no dot files, nothing tor would skip or misread.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# 32-byte x25519 key, unpadded base32 (tor's encoding).
_KEY_B32 = re.compile(r"^[A-Z2-7]{52}$")
# A client entry nobody holds the key to (see seal_journalist_onion). The
# leading underscore keeps it out of the journalist name space.
SEALED_CLIENT = "_sealed"
_ONION = re.compile(r"^[a-z2-7]{56}\.onion$")
# A torrc path is one line: a newline or '#' would inject or cut options.
_UNSAFE_PATH = re.compile(r"[\s#\"\\]")


@dataclass(frozen=True)
class TorConfig:
    """What the torrc is rendered from.

    `tor_dir` holds one directory per service (`source/`, `journalist/`);
    by default it is `D/tor/`. `journalist_clients` names the journalists with
    an `.auth` file; while it is empty the journalist service is left out,
    because tor serves an onion with an empty `authorized_clients/` to anyone.
    (`seal_journalist_onion` keeps it on, locked, from the start.)
    `data_directory` is tor's own state dir; None leaves it to the
    defaults torrc (Debian's tor service sets /var/lib/tor).
    """

    tor_dir: Path
    source_port: int = 8080
    journalist_port: int = 8081
    journalist_clients: tuple[str, ...] = field(default_factory=tuple)
    data_directory: Path | None = None

    @classmethod
    def for_instance(
        cls,
        data_dir: Path,
        *,
        tor_dir: Path | None = None,
        source_port: int = 8080,
        journalist_port: int = 8081,
        data_directory: Path | None = None,
    ) -> TorConfig:
        """Describe an instance, reading the enrolled clients from the tor dir."""
        resolved = (tor_dir or data_dir / "tor").absolute()
        return cls(
            tor_dir=resolved,
            source_port=source_port,
            journalist_port=journalist_port,
            journalist_clients=tuple(list_client_auth(resolved))
            + ((SEALED_CLIENT,) if _sealed_path(resolved).exists() else ()),
            data_directory=data_directory,
        )


def _check_path(path: Path, what: str) -> str:
    text = str(path)
    if not path.is_absolute() or _UNSAFE_PATH.search(text):
        raise ConfigError(
            f"the {what} must be an absolute path without spaces, quotes or '#'",
            hint=f"choose another {what}",
        )
    return text


def _check_port(port: int, what: str) -> int:
    if isinstance(port, bool) or not 1 <= port <= 65535:
        raise ConfigError(f"the {what} must be a TCP port (1-65535)", hint=f"fix {what}")
    return port


def _check_name(name: str, *, sealed_ok: bool = False) -> str:
    if sealed_ok and name == SEALED_CLIENT:
        return name
    if not _NAME.match(name):
        raise ConfigError(
            "a journalist name for onion client authorisation must be 1-64 letters, "
            "digits, '-' or '_', starting with a letter or digit",
            hint="use a simple account name such as 'alice'",
        )
    return name


def render_torrc(config: TorConfig) -> str:
    """The torrc text for `config`. Pure: reads nothing, writes nothing."""
    tor_dir = _check_path(config.tor_dir, "tor dir")
    source_port = _check_port(config.source_port, "source port")
    journalist_port = _check_port(config.journalist_port, "journalist port")
    if source_port == journalist_port:
        raise ConfigError(
            "the source and journalist ports must differ",
            hint="the two onions must never share an app: set distinct ports",
        )
    clients = [_check_name(n, sealed_ok=True) for n in config.journalist_clients]

    lines = [
        "# Samizdat onion services, rendered by `samizdat admin tor-config`.",
        "# Re-render after changing the instance instead of editing by hand.",
        "",
    ]
    if config.data_directory is not None:
        lines.append(f"DataDirectory {_check_path(config.data_directory, 'tor data dir')}")
    lines += [
        # The server host never offers a SOCKS proxy: nothing on it should
        # reach the network through tor, and an open proxy is an attack surface.
        "SocksPort 0",
        # Addresses never reach tor's log (no source can be located from it).
        "SafeLogging 1",
        # Not a relay, never an exit: the host's only job is its onions.
        "ExitRelay 0",
        "ExitPolicy reject *:*",
        # Single-hop "non-anonymous" onions would reveal the server's IP.
        "HiddenServiceNonAnonymousMode 0",
        "HiddenServiceSingleHopMode 0",
        "",
        "# Source interface: public, with the proof-of-work defence so a flood",
        "# of introductions costs the attacker, not the sources.",
        f"HiddenServiceDir {tor_dir}/{SOURCE_SERVICE}",
        "HiddenServiceVersion 3",
        f"HiddenServicePort 80 127.0.0.1:{source_port}",
        f"HiddenServiceMaxStreams {SOURCE_MAX_STREAMS}",
        "HiddenServiceMaxStreamsCloseCircuit 1",
        "HiddenServicePoWDefensesEnabled 1",
        "",
    ]
    if clients:
        lines += [
            "# Journalist interface: client authorisation, one file per journalist",
            f"# in {tor_dir}/{JOURNALIST_SERVICE}/{CLIENT_AUTH_DIR}/: " + ", ".join(clients),
            f"HiddenServiceDir {tor_dir}/{JOURNALIST_SERVICE}",
            "HiddenServiceVersion 3",
            f"HiddenServicePort 80 127.0.0.1:{journalist_port}",
            f"HiddenServiceMaxStreams {JOURNALIST_MAX_STREAMS}",
            "HiddenServiceMaxStreamsCloseCircuit 1",
            "",
        ]
    else:
        lines += [
            "# Journalist interface: left out until a journalist is enrolled, because",
            "# tor would serve it without client authorisation (`samizdat admin",
            "# journalist add`, then render this file again).",
            "",
        ]
    return "\n".join(lines)


def client_auth_private_line(onion: str, private_b32: str) -> str:
    """The journalist's line for Tor Browser / `ClientOnionAuthDir`.

    `<56-char address without .onion>:descriptor:x25519:<base32 private key>`.
    """
    if not _ONION.match(onion):
        raise ConfigError("not a v3 onion address", hint="read it from the service's hostname")
    if not _KEY_B32.match(private_b32):
        raise ConfigError("not a base32 x25519 key")
    return f"{onion.removesuffix('.onion')}:descriptor:x25519:{private_b32}"


def _auth_dir(tor_dir: Path) -> Path:
    return tor_dir / JOURNALIST_SERVICE / CLIENT_AUTH_DIR


def write_client_auth(tor_dir: Path, name: str, public_key_b32: str) -> Path:
    """Write `authorized_clients/<name>.auth` (`descriptor:x25519:<key>`), 0600.

    Tor refuses a service dir that others can read, so every directory on the
    way is created 0700. The write is atomic: tor never reads half a key.
    """
    _check_name(name)
    if not _KEY_B32.match(public_key_b32):
        raise ConfigError(
            "not a base32 x25519 public key",
            hint="pass the public half of the client-auth key pair",
        )
    return _write_auth_file(tor_dir, name, public_key_b32)


def _write_auth_file(tor_dir: Path, name: str, public_key_b32: str) -> Path:
    directory = _auth_dir(tor_dir)
    for d in (tor_dir, tor_dir / JOURNALIST_SERVICE, directory):
        d.mkdir(mode=0o700, exist_ok=True)
        os.chmod(d, 0o700)
    target = directory / f"{name}.auth"
    tmp = directory / f".{name}.auth.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, f"descriptor:x25519:{public_key_b32}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    return target


def _sealed_path(tor_dir: Path) -> Path:
    return _auth_dir(tor_dir) / f"{SEALED_CLIENT}.auth"


def seal_journalist_onion(tor_dir: Path) -> Path:
    """Enrol a client whose private key is thrown away at once.

    With it, the journalist onion can exist (and its address be known, so
    the first journalist's key line can name it) before anyone is enrolled,
    with client authorisation already on: nobody can open its descriptor.
    Idempotent; the entry stays harmless after real journalists arrive.
    """
    target = _sealed_path(tor_dir)
    if target.exists():
        return target
    # Only the public half leaves this function; the private half is garbage.
    public = generate_client_auth_keypair().public_b32
    _write_auth_file(tor_dir, SEALED_CLIENT, public)
    return target


def remove_client_auth(tor_dir: Path, name: str) -> bool:
    """Delete a journalist's `.auth` file; True if there was one."""
    target = _auth_dir(tor_dir) / f"{_check_name(name)}.auth"
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    return True


def list_client_auth(tor_dir: Path) -> Sequence[str]:
    """Names with an `.auth` file, sorted (tor ignores other files there)."""
    directory = _auth_dir(tor_dir)
    if not directory.is_dir():
        return []
    return sorted(
        p.name.removesuffix(".auth")
        for p in directory.iterdir()
        if p.suffix == ".auth" and _NAME.match(p.name.removesuffix(".auth"))
    )


def onion_address(tor_dir: Path, service: str) -> str | None:
    """The service's `.onion` address once tor has created it, else None."""
    if service not in (SOURCE_SERVICE, JOURNALIST_SERVICE):
        raise ValueError(service)
    try:
        text = (tor_dir / service / "hostname").read_text("ascii").strip()
    except FileNotFoundError:
        return None
    if not _ONION.match(text):
        raise ConfigError(
            f"the {service} onion's hostname file is malformed",
            hint="stop tor, remove the hostname file and let tor recreate it",
        )
    return text
