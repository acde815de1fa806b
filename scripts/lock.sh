#!/usr/bin/env bash
# Re-pin all dependencies with hashes (supply chain: installs use --require-hashes).
set -euo pipefail
cd "$(dirname "$0")/.."
uv_bin=${UV:-.venv/bin/uv}
[ -x "$uv_bin" ] || { .venv/bin/pip install uv && uv_bin=.venv/bin/uv; }
common=(--generate-hashes --python-version 3.11 --quiet --no-header)
"$uv_bin" pip compile requirements/build.in "${common[@]}" -o requirements/build.lock
"$uv_bin" pip compile pyproject.toml "${common[@]}" -o requirements/client.lock
"$uv_bin" pip compile pyproject.toml --extra server "${common[@]}" -o requirements/server.lock
"$uv_bin" pip compile pyproject.toml --extra server --extra test "${common[@]}" -o requirements/test.lock
