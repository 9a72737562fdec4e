#!/usr/bin/env bash
# vigie demo, one command on a fresh Debian 12 machine:
#
#   ./deploy/demo.sh
#
# Installs what is missing (deploy/install-deps.sh), builds (Release),
# generates one world of changes and incidents (vigie-ctl gen, one seed),
# starts the embedded Kafka broker (vigie-broker) and a private redis-server
# on loopback, runs vigie-change and vigie-incident side by side while both
# streams are produced as one, in event-time order (vigie-ctl produce
# --merge), shows their alerts as they come (risky changes, incidents
# probably caused by a change, recurring incidents), then a summary: records
# per topic, one enriched incident with its suspect changes, and each
# processor's live quality; it stops everything it started.
#
# Options (environment): VG_DEMO_SEED=S the world (default 7),
# VG_DEMO_CHANGES=N and VG_DEMO_INCIDENTS=M its size (default 1400 changes
# and 2000 incidents: both about 60 days at the generator's default pace),
# or VG_DEMO_CHANGES=FILE.jsonl[.gz] and VG_DEMO_INCIDENTS=FILE.jsonl[.gz]
# other streams; VG_DEMO_RATE=R records/s (default 2000);
# VG_BUILD_DIR=DIR the build directory (default build-demo).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${VG_BUILD_DIR:-$ROOT/build-demo}
SEED=${VG_DEMO_SEED:-7}
CHANGES=${VG_DEMO_CHANGES:-1400}
INCIDENTS=${VG_DEMO_INCIDENTS:-2000}
RATE=${VG_DEMO_RATE:-2000}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1/7 dependencies"
bash deploy/install-deps.sh

say "2/7 build ($BUILD)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target vigie-broker vigie-ctl \
        vigie-change vigie-incident 2>&1 |
        grep -E "error|warning|Built target vigie-" || true
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

# The stream of \p kind (changes or incidents) into $WORK/KIND.jsonl:
# generated (a number) or a file of the user's (gzipped or not).
stream() { # kind count-or-file
        local out=$WORK/$1.jsonl
        if [[ "$2" =~ ^[0-9]+$ ]]; then
                "$BIN/vigie-ctl" gen "$1" -s "$SEED" -n "$2" -o "$out"
        elif [[ "$2" == *.gz ]]; then
                gzip -dc "$2" >"$out"
        else
                cp "$2" "$out"
        fi
}
# "first .. last" event time (sys_updated_on) of a JSON Lines file.
span() {
        grep -o '"sys_updated_on":"[^"]*"' "$1" | cut -d'"' -f4 | sort |
                sed -n '1p;$p' | paste -sd'|' | sed 's/|/ .. /'
}

if [[ "$CHANGES$INCIDENTS" =~ ^[0-9]+$ ]]; then
        say "3/7 one world: changes and incidents of seed $SEED (vigie-ctl gen)"
else
        say "3/7 changes and incidents: $CHANGES, $INCIDENTS"
fi
stream changes "$CHANGES"
stream incidents "$INCIDENTS"
printf '  %-15s %6d records, %s\n' changes.jsonl \
        "$(wc -l <"$WORK/changes.jsonl")" "$(span "$WORK/changes.jsonl")" \
        incidents.jsonl "$(wc -l <"$WORK/incidents.jsonl")" \
        "$(span "$WORK/incidents.jsonl")"
named=$({ grep '"caused_by":"CHG' "$WORK/incidents.jsonl" || true; } |
        grep -o '^{"number":"[^"]*"' | sort -u | wc -l)
echo "  $named incidents name the change that caused them once resolved" \
     "(caused_by): vigie-incident learns its suspect ranking from them"

say "4/7 embedded Kafka broker and private Redis on loopback"
"$BIN/vigie-broker" --partitions 8 --bootstrap-file "$WORK/bootstrap" \
        >"$WORK/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do [ -s "$WORK/bootstrap" ] && break; sleep 0.05; done
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

say "5/7 vigie-change and vigie-incident join their consumer groups"
# Both share the Redis: vigie-change writes the changes at work on each CI
# (ci:{ci}:work), vigie-incident reads them for its suspect changes.
for proc in change incident; do
        "$BIN/vigie-$proc" -b "$BOOT" -X redis.port="$VG_REDIS_PORT" \
                -X stats.interval.ms=1000 >"$WORK/$proc.log" 2>&1 &
        pids+=($!)
        eval "${proc^^}_PID=$!"
done
for _ in $(seq 1 300); do
        grep -q "assigned" "$WORK/change.log" &&
                grep -q "assigned" "$WORK/incident.log" && break
        sleep 0.1
done
grep -hE "fac=(proc|change|incident|kafka)" "$WORK/change.log" \
        "$WORK/incident.log" | grep -v "group membership" |
        sed 's/^.*prog=\([a-z-]*\) .*msg=/  \1: /'

say "6/7 producing both streams as one, in event time, at $RATE records/s;" \
    "alerts as they come"
