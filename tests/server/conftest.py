"""Fixtures for the source app and ingest tests: a real initialised instance
(made by the admin service functions, as `samizdat admin init` does) with one
enrolled journalist whose secret key the test keeps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from crypto.keys import Identity, generate_identity
from server.admin.context import open_admin
from server.admin.init import init_instance
from server.admin.journalists import enrol_journalist
from server.instance import InstancePaths
from server.settings import Settings, load_settings


@dataclass
class Instance:
    root: Path
    paths: InstancePaths
    journalist: Identity

    def settings(self, **overrides: object) -> Settings:
        return load_settings(self.root, environ={}, overrides=overrides)


def make_instance(root: Path, *, enrol: bool = True) -> Instance:
    result = init_instance(root, actor="test")
    identity = generate_identity()
    if enrol:
        ctx = open_admin(root, actor="test")
        try:
            enrol_journalist(ctx, "alice", identity.recipient())
        finally:
            ctx.engine.dispose()
    return Instance(root, result.paths, identity)


@pytest.fixture
def instance(tmp_path: Path) -> Instance:
    return make_instance(tmp_path / "data")
