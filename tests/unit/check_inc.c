/* Unit tests of processors/incident: events, policy, suspect ranking,
 * models (learning once, checkpoints, privacy) and records. */
#include "inc_conf.h"
#include "inc_event.h"
#include "inc_feedback.h"
#include "inc_model.h"
#include "inc_output.h"
#include "inc_policy.h"
#include "inc_rank.h"
#include "vg_avro.h"
#include "vg_mem.h"
#include "vg_pii.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vg_avro_registry_t *reg;
static vg_avro_schema_t *sch;
static avro_value_t val;
static inc_states_t resolved;
static char errstr[512];

static void setup(void)
{
        reg = vg_avro_registry_new(VG_SCHEMA_DIR, NULL, errstr,
                                   sizeof(errstr));
        ck_assert_msg(reg != NULL, "%s", errstr);
        sch = vg_avro_registry_by_name(reg, "Incident");
        ck_assert_ptr_nonnull(sch);
        vg_avro_schema_value_new(sch, &val);
        ck_assert_int_eq(inc_states_parse(&resolved, "Resolved, closed"), 0);
}

static void teardown(void)
{
        avro_value_decref(&val);
        vg_avro_registry_destroy(reg);
}

/* Reads an incident update from JSON into the shared value. */
static int read_json(inc_event_t *ev, const char *json)
{
        ck_assert_int_eq(vg_avro_from_json(sch, json, strlen(json), &val,
                                           errstr, sizeof(errstr)), VG_OK);
        return inc_event_read(ev, &val, &resolved, errstr, sizeof(errstr));
}

#define INC(extra)                                                             \
        "{\"number\":\"INC1\",\"incident_state\":\"New\",\"category\":"      \
        "\"Network\",\"subcategory\":\"VPN\",\"cmdb_ci\":\"vpn-01\","        \
        "\"assignment_group\":\"Network L2\",\"priority\":\"3 - Moderate\"," \
        "\"opened_at\":\"2025-01-01 08:00:00\",\"sys_mod_count\":0,"         \
        "\"sys_updated_on\":\"2025-01-01 08:05:00\"" extra "}"

/* ---------------------------------------------------------------------- */
/* Events                                                                 */

START_TEST(test_event_read)
{
        inc_event_t ev;
        char id[64];
        uint64_t sig;

        ck_assert_int_eq(read_json(&ev, INC("")), 0);
        ck_assert_str_eq(ev.number, "INC1");
        ck_assert_str_eq(ev.ci, "vpn-01");
        ck_assert_str_eq(ev.labels[INC_L_GROUP], "Network L2");
        ck_assert_str_eq(ev.labels[INC_L_CAUSE], ""); /* null reads "" */
        ck_assert_int_eq(ev.resolved, 0);
        ck_assert_int_eq(ev.opened_at, 1735718400000LL);
        ck_assert_str_eq(inc_event_id(&ev, id, sizeof(id)), "INC1#0");
        sig = ev.sig;

        /* the state is no part of the signature, the category is */
        ck_assert_int_eq(read_json(&ev, INC(",\"incident_state\":\"Active\"")
                                        ), 0);
        ck_assert_uint_eq(ev.sig, sig);
        ck_assert_int_eq(read_json(&ev, INC(",\"category\":\"Software\"")),
                         0);
        ck_assert_uint_ne(ev.sig, sig);

        /* resolved states are matched ignoring case */
        ck_assert_int_eq(read_json(&ev, INC(",\"incident_state\":\"CLOSED\","
                                            "\"caused_by\":\"CHG9\","
                                            "\"rfc\":\"CHG8\"")), 0);
        ck_assert_int_eq(ev.resolved, 1);
        ck_assert_str_eq(inc_event_cause_change(&ev), "CHG9");

        /* no sys_mod_count: the event time names the update; no opened_at:
         * the event time */
        ck_assert_int_eq(read_json(&ev, "{\"number\":\"INC2\","
                                        "\"sys_updated_on\":1000}"), 0);
        ck_assert_str_eq(inc_event_id(&ev, id, sizeof(id)), "INC2@1000");
        ck_assert_int_eq(ev.opened_at, 1000);
}
END_TEST

