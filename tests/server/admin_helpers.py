"""Shared helpers for the admin CLI tests: run the real `samizdat admin …`
in a subprocess (no TTY, like a script) and make key files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto.keys import Identity, generate_identity


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_admin(*args: str | Path, env: dict[str, str] | None = None, stdin: str = "") -> Result:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SAMIZDAT_")}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "samizdat", "admin", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def ok(*args: str | Path, **kw: Any) -> Result:
    r = run_admin(*args, **kw)
    assert r.code == 0, f"exit {r.code}\nstdout: {r.out}\nstderr: {r.err}"
    return r


def write_pub(path: Path, identity: Identity | None = None) -> Identity:
    ident = identity or generate_identity()
    path.write_text(ident.recipient().encode() + "\n")
    return ident


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes (the DB as a logical dump, since
    WAL checkpoints rewrite pages without changing content): to show that
    nothing changed."""
    out: dict[str, bytes] = {}
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name.endswith(("-wal", "-shm")):
            continue
        if p.suffix == ".db":
            con = sqlite3.connect(p)
            try:
                out[str(p.relative_to(root))] = "\n".join(con.iterdump()).encode()
            finally:
                con.close()
        else:
            out[str(p.relative_to(root))] = p.read_bytes()
    return out
