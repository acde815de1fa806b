"""A real `samizdat serve` process for system tests, and a source that walks
the real forms over HTTP.

`make_instance` builds a fresh instance only with the real CLIs (`admin
init`, `journalist keygen`, `admin journalist add --json`, `admin
signing-key export`); `ServerProcess` starts `samizdat serve` on free
loopback ports with its stdout and stderr in one log file, can `kill -9` it
and restart it, and measures its RSS with its children (the scrub workers).

Must never: run anything in-process that the test means to observe (the
point is the real process), bind anything but 127.0.0.1, or write a
submission's plaintext anywhere (callers build payloads in memory).
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CODENAME_RE = re.compile(r'id="codename">([^<]+)</p>')
_OUTCOME_RE = re.compile(
    r'<li><span class="name">(.*?)</span>:\s*<strong class="(\w+)">(.*?)</strong>(.*?)</li>',
    re.S,
)
# The confirmation page's strong tag class -> the outcome it shows.
OUTCOME_OF_CLASS = {"ok": "cleaned", "warn": "not_cleaned", "bad": "rejected"}
SENT_TEXT = "Your submission was received."
NOTHING_SENT_TEXT = "Nothing was sent"
PASSPHRASE = "correct horse battery staple proof battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's environment without any SAMIZDAT_* setting leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMIZDAT_")}
    env.update(extra or {})
    return env


def samizdat(*args: str | Path, env: Mapping[str, str] | None = None, timeout: float = 180) -> str:
    """Run the real `samizdat` CLI without a TTY; returns stdout, raises on failure."""
    proc = subprocess.run(
        [sys.executable, "-m", "samizdat", *map(str, args)],
        capture_output=True,
        text=True,
        env=clean_env(env),
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"samizdat {' '.join(map(str, args))}: exit {proc.returncode}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
    return proc.stdout


@dataclass(frozen=True)
class FreshInstance:
    """A data dir plus the journalist's side (identity file, passphrase, pinned key)."""

    data_dir: Path
    identity_file: Path
    passphrase_file: Path
    server_pub: Path
    journalist: dict[str, str]

    def identity(self) -> Any:
        """The journalist identity, unlocked as the offline client does."""
        from crypto.identity import load_identity_file

        return load_identity_file(self.identity_file, PASSPHRASE)


def make_instance(base: Path, *, name: str = "alice") -> FreshInstance:
    """A fresh instance made only with the real CLIs."""
    data_dir = base / "data"
    desk = base / "journalist-desk"  # the air-gapped side, outside the data dir
    desk.mkdir(parents=True, exist_ok=True)
    passphrase_file = desk / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n")
    samizdat("admin", "init", "--data-dir", data_dir)
    identity_file = desk / f"{name}.key"
    samizdat("journalist", "keygen", "--out", identity_file, "--passphrase-file", passphrase_file)
    out = samizdat(
        "admin",
        "journalist",
        "add",
        name,
        "--public-key",
        f"{identity_file}.pub",
        "--json",
        "--data-dir",
        data_dir,
    )
    journalist = json.loads(out)
    server_pub = desk / "server.pub"
    samizdat("admin", "signing-key", "export", "--out", server_pub, "--data-dir", data_dir)
    return FreshInstance(data_dir, identity_file, passphrase_file, server_pub, journalist)


