"""Fuzz tests print their figures (runs per target) with the proof battery's
terminal-summary hook. SAMIZDAT_FUZZ_SECONDS / SAMIZDAT_FUZZ_SEED set the
length and seed of each run (`make fuzz` runs long ones)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.proof.figures import Figures, figures_fixture, terminal_summary


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    terminal_summary(terminalreporter, config)


@pytest.fixture
def figures(record_property: Callable[[str, object], None]) -> Figures:
    return figures_fixture(record_property)
