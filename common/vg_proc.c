/**
 * @file vg_proc.c
 * @brief The processor runtime (see vg_proc.h).
 */
#include "vg_proc.h"
#include "vg_proc_int.h"
#include "vg_dlq.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_metrics.h"
#include "vg_snapshot.h"
#include "vg_store.h"
#include "vg_time.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t vg_proc_stop;

static void vg_proc_sig(int sig)
{
        (void)sig;
        vg_proc_stop = 1;
}

const vg_conf_t *vg_proc_conf(const vg_proc_t *p) { return p->conf; }
vg_avro_registry_t *vg_proc_registry(vg_proc_t *p) { return p->reg; }
vg_redis_t *vg_proc_redis(vg_proc_t *p) { return p->redis; }
vg_store_t *vg_proc_store(vg_proc_t *p) { return p->store; }
const char *vg_proc_name(const vg_proc_t *p) { return p->def->name; }
const char *vg_proc_output_topic(const vg_proc_t *p) { return p->out_topic; }
int vg_proc_bootstrapping(const vg_proc_t *p) { return p->bootstrapping; }

vg_proc_hold_t *vg_proc_hold(vg_proc_t *p, vg_proc_rec_t *rec)
{
        if (p->bootstrapping || !rec->kr.in)
                return NULL;
        return vg_kafka_hold(p->k, &rec->kr);
}

void vg_proc_release(vg_proc_t *p, vg_proc_hold_t *h)
{
        if (h && p->k)
                vg_kafka_release(p->k, h);
}

int vg_proc_stopping(const vg_proc_t *p)
{
        (void)p;
        return vg_proc_stop != 0;
}

/* ---------------------------------------------------------------------- */
/* Outputs                                                                */

vg_err_t vg_proc_emit(vg_proc_t *p, vg_proc_rec_t *rec, const char *topic,
                      vg_avro_schema_t *sch, avro_value_t *val,
                      const char *key, int64_t timestamp_ms)
{
        char errstr[512];
        size_t len;
        vg_err_t err;

        if (p->bootstrapping) {
                p->n_boot_dropped++;
                return VG_OK;
        }
        if ((err = vg_avro_encode_into(sch, val, &p->enc_buf, &p->enc_size,
                                       &len, errstr, sizeof(errstr)))) {
                vg_err("proc", "cannot encode %s for %s: %s",
                       vg_avro_schema_name(sch), topic, errstr);
                return err;
        }
        return vg_proc_emit_encoded(p, rec, topic, p->enc_buf, len, key,
                                    timestamp_ms);
}

vg_err_t vg_proc_emit_encoded(vg_proc_t *p, vg_proc_rec_t *rec,
                              const char *topic, const void *buf, size_t len,
                              const char *key, int64_t timestamp_ms)
{
        char errstr[512];
        vg_err_t err;

        if (p->bootstrapping) {
                p->n_boot_dropped++;
                return VG_OK;
        }
        err = vg_kafka_produce(p->k, rec ? &rec->kr : NULL, topic, key,
                               key ? strlen(key) : 0, buf, len, timestamp_ms,
                               errstr, sizeof(errstr));
        if (err) {
                vg_err("proc", "%s", errstr);
        } else {
                p->n_out++;
                vg_counter_inc(p->m_out);
        }
        return err;
}

