#!/bin/sh
# `make test`'s suites: the whole suite on SQLite (browser tests included) and, when
# TEST_DATABASE_URL is set, the suite again on PostgreSQL (without the browser tests), both at
# once. They share nothing: each run makes its own databases (a template per run) and its own
# temporary folders, and the Redis tests use a key prefix per test. The PostgreSQL run's output
# is printed after the SQLite run's. The Makefile sets BIN.
set -u
if [ -z "${TEST_DATABASE_URL:-}" ]; then
	"$BIN/python" -m pytest
	status=$?
	echo "== TEST_DATABASE_URL is not set: the PostgreSQL run was skipped"
	exit "$status"
fi

log=$(mktemp)
pg=""
trap '[ -z "$pg" ] || kill -TERM "$pg" 2>/dev/null; rm -f "$log"; exit 130' INT TERM
echo "== the suite on SQLite, and at the same time on PostgreSQL ($TEST_DATABASE_URL)"
"$BIN/python" -m pytest --db=postgresql -m "not e2e" -p no:cacheprovider >"$log" 2>&1 &
pg=$!
"$BIN/python" -m pytest
sqlite=$?
wait "$pg"
postgresql=$?
echo "== the suite on PostgreSQL ($TEST_DATABASE_URL)"
cat "$log"
rm -f "$log"
echo "== exit status: SQLite $sqlite, PostgreSQL $postgresql"
[ "$sqlite" -eq 0 ] && [ "$postgresql" -eq 0 ]
