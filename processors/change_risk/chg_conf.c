/**
 * @file chg_conf.c
 * @brief The `change.*` properties of vigie-change (see chg_conf.h).
 */
#include "chg_conf.h"

#include <stddef.h>

/* Keep it sorted by subject (bands and alerts, windows, model, rules). */
static const vg_conf_prop_t chg_conf_props[] = {
        {0, "change.band.medium", VG_CONF_DBL, "0.15", 0, 1, NULL,
         "p_failure from which a change is MEDIUM risk (below: LOW)."},
        {0, "change.band.high", VG_CONF_DBL, "0.30", 0, 1, NULL,
         "p_failure from which a change is HIGH risk."},
        {0, "change.band.critical", VG_CONF_DBL, "0.50", 0, 1, NULL,
         "p_failure from which a change is CRITICAL risk."},
        {0, "change.alert.band", VG_CONF_ENUM, "HIGH", 0, 0,
         "MEDIUM,HIGH,CRITICAL",
         "Alert (itsm.alerts, kind RISKY_CHANGE) from this band up, once "
         "per change and band."},
        {0, "change.alert.min.learned", VG_CONF_INT, "200", 0, 100000000,
         NULL,
         "No alert until the model has learned from this many outcomes "
         "(a cold model scores everything near 50%); scores are published "
         "all the same."},
        {0, "change.team.window.days", VG_CONF_INT, "90", 1, 3650, NULL,
         "Event-time window of a team's change record "
         "(team_changes_90d, team_failure_rate_90d)."},
        {0, "change.ci.window.days", VG_CONF_INT, "90", 1, 3650, NULL,
         "Event-time window of a CI's failed changes (ci_failures_90d)."},
        {0, "change.incident.window.days", VG_CONF_INT, "30", 1, 3650, NULL,
         "Event-time window of incidents on a CI (ci_incidents_30d), as "
         "written by the incident processor."},
        {0, "change.work.keep.days", VG_CONF_INT, "30", 1, 3650, NULL,
         "Event-time window kept of the changes at work on each CI "
         "(ci:{ci}:work), read by vigie-incident for suspect changes."},
        {0, "change.hash.bits", VG_CONF_INT, "18", 10, 26, NULL,
         "Feature hashing: 2^bits weights in the logistic model."},
        {0, "change.ftrl.alpha", VG_CONF_DBL, "0.1", 1e-6, 10, NULL,
         "FTRL-Proximal learning rate scale."},
        {0, "change.ftrl.l1", VG_CONF_DBL, "0.5", 0, 100, NULL,
         "FTRL-Proximal L1 strength (sparsity)."},
        {0, "change.ftrl.l2", VG_CONF_DBL, "1.0", 0, 100, NULL,
         "FTRL-Proximal L2 strength."},
        {0, "change.cluster.radius", VG_CONF_DBL, "0.75", 0.01, 2, NULL,
         "Cosine distance beyond which a change opens a new cluster of "
         "similar changes."},
        {0, "change.cluster.max", VG_CONF_INT, "64", 1, 1024, NULL,
         "Maximum number of clusters of similar changes."},
        {0, "change.features.ttl.days", VG_CONF_INT, "180", 1, 3650, NULL,
         "How long the features of a scored change are kept in Redis for "
         "learning when its outcome arrives."},
        {0, "change.model.key", VG_CONF_STR, "change", 0, 0, NULL,
         "Redis id of the model checkpoint (vigie:model:<id>:snapshot). "
         "Give instances that must not share a checkpoint their own."},
        {0, "change.rule.*", VG_CONF_LIST, NULL, 0, 0, NULL,
         "Recommendation rules, applied in order: change.rule.N = "
         "CONDITION => SENTENCE. CONDITION: terms joined by '&', each "
         "FIELD OP VALUE (OP: = != < <= > >=) or a bare flag; SENTENCE "
         "may use {field}. Fields: type, category, band, p_failure, "
         "night, weekend, lead_hours, duration_hours, backout_plan, "
         "test_plan, team_failure_rate_90d, team_changes_90d, "
         "ci_failures_90d, ci_incidents_30d, collisions. Empty: the "
         "built-in rules (see processors/change_risk/chg_rules.c)."},
};

const vg_conf_group_t chg_conf_group = {
        "vigie-change", chg_conf_props,
        (int)(sizeof(chg_conf_props) / sizeof(chg_conf_props[0])),
};

vg_conf_t *chg_conf_new(void)
{
        const vg_conf_group_t *groups[] = {&chg_conf_group, NULL};
        return vg_conf_new(groups);
}