void vg_proc_deadletter(vg_proc_t *p, vg_proc_rec_t *rec,
                        const char *error_class, const char *fmt, ...)
{
        char msg[1024], errstr[512];
        void *buf;
        size_t len;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        rec->dead = 1;
        p->n_dead++;
        vg_counter_inc(p->m_dead);
        vg_warn("dlq", "%s [%d] @%lld: %s: %s",
                rec->kr.topic ? rec->kr.topic : "-", rec->kr.partition,
                (long long)rec->kr.offset, error_class, msg);
        if (p->bootstrapping)
                return;
        int redact       = p->def->deadletter_redact;
        vg_dlq_src_t src = {redact ? NULL : rec->kr.value,
                            redact ? 0 : rec->kr.len,
                            rec->kr.key,     rec->kr.key_len,
                            rec->kr.topic,   rec->kr.partition,
                            rec->kr.offset};
        if (vg_dlq_encode(p->reg, &src, error_class, msg, p->def->name,
                          vg_time_now_ms(), &buf, &len, errstr,
                          sizeof(errstr))) {
                vg_err("dlq", "cannot build dead letter: %s", errstr);
                return;
        }
        if (vg_kafka_produce(p->k, &rec->kr,
                             vg_conf_get_str(p->conf, "deadletter.topic"),
                             rec->kr.key, rec->kr.key_len, buf, len, 0,
                             errstr, sizeof(errstr)))
                vg_err("dlq", "%s", errstr);
        vg_free(buf);
}

/* ---------------------------------------------------------------------- */
/* Batches                                                                */

avro_value_t *vg_proc_slot_for(vg_avro_schema_t *sch, void *opaque)
{
        vg_proc_slot_t *s = opaque;
        if (s->has_val && s->sch != sch) {
                avro_value_decref(&s->val);
                s->has_val = 0;
        }
        if (!s->has_val) {
                vg_avro_schema_value_new(sch, &s->val);
                s->sch     = sch;
                s->has_val = 1;
        }
        return &s->val;
}

const char *vg_proc_decode_into(vg_proc_t *p, vg_proc_rec_t *rec,
                                vg_proc_slot_t *slot, char *errstr,
                                size_t errstr_size)
{
        vg_avro_schema_t *sch;
        vg_err_t err = vg_avro_decode_to(p->reg, rec->kr.value, rec->kr.len,
                                         &sch, vg_proc_slot_for, slot,
                                         errstr, errstr_size);
        if (err)
                return err == VG_ERR_DECODE ? VG_DLQ_DECODE : VG_DLQ_SCHEMA;
        const vg_avro_schema_t *want =
                vg_avro_registry_by_topic(p->reg, rec->kr.topic);
        if (want && strcmp(vg_avro_schema_name(sch),
                           vg_avro_schema_name(want))) {
                snprintf(errstr, errstr_size, "topic %s carries %s, "
                         "expected %s", rec->kr.topic,
                         vg_avro_schema_name(sch), vg_avro_schema_name(want));
                return VG_DLQ_SCHEMA;
        }
        rec->sch = sch;
        rec->val = &slot->val;
        return NULL;
}

/* Decodes record \p i into its slot. @returns 1 if usable, 0 if dead. */
static int vg_proc_decode(vg_proc_t *p, int i)
{
        char errstr[512];
        const char *cls = vg_proc_decode_into(p, &p->recs[i], &p->slots[i],
                                              errstr, sizeof(errstr));
        if (cls)
                vg_proc_deadletter(p, &p->recs[i], cls, "%s", errstr);
        return cls == NULL;
}

/* After a batch: its writes go to the store, and the offsets of its
 * records are held until they are in. A failed batch is consumed again:
 * its writes are forgotten, and the model that learned from it is not
 * checkpointed. */
static void vg_proc_batch_done(vg_proc_t *p, int live, int rc)
{
        int nholds = 0;
        if (rc) {
                /* consumed again: its learning must not be checkpointed
                 * (a warm-up file is not read again) */
                p->failed |= !p->bootstrapping;
                vg_store_discard(p->store);
                return;
        }
        for (int i = 0; i < live; i++) {
                vg_proc_hold_t *h = p->recs[i].dead
                                            ? NULL
                                            : vg_proc_hold(p, &p->recs[i]);
                if (h)
                        p->holds[nholds++] = h;
        }
        vg_store_flush(p->store, p, p->holds, nholds);
}

