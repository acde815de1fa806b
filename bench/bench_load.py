"""Load benchmark against a real `samizdat serve` (the full numbers of
tests/proof/test_load.py): 50 sources submitting 5 MiB each and 50 codename
logins at once; prints throughput, p50/p95/p99, GET / latency under load and
the RSS peak of the server with its scrub workers.

    .venv/bin/python bench/bench_load.py [--sources 50] [--logins 50] [--mib 5]

Builds a throwaway instance with the real CLIs in a temp folder and deletes
it afterwards. Must never: bind anything but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.proof.load_driver import make_codenames, run_load
from tests.support.server_process import ServerProcess, make_instance


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", type=int, default=50)
    ap.add_argument("--logins", type=int, default=50)
    ap.add_argument("--mib", type=float, default=5.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="samizdat-bench-") as tmp:
        base = Path(tmp)
        inst = make_instance(base)
        server = ServerProcess(inst.data_dir, base / "serve.log", {"TMPDIR": str(base)})
        server.start()
        try:
            codenames = make_codenames(server.source_url, args.logins)
            report = run_load(
                server,
                submitters=args.sources,
                codenames=codenames,
                file_bytes=int(args.mib * 1024 * 1024),
            )
        finally:
            server.stop()
        for line in report.lines():
            print(line)
        if report.errors:
            print("errors:", report.errors)
            sys.exit(1)


if __name__ == "__main__":
    main()
