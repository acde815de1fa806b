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


@dataclass(frozen=True)
class Sealed:
    store_id: str  # the submission id: the store's file name
    bundle: Path
    signature: Path
    recipients: list[str]  # fingerprints recorded in Submission.recipients


def seal_submission(data_dir: Path, day: str, payload: bytes, *, source_id: str = "") -> Sealed:
    """Seal and store one submission the way ingest does: recipients from
    `server.keys.sealing_recipients(session, day)`, the server's current
    signing key, file + signature into the store, then the DB row with the
    recipient fingerprints."""
    import uuid

    from crypto.bundle import BundleSealer
    from server.db.engine import make_engine, session_scope
    from server.db.tables import Source, Submission
    from server.instance import open_instance
    from server.keys import load_signing_key, sealing_recipients
    from server.storage import Store

    paths = open_instance(data_dir)
    engine = make_engine(paths.db)
    store = Store(paths)
    sid = uuid.uuid4()
    reply = generate_identity().recipient()
    try:
        with session_scope(engine) as session:
            recipients = sealing_recipients(session, day)
            src = Source(
                id=source_id or str(uuid.uuid4()),
                lookup_id=str(uuid.uuid4()),
                reply_recipient=reply.encode(),
                designation="test source",
                created_day=day,
                last_active_day=day,
            )
            session.merge(src)
            bundle = store.bundle_path(str(sid))
            with bundle.open("wb") as sink:
                sealer = BundleSealer(
                    recipients,
                    load_signing_key(paths),
                    sink,
                    submission_id=str(sid),
                    source_id=src.id,
                    day=day,
                    reply_recipient=reply,
                )
                sealer.begin_file("evidence.txt", "text")
                sealer.write(payload)
                sealer.end_file({"outcome": "cleaned"})
                sig = sealer.finish()
            store.signature_path(str(sid)).write_text(sig)
            fps = sorted(r.fingerprint() for r in recipients)
            session.add(
                Submission(
                    id=str(sid),
                    source_id=src.id,
                    size=bundle.stat().st_size,
                    day=day,
                    cleaned=True,
                    file_count=1,
                    recipients=json.dumps(fps),
                    signing_key_id=load_signing_key(paths).public_key().key_id_hex,
                )
            )
    finally:
        engine.dispose()
    return Sealed(str(sid), bundle, store.signature_path(str(sid)), fps)


def open_sealed(
    bundle: Path, signature: Path, identity: Identity, trusted: list[Any], out: Path
) -> bytes:
    """Open a bundle as the offline client does; returns the one file's bytes."""
    from crypto.opener import open_bundle

    opened = open_bundle(bundle, signature, identity, trusted, out)
    return opened.files[0].path.read_bytes()
