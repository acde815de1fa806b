"""Fixtures for the private-Tor-network tests.

`tor_net` boots, once per test session (per xdist worker), a private Tor
network inside a fresh loopback-only namespace: 3 authorities, 3 relays, an
onion host serving a real instance's two onions exactly as `samizdat admin
tor-config` renders them (source: public with PoW; journalist: client
authorisation), a client holding the key line `samizdat admin journalist
add` handed out, and a client without one. Teardown
stops every tor by PID and deletes the namespace, also when a test fails.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from server.torconfig import (
    JOURNALIST_SERVICE,
    SOURCE_SERVICE,
    onion_address,
    seal_journalist_onion,
)
from tests.tor.netns import NetNs, netns_unavailable_reason
from tests.tor.network import Node, PrivateTorNetwork

HELPERS = Path(__file__).parent / "helpers"
# Inside the namespace these ports are private to the test.
SOURCE_PORT = 8080
JOURNALIST_PORT = 8081
JOURNALIST_NAME = "alice"
# A third onion whose authorized_clients/ exists but is empty: it shows why
# the renderer leaves the journalist onion out until someone is enrolled.
EMPTY_AUTH_PORT = 8082


def tor_unavailable_reason() -> str | None:
    for tool in ("tor", "tor-gencert"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (Debian package tor: scripts/install-system-deps.sh)"
    return netns_unavailable_reason()


@dataclass
class TorNet:
    ns: NetNs
    net: PrivateTorNetwork
    data_dir: Path  # the instance; its tor/ is the onion host's service dir
    host: Node
    client: Node  # has the journalist's client-auth key
    stranger: Node  # has no key
    enrolment: dict[str, str]  # `admin journalist add --json`
    identity: Path  # the journalist's passphrase-protected key
    passphrase: Path
    source_onion: str
    journalist_onion: str
    empty_auth_onion: str
    timings: dict[str, float] = field(default_factory=dict)

    def socks_url(self, who: Node) -> str:
        index = 0 if who is self.client else 1
        return f"socks5h://127.0.0.1:{self.net.socks_port(index)}"

    def socks_port(self, who: Node) -> int:
        return self.net.socks_port(0 if who is self.client else 1)

    def helper(self, *args: str, timeout: float = 150) -> dict[str, Any]:
        """Run the SOCKS test client inside the namespace; its JSON answer."""
        proc = subprocess.run(
            [*self.ns.prefix(), sys.executable, str(HELPERS / "socks_client.py"), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        try:
            out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            out = {"error": f"helper failed: {proc.stdout!r} {proc.stderr[-2000:]!r}"}
        return out

    def get_with_retry(self, who: Node, url: str, budget: float = 60) -> dict[str, Any]:
        """GET through `who`, retrying with NEWNYM: the first attempt often
        races the descriptor upload ("descriptor not found yet" is normal).
        The answer carries `attempts` and `until_ok` (seconds, all attempts)."""
        start = time.monotonic()
        deadline = start + budget
        attempts = 0
        while True:
            attempts += 1
            out = self.helper("get", self.socks_url(who), url)
            if "error" not in out or time.monotonic() > deadline:
                out.update(attempts=attempts, until_ok=time.monotonic() - start)
                return out
            self.net.check_alive()
            self.net.newnym(who)
            time.sleep(1)

    def serve(self, port: int, marker: str) -> subprocess.Popen[str]:
        """Start the plain HTTP server inside the namespace on 127.0.0.1:port."""
        proc = subprocess.Popen(
            [*self.ns.prefix(), sys.executable, str(HELPERS / "http_sink.py"), str(port), marker],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            proc.kill()
            raise RuntimeError(
                f"http_sink did not start: {proc.stderr.read() if proc.stderr else ''}"
            )
        return proc


def samizdat(*args: str | Path, timeout: float = 120) -> str:
    """Run the real CLI (outside the namespace: these commands use no network)."""
    proc = subprocess.run(
        [sys.executable, "-m", "samizdat", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"samizdat {args[:3]} failed: {proc.stdout}{proc.stderr}")
    return proc.stdout


def _boot(net: PrivateTorNetwork) -> TorNet:
    root = net.root
    t0 = time.monotonic()
    net.build()
    timings: dict[str, float] = {"keys_and_torrcs": time.monotonic() - t0}
    net.start(net.nodes)

    # Meanwhile: a real instance, and a journalist key made as on the
    # air-gapped workstation.
    data_dir = root / "instance"
    samizdat("admin", "init", "--data-dir", data_dir, "--yes")
    tor_dir = data_dir / "tor"
    # What deploy/samizdat-tor-sync does: the journalist onion exists from the
    # start, with client authorisation on and nobody holding a key.
    seal_journalist_onion(tor_dir)
    passphrase = root / "passphrase"
    passphrase.write_text(secrets.token_urlsafe(16) + "\n")
    identity = root / "alice.key"
    samizdat("journalist", "keygen", "--out", identity, "--passphrase-file", passphrase)

    net.wait_for_consensus()
    timings["consensus_with_all_relays"] = time.monotonic() - t0

    # The onion host runs exactly the services `samizdat admin tor-config`
    # renders for this instance, plus one probe onion (empty authorized_clients/).
    services = samizdat("admin", "tor-config", "--data-dir", data_dir)
    empty_auth = root / "empty-auth-onion"
    (empty_auth / "authorized_clients").mkdir(mode=0o700, parents=True)
    empty_auth.chmod(0o700)
    services += f"HiddenServiceDir {empty_auth}\nHiddenServicePort 80 127.0.0.1:{EMPTY_AUTH_PORT}\n"
    host = net.add_onion_host("host", services)
    net.start([host])
    deadline = time.monotonic() + 30
    while (
        onion_address(tor_dir, SOURCE_SERVICE) is None
        or onion_address(tor_dir, JOURNALIST_SERVICE) is None
    ):
        net.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError("the onion host wrote no hostname files")
        time.sleep(0.2)
    source_onion = onion_address(tor_dir, SOURCE_SERVICE)
    journalist_onion = onion_address(tor_dir, JOURNALIST_SERVICE)
    assert source_onion is not None and journalist_onion is not None

    # Enrol the journalist now that the address exists: the CLI's key line
    # names it. Then reload tor, as the sync does in production.
    enrolment = json.loads(
        samizdat(
            "admin", "journalist", "add", JOURNALIST_NAME,
            "--public-key", f"{identity}.pub", "--data-dir", data_dir, "--json", "--yes",
        )
    )  # fmt: skip
    assert enrolment["client_auth"].startswith(journalist_onion.removesuffix(".onion") + ":")
    net.control(host, "SIGNAL RELOAD")

    # The journalist's side: exactly the line the admin handed out, in a
    # ClientOnionAuthDir file (what Tor Browser stores too).
    auth_dir = root / "client-auth"
    auth_dir.mkdir(mode=0o700)
    key_file = auth_dir / f"{JOURNALIST_NAME}.auth_private"
    key_file.write_text(enrolment["client_auth"] + "\n")
    key_file.chmod(0o600)
    client = net.add_client("client", 0, auth_dir=auth_dir)
    stranger = net.add_client("stranger", 1)
    net.start([client, stranger])
    net.wait_bootstrapped([host, client, stranger])
    timings["edges_bootstrapped"] = time.monotonic() - t0
    return TorNet(
        ns=net.ns,
        net=net,
        data_dir=data_dir,
        host=host,
        client=client,
        stranger=stranger,
        enrolment=enrolment,
        identity=identity,
        passphrase=passphrase,
        source_onion=source_onion,
        journalist_onion=journalist_onion,
        empty_auth_onion=(empty_auth / "hostname").read_text().strip(),
        timings=timings,
    )


@pytest.fixture(scope="session")
def tor_net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TorNet]:
    reason = tor_unavailable_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("tornet")
    root.chmod(0o700)
    ns = NetNs()
    ns.create()
    net = PrivateTorNetwork(root=root, ns=ns)
    try:
        yield _boot(net)
    finally:
        # Also on failure: every tor by PID, then anything left in the
        # namespace by PID, then the namespace.
        net.stop()
        ns.destroy()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the measured Tor timings (carried from xdist workers as user_properties)."""
    lines = []
    for reports in terminalreporter.stats.values():
        for rep in reports:
            for key, value in getattr(rep, "user_properties", []):
                if key.startswith("tor_"):
                    lines.append(f"{rep.nodeid}: {key} = {value}")
    if lines:
        terminalreporter.section("private Tor network timings")
        for line in sorted(set(lines)):
            terminalreporter.write_line(line)
