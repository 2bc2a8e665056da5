#!/usr/bin/env bash
# Sets everything up on a fresh machine and runs the service on its embedded default:
# a private PostgreSQL in ./ledger-data, the API on http://127.0.0.1:8000, projectors in-process.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/ledger serve "$@"
