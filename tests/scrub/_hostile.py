"""Run one scrub in a fresh interpreter and report its outcome, time and
peak memory, so hostile-input tests can bound memory (ru_maxrss of the
child alone) without the test process's own history muddying it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_CHILD = """
import json, re, sys, time
from scrub.api import scrub_bytes
data = open(sys.argv[1], "rb").read()
start = time.monotonic()
result = scrub_bytes(data)
took = time.monotonic() - start
print(json.dumps({
    "outcome": result.report.outcome.value,
    "reason": result.report.reason,
    "has_data": result.data is not None,
    "seconds": took,
    # VmHWM is this process image's own peak: ru_maxrss would also count the
    # forked copy of the (possibly large) test worker from before exec.
    "maxrss_mb": int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())[1]) / 1024,
}))
"""


def scrub_in_child(path: Path, timeout: float = 120) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])
