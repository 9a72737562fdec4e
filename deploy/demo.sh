#!/usr/bin/env bash
# vigie demo, one command on a fresh Debian 12 machine:
#
#   ./deploy/demo.sh
#
# Installs what is missing (deploy/install-deps.sh), builds (Release),
# generates one world of changes, incidents and survey responses (vigie-ctl
# gen, one seed), starts the embedded Kafka broker (vigie-broker) and a
# private redis-server on loopback, runs vigie-change, vigie-incident and
# vigie-survey side by side while the three streams are produced as one, in
# event-time order (vigie-ctl produce --merge), shows their alerts as they
# come (risky changes, incidents probably caused by a change, recurring
# incidents, dissatisfaction drops), then a summary: records per topic,
# alerts per kind, one enriched incident with its suspect changes, one
# survey insight with its linked incidents, and each processor's live
# quality; last, the survey report (vigie-ctl report surveys), as text and
# as an HTML page left in the build directory. It stops everything it
# started.
#
# Options (environment): VG_DEMO_SEED=S the world (default 7),
# VG_DEMO_CHANGES=N, VG_DEMO_INCIDENTS=M and VG_DEMO_SURVEYS=K its size
# (default 1400 changes, 2000 incidents and 3000 responses: each about 60
# days; the responses are paced to span them whatever K), or
# VG_DEMO_CHANGES=FILE.jsonl[.gz], VG_DEMO_INCIDENTS=... and
# VG_DEMO_SURVEYS=... other streams; VG_DEMO_RATE=R records/s (default
# 2000); VG_BUILD_DIR=DIR the build directory (default build-demo).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${VG_BUILD_DIR:-$ROOT/build-demo}
SEED=${VG_DEMO_SEED:-7}
CHANGES=${VG_DEMO_CHANGES:-1400}
INCIDENTS=${VG_DEMO_INCIDENTS:-2000}
SURVEYS=${VG_DEMO_SURVEYS:-3000}
RATE=${VG_DEMO_RATE:-2000}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1/8 dependencies"
bash deploy/install-deps.sh

say "2/8 build ($BUILD)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target vigie-broker vigie-ctl \
        vigie-change vigie-incident vigie-survey 2>&1 |
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

# The stream of \p kind (changes, incidents or surveys) into
# $WORK/KIND.jsonl: generated (a number) or a file of the user's (gzipped or
# not). The responses are paced to span about 59 days (5,100,000 s), as the
# changes and incidents do at the generator's default pace.
stream() { # kind count-or-file
        local out=$WORK/$1.jsonl pace=()
        if [[ "$2" =~ ^[0-9]+$ ]]; then
                [ "$1" = surveys ] && pace=(-i $((5100000 / ($2 > 0 ? $2 : 1))))
                "$BIN/vigie-ctl" gen "$1" -s "$SEED" -n "$2" "${pace[@]}" \
                        -o "$out"
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

if [[ "$CHANGES$INCIDENTS$SURVEYS" =~ ^[0-9]+$ ]]; then
        say "3/8 one world: changes, incidents and survey responses of seed" \
            "$SEED (vigie-ctl gen)"
else
        say "3/8 changes, incidents and surveys: $CHANGES, $INCIDENTS, $SURVEYS"
fi
stream changes "$CHANGES"
stream incidents "$INCIDENTS"
stream surveys "$SURVEYS"
for kind in changes incidents surveys; do
        printf '  %-15s %6d records, %s\n' "$kind.jsonl" \
                "$(wc -l <"$WORK/$kind.jsonl")" "$(span "$WORK/$kind.jsonl")"
done
named=$({ grep '"caused_by":"CHG' "$WORK/incidents.jsonl" || true; } |
        grep -o '^{"number":"[^"]*"' | sort -u | wc -l)
echo "  $named incidents name the change that caused them once resolved" \
     "(caused_by): vigie-incident learns its suspect ranking from them"
# The story the generator plants (vg_gen.h): from day 14 to day 21 of the
# world the VPN responses turn sour, and VPN incidents pile up from day 13.
# Per week of event time from the first response: VPN responses with a
# score of 1 or 2, VPN incidents opened.
[[ "$SURVEYS$INCIDENTS" =~ ^[0-9]+$ ]] && perl -MTime::Local -e '
        my ($t0, %neg, %inc, %seen);
        sub day { my ($y, $m, $d) = $_[0] =~ /^(\d+)-(\d+)-(\d+)/ or return;
                  timegm(0, 0, 0, $d, $m - 1, $y) / 86400 }
        open my $s, "<", $ARGV[0] or die; open my $i, "<", $ARGV[1] or die;
        while (<$s>) {
                my ($t) = /"submitted_at":"([^"]*)"/ or next;
                $t0 //= day($t);
                $neg{int((day($t) - $t0) / 7)}++
                        if /"service":"VPN"/ && /"score":[12],/;
        }
        while (<$i>) {
                my ($n) = /^\{"number":"([^"]*)"/ or next;
                next if $seen{$n}++ || !/"business_service":"VPN"/;
                my ($t) = /"opened_at":"([^"]*)"/ or next;
                $inc{int((day($t) - $t0) / 7)}++;
        }
        print "  planted: a dissatisfaction spike on VPN (days 14-21) and",
              " its cause, VPN incidents\n  (from day 13); per week, unhappy",
              " VPN responses / VPN incidents opened:\n   ";
        printf " w%d %d/%d", $_ + 1, $neg{$_} // 0, $inc{$_} // 0 for 0 .. 7;
        print "\n";