def fetch_and_decrypt(inst: FreshInstance, journalist_url: str, work: Path) -> list[Path]:
    """The journalist's whole path with the real CLIs: `journalist fetch` from
    the running server (password + TOTP, pinned server key), then `journalist
    decrypt` of every fetched bundle (exit 0 only if all verified and opened).
    Returns the opened submission folders."""
    from crypto.totp import totp_code

    work.mkdir(parents=True, exist_ok=True)
    password_file = work / "password.txt"
    password_file.write_text(inst.journalist["password"] + "\n")
    env = {"SAMIZDAT_CLIENT_DIR": str(work / "client")}
    inbox, opened = work / "inbox", work / "opened"
    samizdat(
        "journalist",
        "fetch",
        "--server",
        journalist_url,
        "--user",
        inst.journalist["name"],
        "--password-file",
        password_file,
        "--otp",
        totp_code(inst.journalist["totp_secret"], time.time()),
        "--server-key",
        inst.server_pub,
        "--out",
        inbox,
        env=env,
        timeout=600,
    )
    bundles = sorted(inbox.glob("*.age"))
    if bundles:
        samizdat(
            "journalist",
            "decrypt",
            *bundles,
            "--identity",
            inst.identity_file,
            "--passphrase-file",
            inst.passphrase_file,
            "--server-key",
            inst.server_pub,
            "--out",
            opened,
            env=env,
            timeout=600,
        )
    return sorted(p for p in opened.iterdir() if p.is_dir()) if opened.exists() else []


