"""A private Tor network on loopback, inside a network namespace.

Three directory authorities (keys from `tor-gencert`, identities from
`tor --list-fingerprint`), three relays, an onion host and clients, all with
`TestingTorNetwork 1` and a 10 s voting interval: the technique of Tor's own
test tool (chutney), written from its documentation.

Rules this module keeps (the machine has no Internet, and any traffic
outside loopback is forbidden):
- tor is only ever started as `tor --defaults-torrc /dev/null -f <our torrc>`
  (never with the system config), inside the namespace, after
  `check_torrc` has accepted the file;
- every tor it started is stopped by PID on `stop()`, which the fixture's
  finalizer and an atexit hook both call, also when a test fails.
"""

from __future__ import annotations

import atexit
import contextlib
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.tor.netns import NetNs
from tests.tor.torrc_safety import check_torrc

__all__ = ["Node", "PrivateTorNetwork"]

N_AUTHORITIES = 3
N_RELAYS = 3
# Ports exist only inside the namespace's own loopback, so fixed numbers
# cannot clash with anything else on the machine.
_OR_BASE = 5100
_DIR_BASE = 7100
_SOCKS_BASE = 9100

_COMMON = """\
TestingTorNetwork 1
UseDefaultFallbackDirs 0
DataDirectory {datadir}
PidFile {datadir}/pid
Nickname {nick}
ContactInfo {nick}@test.invalid
Log notice file {datadir}/notice.log
SafeLogging 0
ShutdownWaitLength 0
ClientUseIPv6 0
ControlSocket {datadir}/control.sock
CookieAuthentication 0
{authorities}
"""

_RELAY = """\
Address 127.0.0.1
ORPort 127.0.0.1:{orport}
SocksPort 0
AssumeReachable 1
ExitRelay 0
ExitPolicy reject *:*
"""

_AUTHORITY = """\
DirPort 127.0.0.1:{dirport}
AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
TestingV3AuthInitialVotingInterval 10
TestingV3AuthInitialVoteDelay 2
TestingV3AuthInitialDistDelay 2
V3AuthVotingInterval 10
V3AuthVoteDelay 2
V3AuthDistDelay 2
V3AuthNIntervalsValid 2
TestingDirAuthVoteHSDir *
TestingDirAuthVoteGuard *
"""

_EDGE = """\
AssumeReachable 1
PathsNeededToBuildCircuits 0.67
FetchDirInfoEarly 1
FetchDirInfoExtraEarly 1
"""


