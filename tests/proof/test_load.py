"""Load: 50 sources submitting (128 KiB each by default, 5 MB with
SAMIZDAT_SOAK=1) and 50 codename logins, all at once, against a real `samizdat serve`.
No errors other than designed 429/503 answers with a retry message, memory
bounded, the landing page still answering; throughput and p50/p95/p99 are
printed (bench/bench_load.py prints the same for the full numbers).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.proof.conftest import SOAK
from tests.proof.figures import Figures
from tests.proof.load_driver import make_codenames, percentile, run_load
from tests.proof.payloads import KiB, MiB
from tests.support.server_process import FreshInstance, ServerProcess

SUBMITTERS = 50
LOGINS = 50
FILE_BYTES = 5 * MiB if SOAK else 128 * KiB
# Whole files held for cleaning are capped at 2 x the 256 MiB in-memory cap
# (server.ingest.builder.MemoryBudget); the rest of the process is small.
RSS_BOUND = 1024 * MiB
# GET / must keep answering: no probe slower than this while loaded.
PROBE_BOUND_SECONDS = 10.0


@pytest.mark.slow
def test_sources_and_logins_at_once(
    fresh: FreshInstance,
    server_factory: Callable[..., ServerProcess],
    figures: Figures,
) -> None:
    server = server_factory(fresh)
    server.start()
    codenames = make_codenames(server.source_url, LOGINS)
    report = run_load(server, submitters=SUBMITTERS, codenames=codenames, file_bytes=FILE_BYTES)
    for line in report.lines():
        print(line)
    figures("sources x size", f"{SUBMITTERS} x {FILE_BYTES // KiB} KiB")
    figures("logins", LOGINS)
    figures("accepted", report.accepted)
    figures("logged in", report.logged_in)
    figures("designed refusals", report.designed_refusals or 0)
    figures("errors", len(report.errors))
    figures("throughput MB/s", round(report.accepted * FILE_BYTES / 1e6 / report.wall_seconds, 2))
    for p in (50, 95, 99):
        figures(f"new+submit p{p} s", round(percentile(report.submit_latencies, p), 2))
        figures(f"login p{p} s", round(percentile(report.login_latencies, p), 2))
    figures("GET / probes (failures)", f"{len(report.probe_latencies)} ({report.probe_failures})")
    figures("GET / max s", round(max(report.probe_latencies, default=0.0), 3))
    figures("RSS peak MiB", report.rss_peak >> 20)

    assert not report.errors, report.errors
    assert report.probe_failures == 0
    assert report.probe_latencies and max(report.probe_latencies) < PROBE_BOUND_SECONDS
    assert report.rss_peak < RSS_BOUND
    # Every request got an answer: success or a designed refusal (the
    # codename queue answers 503 after ~30 s when the machine is slow).
    refused = sum(report.designed_refusals.values())
    assert report.accepted + report.logged_in + refused == SUBMITTERS + LOGINS
    assert report.accepted > 0 and report.logged_in > 0