/* Runs def->process over the live records of recs[0..n). */
static int vg_proc_run_batch(vg_proc_t *p, int n)
{
        int live = 0;
        vg_proc_learn_catch_up(p, n);
        vg_proc_learn_mark(p, n);
        for (int i = 0; i < n; i++) {
                if (p->recs[i].dead)
                        continue;
                if (live != i) { /* compact, keeping slot values paired */
                        vg_proc_rec_t tr = p->recs[live];
                        vg_proc_slot_t ts = p->slots[live];
                        p->recs[live]     = p->recs[i];
                        p->slots[live]    = p->slots[i];
                        p->recs[i]        = tr;
                        p->slots[i]       = ts;
                }
                live++;
        }
        for (int i = 0; i < live; i++)
                p->recs[i].val = &p->slots[i].val;
        p->n_in += (uint64_t)n;
        vg_counter_add(p->m_in, (uint64_t)n);
        if (live == 0)
                return 0;
        uint64_t t0 = vg_metrics_now_ns();
        int rc      = p->def->process(p->st, p, p->recs, live);
        vg_proc_learn_apply(p);
        vg_proc_batch_done(p, live, rc);
        vg_histo_observe_ns(p->m_batch, vg_metrics_now_ns() - t0);
        if (!p->bootstrapping) {
                int64_t now = vg_time_now_ms();
                for (int i = 0; i < n; i++)
                        if (p->recs[i].kr.timestamp > 0)
                                vg_histo_observe(
                                        p->m_lag,
                                        (double)(now -
                                                 p->recs[i].kr.timestamp) /
                                                1000.0);
        }
        return rc;
}

/* ---------------------------------------------------------------------- */
/* Progress and checkpoints                                               */

/* Writes the metrics, Prometheus text format, to metrics.file (atomic
 * rename: node_exporter's textfile collector never reads half a file). */
static void vg_proc_metrics_file(vg_proc_t *p)
{
        const char *path = vg_conf_get_str(p->conf, "metrics.file");
        size_t len;
        if (!*path)
                return;
        char *text = vg_metrics_prometheus_str(p->metrics, &len);
        if (vg_snapshot_write_file(path, text, len, NULL, 0) != VG_OK)
                vg_warn("proc", "cannot write metrics.file %s", path);
        vg_free(text);
}

static void vg_proc_metrics_new(vg_proc_t *p)
{
        char name[256];
        p->metrics = vg_metrics_new();
#define VG_PM(kind, var, what, help)                                           \
        snprintf(name, sizeof(name), "vigie_%s{processor=\"%s\"}", what,      \
                 p->def->name);                                                \
        p->var = vg_metrics_##kind(p->metrics, name, help)
        VG_PM(counter, m_in, "records_in_total", "Records consumed.");
        VG_PM(counter, m_out, "records_out_total", "Records produced.");
        VG_PM(counter, m_dead, "deadletters_total",
              "Records sent to the dead-letter topic.");
        VG_PM(histo, m_lag, "record_lag_seconds",
              "From a record's Kafka timestamp to its processing.");
        VG_PM(histo, m_batch, "batch_seconds", "Processing time of a batch.");
#undef VG_PM
}

static void vg_proc_stats_line(vg_proc_t *p, int64_t now)
{
        double secs = (double)(now - p->t_stats_ms) / 1000.0;
        double rate = secs > 0 ? (double)(p->n_in - p->stats_in_prev) / secs
                               : 0.0;
        vg_kafka_stats_t ks = {0};
        const char *redis   = "down";
        if (p->k)
                vg_kafka_stats(p->k, &ks);
        if (p->redis && vg_redis_err(p->redis) == VG_ERR_AUTH)
                redis = "auth-failed"; /* refused: see the error logged */
        else if (p->redis && vg_redis_connected(p->redis))
                redis = "up";
        vg_info("stats", "in=%llu out=%llu dead=%llu rate=%.0f/s "
                "delivered=%llu inflight=%d rebalances=%llu redis=%s "
                "lag_p50=%.1fms lag_p99=%.1fms",
                (unsigned long long)p->n_in, (unsigned long long)p->n_out,
                (unsigned long long)p->n_dead, rate,
                (unsigned long long)ks.delivered,
                p->k ? vg_kafka_outq_len(p->k) : 0,
                (unsigned long long)ks.rebalances,
                redis,
                1000.0 * vg_histo_quantile(p->m_lag, 0.5),
                1000.0 * vg_histo_quantile(p->m_lag, 0.99));
        p->stats_in_prev = p->n_in;
        p->t_stats_ms    = now;
        vg_proc_metrics_file(p);
}

