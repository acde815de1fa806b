"""Hostile files cannot take the server down (DESIGN): each hostile file goes
through the real forms of a real `samizdat serve`, beside a normal JPEG
that must still come out cleaned (the scrub pool recovered from whatever the
hostile file did to its worker). For each:

- a defined outcome on the confirmation page (cleaned / sent NOT cleaned /
  rejected with a reason), the one the scrub corpus allows;
- the server keeps answering `GET /`;
- the RSS of the server and its children (psutil, sampled every 50 ms)
  stays under RSS_LIMIT (768 MiB: server + one bounded job + a warm spare);
- no partial output: the bundle opens and holds exactly the companion plus,
  unless rejected, the hostile file as it was (not cleaned) or its cleaned
  form (cleaned), under a sanitised name; the manifest agrees with the page.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from scrub.api import scrub_bytes
from scrub.sniff import sniff_bytes
from tests.proof.figures import Figures
from tests.proof.hostile_corpus import HostileUpload, cases
from tests.proof.payloads import gps_jpeg
from tests.proof.verify import open_bundles, store_state
from tests.support.server_process import (
    FreshInstance,
    HttpSource,
    RssMonitor,
    ServerProcess,
    SubmitResult,
)

# The stated bound for this corpus (uploaded one after another): the server
# process, one busy scrub worker and its warm spare. Each job's address space
# is bounded by its input (scrub/_worker.py: base + 192 MiB + 6x input, never
# above the 1 GiB pool cap), so a small hostile file cannot grow a worker far;
# the server alone stays near 150 MiB. With scrub_workers=N running at once
# the bound grows by one such job per worker.
RSS_LIMIT = 768 * 1024 * 1024
KNOWN_RSS: set[str] = set()
KNOWN_RSS_REASON = ""
# In-process expected outputs are computed only for small inputs (never a bomb).
_IN_PROCESS_MAX = 4 * 1024 * 1024


def _send(source: HttpSource, up: HostileUpload, companion: bytes, message: str) -> SubmitResult:
    if up.raw_filename is not None:
        return source.submit_raw(
            [(up.raw_filename, up.data), (b"companion.jpg", companion)], message
        )
    return source.submit([(up.filename, up.data), ("companion.jpg", companion)], message)


@pytest.mark.slow
def test_hostile_files_get_a_defined_outcome_and_the_server_stays_up(
    fresh: FreshInstance,
    server_factory: Callable[..., ServerProcess],
    figures: Figures,
    tmp_path: Path,
) -> None:
    server = server_factory(fresh, {"SAMIZDAT_SUBMISSIONS_PER_HOUR": "100000"})
    server.start()
    companion = gps_jpeg("companion")
    companion_clean = scrub_bytes(companion).data
    source = HttpSource(server.source_url, timeout=300.0)
    assert source.new().status_code == 200
    problems: list[str] = []
    known: list[str] = []
    sent: dict[str, tuple[HostileUpload, str]] = {}
    peaks: dict[str, int] = {}
    refused: list[str] = []
    with RssMonitor(server) as total:
        for i, make in enumerate(cases()):
            up = make()
            message = f"hostile case {i}"
            with RssMonitor(server) as mon:
                started = time.monotonic()
                res = _send(source, up, companion, message)
                took = time.monotonic() - started
            peaks[up.name] = mon.peak
            line = (
                f"{up.name}: HTTP {res.status}, {took:.1f}s, RSS peak {mon.peak >> 20} MiB "
                f"(server alone {mon.server_peak >> 20} MiB)"
            )
            print(line, [(f.outcome, f.text[:70]) for f in res.files])
            if not server.alive():
                problems.append(f"{up.name}: the server died")
                break
            if httpx.get(server.source_url + "/", timeout=10).status_code != 200:
                problems.append(f"{up.name}: GET / failed afterwards")
            if mon.peak > RSS_LIMIT:
                note = f"{up.name}: RSS peak {mon.peak >> 20} MiB over {RSS_LIMIT >> 20} MiB"
                # Known: see KNOWN_RSS below; the server process itself stays small.
                if up.name in KNOWN_RSS and mon.server_peak < RSS_LIMIT:
                    known.append(note)
                else:
                    problems.append(note)
            if up.refusal_ok and 400 <= res.status < 500 and "Nothing was kept" in res.page:
                refused.append(up.name)  # a designed limit: the page says nothing was kept
                continue
            if not res.sent or len(res.files) != 2:
                problems.append(f"{line}: not a defined two-file outcome")
                continue
            hostile, comp = res.files
            if hostile.outcome not in up.allowed:
                problems.append(f"{up.name}: outcome {hostile.outcome} not in {set(up.allowed)}")
            if hostile.outcome in ("rejected", "not_cleaned") and "Reason:" not in hostile.text:
                problems.append(f"{up.name}: {hostile.outcome} without a reason for the source")
            if comp.outcome != "cleaned":
                problems.append(f"{up.name}: the next file was {comp.outcome}: pool not recovered")
            sent[message] = (up, hostile.outcome)
    source.close()
    figures("cases", len(peaks))
    figures("refused whole (designed limit)", refused)
    figures("RSS peak MiB (server + workers)", total.peak >> 20)
    figures("RSS peak MiB (server alone)", total.server_peak >> 20)
    figures("worst case", max(peaks, key=lambda k: peaks[k]) if peaks else "-")
    assert not problems, "\n".join(problems)

    # No partial output: every bundle opens whole, and holds what the page said.
    state = store_state(fresh.data_dir)
    assert state.consistent(), state
    opened = open_bundles(fresh, fresh.identity(), state.rows, tmp_path / "workstation")
    assert len(opened) == len(sent)
    for ob in opened.values():
        up, outcome = sent[ob.message or ""]
        files = {f.name: f for f in ob.files}
        assert files["companion.jpg"].path.read_bytes() == companion_clean
        others = [f for n, f in files.items() if n != "companion.jpg"]
        if outcome == "rejected":
            assert not others, f"{up.name}: a rejected file was sealed"
            continue
        assert len(others) == 1, f"{up.name}: {list(files)}"
        f = others[0]
        assert f.path.parent.parent == ob.folder, f"{up.name}: escaped its folder"
        assert "/" not in f.name and not f.name.startswith(".")
        assert all(unicodedata.category(c)[0] != "C" for c in f.name), repr(f.name)
        assert len(f.name.encode()) <= 120
        assert f.scrub.get("outcome") == outcome, (up.name, f.scrub.get("outcome"), outcome)
        got = f.path.read_bytes()
        if outcome == "not_cleaned":
            assert got == up.data, f"{up.name}: sealed bytes differ from the upload"
        elif len(up.data) <= _IN_PROCESS_MAX:
            first, second = scrub_bytes(up.data).data, scrub_bytes(up.data).data
            if first == second:
                assert got == first, f"{up.name}: cleaned bytes differ from scrub.api's"
            else:
                # Formats that mint fresh identifiers (DICOM UIDs, PDF /ID).
                assert first is not None
                assert sniff_bytes(got) == sniff_bytes(first), f"{up.name}: type changed"
        for bad in up.forbidden:
            assert bad not in got, f"{up.name}: {bad!r} survived cleaning"
    if known:
        pytest.xfail(KNOWN_RSS_REASON + ": " + "; ".join(known))
