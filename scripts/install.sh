#!/usr/bin/env bash
# Install everything Digits and its tests need on a Debian-based machine:
# the Python package with its dev extras, Debian's Chromium for the browser
# tests, Debian's PostgreSQL (the database tests start a throwaway server of
# their own from its binaries), and buildah/podman (through
# ../shared/tools/container-base when it is there) for the container test. Safe to run again: it skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e ".[dev]"

apt_packages=()
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
command -v buildah >/dev/null 2>&1 || apt_packages+=(buildah)
command -v podman >/dev/null 2>&1 || apt_packages+=(podman)
command -v debootstrap >/dev/null 2>&1 || apt_packages+=(debootstrap)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || apt_packages+=(postgresql)
if ((${#apt_packages[@]})); then
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  echo "installing Debian packages: ${apt_packages[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi
echo "digits installed: $(command -v digits)"
