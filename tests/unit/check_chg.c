/* Unit tests of processors/change_risk: events, rules, features, model. */
#include "chg_conf.h"
#include "chg_event.h"
#include "chg_model.h"
#include "chg_output.h"
#include "chg_render.h"
#include "chg_rules.h"
#include "vg_avro.h"
#include "vg_mem.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static vg_avro_registry_t *reg;
static vg_avro_schema_t *sch;
static avro_value_t val;
static char errstr[512];

static void setup(void)
{
        reg = vg_avro_registry_new(VG_SCHEMA_DIR, NULL, errstr,
                                   sizeof(errstr));
        ck_assert_msg(reg != NULL, "%s", errstr);
        sch = vg_avro_registry_by_name(reg, "ChangeRequest");
        vg_avro_schema_value_new(sch, &val);
}

static void teardown(void)
{
        avro_value_decref(&val);
        vg_avro_registry_destroy(reg);
}

/* Reads a change event from JSON; @returns chg_event_read()'s result. */
static int read_json(chg_event_t *ev, const char *json)
{
        ck_assert_int_eq(vg_avro_from_json(sch, json, strlen(json), &val,
                                           errstr, sizeof(errstr)), VG_OK);
        return chg_event_read(ev, &val, errstr, sizeof(errstr));
}

#define OPEN(extra)                                                            \
        "{\"number\":\"CHG1\",\"state\":\"Scheduled\",\"type\":\"Normal\","  \
        "\"assignment_group\":\"DBA\",\"cmdb_ci\":\"db-1\","                 \
        "\"opened_at\":\"2025-01-01 08:00:00\",\"start_date\":"              \
        "\"2025-01-02 23:00:00\",\"end_date\":\"2025-01-03 01:00:00\","      \
        "\"sys_updated_on\":\"2025-01-01 08:05:00\"" extra "}"

START_TEST(test_event_kinds)
{
        chg_event_t ev;
        ck_assert_int_eq(read_json(&ev, OPEN("")), 0);
        ck_assert_int_eq(ev.kind, CHG_K_SCORE);
        ck_assert_str_eq(ev.group, "DBA");
        ck_assert_str_eq(ev.backout_plan, ""); /* null reads as "" */
        ck_assert_int_eq(ev.start_date, 1735858800000LL);

        ck_assert_int_eq(read_json(&ev, "{\"number\":\"CHG1\",\"state\":"
                                        "\"Closed\",\"close_code\":"
                                        "\"Successful\",\"sys_updated_on\":"
                                        "1735725600000}"), 0);
        ck_assert_int_eq(ev.kind, CHG_K_OUTCOME);
        ck_assert_int_eq(ev.failed, 0);
        ck_assert_int_eq(chg_event_outcome_time(&ev), 1735725600000LL);

        ck_assert_int_eq(read_json(&ev, "{\"number\":\"CHG1\",\"state\":"
                                        "\"Closed\",\"close_code\":"
                                        "\"Backed out\",\"closed_at\":5,"
                                        "\"sys_updated_on\":9}"), 0);
        ck_assert_int_eq(ev.kind, CHG_K_OUTCOME);
        ck_assert_int_eq(ev.failed, 1);
        ck_assert_int_eq(chg_event_outcome_time(&ev), 5);

        ck_assert_int_eq(read_json(&ev, "{\"number\":\"CHG1\",\"state\":"
                                        "\"Canceled\",\"sys_updated_on\":9}"),
                         0);
        ck_assert_int_eq(ev.kind, CHG_K_CANCEL);
        /* ServiceNow's numbered choice values are accepted */
        ck_assert_int_eq(read_json(&ev, "{\"number\":\"CHG1\",\"state\":"
                                        "\"-1 - Implement\",\"sys_updated_on\":"
                                        "9}"), 0);
        ck_assert_int_eq(ev.kind, CHG_K_SCORE);
}
END_TEST

