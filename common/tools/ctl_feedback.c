/**
 * @file ctl_feedback.c
 * @brief vigie-ctl feedback: one responder feedback record (Feedback.avsc)
 *        to itsm.feedback, keyed by the incident, delivery confirmed.
 */
#include "ctl.h"
#include "vg_hash.h"
#include "vg_kafka.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_time.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define CTL_FEEDBACK_TOPIC "itsm.feedback"
#define CTL_FEEDBACK_RECORD "vigie.v1.Feedback"

void ctl_feedback_usage(FILE *fp)
{
        fprintf(fp,
                "Usage: vigie-ctl [global options] feedback INCIDENT ACTION "
                "[options]\n\n"
                "Sends one responder feedback on incident INCIDENT to "
                "itsm.feedback (Avro,\nschema vigie.v1.Feedback, record key "
                "INCIDENT) and waits until the broker\nacknowledges it.\n\n"
                "ACTION (exactly one):\n"
                "      --confirm CHG     change CHG did cause the incident\n"
                "      --reject CHG      change CHG did not cause it\n"
                "      --cause LABEL     the right cause is LABEL\n"
                "      --sub-cause LABEL the right sub-cause is LABEL\n"
                "      --group GROUP     the right assignment group is "
                "GROUP\n\n"
                "Options:\n"
                "      --by RESPONDER    who gives the feedback\n"
                "      --comment TEXT    a free-text comment\n"
                "      --at TIME         when it was given (default: now): "
                "2025-03-01 10:00:00,\n"
                "                        ISO-8601 (2025-03-01T10:00:00Z, "
                "+01:00...), 1/3/2025 10:00\n"
                "                        or epoch milliseconds; UTC "
                "without a zone\n"
                "      --id ID           feedback id (default: \"fb-\" + "
                "16 hex digits of XXH64\n"
                "                        over INCIDENT|ACTION|TARGET|"
                "TIME_MS: sending the same\n"
                "                        feedback again gives the same "
                "id)\n"
                "  -t, --topic TOPIC     destination topic (default "
                CTL_FEEDBACK_TOPIC ")\n"
                "  -b, --bootstrap HOST:PORT\n"
                "                        Kafka bootstrap servers "
                "(bootstrap.servers)\n"
                "  -c, --config FILE     properties file (after the global "
                "options)\n"
                "  -X key=value          set a property (kafka.* goes to "
                "librdkafka)\n"
                "  -s, --schema-dir DIR  schemas (schema.dir)\n"
                "  -h, --help            this help\n\n"
                "Prints on success, e.g.:\n"
                "  feedback fb-1a2b3c4d5e6f7a8b CONFIRM_CHANGE INC0010001 "
                "-> CHG0000123 delivered\n  to itsm.feedback [2] at offset "
                "17\n\n"
                "Exit status: 0 delivered, 1 not delivered, 2 usage or "
                "set-up error.\n");
}

/* The actions: option, FeedbackAction symbol, target is a change. */
static const struct {
        const char *opt, *action;
        int is_change;
} ctl_fb_actions[] = {
        {"confirm", "CONFIRM_CHANGE", 1}, {"reject", "REJECT_CHANGE", 1},
        {"cause", "SET_CAUSE", 0},        {"sub-cause", "SET_SUB_CAUSE", 0},
        {"group", "SET_GROUP", 0},
};

/* getopt_long values of the long-only options: the actions are
 * CTL_FB_OPT_ACTION + their index. */
enum {
        CTL_FB_OPT_BY = 256,
        CTL_FB_OPT_COMMENT,
        CTL_FB_OPT_AT,
        CTL_FB_OPT_ID,
        CTL_FB_OPT_ACTION,
};

/* Sets the action of option index \p i. @returns 0, or -1 if an action
 * was given already. */
static int ctl_fb_set_action(ctl_feedback_t *fb, int i, const char *target,
                             char *errstr, size_t errstr_size)
{
        if (fb->action) {
                snprintf(errstr, errstr_size, "one action only: --%s and "
                         "--%s given", fb->opt, ctl_fb_actions[i].opt);
                return -1;
        }
        fb->opt       = ctl_fb_actions[i].opt;
        fb->action    = ctl_fb_actions[i].action;
        fb->is_change = ctl_fb_actions[i].is_change;
        fb->target    = target;
        return 0;
}

