/*
 * Unit tests of vg_metrics: arithmetic, histogram quantiles, concurrency,
 * Prometheus text format and logfmt summary.
 */
#include "vg_mem.h"
#include "vg_metrics.h"

#include <check.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vg_metrics_t *m;

static void setup(void)
{
        m = vg_metrics_new();
}

static void teardown(void)
{
        vg_metrics_destroy(m);
        m = NULL;
}

/* |got - want| within \p rel of want. */
#define ck_assert_near(got, want, rel)                                         \
        ck_assert_msg(fabs((got) - (want)) <= (rel) * fabs(want),             \
                      "%s = %g, want %g +- %g%%", #got, (double)(got),         \
                      (double)(want), (rel) * 100)

START_TEST(test_counter_gauge)
{
        vg_counter_t *c = vg_metrics_counter(m, "vigie_in_total", "In.");
        vg_gauge_t *g   = vg_metrics_gauge(m, "vigie_lag", NULL);

        ck_assert_ptr_nonnull(c);
        ck_assert_uint_eq(vg_counter_get(c), 0);
        vg_counter_inc(c);
        vg_counter_add(c, 41);
        ck_assert_uint_eq(vg_counter_get(c), 42);
        /* The same name is the same counter. */
        ck_assert_ptr_eq(vg_metrics_counter(m, "vigie_in_total", NULL), c);

        ck_assert(vg_gauge_get(g) == 0.0);
        vg_gauge_set(g, 10.5);
        vg_gauge_add(g, -3.25);
        ck_assert(vg_gauge_get(g) == 7.25);
        vg_gauge_add(g, 0.75);
        ck_assert(vg_gauge_get(g) == 8.0);
}
END_TEST