# One line per alert: event time, kind, severity, summary.
fmt_alerts() {
        perl -ne 'BEGIN { $| = 1 }
                chomp; my ($k, $s, $t, $m) = split /\t/, $_, 4;
                $t =~ s/^"(\d{4}-\d\d-\d\d)T(\d\d:\d\d).*/$1 $2/;
                $k =~ s/_INCIDENTS?$//;
                printf "  %s  %-14s %-8s %s\n", $t, $k, $s, $m'
}
"${CTL[@]}" consume -t itsm.alerts -f \
        -F '{kind}\t{severity}\t{event_time}\t{summary}\n' 2>/dev/null \
        > >(fmt_alerts) &
VIEW_PID=$!
pids+=($VIEW_PID)
"${CTL[@]}" produce -q -r "$RATE" \
        --merge itsm.changes="$WORK/changes.jsonl" \
        --merge itsm.incidents="$WORK/incidents.jsonl" 2>"$WORK/produce.log" ||
        { cat "$WORK/produce.log" >&2; exit 1; }
# Wait until both processors have read everything and their outputs stop
# growing.
last_in() { # log: the "in=" of its last stats line
        grep -o 'fac=stats msg="in=[0-9]*' "$1" | tail -1 | sed 's/.*=//'
}
end_offsets() { # the sum of the end offsets of the topics given
        "${CTL[@]}" topics "$@" 2>/dev/null | awk 'NR > 1 { n += $3 }
                END { print n + 0 }'
}
want_c=$(end_offsets itsm.changes)
want_i=$(end_offsets itsm.incidents)
last=-1
for _ in $(seq 1 120); do
        now=$(end_offsets itsm.changes.scored itsm.incidents.enriched \
                itsm.alerts)
        [ "$(last_in "$WORK/change.log")" = "$want_c" ] &&
                [ "$(last_in "$WORK/incident.log")" = "$want_i" ] &&
                [ "$now" = "$last" ] && break
        last=$now
        sleep 1
done
sleep 0.5
kill "$VIEW_PID" 2>/dev/null || true

say "7/7 summary"
sed 's/^/  /' "$WORK/produce.log" | tail -1
echo
"${CTL[@]}" topics | sed 's/^/  /'
echo
"${CTL[@]}" consume -t itsm.alerts -F '{kind}\n' 2>/dev/null | sort |
        uniq -c | sort -rn | sed 's/^/  /'
echo
"${CTL[@]}" consume -t itsm.changes.scored -F '{risk_band}\n' 2>/dev/null |
        sort | uniq -c | sort -rn | paste -sd, |
        sed 's/^ */  scored change events by risk band: /; s/,  */, /g'
echo
# The incident of the last CHANGE_INDUCED_INCIDENT alert, else the last
# one with suspects: its enrichment in full (nested records on one line).
"${CTL[@]}" consume -t itsm.incidents.enriched -o "$WORK/enriched.jsonl" \
        2>/dev/null
inc=$("${CTL[@]}" consume -t itsm.alerts -F '{kind} {subject}\n' \
        2>/dev/null | awk '$1 == "CHANGE_INDUCED_INCIDENT" { s = $2 }
                END { print s }')
{
        [ -n "$inc" ] && grep -F "{\"number\":\"$inc\"," "$WORK/enriched.jsonl"
        grep '"suspect_changes":\[{' "$WORK/enriched.jsonl"
} | grep '"suspect_changes":\[{' | head -1 >"$WORK/one.json" || true
echo "One enriched incident with its suspect changes" \
     "(itsm.incidents.enriched), in full:"
perl -ne 'my ($d, $s, $e, $o) = (0, 0, 0, "");
        for my $c (split //) {
                if ($s) { $o .= $c;
                        if ($e) { $e = 0 } elsif ($c eq "\\") { $e = 1 }
                        elsif ($c eq "\"") { $s = 0 }
                } elsif ($c eq "\"") { $s = 1; $o .= $c }
                elsif ($c eq "{" || $c eq "[") {
                        $d++; $o .= $c . ($d <= 2 ? "\n" . "  " x ($d + 1)
                                                  : "") }
                elsif ($c eq "}" || $c eq "]") {
                        $o .= ($d <= 2 ? "\n" . "  " x $d : "") . $c; $d-- }
                elsif ($c eq ",") {
                        $o .= $d <= 2 ? ",\n" . "  " x ($d + 1) : ", " }
                elsif ($c eq ":") { $o .= ": " }
                elsif ($c !~ /\s/) { $o .= $c }
        }
        $o =~ s/([\[{])\s+([\]}])/$1$2/g;
        print "  $o\n"' "$WORK/one.json"
echo
for proc in change incident; do
        pid_var=${proc^^}_PID
        kill -TERM "${!pid_var}"
done
for proc in change incident; do
        pid_var=${proc^^}_PID
        wait "${!pid_var}" || echo "  vigie-$proc: exit status $?"
done
echo "vigie-change and vigie-incident stopped (SIGTERM: drained, committed," \
     "checkpointed):"
for proc in change incident; do
        sed -n "/vigie-$proc summary/,\$p" "$WORK/$proc.log" |
                grep -v "^ts=" | sed 's/^/  /'
done