/* Checks what getopt cannot: one INCIDENT, one action, no empty value.
 * @returns 0 or -1. */
static int ctl_fb_check(ctl_feedback_t *fb, int argc, char **argv,
                        char *errstr, size_t errstr_size)
{
        if (optind >= argc) {
                snprintf(errstr, errstr_size, "INCIDENT is required");
                return -1;
        }
        if (optind + 1 < argc) {
                snprintf(errstr, errstr_size, "one INCIDENT only: "
                         "unexpected \"%s\"", argv[optind + 1]);
                return -1;
        }
        fb->incident = argv[optind];
        if (!*fb->incident) {
                snprintf(errstr, errstr_size, "INCIDENT is empty");
                return -1;
        }
        if (!fb->action) {
                snprintf(errstr, errstr_size, "an action is required: "
                         "--confirm, --reject, --cause, --sub-cause or "
                         "--group");
                return -1;
        }
        if (!*fb->target) {
                snprintf(errstr, errstr_size, "--%s: empty value", fb->opt);
                return -1;
        }
        if (fb->id && !*fb->id) {
                snprintf(errstr, errstr_size, "--id: empty value");
                return -1;
        }
        if (!*fb->topic) {
                snprintf(errstr, errstr_size, "--topic: empty value");
                return -1;
        }
        return 0;
}

int ctl_feedback_parse(ctl_feedback_t *fb, int argc, char **argv,
                       char *errstr, size_t errstr_size)
{
        static const struct option opts[] = {
                {"confirm", required_argument, 0, CTL_FB_OPT_ACTION + 0},
                {"reject", required_argument, 0, CTL_FB_OPT_ACTION + 1},
                {"cause", required_argument, 0, CTL_FB_OPT_ACTION + 2},
                {"sub-cause", required_argument, 0, CTL_FB_OPT_ACTION + 3},
                {"group", required_argument, 0, CTL_FB_OPT_ACTION + 4},
                {"by", required_argument, 0, CTL_FB_OPT_BY},
                {"comment", required_argument, 0, CTL_FB_OPT_COMMENT},
                {"at", required_argument, 0, CTL_FB_OPT_AT},
                {"id", required_argument, 0, CTL_FB_OPT_ID},
                {"topic", required_argument, 0, 't'},
                {"bootstrap", required_argument, 0, 'b'},
                {"config", required_argument, 0, 'c'},
                {"schema-dir", required_argument, 0, 's'},
                {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0},
        };
        char terr[256];
        int c, at_given = 0;

        memset(fb, 0, sizeof(*fb));
        fb->topic = CTL_FEEDBACK_TOPIC;
        optind    = 0; /* full re-initialisation of GNU getopt */
        opterr    = 0;
        while ((c = getopt_long(argc, argv, ":t:b:c:X:s:h", opts, NULL)) !=
               -1) {
                switch (c) {
                case 't': fb->topic = optarg; break;
                case 'b': fb->bootstrap = optarg; break;
                case 'c': fb->config = optarg; break;
                case 's': fb->schema_dir = optarg; break;
                case 'h': return CTL_FEEDBACK_HELP;
                case CTL_FB_OPT_BY: fb->responder = optarg; break;
                case CTL_FB_OPT_COMMENT: fb->comment = optarg; break;
                case CTL_FB_OPT_ID: fb->id = optarg; break;
                case 'X':
                        if (fb->nx == CTL_FEEDBACK_MAX_X) {
                                snprintf(errstr, errstr_size, "more than %d "
                                         "-X options", CTL_FEEDBACK_MAX_X);
                                return -1;
                        }
                        fb->xs[fb->nx++] = optarg;
                        break;
                case CTL_FB_OPT_AT:
                        if (vg_time_parse(optarg, &fb->created_at, terr,
                                          sizeof(terr))) {
                                snprintf(errstr, errstr_size, "--at: %s",
                                         terr);
                                return -1;
                        }
                        at_given = 1;
                        break;
                case ':':
                        snprintf(errstr, errstr_size, "%s: missing value",
                                 argv[optind - 1]);
                        return -1;
                case '?':
                        snprintf(errstr, errstr_size, "unknown option "
                                 "\"%s\"", argv[optind - 1]);
                        return -1;
                default:
                        if (ctl_fb_set_action(fb, c - CTL_FB_OPT_ACTION,
                                              optarg, errstr, errstr_size))
                                return -1;
                        break;
                }
        }
        if (ctl_fb_check(fb, argc, argv, errstr, errstr_size))
                return -1;
        if (!at_given)
                fb->created_at = vg_time_now_ms();
        return 0;
}

