#!/usr/bin/env bash
# Installs the PyPI client pylnbits 0.0.8 into its own venv (its pins conflict with ours).
# Idempotent: a stamp file makes a second run return at once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/lnbits/.venv"
stamp="$venv/.installed-pylnbits-0.0.8-2"
[ -f "$stamp" ] && exit 0
python="${PYTHON:-python3}"
test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "aiohttp>=3.8,<4" "lnurl<0.4" "pydantic<2" requests pyyaml
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "pylnbits==0.0.8"
touch "$stamp"
