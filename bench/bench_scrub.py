"""Benchmark `samizdat scrub` (whole process) against `exiftool -all=` and `mat2`, same run.

Usage: .venv/bin/python bench/bench_scrub.py [--runs 5] [--only jpeg|png]

Builds its inputs (nothing committed): an ~18 MB camera-like JPEG (noise
pixels, EXIF with GPS/MakerNote/thumbnail, XMP, IPTC, ICC) and an ~18 MB PNG.
Prints median wall time per tool and the ratios, then in-process JPEG/PNG
throughput of scrub.api.scrub_bytes. Targets (issue 3): whole-process JPEG
within 1.5x exiftool; in-process JPEG/PNG >= 500 MB/s.
The PDF part (20 MB, 18 pages) belongs beside this one: see `SECTIONS`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent


def make_camera_jpeg(folder: Path, target_mb: float = 18.0) -> Path:
    from PIL import Image

    # Noise compresses like a high-ISO sensor image: ~18 MB at 6000x4000, q90.
    w, h = 6000, 4000
    img = Image.frombytes("RGB", (w, h), os.urandom(w * h * 3))
    exif = Image.Exif()
    exif[0x010F] = "BenchCam"
    exif[0x0110] = "Model X"
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[0x927C] = os.urandom(60_000)  # a MakerNote-sized blob
    path = folder / "camera.jpg"
    img.save(path, "JPEG", quality=88, exif=exif)
    thumb = folder / "thumb.jpg"
    img.resize((160, 120)).save(thumb, "JPEG")
    subprocess.run(
        [
            "exiftool", "-q", "-overwrite_original", "-GPSLatitude=51.5", "-GPSLatitudeRef=N",
            "-GPSLongitude=0.12", "-GPSLongitudeRef=W", "-SerialNumber=123456",
            "-XMP-dc:Creator=Bench", "-IPTC:By-line=Bench", f"-ThumbnailImage<={thumb}", str(path),
        ],
        check=True,
    )  # fmt: skip
    print(f"camera JPEG: {path.stat().st_size / 1e6:.1f} MB (target ~{target_mb} MB)")
    return path


def make_png(folder: Path) -> Path:
    from PIL import Image

    w, h = 3000, 2000
    img = Image.frombytes("RGB", (w, h), os.urandom(w * h * 3))
    path = folder / "large.png"
    img.save(path, "PNG", compress_level=1)
    print(f"PNG: {path.stat().st_size / 1e6:.1f} MB")
    return path


def timed(fn: Callable[[], None], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def whole_process(src: Path, work: Path, runs: int) -> dict[str, float]:
    results: dict[str, float] = {}

    def ours() -> None:
        out = work / "ours"
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(
            [str(BIN / "samizdat"), "scrub", str(src), "--out-dir", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def exiftool() -> None:
        out = work / "exiftool.jpg"
        out.unlink(missing_ok=True)
        subprocess.run(["exiftool", "-q", "-all=", "-o", str(out), str(src)], check=True)

    def mat2() -> None:
        copy = work / f"mat2{src.suffix}"
        shutil.copyfile(src, copy)
        subprocess.run(["mat2", str(copy)], check=True, stdout=subprocess.DEVNULL)

    results["samizdat scrub"] = timed(ours, runs)
    results["exiftool -all="] = timed(exiftool, runs)
    if shutil.which("mat2"):
        results["mat2"] = timed(mat2, runs)
    return results


def in_process(src: Path, runs: int) -> float:
    from scrub.api import scrub_bytes

    data = src.read_bytes()
    scrub_bytes(data)  # warm imports

    def once() -> None:
        if scrub_bytes(data).data is None:
            raise SystemExit(f"{src.name} was not cleaned")

    seconds = timed(once, runs)
    return len(data) / seconds / 1e6


def jpeg_section(work: Path, runs: int) -> None:
    src = make_camera_jpeg(work)
    res = whole_process(src, work, runs)
    base = res["exiftool -all="]
    print("\nwhole process, camera JPEG (median of", runs, "runs):")
    for name, sec in res.items():
        print(f"  {name:16s} {sec * 1000:8.0f} ms   {sec / base:5.2f}x exiftool")
    ratio = res["samizdat scrub"] / base
    verdict = "meets" if ratio <= 1.5 else "MISSES"
    print(f"  -> samizdat/exiftool = {ratio:.2f} ({verdict} the 1.5x target)")
    print(f"\nin-process JPEG: {in_process(src, runs):7.0f} MB/s (target >= 500)")


def png_section(work: Path, runs: int) -> None:
    src = make_png(work)
    print(f"in-process PNG:  {in_process(src, runs):7.0f} MB/s (target >= 500)")


# Other formats add a (name, function(work_dir, runs)) entry here.
SECTIONS: list[tuple[str, Callable[[Path, int], None]]] = [
    ("jpeg", jpeg_section),
    ("png", png_section),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=[name for name, _ in SECTIONS], action="append")
    args = parser.parse_args()
    # Shared machines distort every figure: print the load so readers can judge.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average: {load} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-scrub-") as tmp:
        for name, section in SECTIONS:
            if args.only and name not in args.only:
                continue
            folder = Path(tmp) / name
            folder.mkdir()
            section(folder, args.runs)


if __name__ == "__main__":
    main()
