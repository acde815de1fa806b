"""Nothing acknowledged is lost (DESIGN): 12 concurrent sources upload
through the real forms of a real `samizdat serve`, the server gets `kill -9`
at a random moment, restarts, and then:

- every submission that got a success page exists, its signature verifies
  with the stock `minisign -V`, and it opens with the journalist identity to
  exactly what was sent after cleaning;
- every bundle on disk is one that was sent (an unacknowledged one may have
  landed just before the kill) and opens in full;
- after start-up no bundle is without a row, no row without a bundle, no
  signature without both and no temp file remains (the sweep says what it did);
- the journalist's real CLIs (`journalist fetch` from the restarted server,
  `journalist decrypt`) fetch, verify and open every bundle;
- no plaintext marker anywhere: data dir (DB, WAL, journal, store), the
  server's TMPDIR, its log, and files new in /tmp and /dev/shm (the
  journalist's opened folder excepted).

Seed: SAMIZDAT_CRASH_SEED (default fixed, printed). SAMIZDAT_SOAK=1: more
trials and bigger files.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.proof.conftest import SOAK
from tests.proof.figures import Figures
from tests.proof.payloads import KiB, MiB, Upload, make_upload
from tests.proof.verify import open_bundles, scan_for_marker, store_state
from tests.support.server_process import (
    FreshInstance,
    HttpSource,
    ServerProcess,
    fetch_and_decrypt,
)

SEED = int(os.environ.get("SAMIZDAT_CRASH_SEED", "20240611"))
TRIALS = 10 if SOAK else 3
SOURCES = 12
SIZES = [1 * KiB, 8 * KiB, 64 * KiB, 512 * KiB, 2 * MiB, 6 * MiB, 24 * MiB]
WEIGHTS = [4, 4, 3, 2, 2, 1, 1 if SOAK else 0.25]
# Seconds of load before the kill, drawn per trial.
KILL_WINDOW = (4.0, 15.0) if SOAK else (3.0, 9.0)
SWEEP_RE = re.compile(r"recovery sweep: removed (\d+) temp file\(s\) and (\d+) unacknowledged")


@dataclass
class Attempt:
    upload: Upload
    trial: int
    acked: bool = False
    error: str = ""


class Load:
    """SOURCES threads, each a new source submitting until the server dies."""

    def __init__(self, url: str, marker: str, seed: int, trial: int) -> None:
        self.url = url
        self.marker = marker
        self.seed = seed
        self.trial = trial
        self.attempts: list[Attempt] = []
        self.problems: list[str] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(SOURCES)
        ]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def join(self) -> None:
        for t in self._threads:
            t.join(timeout=180)
            assert not t.is_alive(), "a source thread hung after the kill"

    def _run(self, index: int) -> None:
        rng = random.Random(f"{self.seed}/{self.trial}/{index}")
        n = 0
        while not self.stop.is_set():
            try:
                with HttpSource(self.url, timeout=120.0) as source:
                    r = source.new()
                    if r.status_code == 503:  # designed: derivation queue full
                        continue
                    assert r.status_code == 200, r.status_code
                    for _ in range(3):
                        if self.stop.is_set():
                            return
                        n += 1
                        count = rng.choice([1, 1, 2, 3])
                        upload = make_upload(
                            f"t{self.trial}s{index}n{n}",
                            self.marker,
                            rng,
                            rng.choices(SIZES, WEIGHTS, k=count),
                            jpeg=rng.random() < 0.2,
                        )
                        attempt = Attempt(upload, self.trial)
                        with self._lock:
                            self.attempts.append(attempt)
                        self._submit(source, attempt)
            except (httpx.TransportError, AssertionError) as exc:
                if not self.stop.is_set() and not isinstance(exc, httpx.TransportError):
                    with self._lock:
                        self.problems.append(f"source {index}: {exc!r}")
                # The server is gone (killed): this source's run ends.
                if isinstance(exc, httpx.TransportError):
                    return

    def _submit(self, source: HttpSource, attempt: Attempt) -> None:
        up = attempt.upload
        res = source.submit(up.files, up.message)
        if not res.sent:
            attempt.error = f"HTTP {res.status}"
            if res.status != 503:
                self.problems.append(f"{up.tag}: not sent, HTTP {res.status}")
            return
        shown = {f.name: f.outcome for f in res.files}
        want = {n: ("not_cleaned" if n.endswith(".bin") else "cleaned") for n, _ in up.files}
        if shown != want:
            self.problems.append(f"{up.tag}: outcomes {shown} != {want}")
        attempt.acked = True


def _sweep_counts(start_log: str) -> tuple[int, int]:
    m = SWEEP_RE.search(start_log)
    assert m, f"start-up did not report its recovery sweep:\n{start_log}"
    return int(m.group(1)), int(m.group(2))


@pytest.mark.slow
def test_kill9_during_concurrent_uploads_loses_nothing(
    fresh: FreshInstance,
    server_factory: Callable[..., ServerProcess],
    figures: Figures,
    tmp_path: Path,
) -> None:
    started_at = time.time()
    marker = "CRASHMARK" + secrets.token_hex(8)
    print(f"\ncrash consistency: seed={SEED} trials={TRIALS} sources={SOURCES}")
    master = random.Random(SEED)
    server = server_factory(fresh, {"SAMIZDAT_SUBMISSIONS_PER_HOUR": "100000"})
    server.start()
    identity = fresh.identity()
    opened_dir = tmp_path / "workstation"  # the air-gapped side: never scanned
    all_attempts: list[Attempt] = []
    checked: dict[str, Upload] = {}
    sweeps: list[tuple[int, int]] = []
    orphans_alive: list[int] = []
    sent_bytes = 0
    by_message: dict[str, Upload] = {}
    for trial in range(TRIALS):
        load = Load(server.source_url, marker, SEED, trial)
        kill_at = master.uniform(*KILL_WINDOW)
        load.start()
        time.sleep(kill_at)
        orphans_alive += server.kill9()
        load.stop.set()
        load.join()
        assert not load.problems, load.problems
        all_attempts += load.attempts
        for a in load.attempts:
            by_message[a.upload.message] = a.upload
        sent_bytes += sum(a.upload.size for a in load.attempts if a.acked)

        t_verify = time.monotonic()
        start_log = server.start()
        sweeps.append(_sweep_counts(start_log))
        state = store_state(fresh.data_dir)
        assert state.consistent(), state
        new_ids = state.rows - checked.keys()
        opened = open_bundles(fresh, identity, new_ids, opened_dir)
        for sid, ob in opened.items():
            upload = by_message.get(ob.message or "")
            assert upload is not None, f"bundle {sid} matches no upload sent"
            got = {f.name: f.path.read_bytes() for f in ob.files}
            assert got == upload.expected, f"bundle {sid} ({upload.tag}) differs from what was sent"
            checked[sid] = upload
        acked_trial = sum(a.acked for a in load.attempts)
        print(
            f"trial {trial}: kill at {kill_at:.2f}s, attempts {len(load.attempts)}, "
            f"acked {acked_trial}, bundles now {len(state.rows)}, sweep {sweeps[-1]}, "
            f"restart + verify {time.monotonic() - t_verify:.1f}s"
        )

    # The journalist's path end to end with the real CLIs: fetch from the
    # restarted server, then decrypt everything (exit 0 = all verified).
    t_cli = time.monotonic()
    cli_opened = fetch_and_decrypt(fresh, server.journalist_url, opened_dir / "cli")
    print(f"journalist fetch + decrypt (CLIs): {time.monotonic() - t_cli:.1f}s")
    cli_messages = {(f / "message.txt").read_text() for f in cli_opened}
    found_tags = {u.tag for u in checked.values()}
    acked = [a for a in all_attempts if a.acked]
    lost = [a.upload.tag for a in acked if a.upload.tag not in found_tags]
    unacked_landed = len(found_tags) - len({a.upload.tag for a in acked} & found_tags)

    # No plaintext anywhere the server could have written (scanned before
    # anything else reads the opened folder; the workstation is excluded).
    server.stop()
    t_scan = time.monotonic()
    hits, scanned = scan_for_marker(
        marker,
        everything_under=[fresh.data_dir, Path(server.env["TMPDIR"]), server.log_path.parent],
        recent_under=[Path("/tmp"), Path("/dev/shm")],
        since=started_at,
        exclude=[opened_dir],
    )
    print(f"scan: {scanned} files in {time.monotonic() - t_scan:.1f}s")
    final = store_state(fresh.data_dir)

    figures("seed", SEED)
    figures("trials", TRIALS)
    figures("attempts", len(all_attempts))
    figures("acknowledged", len(acked))
    figures("acknowledged MiB", round(sent_bytes / MiB, 1))
    figures("lost", len(lost))
    figures("unacknowledged but landed whole", unacked_landed)
    figures("sweeps (temp, orphans) per restart", sweeps)
    figures("scrub workers outliving kill -9", len(orphans_alive))
    figures("bundles fetched + decrypted by the journalist CLIs", len(cli_opened))
    figures("files scanned", scanned)
    figures("marker hits", len(hits))
    print(f"lost={len(lost)} hits={len(hits)} acked={len(acked)} attempts={len(all_attempts)}")

    assert len(acked) >= TRIALS, "too few acknowledged submissions to prove anything"
    assert not lost, f"acknowledged but lost: {lost}"
    assert final.consistent(), final
    assert len(cli_opened) == len(final.rows), (len(cli_opened), len(final.rows))
    assert cli_messages == {u.message for u in checked.values()}
    assert not hits, hits
    assert not orphans_alive, f"scrub workers survived the server's kill -9: {orphans_alive}"
