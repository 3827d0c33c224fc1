#!/usr/bin/env bash
# Install @getalby/sdk (pinned by tests/clients/alby/package-lock.json) for the Alby client test.
# Idempotent: does nothing when node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/alby"
command -v npm >/dev/null || { echo "install-alby: npm is required" >&2; exit 1; }
stamp=node_modules/.lngate-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" && -d node_modules/@getalby/sdk ]]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
