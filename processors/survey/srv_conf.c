/**
 * @file srv_conf.c
 * @brief The `survey.*` properties of vigie-survey (see srv_conf.h).
 */
#include "srv_conf.h"

#include <stddef.h>

/* Sorted by subject: privacy, alerts, links, topics, models. */
static const vg_conf_prop_t srv_conf_props[] = {
        {0, "survey.pseudonym.key.file", VG_CONF_STR, "", 0, 0, NULL,
         "File holding the pseudonym key (at least 16 bytes, readable by "
         "its owner only): respondents become HMAC-SHA-256 pseudonyms. "
         "Give this or survey.pseudonym.key.env (see deploy/README.md, "
         "\"Pseudonym key\", for rotation)."},
        {0, "survey.pseudonym.key.env", VG_CONF_STR, "VIGIE_PSEUDONYM_KEY",
         0, 0, NULL,
         "Name of the environment variable holding the pseudonym key, when "
         "survey.pseudonym.key.file is empty. The key never goes to Redis, "
         "topics or logs."},
        {0, "survey.strict", VG_CONF_BOOL, "false", 0, 0, NULL,
         "Strict mode: no pseudonym at all, in the records or in Redis "
         "(aggregates and scrubbed verbatims only); no key needed."},
        {0, "survey.alert.window.hours", VG_CONF_INT, "72", 1, 2160, NULL,
         "Event-time window of SATISFACTION_DROP: a topic's or a "
         "service's negative responses in it are tested against its own "
         "baseline (one alert per subject and window)."},
        {0, "survey.alert.baseline.days", VG_CONF_INT, "28", 2, 365, NULL,
         "Baseline of a subject: its responses in the days before the "
         "window."},
        {0, "survey.alert.min.negative", VG_CONF_INT, "5", 1, 100000, NULL,
         "A drop needs at least this many negative responses in the "
         "window."},
        {0, "survey.alert.min.baseline", VG_CONF_INT, "20", 0, 1000000,
         NULL,
         "No drop is tested before the subject has this many responses in "
         "its baseline (a young subject's share is noise)."},
        {0, "survey.alert.min.history.days", VG_CONF_INT, "7", 0, 365, NULL,
         "No drop is tested until the stream has this many days of "
         "history before the window (the first days' shares are noise)."},
        {0, "survey.alert.alpha", VG_CONF_DBL, "0.00001", 1e-12, 0.5, NULL,
         "Binomial test: alert when P(X >= negatives | responses in the "
         "window, baseline negative share) is below this."},
        {0, "survey.link.window.days", VG_CONF_INT, "7", 1, 365, NULL,
         "Incidents and changes on the response's service in these days "
         "before it are linked (svc:{service}:incidents, :changes)."},
        {0, "survey.topic.radius", VG_CONF_DBL, "0.8", 0.01, 2, NULL,
         "Cosine distance beyond which a verbatim opens a new topic."},
        {0, "survey.topic.merge", VG_CONF_DBL, "0.35", 0, 2, NULL,
         "Two topics whose centres come closer than this cosine distance "
         "merge: the younger goes into the older, which keeps its id."},
        {0, "survey.topic.max", VG_CONF_INT, "64", 2, 1024, NULL,
         "Maximum number of live topics."},
        {0, "survey.topic.half.life", VG_CONF_DBL, "3000", 10, 1e9, NULL,
         "A topic's weight halves every this many verbatims; a topic "
         "whose weight falls below 0.05 dies."},
        {0, "survey.insight.ttl.days", VG_CONF_INT, "90", 1, 3650, NULL,
         "How long a response's scrubbed insight (srv:{id}:insight) is "
         "kept in Redis for reports and alert examples."},
        {0, "survey.hash.bits", VG_CONF_INT, "21", 12, 26, NULL,
         "Feature hashing: 2^bits coordinates per model."},
        {0, "survey.softmax.alpha", VG_CONF_DBL, "2", 1e-6, 10, NULL,
         "FTRL-Proximal learning rate scale of the satisfaction models."},
        {0, "survey.balance", VG_CONF_DBL, "0", 0, 1, NULL,
         "Class decision: the class of largest p(class | text) / "
         "p(class)^balance (0: the most probable class; 1: balanced, as if "
         "the classes were equally frequent: more of the rare "
         "dissatisfied found, more false alarms)."},
        {0, "survey.softmax.l1", VG_CONF_DBL, "0.001", 0, 100, NULL,
         "FTRL-Proximal L1 strength of the satisfaction models (word "
         "features are tf-idf weights well below 1: a strong L1 keeps only "
         "the class priors)."},
        {0, "survey.model.key", VG_CONF_STR, "survey", 0, 0, NULL,
         "Redis id of the model checkpoint (vigie:model:<id>:checkpoint)."},
};

const vg_conf_group_t srv_conf_group = {
        "vigie-survey", srv_conf_props,
        (int)(sizeof(srv_conf_props) / sizeof(srv_conf_props[0])),
};

vg_conf_t *srv_conf_new(void)
{
        const vg_conf_group_t *groups[] = {&srv_conf_group, NULL};
        return vg_conf_new(groups);
}
