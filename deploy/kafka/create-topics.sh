#!/usr/bin/env bash
# Creates the nine vigie topics on an Apache Kafka cluster with
# kafka-topics.sh. Idempotent (--if-not-exists): safe to run at every start.
#
# Environment (all optional):
#   BOOTSTRAP            bootstrap servers            (default kafka:9092)
#   PARTITIONS           partitions per topic         (default 12)
#   REPLICATION          replication factor           (default 1; 3 on a real cluster)
#   MIN_ISR              min.insync.replicas          (default 1; 2 with RF 3)
#   DEADLETTER_RETENTION_MS  retention of itsm.deadletter (default 30 days)
#   KAFKA_TOPICS         kafka-topics command          (default: found on PATH or
#                        /opt/kafka/bin/kafka-topics.sh)
#   COMMAND_CONFIG       client properties file (SASL/SSL) for --command-config
#
# Cleanup policies:
#   input and event topics (itsm.changes, itsm.incidents, itsm.surveys,
#   itsm.feedback, itsm.alerts): delete (time retention, the broker's default).
#   itsm.deadletter: delete, kept DEADLETTER_RETENTION_MS for investigation
#   and replay.
#   results (itsm.changes.scored, itsm.incidents.enriched,
#   itsm.surveys.insights): compact. Their record key is the business key
#   (number, number, response_id: see the schemas' docs), and a reader wants
#   the latest verdict per key: compaction keeps it forever and drops
#   superseded ones. min.compaction.lag.ms keeps every version readable for
#   at least an hour so that stream consumers see each update. A compacted
#   topic rejects records without a key.
set -euo pipefail

BOOTSTRAP=${BOOTSTRAP:-kafka:9092}
PARTITIONS=${PARTITIONS:-12}
REPLICATION=${REPLICATION:-1}
MIN_ISR=${MIN_ISR:-1}
DEADLETTER_RETENTION_MS=${DEADLETTER_RETENTION_MS:-2592000000}

if [ -z "${KAFKA_TOPICS:-}" ]; then
        if command -v kafka-topics.sh >/dev/null 2>&1; then
                KAFKA_TOPICS=kafka-topics.sh
        else
                KAFKA_TOPICS=/opt/kafka/bin/kafka-topics.sh
        fi
fi
extra=()
[ -n "${COMMAND_CONFIG:-}" ] && extra=(--command-config "$COMMAND_CONFIG")

kt() { "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" "${extra[@]}" "$@"; }

# Wait for the broker (the compose healthcheck already does; this makes the
# script usable on its own).
for i in $(seq 1 60); do
        kt --list >/dev/null 2>&1 && break
        [ "$i" -eq 60 ] && { echo "create-topics: $BOOTSTRAP unreachable" >&2; exit 1; }
        sleep 2
done

create() { # name, then --config k=v ...
        local name=$1
        shift
        kt --create --if-not-exists --topic "$name" \
                --partitions "$PARTITIONS" --replication-factor "$REPLICATION" \
                --config "min.insync.replicas=$MIN_ISR" "$@"
}

for t in itsm.changes itsm.incidents itsm.surveys itsm.feedback itsm.alerts; do
        create "$t" --config cleanup.policy=delete
done
create itsm.deadletter --config cleanup.policy=delete \
        --config "retention.ms=$DEADLETTER_RETENTION_MS"
for t in itsm.changes.scored itsm.incidents.enriched itsm.surveys.insights; do
        create "$t" --config cleanup.policy=compact \
                --config min.compaction.lag.ms=3600000
done

echo "create-topics: done on $BOOTSTRAP ($PARTITIONS partitions, RF $REPLICATION)"
kt --describe --topic 'itsm\..*' | grep -E '^Topic:' || true