' "$WORK/surveys.jsonl" "$WORK/incidents.jsonl"

say "4/8 embedded Kafka broker and private Redis on loopback"
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

# A throwaway pseudonym key for vigie-survey (respondents become HMAC
# pseudonyms): 32 random bytes, hex, readable by its owner only, removed
# with the scratch directory.
KEY=$WORK/pseudonym.key
(
        umask 077
        if command -v openssl >/dev/null; then
                openssl rand -hex 32
        else
                od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
                echo
        fi >"$KEY"
)
chmod 600 "$KEY"

say "5/8 vigie-change, vigie-incident and vigie-survey join their consumer" \
    "groups"
# All three share the Redis: vigie-change writes the changes at work on
# each CI (ci:{ci}:work), vigie-incident reads them for its suspect changes;
# both write what happens on each service (svc:{service}:changes,
# :incidents), which vigie-survey links its responses to.
PROCS=(change incident survey)
declare -A PID
for proc in "${PROCS[@]}"; do
        extra=()
        [ "$proc" = survey ] && extra=(-X survey.pseudonym.key.file="$KEY")
        "$BIN/vigie-$proc" -b "$BOOT" -X redis.port="$VG_REDIS_PORT" \
                -X stats.interval.ms=1000 "${extra[@]}" \
                >"$WORK/$proc.log" 2>&1 &
        pids+=($!)
        PID[$proc]=$!
done
for _ in $(seq 1 300); do
        grep -q "assigned" "$WORK/change.log" &&
                grep -q "assigned" "$WORK/incident.log" &&
                grep -q "assigned" "$WORK/survey.log" && break
        sleep 0.1
done
grep -hE "fac=(proc|change|incident|survey|kafka)" "$WORK/change.log" \
        "$WORK/incident.log" "$WORK/survey.log" |
        grep -v "group membership" |
        sed 's/^.*prog=\([a-z-]*\) .*msg=/  \1: /'
echo "  (vigie-survey's pseudonym key is a throwaway demo key: 32 random" \
     "bytes in $KEY, mode 600, deleted at exit)"

say "6/8 producing the three streams as one, in event time, at $RATE" \
    "records/s; alerts as they come"
