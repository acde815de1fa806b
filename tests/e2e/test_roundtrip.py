"""The round trip, with real processes end to end (issue 5).

`samizdat admin init`; two journalists make keys offline and are enrolled;
`samizdat serve` runs; a source follows the real forms and submits two files
and a message; journalist A fetches with the CLI, decrypts offline (files
equal the expected cleaned output, scrub report present, message intact),
seals a reply and uploads it; the source signs in and reads it; journalist B
decrypts the same bundle; the stock `age` opens the bundle with A's identity
and `minisign -V` verifies it with the exported server key.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image

from crypto.totp import STEP_SECONDS, step_of, totp_code
from scrub.api import scrub_bytes
from scrub.base import Outcome
from tests.support.scan import scan_paths

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODENAME = re.compile(r'id="codename"[^>]*>([^<]+)<')
MESSAGE = "The minutes of the board meeting are attached. -- a friend"
REPLY = "Thank you. We are reading them now; come back in a week."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cli:
    """Runs the real `samizdat` command without a TTY, like a script would."""

    def __init__(self, client_dir: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SAMIZDAT_")}
        self.env["SAMIZDAT_CLIENT_DIR"] = str(client_dir)

    def __call__(self, *args: str | Path) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "samizdat", *map(str, args)],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, (
            f"samizdat {' '.join(map(str, args))} -> {proc.returncode}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
        return proc.stdout


class Totp:
    """Fresh codes for a real server clock: each code works once, so every
    sign-in takes a later time step (within the ±1 window, or waits)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.last = 0

    def code(self) -> str:
        now = step_of(time.time())
        step = max(self.last + 1, now)
        if step > now + 1:
            time.sleep((step - 1) * STEP_SECONDS - time.time() + 0.5)
        self.last = step
        return totp_code(self.secret, step * STEP_SECONDS)


def _jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc"  # Make
    exif[0x0131] = "LeakyEditor 1.0"  # Software
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"serve did not listen on {port}: {log.read_text()}")


def _age_decrypt_identity(identity_file: Path, passphrase: str, out: Path) -> None:
    """Unlock the passphrase-protected identity with the stock `age` (it reads
    the passphrase from a terminal, so give it one)."""
    pid, fd = pty.fork()
    if pid == 0:  # child: become age
        os.execvp("age", ["age", "-d", "-o", str(out), str(identity_file)])  # noqa: S606
    sent = False
    output = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if not sent and b"passphrase" in output.lower():
                os.write(fd, passphrase.encode() + b"\n")
                sent = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, output.decode(errors="replace")


@pytest.mark.slow
def test_round_trip(tmp_path: Path) -> None:
    for tool in ("age", "minisign"):
        if shutil.which(tool) is None:
            pytest.xfail(f"the stock `{tool}` CLI is not installed on this machine")
    data_dir = tmp_path / "instance"
    cli = Cli(tmp_path / "client-config")
    passphrase = "correct horse battery staple orbit"
    pf = tmp_path / "passphrase.txt"
    pf.write_text(passphrase + "\n")

    # -- admin and keys (air-gapped keygen for both journalists) -------------
    cli("admin", "init", "--data-dir", data_dir)
    creds = {}
    for name in ("alice", "bob"):
        ident = tmp_path / name / "identity.age"
        cli("journalist", "keygen", "--out", ident, "--passphrase-file", pf)
        out = cli(
            "admin", "journalist", "add", name, "--public-key", f"{ident}.pub",
            "--json", "--yes", "--data-dir", data_dir,
        )  # fmt: skip
        enrolment = json.loads(out)
        assert {"name", "password", "totp_secret", "client_auth"} <= set(enrolment)
        pwfile = tmp_path / name / "password.txt"
        pwfile.write_text(enrolment["password"] + "\n")
        creds[name] = (ident, pwfile, Totp(enrolment["totp_secret"]))
    server_pub = tmp_path / "server.pub"
    cli("admin", "signing-key", "export", "--out", server_pub, "--data-dir", data_dir)

    # -- the server ----------------------------------------------------------
    sport, jport = _free_port(), _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as logf:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "samizdat", "serve", "--data-dir", str(data_dir),
                "--source-port", str(sport), "--journalist-port", str(jport),
            ],
            stdout=logf,
            stderr=subprocess.STDOUT,
            env=cli.env,
        )  # fmt: skip
    try:
        _wait_for(sport, server, log)
        _wait_for(jport, server, log)
        _round_trip(tmp_path, cli, creds, server_pub, sport, jport, passphrase, pf)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    # Neither the submission nor the journalist's reply left plaintext in the
    # data dir (DB and WAL included) or the server's log.
    for marker in (MESSAGE.encode(), REPLY.encode(), b"meeting notes"):
        assert scan_paths([data_dir, log], marker) == [], marker


