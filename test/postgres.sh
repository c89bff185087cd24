#!/usr/bin/env bash
# A throwaway Postgres for the relay's Postgres tests and bench (issue 4): Debian's server,
# initdb in a temporary directory, loopback only, a free port, trust auth for one user. Postgres
# refuses to run as root, so as root the cluster belongs to the `postgres` system user.
#
#   bash test/postgres.sh start          prints `export WARDLINE_TEST_DATABASE_URL=…` lines to eval
#   bash test/postgres.sh stop DIR       stops the cluster started in DIR and removes it
#   bash test/postgres.sh run CMD ARGS…  starts one, runs CMD with the URL set, always stops it
#
# When WARDLINE_TEST_DATABASE_URL is already set, `run` uses that database and starts nothing.
# WARDLINE_TEST_PG_DURABLE=1 keeps fsync on (the bench); tests turn it off for speed, since they
# never kill the database server itself.
set -euo pipefail

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] && [ "$(id -u)" = 0 ]; then
    echo "postgres.sh: installing Debian's postgresql" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  if [ -z "$dir" ]; then
    echo "postgres.sh: no Postgres under /usr/lib/postgresql (apt-get install postgresql)" >&2
    exit 1
  fi
  echo "$dir"
}

# Runs a command as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start() {
  local bin dir port fsync=off
  bin=$(find_bin)
  dir=$(mktemp -d /tmp/wardline-pg-XXXXXX)
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  [ "${WARDLINE_TEST_PG_DURABLE:-}" = 1 ] && fsync=on
  as_owner "$bin/initdb" -D "$dir/data" -U wardline --auth=trust -E UTF8 --no-locale >/dev/null
  port=$(free_port)
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start -o \
    "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=$fsync -c max_connections=200" >/dev/null
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U wardline wardline
  echo "export WARDLINE_TEST_DATABASE_URL=postgres://wardline@127.0.0.1:$port/wardline"
  echo "export WARDLINE_TEST_PG_DIR=$dir"
}

stop() {
  local dir=${1:?expected the directory printed by start}
  local bin
  bin=$(find_bin)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  run)
    shift
    if [ -n "${WARDLINE_TEST_DATABASE_URL:-}" ]; then exec "$@"; fi
    pg_env=$(start)
    eval "$pg_env"
    trap 'stop "$WARDLINE_TEST_PG_DIR"' EXIT
    "$@"
    ;;
  *)
    echo "usage: test/postgres.sh start | stop DIR | run CMD ARGS…" >&2
    exit 2
    ;;
esac
