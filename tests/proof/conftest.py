"""Fixtures for the proof battery: a fresh instance made with the real CLIs
(built once per worker, then copied, since keygen and init cost ~20 s on
this machine), a real `samizdat serve` process, the figures hook and the
long-mode switches.

SAMIZDAT_SOAK=1 turns on the bigger numbers (`make soak`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.proof.figures import Figures, figures_fixture, terminal_summary
from tests.support.server_process import FreshInstance, ServerProcess, make_instance

SOAK = os.environ.get("SAMIZDAT_SOAK", "") not in ("", "0")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    terminal_summary(terminalreporter, config)


@pytest.fixture
def figures(record_property: Callable[[str, object], None]) -> Figures:
    return figures_fixture(record_property)


@pytest.fixture(scope="session")
def instance_template(tmp_path_factory: pytest.TempPathFactory) -> FreshInstance:
    return make_instance(tmp_path_factory.mktemp("template"))


def copy_instance(template: FreshInstance, dest: Path) -> FreshInstance:
    """A copy of a fresh, never-served instance (same keys, new folder)."""
    src_base = template.data_dir.parent
    shutil.copytree(src_base, dest, symlinks=True)
    desk = dest / template.identity_file.parent.name
    return FreshInstance(
        data_dir=dest / template.data_dir.name,
        identity_file=desk / template.identity_file.name,
        passphrase_file=desk / template.passphrase_file.name,
        server_pub=desk / template.server_pub.name,
        journalist=template.journalist,
    )


@pytest.fixture
def fresh(instance_template: FreshInstance, tmp_path: Path) -> FreshInstance:
    return copy_instance(instance_template, tmp_path / "instance")


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def make(inst: FreshInstance, env: dict[str, str] | None = None) -> ServerProcess:
        tmpdir = tmp_path / "server-tmp"
        tmpdir.mkdir(exist_ok=True)
        server = ServerProcess(
            inst.data_dir,
            tmp_path / "logs" / f"serve-{len(started)}.log",
            {"TMPDIR": str(tmpdir), **(env or {})},
        )
        server.log_path.parent.mkdir(exist_ok=True)
        started.append(server)
        return server

    yield make
    for s in started:
        s.stop()
