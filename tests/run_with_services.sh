#!/usr/bin/env bash
# Runs a command with a private redis-server and/or vigie-broker on free
# loopback ports, then stops them (whatever the command's outcome).
#
#   tests/run_with_services.sh [--redis] [--broker BROKER_BIN] -- CMD [ARGS...]
#
# Exports to CMD:
#   VG_REDIS_HOST, VG_REDIS_PORT, VG_REDIS_DIR, VG_REDIS_PIDFILE  (--redis)
#   VG_BOOTSTRAP (host:port list of the broker), VG_BROKER_PID    (--broker)
#   VG_SERVICES_DIR (scratch directory, removed at the end)
# redis-server runs with appendonly yes / appendfsync always, so that a test
# may restart it (tests/restart_redis.sh) without losing acknowledged writes.
set -euo pipefail

want_redis=0
broker_bin=""
partitions="${VG_TEST_PARTITIONS:-8}"
while [ $# -gt 0 ]; do
        case "$1" in
        --redis) want_redis=1; shift ;;
        --broker) broker_bin="$2"; shift 2 ;;
        --partitions) partitions="$2"; shift 2 ;;
        --) shift; break ;;
        *) echo "run_with_services.sh: unknown option $1" >&2; exit 2 ;;
        esac
done
[ $# -gt 0 ] || { echo "run_with_services.sh: no command" >&2; exit 2; }

VG_SERVICES_DIR=$(mktemp -d /tmp/vigie-test.XXXXXX)
export VG_SERVICES_DIR
pids=()
cleanup() {
        for p in "${pids[@]:-}"; do
                [ -n "$p" ] && kill "$p" 2>/dev/null || true
        done
        if [ -n "${VG_REDIS_PIDFILE:-}" ] && [ -f "$VG_REDIS_PIDFILE" ]; then
                kill "$(cat "$VG_REDIS_PIDFILE")" 2>/dev/null || true
        fi
        sleep 0.2
        rm -rf "$VG_SERVICES_DIR"
}
trap cleanup EXIT

# A port nobody listens on, below the kernel's ephemeral range (32768+),
# where outgoing connections would make a later bind fail.
free_port() {
        local p
        for _ in $(seq 1 50); do
                p=$((20000 + RANDOM % 12000))
                (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
        done
        echo "run_with_services.sh: no free port" >&2
        exit 2
}

if [ "$want_redis" = 1 ]; then
        command -v redis-server >/dev/null ||
                { echo "redis-server not installed: run deploy/install-deps.sh" >&2; exit 2; }
        export VG_REDIS_HOST=127.0.0.1
        export VG_REDIS_DIR="$VG_SERVICES_DIR/redis"
        export VG_REDIS_PIDFILE="$VG_REDIS_DIR/redis.pid"
        mkdir -p "$VG_REDIS_DIR"
        for attempt in 1 2 3 4 5; do # a port can be taken between probe and bind
                VG_REDIS_PORT=$(free_port)
                export VG_REDIS_PORT
                "$(dirname "$0")/start_redis.sh" 2>"$VG_REDIS_DIR/start.err" && break
                [ "$attempt" = 5 ] && { cat "$VG_REDIS_DIR/start.err" >&2; exit 2; }
        done
fi

if [ -n "$broker_bin" ]; then
        bf="$VG_SERVICES_DIR/bootstrap"
        "$broker_bin" --partitions "$partitions" --bootstrap-file "$bf" \
                >"$VG_SERVICES_DIR/broker.log" 2>&1 &
        pids+=($!)
        export VG_BROKER_PID=$!
        for _ in $(seq 1 100); do
                [ -s "$bf" ] && break
                sleep 0.05
        done
        [ -s "$bf" ] || { echo "vigie-broker did not start:" >&2;
                          cat "$VG_SERVICES_DIR/broker.log" >&2; exit 2; }
        VG_BOOTSTRAP=$(cat "$bf")
        export VG_BOOTSTRAP
fi

set +e
"$@"
rc=$?
set -e
exit $rc
