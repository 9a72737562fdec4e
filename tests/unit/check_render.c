/**
 * @file check_render.c
 * @brief Unit tests of the ordered rendering stage (common/vg_render.[ch]):
 *        order and bytes on a helper thread and in line, jobs that fail,
 *        a job with more records than allowed, reuse across batches.
 */
#include "vg_mem.h"
#include "vg_render.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static vg_avro_registry_t *reg;
static vg_avro_schema_t *sch;
static char errstr[512];
/* A valid DeadLetter; each record renders it with its own message. */
static const char *dlq_json =
        "{\"original\": \"x\", \"original_key\": \"K\", "
        "\"source_topic\": \"t.in\", \"source_partition\": 3, "
        "\"source_offset\": 12, \"error_class\": \"DECODE\", "
        "\"error_message\": \"\", \"processor\": \"test\", "
        "\"failed_at\": \"2016-03-02T03:10:06.001Z\"}";

typedef struct job_s {
        int n;      /**< records to render */
        int fail;   /**< fail the job instead */
        char key[16];
} job_t;

typedef struct ctx_s {
        avro_value_t val;
} ctx_t;

/* Renders job->n DeadLetter records whose error_message names the job. */
static void render_cb(void *opaque, void *job, vg_render_job_t *rj)
{
        ctx_t *c = opaque;
        job_t *j = job;
        char msg[64];

        if (j->fail) {
                vg_render_fail(rj, VG_ERR_INVALID, "job says no");
                return;
        }
        for (int o = 0; o < j->n; o++) {
                if (vg_avro_from_json(sch, dlq_json, strlen(dlq_json),
                                      &c->val, NULL, 0)) {
                        vg_render_fail(rj, VG_ERR_INVALID, "json");
                        return;
                }
                snprintf(msg, sizeof(msg), "%s/%d", j->key, o);
                vg_avro_set_str(&c->val, "error_message", msg);
                if (vg_render_put(rj, sch, &c->val, "t.out", j->key))
                        return;
        }
}

static void setup(void)
{
        reg = vg_avro_registry_new(VG_SCHEMA_DIR, NULL, errstr,
                                   sizeof(errstr));
        ck_assert_msg(reg != NULL, "%s", errstr);
        sch = vg_avro_registry_by_name(reg, "DeadLetter");
        ck_assert_ptr_nonnull(sch);
}

static void teardown(void)
{
        vg_avro_registry_destroy(reg);
}

/* Queues \p n jobs; job i renders i % 3 records, fails if i % 7 == 5. */
static void queue(vg_render_t *r, int n, int seed)
{
        vg_render_begin(r, n);
        for (int i = 0; i < n; i++) {
                job_t *j = vg_render_job(r);
                j->n     = (i + seed) % 3;
                j->fail  = (i + seed) % 7 == 5;
                snprintf(j->key, sizeof(j->key), "K%d", i);
                vg_render_push(r, i, j->key);
        }
        ck_assert_int_eq(vg_render_count(r), n);
}

START_TEST(test_order_and_failures)
{
        ctx_t ct, cl;
        ck_assert_int_eq(vg_avro_schema_value_new(sch, &ct.val), VG_OK);
        ck_assert_int_eq(vg_avro_schema_value_new(sch, &cl.val), VG_OK);
        vg_render_t *thr = vg_render_new(sizeof(job_t), render_cb, &ct, 1);
        vg_render_t *inl = vg_render_new(sizeof(job_t), render_cb, &cl, 0);
        int sizes[]      = {200, 3, 0, 1, 130};

        ck_assert(vg_render_threaded(thr));
        for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
                int n = sizes[b];
                queue(thr, n, (int)b);
                queue(inl, n, (int)b);
                for (int k = 0; k < n; k++) {
                        const vg_render_rec_t *t, *l;
                        const char *why;
                        int nt = vg_render_get(thr, k, &t, &why);
                        int nl = vg_render_get(inl, k, &l, NULL);
                        ck_assert_int_eq(vg_render_idx(thr, k), k);
                        ck_assert_int_eq(nt, nl);
                        if ((k + (int)b) % 7 == 5) {
                                ck_assert_int_eq(nt, -1);
                                ck_assert_str_eq(why, "job says no");
                                continue;
                        }
                        ck_assert_int_eq(nt, (k + (int)b) % 3);
                        for (int o = 0; o < nt; o++) {
                                ck_assert_str_eq(t[o].topic, "t.out");
                                ck_assert_uint_eq(t[o].len, l[o].len);
                                ck_assert(!memcmp(t[o].buf, l[o].buf,
                                                  t[o].len));
                        }
                }
                ck_assert_int_eq(vg_render_get(thr, n, NULL, NULL), -1);
                ck_assert_int_eq(vg_render_get(thr, -1, NULL, NULL), -1);
        }
        vg_render_destroy(thr);
        vg_render_destroy(inl);
        vg_render_destroy(NULL);
        avro_value_decref(&ct.val);
        avro_value_decref(&cl.val);
}
END_TEST

/* More records than VG_RENDER_MAX_OUT fail the job, with a reason. */
START_TEST(test_too_many_records)
{
        ctx_t c;
        const char *why;
        ck_assert_int_eq(vg_avro_schema_value_new(sch, &c.val), VG_OK);
        vg_render_t *r = vg_render_new(sizeof(job_t), render_cb, &c, 0);
        vg_render_begin(r, 2);
        job_t *j = vg_render_job(r);
        *j       = (job_t){.n = VG_RENDER_MAX_OUT + 1, .key = "BIG"};
        vg_render_push(r, 0, j->key);
        j  = vg_render_job(r);
        *j = (job_t){.n = VG_RENDER_MAX_OUT, .key = "OK"};
        vg_render_push(r, 1, j->key);
        ck_assert_int_eq(vg_render_get(r, 0, NULL, &why), -1);
        ck_assert_str_eq(why, "too many records");
        ck_assert_int_eq(vg_render_get(r, 1, NULL, NULL), VG_RENDER_MAX_OUT);
        vg_render_destroy(r);
        avro_value_decref(&c.val);
}
END_TEST

static Suite *render_suite(void)
{
        Suite *s  = suite_create("render");
        TCase *tc = tcase_create("core");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_order_and_failures);
        tcase_add_test(tc, test_too_many_records);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(render_suite());
        srunner_run_all(sr, CK_NORMAL);
        int nf = srunner_ntests_failed(sr);
        srunner_free(sr);
        return nf ? 1 : 0;
}
