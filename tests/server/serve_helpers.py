"""Run the real `samizdat serve` in a subprocess on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    source_url: str
    journalist_url: str
    stdout_path: Path
    stderr_path: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SAMIZDAT_")}
    full.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "samizdat", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def start_server(
    data_dir: Path, log_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 60
) -> Server:
    sport, jport = free_port(), free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    out, err = log_dir / "serve.out", log_dir / "serve.err"
    full = {k: v for k, v in os.environ.items() if not k.startswith("SAMIZDAT_")}
    full.update(env or {})
    with out.open("wb") as fo, err.open("wb") as fe:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "samizdat",
                "serve",
                "--data-dir",
                str(data_dir),
                "--source-port",
                str(sport),
                "--journalist-port",
                str(jport),
            ],
            stdout=fo,
            stderr=fe,
            env=full,
        )
    server = Server(proc, f"http://127.0.0.1:{sport}", f"http://127.0.0.1:{jport}", out, err)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited early:\n{server.logs()}")
        try:
            if httpx.get(server.source_url + "/robots.txt", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"serve did not come up:\n{server.logs()}")
