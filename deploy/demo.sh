#!/usr/bin/env bash
# vigie demo, one command on a fresh Debian 12 machine:
#
#   ./deploy/demo.sh
#
# Installs what is missing (deploy/install-deps.sh), builds (Release), starts
# the embedded Kafka broker (vigie-broker) and a private redis-server on
# loopback, runs vigie-change while the bundled change stream is produced,
# shows risky changes as they are scored, then a summary of the scored
# changes and the model's live quality, and stops everything it started.
#
# Options (environment): VG_DEMO_CHANGES=FILE.jsonl[.gz] another stream,
# VG_BUILD_DIR=DIR the build directory (default build-demo).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${VG_BUILD_DIR:-$ROOT/build-demo}
DATA=${VG_DEMO_CHANGES:-$ROOT/deploy/demo/data/changes.jsonl.gz}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1/6 dependencies"
bash deploy/install-deps.sh

say "2/6 build ($BUILD)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target vigie-broker vigie-ctl \
        vigie-change 2>&1 | grep -E "error|warning|Built target" || true
BIN=$BUILD/bin

WORK=$(mktemp -d /tmp/vigie-demo.XXXXXX)
pids=()
cleanup() {
        for p in "${pids[@]:-}"; do
                [ -n "$p" ] && kill "$p" 2>/dev/null || true
        done
        wait 2>/dev/null || true
        [ -f "$WORK/redis/redis.pid" ] &&
                kill "$(cat "$WORK/redis/redis.pid")" 2>/dev/null || true
        rm -rf "$WORK"
}
trap cleanup EXIT

say "3/6 embedded Kafka broker and private Redis on loopback"
"$BIN/vigie-broker" --partitions 8 --bootstrap-file "$WORK/bootstrap" \
        >"$WORK/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$WORK/bootstrap" ] && break; sleep 0.05; done
BOOT=$(cat "$WORK/bootstrap")
export VG_REDIS_DIR=$WORK/redis VG_REDIS_PIDFILE=$WORK/redis/redis.pid
mkdir -p "$VG_REDIS_DIR"
for attempt in 1 2 3 4 5; do # a free port below the ephemeral range
        VG_REDIS_PORT=$((20000 + RANDOM % 12000))
        export VG_REDIS_PORT
        (exec 3<>"/dev/tcp/127.0.0.1/$VG_REDIS_PORT") 2>/dev/null && continue
        bash tests/start_redis.sh 2>"$WORK/redis-start.err" && break
        [ "$attempt" = 5 ] && { cat "$WORK/redis-start.err" >&2; exit 1; }
done
echo "broker $BOOT, redis 127.0.0.1:$VG_REDIS_PORT, scratch $WORK"
CTL=("$BIN/vigie-ctl" -b "$BOOT")

say "4/6 vigie-change joins its consumer group"
"$BIN/vigie-change" -b "$BOOT" -X redis.port="$VG_REDIS_PORT" \
        -X stats.interval.ms=2000 >"$WORK/change.log" 2>&1 &
CHANGE_PID=$!
pids+=($CHANGE_PID)
for _ in $(seq 1 200); do
        grep -q "assigned" "$WORK/change.log" && break
        sleep 0.1
done
grep -E "fac=(proc|change|kafka)" "$WORK/change.log" | sed 's/^.*msg=/  /'

say "5/6 producing $(basename "$DATA"); risky changes as they are scored"
"${CTL[@]}" consume -t itsm.alerts -f \
        -F '  {severity}\t{summary}\n' 2>/dev/null &
VIEW_PID=$!
pids+=($VIEW_PID)
if [[ "$DATA" == *.gz ]]; then
        gzip -dc "$DATA" | "${CTL[@]}" produce -q -t itsm.changes
else
        "${CTL[@]}" produce -q -t itsm.changes "$DATA"
fi
# Wait until vigie-change has caught up (its output stops growing).
last=-1
for _ in $(seq 1 120); do
        now=$("${CTL[@]}" topics itsm.changes.scored | awk 'NR==2 {print $3}')
        [ "$now" = "$last" ] && [ "$now" != 0 ] && break
        last=$now
        sleep 1
done
sleep 1
kill "$VIEW_PID" 2>/dev/null || true

say "6/6 summary"
"${CTL[@]}" topics
echo
"${CTL[@]}" consume -t itsm.changes.scored -o "$WORK/scored.jsonl" 2>/dev/null
echo "Scored change events by risk band (itsm.changes.scored):"
grep -o '"risk_band":"[A-Z]*"' "$WORK/scored.jsonl" | cut -d'"' -f4 |
        sort | uniq -c | sort -rn | sed 's/^/  /'
echo
echo "One HIGH-risk change scored by a warm model, in full:"
grep '"risk_band":"HIGH"' "$WORK/scored.jsonl" | grep -E 'n=[0-9]{3,}"' |
        tail -1 | sed 's/^/  /' || true
echo
kill -TERM "$CHANGE_PID"
wait "$CHANGE_PID" || true
echo "vigie-change stopped (SIGTERM: drained, committed, checkpointed):"
sed -n '/vigie-change summary/,$p' "$WORK/change.log" | grep -v "^ts=" |
        sed 's/^/  /'