void ctl_feedback_id(const ctl_feedback_t *fb, char *buf, size_t size)
{
        int n = snprintf(NULL, 0, "%s|%s|%s|%" PRId64, fb->incident,
                         fb->action, fb->target, fb->created_at);
        char *s = vg_malloc((size_t)n + 1);

        snprintf(s, (size_t)n + 1, "%s|%s|%s|%" PRId64, fb->incident,
                 fb->action, fb->target, fb->created_at);
        snprintf(buf, size, "fb-%016" PRIx64, vg_hash64(s, (size_t)n, 0));
        vg_free(s);
}

/* vg_avro_set_str() of an optional string: NULL leaves the field null. */
static vg_err_t ctl_fb_set(avro_value_t *val, const char *name,
                           const char *s, char *errstr, size_t errstr_size)
{
        vg_err_t err = s ? vg_avro_set_str(val, name, s) : VG_OK;
        if (err)
                snprintf(errstr, errstr_size, "%s: cannot set (%s)", name,
                         vg_err_name(err));
        return err;
}

vg_err_t ctl_feedback_build(const ctl_feedback_t *fb, avro_value_t *val,
                            char *errstr, size_t errstr_size)
{
        char id[CTL_FEEDBACK_ID_SIZE];
        vg_err_t err;

        if (!fb->id)
                ctl_feedback_id(fb, id, sizeof(id));
        if ((err = vg_avro_value_reset(val))) {
                snprintf(errstr, errstr_size, "cannot reset the record (%s)",
                         vg_err_name(err));
                return err;
        }
        if ((err = ctl_fb_set(val, "feedback_id", fb->id ? fb->id : id,
                              errstr, errstr_size)) ||
            (err = ctl_fb_set(val, "incident", fb->incident, errstr,
                              errstr_size)) ||
            (err = ctl_fb_set(val, fb->is_change ? "change" : "value",
                              fb->target, errstr, errstr_size)) ||
            (err = ctl_fb_set(val, "responder", fb->responder, errstr,
                              errstr_size)) ||
            (err = ctl_fb_set(val, "comment", fb->comment, errstr,
                              errstr_size)))
                return err;
        if ((err = vg_avro_set_enum(val, "action", fb->action))) {
                snprintf(errstr, errstr_size, "action: cannot set %s (%s)",
                         fb->action, vg_err_name(err));
                return err;
        }
        if ((err = vg_avro_set_long(val, "created_at", fb->created_at))) {
                snprintf(errstr, errstr_size, "created_at: cannot set (%s)",
                         vg_err_name(err));
                return err;
        }
        return VG_OK;
}

/* Applies the command's own -c, -X, -b and -s after the global options.
 * @returns 0, or -1 with the reason in \p errstr. */
static int ctl_fb_conf(vg_conf_t *conf, const ctl_feedback_t *fb,
                       char *errstr, size_t errstr_size)
{
        const char *why;

        if (!fb->config && !fb->nx && !fb->bootstrap && !fb->schema_dir)
                return 0;
        if (vg_conf_apply_args(conf, fb->config, fb->xs, fb->nx,
                               fb->bootstrap, errstr, errstr_size) ||
            (fb->schema_dir && vg_conf_set(conf, "schema.dir",
                                           fb->schema_dir, errstr,
                                           errstr_size)))
                return -1;
        if ((why = vg_conf_finalize(conf))) {
                snprintf(errstr, errstr_size, "%s", why);
                return -1;
        }
        vg_log_set_level_name(vg_conf_get_str(conf, "log.level"));
        return 0;
}

/* Encodes \p fb with \p sch into \p *bufp, \p *lenp. @returns 0 or -1
 * (said on stderr). */
