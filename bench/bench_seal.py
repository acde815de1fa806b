"""Benchmark: signed sealing and verified opening of a 256 MiB file, in-process.

Prints MiB/s for BundleSealer (container + Padmé + age + minisign) and for
open_bundle (verify + decrypt + unpack to disk), each against `age -e` /
`age -d` on the same file in the same run, and each phase's peak RSS (every
phase runs in its own child process, measured with wait4).

Usage: .venv/bin/python bench/bench_seal.py [--mib 256] [--dir DIR]
Targets (2 cores): seal+sign >= 380 MiB/s, open >= 400 MiB/s, RSS <= 64 MiB.
Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BLOCK = 1 << 20


def _phase_seal(work: Path) -> dict[str, float]:
    from crypto.bundle import BundleSealer
    from crypto.keys import Identity
    from crypto.signing import SigningKey

    ident = Identity.parse((work / "id.txt").read_text())
    sk = SigningKey.load(work / "server.key")
    sid = (work / "sid").read_text()
    start = time.perf_counter()
    with (
        (work / "plain.bin").open("rb", buffering=0) as src,
        (work / f"{sid}.age").open("wb") as sink,
    ):
        sealer = BundleSealer(
            [ident.recipient()],
            sk,
            sink,
            submission_id=sid,
            source_id="bench",
            day="2026-11-25",
            reply_recipient=ident.recipient(),
        )
        sealer.begin_file("plain.bin", "unknown")
        buf = bytearray(BLOCK)
        view = memoryview(buf)
        while n := src.readinto(buf):
            sealer.write(view[:n])
        sealer.end_file({"outcome": "not_cleaned"})
        sig = sealer.finish()
    (work / f"{sid}.age.minisig").write_text(sig)
    return {"seconds": time.perf_counter() - start}


def _phase_open(work: Path) -> dict[str, float]:
    from crypto.keys import Identity
    from crypto.opener import open_bundle
    from crypto.signing import SigningKey

    ident = Identity.parse((work / "id.txt").read_text())
    pk = SigningKey.load(work / "server.key").public_key()
    sid = (work / "sid").read_text()
    start = time.perf_counter()
    open_bundle(work / f"{sid}.age", work / f"{sid}.age.minisig", ident, [pk], work / "out")
    return {"seconds": time.perf_counter() - start}


def _child(phase: str, work: Path) -> tuple[dict[str, float], float, float]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--phase", phase, "--dir", str(work)], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{phase} failed")
    cpu = usage.ru_utime + usage.ru_stime
    return json.loads(out), usage.ru_maxrss / 1024, cpu  # ru_maxrss is KiB on Linux


def _timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--phase", choices=["seal", "open"])
    args = ap.parse_args()
    if args.phase:
        fn = _phase_seal if args.phase == "seal" else _phase_open
        print(json.dumps(fn(args.dir)))
        return

    from crypto.keys import generate_identity
    from crypto.signing import SigningKey

    work = Path(tempfile.mkdtemp(prefix="samizdat-bench-", dir=args.dir))
    try:
        ident = generate_identity()
        (work / "id.txt").write_text(ident.encode() + "\n")
        SigningKey.generate().save(work / "server.key")
        (work / "sid").write_text(str(uuid.uuid4()))
        block = os.urandom(BLOCK)
        with (work / "plain.bin").open("wb") as f:
            for i in range(args.mib):
                f.write(block[i:] + block[:i])
        mib = args.mib
        seal, seal_rss, seal_cpu = _child("seal", work)
        opened, open_rss, open_cpu = _child("open", work)
        age_e = _timed(
            [
                "age",
                "-e",
                "-r",
                ident.recipient().encode(),
                "-o",
                str(work / "stock.age"),
                str(work / "plain.bin"),
            ]
        )
        age_d = _timed(
            [
                "age",
                "-d",
                "-i",
                str(work / "id.txt"),
                "-o",
                str(work / "stock.out"),
                str(work / "stock.age"),
            ]
        )
        seal_rate = mib / seal["seconds"]
        open_rate = mib / opened["seconds"]
        age_e_rate = mib / age_e
        age_d_rate = mib / age_d
        print(f"file: {mib} MiB, cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.2f}")
        print(
            f"seal+sign : {seal_rate:7.1f} MiB/s  ({seal_rate / age_e_rate:.2f}x age -e "
            f"{age_e_rate:.1f} MiB/s)  peak RSS {seal_rss:.1f} MiB   target >= 380"
        )
        print(
            f"open      : {open_rate:7.1f} MiB/s  ({open_rate / age_d_rate:.2f}x age -d "
            f"{age_d_rate:.1f} MiB/s)  peak RSS {open_rss:.1f} MiB   target >= 400"
        )
        # Load-independent view: MiB per CPU-second of the whole child process
        # (interpreter start-up and key loading included); wall/CPU < 1 = parallelism.
        print(
            f"CPU cost  : seal {mib / seal_cpu:.0f} MiB/CPU-s, open {mib / open_cpu:.0f} "
            f"MiB/CPU-s; wall/CPU seal {seal['seconds'] / seal_cpu:.2f}, "
            f"open {opened['seconds'] / open_cpu:.2f}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