@dataclass
class Node:
    nick: str
    datadir: Path
    torrc: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def control_socket(self) -> Path:
        return self.datadir / "control.sock"

    def log(self) -> str:
        try:
            return (self.datadir / "notice.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""


@dataclass
class PrivateTorNetwork:
    """Build and run the network under `root` in namespace `ns`."""

    root: Path
    ns: NetNs
    nodes: list[Node] = field(default_factory=list)
    authority_lines: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    # ---- building -------------------------------------------------------

    def _node_dir(self, nick: str) -> Path:
        d = self.root / nick
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
        return d

    def _write_torrc(self, node: Node, body: str, authorities: list[str] | None = None) -> None:
        lines = self.authority_lines if authorities is None else authorities
        text = (
            _COMMON.format(datadir=node.datadir, nick=node.nick, authorities="\n".join(lines))
            + body
        )
        check_torrc(text)
        node.torrc.write_text(text)

    def _make_authority(self, i: int) -> tuple[Node, str]:
        nick = f"auth{i}"
        d = self._node_dir(nick)
        keys = d / "keys"
        keys.mkdir(mode=0o700, exist_ok=True)
        dirport = _DIR_BASE + i
        orport = _OR_BASE + i
        # Authority certificate: identity key, signing key, 12 months. The
        # identity passphrase is empty (read from stdin).
        subprocess.run(
            [
                *self.ns.prefix(),
                "tor-gencert",
                "--create-identity-key",
                "--passphrase-fd",
                "0",
                "-i",
                str(keys / "authority_identity_key"),
                "-s",
                str(keys / "authority_signing_key"),
                "-c",
                str(keys / "authority_certificate"),
                "-m",
                "12",
                "-a",
                f"127.0.0.1:{dirport}",
            ],
            input=b"\n",
            check=True,
            capture_output=True,
            timeout=60,
        )
        cert = (keys / "authority_certificate").read_text()
        v3ident = re.search(r"^fingerprint ([0-9A-F]{40})$", cert, re.M)
        if v3ident is None:
            raise RuntimeError("tor-gencert wrote no fingerprint")
        node = Node(nick, d, d / "torrc")
        # The relay identity comes from `tor --list-fingerprint`, run on a
        # preliminary torrc that already passes the safety check (a dummy
        # loopback authority: tor needs one in a testing network).
        dummy = f"DirAuthority dummy orport=1 no-v2 v3ident={'0' * 40} 127.0.0.1:1 {'0' * 40}"
        self._write_torrc(
            node, _RELAY.format(orport=orport) + _AUTHORITY.format(dirport=dirport), [dummy]
        )
        out = subprocess.run(
            [
                *self.ns.prefix(),
                "tor",
                "--list-fingerprint",
                "--defaults-torrc",
                "/dev/null",
                "-f",
                str(node.torrc),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        m = re.search(rf"^{nick} ((?:[0-9A-F]{{4}} ?){{10}})$", out, re.M)
        if m is None:
            raise RuntimeError(f"tor --list-fingerprint gave no fingerprint: {out!r}")
        fpr = m.group(1).replace(" ", "")
        line = (
            f"DirAuthority {nick} orport={orport} no-v2 v3ident={v3ident.group(1)} "
            f"127.0.0.1:{dirport} {fpr}"
        )
        return node, line

    def build(self) -> None:
        """Make every key and torrc of the authorities and relays."""
        # Key generation is CPU-bound in the child processes: run them at once.
        with ThreadPoolExecutor(max_workers=N_AUTHORITIES) as pool:
            auths = list(pool.map(self._make_authority, range(N_AUTHORITIES)))
        self.authority_lines = [line for _, line in auths]
        for i, (node, _) in enumerate(auths):
            self._write_torrc(
                node,
                _RELAY.format(orport=_OR_BASE + i) + _AUTHORITY.format(dirport=_DIR_BASE + i),
            )
            self.nodes.append(node)
        for j in range(N_RELAYS):
            nick = f"relay{j}"
            d = self._node_dir(nick)
            node = Node(nick, d, d / "torrc")
            self._write_torrc(node, _RELAY.format(orport=_OR_BASE + N_AUTHORITIES + j))
            self.nodes.append(node)

    def add_onion_host(self, nick: str, services_torrc: str) -> Node:
        """An onion host: the edge options plus `services_torrc` (HiddenService*)."""
        d = self._node_dir(nick)
        node = Node(nick, d, d / "torrc")
        self._write_torrc(node, _EDGE + "SocksPort 0\n" + services_torrc)
        self.nodes.append(node)
        return node

    def add_client(self, nick: str, socks_index: int, auth_dir: Path | None = None) -> Node:
        """A client with a SOCKS port (extended errors on, so a missing client-auth
        key is reported as such) and, optionally, a ClientOnionAuthDir."""
        d = self._node_dir(nick)
        node = Node(nick, d, d / "torrc")
        body = _EDGE + f"SocksPort 127.0.0.1:{self.socks_port(socks_index)} ExtendedErrors\n"
        if auth_dir is not None:
            body += f"ClientOnionAuthDir {auth_dir}\n"
        self._write_torrc(node, body)
        self.nodes.append(node)
        return node

    @staticmethod
    def socks_port(index: int) -> int:
        return _SOCKS_BASE + index

    # ---- running --------------------------------------------------------

    def start(self, nodes: Iterable[Node]) -> None:
        for node in nodes:
            if node.proc is not None:
                continue
            # Re-check right before launch: the file on disk is what tor reads.
            check_torrc(node.torrc.read_text())
            log = (node.datadir / "stdout.log").open("wb")
            node.proc = subprocess.Popen(
                [
                    *self.ns.prefix(),
                    "tor",
                    "--defaults-torrc",
                    "/dev/null",
                    "-f",
                    str(node.torrc),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            log.close()
            _LIVE.add(node.proc)

    def stop(self) -> None:
        """Stop every tor this network started, by PID (SIGTERM, then SIGKILL)."""
        procs = [n.proc for n in self.nodes if n.proc is not None]
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
            _LIVE.discard(p)

    def check_alive(self) -> None:
        for n in self.nodes:
            if n.proc is not None and n.proc.poll() is not None:
                tail = "\n".join(n.log().splitlines()[-15:])
                raise RuntimeError(f"tor {n.nick} exited ({n.proc.returncode}):\n{tail}")

    def consensus_relays(self) -> int:
        """Relays listed as Running in the newest consensus an authority holds."""
        best = 0
        for n in self.nodes[:N_AUTHORITIES]:
            path = n.datadir / "cached-microdesc-consensus"
            try:
                text = path.read_text(errors="replace")
            except FileNotFoundError:
                continue
            running = sum(
                1 for line in text.splitlines() if line.startswith("s ") and "Running" in line
            )
            best = max(best, running)
        return best

    def wait_for_consensus(self, timeout: float = 90) -> None:
        """Until an authority's consensus lists every relay (and authority) running."""
        want = N_AUTHORITIES + N_RELAYS
        deadline = time.monotonic() + timeout
        while self.consensus_relays() < want:
            self.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"consensus lists {self.consensus_relays()}/{want} relays")
            time.sleep(0.5)

    def wait_bootstrapped(self, nodes: Iterable[Node], timeout: float = 90) -> None:
        pending = list(nodes)
        deadline = time.monotonic() + timeout
        while pending:
            self.check_alive()
            pending = [n for n in pending if "Bootstrapped 100%" not in n.log()]
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not bootstrapped: {[n.nick for n in pending]}")
            time.sleep(0.3)

    @staticmethod
    def control(node: Node, command: str) -> str:
        """One command on the node's control socket (a Unix socket, so the test
        process can reach it from outside the namespace without any network)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(str(node.control_socket))
            s.sendall(f'AUTHENTICATE ""\r\n{command}\r\nQUIT\r\n'.encode())
            chunks = []
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
        reply = b"".join(chunks).decode(errors="replace")
        if not reply.startswith("250"):
            raise RuntimeError(f"control command {command!r} failed: {reply!r}")
        return reply

    def newnym(self, node: Node) -> None:
        self.control(node, "SIGNAL NEWNYM")


# Every tor still running, for the atexit safety net (a crashed fixture or an
# interrupted run must not leave tor processes behind).
_LIVE: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _kill_leftovers() -> None:
    for p in list(_LIVE):
        with contextlib.suppress(Exception):
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
