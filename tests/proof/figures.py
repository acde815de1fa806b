"""Measured figures (trials, lost, hits, RSS peak, p95 …) shown at the end of
the test run, even under xdist: each test records them as user properties
(which xdist ships back to the controller) and one terminal-summary hook
prints them all. Nothing is written to the repository.

Must never: record a marker, a codename or any payload byte as a figure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

FIGURE_PREFIX = "figure:"

Figures = Callable[[str, object], None]


def figures_fixture(record_property: Callable[[str, object], None]) -> Figures:
    def record(name: str, value: object) -> None:
        record_property(FIGURE_PREFIX + name, value)

    return record


def terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if getattr(config, "_samizdat_figures_done", False):
        return
    config._samizdat_figures_done = True  # type: ignore[attr-defined]
    rows: list[tuple[str, str, object]] = []
    for reports in terminalreporter.stats.values():
        for rep in reports:
            if getattr(rep, "when", None) != "call":
                continue
            for key, value in getattr(rep, "user_properties", ()):
                if isinstance(key, str) and key.startswith(FIGURE_PREFIX):
                    rows.append((rep.nodeid, key[len(FIGURE_PREFIX) :], value))
    if not rows:
        return
    terminalreporter.write_sep("=", "samizdat proof figures")
    for nodeid, name, value in sorted(rows, key=lambda r: (r[0], r[1])):
        terminalreporter.write_line(f"{nodeid.split('::')[-1]}: {name} = {value}")