def _round_trip(tmp_path, cli, creds, server_pub, sport, jport, passphrase, pf) -> None:  # type: ignore[no-untyped-def]  # noqa: PLR0917
    source_url = f"http://127.0.0.1:{sport}"
    journalist_url = f"http://127.0.0.1:{jport}"
    jpeg = _jpeg_with_exif()
    notes = b"meeting notes\nline two\n"
    expected_jpeg = scrub_bytes(jpeg)
    assert expected_jpeg.report.outcome == Outcome.CLEANED and expected_jpeg.data

    # -- a source, through the real forms ------------------------------------
    with httpx.Client(base_url=source_url, timeout=120, trust_env=False) as src:
        home = src.get("/")
        created = src.post("/new", data={"csrf_token": CSRF.search(home.text).group(1)})
        assert created.status_code == 200, created.text
        codename = CODENAME.search(created.text).group(1)
        form = src.get("/submit")
        assert form.status_code == 200
        done = src.post(
            "/submit",
            data={"csrf_token": CSRF.search(form.text).group(1), "message": MESSAGE},
            files=[
                ("files", ("holiday.jpg", jpeg, "image/jpeg")),
                ("files", ("notes.txt", notes, "text/plain")),
            ],
        )
        assert done.status_code == 200, done.text
        assert "holiday.jpg" in done.text and "notes.txt" in done.text

    # -- journalist A fetches (online workstation) ---------------------------
    a_ident, a_pw, a_totp = creds["alice"]
    cli("journalist", "trust", "--server-key", server_pub)
    fetched = tmp_path / "stick"
    out = cli(
        "journalist", "fetch", "--server", journalist_url, "--user", "alice",
        "--password-file", a_pw, "--otp", a_totp.code(), "--out", fetched,
    )  # fmt: skip
    assert "1 fetched, 0 skipped, 0 failed" in out
    (bundle,) = fetched.glob("*.age")
    assert (fetched / f"{bundle.name}.minisig").is_file()
    assert (fetched / "server-keys.json").is_file()
    submission_id = bundle.name.removesuffix(".age")

    # -- A decrypts offline ---------------------------------------------------
    dec_a = tmp_path / "decrypted-a"
    cli(
        "journalist", "decrypt", bundle, "--identity", a_ident, "--passphrase-file", pf,
        "--server-key", server_pub, "--out", dec_a,
    )  # fmt: skip
    # The offline CLI names the folder by the submission's UUID (hyphenated).
    (folder,) = dec_a.iterdir()
    assert uuid.UUID(folder.name) == uuid.UUID(submission_id)
    assert (folder / "files" / "holiday.jpg").read_bytes() == expected_jpeg.data
    assert (folder / "files" / "notes.txt").read_bytes() == notes
    assert (folder / "message.txt").read_text("utf-8") == MESSAGE
    report = (folder / "scrub-report.txt").read_text("utf-8")
    assert "holiday.jpg" in report and "notes.txt" in report
    assert "Make" in report and "Software" in report  # the removed EXIF fields, by name
    assert "SpyCam" not in report  # the report names fields, never their values
    manifest = json.loads((folder / "manifest.json").read_text())
    source_id = manifest["source_id"]

    # -- A replies offline, uploads online ------------------------------------
    msg = tmp_path / "reply.txt"
    msg.write_text(REPLY)
    reply = tmp_path / "reply.age"
    cli(
        "journalist", "reply", bundle, "--identity", a_ident, "--passphrase-file", pf,
        "--message-file", msg, "--out", reply, "--server-key", server_pub,
    )  # fmt: skip
    cli(
        "journalist", "upload-reply", reply, "--server", journalist_url, "--user", "alice",
        "--password-file", a_pw, "--otp", a_totp.code(), "--source", source_id,
    )  # fmt: skip

    # -- the source signs in with the codename and reads it -------------------
    with httpx.Client(base_url=source_url, timeout=120, trust_env=False) as src:
        page = src.get("/login")
        r = src.post(
            "/login", data={"csrf_token": CSRF.search(page.text).group(1), "codename": codename}
        )
        assert r.status_code == 303, r.text
        replies = src.get(r.headers["location"])
        assert replies.status_code == 200
        assert REPLY in replies.text

    # -- journalist B opens the same bundle with B's own key ------------------
    b_ident, _, _ = creds["bob"]
    dec_b = tmp_path / "decrypted-b"
    cli(
        "journalist", "decrypt", bundle, "--identity", b_ident, "--passphrase-file", pf,
        "--server-key", server_pub, "--out", dec_b,
    )  # fmt: skip
    (folder_b,) = dec_b.iterdir()
    assert (folder_b / "files" / "holiday.jpg").read_bytes() == expected_jpeg.data
    assert (folder_b / "message.txt").read_text("utf-8") == MESSAGE

    # -- stock tools: age opens it with A's identity, minisign verifies it ----
    plain_identity = tmp_path / "alice-identity.txt"
    _age_decrypt_identity(a_ident, passphrase, plain_identity)
    payload = subprocess.run(
        ["age", "-d", "-i", str(plain_identity), str(bundle)],
        capture_output=True,
        timeout=120,
        check=True,
    ).stdout
    plain_identity.unlink()
    # Nothing inside is compressed: the files and message appear as they are.
    assert MESSAGE.encode() in payload and notes in payload and expected_jpeg.data in payload
    verified = subprocess.run(
        ["minisign", "-Vm", str(bundle), "-p", str(server_pub)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