# One line per alert: event time, kind, severity, summary.
fmt_alerts() {
        perl -ne 'BEGIN { $| = 1 }
                chomp; my ($k, $s, $t, $m) = split /\t/, $_, 4;
                $t =~ s/^"(\d{4}-\d\d-\d\d)T(\d\d:\d\d).*/$1 $2/;
                $k =~ s/_INCIDENTS?$//;
                $k =~ s/^SATISFACTION_//;
                printf "  %s  %-14s %-8s %s\n", $t, $k, $s, $m'
}
"${CTL[@]}" consume -t itsm.alerts -f \
        -F '{kind}\t{severity}\t{event_time}\t{summary}\n' 2>/dev/null \
        > >(fmt_alerts) &
VIEW_PID=$!
pids+=($VIEW_PID)
"${CTL[@]}" produce -q -r "$RATE" \
        --merge itsm.changes="$WORK/changes.jsonl" \
        --merge itsm.incidents="$WORK/incidents.jsonl" \
        --merge itsm.surveys="$WORK/surveys.jsonl" \
        --time-field itsm.surveys=submitted_at 2>"$WORK/produce.log" ||
        { cat "$WORK/produce.log" >&2; exit 1; }
# Wait until the processors have read everything and their outputs stop
# growing.
last_in() { # log: the "in=" of its last stats line
        grep -o 'fac=stats msg="in=[0-9]*' "$1" | tail -1 | sed 's/.*=//'
}
end_offsets() { # the sum of the end offsets of the topics given
        "${CTL[@]}" topics "$@" 2>/dev/null | awk 'NR > 1 { n += $3 }
                END { print n + 0 }'
}
declare -A WANT=([change]=$(end_offsets itsm.changes)
                 [incident]=$(end_offsets itsm.incidents)
                 [survey]=$(end_offsets itsm.surveys))
last=-1
for _ in $(seq 1 120); do
        now=$(end_offsets itsm.changes.scored itsm.incidents.enriched \
                itsm.surveys.insights itsm.alerts)
        done_all=1
        for proc in "${PROCS[@]}"; do
                [ "$(last_in "$WORK/$proc.log")" = "${WANT[$proc]}" ] ||
                        done_all=0
        done
        [ "$done_all" = 1 ] && [ "$now" = "$last" ] && break
        last=$now
        sleep 1
done
sleep 0.5
kill "$VIEW_PID" 2>/dev/null || true

say "7/8 summary"
sed 's/^/  /' "$WORK/produce.log" | tail -1
echo
"${CTL[@]}" topics | sed 's/^/  /'
echo
echo "  alerts per kind:"
"${CTL[@]}" consume -t itsm.alerts -F '{kind}\n' 2>/dev/null | sort |
        uniq -c | sort -rn | sed 's/^/  /'
echo
"${CTL[@]}" consume -t itsm.changes.scored -F '{risk_band}\n' 2>/dev/null |
        sort | uniq -c | sort -rn | paste -sd, |
        sed 's/^ */  scored change events by risk band: /; s/,  */, /g'
"${CTL[@]}" consume -t itsm.surveys.insights -F '{satisfaction}\n' \
        2>/dev/null | sort | uniq -c | sort -rn | paste -sd, |
        sed 's/^ */  survey insights by predicted satisfaction: /; s/,  */, /g'
echo
# One JSON record per line, printed with its first two levels of nesting
# indented (deeper records, and lists of scalars, on one line).
pretty() {
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
        # Lists of scalars on one line.
        my $v = qr/"(?:[^"\\]|\\.)*"|[-+.\w]+/;
        $o =~ s{\[\n\s+($v(?:,\n\s+$v)*)\n\s+\]}{
                "[" . join(", ", split /,\n\s+/, $1) . "]"}ge;
        print "  $o\n"' "$@"
}
# The incident of the last CHANGE_INDUCED_INCIDENT alert, else the last
# one with suspects: its enrichment in full.
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
pretty "$WORK/one.json"
echo
# An unhappy response (with a comment) that links incidents: on the
# service of the earliest SATISFACTION_DROP alert on a service, the latest
# one up to that alert, else the first one anywhere (else the first unhappy
# response): its insight in full.
"${CTL[@]}" consume -t itsm.surveys.insights -o "$WORK/insights.jsonl" \
        2>/dev/null
