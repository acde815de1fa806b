"""The offline client installs without the server's dependencies, from a
hash-checked offline wheelhouse, and the supply chain stays pinned."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER_ONLY = {"fastapi", "uvicorn", "sqlmodel", "python-multipart", "starlette", "sqlalchemy"}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_base_install_pulls_no_server_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not _names(project["dependencies"]) & SERVER_ONLY
    assert {"fastapi", "uvicorn", "sqlmodel", "python-multipart"} <= _names(
        project["optional-dependencies"]["server"]
    )


@pytest.mark.parametrize("lock", ["build", "client", "server", "test"])
def test_every_locked_requirement_is_pinned_with_a_hash(lock: str) -> None:
    text = (ROOT / "requirements" / f"{lock}.lock").read_text()
    entries = re.split(r"\n(?=[a-z0-9])", text.strip())
    pins = [e for e in entries if not e.startswith("#")]
    assert pins
    for entry in pins:
        assert re.match(r"^[a-z0-9._-]+(\[[a-z0-9,]+\])?==\S+", entry), entry
        assert "--hash=sha256:" in entry, entry


def test_client_lock_resolves_no_server_dependency() -> None:
    text = (ROOT / "requirements" / "client.lock").read_text()
    locked = {m.group(1) for m in re.finditer(r"^([a-z0-9._-]+)==", text, re.M)}
    assert not locked & SERVER_ONLY


@pytest.mark.slow
def test_wheelhouse_installs_offline_and_gives_a_working_client(tmp_path: Path) -> None:
    house = tmp_path / "wheelhouse"
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "wheelhouse.sh"), str(house)],
        check=True,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
    )
    venv = tmp_path / "client-venv"
    # PIP_CONFIG_FILE=/dev/null: no index or find-links of this machine may help.
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1"}
    subprocess.run(
        ["bash", str(house / "install.sh"), str(venv)], check=True, env=env, capture_output=True
    )
    samizdat = venv / "bin" / "samizdat"
    out = subprocess.run(
        [samizdat, "journalist", "--help"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    for module in ("fastapi", "uvicorn", "sqlmodel", "multipart"):
        probe = subprocess.run([venv / "bin" / "python", "-c", f"import {module}"], check=False)
        assert probe.returncode != 0, f"{module} is importable in the offline client"
    serve = subprocess.run([samizdat, "serve"], capture_output=True, text=True, check=False)
    assert serve.returncode == 2
    assert "error:" in serve.stderr
    assert "hint:" in serve.stderr
    assert "samizdat[server]" in serve.stderr
