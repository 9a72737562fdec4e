/* Unit tests of processors/survey: responses, language, the binomial
 * test, stable topics (births, merges, deaths, ids never reused), the
 * satisfaction model (learning, checkpoints) and the records, which never
 * carry the raw comment. */
#include "srv_conf.h"
#include "srv_event.h"
#include "srv_lang.h"
#include "srv_model.h"
#include "srv_output.h"
#include "srv_policy.h"
#include "srv_topics.h"
#include "vg_avro.h"
#include "vg_mem.h"
#include "vg_pii.h"

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
        sch = vg_avro_registry_by_name(reg, "SurveyResponse");
        vg_avro_schema_value_new(sch, &val);
}

static void teardown(void)
{
        avro_value_decref(&val);
        vg_avro_registry_destroy(reg);
}

static int read_json(srv_event_t *ev, const char *json)
{
        ck_assert_int_eq(vg_avro_from_json(sch, json, strlen(json), &val,
                                           errstr, sizeof(errstr)), VG_OK);
        return srv_event_read(ev, &val, errstr, sizeof(errstr));
}

START_TEST(test_event_and_classes)
{
        srv_event_t ev;
        ck_assert_int_eq(read_json(&ev, "{\"response_id\":\"R1\","
                                        "\"submitted_at\":1000,\"score\":2,"
                                        "\"comment\":\"VPN down again\"}"),
                         0);
        ck_assert_int_eq(ev.has_score, 1);
        ck_assert_double_eq(ev.stars, 2.0);
        ck_assert_int_eq(ev.cls, SRV_NEGATIVE);
        /* half stars as 1..10: 7 -> 3.5 stars, neutral; 8 -> 4, positive */
        ck_assert_int_eq(read_json(&ev, "{\"response_id\":\"R2\","
                                        "\"submitted_at\":1,\"score\":7,"
                                        "\"scale_max\":10}"), 0);
        ck_assert_int_eq(ev.cls, SRV_NEUTRAL);
        ck_assert_int_eq(srv_class_of(4.0), SRV_POSITIVE);
        ck_assert_int_eq(srv_class_of(2.5), SRV_NEGATIVE);
        /* no score: nothing to learn */
        ck_assert_int_eq(read_json(&ev, "{\"response_id\":\"R3\","
                                        "\"submitted_at\":1}"), 0);
        ck_assert_int_eq(ev.has_score, 0);
        /* invalid, and the reason never quotes the comment */
        ck_assert_int_eq(read_json(&ev, "{\"response_id\":\"R4\","
                                        "\"submitted_at\":1,\"score\":9,"
                                        "\"comment\":\"secret text\"}"), -1);
        ck_assert_ptr_nonnull(strstr(errstr, "score"));
        ck_assert_ptr_null(strstr(errstr, "secret"));
        ck_assert_int_eq(read_json(&ev, "{\"response_id\":\"\","
                                        "\"submitted_at\":1}"), -1);
        ck_assert_int_eq(read_json(&ev, "{\"response_id\":\"R5\","
                                        "\"submitted_at\":1,\"score\":1,"
                                        "\"scale_max\":0}"), -1);
}
END_TEST

START_TEST(test_language)
{
        const char *fr = "Le VPN est encore coupé, c'est très pénible";
        const char *en = "The VPN is still down and it is very slow";
        ck_assert_str_eq(srv_lang_detect(fr, strlen(fr)), "fr");
        ck_assert_str_eq(srv_lang_detect(en, strlen(en)), "en");
        ck_assert_str_eq(srv_lang_detect("", 0), "unknown");
        ck_assert_str_eq(srv_lang_detect("1234 5678", 9), "unknown");
        ck_assert_str_eq(srv_lang_norm("fr-FR"), "fr");
        ck_assert_str_eq(srv_lang_norm("English"), "en");
        ck_assert_ptr_null(srv_lang_norm("de"));
}
END_TEST

