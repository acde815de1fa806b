"""Fuzzing in the suite: a short fixed-seed atheris run per target (every
scrubber, sniff, the streaming multipart parser, the age reader, the
minisign verifier), and a replay of every committed crash input.

Each run is SAMIZDAT_FUZZ_RUNS inputs (default 1000, deterministic with the
seed SAMIZDAT_FUZZ_SEED), or SAMIZDAT_FUZZ_SECONDS long if that is set.
`make fuzz` runs long ones and saves new crash inputs under
tests/fuzz/regressions/<target>/. Without atheris (it ships wheels for
x86-64 Linux only) the same targets run under Hypothesis, derandomised.

A run that finds an input whose failure has the signature of a committed
regression (same exception type at the same place) is an expected failure
naming that open bug; anything new fails the test with the input's path.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrub.api import scrub_bytes
from scrub.base import Outcome
from tests.fuzz.targets import Target, all_targets
from tests.proof.figures import Figures

ROOT = Path(__file__).resolve().parents[2]
REGRESSIONS = Path(__file__).parent / "regressions"
SECONDS = int(os.environ.get("SAMIZDAT_FUZZ_SECONDS", "0"))
# Default: a fixed number of inputs (with a fixed seed libFuzzer is then
# deterministic); SAMIZDAT_FUZZ_SECONDS switches to time-boxed runs.
RUNS = int(os.environ.get("SAMIZDAT_FUZZ_RUNS", "1000"))
SEED = int(os.environ.get("SAMIZDAT_FUZZ_SEED", "1"))
HAVE_ATHERIS = (
    importlib.util.find_spec("atheris") is not None
    and os.environ.get("SAMIZDAT_FUZZ_ENGINE", "atheris") == "atheris"
)
TARGETS = all_targets()
_PACKAGES = ("scrub", "crypto", "server")


def signature(target: Target, data: bytes) -> str | None:
    """`ExcType at path:function` of the innermost project frame, or None if it passes."""
    try:
        target.run(data)
    except Exception as exc:
        where = "?"
        for frame in traceback.extract_tb(exc.__traceback__):
            try:
                rel = Path(frame.filename).resolve().relative_to(ROOT)
            except ValueError:
                continue
            if rel.parts and rel.parts[0] in _PACKAGES:
                where = f"{rel}:{frame.name}"
        return f"{type(exc).__name__} at {where}"
    return None


def regression_files() -> list[Path]:
    if not REGRESSIONS.is_dir():
        return []
    return sorted(p for p in REGRESSIONS.glob("*/*") if p.is_file())


@functools.cache
def known_signatures(target_name: str) -> frozenset[str]:
    target = TARGETS[target_name]
    sigs = (signature(target, p.read_bytes()) for p in (REGRESSIONS / target_name).glob("*"))
    return frozenset(s for s in sigs if s)


def _atheris_run(name: str, work: Path) -> tuple[int, str, list[Path]]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.fuzz.run_atheris",
            name,
            "--seconds",
            str(SECONDS or 60),
            "--runs",
            str(-1 if SECONDS else RUNS),
            "--seed",
            str(SEED),
            "--work",
            str(work),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=(SECONDS or 60) + 240,
        check=False,
    )
    crashes = sorted((work / "artifacts").glob("*"))
    return proc.returncode, proc.stdout + proc.stderr, crashes


def _hypothesis_run(target: Target) -> list[bytes]:
    """Derandomised mutation of the seeds; returns failing inputs (at most one)."""
    seeds = target.seeds()
    found: list[bytes] = []

    @settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=max(50, SECONDS * 50) if SECONDS else 200,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.sampled_from(seeds),
        st.lists(st.tuples(st.integers(0, 1 << 18), st.integers(0, 255)), max_size=8),
        st.integers(0, 1 << 18),
        st.binary(max_size=64),
    )
    def mutate(seed: bytes, flips: list[tuple[int, int]], cut: int, junk: bytes) -> None:
        data = bytearray(seed)
        for pos, val in flips:
            if data:
                data[pos % len(data)] = val
        data = data[: cut % (len(data) + 1)] + junk if cut % 3 == 0 else data + junk
        if signature(target, bytes(data)) is not None and not found:
            found.append(bytes(data))

    mutate()
    return found


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_target_short_fixed_seed(name: str, tmp_path: Path, figures: Figures) -> None:
    target = TARGETS[name]
    if HAVE_ATHERIS:
        rc, log, crashes = _atheris_run(name, tmp_path / name)
        m = re.search(r"Done (\d+) runs", log)
        runs = m.group(1) if m else "?"
        figures(f"{name} atheris runs (seed {SEED})", runs)
        inputs = [p.read_bytes() for p in crashes]
        if rc != 0 and not inputs:
            pytest.fail(f"atheris exited {rc} without a crash input:\n{log[-3000:]}")
    else:
        inputs = _hypothesis_run(target)
        figures(
            f"{name} hypothesis examples (derandomised)", max(50, SECONDS * 50) if SECONDS else 200
        )
    for data in inputs:
        sig = signature(target, data)
        if sig is None:
            continue  # a timeout or OOM of the run itself, not reproducible here
        if sig in known_signatures(name):
            pytest.xfail(f"known open bug (regression committed): {sig}")
        saved = tmp_path / "new-crash.bin"
        saved.write_bytes(data)
        pytest.fail(
            f"new finding in {name}: {sig}\ninput saved at {saved}; copy it to "
            f"tests/fuzz/regressions/{name}/ and report it"
        )


@pytest.mark.parametrize("path", regression_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_regression_input_replays_cleanly(path: Path) -> None:
    name = path.parent.name
    data = path.read_bytes()
    if name.startswith("scrub-") or name == "sniff":
        # The contract the server relies on holds whatever the parser does:
        # scrub_bytes never raises, and nothing but a clean rebuild is returned.
        result = scrub_bytes(data)
        assert result.report.outcome in set(Outcome)
        assert (result.data is not None) == (result.report.outcome is Outcome.CLEANED)
    sig = signature(TARGETS[name], data)
    if sig is not None:
        pytest.xfail(f"open bug, reported: {name} input {path.name} -> {sig}")