static int ctl_fb_encode(const ctl_feedback_t *fb, vg_avro_schema_t *sch,
                         avro_value_t *val, void **bufp, size_t *lenp)
{
        char errstr[512];

        if (strcmp(vg_avro_schema_name(sch), CTL_FEEDBACK_RECORD)) {
                fprintf(stderr, "vigie-ctl feedback: topic \"%s\" holds %s "
                                "records, not " CTL_FEEDBACK_RECORD "\n",
                        fb->topic, vg_avro_schema_name(sch));
                return -1;
        }
        if (ctl_feedback_build(fb, val, errstr, sizeof(errstr)) ||
            vg_avro_encode(sch, val, bufp, lenp, errstr, sizeof(errstr))) {
                fprintf(stderr, "vigie-ctl feedback: %s\n", errstr);
                return -1;
        }
        return 0;
}

/* Produces the record keyed by the incident and waits for its
 * acknowledgement. @returns 0 (\p ks says where it went) or -1. */
static int ctl_fb_send(vg_conf_t *conf, const ctl_feedback_t *fb,
                       vg_kafka_t *k, const void *buf, size_t len,
                       vg_kafka_stats_t *ks)
{
        int flush_ms = (int)vg_conf_get_int(conf, "flush.timeout.ms");
        char errstr[512];
        const char *why;

        if (vg_kafka_produce(k, NULL, fb->topic, fb->incident,
                             strlen(fb->incident), buf, len, 0, errstr,
                             sizeof(errstr))) {
                fprintf(stderr, "vigie-ctl feedback: %s\n", errstr);
                return -1;
        }
        vg_kafka_flush_stats(k, flush_ms, ks);
        if (ks->delivered == 1)
                return 0;
        why = vg_kafka_fatal(k);
        fprintf(stderr, "vigie-ctl feedback: NOT delivered to %s (broker "
                        "%s): ", fb->topic,
                vg_conf_get_str(conf, "bootstrap.servers"));
        if (why)
                fprintf(stderr, "%s\n", why);
        else
                fprintf(stderr, "no acknowledgement within "
                                "flush.timeout.ms (%d ms)\n", flush_ms);
        return -1;
}

int ctl_feedback_run(vg_conf_t *conf, int argc, char **argv)
{
        ctl_feedback_t fb;
        vg_avro_registry_t *reg = NULL;
        vg_avro_schema_t *sch;
        vg_kafka_t *k = NULL;
        vg_kafka_stats_t ks;
        avro_value_t val;
        const char *id;
        char errstr[512];
        void *buf  = NULL;
        size_t len = 0;
        int rc = 2, have_val = 0;

        switch (ctl_feedback_parse(&fb, argc, argv, errstr, sizeof(errstr))) {
        case 0: break;
        case CTL_FEEDBACK_HELP: ctl_feedback_usage(stdout); return 0;
        default:
                fprintf(stderr, "vigie-ctl feedback: %s (see 'vigie-ctl "
                                "feedback --help')\n", errstr);
                return 2;
        }
        if (ctl_fb_conf(conf, &fb, errstr, sizeof(errstr))) {
                fprintf(stderr, "vigie-ctl feedback: %s\n", errstr);
                return 2;
        }
        sch = ctl_topic_schema(conf, "feedback", fb.topic, &reg);
        if (!sch || vg_avro_schema_value_new(sch, &val))
                goto done;
        have_val = 1;
        if (ctl_fb_encode(&fb, sch, &val, &buf, &len))
                goto done;
        k = vg_kafka_new(conf, NULL, NULL, 0, VG_KAFKA_F_PRODUCER, errstr,
                         sizeof(errstr));
        if (!k) {
                fprintf(stderr, "vigie-ctl feedback: %s\n", errstr);
                goto done;
        }
        rc = 1;
        if (ctl_fb_send(conf, &fb, k, buf, len, &ks))
                goto done;
        vg_avro_get_str(&val, "feedback_id", &id, NULL);
        printf("feedback %s %s %s -> %s delivered to %s [%d] at offset "
               "%" PRId64 "\n", id, fb.action, fb.incident, fb.target,
               fb.topic, (int)ks.last_partition, ks.last_offset);
        fflush(stdout);
        rc = 0;
done:
        if (vg_kafka_close(k, 0) && rc == 0)
                rc = 1;
        vg_free(buf);
        if (have_val)
                avro_value_decref(&val);
        vg_avro_registry_destroy(reg);
        return rc;
}
