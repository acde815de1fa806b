"""deploy/install.sh: parses, installs only hash-pinned code, keeps the data
dir private, and refuses plain swap. (A full run needs a fresh Debian 12
machine with network access; docs/deploy.md is that procedure.)"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "install.sh"


def test_it_parses() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


def test_shellcheck_is_clean_where_available() -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    subprocess.run(["shellcheck", "-S", "warning", str(SCRIPT)], check=True)


def test_every_requirements_install_checks_hashes() -> None:
    text = SCRIPT.read_text()
    installs = [ln for ln in text.splitlines() if re.search(r"pip\"? install", ln)]
    assert installs
    for line in installs:
        if " -r " in line:
            assert "--require-hashes" in line, line
        else:
            # The project itself: no dependency resolution behind the lock's back.
            assert "--no-deps" in line, line


def test_data_dir_is_private_and_swap_is_checked() -> None:
    text = SCRIPT.read_text()
    assert re.search(r'install -d -m 0700 -o "\$APP_USER" -g "\$APP_USER" "\$DATA_DIR"', text)
    assert "/proc/swaps" in text and "crypt" in text
    # The tor package must not start with Debian's default config first.
    assert "policy-rc.d" in text and "exit 101" in text
