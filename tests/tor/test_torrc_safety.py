"""The harness refuses any torrc that could reach beyond loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tor.netns import NetNs
from tests.tor.network import Node, PrivateTorNetwork
from tests.tor.torrc_safety import UnsafeTorrc, check_torrc

AUTH = "DirAuthority auth0 orport=5100 no-v2 v3ident=" + "A" * 40 + " 127.0.0.1:7100 " + "B" * 40
GOOD = f"""\
TestingTorNetwork 1
UseDefaultFallbackDirs 0
{AUTH}
Address 127.0.0.1
ORPort 127.0.0.1:5100
SocksPort 127.0.0.1:9100 ExtendedErrors
ControlSocket /tmp/x/control.sock
ExitPolicy reject *:*
HiddenServicePort 80 127.0.0.1:8080
"""


def test_a_loopback_testing_torrc_passes() -> None:
    check_torrc(GOOD)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("TestingTorNetwork 1", "TestingTorNetwork 0"),
        ("TestingTorNetwork 1", "# TestingTorNetwork 1"),
        ("UseDefaultFallbackDirs 0", ""),
        (AUTH, ""),
        ("127.0.0.1:7100", "128.31.0.39:9131"),
        ("Address 127.0.0.1", "Address 10.0.0.1"),
        ("Address 127.0.0.1", "Address tor.example.org"),
        ("ORPort 127.0.0.1:5100", "ORPort 5100"),
        ("ORPort 127.0.0.1:5100", "ORPort 0.0.0.0:5100"),
        ("ORPort 127.0.0.1:5100", "ORPort [2001:db8::1]:5100"),
        ("SocksPort 127.0.0.1:9100", "SocksPort 9050"),
        ("HiddenServicePort 80 127.0.0.1:8080", "HiddenServicePort 80 192.0.2.7:8080"),
        ("ExitPolicy reject *:*", "Socks5Proxy 127.0.0.1:1080"),
        ("ExitPolicy reject *:*", "%include /etc/tor/torrc"),
        ("ExitPolicy reject *:*", "UseBridges 1"),
        ("ExitPolicy reject *:*", "FallbackDir 127.0.0.1:80 orport=9001 id=" + "C" * 40),
        ("ExitPolicy reject *:*", "OutboundBindAddress 192.0.2.1"),
        ("ExitPolicy reject *:*", "ExitPolicy accept 192.0.2.1:*"),
        ("ExitPolicy reject *:*", "ORPort 127.0.0.1:1 \\"),
    ],
)
def test_anything_reaching_past_loopback_is_refused(old: str, new: str) -> None:
    assert old in GOOD
    with pytest.raises(UnsafeTorrc):
        check_torrc(GOOD.replace(old, new))


def test_ipv6_loopback_is_fine() -> None:
    check_torrc(GOOD.replace("SocksPort 127.0.0.1:9100", "SocksPort [::1]:9100"))


def test_the_harness_refuses_to_launch_an_unsafe_torrc(tmp_path: Path) -> None:
    # The check runs again right before launch, on the file tor would read:
    # a torrc edited after it was written is still refused, and no process starts.
    net = PrivateTorNetwork(root=tmp_path, ns=NetNs())
    node = Node("rogue", tmp_path, tmp_path / "torrc")
    node.torrc.write_text(GOOD.replace("TestingTorNetwork 1", "TestingTorNetwork 0"))
    with pytest.raises(UnsafeTorrc):
        net.start([node])
    assert node.proc is None