static void vg_proc_tick(vg_proc_t *p)
{
        int64_t now = vg_time_now_ms();
        vg_store_retry(p->store, p);
        if (p->learn)
                vg_learn_step(p->learn, 0);
        if (p->def->tick)
                p->def->tick(p->st, p);
        if (p->stats_every_ms > 0 && now - p->t_stats_ms >= p->stats_every_ms)
                vg_proc_stats_line(p, now);
        if (now - p->t_ckpt_ms >= p->ckpt_every_ms) {
                vg_proc_checkpoint(p);
                p->t_ckpt_ms = now;
        }
}

/* ---------------------------------------------------------------------- */
/* Bootstrap: warm up from a JSON Lines history file                      */

static void vg_proc_boot_flush(vg_proc_t *p, int n)
{
        if (n > 0 && vg_proc_run_batch(p, n) == -1)
                vg_warn("boot", "process failed on a bootstrap batch");
        for (int i = 0; i < n; i++)
                p->recs[i] = (vg_proc_rec_t){0};
}

static int vg_proc_bootstrap(vg_proc_t *p, const char *path)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_topic(p->reg, p->in_topic);
        FILE *fp              = fopen(path, "r");
        char *line            = NULL, errstr[512];
        size_t cap            = 0;
        long long lineno = 0, bad = 0;
        ssize_t len;
        int n = 0;

        if (!fp || !sch) {
                vg_err("boot", "%s: %s", path,
                       fp ? "no schema for the input topic" : strerror(errno));
                if (fp)
                        fclose(fp);
                return -1;
        }
        p->bootstrapping = 1;
        while (!vg_proc_stop && (len = getline(&line, &cap, fp)) != -1) {
                lineno++;
                if (len <= 1)
                        continue;
                vg_proc_rec_t *rec = &p->recs[n];
                rec->kr.topic      = "bootstrap";
                rec->kr.offset     = lineno;
                rec->val           = vg_proc_slot_for(sch, &p->slots[n]);
                rec->sch           = sch;
                if (vg_avro_from_json(sch, line, (size_t)len, rec->val,
                                      errstr, sizeof(errstr))) {
                        vg_warn("boot", "%s:%lld: %s", path, lineno, errstr);
                        bad++;
                        rec->dead = 1;
                }
                if (++n == p->batch_size) {
                        vg_proc_boot_flush(p, n);
                        n = 0;
                }
        }
        vg_proc_boot_flush(p, n);
        p->bootstrapping = 0;
        free(line);
        fclose(fp);
        vg_info("boot", "warmed up from %s: %lld line(s), %lld rejected",
                path, lineno, bad);
        p->n_in = p->n_out = p->n_dead = 0;
        return 0;
}

/* ---------------------------------------------------------------------- */
/* The live loop                                                          */

