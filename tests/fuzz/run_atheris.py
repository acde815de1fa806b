"""Run one fuzz target under atheris (coverage-guided, libFuzzer).

    python -m tests.fuzz.run_atheris TARGET --seconds N [--runs N] [--seed S]
        --work DIR [--save-crashes]

Seeds go into DIR/corpus (libFuzzer adds what it finds there), crash inputs
into DIR/artifacts/. With --save-crashes each crash input is also copied to
tests/fuzz/regressions/TARGET/<sha256>.bin to be committed (`make fuzz`).

Must never: write outside DIR and the regressions folder.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import atheris

REGRESSIONS = Path(__file__).parent / "regressions"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=-1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--save-crashes", action="store_true")
    args = ap.parse_args()

    # Coverage instrumentation for the code under test only.
    with atheris.instrument_imports(
        include=["scrub", "crypto", "server.ingest", "python_multipart"]
    ):
        # Everything the targets reach is imported here, inside the block,
        # so that it is instrumented for coverage.
        import python_multipart.multipart  # noqa: F401

        import crypto.age
        import crypto.keys
        import crypto.signing  # noqa: F401
        import scrub.sniff  # noqa: F401
        import server.ingest.form  # noqa: F401
        from tests.fuzz.targets import all_targets

        target = all_targets()[args.target]
        from scrub import registry

        if args.target.startswith("scrub-"):
            registry.get(args.target[len("scrub-") :])  # import the format module now

    corpus = args.work / "corpus"
    artifacts = args.work / "artifacts"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(target.seeds()):
        (corpus / f"seed-{i}").write_bytes(seed)
    known = REGRESSIONS / args.target
    if known.is_dir():
        for p in known.iterdir():
            (corpus / f"regression-{p.name}").write_bytes(p.read_bytes())

    def one_input(data: bytes) -> None:
        try:
            target.run(data)
        except BaseException:
            if args.save_crashes:
                digest = hashlib.sha256(data).hexdigest()[:16]
                known.mkdir(parents=True, exist_ok=True)
                (known / f"{digest}.bin").write_bytes(data)
            raise

    libfuzzer_args = [
        sys.argv[0],
        str(corpus),
        f"-seed={args.seed}",
        f"-max_total_time={args.seconds}",
        f"-artifact_prefix={artifacts}/",
        "-rss_limit_mb=3072",
        "-timeout=60",
        "-max_len=262144",
        "-print_final_stats=1",
    ]
    if args.runs > 0:
        libfuzzer_args.append(f"-runs={args.runs}")
    atheris.Setup(libfuzzer_args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
