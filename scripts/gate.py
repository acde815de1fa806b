#!/usr/bin/env python3
"""The one gate: format, lint, types, import contracts, tests.

Developers and CI run exactly this (README's test command calls it through
`make test`). Extra arguments are passed to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PATHS = ["samizdat", "crypto", "scrub", "server", "client", "tests", "bench", "scripts"]


def run(name: str, argv: list[str]) -> None:
    start = time.monotonic()
    print(f"==> {name}: {' '.join(argv)}", flush=True)
    result = subprocess.run(argv, cwd=ROOT, check=False)  # noqa: S603 - fixed argv
    took = time.monotonic() - start
    if result.returncode != 0:
        print(f"==> {name} FAILED ({took:.0f}s)", flush=True)
        sys.exit(result.returncode)
    print(f"==> {name} ok ({took:.0f}s)", flush=True)


def main() -> None:
    paths = [p for p in PATHS if (ROOT / p).exists()]
    run("ruff format", [str(BIN / "ruff"), "format", "--check", *paths])
    run("ruff lint", [str(BIN / "ruff"), "check", *paths])
    run("mypy", [str(BIN / "mypy"), "samizdat", "crypto", "scrub", "server", "client"])
    run("import contracts", [str(BIN / "lint-imports")])
    workers = os.environ.get("SAMIZDAT_TEST_WORKERS", "2")
    run("pytest", [str(BIN / "python"), "-m", "pytest", "-n", workers, *sys.argv[1:]])


if __name__ == "__main__":
    main()
