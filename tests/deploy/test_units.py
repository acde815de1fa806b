"""The systemd units: hardened as docs/deploy.md promises, and valid for
systemd itself (`systemd-analyze verify`)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
TOR_DROPIN = UNITS / "tor@default.service.d" / "samizdat.conf"


def _directives(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key, []).append(value)
    return out


def test_the_server_unit_has_every_hardening_the_issue_lists() -> None:
    d = _directives(UNITS / "samizdat.service")
    expected = {
        "User": ["samizdat"],
        "NoNewPrivileges": ["yes"],
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "PrivateDevices": ["yes"],
        "ReadWritePaths": ["/var/lib/samizdat"],
        "RestrictAddressFamilies": ["AF_UNIX AF_INET AF_INET6"],
        "IPAddressDeny": ["any"],
        "IPAddressAllow": ["localhost"],
        "CapabilityBoundingSet": [""],
        "MemoryDenyWriteExecute": ["yes"],
        "UMask": ["0077"],
        "LimitCORE": ["0"],
    }
    for key, value in expected.items():
        assert d.get(key) == value, key
    assert "@system-service" in d["SystemCallFilter"]
    # The server binds loopback only and is started on the one data dir.
    assert d["ExecStart"] == ["/opt/samizdat/venv/bin/samizdat serve --data-dir /var/lib/samizdat"]


def test_the_tor_dropin_forbids_core_dumps_and_waits_for_the_sync() -> None:
    d = _directives(TOR_DROPIN)
    assert d["LimitCORE"] == ["0"]
    assert d["UMask"] == ["0077"]
    assert d["After"] == ["samizdat-tor-sync.service"]
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(TOR_DROPIN)
    assert set(parser.sections()) == {"Unit", "Service"}


def _stub(root: Path, executable: str) -> None:
    target = root / executable.lstrip("/")
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("#!/bin/sh\nexit 0\n")
    target.chmod(0o755)


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    system_units = Path("/lib/systemd/system")
    if not (system_units / "sysinit.target").exists():
        pytest.skip("no systemd unit tree in /lib/systemd/system to verify against")
    # A throw-away root: the system's stock units plus ours, and stub
    # executables so verify checks our directives, not this machine's install.
    root = tmp_path / "root"
    shutil.copytree(system_units, root / "usr/lib/systemd/system", symlinks=True)
    etc = root / "etc/systemd/system"
    shutil.copytree(UNITS, etc)
    names = [p.name for p in UNITS.glob("*.service")] + [p.name for p in UNITS.glob("*.path")]
    check = [f"/etc/systemd/system/{n}" for n in sorted(names)]
    if (system_units / "tor@default.service").exists():
        check.append("tor@default.service")  # with our drop-in applied
    for unit in [*UNITS.glob("*.service"), system_units / "tor@default.service"]:
        if not unit.exists():
            continue
        for line in unit.read_text().splitlines():
            if line.startswith("Exec") and "=" in line:
                argv0 = line.split("=", 1)[1].lstrip("-@+!:").split()[0]
                if argv0.startswith("/"):
                    _stub(root, argv0)
    result = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", *check],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, output
    # Unknown or misspelt directives are only warnings: treat any as failure.
    assert output == "", output
