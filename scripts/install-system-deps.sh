#!/usr/bin/env bash
# Debian packages the test suite uses as independent peers: age and minisign
# (readers of our bundles), exiftool (metadata oracle), qpdf, ffmpeg, mat2
# (benchmark peers), chromium (the source's browser, JavaScript off), tor (a
# private test network on loopback only), libreoffice (Office files still open).
set -euo pipefail
pkgs=(age minisign libimage-exiftool-perl mat2 qpdf ffmpeg chromium tor iproute2
      libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui poppler-utils
      shellcheck systemd)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing Debian packages: ${missing[*]}" >&2
  echo "hint: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
# The tor package would start the system tor with its default config, which
# contacts the public network. policy-rc.d exiting 101 forbids service starts.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  created_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
if [ "$created_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
if pgrep -x tor >/dev/null; then
  echo "warning: a tor process is running after install; stopping it" >&2
  pkill -x tor || true
fi