static int vg_proc_loop(vg_proc_t *p)
{
        int poll_ms = (int)vg_conf_get_int(p->conf, "poll.timeout.ms");
        vg_kafka_rec_t *krs = vg_calloc(p->batch_size, sizeof(*krs));
        int rc              = 0;

        while (!vg_proc_stop) {
                uint64_t revokes = p->revokes;
                int n = vg_kafka_consume(p->k, krs, p->batch_size, poll_ms);
                for (int i = 0; i < n; i++) {
                        p->recs[i]      = (vg_proc_rec_t){0};
                        p->recs[i].kr   = krs[i];
                        p->recs[i].side = p->side_topic &&
                                          strcmp(krs[i].topic, p->in_topic);
                        vg_proc_decode(p, i);
                }
                if (n > 0 && vg_proc_run_batch(p, n) == -1)
                        rc = -1;
                for (int i = 0; i < n; i++)
                        if (rc == 0)
                                vg_kafka_rec_done(p->k, &p->recs[i].kr);
                        else /* not done: its offset must not move */
                                rd_kafka_message_destroy(p->recs[i].kr.rkm);
                if (rc == 0 && n > 0)
                        vg_proc_learn_after(p, n, revokes);
                if (rc == -1 || vg_kafka_fatal(p->k)) {
                        vg_err("proc", "stopping: %s",
                               rc ? "processing failed"
                                  : vg_kafka_fatal(p->k));
                        rc = -1;
                        break;
                }
                vg_proc_tick(p);
        }
        vg_free(krs);
        return rc;
}

/* ---------------------------------------------------------------------- */
/* Set-up                                                                 */

static void vg_proc_usage(const vg_processor_def_t *def,
                          const vg_conf_t *conf, FILE *fp)
{
        fprintf(fp,
                "Usage: %s [options]\n\n%s\n\n"
                "Reads %s (consumer group %s), writes %s, alerts and dead "
                "letters.\n\n"
                "Options:\n"
                "  -b, --brokers HOST:PORT   Kafka bootstrap servers\n"
                "  -c, --config FILE         properties file (key=value "
                "lines, # comments)\n"
                "  -X key=value              set a property (after -c)\n"
                "  -B, --bootstrap FILE      warm the models from a JSON "
                "Lines history file\n"
                "                            before going live (no outputs "
                "for it)\n"
                "      --dump-config         print the effective "
                "configuration and exit\n"
                "  -v, --verbose             debug logging\n"
                "  -h, --help                this help\n\n",
                def->name, def->summary, def->input_topic, def->name,
                def->output_topic);
        vg_conf_print_help(conf, fp);
}

static int vg_proc_set(vg_conf_t *conf, const char *k, const char *v)
{
        char errstr[512];
        if (vg_conf_set(conf, k, v, errstr, sizeof(errstr)) == VG_CONF_OK)
                return 0;
        fprintf(stderr, "%s\n", errstr);
        return -1;
}

/* @returns 0 to run, 1 to exit 0 (help), -1 to exit 2 (usage). */
static int vg_proc_args(vg_proc_t *p, int argc, char **argv,
                        const char **bootfile)
{
        static const struct option opts[] = {
                {"brokers", required_argument, 0, 'b'},
                {"config", required_argument, 0, 'c'},
                {"bootstrap", required_argument, 0, 'B'},
                {"dump-config", no_argument, 0, 'D'},
                {"verbose", no_argument, 0, 'v'},
                {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0},
        };
        const char *brokers = NULL, *file = NULL, *xs[256];
        int nx = 0, dump = 0, c;
        char errstr[512];

        while ((c = getopt_long(argc, argv, "b:c:X:B:vh", opts, NULL)) != -1) {
                switch (c) {
                case 'b': brokers = optarg; break;
                case 'c': file = optarg; break;
                case 'X':
                        if (nx < 256)
                                xs[nx++] = optarg;
                        break;
                case 'B': *bootfile = optarg; break;
                case 'D': dump = 1; break;
                case 'v': vg_log_set_level_name("debug"); break;
                case 'h': vg_proc_usage(p->def, p->conf, stdout); return 1;
                default: vg_proc_usage(p->def, p->conf, stderr); return -1;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "%s: unexpected argument \"%s\"\n",
                        p->def->name, argv[optind]);
                return -1;
        }
        if (vg_conf_apply_args(p->conf, file, xs, nx, brokers, errstr,
                               sizeof(errstr))) {
                fprintf(stderr, "%s: %s\n", p->def->name, errstr);
                return -1;
        }
        if (!*vg_conf_get_str(p->conf, "group.id"))
                vg_proc_set(p->conf, "group.id", p->def->name);
        if (!*vg_conf_get_str(p->conf, "input.topic"))
                vg_proc_set(p->conf, "input.topic", p->def->input_topic);
        if (!*vg_conf_get_str(p->conf, "output.topic"))
                vg_proc_set(p->conf, "output.topic", p->def->output_topic);
        const char *why = vg_conf_finalize(p->conf);
        if (why) {
                fprintf(stderr, "%s: %s\n", p->def->name, why);
                return -1;
        }
        if (dump) {
                vg_conf_dump(p->conf, stdout);
                return 1;
        }
        return 0;
}

