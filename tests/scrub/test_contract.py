"""The one contract every registered scrubber passes (DESIGN principle 8).

Data-driven: samples come from `tests/scrub/corpus_*.py` generators (see
tests/scrub/corpus.py). For each: the expected outcome; no planted marker in
the output's raw bytes, inflated streams or ZIP members (tests.support.scan),
nor in exiftool's view of it (an independent oracle); content unchanged;
cleaning twice changes nothing; the type survives. Hostile inputs get one of
their allowed outcomes, bounded memory, and no output unless cleaned.
"""

from __future__ import annotations

import importlib
import pkgutil
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.scrub
from scrub.api import scrub_bytes
from scrub.base import DEFAULT_PROFILE, Outcome
from scrub.sandbox import ScrubPool
from scrub.sniff import sniff_bytes
from tests.scrub.corpus import GENERATORS, HOSTILE, HostileSample, Sample, exiftool_json
from tests.support.scan import scan_bytes

for _mod in pkgutil.iter_modules(tests.scrub.__path__):
    if _mod.name.startswith("corpus_"):
        importlib.import_module(f"tests.scrub.{_mod.name}")

_samples: dict[str, Sample] = {}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


def _sample(name: str, tmp: Path) -> Sample:
    if name not in _samples:
        folder = tmp / name
        folder.mkdir()
        _samples[name] = GENERATORS[name](folder)
    return _samples[name]


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_sample_is_cleaned_completely(name: str, corpus_dir: Path) -> None:
    sample = _sample(name, corpus_dir)
    assert sniff_bytes(sample.data) == sample.kind
    if sample.markers_in_input:
        for m in sample.markers:
            assert scan_bytes(sample.data, m.encode()), f"planting failed: {m} not in the input"
    result = scrub_bytes(sample.data)
    report = result.report
    assert report.outcome is sample.outcome, report.reason
    if sample.outcome is not Outcome.CLEANED:
        assert result.data is None
        return
    assert result.data is not None
    out = result.data
    assert sniff_bytes(out) == sample.kind
    for m in sample.markers:
        assert not scan_bytes(out, m.encode()), f"{m} survived in the output"
    seen = exiftool_json(out, corpus_dir)
    assert '"SourceFile"' in seen, "exiftool could not read the output"
    for m in sample.markers:
        assert m not in seen, f"exiftool still sees {m}"
    if sample.same_content is not None:
        sample.same_content(sample.data, out)
    for kept in sample.expect_kept:
        assert kept in report.kept
    flat = {f"{place}:{n}" for place, names in report.removed.items() for n in names}
    for removed in sample.expect_removed:
        assert removed in flat, f"{removed} not reported; got {sorted(flat)}"
    # The report names fields, never values.
    text = repr(report.to_json())
    for m in sample.markers:
        assert m not in text
    # Cleaning is idempotent: a cleaned file has nothing left to remove.
    again = scrub_bytes(out)
    assert again.report.outcome is Outcome.CLEANED
    if sample.deterministic:
        assert again.data == out
    else:
        assert again.data is not None
        assert not any(scan_bytes(again.data, m.encode()) for m in sample.markers)
        if sample.same_content is not None:
            sample.same_content(sample.data, again.data)


def test_exiftool_oracle_sees_planted_values(corpus_dir: Path) -> None:
    """The oracle is only worth trusting if it sees the markers in the inputs."""
    sample = _sample("jpeg-camera", corpus_dir)
    seen = exiftool_json(sample.data, corpus_dir)
    visible = [m for m in sample.markers if m in seen]
    assert len(visible) >= 10, visible


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_gets_a_defined_outcome(name: str, tmp_path: Path) -> None:
    sample: HostileSample = HOSTILE[name](tmp_path)
    tracemalloc.start()
    try:
        result = scrub_bytes(sample.data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    report = result.report
    assert report.outcome in sample.allowed, (report.outcome, report.reason)
    # Memory stays bounded: a few copies of the input at most, never what a header claims.
    assert peak < 64 * (1 << 20) + 4 * len(sample.data), peak
    if report.outcome is Outcome.CLEANED:
        assert result.data is not None
        for needle in sample.forbidden:
            assert needle not in result.data
    else:
        assert result.data is None, "no partial output"
        assert report.reason, "a file that is not cleaned must say why"


@pytest.fixture(scope="module")
def pool() -> Iterator[ScrubPool]:
    with ScrubPool(max_workers=2) as workers:
        yield workers


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_sandbox_gives_the_in_process_result(name: str, corpus_dir: Path, pool: ScrubPool) -> None:
    """The server path: every format works inside the sandbox's limits
    (no file writes, few fds, capped memory, no network) and answers the same."""
    sample = _sample(name, corpus_dir)
    local = scrub_bytes(sample.data)
    boxed = pool.scrub(sample.data, DEFAULT_PROFILE)
    assert boxed.report.outcome is local.report.outcome, boxed.report.reason
    # Same names per place (order may follow set iteration, which differs per process).
    assert {k: sorted(v) for k, v in boxed.report.removed.items()} == {
        k: sorted(v) for k, v in local.report.removed.items()
    }
    if scrub_bytes(sample.data).data == local.data:
        assert boxed.data == local.data
    else:
        # Formats that mint fresh identifiers (PDF /ID, DICOM UIDs) differ run to run.
        assert (boxed.data is None) is (local.data is None)
        if boxed.data is not None:
            assert sniff_bytes(boxed.data) == sample.kind
            for m in sample.markers:
                assert not scan_bytes(boxed.data, m.encode())


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_sandbox_gives_hostile_inputs_the_same_outcome(
    name: str, tmp_path: Path, pool: ScrubPool
) -> None:
    sample = HOSTILE[name](tmp_path)
    boxed = pool.scrub(sample.data, DEFAULT_PROFILE)
    assert boxed.report.outcome in sample.allowed, boxed.report.reason
    if boxed.report.outcome is not Outcome.CLEANED:
        assert boxed.data is None
