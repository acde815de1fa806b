"""The gate every test torrc passes before a tor process may start.

This machine must never send a packet to the public Tor network. The network
namespace is the wall; this check is the second one: a torrc is refused
unless it declares `TestingTorNetwork 1` and `UseDefaultFallbackDirs 0`,
names its own directory authorities, and every address, port and authority
in it is on loopback (or a Unix socket). It must never be loosened to let a
test "just run" against a real address.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["UnsafeTorrc", "check_torrc"]


class UnsafeTorrc(ValueError):
    """A torrc that could reach beyond loopback; tor is not started."""


# Options whose value is (or starts with) a listen address or port.
_PORT_OPTIONS = {
    "orport",
    "dirport",
    "socksport",
    "controlport",
    "dnsport",
    "transport",
    "natdport",
    "httptunnelport",
    "metricsport",
    "extorport",
}
# Options that are an address (or list of them) on their own.
_ADDRESS_OPTIONS = {"address", "outboundbindaddress", "outboundbindaddressor"}
# Options that would route tor's own traffic somewhere else, or pull in
# configuration this check cannot see.
_FORBIDDEN = {
    "%include",
    "bridge",
    "usebridges",
    "fallbackdir",
    "alternatedirauthority",
    "alternatebridgeauthority",
    "socks4proxy",
    "socks5proxy",
    "httpsproxy",
    "tcpproxy",
    "clienttransportplugin",
    "servertransportplugin",
    "reachableaddresses",
    "myfamily",
}
_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
_IPV6 = re.compile(r"\[([0-9A-Fa-f:.]+)\]")


def _options(text: str) -> list[tuple[str, str]]:
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith("\\"):
            raise UnsafeTorrc("continued lines are not allowed in a test torrc")
        key, _, value = line.partition(" ")
        out.append((key.lower(), value.strip()))
    return out


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_listen(key: str, value: str) -> None:
    first = value.split(maxsplit=1)[0] if value else ""
    if first in ("0", "") or first.startswith("unix:"):
        return
    if first.startswith("["):
        host = first[1 : first.index("]")]
    elif ":" in first:
        host = first.rsplit(":", 1)[0]
    else:
        # A bare port binds every interface.
        raise UnsafeTorrc(f"{key} {value!r}: a port needs an explicit loopback address")
    if not _loopback(host):
        raise UnsafeTorrc(f"{key} {value!r} is not on loopback")


def _check_authority(value: str) -> None:
    addrs = re.findall(r"(?<![=\w])(\S+):(\d+)(?=\s|$)", value)
    if not addrs:
        raise UnsafeTorrc(f"DirAuthority {value!r} names no address")
    for host, _port in addrs:
        if not _loopback(host.strip("[]")):
            raise UnsafeTorrc(f"DirAuthority {value!r} is not on loopback")


def check_torrc(text: str) -> None:
    """Raise UnsafeTorrc unless `text` is a loopback-only testing-network torrc."""
    options = _options(text)
    keys = {k for k, _ in options}
    values = {(k, v) for k, v in options}
    if ("testingtornetwork", "1") not in values:
        raise UnsafeTorrc("a test torrc must say TestingTorNetwork 1")
    if ("usedefaultfallbackdirs", "0") not in values:
        raise UnsafeTorrc("a test torrc must say UseDefaultFallbackDirs 0")
    if "dirauthority" not in keys:
        # Without its own authorities tor would use the public ones.
        raise UnsafeTorrc("a test torrc must name its own DirAuthority lines")
    for key, value in options:
        if key in _FORBIDDEN:
            raise UnsafeTorrc(f"option {key} is not allowed in a test torrc")
        if key in _PORT_OPTIONS:
            _check_listen(key, value)
        elif key in _ADDRESS_OPTIONS:
            if not _loopback(value.split()[0].strip("[]")):
                raise UnsafeTorrc(f"{key} {value!r} is not on loopback")
        elif key == "dirauthority":
            _check_authority(value)
        elif key == "hiddenserviceport":
            parts = value.split()
            target = parts[1] if len(parts) > 1 else ""
            if not target.startswith("unix:"):
                _check_listen(key, target)
        # Any other address literal anywhere must be loopback too.
        for literal in _IPV4.findall(value) + _IPV6.findall(value):
            if not _loopback(literal):
                raise UnsafeTorrc(f"{key} {value!r} names a non-loopback address")
