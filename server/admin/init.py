"""`admin init`: a new instance with its layout, DB schema, signing key and
key chain; the INSTANCE marker is written last so a half-made instance is
never mistaken for a working one.

Must never overwrite anything: an existing instance (or any non-empty
directory) is refused before a single file is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from crypto.keychain import KeyChain
from crypto.signing import SigningKey
from server import audit
from server.admin.context import default_actor
from server.admin.signing_files import write_chain
from server.clock import Clock, utc_now
from server.db.engine import create_schema, make_engine, session_scope
from server.instance import InstancePaths, create_layout, mark_initialised
from server.torconfig import seal_journalist_onion


@dataclass(frozen=True)
class InitResult:
    paths: InstancePaths
    signing_key_id: str


def init_instance(root: Path, *, clock: Clock = utc_now, actor: str | None = None) -> InitResult:
    paths = create_layout(root)
    engine = make_engine(paths.db)
    try:
        create_schema(engine)
        os.chmod(paths.db, 0o600)
        # The journalist onion starts locked (a client entry whose private key
        # is thrown away), so tor creates it, and its address is known, before
        # the first journalist is enrolled; nobody can open its descriptor.
        seal_journalist_onion(paths.tor)
        signing_key = SigningKey.generate()
        signing_key.save(paths.signing_key)
        public = signing_key.public_key()
        write_chain(paths, KeyChain.create(signing_key))
        with session_scope(engine) as session:
            audit.record(
                session,
                at=clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
                actor=actor or default_actor(),
                action="instance.init",
                detail=f"signing_key={public.key_id_hex}",
            )
    finally:
        engine.dispose()
    mark_initialised(paths)
    return InitResult(paths=paths, signing_key_id=public.key_id_hex)
