"""A live journalist app (uvicorn in a thread, free loopback port, pinned
clock) for the online CLI tests, and a runner for the real `samizdat`
command in a subprocess without a TTY."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from crypto.signing import SigningKey
from server.admin.journalists import Enrolment
from server.journalist.app import create_journalist_app
from server.storage import Store
from tests.server.journalist_fixtures import Instance


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(inst: Instance) -> Iterator[str]:
    app = create_journalist_app(inst.settings, clock=inst.clock)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_stored_bundle(inst: Instance, submission_id: str) -> str:
    """Sign the stored bundle with the instance's current key (as ingest does)."""
    store = Store(inst.settings.paths)
    key = SigningKey.load(inst.settings.paths.signing_key)
    sig = key.sign_bytes(
        store.bundle_path(submission_id).read_bytes(), f"samizdat-bundle id={submission_id}"
    )
    store.write_small(store.signature_path(submission_id), sig.encode())
    return sig


@dataclass
class Run:
    code: int
    out: str
    err: str


def samizdat(*args: str | Path, client_dir: Path, stdin: str = "") -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMIZDAT_")}
    env["SAMIZDAT_CLIENT_DIR"] = str(client_dir)
    proc = subprocess.run(
        [sys.executable, "-m", "samizdat", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def credentials(inst: Instance, who: Enrolment, tmp: Path) -> list[str]:
    """--user/--password-file/--otp for one sign-in (moves to a fresh TOTP step)."""
    pw = tmp / f"{who.name}.password"
    pw.write_text(who.password + "\n")
    return ["--user", who.name, "--password-file", str(pw), "--otp", inst.next_code(who)]