START_TEST(test_names)
{
        static const char *const bad[] = {
                "",
                "1abc",
                "a-b",
                "a{b}",
                "a{b=\"x}",
                "a{b=\"x\"}junk",
                "a{b=\"x\\",
                "a{b=\"x\\q\"}",
                "a{1b=\"x\"}",
                "a{b=x}",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                ck_assert_msg(vg_metrics_counter(m, bad[i], NULL) == NULL,
                              "accepted \"%s\"", bad[i]);
        ck_assert_ptr_nonnull(vg_metrics_counter(
                m, "a:b_c{t=\"x y\",u=\"q\\\"\\\\\\n\"}", NULL));
        ck_assert_ptr_nonnull(vg_metrics_counter(m, "e{}", NULL));
        /* A family has one type. */
        ck_assert_ptr_nonnull(vg_metrics_counter(m, "f{t=\"1\"}", NULL));
        ck_assert_ptr_null(vg_metrics_gauge(m, "f{t=\"2\"}", NULL));
        ck_assert_ptr_null(vg_metrics_histo(m, "f", NULL));
        ck_assert_ptr_nonnull(vg_metrics_counter(m, "f{t=\"2\"}", NULL));
}
END_TEST

START_TEST(test_histo_uniform)
{
        vg_histo_t *h = vg_metrics_histo(m, "lat_seconds", NULL);

        ck_assert(vg_histo_quantile(h, 0.5) == 0.0);
        ck_assert(vg_histo_mean(h) == 0.0);
        /* 1 us .. 10 ms, uniform. */
        for (uint64_t i = 1; i <= 10000; i++)
                vg_histo_observe_ns(h, i * 1000);
        ck_assert_uint_eq(vg_histo_count(h), 10000);
        ck_assert_near(vg_histo_mean(h), 5.0005e-3, 1e-9);
        ck_assert(vg_histo_max(h) == 10e-3);
        ck_assert_near(vg_histo_quantile(h, 0.5), 5e-3, 0.02);
        ck_assert_near(vg_histo_quantile(h, 0.9), 9e-3, 0.02);
        ck_assert_near(vg_histo_quantile(h, 0.99), 9.9e-3, 0.02);
        ck_assert_near(vg_histo_quantile(h, 0.001), 10e-6, 0.10);
        ck_assert(vg_histo_quantile(h, 1.0) <= 10e-3);
}
END_TEST

START_TEST(test_histo_bimodal)
{
        vg_histo_t *h = vg_metrics_histo(m, "lat_seconds", NULL);

        /* 90% at 120 us, 9% at 35 ms, 1% at 2.5 s. */
        for (int i = 0; i < 10000; i++) {
                double v = i < 9000 ? 120e-6 : i < 9900 ? 35e-3 : 2.5;
                vg_histo_observe(h, v);
        }
        ck_assert_near(vg_histo_quantile(h, 0.5), 120e-6, 0.10);
        ck_assert_near(vg_histo_quantile(h, 0.95), 35e-3, 0.10);
        ck_assert_near(vg_histo_quantile(h, 0.995), 2.5, 0.10);
        ck_assert_near(vg_histo_max(h), 2.5, 1e-9);
        ck_assert_near(vg_histo_mean(h),
                       (9000 * 120e-6 + 900 * 35e-3 + 100 * 2.5) / 10000,
                       1e-6);
}
END_TEST

START_TEST(test_histo_edges)
{
        vg_histo_t *h = vg_metrics_histo(m, "edge_seconds", NULL);

        vg_histo_observe(h, -1.0); /* counts as 0 */
        vg_histo_observe_ns(h, 0);
        vg_histo_observe_ns(h, 1000);
        ck_assert_uint_eq(vg_histo_count(h), 3);
        ck_assert(vg_histo_quantile(h, 1.0) <= 1e-6);
        /* Beyond 100 s: an overflow bucket, clamped to the max. */
        vg_histo_observe(h, 500.0);
        ck_assert_near(vg_histo_quantile(h, 1.0), 500.0, 1e-9);
        ck_assert_near(vg_histo_max(h), 500.0, 1e-9);
}
END_TEST

#define THREADS 4
#define PER_THREAD 1000000

static vg_counter_t *conc_c;
static vg_gauge_t *conc_g;
static vg_histo_t *conc_h;
static pthread_barrier_t conc_start;

static void *conc_run(void *arg)
{
        pthread_barrier_wait(&conc_start); /* all at once: contention */
        for (int i = 0; i < PER_THREAD; i++) {
                vg_counter_inc(conc_c);
                vg_gauge_add(conc_g, 1.0);
                vg_histo_observe_ns(conc_h, (uint64_t)(i % 5000) * 1000 + 1);
        }
        return arg;
}

START_TEST(test_concurrent)
{
        pthread_t t[THREADS];

        conc_c = vg_metrics_counter(m, "conc_total", NULL);
        conc_g = vg_metrics_gauge(m, "conc_gauge", NULL);
        conc_h = vg_metrics_histo(m, "conc_seconds", NULL);
        pthread_barrier_init(&conc_start, NULL, THREADS);
        for (int i = 0; i < THREADS; i++)
                ck_assert_int_eq(pthread_create(&t[i], NULL, conc_run, NULL),
                                 0);
        for (int i = 0; i < THREADS; i++)
                pthread_join(t[i], NULL);
        pthread_barrier_destroy(&conc_start);
        ck_assert_uint_eq(vg_counter_get(conc_c),
                          (uint64_t)THREADS * PER_THREAD);
        ck_assert(vg_gauge_get(conc_g) == (double)THREADS * PER_THREAD);
        ck_assert_uint_eq(vg_histo_count(conc_h),
                          (uint64_t)THREADS * PER_THREAD);
        ck_assert_near(vg_histo_max(conc_h), 4999001e-9, 1e-12);
}
END_TEST

/* Per family: seen HELP, seen TYPE, type. */
struct fam {
        char name[64];
        char type[16];
        int help, samples;
};

static struct fam *fam_get(struct fam *f, int *n, const char *name)
{
        for (int i = 0; i < *n; i++)
                if (!strcmp(f[i].name, name))
                        return &f[i];
        memset(&f[*n], 0, sizeof(f[*n]));
        snprintf(f[*n].name, sizeof(f[*n].name), "%s", name);
        return &f[(*n)++];
}

/* Checks a sample line "name[{labels}] value"; returns the value. */
static double parse_sample(const char *line, char *name, size_t size,
                           char *labels, size_t lsize)
{
        const char *sp = strrchr(line, ' ');
        const char *br = strchr(line, '{');
        char *end;
        double v;

        ck_assert_msg(sp != NULL, "no value: %s", line);
        v = strtod(sp + 1, &end);
        ck_assert_msg(*end == '\0' && end != sp + 1, "bad value: %s", line);
        if (br && br < sp) {
                ck_assert_msg(sp[-1] == '}', "bad labels: %s", line);
                snprintf(name, size, "%.*s", (int)(br - line), line);
                snprintf(labels, lsize, "%.*s", (int)(sp - br - 2), br + 1);
        } else {
                snprintf(name, size, "%.*s", (int)(sp - line), line);
                labels[0] = '\0';
        }
        return v;
}

/* The family of a sample: histogram samples drop _bucket/_sum/_count. */
static struct fam *sample_fam(struct fam *f, int n, const char *name)
{
        for (int i = 0; i < n; i++) {
                size_t l = strlen(f[i].name);
                if (!strcmp(f[i].name, name))
                        return &f[i];
                if (!strcmp(f[i].type, "histogram") &&
                    !strncmp(name, f[i].name, l) &&
                    (!strcmp(name + l, "_bucket") ||
                     !strcmp(name + l, "_sum") ||
                     !strcmp(name + l, "_count")))
                        return &f[i];
        }
        return NULL;
}

START_TEST(test_prometheus)
{
        vg_counter_t *a = vg_metrics_counter(
                m, "vigie_records_in_total{topic=\"itsm.changes\"}",
                "Records consumed.\nPer topic \\ partition.");
        vg_gauge_t *g = vg_metrics_gauge(m, "vigie_lag", "Consumer lag.");
        vg_counter_t *b = vg_metrics_counter(
                m, "vigie_records_in_total{topic=\"itsm.incidents\"}", NULL);
        vg_histo_t *h = vg_metrics_histo(
                m, "vigie_score_seconds{proc=\"change\"}", "Latency.");
        vg_histo_t *h2 = vg_metrics_histo(m, "vigie_poll_seconds", "Poll.");
        struct fam fams[16];
        int nfam = 0;
        double last_le = -1, last_cum = -1, count = -1, sum = -1, inf = -1;
        char *out, *save, *line, name[128], labels[128], buf[64];
        size_t len;

        vg_counter_add(a, 3);
        vg_counter_add(b, 5);
        vg_gauge_set(g, -2.5);
        for (int i = 1; i <= 1000; i++)
                vg_histo_observe_ns(h, (uint64_t)i * 10000); /* 10us..10ms */
        vg_histo_observe(h2, 0.2);

        out = vg_metrics_prometheus_str(m, &len);
        ck_assert_uint_eq(len, strlen(out));
        ck_assert_uint_eq(vg_metrics_prometheus(m, buf, sizeof(buf)), len);
        ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
        ck_assert(!strncmp(buf, out, sizeof(buf) - 1));
        ck_assert(out[len - 1] == '\n');
        ck_assert_msg(strstr(out, "# HELP vigie_records_in_total Records "
                                  "consumed.\\nPer topic \\\\ partition.\n"),
                      "%s", out);
        ck_assert(strstr(out, "vigie_records_in_total{topic=\"itsm.changes\"}"
                              " 3\n"));
        ck_assert(strstr(out, "vigie_records_in_total{topic=\"itsm."
                              "incidents\"} 5\n"));
        ck_assert(strstr(out, "\nvigie_lag -2.5\n"));
        ck_assert(strstr(out, "vigie_score_seconds_bucket{proc=\"change\","
                              "le=\"0.001\"} 100\n"));
        ck_assert(strstr(out, "vigie_poll_seconds_bucket{le=\"0.25\"} 1\n"));
        ck_assert(strstr(out, "vigie_poll_seconds_sum 0.200000000\n"));

        for (line = strtok_r(out, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                struct fam *f;
                char fname[64], ftype[16];
                if (!strncmp(line, "# HELP ", 7)) {
                        ck_assert(sscanf(line, "# HELP %63s", fname) == 1);
                        f = fam_get(fams, &nfam, fname);
                        ck_assert_msg(!f->help, "two HELP: %s", line);
                        f->help = 1;
                        continue;
                }
                if (!strncmp(line, "# TYPE ", 7)) {
                        ck_assert(sscanf(line, "# TYPE %63s %15s", fname,
                                         ftype) == 2);
                        f = fam_get(fams, &nfam, fname);
                        ck_assert_msg(f->help && !f->type[0] && !f->samples,
                                      "TYPE out of place: %s", line);
                        snprintf(f->type, sizeof(f->type), "%s", ftype);
                        continue;
                }
                ck_assert_msg(line[0] != '#', "%s", line);
                double v = parse_sample(line, name, sizeof(name), labels,
                                        sizeof(labels));
                f = sample_fam(fams, nfam, name);
                ck_assert_msg(f && f->type[0], "sample before TYPE: %s",
                              line);
                /* Samples of a family are contiguous: it is the last. */
                ck_assert_msg(f == &fams[nfam - 1], "not grouped: %s", line);
                f->samples++;
                if (strcmp(name, "vigie_score_seconds_bucket") == 0) {
                        const char *le = strstr(labels, "le=\"");
                        ck_assert(!strncmp(labels, "proc=\"change\",", 14));
                        ck_assert_ptr_nonnull(le);
                        double lev = strncmp(le + 4, "+Inf", 4)
                                             ? strtod(le + 4, NULL)
                                             : INFINITY;
                        ck_assert(lev > last_le && v >= last_cum);
                        last_le  = lev;
                        last_cum = v;
                        if (isinf(lev))
                                inf = v;
                } else if (!strcmp(name, "vigie_score_seconds_sum")) {
                        sum = v;
                } else if (!strcmp(name, "vigie_score_seconds_count")) {
                        count = v;
                }
        }
        ck_assert_int_eq(nfam, 4);
        for (int i = 0; i < nfam; i++)
                ck_assert(fams[i].help && fams[i].type[0] &&
                          fams[i].samples);
        ck_assert_str_eq(fams[0].type, "counter");
        ck_assert_int_eq(fams[0].samples, 2);
        ck_assert_str_eq(fams[2].type, "histogram");
        ck_assert(inf == 1000 && count == 1000);
        ck_assert_near(sum, 5.005, 1e-9);
        vg_free(out);
}
END_TEST

START_TEST(test_logfmt)
{
        vg_counter_t *a = vg_metrics_counter(
                m, "vigie_records_in_total{topic=\"itsm.changes\"}", NULL);
        vg_gauge_t *g = vg_metrics_gauge(m, "vigie_lag{p=\"a b\"}", NULL);
        vg_histo_t *h = vg_metrics_histo(m, "vigie_score_seconds", NULL);
        char buf[1024];
        size_t len;

        vg_counter_add(a, 12);
        vg_gauge_set(g, 3);
        for (int i = 0; i < 100; i++)
                vg_histo_observe(h, 1e-3);
        len = vg_metrics_logfmt(m, buf, sizeof(buf));
        ck_assert_uint_eq(len, strlen(buf));
        ck_assert_ptr_null(strchr(buf, '\n'));
        ck_assert_ptr_null(strchr(buf, '"'));
        ck_assert_msg(!strncmp(buf, "vigie_records_in_total.itsm.changes=12 "
                                    "vigie_lag.a_b=3 vigie_score_seconds="
                                    "n:100,mean:1.00ms,p50:",
                               strlen("vigie_records_in_total.itsm.changes=12 "
                                      "vigie_lag.a_b=3 vigie_score_seconds="
                                      "n:100,mean:1.00ms,p50:")),
                      "%s", buf);
        ck_assert_msg(strstr(buf, ",max:1.00ms") != NULL, "%s", buf);
        /* Truncation reports the full length. */
        ck_assert_uint_eq(vg_metrics_logfmt(m, buf, 8), len);
        ck_assert_uint_eq(strlen(buf), 7);
}
END_TEST

START_TEST(test_null_destroy)
{
        vg_metrics_destroy(NULL);
}
END_TEST

static Suite *metrics_suite(void)
{
        Suite *s = suite_create("metrics");
        TCase *tc;

        tc = tcase_create("Core");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_counter_gauge);
        tcase_add_test(tc, test_names);
        tcase_add_test(tc, test_null_destroy);
        suite_add_tcase(s, tc);

        tc = tcase_create("Histogram");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_histo_uniform);
        tcase_add_test(tc, test_histo_bimodal);
        tcase_add_test(tc, test_histo_edges);
        suite_add_tcase(s, tc);

        tc = tcase_create("Concurrency");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_concurrent);
        suite_add_tcase(s, tc);

        tc = tcase_create("Export");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_prometheus);
        tcase_add_test(tc, test_logfmt);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(metrics_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
