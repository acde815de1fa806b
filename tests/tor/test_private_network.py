"""Real tor, privately: the instance's onions reached over a loopback Tor network.

(a) the source onion serves a plain HTTP server through a real rendezvous,
including a 5 MiB upload; (b) the journalist onion is reachable with the
journalist's client-auth key and refused, as "missing client
authorisation", without it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

import pytest

from tests.tor.conftest import EMPTY_AUTH_PORT, JOURNALIST_PORT, SOURCE_PORT, TorNet

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tor")]

UPLOAD_BYTES = 5 * 1024 * 1024
# Tor's extended SOCKS5 reply (prop 304): the onion's descriptor exists but
# this client holds no key to decrypt it.
SOCKS_MISSING_CLIENT_AUTH = 0xF4


def test_source_onion_serves_http_and_a_5mib_upload(
    tor_net: TorNet, record_property: Callable[[str, object], None]
) -> None:
    marker = secrets.token_hex(8)
    server = tor_net.serve(SOURCE_PORT, marker)
    try:
        url = f"http://{tor_net.source_onion}/"
        first = tor_net.get_with_retry(tor_net.stranger, url)
        assert first.get("status") == 200, first
        assert first["body"] == marker
        upload = tor_net.helper(
            "upload", tor_net.socks_url(tor_net.stranger), url, str(UPLOAD_BYTES)
        )
        assert upload.get("status") == 200, upload
        received = json.loads(upload["body"])
        assert received == {"length": UPLOAD_BYTES, "sha256": upload["sha256"]}
    finally:
        server.kill()
        server.wait()
    for key, value in tor_net.timings.items():
        record_property(f"tor_{key}_s", round(value, 1))
    record_property("tor_upload_5MiB_s", round(upload["seconds"], 2))
    record_property("tor_first_fetch_s", round(first["until_ok"], 1))
    record_property("tor_first_fetch_attempts", first["attempts"])
    print(
        f"timings: {tor_net.timings}; first fetch {first['until_ok']:.1f} s in "
        f"{first['attempts']} attempt(s); 5 MiB upload {upload['seconds']:.2f} s"
    )


def test_journalist_onion_needs_the_client_auth_key(
    tor_net: TorNet, record_property: Callable[[str, object], None]
) -> None:
    marker = secrets.token_hex(8)
    server = tor_net.serve(JOURNALIST_PORT, marker)
    try:
        url = f"http://{tor_net.journalist_onion}/"
        with_key = tor_net.get_with_retry(tor_net.client, url)
        assert with_key.get("status") == 200, with_key
        assert with_key["body"] == marker
        # The stranger finds the descriptor (the onion is published) but cannot
        # decrypt it: tor says so precisely instead of timing out.
        without = tor_net.helper(
            "socks-reply", str(tor_net.socks_port(tor_net.stranger)), tor_net.journalist_onion
        )
        assert without == {"reply": SOCKS_MISSING_CLIENT_AUTH}, without
        # And the full HTTP path fails too.
        denied = tor_net.helper("get", tor_net.socks_url(tor_net.stranger), url)
        assert "error" in denied and marker not in json.dumps(denied)
    finally:
        server.kill()
        server.wait()
    record_property("tor_journalist_fetch_s", round(with_key["seconds"], 2))


def test_tor_serves_an_onion_with_empty_authorized_clients_to_anyone(tor_net: TorNet) -> None:
    """Tor's behaviour the renderer guards against: with no `.auth` file,
    client authorisation is silently off. Hence server.torconfig leaves the
    journalist onion out of the torrc until a journalist is enrolled."""
    marker = secrets.token_hex(8)
    server = tor_net.serve(EMPTY_AUTH_PORT, marker)
    try:
        out = tor_net.get_with_retry(tor_net.stranger, f"http://{tor_net.empty_auth_onion}/")
        assert out.get("status") == 200, out
        assert out["body"] == marker
    finally:
        server.kill()
        server.wait()
