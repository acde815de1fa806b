#!/usr/bin/env bash
# Build an offline install bundle of the journalist client for the air-gapped
# workstation: every wheel pinned (with hashes) in requirements/client.lock, the
# samizdat wheel, SHA256SUMS, and install.sh. Copy the folder on a stick and run
# `bash install.sh` there; it installs with --no-index and --require-hashes.
#
# Usage: scripts/wheelhouse.sh [OUT_DIR]   (default: wheelhouse/)
# The wheels match this machine's platform and Python (build on the same
# Debian/Python as the air-gapped workstation).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/wheelhouse}"
py="${PYTHON:-$root/.venv/bin/python}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
"$py" -m pip download --quiet --only-binary=:all: --require-hashes \
  -r "$root/requirements/client.lock" -d "$out"
"$py" -m pip wheel --quiet --no-deps --no-build-isolation "$root" -w "$out"
cp "$root/requirements/client.lock" "$out/client.lock"
cat > "$out/install.sh" <<'INSTALL'
#!/usr/bin/env bash
# Offline install of the Samizdat journalist client. No network is used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-$HOME/samizdat-client}"
( cd "$here" && sha256sum --quiet -c SHA256SUMS )
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --no-index --find-links "$here" --require-hashes -r "$here/client.lock"
"$venv/bin/pip" install --quiet --no-index --no-deps "$here"/samizdat-*.whl
echo "installed: $venv/bin/samizdat"
INSTALL
chmod +x "$out/install.sh"
( cd "$out" && sha256sum ./*.whl client.lock > SHA256SUMS )
echo "wheelhouse: $out ($(ls "$out"/*.whl | wc -l) wheels)"
