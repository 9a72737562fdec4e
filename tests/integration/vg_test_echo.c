/**
 * @file vg_test_echo.c
 * @brief vigie-test-echo: the smallest processor, for integration tests of
 *        the runtime (at-least-once, rebalances, dead letters, Redis).
 *
 * For each input record (any topic, decoded and validated by the runtime)
 * it re-encodes the record to the output topic, keyed by its first field,
 * and adds that key, at the record's event time, to the Redis window
 * "echo:seen" (idempotent: a redelivered record is not counted twice).
 * A record whose first field is "POISON" is sent to the dead-letter topic
 * as a VALIDATION error. Redis writes are retried until they succeed, so
 * no update is lost while Redis is down.
 */
#include "vg_dlq.h"
#include "vg_log.h"
#include "vg_proc.h"

#include <string.h>
#include <unistd.h>

static int echo_redis_write(vg_proc_t *p, vg_redis_batch_t *b)
{
        char errstr[256];
        int warned = 0;
        while (vg_redis_batch_exec(vg_proc_redis(p), b, errstr,
                                   sizeof(errstr)) != VG_OK) {
                if (!warned++)
                        vg_warn("echo", "redis: %s (retrying)", errstr);
                usleep(50 * 1000);
        }
        return 0;
}

static int echo_process(void *st, vg_proc_t *p, vg_proc_rec_t *recs, int n)
{
        vg_redis_batch_t *b = vg_redis_batch_new();
        char key[256];
        (void)st;
        for (int i = 0; i < n; i++) {
                const char *field = avro_schema_record_field_name(
                        vg_avro_schema_avro(recs[i].sch), 0);
                const char *id = NULL;
                vg_avro_get_str(recs[i].val, field, &id, NULL);
                if (!id || !strcmp(id, "POISON")) {
                        vg_proc_deadletter(p, &recs[i], VG_DLQ_VALIDATION,
                                           "%s: rejected by the echo test",
                                           field);
                        continue;
                }
                if (vg_proc_emit(p, &recs[i], vg_proc_output_topic(p),
                                 recs[i].sch, recs[i].val, id,
                                 recs[i].kr.timestamp))
                        return -1;
                vg_redis_key(vg_proc_redis(p), key, sizeof(key), "echo",
                             "seen", NULL);
                vg_redis_batch_window_add(b, key, recs[i].kr.offset, id);
        }
        echo_redis_write(p, b);
        vg_redis_batch_destroy(b);
        return 0;
}

static const vg_processor_def_t echo_def = {
        .name         = "vigie-test-echo",
        .summary      = "Echoes records to the output topic (runtime tests).",
        .input_topic  = "itsm.changes",
        .output_topic = "itsm.changes.scored",
        .process      = echo_process,
};

int main(int argc, char **argv)
{
        return vg_proc_main(&echo_def, argc, argv);
}
