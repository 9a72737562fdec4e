/**
 * @file ctl.h
 * @brief vigie-ctl: sub-commands share the global options and this table.
 */
#ifndef VG_CTL_H
#define VG_CTL_H

#include "vg_avro.h"
#include "vg_conf.h"

#include <stdint.h>

/** A sub-command: argv[0] is its name; global options already applied. */
typedef struct ctl_cmd_s {
        const char *name;
        const char *summary;
        int (*run)(vg_conf_t *conf, int argc, char **argv);
        void (*usage)(FILE *fp);
} ctl_cmd_t;

int ctl_topics_run(vg_conf_t *conf, int argc, char **argv);
void ctl_topics_usage(FILE *fp);
int ctl_produce_run(vg_conf_t *conf, int argc, char **argv);
void ctl_produce_usage(FILE *fp);
int ctl_consume_run(vg_conf_t *conf, int argc, char **argv);
void ctl_consume_usage(FILE *fp);
int ctl_gen_run(vg_conf_t *conf, int argc, char **argv);
void ctl_gen_usage(FILE *fp);
int ctl_feedback_run(vg_conf_t *conf, int argc, char **argv);
void ctl_feedback_usage(FILE *fp);
/** `report surveys`: the survey topics of vigie-survey from Redis, as text
 *  and an HTML page (ctl_report.c). @returns 0, 1 (Redis, I/O) or 2. */
int ctl_report_run(vg_conf_t *conf, int argc, char **argv);
void ctl_report_usage(FILE *fp);

/**
 * @brief Loads the schemas (schema.dir, schema.registry.url) and finds
 *        the value schema of \p topic. Says why not on stderr, as
 *        "vigie-ctl CMD: ...".
 * @param regp set to the registry, or NULL: the caller frees it with
 *             vg_avro_registry_destroy(), also when this fails.
 * @returns the schema (owned by *regp), or NULL.
 */
vg_avro_schema_t *ctl_topic_schema(const vg_conf_t *conf, const char *cmd,
                                   const char *topic,
                                   vg_avro_registry_t **regp);

/** Most -X options one `vigie-ctl feedback` takes. */
#define CTL_FEEDBACK_MAX_X 64
/** Size of a feedback id made by ctl_feedback_id(): "fb-" + 16 hex. */
#define CTL_FEEDBACK_ID_SIZE 20
/** ctl_feedback_parse(): --help was given. */
#define CTL_FEEDBACK_HELP 1

/** One `vigie-ctl feedback` request, as ctl_feedback_parse() reads it.
 *  Strings point into argv. */
typedef struct ctl_feedback_s {
        const char *incident;   /**< INCIDENT: the record key */
        const char *action;     /**< FeedbackAction symbol */
        const char *opt;        /**< the action's option, e.g. "confirm" */
        const char *target;     /**< the change (CONFIRM_CHANGE,
                                 *   REJECT_CHANGE) or the label (SET_*) */
        int is_change;          /**< 1: target goes to "change", 0: to
                                 *   "value" */
        const char *responder;  /**< --by, or NULL */
        const char *comment;    /**< --comment, or NULL */
        const char *id;         /**< --id, or NULL: ctl_feedback_id() */
        const char *topic;      /**< -t, default itsm.feedback */
        int64_t created_at;     /**< --at, default now (epoch ms, UTC) */
        const char *config;     /**< -c FILE, or NULL */
        const char *bootstrap;  /**< -b, or NULL */
        const char *schema_dir; /**< -s, or NULL */
        const char *xs[CTL_FEEDBACK_MAX_X]; /**< -X key=value, in order */
        int nx;
} ctl_feedback_t;

/**
 * @brief Parses `feedback` arguments (\p argv[0] is "feedback") into
 *        \p fb: exactly one INCIDENT and one action, --at in any
 *        vg_time_parse() format.
 * @returns 0, CTL_FEEDBACK_HELP, or -1 (a usage error) with the reason in
 *          \p errstr.
 * @remark Uses getopt_long() (resets optind).
 */
int ctl_feedback_parse(ctl_feedback_t *fb, int argc, char **argv,
                       char *errstr, size_t errstr_size);

/**
 * @brief The default feedback id: "fb-" + the 16 hex digits of
 *        vg_hash64("INCIDENT|ACTION|TARGET|CREATED_AT_MS", 0).
 * @param size at least CTL_FEEDBACK_ID_SIZE.
 */
void ctl_feedback_id(const ctl_feedback_t *fb, char *buf, size_t size);

/**
 * @brief Fills \p val, a value of the Feedback schema, from \p fb
 *        (reset first: fields not given are null).
 * @returns VG_OK, or an error with `field: reason` in \p errstr.
 */
vg_err_t ctl_feedback_build(const ctl_feedback_t *fb, avro_value_t *val,
                            char *errstr, size_t errstr_size);

/** Set by SIGINT/SIGTERM: long-running sub-commands stop cleanly. */
extern volatile int ctl_stop;

#endif /* VG_CTL_H */
