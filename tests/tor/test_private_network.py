"""Real tor, privately: the instance's onions reached over a loopback Tor network.

(a) the source onion serves a plain HTTP server through a real rendezvous,
including a 5 MiB upload; (b) the journalist onion is reachable with the
key line `admin journalist add` handed out and refused, as "missing client
authorisation", without it; (c) the real flow: a source submits to
`samizdat serve` through the source onion and `samizdat journalist fetch`
downloads the sealed bundle through the journalist onion.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from crypto.totp import totp_code
from tests.tor.conftest import EMPTY_AUTH_PORT, JOURNALIST_PORT, SOURCE_PORT, TorNet, samizdat

pytestmark = [pytest.mark.slow]
Record = Callable[[str, object], None]

UPLOAD_BYTES = 5 * 1024 * 1024
# Tor's extended SOCKS5 reply (prop 304): the onion's descriptor exists but
# this client holds no key to decrypt it.
SOCKS_MISSING_CLIENT_AUTH = 0xF4


def check_source_onion_serves_http_and_a_5mib_upload(
    tor_net: TorNet, tmp_path: Path, record_property: Record
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


def check_journalist_onion_needs_the_client_auth_key(
    tor_net: TorNet, tmp_path: Path, record_property: Record
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


def check_tor_serves_an_onion_with_empty_authorized_clients_to_anyone(
    tor_net: TorNet, tmp_path: Path, record_property: Record
) -> None:
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


def check_a_source_upload_reaches_the_journalist_through_both_onions(
    tor_net: TorNet, tmp_path: Path, record_property: Record
) -> None:
    """The real flow: `samizdat serve` behind the instance's onions; a source
    submits through the source onion; `samizdat journalist fetch` downloads
    the sealed bundle through the client-authorised journalist onion; the
    offline `decrypt` opens it."""
    data_dir = tor_net.data_dir
    server = subprocess.Popen(
        [*tor_net.ns.prefix(), sys.executable, "-m", "samizdat", "serve", "--data-dir", data_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for port in (SOURCE_PORT, JOURNALIST_PORT):
            ready = tor_net.helper("wait-http", f"http://127.0.0.1:{port}/", "60")
            assert "status" in ready, ready
        marker = secrets.token_hex(16)
        # Make sure the descriptors are reachable before the timed steps.
        home = tor_net.get_with_retry(tor_net.stranger, f"http://{tor_net.source_onion}/")
        assert home.get("status") == 200, home
        submitted = tor_net.helper(
            "source-submit",
            tor_net.socks_url(tor_net.stranger),
            f"http://{tor_net.source_onion}",
            "evidence.txt",
            marker,
        )
        assert submitted.get("status") == 200, submitted
        assert "evidence.txt" in submitted["page"]
        assert marker not in submitted["page"]

        journalist_home = tor_net.get_with_retry(
            tor_net.client, f"http://{tor_net.journalist_onion}/"
        )
        assert "error" not in journalist_home, journalist_home
        password = tmp_path / "password"
        password.write_text(tor_net.enrolment["password"] + "\n")
        server_key = tmp_path / "server.pub"
        samizdat("admin", "signing-key", "export", "--out", server_key, "--data-dir", data_dir)
        out = tmp_path / "fetched"
        start = time.monotonic()
        fetch = subprocess.run(
            [
                *tor_net.ns.prefix(), sys.executable, "-m", "samizdat", "journalist", "fetch",
                "--server", f"http://{tor_net.journalist_onion}",
                "--user", tor_net.enrolment["name"],
                "--password-file", str(password),
                "--otp", totp_code(tor_net.enrolment["totp_secret"], time.time()),
                "--server-key", str(server_key),
                "--proxy", tor_net.socks_url(tor_net.client),
                "--out", str(out),
            ],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        fetch_seconds = time.monotonic() - start
        assert fetch.returncode == 0, fetch.stdout + fetch.stderr
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    bundles = sorted(out.glob("*.age"))
    assert len(bundles) == 1, sorted(p.name for p in out.iterdir())
    assert (out / f"{bundles[0].name}.minisig").is_file()
    assert (out / "server-keys.json").is_file()
    assert not (out / "quarantine").exists() or not any((out / "quarantine").iterdir())
    assert marker.encode() not in bundles[0].read_bytes()

    opened = tmp_path / "opened"
    samizdat(
        "journalist", "decrypt", *bundles, "--identity", tor_net.identity,
        "--passphrase-file", tor_net.passphrase, "--server-key", server_key, "--out", opened,
    )  # fmt: skip
    texts = [p.read_bytes() for p in opened.rglob("*") if p.is_file()]
    assert any(f"document {marker}".encode() in t for t in texts)
    assert any(f"message {marker}".encode() in t for t in texts)
    record_property("tor_source_submit_s", round(submitted["seconds"], 2))
    record_property("tor_journalist_fetch_cli_s", round(fetch_seconds, 2))


STEPS = [
    check_source_onion_serves_http_and_a_5mib_upload,
    check_journalist_onion_needs_the_client_auth_key,
    check_tor_serves_an_onion_with_empty_authorized_clients_to_anyone,
    check_a_source_upload_reaches_the_journalist_through_both_onions,
]


def test_private_tor_network(tor_net: TorNet, tmp_path: Path, record_property: Record) -> None:
    """Every check on one network. One test, not four: with `-n 2` xdist would
    otherwise boot a second eight-tor network on the other worker of a
    2-core machine. A failing step does not hide the others."""
    failures = []
    for step in STEPS:
        workdir = tmp_path / step.__name__
        workdir.mkdir()
        try:
            step(tor_net, workdir, record_property)
        except Exception:
            failures.append(f"--- {step.__name__}\n{traceback.format_exc(limit=-3)}")
    assert not failures, "\n".join(failures)