START_TEST(test_event_invalid)
{
        inc_event_t ev;
        ck_assert_int_eq(read_json(&ev, "{\"number\":\"\","
                                        "\"sys_updated_on\":1}"), -1);
        ck_assert_ptr_nonnull(strstr(errstr, "number"));
        ck_assert_int_eq(read_json(&ev, INC(",\"reopen_count\":-2")), -1);
        ck_assert_ptr_nonnull(strstr(errstr, "reopen_count"));
        ck_assert_int_eq(read_json(&ev, INC(",\"resolved_at\":"
                                            "\"2024-12-31 00:00:00\"")), -1);
        ck_assert_ptr_nonnull(strstr(errstr, "resolved_at"));
}
END_TEST

START_TEST(test_states_parse)
{
        inc_states_t st;
        char many[256] = "";
        ck_assert_int_eq(inc_states_parse(&st, " Resolved ,, Closed "), 0);
        ck_assert_int_eq(st.n, 2);
        ck_assert_str_eq(st.names[0], "Resolved");
        ck_assert_str_eq(st.names[1], "Closed");
        ck_assert_int_eq(inc_states_parse(&st, " , "), -1);
        for (int i = 0; i < 17; i++)
                strcat(many, "S,");
        ck_assert_int_eq(inc_states_parse(&st, many), -1);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Policy                                                                 */

START_TEST(test_poisson_and_recurrence)
{
        vg_conf_t *conf = inc_conf_new();
        inc_policy_t pol;
        inc_counts_t c = {0};
        double pv, rate;

        ck_assert_double_eq(inc_poisson_sf(0, 3.0), 1.0);
        /* P(X >= 3 | 1) = 1 - e^-1 (1 + 1 + 1/2) */
        ck_assert_double_eq_tol(inc_poisson_sf(3, 1.0),
                                1.0 - exp(-1.0) * 2.5, 1e-12);
        /* far tail, summed directly: P(X >= 20 | 0.5) ~ 0.5^20 e^-.5 / 20! */
        ck_assert_double_eq_tol(inc_poisson_sf(20, 0.5) /
                                        (pow(0.5, 20) * exp(-0.5) /
                                         tgamma(21.0)),
                                1.0, 0.05);

        inc_policy_init(&pol, conf);
        /* 5 in a day for a CI that has 1 a week: a recurrence */
        c.in_window = 5;
        c.baseline  = 4; /* 4 in 28 days */
        ck_assert_int_eq(inc_policy_recurring(&pol, &c, 28, &pv, &rate), 1);
        ck_assert_double_eq_tol(rate, 0.5, 1e-12); /* floor 0.5 per day */
        /* 4 is not enough at alpha 0.001: P(X >= 4 | 0.5) = 0.00175 */
        c.in_window = 4;
        ck_assert_int_eq(inc_policy_recurring(&pol, &c, 28, &pv, &rate), 0);
        ck_assert_double_eq_tol(pv, 0.00175, 1e-5);
        /* the same count for a busy CI is not */
        c.in_window = 5;
        c.baseline = 28 * 5;
        ck_assert_int_eq(inc_policy_recurring(&pol, &c, 28, &pv, &rate), 0);
        ck_assert_double_eq_tol(rate, 5.0, 1e-12);
        /* 4 in the first day after a week of history: baseline 4/7 */
        ck_assert_int_eq(inc_policy_recurring(&pol, &c, 7, &pv, &rate), 0);
        ck_assert_double_eq_tol(rate, 5.0 * 28 / 7, 1e-9);
        c.baseline = 4;
        ck_assert_int_eq(inc_policy_recurring(&pol, &c, 7, &pv, &rate), 1);
        ck_assert_double_eq_tol(rate, 4.0 / 7, 1e-9);
        /* no history yet: the whole baseline count is one window's */
        ck_assert_int_eq(inc_policy_recurring(&pol, &c, 0, &pv, &rate), 0);
        ck_assert_double_eq_tol(rate, 4.0, 1e-9);
        /* below the minimum count, never */
        c.in_window = 3;
        c.baseline  = 0;
        ck_assert_int_eq(inc_policy_recurring(&pol, &c, 28, &pv, &rate), 0);
        vg_conf_destroy(conf);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Suspect changes                                                        */

#define H 3600000LL

static vg_work_t work(const char *num, int64_t evt, int64_t start,
                      int64_t end, double p, const char *type)
{
        vg_work_t w = {.event_time = evt, .start_ms = start, .end_ms = end,
                       .p_failure = p};
        vg_strlcpy(w.number, num, sizeof(w.number));
        vg_strlcpy(w.type, type, sizeof(w.type));
        return w;
}

START_TEST(test_rank_window_and_versions)
{
        inc_rank_t *r = inc_rank_new(errstr, sizeof(errstr));
        inc_suspect_t out[INC_MAX_SUSPECTS];
        int64_t t     = 1000 * H;
        vg_work_t ws[5];
        ck_assert_ptr_nonnull(r);
        ws[0] = work("CHG1", 1, t - 30 * H, t - 29 * H, 0.1, "Normal");
        ws[1] = work("CHG2", 1, t - 2 * H, t + H, 0.2, "Normal");
        ws[2] = work("CHG2", 2, t - 3 * H, t + H, 0.6, "Emergency");
        ws[3] = work("CHG3", 1, t - 80 * H, t - 79 * H, 0.9, "Normal");
        ws[4] = work("CHG4", 1, t + H, t + 2 * H, 0.9, "Normal");
        int n = inc_rank_score(r, ws, 5, t, 72 * H, out, INC_MAX_SUSPECTS);
        /* CHG3 started before the window, CHG4 after opened_at */
        ck_assert_int_eq(n, 2);
        /* untrained: equal scores, the most recent start first; CHG2's
         * latest version (event time 2) wins */
        ck_assert_str_eq(out[0].w.number, "CHG2");
        ck_assert_str_eq(out[0].w.type, "Emergency");
        ck_assert_double_eq_tol(out[0].hours_before, 3.0, 1e-9);
        ck_assert_int_eq(out[0].during, 1);
        ck_assert_int_eq(out[1].during, 0);
        ck_assert_int_eq(out[0].ncand, 2);
        inc_rank_destroy(r);
}
END_TEST

START_TEST(test_rank_learns)
{
        inc_rank_t *r = inc_rank_new(errstr, sizeof(errstr));
        inc_suspect_t out[INC_MAX_SUSPECTS], back[INC_MAX_SUSPECTS];
        char buf[2048];
        int64_t t = 5000 * H;

        /* the change that started 1 h before, during its work, is the
         * cause; the one of 40 h before never is */
        for (int i = 0; i < 300; i++) {
                vg_work_t ws[2] = {
                        work("CHGA", 1, t - H, t + H, 0.3, "Normal"),
                        work("CHGB", 1, t - 40 * H, t - 39 * H, 0.3,
                             "Normal")};
                int n = inc_rank_score(r, ws, 2, t, 72 * H, out, 5);
                ck_assert_int_eq(n, 2);
                inc_rank_learn(r, out, n, i % 3 ? "CHGA" : "");
        }
        vg_work_t ws[2] = {work("CHGB", 1, t - H, t + H, 0.3, "Normal"),
                           work("CHGA", 1, t - 40 * H, t - 39 * H, 0.3,
                                "Normal")};
        int n = inc_rank_score(r, ws, 2, t, 72 * H, out, 5);
        ck_assert_str_eq(out[0].w.number, "CHGB"); /* recent, whatever name */
        ck_assert_double_gt(out[0].score, 0.4);
        ck_assert_double_lt(out[1].score, 0.1);
        ck_assert_uint_eq(inc_rank_learned(r), 300);

        /* the state as scored decodes to the same pairs */
        size_t len = inc_rank_encode(out, n, buf, sizeof(buf));
        ck_assert_int_eq(inc_rank_decode(buf, len, t, back, 5), 2);
        for (int i = 0; i < 2; i++) {
                ck_assert_str_eq(back[i].w.number, out[i].w.number);
                ck_assert_double_eq(back[i].hours_before,
                                    out[i].hours_before);
                ck_assert_int_eq(back[i].latest, out[i].latest);
        }
        /* garbage lines are skipped, never crash */
        ck_assert_int_eq(inc_rank_decode("x\tq\n\n\t\t", 8, t, back, 5), 0);
        inc_rank_destroy(r);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Models                                                                 */

static inc_model_t *model_new(void)
{
        vg_conf_t *conf = inc_conf_new();
        vg_conf_set(conf, "incident.hash.bits", "16", errstr,
                    sizeof(errstr));
        inc_model_t *m = inc_model_new(conf, errstr, sizeof(errstr));
        ck_assert_msg(m != NULL, "%s", errstr);
        vg_conf_destroy(conf);
        return m;
}

/* Resolves INC<i>: the VPN ones are Network / Network L2. */
static void learn_one(inc_model_t *m, vg_features_t *x, int i, int vpn)
{
        char json[1024];
        inc_event_t ev;
        inc_lesson_t ls = {0};
        snprintf(json, sizeof(json),
                 "{\"number\":\"INC%d\",\"incident_state\":\"Closed\","
                 "\"category\":\"%s\",\"short_description\":\"%s\","
                 "\"assignment_group\":\"%s\",\"u_cause\":\"%s\","
                 "\"closed_code\":\"Solved\",\"opened_at\":%lld,"
                 "\"sys_updated_on\":%lld}",
                 i, vpn ? "Network" : "Software",
                 vpn ? "VPN tunnel drops every hour" : "Excel crashes on open",
                 vpn ? "Network L2" : "Desktop", vpn ? "Network" : "Software",
                 1000LL * (i + 1), 1000LL * (i + 11));
        ck_assert_int_eq(read_json(&ev, json), 0);
        ls.ev = &ev;
        inc_model_learn(m, &ls, x);
}

START_TEST(test_model_learns_once)
{
        inc_model_t *m   = model_new();
        vg_features_t *x = vg_features_new(16, 0);
        inc_top_t tops[INC_NLABELS];
        inc_event_t ev;
        inc_lesson_t ls = {0};

        for (int i = 0; i < 200; i++)
                learn_one(m, x, i, i % 2);
        ck_assert_uint_eq(inc_model_learned(m), 200);
        ck_assert(inc_model_learned_incident(m, "INC7"));
        ck_assert(!inc_model_learned_incident(m, "INC7000"));
        /* the same incident again (a second Closed record): not learned */
        ck_assert_int_eq(read_json(&ev, INC(",\"number\":\"INC7\","
                                            "\"incident_state\":\"Closed\","
                                            "\"u_cause\":\"Network\"")), 0);
        ls.ev = &ev;
        ck_assert_int_eq(inc_model_learn(m, &ls, x), 0);
        ck_assert_uint_eq(inc_model_learned(m), 200);

        /* a new VPN incident is predicted Network / Network L2 */
        ck_assert_int_eq(read_json(&ev, INC(",\"short_description\":"
                                            "\"VPN tunnel drops again\","
                                            "\"assignment_group\":null")),
                         0);
        inc_model_features(m, &ev, x, NULL);
        inc_model_predict(m, x, tops);
        ck_assert_int_ge(tops[INC_L_CAUSE].n, 2);
        ck_assert_str_eq(tops[INC_L_CAUSE].top[0].label, "Network");
        ck_assert_double_gt(tops[INC_L_CAUSE].top[0].p, 0.8);
        ck_assert_str_eq(tops[INC_L_GROUP].top[0].label, "Network L2");
        ck_assert_int_eq(tops[INC_L_SUB_CAUSE].n, 0); /* never learned */
        vg_features_destroy(x);
        inc_model_destroy(m);
}
END_TEST

START_TEST(test_model_checkpoint)
{
        inc_model_t *m = model_new(), *m2 = model_new();
        vg_features_t *x = vg_features_new(16, 0);
        inc_top_t a[INC_NLABELS], b[INC_NLABELS];
        inc_event_t ev;
        size_t len;
        char *buf;

        for (int i = 0; i < 100; i++)
                learn_one(m, x, i, i % 3 == 0);
        buf = inc_model_save(m, &len);
        ck_assert_ptr_nonnull(buf);
        /* a corrupt checkpoint is refused and changes nothing */
        buf[len / 2] ^= 0x55;
        ck_assert_int_eq(inc_model_restore(m2, buf, len, errstr,
                                           sizeof(errstr)), -1);
        ck_assert_uint_eq(inc_model_learned(m2), 0);
        buf[len / 2] ^= 0x55;
        ck_assert_int_eq(inc_model_restore(m2, buf, len, errstr,
                                           sizeof(errstr)), 0);
        ck_assert_uint_eq(inc_model_learned(m2), 100);
        ck_assert(inc_model_learned_incident(m2, "INC42"));
        /* same predictions */
        ck_assert_int_eq(read_json(&ev, INC(",\"short_description\":"
                                            "\"Excel crashes\"")), 0);
        inc_model_features(m, &ev, x, NULL);
        inc_model_predict(m, x, a);
        inc_model_features(m2, &ev, x, NULL);
        inc_model_predict(m2, x, b);
        for (int l = 0; l < INC_NLABELS; l++) {
                ck_assert_int_eq(a[l].n, b[l].n);
                for (int i = 0; i < a[l].n; i++) {
                        ck_assert_str_eq(a[l].top[i].label, b[l].top[i].label);
                        ck_assert_double_eq(a[l].top[i].p, b[l].top[i].p);
                }
        }
        /* learning goes on identically */
        learn_one(m, x, 500, 1);
        learn_one(m2, x, 500, 1);
        ck_assert_str_eq(inc_model_version(m), inc_model_version(m2));
        vg_free(buf);
        vg_features_destroy(x);
        inc_model_destroy(m);
        inc_model_destroy(m2);
}
END_TEST

START_TEST(test_model_privacy)
{
        inc_model_t *m   = model_new();
        vg_features_t *x = vg_features_new(16, 0);
        inc_event_t ev;
        float embed[128];

        ck_assert_int_eq(read_json(&ev, INC(",\"short_description\":"
                                            "\"Call Mme Dupont at "
                                            "jean.dupont@example.com or "
                                            "06 12 34 56 78\"")), 0);
        inc_model_features(m, &ev, x, embed);
        for (int i = 0; i < vg_features_nnz(x); i++) {
                const char *name = vg_features_name(x, i);
                if (!name)
                        continue;
                ck_assert_msg(!strstr(name, "dupont") &&
                                      !strstr(name, "example") &&
                                      !strstr(name, "12"),
                              "personal data in feature %s", name);
        }
        const uint64_t *pii = inc_model_pii(m);
        uint64_t total = 0;
        for (int k = 0; k < VG_PII_KINDS; k++)
                total += pii[k];
        ck_assert_uint_ge(total, 3);
        vg_features_destroy(x);
        inc_model_destroy(m);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Records                                                                */

START_TEST(test_output_records)
{
        vg_avro_schema_t *enr   = vg_avro_registry_by_name(reg,
                                                           "IncidentEnriched");
        vg_avro_schema_t *alert = vg_avro_registry_by_name(reg, "Alert");
        avro_value_t ev_val, al_val;
        inc_score_t sc;
        inc_ctx_t ctx;
        inc_event_t ev;
        char *json;

        ck_assert_int_eq(read_json(&ev, INC(",\"cmdb_ci\":\"db-01\"")), 0);
        memset(&sc, 0, sizeof(sc));
        memset(&ctx, 0, sizeof(ctx));
        sc.ev = &ev;
        sc.ctx = &ctx;
        sc.opened = 1;
        sc.tops[INC_L_GROUP].n = 1;
        strcpy(sc.tops[INC_L_GROUP].top[0].label, "DBA");
        sc.tops[INC_L_GROUP].top[0].p = 0.7;
        sc.cluster_id = 12;
        sc.nsuspects  = 1;
        sc.suspects[0].w = work("CHG77", 1, ev.opened_at - 2 * H,
                                ev.opened_at + H, 0.41, "Normal");
        sc.suspects[0].hours_before = 2;
        sc.suspects[0].during       = 1;
        sc.suspects[0].score        = 0.83;
        sc.alert_change = 1;
        strcpy(sc.model_version, "incident/1 n=1 k=1");
        ck_assert_int_eq(vg_avro_schema_value_new(enr, &ev_val), 0);
        ck_assert_int_eq(vg_avro_schema_value_new(alert, &al_val), 0);

        ck_assert_int_eq(inc_output_enriched(&ev_val, &sc), VG_OK);
        json = vg_avro_to_json(&ev_val, 0);
        ck_assert_ptr_nonnull(strstr(json, "\"reason\":\"opened\""));
        ck_assert_ptr_nonnull(strstr(json, "\"predicted_group\":{\"string\":\"DBA\"}"));
        ck_assert_ptr_nonnull(strstr(json, "\"number\":\"CHG77\""));
        ck_assert_ptr_nonnull(strstr(json, "during the work, risk 41%"));
        ck_assert_ptr_nonnull(strstr(json, "\"predicted_cause\":null"));
        free(json);

        ck_assert_int_eq(inc_output_change_alert(&al_val, &sc, "itsm.incidents"),
                         VG_OK);
        json = vg_avro_to_json(&al_val, 0);
        ck_assert_ptr_nonnull(strstr(
                json, "\"alert_id\":\"CHANGE_INDUCED_INCIDENT:INC1:"
                      "CHANGE_INDUCED\""));
        ck_assert_ptr_nonnull(strstr(json, "\"severity\":\"CRITICAL\""));
        ck_assert_ptr_nonnull(strstr(json, "\"change\":\"CHG77\""));
        free(json);
        ck_assert_int_eq(inc_output_kind(&sc, 1), INC_OUT_CHANGE);
        sc.nrecur = 1;
        ck_assert_int_eq(inc_output_kind(&sc, 2), INC_OUT_RECUR0);
        sc.alert_change = 0;
        ck_assert_int_eq(inc_output_kind(&sc, 1), INC_OUT_RECUR0);
        avro_value_decref(&ev_val);
        avro_value_decref(&al_val);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Feedback                                                               */

static void fb_put(inc_fb_state_t *fs, const char *json)
{
        vg_avro_schema_t *fsch = vg_avro_registry_by_name(reg, "Feedback");
        avro_value_t v;
        inc_fb_t fb;
        char field[128], value[256];
        vg_avro_schema_value_new(fsch, &v);
        ck_assert_int_eq(vg_avro_from_json(fsch, json, strlen(json), &v,
                                           errstr, sizeof(errstr)), VG_OK);
        ck_assert_int_eq(inc_fb_read(&fb, &v, errstr, sizeof(errstr)), 0);
        inc_fb_field(&fb, field, sizeof(field), value, sizeof(value));
        inc_fb_state_put(fs, field, value, strlen(value));
        avro_value_decref(&v);
}

#define FB(action, what, t)                                                    \
        "{\"feedback_id\":\"f\",\"incident\":\"INC1\",\"action\":\"" action  \
        "\"," what ",\"created_at\":" #t "}"

START_TEST(test_feedback)
{
        vg_avro_schema_t *fsch = vg_avro_registry_by_name(reg, "Feedback");
        inc_fb_state_t fs;
        inc_event_t ev;
        avro_value_t v;
        inc_fb_t fb;

        ck_assert_int_eq(read_json(&ev, INC(",\"incident_state\":\"Closed\","
                                            "\"caused_by\":\"CHG1\","
                                            "\"u_cause\":\"Network\"")), 0);
        /* nothing said: the record's */
        memset(&fs, 0, sizeof(fs));
        inc_fb_state_done(&fs);
        ck_assert_str_eq(inc_fb_cause(&fs, &ev), "CHG1");
        ck_assert_str_eq(inc_fb_label(&fs, &ev, INC_L_CAUSE), "Network");
        /* CHG1 rejected, the cause corrected */
        fb_put(&fs, FB("REJECT_CHANGE", "\"change\":\"CHG1\"", 10));
        fb_put(&fs, FB("SET_CAUSE", "\"value\":\"Software\"", 11));
        inc_fb_state_done(&fs);
        ck_assert_str_eq(inc_fb_cause(&fs, &ev), "");
        ck_assert_str_eq(inc_fb_label(&fs, &ev, INC_L_CAUSE), "Software");
        ck_assert_str_eq(inc_fb_label(&fs, &ev, INC_L_GROUP), "Network L2");
        /* CHG2 confirmed later: the positive */
        fb_put(&fs, FB("CONFIRM_CHANGE", "\"change\":\"CHG2\"", 12));
        inc_fb_state_done(&fs);
        ck_assert_str_eq(inc_fb_cause(&fs, &ev), "CHG2");
        /* ... then rejected: withdrawn */
        fb_put(&fs, FB("REJECT_CHANGE", "\"change\":\"CHG2\"", 13));
        inc_fb_state_done(&fs);
        ck_assert_str_eq(inc_fb_cause(&fs, &ev), "");

        /* invalid: a change action without a change */
        vg_avro_schema_value_new(fsch, &v);
        const char *bad = FB("CONFIRM_CHANGE", "\"value\":\"x\"", 1);
        ck_assert_int_eq(vg_avro_from_json(fsch, bad, strlen(bad), &v, errstr,
                                           sizeof(errstr)), VG_OK);
        ck_assert_int_eq(inc_fb_read(&fb, &v, errstr, sizeof(errstr)), -1);
        ck_assert_ptr_nonnull(strstr(errstr, "change"));
        avro_value_decref(&v);
}
END_TEST

int main(void)
{
        Suite *s  = suite_create("incident");
        TCase *tc = tcase_create("incident");
        SRunner *sr;
        int failed;

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_event_read);
        tcase_add_test(tc, test_event_invalid);
        tcase_add_test(tc, test_states_parse);
        tcase_add_test(tc, test_poisson_and_recurrence);
        tcase_add_test(tc, test_rank_window_and_versions);
        tcase_add_test(tc, test_rank_learns);
        tcase_add_test(tc, test_model_learns_once);
        tcase_add_test(tc, test_model_checkpoint);
        tcase_add_test(tc, test_model_privacy);
        tcase_add_test(tc, test_output_records);
        tcase_add_test(tc, test_feedback);
        tcase_set_timeout(tc, 120);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
