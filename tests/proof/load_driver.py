"""Load against a real `samizdat serve`: N sources submitting and N codename
logins, all released at once, while a prober keeps asking for `GET /`.

Shared by tests/proof/test_load.py (modest numbers) and bench/bench_load.py
(the full ones). Only designed refusals are allowed: 429 or 503 whose page
asks to retry. Reports throughput and p50/p95/p99 latencies.

Must never: count a refusal without a retry message as designed, or write a
payload to disk.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.proof.payloads import MiB, text_payload, unknown_payload
from tests.support.server_process import HttpSource, RssMonitor, ServerProcess, csrf_of

_RETRY_WORDS = ("try again", "retry", "wait")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class LoadReport:
    submitters: int
    logins: int
    file_bytes: int
    wall_seconds: float = 0.0
    submit_latencies: list[float] = field(default_factory=list)
    login_latencies: list[float] = field(default_factory=list)
    probe_latencies: list[float] = field(default_factory=list)
    accepted: int = 0
    logged_in: int = 0
    designed_refusals: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    probe_failures: int = 0
    rss_peak: int = 0
    server_rss_peak: int = 0

    def refusal(self, kind: str) -> None:
        self.designed_refusals[kind] = self.designed_refusals.get(kind, 0) + 1

    def lines(self) -> list[str]:
        mb = self.accepted * self.file_bytes / 1e6
        s = self.submit_latencies
        lg = self.login_latencies
        pr = self.probe_latencies
        return [
            f"sources submitting: {self.submitters} x {self.file_bytes / MiB:.2f} MiB, "
            f"codename logins: {self.logins}, wall {self.wall_seconds:.1f}s",
            f"accepted {self.accepted}, logged in {self.logged_in}, designed refusals "
            f"{self.designed_refusals or 0}, errors {len(self.errors)}",
            f"throughput {mb / max(self.wall_seconds, 1e-9):.1f} MB/s, "
            f"{self.accepted / max(self.wall_seconds, 1e-9):.2f} submissions/s",
            f"new source + submit latency p50 {percentile(s, 50):.2f}s "
            f"p95 {percentile(s, 95):.2f}s "
            f"p99 {percentile(s, 99):.2f}s",
            f"login latency p50 {percentile(lg, 50):.2f}s p95 {percentile(lg, 95):.2f}s "
            f"p99 {percentile(lg, 99):.2f}s",
            f"GET / while loaded: {len(pr)} probes, failures {self.probe_failures}, "
            f"p50 {percentile(pr, 50):.3f}s p99 {percentile(pr, 99):.3f}s, "
            f"max {max(pr) if pr else float('nan'):.3f}s",
            f"RSS peak {self.rss_peak >> 20} MiB (server alone {self.server_rss_peak >> 20} MiB)",
        ]


def _is_designed(r: httpx.Response) -> bool:
    return r.status_code in (429, 503) and any(w in r.text.lower() for w in _RETRY_WORDS)


def make_codenames(url: str, count: int) -> list[str]:
    """Sources created before the load (their codenames are used to log in)."""
    names: list[str] = []
    while len(names) < count:
        with HttpSource(url) as s:
            r = s.new()
            if r.status_code == 200:
                names.append(s.codename)
            else:
                time.sleep(0.5)
    return names


def run_load(
    server: ServerProcess,
    *,
    submitters: int,
    codenames: list[str],
    file_bytes: int,
    seed: int = 5,
) -> LoadReport:
    report = LoadReport(submitters, len(codenames), file_bytes)
    lock = threading.Lock()
    start = threading.Barrier(submitters + len(codenames) + 1)
    done = threading.Event()
    url = server.source_url

    def submitter(i: int) -> None:
        rng = random.Random(f"{seed}/{i}")
        maker = text_payload if i % 4 == 0 else unknown_payload
        data = maker(f"load{i}", "loadmarker", file_bytes, rng)
        with HttpSource(url, timeout=600) as s:
            s.home()
            start.wait()
            t0 = time.monotonic()
            try:
                r = s.new()
                if r.status_code != 200:
                    with lock:
                        if _is_designed(r):
                            report.refusal(f"/new {r.status_code}")
                        else:
                            report.errors.append(f"/new {r.status_code}")
                    return
                res = s.submit([(f"load{i}.bin", data)], f"load {i}")
            except httpx.HTTPError as exc:
                with lock:
                    report.errors.append(f"submitter {i}: {type(exc).__name__}")
                return
            took = time.monotonic() - t0
            with lock:
                if res.sent:
                    report.accepted += 1
                    report.submit_latencies.append(took)
                elif res.status in (429, 503) and any(w in res.page.lower() for w in _RETRY_WORDS):
                    report.refusal(f"/submit {res.status}")
                else:
                    report.errors.append(f"/submit {res.status}")

    def login(codename: str) -> None:
        with HttpSource(url, timeout=600) as s:
            page = s.client.get("/login")
            token = csrf_of(page.text)
            start.wait()
            t0 = time.monotonic()
            try:
                r = s.client.post(
                    "/login",
                    data={"csrf_token": token, "codename": codename},
                    follow_redirects=False,
                )
            except httpx.HTTPError as exc:
                with lock:
                    report.errors.append(f"login: {type(exc).__name__}")
                return
            took = time.monotonic() - t0
            with lock:
                if r.status_code == 303 and r.headers.get("location") == "/replies":
                    report.logged_in += 1
                    report.login_latencies.append(took)
                elif _is_designed(r):
                    report.refusal(f"/login {r.status_code}")
                else:
                    report.errors.append(f"/login {r.status_code}")

    def prober() -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            while not done.is_set():
                t0 = time.monotonic()
                try:
                    ok = c.get("/").status_code == 200
                except httpx.HTTPError:
                    ok = False
                with lock:
                    report.probe_latencies.append(time.monotonic() - t0)
                    if not ok:
                        report.probe_failures += 1
                done.wait(0.25)

    threads = [threading.Thread(target=submitter, args=(i,)) for i in range(submitters)]
    threads += [threading.Thread(target=login, args=(c,)) for c in codenames]
    for t in threads:
        t.start()
    probe = threading.Thread(target=prober)
    with RssMonitor(server, interval=0.1) as mon:
        start.wait()
        t0 = time.monotonic()
        probe.start()
        for t in threads:
            t.join()
        report.wall_seconds = time.monotonic() - t0
        done.set()
        probe.join()
    report.rss_peak = mon.peak
    report.server_rss_peak = mon.server_peak
    return report
