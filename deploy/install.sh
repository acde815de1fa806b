#!/usr/bin/env bash
# Install a Samizdat instance on a fresh Debian 12 (bookworm) server.
#
#   sudo bash deploy/install.sh            # from a checkout of the release
#
# What it does (each step is idempotent; re-running upgrades the code):
#   1. Debian packages: python3 + venv, tor (>= 0.4.8 for the onion PoW
#      defence), unattended-upgrades, chrony (time sync).
#   2. A system user `samizdat` (no shell, no home outside the data dir).
#   3. A root-owned venv in /opt/samizdat/venv, installed only from the
#      hash-pinned requirements/server.lock (pip --require-hashes): a
#      tampered or substituted package fails the install.
#   4. The data dir /var/lib/samizdat (0700, samizdat) and `samizdat admin init`.
#   5. systemd units (hardened), the tor drop-in, the tor-sync path unit.
#   6. tor's config via samizdat-tor-sync; tor started; onion addresses shown.
# It never prints a secret, and refuses to continue on a swap that is not
# encrypted unless SAMIZDAT_ALLOW_PLAIN_SWAP=1 (plaintext being scrubbed
# could be paged out to disk).
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX=/opt/samizdat
VENV="$PREFIX/venv"
DATA_DIR=/var/lib/samizdat
TOR_DIR=/var/lib/tor/samizdat
APP_USER=samizdat

die() { echo "error: $1" >&2; [ -n "${2:-}" ] && echo "hint: $2" >&2; exit 1; }
step() { echo "==> $*"; }

[ "$(id -u)" -eq 0 ] || die "run as root" "sudo bash deploy/install.sh"
. /etc/os-release
[ "${ID:-}" = debian ] && [ "${VERSION_ID:-}" = 12 ] \
  || die "this installer targets Debian 12 (found ${PRETTY_NAME:-unknown})" \
         "on other systems follow docs/deploy.md by hand"
[ -f "$SRC/requirements/server.lock" ] || die "run from a Samizdat checkout" \
  "cd into the release directory first"

# -- swap: plaintext in RAM must not reach a disk in the clear ---------------
check_swap() {
  local dev
  while read -r dev _; do
    [ "$dev" = Filename ] && continue
    # zram is RAM; dm-crypt devices are encrypted. Anything else is plain.
    case "$dev" in /dev/zram*) continue ;; esac
    if [ "$(lsblk -no TYPE "$dev" 2>/dev/null | head -1)" != crypt ]; then
      return 1
    fi
  done < /proc/swaps
  return 0
}
if ! check_swap; then
  if [ "${SAMIZDAT_ALLOW_PLAIN_SWAP:-0}" = 1 ]; then
    echo "warning: unencrypted swap is active; see docs/deploy.md (swap)" >&2
  else
    die "unencrypted swap is active: scrubbed plaintext could be paged to disk" \
        "swapoff -a and remove swap from /etc/fstab, or encrypt it (docs/deploy.md)"
  fi
fi

# -- 1. packages -------------------------------------------------------------
step "Debian packages"
# Keep the tor package from starting with Debian's default config (a SOCKS
# port on 9050) before our torrc is in place. Removed again only if ours.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  python3 python3-venv tor unattended-upgrades apt-listchanges chrony ca-certificates
cleanup; created_policy=0

tor_version="$(tor --version | sed -n 's/^Tor version \([0-9.]*\).*/\1/p' | head -1)"
dpkg --compare-versions "$tor_version" ge 0.4.8 \
  || die "tor $tor_version is too old (the onion PoW defence needs >= 0.4.8)" \
         "enable bookworm-backports or deb.torproject.org, then re-run"

# Security updates install themselves (docs/deploy.md: unattended upgrades).
cat > /etc/apt/apt.conf.d/20auto-upgrades <<'EOF'
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
EOF
systemctl enable --now chrony.service >/dev/null

# -- 2. user -----------------------------------------------------------------
step "user $APP_USER"
if ! id "$APP_USER" >/dev/null 2>&1; then
  adduser --system --group --home "$DATA_DIR" --no-create-home \
          --shell /usr/sbin/nologin "$APP_USER"
fi

# -- 3. code -----------------------------------------------------------------
step "venv $VENV (hash-checked)"
install -d -m 0755 -o root -g root "$PREFIX"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --require-hashes --no-deps -r "$SRC/requirements/build.lock"
"$VENV/bin/pip" install --quiet --require-hashes --no-deps -r "$SRC/requirements/server.lock"
"$VENV/bin/pip" install --quiet --no-deps --no-build-isolation "$SRC"
# The units' Documentation= points here.
install -d -m 0755 "$PREFIX/src"
rm -rf "$PREFIX/src/docs" && cp -a "$SRC/docs" "$PREFIX/src/docs"
install -m 0755 -o root -g root "$SRC/deploy/samizdat-tor-sync" /usr/local/sbin/samizdat-tor-sync
# The sync script runs with the venv's python (it imports server.torconfig).
sed -i "1s|.*|#!$VENV/bin/python|" /usr/local/sbin/samizdat-tor-sync
ln -sf "$VENV/bin/samizdat" /usr/local/bin/samizdat

# -- 4. data dir -------------------------------------------------------------
step "data dir $DATA_DIR"
install -d -m 0700 -o "$APP_USER" -g "$APP_USER" "$DATA_DIR"
if [ ! -e "$DATA_DIR/INSTANCE" ]; then
  runuser -u "$APP_USER" -- "$VENV/bin/samizdat" admin init --data-dir "$DATA_DIR" --yes
fi
install -d -m 0700 -o "$APP_USER" -g "$APP_USER" \
  "$DATA_DIR/tor" "$DATA_DIR/tor/journalist" "$DATA_DIR/tor/journalist/authorized_clients"

# -- 5. units ----------------------------------------------------------------
step "systemd units"
install -m 0644 "$SRC/deploy/systemd/samizdat.service" /etc/systemd/system/
install -m 0644 "$SRC/deploy/systemd/samizdat-tor-sync.service" /etc/systemd/system/
install -m 0644 "$SRC/deploy/systemd/samizdat-tor-sync.path" /etc/systemd/system/
install -d -m 0755 /etc/systemd/system/tor@default.service.d
install -m 0644 "$SRC/deploy/systemd/tor@default.service.d/samizdat.conf" \
  /etc/systemd/system/tor@default.service.d/
systemctl daemon-reload

# -- 6. tor ------------------------------------------------------------------
step "tor onion services"
[ -e /etc/tor/torrc.dist ] || cp -a /etc/tor/torrc /etc/tor/torrc.dist
/usr/local/sbin/samizdat-tor-sync --data-dir "$DATA_DIR" --tor-dir "$TOR_DIR" --no-reload
systemctl enable --now tor.service tor@default.service samizdat-tor-sync.path >/dev/null
systemctl restart tor@default.service
# Again, now that tor has created the onion keys: publishes the addresses.
/usr/local/sbin/samizdat-tor-sync --data-dir "$DATA_DIR" --tor-dir "$TOR_DIR"
systemctl enable --now samizdat.service >/dev/null

step "done"
runuser -u "$APP_USER" -- "$VENV/bin/samizdat" admin onion --data-dir "$DATA_DIR" || true
cat <<EOF

Next (docs/deploy.md):
  - enrol each journalist from their air-gapped key:
      sudo -u $APP_USER samizdat admin journalist add NAME --public-key FILE --data-dir $DATA_DIR
  - publish the source onion address on your HTTPS site (Onion-Location).
  - back up $DATA_DIR and $TOR_DIR (onion keys) to offline media.
EOF
