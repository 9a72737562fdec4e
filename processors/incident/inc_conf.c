/**
 * @file inc_conf.c
 * @brief The `incident.*` properties of vigie-incident (see inc_conf.h).
 */
#include "inc_conf.h"

#include <stddef.h>

/* Sorted by subject: states, suspects, recurrence, windows, models. */
static const vg_conf_prop_t inc_conf_props[] = {
        {0, "incident.resolved.states", VG_CONF_STR, "Resolved,Closed", 0, 0,
         NULL,
         "States (comma-separated, case-insensitive) in which an incident "
         "is resolved: no enrichment is emitted for them, and its labels "
         "are learned from the first such record that carries them."},
        {0, "incident.feedback.topic", VG_CONF_STR, "itsm.feedback", 0, 0,
         NULL,
         "Topic of responders' feedback (schema Feedback: a suspect change "
         "confirmed or rejected, a cause, sub-cause or group corrected), "
         "consumed by the same group; what it says is learned with the "
         "incident's resolution. Empty: none."},
        {0, "incident.suspect.window.hours", VG_CONF_INT, "72", 1, 8760,
         NULL,
         "Changes on the incident's CI whose work started in this window "
         "before opened_at (or is still going on) are suspects."},
        {0, "incident.suspect.alert.score", VG_CONF_DBL, "0.25", 0, 1, NULL,
         "CHANGE_INDUCED_INCIDENT when the top suspect's learned score "
         "reaches this."},
        {0, "incident.suspect.alert.min.learned", VG_CONF_INT, "50", 0,
         100000000, NULL,
         "No CHANGE_INDUCED_INCIDENT until the suspect ranking has learned "
         "from this many incidents with suspects."},
        {0, "incident.recurring.window.hours", VG_CONF_INT, "24", 1, 720,
         NULL,
         "Event-time window of RECURRING_INCIDENTS: incidents of a cluster "
         "or a CI opened in it are tested against the subject's own "
         "baseline (one alert per subject and window)."},
        {0, "incident.recurring.baseline.days", VG_CONF_INT, "28", 2, 365,
         NULL,
         "Baseline of a subject: its incidents in the days before the "
         "window, per window."},
        {0, "incident.recurring.min.count", VG_CONF_INT, "4", 2, 100000,
         NULL,
         "A recurrence needs at least this many incidents in the window."},
        {0, "incident.recurring.alpha", VG_CONF_DBL, "0.001", 1e-12, 0.5,
         NULL,
         "Poisson test: alert when P(X >= count | baseline rate) is below "
         "this (the baseline rate is at least "
         "incident.recurring.min.rate)."},
        {0, "incident.recurring.min.rate", VG_CONF_DBL, "0.5", 0.01, 1000,
         NULL,
         "Floor of a subject's baseline, in incidents per window (a quiet "
         "CI's first incidents are not a burst)."},
        {0, "incident.ci.window.days", VG_CONF_INT, "30", 1, 3650, NULL,
         "How long incidents are kept in a CI's window ci:{ci}:incidents "
         "(read by vigie-change as ci_incidents_30d)."},
        {0, "incident.state.ttl.days", VG_CONF_INT, "120", 1, 3650, NULL,
         "How long an incident's state (features as scored, first "
         "predictions, suspects) is kept in Redis after its last update."},
        {0, "incident.hash.bits", VG_CONF_INT, "20", 12, 26, NULL,
         "Feature hashing: 2^bits coordinates per multiclass model."},
        {0, "incident.softmax.alpha", VG_CONF_DBL, "0.1", 1e-6, 10, NULL,
         "FTRL-Proximal learning rate scale of the multiclass models."},
        {0, "incident.group.alpha", VG_CONF_DBL, "0.5", 1e-6, 10, NULL,
         "FTRL-Proximal learning rate scale of the routing (final group) "
         "model, which has the most classes and learns faster with a "
         "larger one (chosen on the first half of the UCI log)."},
        {0, "incident.softmax.l1", VG_CONF_DBL, "0.1", 0, 100, NULL,
         "FTRL-Proximal L1 strength of the multiclass models."},
        {0, "incident.softmax.l2", VG_CONF_DBL, "1.0", 0, 100, NULL,
         "FTRL-Proximal L2 strength of the multiclass models."},
        {0, "incident.max.classes", VG_CONF_INT, "512", 2, 4096, NULL,
         "Classes a multiclass model may learn (causes, codes, groups); "
         "later new labels are counted and ignored."},
        {0, "incident.cluster.radius", VG_CONF_DBL, "0.5", 0.01, 2, NULL,
         "Cosine distance beyond which an incident opens a new cluster."},
        {0, "incident.cluster.max", VG_CONF_INT, "256", 1, 4096, NULL,
         "Maximum number of live clusters of similar incidents."},
        {0, "incident.model.key", VG_CONF_STR, "incident", 0, 0, NULL,
         "Redis id of the model checkpoint (vigie:model:<id>:checkpoint). "
         "Give instances that must not share a checkpoint their own."},
};

const vg_conf_group_t inc_conf_group = {
        "vigie-incident", inc_conf_props,
        (int)(sizeof(inc_conf_props) / sizeof(inc_conf_props[0])),
};

vg_conf_t *inc_conf_new(void)
{
        const vg_conf_group_t *groups[] = {&inc_conf_group, NULL};
        return vg_conf_new(groups);
}