@dataclass
class ServerProcess:
    """`samizdat serve` in its own process group, logs to `log_path`."""

    data_dir: Path
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    source_port: int = 0
    journalist_port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def source_url(self) -> str:
        return f"http://127.0.0.1:{self.source_port}"

    @property
    def journalist_url(self) -> str:
        return f"http://127.0.0.1:{self.journalist_port}"

    def start(self, timeout: float = 60.0) -> str:
        """Start and wait until `GET /` answers; returns this start's log text."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.source_port = free_port()
        self.journalist_port = free_port()
        while self.journalist_port == self.source_port:
            self.journalist_port = free_port()
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "samizdat",
                    "serve",
                    "--data-dir",
                    str(self.data_dir),
                    "--source-port",
                    str(self.source_port),
                    "--journalist-port",
                    str(self.journalist_port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=clean_env({"PYTHONUNBUFFERED": "1", **self.env}),
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"serve exited {self.proc.returncode}:\n{self.log_since(offset)}"
                )
            try:
                r = httpx.get(self.source_url + "/", timeout=2.0)
                r2 = httpx.get(self.journalist_url + "/login", timeout=2.0)
                if r.status_code == 200 and r2.status_code == 200:
                    return self.log_since(offset)
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill9()
        raise AssertionError(f"serve did not answer in {timeout}s:\n{self.log_since(offset)}")

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def family(self) -> list[psutil.Process]:
        """The server process and all its descendants (scrub workers)."""
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss(self) -> int:
        total = 0
        for p in self.family():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                total += p.memory_info().rss
        return total

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> list[int]:
        """SIGKILL the server process only (as a crash would); returns the pids of
        descendants still alive 5 s later (they are then killed too)."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        children = self.family()[1:]
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        _gone, alive = psutil.wait_procs(children, timeout=5)
        for p in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        return [p.pid for p in alive]

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL the whole group if needed."""
        if self.proc is None or self.proc.poll() is not None:
            return
        children = self.family()[1:]
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        _gone, alive = psutil.wait_procs(children, timeout=5)
        for p in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()


class RssMonitor:
    """Samples the RSS of the server and its children every `interval` s."""

    def __init__(self, server: ServerProcess, interval: float = 0.05) -> None:
        self.server = server
        self.interval = interval
        self.peak = 0  # server + scrub workers
        self.server_peak = 0  # the server process alone
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            fam = self.server.family()
            total = 0
            for i, p in enumerate(fam):
                try:
                    rss = p.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += rss
                if i == 0:
                    self.server_peak = max(self.server_peak, rss)
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@contextlib.contextmanager
def running_server(
    data_dir: Path, log_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[ServerProcess]:
    server = ServerProcess(data_dir, log_path, dict(env or {}))
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- a source, over HTTP, following the real forms ------------------------------


def csrf_of(page: str) -> str:
    m = CSRF_RE.search(page)
    assert m, "no csrf_token on the page"
    return m.group(1)


@dataclass(frozen=True)
class FileResult:
    name: str
    outcome: str  # cleaned | not_cleaned | kept_metadata | rejected
    text: str


@dataclass(frozen=True)
class SubmitResult:
    status: int
    sent: bool
    files: list[FileResult]
    page: str
    headers: httpx.Headers


def parse_outcomes(page: str) -> list[FileResult]:
    out = []
    for name, cls, strong, rest in _OUTCOME_RE.findall(page):
        outcome = OUTCOME_OF_CLASS.get(cls, cls)
        if cls == "warn" and "original metadata" in strong:
            outcome = "kept_metadata"
        text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", rest))).strip()
        out.append(FileResult(html.unescape(name), outcome, text))
    return out


class HttpSource:
    """One source with its own cookie jar: GET / -> POST /new -> GET /submit -> POST /submit."""

    def __init__(self, base_url: str, *, timeout: float = 120.0, **client_kw: Any) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=timeout, **client_kw)
        self.codename = ""
        self.token = ""

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def home(self) -> httpx.Response:
        r = self.client.get("/")
        r.raise_for_status()
        self.token = csrf_of(r.text)
        return r

    def new(self) -> httpx.Response:
        """Create the source and sign in; returns the response (503 = busy, by design)."""
        if not self.token:
            self.home()
        r = self.client.post("/new", data={"csrf_token": self.token})
        if r.status_code == 200:
            m = CODENAME_RE.search(r.text)
            assert m, "codename page without id=codename"
            self.codename = m.group(1)
            self.token = csrf_of(r.text)
        return r

    def submit(
        self,
        files: Sequence[tuple[str, bytes]] = (),
        message: str = "",
        *,
        keep_metadata: bool = False,
        token: str | None = None,
        fetch_form: bool = True,
    ) -> SubmitResult:
        if fetch_form:
            form = self.client.get("/submit")
            assert form.status_code == 200, form.status_code
            assert 'enctype="multipart/form-data"' in form.text
            self.token = csrf_of(form.text)
        data = {"csrf_token": self.token if token is None else token, "message": message}
        if keep_metadata:
            data["keep_metadata"] = "1"
        multipart = [("files", (n, body, "application/octet-stream")) for n, body in files]
        if not multipart:
            multipart = [("files", ("", b"", "application/octet-stream"))]
        r = self.client.post("/submit", data=data, files=multipart)
        return SubmitResult(
            r.status_code,
            r.status_code == 200 and SENT_TEXT in r.text,
            parse_outcomes(r.text),
            r.text,
            r.headers,
        )

    def submit_raw(self, files: Sequence[tuple[bytes, bytes]], message: str = "") -> SubmitResult:
        """Like `submit`, with each file name sent byte for byte in the part
        header (httpx percent-escapes control characters; a hostile client
        does not)."""
        form = self.client.get("/submit")
        assert form.status_code == 200, form.status_code
        self.token = csrf_of(form.text)
        boundary = "proofboundary" + os.urandom(8).hex()
        b = boundary.encode()
        body = bytearray()
        for name, value in (("csrf_token", self.token), ("message", message)):
            body += b"--" + b + b'\r\nContent-Disposition: form-data; name="' + name.encode()
            body += b'"\r\n\r\n' + value.encode() + b"\r\n"
        for raw_name, data in files:
            body += b"--" + b + b'\r\nContent-Disposition: form-data; name="files"; filename="'
            body += raw_name + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
            body += data + b"\r\n"
        body += b"--" + b + b"--\r\n"
        r = self.client.post(
            "/submit",
            content=bytes(body),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
        return SubmitResult(
            r.status_code,
            r.status_code == 200 and SENT_TEXT in r.text,
            parse_outcomes(r.text),
            r.text,
            r.headers,
        )

    def login(self, codename: str) -> httpx.Response:
        page = self.client.get("/login")
        self.token = csrf_of(page.text)
        return self.client.post(
            "/login", data={"csrf_token": self.token, "codename": codename}, follow_redirects=False
        )


def db_rows(db: Path, table: str) -> list[tuple[Any, ...]]:
    """Every row of a table, read through a read-only SQLite connection."""
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(con.execute(f"select * from {table}"))  # noqa: S608 - fixed table names
    finally:
        con.close()