START_TEST(test_binomial_drop)
{
        vg_conf_t *conf = srv_conf_new();
        srv_policy_t pol;
        srv_counts_t c = {.win_all = 40, .win_neg = 30, .base_all = 200,
                          .base_neg = 50};
        double pv, p0;

        /* P(X >= 2 | 3, 0.5) = 3/8 + 1/8 */
        ck_assert_double_eq_tol(srv_binom_sf(2, 3, 0.5), 0.5, 1e-12);
        ck_assert_double_eq(srv_binom_sf(0, 3, 0.5), 1.0);
        ck_assert_double_eq(srv_binom_sf(4, 3, 0.5), 0.0);
        srv_policy_init(&pol, conf);
        /* 30 of 40 negative against a quarter: a drop */
        ck_assert_int_eq(srv_policy_drop(&pol, &c, 30LL * 86400000, &pv, &p0), 1);
        ck_assert_double_eq_tol(p0, 51.0 / 202.0, 1e-12);
        ck_assert_double_lt(pv, 1e-10);
        /* nor in the first days of the stream */
        ck_assert_int_eq(srv_policy_drop(&pol, &c, 86400000, &pv, &p0), 0);
        /* the same share with a young baseline is not tested */
        c.base_all = 10;
        c.base_neg = 2;
        ck_assert_int_eq(srv_policy_drop(&pol, &c, 30LL * 86400000, &pv, &p0), 0);
        /* a share as usual is no drop */
        c = (srv_counts_t){.win_all = 40, .win_neg = 12, .base_all = 200,
                           .base_neg = 50};
        ck_assert_int_eq(srv_policy_drop(&pol, &c, 30LL * 86400000, &pv, &p0), 0);
        ck_assert_str_eq(srv_policy_priority(1, &(srv_counts_t){.win_all = 10,
                                                               .win_neg = 8,
                                                               .base_all = 100,
                                                               .base_neg = 20}),
                         "HIGH");
        ck_assert_str_eq(srv_policy_priority(0, &c), "LOW");
        vg_conf_destroy(conf);
}
END_TEST

/* A unit vector along axis \p a (and a little of \p b). */
static void axis(double *e, int a, int b, double wb)
{
        memset(e, 0, sizeof(double) * SRV_EMBED_DIM);
        e[a] = 1.0;
        e[b] += wb;
}

START_TEST(test_topics_lifecycle)
{
        /* merge beyond the radius: a topic opened just past the radius of
         * another merges into it at once */
        srv_topics_conf_t c = {.dim = SRV_EMBED_DIM, .radius = 0.5,
                               .merge = 0.6, .half_life = 50, .k_max = 8};
        srv_topics_t *t = srv_topics_new(&c, errstr, sizeof(errstr));
        const char *vpn[] = {"vpn", "drops"}, *pwd[] = {"password", "reset"};
        double e[SRV_EMBED_DIM];
        char id[16];
        uint64_t births, merges, deaths;
        ck_assert_ptr_nonnull(t);

        /* two topics are born */
        for (int i = 0; i < 20; i++) {
                snprintf(id, sizeof(id), "a%d", i);
                axis(e, 0, 1, 0.05);
                ck_assert_int_eq(srv_topics_learn(t, id, e, vpn, 2,
                                                  "NEGATIVE\tvpn", i), 1);
                snprintf(id, sizeof(id), "b%d", i);
                axis(e, 10, 11, 0.05);
                ck_assert_int_eq(srv_topics_learn(t, id, e, pwd, 2,
                                                  "POSITIVE\tpwd", i), 2);
        }
        const srv_topic_info_t *ti = srv_topics_info(t, 1);
        ck_assert_int_eq(ti->state, SRV_TOPIC_ALIVE);
        ck_assert(!strcmp(ti->terms[0], "vpn") || !strcmp(ti->terms[1], "vpn"));
        ck_assert_int_eq(ti->nborn, 2); /* taken at its 10th verbatim */
        ck_assert_uint_eq(ti->size, 20);
        axis(e, 0, 1, 0.05);
        ck_assert_int_eq(srv_topics_assign(t, e), 1);
        /* a verbatim at cosine distance ~0.55 of the first topic opens a
         * third, which is merged into the older, which keeps its id */
        axis(e, 0, 20, 1.98);
        ck_assert_int_eq(srv_topics_learn(t, "c0", e, vpn, 2,
                                          "NEGATIVE\tvpn", 100), 1);
        srv_topics_count(t, &births, &merges, &deaths);
        ck_assert_uint_ge(births, 3);
        ck_assert_uint_ge(merges, 1);
        ck_assert_int_eq(srv_topics_info(t, 3)->state, SRV_TOPIC_MERGED);
        ck_assert_int_eq(srv_topics_info(t, 3)->merged_into, 1);
        /* the password topic, fed no more, decays and dies */
        for (int i = 0; i < 600; i++) {
                snprintf(id, sizeof(id), "d%d", i);
                axis(e, 0, 1, 0.05);
                srv_topics_learn(t, id, e, vpn, 2, "NEGATIVE\tvpn", 200 + i);
        }
        ck_assert_int_eq(srv_topics_info(t, 2)->state, SRV_TOPIC_DEAD);
        ck_assert_int_ge(srv_topics_info(t, 2)->ended_ms, 200);
        /* a new topic gets a new id, never an old one */
        axis(e, 30, 31, 0.05);
        ck_assert_int_eq(srv_topics_learn(t, "e1", e, pwd, 2, "x\ty", 900),
                         4);
        srv_topics_destroy(t);
}
END_TEST

