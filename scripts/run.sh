#!/bin/sh
# `make run`: the first admin login (on an empty database), a local mail server that prints
# every e-mail decoded (unless SMTP_HOST is set), the two workers production runs beside the web
# server (`flask outbox send --loop` sends queued mail, `flask jobs work --loop` runs the jobs
# started from pages), gunicorn with gunicorn.conf.py, and once it answers, a summary printed
# last, below all install and start-up output.
# The Makefile sets BIN, HOST, PORT and MAIL_PORT.
set -eu
login=$("$BIN/flask" --app donations_app bootstrap)
pids=""
server_pid=""
stop() {
	for pid in $server_pid $pids; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	wait
}
trap 'stop; exit 0' INT TERM

if [ -z "${SMTP_HOST:-}" ]; then
	"$BIN/python" -m donations_app.devmail --host 127.0.0.1 --port "$MAIL_PORT" &
	pids="$pids $!"
	export SMTP_HOST=127.0.0.1 SMTP_PORT="$MAIL_PORT"
	mail="E-mail is printed here, decoded, by a local SMTP server on 127.0.0.1:$MAIL_PORT (MAIL_PORT)."
else
	mail="E-mail is sent through $SMTP_HOST:${SMTP_PORT:-1025}."
fi

# The workers run as processes of their own, so the web workers run no background threads.
# Their start banners go (the summary names them); their logs and errors still show here.
export OUTBOX_IN_APP_SENDER=false JOBS_IN_APP_WORKER=false
"$BIN/flask" --app donations_app outbox send --loop >/dev/null &
pids="$pids $!"
"$BIN/flask" --app donations_app jobs work --loop >/dev/null &
pids="$pids $!"

"$BIN/gunicorn" --config gunicorn.conf.py --bind "$HOST:$PORT" &
server_pid=$!
probe_host=$HOST
[ "$HOST" != "0.0.0.0" ] || probe_host=127.0.0.1
until "$BIN/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
	"http://$probe_host:$PORT/healthz" 2>/dev/null; do
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "The server did not start (see above)." >&2
		stop
		exit 1
	fi
	sleep 0.5
done

cat <<SUMMARY

================================================================================
  Serving on http://$HOST:$PORT/ with gunicorn (gunicorn.conf.py). Stop with Ctrl+C.
  Beside it: the outbox sender (flask outbox send --loop) and the job worker (flask jobs work --loop).
  Reviewers sign in at http://$HOST:$PORT/review/sign-in
  $mail
$login
  Lost the admin password? A new one-time password:
    .venv/bin/flask --app donations_app users reset-password admin@inl.example.gov
================================================================================

SUMMARY
wait "$server_pid"