static vg_redis_t *vg_proc_redis_new(const vg_conf_t *conf, char *errstr,
                                     size_t errstr_size)
{
        vg_redis_t *r = vg_conf_redis_new(conf, errstr, errstr_size);
        if (!r)
                return NULL;
        /* A connection is not enough: a Redis with requirepass accepts
         * it without a password, then refuses every command. Refused:
         * exit with what to set rather than run without features. Down
         * or still loading: run, as through any Redis outage. */
        vg_err_t err = vg_redis_check(r, errstr, errstr_size);
        if (err == VG_ERR_UNAVAIL) {
                vg_warn("proc", "%s", errstr);
        } else if (err) {
                vg_redis_destroy(r);
                return NULL;
        }
        return r;
}

static int vg_proc_setup(vg_proc_t *p, char *errstr, size_t errstr_size)
{
        p->in_topic    = vg_conf_get_str(p->conf, "input.topic");
        p->out_topic   = vg_conf_get_str(p->conf, "output.topic");
        p->group       = vg_conf_get_str(p->conf, "group.id");
        p->batch_size  = (int)vg_conf_get_int(p->conf, "batch.size");
        p->stats_every_ms = vg_conf_get_int(p->conf, "stats.interval.ms");
        p->ckpt_every_ms  = vg_conf_get_int(p->conf,
                                            "checkpoint.interval.ms");
        p->recs        = vg_calloc(p->batch_size, sizeof(*p->recs));
        p->holds       = vg_calloc(p->batch_size, sizeof(*p->holds));
        p->model_id    = p->def->model_key_prop
                                 ? vg_conf_get_str(p->conf,
                                                   p->def->model_key_prop)
                                 : NULL;
        vg_proc_metrics_new(p);
        p->slots       = vg_calloc(p->batch_size, sizeof(*p->slots));

        p->reg = vg_avro_registry_new(
                vg_conf_get_str(p->conf, "schema.dir"),
                vg_conf_get_str(p->conf, "schema.registry.url"), errstr,
                errstr_size);
        if (!p->reg)
                return -1;
        if (!vg_avro_registry_by_topic(p->reg, p->in_topic)) {
                snprintf(errstr, errstr_size, "no schema for input topic %s",
                         p->in_topic);
                return -1;
        }
        if (p->def->side_topic_prop &&
            *vg_conf_get_str(p->conf, p->def->side_topic_prop))
                p->side_topic = vg_conf_get_str(p->conf,
                                                p->def->side_topic_prop);
        if (p->side_topic && !vg_avro_registry_by_topic(p->reg,
                                                         p->side_topic)) {
                snprintf(errstr, errstr_size, "%s: no schema for topic %s",
                         p->def->side_topic_prop, p->side_topic);
                return -1;
        }
        if (!(p->redis = vg_proc_redis_new(p->conf, errstr, errstr_size)))
                return -1;
        p->store = vg_store_new(p->redis);
        vg_proc_event_time_init(p);
        if (p->def->init && !(p->st = p->def->init(p, errstr, errstr_size)))
                return -1;
        return vg_proc_restore(p);
}

static void vg_proc_on_revoke(void *opaque)
{
        vg_proc_t *p = opaque;
        /* the last batch's writes, acknowledged now, let its offsets be
         * committed instead of replayed by the next owner */
        vg_store_settle(p->store, p);
        vg_proc_learn_revoked(p);
        if (p->def->revoke && p->st)
                p->def->revoke(p->st, p);
}

