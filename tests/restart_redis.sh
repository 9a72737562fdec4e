#!/usr/bin/env bash
# Stops the test redis-server, waits DOWN_SECONDS (default 0), restarts it
# with the same data directory (AOF), as a crash-and-recover of Redis.
set -euo pipefail
down="${1:-0}"
if [ -f "$VG_REDIS_PIDFILE" ]; then
        pid=$(cat "$VG_REDIS_PIDFILE")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.05
        done
fi
sleep "$down"
exec "$(dirname "$0")/start_redis.sh"