START_TEST(test_event_invalid)
{
        chg_event_t ev;
        ck_assert_int_eq(read_json(&ev, "{\"number\":\"\",\"sys_updated_on\":"
                                        "9}"), -1);
        ck_assert_str_eq(errstr, "number: missing or empty");
        ck_assert_int_eq(read_json(&ev, "{\"number\":\"C\",\"type\":\"Weird\","
                                        "\"sys_updated_on\":9}"), -1);
        ck_assert_ptr_nonnull(strstr(errstr, "type: unknown value \"Weird\""));
        ck_assert_int_eq(read_json(&ev, "{\"number\":\"C\",\"state\":\"Lost\","
                                        "\"sys_updated_on\":9}"), -1);
        ck_assert_str_eq(errstr, "state: unknown value \"Lost\"");
        ck_assert_int_eq(read_json(&ev, "{\"number\":\"C\",\"start_date\":10,"
                                        "\"end_date\":5,\"sys_updated_on\":"
                                        "9}"), -1);
        ck_assert_str_eq(errstr, "end_date: before start_date");
}
END_TEST

/* ------------------------------------------------------------------ */

static char emitted[8][512];
static int nemitted;

static void collect(const char *s, void *opaque)
{
        (void)opaque;
        snprintf(emitted[nemitted++ % 8], sizeof(emitted[0]), "%s", s);
}

START_TEST(test_rules_builtin)
{
        chg_rules_t *r = chg_rules_new(NULL, errstr, sizeof(errstr));
        chg_facts_t f  = {.type = "Emergency", .category = "Network",
                          .band = "CRITICAL", .p_failure = 0.62,
                          .night = 1, .team_failure_rate_90d = 0.3,
                          .backout_plan = 1, .test_plan = 1,
                          .lead_hours = 2};
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(chg_rules_count(r), 9);
        nemitted = 0;
        ck_assert_int_eq(chg_rules_apply(r, &f, collect, NULL), 2);
        ck_assert_str_eq(emitted[0], "Emergency change at night by a team "
                                     "with 30% recent failures: require CAB "
                                     "review");
        ck_assert_str_eq(emitted[1], "Critical risk (62%): require CAB "
                                     "approval and a go/no-go checkpoint "
                                     "before the window");
        f.night = 0; f.band = "LOW"; f.type = "Standard"; f.p_failure = 0.05;
        f.collisions = 2; f.lead_hours = 48;
        nemitted = 0;
        ck_assert_int_eq(chg_rules_apply(r, &f, collect, NULL), 2);
        ck_assert_str_eq(emitted[0], "2 other change(s) on the same CI "
                                     "overlap the planned window: coordinate "
                                     "or reschedule");
        ck_assert_str_eq(emitted[1], "Low-risk standard change: eligible for "
                                     "auto-approval");
        chg_rules_destroy(r);
        chg_rules_destroy(NULL);
}
END_TEST

START_TEST(test_rules_from_conf)
{
        vg_conf_t *conf = chg_conf_new();
        chg_facts_t f   = {.type = "Normal", .band = "HIGH",
                           .ci_failures_90d = 3};
        ck_assert_int_eq(vg_conf_set(conf, "change.rule.2", "band>=HIGH => "
                                     "Page the on-call ({band})", errstr,
                                     sizeof(errstr)), VG_CONF_OK);
        ck_assert_int_eq(vg_conf_set(conf, "change.rule.10", "ci_failures_90d"
                                     " > 2 & type != Emergency => Fragile CI "
                                     "({ci_failures_90d} failures)", errstr,
                                     sizeof(errstr)), VG_CONF_OK);
        chg_rules_t *r = chg_rules_new(conf, errstr, sizeof(errstr));
        ck_assert_msg(r != NULL, "%s", errstr);
        ck_assert_int_eq(chg_rules_count(r), 2); /* built-ins replaced */
        nemitted = 0;
        ck_assert_int_eq(chg_rules_apply(r, &f, collect, NULL), 2);
        ck_assert_str_eq(emitted[0], "Page the on-call (HIGH)");
        ck_assert_str_eq(emitted[1], "Fragile CI (3 failures)");
        f.band = "MEDIUM"; /* bands compare by rank */
        nemitted = 0;
        ck_assert_int_eq(chg_rules_apply(r, &f, collect, NULL), 1);
        chg_rules_destroy(r);
        vg_conf_destroy(conf);
}
END_TEST

