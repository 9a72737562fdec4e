#!/usr/bin/env bash
# (Re)starts the test redis-server described by VG_REDIS_PORT, VG_REDIS_DIR
# and VG_REDIS_PIDFILE (as exported by run_with_services.sh) and waits for it.
set -euo pipefail
redis-server --port "$VG_REDIS_PORT" --bind 127.0.0.1 --dir "$VG_REDIS_DIR" \
        --daemonize yes --pidfile "$VG_REDIS_PIDFILE" \
        --logfile "$VG_REDIS_DIR/redis.log" --save "" \
        --appendonly yes --appendfsync always >/dev/null
for _ in $(seq 1 100); do
        redis-cli -p "$VG_REDIS_PORT" ping 2>/dev/null | grep -q PONG && exit 0
        sleep 0.05
done
echo "redis-server did not start on port $VG_REDIS_PORT" >&2
cat "$VG_REDIS_DIR/redis.log" >&2 || true
exit 1
