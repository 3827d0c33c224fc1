#!/usr/bin/env bash
# Installs the LNPay clients the tests drive unchanged:
#   npm  lnpay 1.1.4 and lnpay-js 0.1.2 (pinned by tests/clients/lnpay/package-lock.json)
#   PyPI lnpay-py 0.1.0 and Lnpay 1.0, in their own venv (tests/clients/lnpay/.venv).
# Idempotent: stamps make a second run return at once.
set -euo pipefail
here="$(cd "$(dirname "$0")/lnpay" && pwd)"
cd "$here"

command -v npm >/dev/null || { echo "install-lnpay: npm is required" >&2; exit 1; }
stamp=node_modules/.lngate-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" || ! -d node_modules/lnpay-js ]]; then
  # lnpay-js lists its build tooling as dependencies; none of their install scripts is needed.
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

venv="$here/.venv"
pystamp="$venv/.installed-lnpay-py-0.1.0-Lnpay-1.0"
if [[ ! -f $pystamp ]]; then
  python="${PYTHON:-python3}"
  test -x "$venv/bin/python" || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      "requests>=2,<3" setuptools wheel
  # Both sdists import `requests` in their setup.py, hence no build isolation.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
      --no-build-isolation "lnpay-py==0.1.0" "Lnpay==1.0"
  touch "$pystamp"
fi