static void learn_text(srv_model_t *m, vg_features_t *x, const char *id,
                       const char *text, int score)
{
        srv_event_t ev = {.id = id, .service = "", .has_score = 1,
                          .stars = score, .submitted_at = 1000};
        ev.cls = srv_class_of(ev.stars);
        srv_model_learn(m, &ev, text, "en", x);
}

START_TEST(test_model_learns_and_checkpoints)
{
        vg_conf_t *conf  = srv_conf_new();
        srv_model_t *m   = srv_model_new(conf, errstr, sizeof(errstr));
        srv_model_t *m2  = srv_model_new(conf, errstr, sizeof(errstr));
        vg_features_t *x = vg_features_new(18, 0);
        srv_pred_t a, b;
        char id[16];
        size_t len;

        for (int i = 0; i < 300; i++) {
                snprintf(id, sizeof(id), "r%d", i);
                learn_text(m, x, id, i % 2 ? "the vpn keeps dropping, awful"
                                           : "great technician, thank you",
                           i % 2 ? 1 : 5);
        }
        srv_model_features(m, "vpn dropping again, awful", "en", "", x,
                           NULL);
        srv_model_predict(m, x, &a);
        ck_assert_int_eq(a.cls, SRV_NEGATIVE);
        ck_assert_double_lt(a.stars, 2.5);
        ck_assert_int_ge(a.nterms, 2);
        void *buf = srv_model_save(m, &len);
        ((char *)buf)[len / 3] ^= 1; /* corrupt: refused, m2 unchanged */
        ck_assert_int_eq(srv_model_restore(m2, buf, len, errstr,
                                           sizeof(errstr)), -1);
        ck_assert_uint_eq(srv_model_learned(m2), 0);
        ((char *)buf)[len / 3] ^= 1;
        ck_assert_int_eq(srv_model_restore(m2, buf, len, errstr,
                                           sizeof(errstr)), 0);
        ck_assert_uint_eq(srv_model_learned(m2), 300);
        srv_model_features(m2, "vpn dropping again, awful", "en", "", x,
                           NULL);
        srv_model_predict(m2, x, &b);
        ck_assert_int_eq(b.cls, a.cls);
        ck_assert_double_eq(b.stars, a.stars);
        ck_assert_str_eq(srv_model_version(m), srv_model_version(m2));
        vg_free(buf);
        vg_features_destroy(x);
        srv_model_destroy(m);
        srv_model_destroy(m2);
        vg_conf_destroy(conf);
}
END_TEST

START_TEST(test_insight_record)
{
        vg_avro_schema_t *ins = vg_avro_registry_by_name(reg, "SurveyInsight");
        avro_value_t iv;
        srv_event_t ev;
        srv_job_t *j = vg_calloc(1, sizeof(*j));
        char *json;

        ck_assert_int_eq(read_json(&ev, "{\"response_id\":\"R9\","
                                        "\"submitted_at\":1000,\"score\":1,"
                                        "\"respondent\":\"jane@x.example\","
                                        "\"service\":\"VPN\",\"comment\":"
                                        "\"Call me at jane@x.example\"}"), 0);
        j->ev = &ev;
        vg_pii_scrub(ev.comment, strlen(ev.comment), j->comment,
                     sizeof(j->comment), NULL);
        j->language = "en";
        j->pr.cls   = SRV_NEGATIVE;
        j->pr.p[0]  = 0.8;
        j->topic    = 3;
        j->priority = "HIGH";
        j->pii_kinds = 1u << VG_PII_EMAIL;
        strcpy(j->model_version, "survey/1");
        ck_assert_int_eq(vg_avro_schema_value_new(ins, &iv), 0);
        ck_assert_int_eq(srv_output_insight(&iv, j), VG_OK);
        json = vg_avro_to_json(&iv, 0);
        ck_assert_ptr_null(strstr(json, "jane"));      /* no raw comment */
        ck_assert_ptr_nonnull(strstr(json, "<EMAIL>"));
        ck_assert_ptr_nonnull(strstr(json, "\"respondent_pseudonym\":null"));
        ck_assert_ptr_nonnull(strstr(json, "\"priority\":\"HIGH\""));
        free(json);
        avro_value_decref(&iv);
        vg_free(j);
}
END_TEST

int main(void)
{
        Suite *s  = suite_create("survey");
        TCase *tc = tcase_create("survey");
        SRunner *sr;
        int failed;

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_event_and_classes);
        tcase_add_test(tc, test_language);
        tcase_add_test(tc, test_binomial_drop);
        tcase_add_test(tc, test_topics_lifecycle);
        tcase_add_test(tc, test_model_learns_and_checkpoints);
        tcase_add_test(tc, test_insight_record);
        tcase_set_timeout(tc, 120);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
