#!/usr/bin/env bash
# Install everything Quartierskarte Minden needs into ./.venv and ./static/vendor.
#   bash scripts/install.sh          app only
#   bash scripts/install.sh --test   app + test tools + Debian's chromium and poppler-utils for the tests
# Needs: python3 (3.11+) with venv, npm, and apt-get (as root or via sudo) for Pango and fonts (PDF posters).
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=false
[[ "${1:-}" == "--test" ]] && want_tests=true

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if $want_tests; then
  .venv/bin/python -m pip install --quiet -r requirements-test.txt
else
  .venv/bin/python -m pip install --quiet -r requirements.txt
fi

# Leaflet & plugins from the npm registry, checked against pinned SHA-512 sums (see geo/render/assets.py).
.venv/bin/python -m geo fetch-assets
if $want_tests; then
  # axe-core for the accessibility browser test, pinned and checked the same way (geo/render/assets.py TEST_ASSETS).
  .venv/bin/python -c "from geo.render.assets import TEST_ASSETS, fetch_assets; fetch_assets(assets=TEST_ASSETS)"
fi

# Debian packages: Pango and a font covering Latin, Cyrillic, Arabic and Persian for the PDF posters (app);
# for the tests also chromium (browser tests), poppler-utils (pdftoppm renders PDF pages to check them) and
# postgresql (tests/store/ and tests/e2e/test_betrieb.py start a throwaway PostgreSQL 15 cluster from
# /usr/lib/postgresql/15/bin) and nginx (tests/e2e/test_betrieb.py).
packages=()
ldconfig -p | grep -q "libpango-1.0.so.0" || packages+=(libpango-1.0-0)
ldconfig -p | grep -q "libpangoft2-1.0.so.0" || packages+=(libpangoft2-1.0-0)
ldconfig -p | grep -q "libharfbuzz-subset.so.0" || packages+=(libharfbuzz-subset0)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || packages+=(fonts-dejavu-core)
if $want_tests; then
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || packages+=(poppler-utils)
  [[ -x /usr/lib/postgresql/15/bin/initdb ]] || packages+=(postgresql)
  # tests/e2e/test_betrieb.py: two app processes behind nginx with deploy/nginx/quartierskarte-proxy.conf
  command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || packages+=(nginx)
fi
if (( ${#packages[@]} )); then
  SUDO=""
  [[ "$(id -u)" != "0" ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  # Packages with a service (nginx, postgresql) must not start it on a test machine: the tests start their own.
  no_start=false
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
    no_start=true
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
  if $no_start; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi
echo "Installation fertig."
