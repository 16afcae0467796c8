#!/usr/bin/env bash
# Install Digits and everything its tests need on Debian or Ubuntu, as root or
# as a user with sudo. Safe to run again: it skips what is present.
#
#   bash scripts/install.sh
#   . .venv/bin/activate
#
# 1. Debian packages (with sudo unless root): python3-venv to make the virtual
#    environment, Chromium for the browser tests and libatomic1 for Playwright's
#    driver (a minimal Debian lacks it), PostgreSQL for the database
#    tests (they start a throwaway server of their own from its binaries), and
#    buildah, podman and debootstrap for the container test.
# 2. A virtual environment in .venv, holding this checkout (editable) with its
#    dev extras: the test tools, linters, Playwright for Python. Debian's own
#    Python refuses `pip install` outside one ("externally-managed-environment").
# 3. The data sets the tests read, each unless the tests can already find it
#    (its setting, ../shared/data/<name> or ~/.cache/digits/<name>): MNIST,
#    pendigits-train and uji-letters. `digits data download NAME` fetches it
#    into ~/.cache/digits and checks its SHA-256.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv

if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi

apt_packages=()
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || apt_packages+=(python3-venv)
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
compgen -G "/usr/lib/*/libatomic.so.1" >/dev/null || apt_packages+=(libatomic1)
command -v buildah >/dev/null 2>&1 || apt_packages+=(buildah)
command -v podman >/dev/null 2>&1 || apt_packages+=(podman)
command -v debootstrap >/dev/null 2>&1 || apt_packages+=(debootstrap)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || apt_packages+=(postgresql)
if ((${#apt_packages[@]})); then
  echo "installing Debian packages: ${apt_packages[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
echo "installing digits and its test tools into $VENV" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]"

for data in mnist pendigits uji-letters; do
  if ! "$VENV/bin/digits" data verify "$data" >/dev/null 2>&1; then
    "$VENV/bin/digits" data download "$data"
  fi
done
echo "digits installed: $VENV/bin/digits (activate with: . $VENV/bin/activate)"