"${CTL[@]}" consume -t itsm.alerts -F '{kind}\t{subject}\t{event_time}\n' \
        2>/dev/null >"$WORK/alerts.tsv"
perl -e '
        my ($svc, $at) = ("", "");
        open my $a, "<", $ARGV[0] or die;
        while (<$a>) {
                chomp; my ($k, $s, $t) = split /\t/;
                next unless $k eq "SATISFACTION_DROP" &&
                        $s =~ /^service:(.*)\@\d+$/;
                ($svc, $at) = ($1, $t) if $at eq "" || $t lt $at;
        }
        my ($best, $bt, $any, $at1, $neg, $at2) = ("") x 6;
        open my $i, "<", $ARGV[1] or die;
        while (<$i>) {
                next unless /"comment_scrubbed":"[^"]/ &&
                        /"satisfaction":"NEGATIVE","p_satisfaction"/;
                my ($s) = /"service":("[^"]*")/;
                my ($t) = /"event_time":("[^"]*")/;
                ($neg, $at2) = ($_, $t) if $at2 eq "" || $t lt $at2;
                next unless /"links":\[[^\]]*"kind":"incident"/;
                ($any, $at1) = ($_, $t) if $at1 eq "" || $t lt $at1;
                ($best, $bt) = ($_, $t)
                        if $s eq "\"$svc\"" && $t le $at && $t gt $bt;
        }
        print $best ne "" ? $best : $any ne "" ? $any : $neg;
' "$WORK/alerts.tsv" "$WORK/insights.jsonl" >"$WORK/one.json"
echo "One survey insight (itsm.surveys.insights), in full: the comment" \
     "scrubbed, the respondent a pseudonym, the incidents on its service:"
pretty "$WORK/one.json"
echo
for proc in "${PROCS[@]}"; do
        kill -TERM "${PID[$proc]}"
done
for proc in "${PROCS[@]}"; do
        wait "${PID[$proc]}" || echo "  vigie-$proc: exit status $?"
done
echo "vigie-change, vigie-incident and vigie-survey stopped (SIGTERM:" \
     "drained, committed, checkpointed):"
for proc in "${PROCS[@]}"; do
        sed -n "/vigie-$proc summary/,\$p" "$WORK/$proc.log" |
                grep -v "^ts=" | sed 's/^/  /'
done

say "8/8 the survey report (vigie-ctl report surveys, from Redis)"
# Its window: the ISO weeks of the responses (the default, 12 weeks up to
# the last response, would start with empty weeks). The page stays in the
# build directory: the scratch directory goes at exit.
from=$(span "$WORK/surveys.jsonl" | cut -c1-10)
to=$(span "$WORK/surveys.jsonl" | sed 's/.* \.\. //' | cut -c1-10)
weeks=12
[ -n "$from" ] && [ -n "$to" ] &&
        weeks=$(( ($(date -ud "$to" +%s) - $(date -ud "$from" +%s) +
                   ($(date -ud "$from" +%u) - 1) * 86400) / 604800 + 1 ))
REPORT=$BUILD/survey-report.html
"${CTL[@]}" -X redis.port="$VG_REDIS_PORT" report surveys --weeks "$weeks" \
        --html "$REPORT" >"$WORK/report.txt" 2>"$WORK/report.err" ||
        { cat "$WORK/report.err" >&2; exit 1; }
head -25 "$WORK/report.txt" | sed 's/^/  /'
[ "$(wc -l <"$WORK/report.txt")" -gt 25 ] &&
        echo "  ... ($(wc -l <"$WORK/report.txt") lines in all)"
echo
echo "The same report as a page with charts: $REPORT" \
     "(self-contained: open it in a browser)"