START_TEST(test_rules_errors)
{
        static const char *bad[][2] = {
                {"nigth => x", "change.rule.1: unknown field in \"nigth => x\""},
                {"night", "change.rule.1: expected CONDITION => SENTENCE"},
                {"p_failure>high => x",
                 "change.rule.1: expected a number after the operator in "
                 "\"p_failure>high => x\""},
                {" => x", "change.rule.1: unknown field in \" => x\""},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                vg_conf_t *conf = chg_conf_new();
                vg_conf_set(conf, "change.rule.1", bad[i][0], errstr,
                            sizeof(errstr));
                ck_assert_ptr_null(chg_rules_new(conf, errstr,
                                                 sizeof(errstr)));
                ck_assert_str_eq(errstr, bad[i][1]);
                vg_conf_destroy(conf);
        }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Model                                                              */

static chg_model_t *model_new(vg_conf_t **confp)
{
        *confp = chg_conf_new();
        chg_model_t *m = chg_model_new(*confp, errstr, sizeof(errstr));
        ck_assert_msg(m != NULL, "%s", errstr);
        return m;
}

/* A change of \p type: Emergency fails 60%, Standard 5%. */
static void make_event(chg_event_t *ev, char *num, int i, const char *type)
{
        memset(ev, 0, sizeof(*ev));
        snprintf(num, 32, "CHG%06d", i);
        ev->number = num;
        ev->type   = type;
        ev->state  = "Scheduled";
        ev->category = ev->group = ev->ci = ev->risk = ev->impact = "";
        ev->priority = ev->close_code = ev->justification = "";
        ev->backout_plan = ev->test_plan = ev->implementation_plan = "";
        ev->short_description = !strcmp(type, "Emergency")
                                        ? "urgent hotfix on the payment "
                                          "database"
                                        : "monthly patching of web servers";
        ev->description = "";
        ev->opened_at = ev->start_date = ev->end_date = ev->closed_at = -1;
        ev->event_time = 1735725600000LL + i * 60000LL;
}

static void train(chg_model_t *m, vg_features_t *x, int n)
{
        chg_ctx_t ctx = {0};
        chg_event_t ev;
        char num[32];
        srand(42);
        for (int i = 0; i < n; i++) {
                int em = i % 3 == 0;
                make_event(&ev, num, i, em ? "Emergency" : "Standard");
                chg_model_features(m, &ev, &ctx, x);
                chg_model_predict(m, x);
                int failed = (rand() % 100) < (em ? 60 : 5);
                ev.close_code = failed ? "Unsuccessful" : "Successful";
                chg_model_learn(m, &ev, x, failed, -1);
        }
}

static double score(chg_model_t *m, vg_features_t *x, const char *type)
{
        chg_ctx_t ctx = {0};
        chg_event_t ev;
        char num[32];
        make_event(&ev, num, 999999, type);
        chg_model_features(m, &ev, &ctx, x);
        return chg_model_predict(m, x);
}

START_TEST(test_model_learns_and_explains)
{
        vg_conf_t *conf;
        chg_model_t *m   = model_new(&conf);
        vg_features_t *x = vg_features_new(20, 0);
        vg_contrib_t top[8];

        train(m, x, 3000);
        double pe = score(m, x, "Emergency");
        int n     = chg_model_explain(m, x, top, 8);
        double ps = score(m, x, "Standard");
        ck_assert_msg(pe > 0.45 && pe < 0.75, "p(Emergency)=%f", pe);
        ck_assert_msg(ps > 0.01 && ps < 0.12, "p(Standard)=%f", ps);
        ck_assert_int_ge(n, 5);
        for (int i = 0; i < n; i++) /* bias is not a factor */
                ck_assert_str_ne(top[i].name, "bias");
        ck_assert_int_eq(chg_model_learned(m), 3000);
        ck_assert_ptr_nonnull(strstr(chg_model_version(m), "n=3000"));
        chg_model_destroy(m);
        vg_features_destroy(x);
        vg_conf_destroy(conf);
}
END_TEST

START_TEST(test_features_blob_roundtrip)
{
        vg_conf_t *conf;
        chg_model_t *m   = model_new(&conf);
        vg_features_t *x = vg_features_new(20, 0);
        vg_features_t *y = vg_features_new(20, 0);
        size_t len;
        double p;
        int64_t cluster;

        train(m, x, 500);
        double p0  = score(m, x, "Emergency");
        char *blob = vg_features_blob_encode(x, p0, 42, &len);
        ck_assert_int_eq(vg_features_blob_decode(y, blob, len, &p, &cluster), 0);
        ck_assert(p == p0);
        ck_assert_int_eq(cluster, 42);
        ck_assert_int_eq(vg_features_blob_cluster(blob, len), 42);
        ck_assert_int_eq(vg_features_blob_cluster(blob, 10), -1);
        ck_assert_int_eq(vg_features_nnz(y), vg_features_nnz(x));
        ck_assert_double_eq_tol(chg_model_predict(m, y), p0, 1e-12);
        ck_assert_int_eq(vg_features_blob_decode(y, blob, len - 1, &p, &cluster),
                         -1);
        ck_assert_int_eq(vg_features_blob_decode(y, blob, len / 2, &p, &cluster),
                         -1);
        ck_assert_int_eq(vg_features_blob_decode(y, "x\n", 2, &p, &cluster), -1);
        ck_assert_int_eq(vg_features_blob_decode(y, "0.5\nnot-a-line\n", 16, &p,
                                             &cluster), -1);
        vg_free(blob);

        /* a VGF2 blob (values and names, before VGF3), still in Redis for
         * the features TTL: the same slots and values, no names kept */
        {
                static const char *names[] = {"type=Emergency", "w:hotfix"};
                static const double vals[] = {1.0, -0.25};
                char v2[128], *w = v2;
                uint32_t n2 = 2;
                vg_features_t *z = vg_features_new(20, 0);
                int64_t c2 = 7;
                memcpy(w, "VGF2", 4), w += 4;
                memcpy(w, &p0, 8), w += 8;
                memcpy(w, &c2, 8), w += 8;
                memcpy(w, &n2, 4), w += 4;
                for (int i = 0; i < 2; i++) {
                        uint16_t nl = (uint16_t)strlen(names[i]);
                        memcpy(w, &vals[i], 8), w += 8;
                        memcpy(w, &nl, 2), w += 2;
                        memcpy(w, names[i], nl), w += nl;
                        vg_features_add(z, names[i], vals[i]);
                }
                ck_assert_int_eq(vg_features_blob_cluster(v2, w - v2), 7);
                ck_assert_int_eq(vg_features_blob_decode(y, v2, w - v2, &p,
                                                         &cluster), 0);
                ck_assert(p == p0);
                ck_assert_int_eq(cluster, 7);
                ck_assert_int_eq(vg_features_nnz(y), 2);
                for (int i = 0; i < 2; i++) {
                        ck_assert_uint_eq(vg_features_slots(y)[i],
                                          vg_features_slots(z)[i]);
                        ck_assert(vg_features_values(y)[i] ==
                                  vg_features_values(z)[i]);
                        ck_assert_ptr_null(vg_features_name(y, i));
                }
                ck_assert_int_eq(vg_features_blob_decode(y, v2, w - v2 - 1,
                                                         &p, &cluster), -1);
                vg_features_destroy(z);
        }
        /* a blob of more hash bits folds onto fewer; not the reverse */
        {
                vg_features_t *small = vg_features_new(16, 0);
                vg_features_t *big   = vg_features_new(24, 0);
                blob = vg_features_blob_encode(x, p0, 42, &len);
                ck_assert_int_eq(vg_features_blob_decode(small, blob, len, &p,
                                                         &cluster), 0);
                for (int i = 0; i < vg_features_nnz(x); i++)
                        ck_assert_uint_eq(vg_features_slots(small)[i],
                                          vg_features_slots(x)[i] >> 4);
                ck_assert_int_eq(vg_features_blob_decode(big, blob, len, &p,
                                                         &cluster), -1);
                ck_assert_int_eq(vg_features_nnz(big), 0);
                vg_free(blob);
                vg_features_destroy(small);
                vg_features_destroy(big);
        }
        chg_model_destroy(m);
        vg_features_destroy(x);
        vg_features_destroy(y);
        vg_conf_destroy(conf);
}
END_TEST

/* @returns 1 if \p needle (lower case) is in the \p len bytes at \p buf,
 *          compared without case. */
static int bytes_contain(const void *buf, size_t len, const char *needle)
{
        char *low = vg_malloc(len ? len : 1);
        int found;

        for (size_t i = 0; i < len; i++) {
                char c = ((const char *)buf)[i];
                low[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
        }
        found = memmem(low, len, needle, strlen(needle)) != NULL;
        vg_free(low);
        return found;
}

/* Personal data in a change's texts reaches neither the features (names,
 * explanations), nor the features-as-scored blob, nor the model's
 * snapshot, however often the change is scored and learned. */
START_TEST(test_privacy_no_pii_stored)
{
        static const char *pii[] = {
                "sophie", "lemaire", "dupuis", "vernet", "exemple-client",
                "exemple", "0612345678", "06 12", "w:06_12", "w:12_34",
                "w:34_56", "w:56_78", "w:fr76", "3000_6000", "0112_3456",
                "4970", "8887_1803", "1803_3406",
        };
        vg_conf_t *conf;
        chg_model_t *m   = model_new(&conf);
        vg_features_t *x = vg_features_new(20, 0);
        vg_features_t *y = vg_features_new(20, 0);
        chg_ctx_t ctx    = {0};
        vg_contrib_t top[8];
        chg_event_t ev;
        char num[32];
        size_t len;
        double p;
        int64_t cluster;
        void *snap;

        train(m, x, 300);
        make_event(&ev, num, 424242, "Emergency");
        ev.short_description = "Bascule du cluster de facturation demandée "
                               "par M. Dupuis-Vernet";
        ev.justification = "Remboursement sur FR76 3000 6000 0112 3456 7890 "
                           "189 bloqué, carte 4970 8887 1803 3406 refusée";
        ev.description = "Prévenir Mme Sophie Lemaire (sophie.lemaire@"
                         "exemple-client.fr, 06 12 34 56 78) avant la "
                         "coupure du serveur de facturation.";
        for (int r = 0; r < 64; r++) {
                chg_model_features(m, &ev, &ctx, x);
                for (int i = 0; i < vg_features_nnz(x); i++)
                        for (size_t k = 0; k < sizeof(pii) / sizeof(*pii);
                             k++)
                                ck_assert_msg(!bytes_contain(
                                                      vg_features_name(x, i),
                                                      strlen(vg_features_name(
                                                              x, i)),
                                                      pii[k]),
                                              "feature %s",
                                              vg_features_name(x, i));
                p = chg_model_predict(m, x);
                int n = chg_model_explain(m, x, top, 8);
                for (int i = 0; i < n; i++)
                        for (size_t k = 0; k < sizeof(pii) / sizeof(*pii);
                             k++)
                                ck_assert(!bytes_contain(top[i].name,
                                                         strlen(top[i].name),
                                                         pii[k]));
                char *blob = vg_features_blob_encode(x, p, -1, &len);
                for (size_t k = 0; k < sizeof(pii) / sizeof(*pii); k++)
                        ck_assert_msg(!bytes_contain(blob, len, pii[k]),
                                      "blob holds %s", pii[k]);
                /* learned from the blob, as the processor does */
                ck_assert_int_eq(vg_features_blob_decode(y, blob, len, &p,
                                                         &cluster), 0);
                chg_model_learn(m, &ev, y, 1, cluster);
                vg_free(blob);
        }
        /* and from the named features: the model's dictionary samples the
         * names of 1 learn in 16 */
        for (int r = 0; r < 16; r++)
                chg_model_learn(m, &ev, x, 1, -1);
        ck_assert_uint_eq(chg_model_pii(m)[VG_PII_EMAIL], 64);
        ck_assert_uint_eq(chg_model_pii(m)[VG_PII_PHONE], 64);
        ck_assert_uint_eq(chg_model_pii(m)[VG_PII_NAME], 128);
        ck_assert_uint_eq(chg_model_pii(m)[VG_PII_IBAN], 64);
        ck_assert_uint_eq(chg_model_pii(m)[VG_PII_CARD], 64);
        snap = chg_model_save(m, &len);
        for (size_t k = 0; k < sizeof(pii) / sizeof(*pii); k++)
                ck_assert_msg(!bytes_contain(snap, len, pii[k]),
                              "snapshot holds %s", pii[k]);
        /* the check can see words: the other words of the texts are there */
        ck_assert(bytes_contain(snap, len, "w:facturation"));
        ck_assert(bytes_contain(snap, len, "w:email"));
        vg_free(snap);
        chg_model_destroy(m);
        vg_features_destroy(x);
        vg_features_destroy(y);
        vg_conf_destroy(conf);
}
END_TEST

START_TEST(test_model_checkpoint)
{
        vg_conf_t *conf;
        chg_model_t *m   = model_new(&conf);
        chg_model_t *m2  = chg_model_new(conf, errstr, sizeof(errstr));
        vg_features_t *x = vg_features_new(20, 0);
        size_t len;

        train(m, x, 800);
        void *buf = chg_model_save(m, &len);
        ck_assert_int_eq(chg_model_restore(m2, buf, len, errstr,
                                           sizeof(errstr)), 0);
        ck_assert(score(m, x, "Emergency") == score(m2, x, "Emergency"));
        ck_assert_int_eq(chg_model_learned(m2), 800);

        /* a corrupt or truncated checkpoint is refused, m2 unchanged */
        ((unsigned char *)buf)[len / 2] ^= 0x40;
        ck_assert_int_eq(chg_model_restore(m2, buf, len, errstr,
                                           sizeof(errstr)), -1);
        ck_assert_int_eq(chg_model_restore(m2, buf, len / 3, errstr,
                                           sizeof(errstr)), -1);
        ck_assert_int_eq(chg_model_learned(m2), 800);
        vg_free(buf);
        chg_model_destroy(m);
        chg_model_destroy(m2);
        chg_model_destroy(NULL);
        vg_features_destroy(x);
        vg_conf_destroy(conf);
}
END_TEST

/* A scored change of some variety, for rendering. */
static void make_score(chg_score_t *sc, const chg_event_t *ev, chg_ctx_t *ctx,
                       int i)
{
        memset(ctx, 0, sizeof(*ctx));
        ctx->team_changes = 10 + i % 7;
        ctx->team_failed  = i % 4;
        ctx->ci_failures  = i % 3;
        ctx->degraded     = i % 11 == 0;
        ctx->ncollisions  = i % 3;
        for (int c = 0; c < ctx->ncollisions; c++)
                snprintf(ctx->collisions[c], sizeof(ctx->collisions[0]),
                         "CHG9%03d", c);
        memset(sc, 0, sizeof(*sc));
        sc->ev = ev;
        sc->ctx = ctx;
        sc->p = (double)(i % 100) / 100.0;
        sc->band = i % 4;
        sc->nfactors = 1 + i % 8;
        for (int f = 0; f < sc->nfactors; f++) {
                snprintf(sc->factors[f].name, sizeof(sc->factors[f].name),
                         "w:word%d=x%d", f, i);
                sc->factors[f].contrib = (f - 3) * 0.1 + i * 1e-4;
        }
        sc->sim.cluster_id = i % 5;
        sc->sim.cluster_failure_rate = i % 2 ? 0.25 : -1;
        sc->sim.n = i % 6;
        for (int k = 0; k < sc->sim.n; k++) {
                snprintf(sc->sim.items[k].number,
                         sizeof(sc->sim.items[0].number), "CHG8%03d", k);
                snprintf(sc->sim.items[k].close_code,
                         sizeof(sc->sim.items[0].close_code), "%s",
                         k % 2 ? "Unsuccessful" : "Successful");
                sc->sim.items[k].distance = k * 0.1;
        }
        sc->model_version = i % 2 ? "change-ftrl/1 n=1" : "change-ftrl/1 n=2";
        sc->scored_at = 1735689600000LL + i;
}

/* \p v encodes to \p len bytes at \p got. */
static void assert_encodes_to(vg_avro_schema_t *s, avro_value_t *v,
                              const uint8_t *got, size_t len)
{
        void *want;
        size_t wlen;
        ck_assert_int_eq(vg_avro_encode(s, v, &want, &wlen, errstr,
                                        sizeof(errstr)), VG_OK);
        ck_assert_uint_eq(len, wlen);
        ck_assert_int_eq(memcmp(got, want, wlen), 0);
        vg_free(want);
}

/* The records rendered on the helper thread are those built in line, in
 * the order added, over batches of different sizes. */
START_TEST(test_render_threaded_same_bytes)
{
        enum { N = 300 };
        static chg_event_t evs[N];
        static chg_ctx_t ctxs[N];
        char json[1024];
        chg_rules_t *rules   = chg_rules_new(NULL, errstr, sizeof(errstr));
        vg_avro_schema_t *rs = vg_avro_registry_by_name(reg, "ChangeRisk");
        vg_avro_schema_t *as = vg_avro_registry_by_name(reg, "Alert");
        chg_render_t *rt     = chg_render_new(rs, as, rules, "itsm.changes",
                                              "itsm.changes.scored",
                                              "itsm.alerts");
        chg_render_t *rl     = chg_render_new(rs, as, rules, "itsm.changes",
                                              "itsm.changes.scored",
                                              "itsm.alerts");
        vg_render_t *thr = vg_render_new(sizeof(chg_job_t), chg_render_one,
                                         rt, 1);
        vg_render_t *inl = vg_render_new(sizeof(chg_job_t), chg_render_one,
                                         rl, 0);
        avro_value_t rv, av;

        ck_assert(vg_render_threaded(thr));
        ck_assert(!vg_render_threaded(inl));
        vg_avro_schema_value_new(rs, &rv);
        vg_avro_schema_value_new(as, &av);
        for (int i = 0; i < N; i++) {
                snprintf(json, sizeof(json),
                         "{\"number\":\"CHG%05d\",\"state\":\"Scheduled\","
                         "\"type\":\"Normal\",\"assignment_group\":\"DBA\","
                         "\"cmdb_ci\":\"db-%d\",\"opened_at\":"
                         "\"2025-01-01 08:00:00\",\"start_date\":"
                         "\"2025-01-02 23:00:00\",\"end_date\":"
                         "\"2025-01-03 01:00:00\",\"sys_updated_on\":"
                         "\"2025-01-01 08:05:00\"}", i, i % 9);
                ck_assert_int_eq(read_json(&evs[i], json), 0);
        }
        int sizes[] = {N, 7, 1, 0, N / 2};
        for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
                int n = sizes[b];
                vg_render_begin(thr, n);
                vg_render_begin(inl, n);
                for (int i = 0; i < n; i++) {
                        chg_score_t sc;
                        make_score(&sc, &evs[i], &ctxs[i], i + (int)b);
                        chg_job_set(vg_render_job(thr), &sc, i % 3 == 0);
                        vg_render_push(thr, i, evs[i].number);
                        chg_job_set(vg_render_job(inl), &sc, i % 3 == 0);
                        vg_render_push(inl, i, evs[i].number);
                }
                ck_assert_int_eq(vg_render_count(thr), n);
                ck_assert_int_eq(vg_render_count(inl), n);
                for (int k = 0; k < n; k++) {
                        const vg_render_rec_t *t, *l;
                        int nt = vg_render_get(thr, k, &t, NULL);
                        int nl = vg_render_get(inl, k, &l, NULL);
                        chg_score_t sc;
                        ck_assert_int_eq(nt, k % 3 == 0 ? 2 : 1);
                        ck_assert_int_eq(nl, nt);
                        ck_assert_int_eq(vg_render_idx(thr, k), k);
                        ck_assert_str_eq(t[0].topic, "itsm.changes.scored");
                        ck_assert_str_eq(t[0].key, evs[k].number);
                        ck_assert_uint_eq(t[0].len, l[0].len);
                        ck_assert_int_eq(memcmp(t[0].buf, l[0].buf,
                                                t[0].len), 0);
                        /* and what the processor built before, in line */
                        make_score(&sc, &evs[k], &ctxs[k], k + (int)b);
                        ck_assert_int_eq(sc.band, (k + (int)b) % 4);
                        chg_output_risk(&rv, &sc, rules);
                        assert_encodes_to(rs, &rv, t[0].buf, t[0].len);
                        if (nt < 2)
                                continue;
                        ck_assert_str_eq(t[1].topic, "itsm.alerts");
                        chg_output_alert(&av, &sc, "itsm.changes");
                        assert_encodes_to(as, &av, t[1].buf, t[1].len);
                }
                ck_assert_int_eq(vg_render_get(thr, n, NULL, NULL), -1);
        }
        avro_value_decref(&rv);
        avro_value_decref(&av);
        vg_render_destroy(thr);
        vg_render_destroy(inl);
        vg_render_destroy(NULL);
        chg_render_destroy(rt);
        chg_render_destroy(rl);
        chg_rules_destroy(rules);
}
END_TEST

static Suite *chg_suite(void)
{
        Suite *s  = suite_create("change");
        TCase *tc = tcase_create("Event");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_event_kinds);
        tcase_add_test(tc, test_event_invalid);
        suite_add_tcase(s, tc);
        tc = tcase_create("Rules");
        tcase_add_test(tc, test_rules_builtin);
        tcase_add_test(tc, test_rules_from_conf);
        tcase_add_test(tc, test_rules_errors);
        suite_add_tcase(s, tc);
        tc = tcase_create("Model");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_model_learns_and_explains);
        tcase_add_test(tc, test_features_blob_roundtrip);
        tcase_add_test(tc, test_model_checkpoint);
        tcase_add_test(tc, test_privacy_no_pii_stored);
        suite_add_tcase(s, tc);
        tc = tcase_create("Render");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_render_threaded_same_bytes);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(chg_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