static void vg_proc_teardown(vg_proc_t *p)
{
        if (p->def->destroy && p->st)
                p->def->destroy(p->st);
        for (int i = 0; p->slots && i < p->batch_size; i++)
                if (p->slots[i].has_val)
                        avro_value_decref(&p->slots[i].val);
        vg_free(p->slots);
        vg_free(p->recs);
        vg_free(p->holds);
        vg_learn_destroy(p->learn);
        vg_free(p->scored_next);
        vg_free(p->committed);
        vg_free(p->deferred);
        vg_free(p->ckpt_next);
        vg_free(p->enc_buf);
        vg_store_destroy(p->store);
        vg_redis_destroy(p->redis);
        vg_metrics_destroy(p->metrics);
        vg_avro_registry_destroy(p->reg);
        vg_conf_destroy(p->conf);
}

int vg_proc_main(const vg_processor_def_t *def, int argc, char **argv)
{
        const vg_conf_group_t *groups[] = {def->conf_group, NULL};
        vg_proc_t p         = {.def = def, .conf = vg_conf_new(groups)};
        const char *boot    = NULL;
        char errstr[512];
        int rc;

        vg_log_set_program(def->name);
        if ((rc = vg_proc_args(&p, argc, argv, &boot)) != 0) {
                vg_conf_destroy(p.conf);
                return rc > 0 ? 0 : 2;
        }
        vg_log_set_level_name(vg_conf_get_str(p.conf, "log.level"));
        signal(SIGINT, vg_proc_sig);
        signal(SIGTERM, vg_proc_sig);
        errstr[0] = '\0';
        if (vg_proc_setup(&p, errstr, sizeof(errstr)) ||
            (boot && vg_proc_bootstrap(&p, boot))) {
                if (errstr[0]) /* bootstrap failures are logged already */
                        vg_err("proc", "%s", errstr);
                vg_proc_teardown(&p);
                return 1;
        }
        const char *topics[2] = {p.in_topic, p.side_topic};
        p.k = vg_kafka_new(p.conf, p.group, topics, p.side_topic ? 2 : 1,
                           VG_KAFKA_F_CONSUMER | VG_KAFKA_F_PRODUCER, errstr,
                           sizeof(errstr));
        if (!p.k) {
                vg_err("proc", "%s", errstr);
                vg_proc_teardown(&p);
                return 1;
        }
        if (vg_proc_learn_start(&p, errstr, sizeof(errstr))) {
                vg_err("proc", "%s", errstr);
                vg_kafka_close(p.k, 0);
                p.k = NULL;
                vg_proc_teardown(&p);
                return 1;
        }
        vg_kafka_on_revoke(p.k, vg_proc_on_revoke, &p);
        p.t_start_ms = p.t_stats_ms = p.t_ckpt_ms = vg_time_now_ms();
        vg_info("proc", "%s started: %s%s%s -> %s, group %s, brokers %s",
                def->name, p.in_topic, p.side_topic ? " + " : "",
                p.side_topic ? p.side_topic : "", p.out_topic, p.group,
                vg_conf_get_str(p.conf, "bootstrap.servers"));

        rc = vg_proc_loop(&p);

        vg_info("proc", "draining: flushing outputs, committing offsets");
        vg_proc_stop = 1; /* no back-pressure wait from here on */
        vg_store_drain(p.store, &p);
        vg_proc_learn_stop(&p);
        vg_proc_checkpoint(&p);
        vg_learn_destroy(p.learn);
        p.learn = NULL;
        if (vg_kafka_close(p.k, (int)vg_conf_get_int(p.conf,
                                                     "flush.timeout.ms")))
                rc = -1;
        p.k = NULL;
        vg_proc_stats_line(&p, vg_time_now_ms());
        if (def->report)
                def->report(p.st, &p, stderr);
        vg_proc_teardown(&p);
        vg_info("proc", "stopped%s", rc ? " with errors" : "");
        return rc ? 1 : 0;
}
