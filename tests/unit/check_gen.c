/**
 * @file check_gen.c
 * @brief Unit tests of the ITSM event generator (common/tools/vg_gen.[ch]): the
 *        output is parsed back and the documented model is checked on it.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_gen.h"
#include "vg_mem.h"

/* A generated stream: events and truth, in memory. */
typedef struct gen_out_s {
        char *ev, *tr;
        size_t ev_len, tr_len;
} gen_out_t;

static void gen_run(const char *kind, const vg_gen_opts_t *o, gen_out_t *out)
{
        char errstr[256];
        vg_gen_t *gen = vg_gen_new(o, errstr, sizeof(errstr));
        FILE *ev, *tr;

        ck_assert_msg(gen != NULL, "vg_gen_new: %s", errstr);
        ev = open_memstream(&out->ev, &out->ev_len);
        tr = open_memstream(&out->tr, &out->tr_len);
        ck_assert_int_eq(vg_gen_run(gen, kind, ev, tr, errstr,
                                    sizeof(errstr)), VG_OK);
        fclose(ev);
        fclose(tr);
        vg_gen_destroy(gen);
}

static void gen_free(gen_out_t *out)
{
        free(out->ev); /* open_memstream buffers come from malloc */
        free(out->tr);
}

static vg_gen_opts_t gen_opts(uint64_t seed, int64_t count)
{
        vg_gen_opts_t o;

        vg_gen_opts_init(&o);
        o.seed  = seed;
        o.count = count;
        return o;
}

/** Parses every line of \p buf into a new array (json_decref each). */
static json_t *gen_parse(const char *buf, size_t len)
{
        json_t *arr = json_array();
        const char *p = buf, *end = buf + len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                json_error_t jerr;
                ck_assert_msg(nl != NULL, "last line without newline");
                json_t *o = json_loadb(p, (size_t)(nl - p), 0, &jerr);
                ck_assert_msg(o && json_is_object(o), "bad JSON line: %s",
                              jerr.text);
                json_array_append_new(arr, o);
                p = nl + 1;
        }
        return arr;
}

static const char *js(json_t *o, const char *k)
{
        json_t *v = json_object_get(o, k);

        return json_is_string(v) ? json_string_value(v) : NULL;
}

static int is_time(const char *s)
{
        int y, mo, d, h, mi, se, n = 0;

        if (!s || !*s)
                return 0;
        return sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
                      &se, &n) == 6 && n == 19 && s[n] == '\0';
}

static int hour_of(const char *s)
{
        return atoi(s + 11);
}

/** @returns records whose sys_updated_on is before an earlier line's. */
static int gen_inversions(json_t *arr)
{
        const char *max = "";
        size_t i;
        json_t *o;
        int inv = 0;

        json_array_foreach(arr, i, o) {
                const char *t = js(o, "sys_updated_on");
                ck_assert(is_time(t));
                if (strcmp(t, max) < 0)
                        inv++;
                else
                        max = t;
        }
        return inv;
}

/*
 * Core
 */
START_TEST(test_opts_and_errors)
{
        vg_gen_opts_t o = gen_opts(1, 0);
        char errstr[256] = "";
        int64_t ms;

        ck_assert_ptr_null(vg_gen_new(&o, errstr, sizeof(errstr)));
        ck_assert(strstr(errstr, "count") != NULL);
        o = gen_opts(1, 10);
        o.late_fraction = 1.5;
        ck_assert_ptr_null(vg_gen_new(&o, errstr, sizeof(errstr)));
        vg_gen_destroy(NULL);

        ck_assert_int_eq(vg_gen_parse_time("2025-01-01", &ms, errstr,
                                           sizeof(errstr)), VG_OK);
        ck_assert(ms == INT64_C(1735689600000));
        ck_assert_int_eq(vg_gen_parse_time("2025-03-02T10:20:30Z", &ms,
                                           errstr, sizeof(errstr)), VG_OK);
        ck_assert(ms == INT64_C(1740910830000));
        ck_assert_int_eq(vg_gen_parse_time("2025-13-01", &ms, errstr,
                                           sizeof(errstr)), VG_ERR_INVALID);
        ck_assert_int_eq(vg_gen_parse_time("yesterday", &ms, errstr,
                                           sizeof(errstr)), VG_ERR_INVALID);

        o = gen_opts(1, 10);
        vg_gen_t *gen = vg_gen_new(&o, errstr, sizeof(errstr));
        ck_assert_int_eq(vg_gen_run(gen, "problems", stdout, NULL, errstr,
                                    sizeof(errstr)), VG_ERR_INVALID);
        FILE *full = fopen("/dev/full", "w");
        if (full) {
                ck_assert_int_eq(vg_gen_changes(gen, full, NULL, errstr,
                                                sizeof(errstr)), VG_ERR_IO);
                ck_assert(strstr(errstr, "change events") != NULL);
                fclose(full);
        }
        vg_gen_destroy(gen);
}
END_TEST

START_TEST(test_determinism)
{
        static const char *kinds[] = {"changes", "incidents", "surveys"};

        for (int k = 0; k < 3; k++) {
                vg_gen_opts_t o = gen_opts(42, 400);
                gen_out_t a, b, c;
                gen_run(kinds[k], &o, &a);
                gen_run(kinds[k], &o, &b);
                o.seed = 43;
                gen_run(kinds[k], &o, &c);
                ck_assert_msg(a.ev_len > 0 && a.ev_len == b.ev_len &&
                                      !memcmp(a.ev, b.ev, a.ev_len),
                              "%s: same seed, different events", kinds[k]);
                ck_assert(a.tr_len == b.tr_len &&
                          !memcmp(a.tr, b.tr, a.tr_len));
                ck_assert_msg(a.ev_len != c.ev_len ||
                                      memcmp(a.ev, c.ev, a.ev_len),
                              "%s: other seed, same events", kinds[k]);
                gen_free(&a);
                gen_free(&b);
                gen_free(&c);
        }
}
END_TEST

/*
 * Changes
 */
static const char *chg_fields[] = {
        "number", "state", "type", "category", "assignment_group", "cmdb_ci",
        "business_service", "opened_at", "start_date", "end_date",
        "closed_at", "close_code", "sys_updated_on"};
static const char *chg_open_fields[] = {
        "assigned_to", "risk", "impact", "priority", "short_description",
        "description", "justification", "implementation_plan"};

static int chg_is_open_state(const char *s)
{
        return !strcmp(s, "New") || !strcmp(s, "Assess") ||
               !strcmp(s, "Authorize") || !strcmp(s, "Scheduled");
}

START_TEST(test_changes_schema_and_order)
{
        vg_gen_opts_t o = gen_opts(7, 3000);
        gen_out_t out;
        json_t *arr, *seen = json_object(), *r;
        size_t i;
        int n_close = 0, n_cancel = 0;

        o.late_fraction = 0;
        gen_run("changes", &o, &out);
        arr = gen_parse(out.ev, out.ev_len);
        ck_assert_int_eq(gen_inversions(arr), 0);
        json_array_foreach(arr, i, r) {
                const char *num = js(r, "number"), *st = js(r, "state");
                for (size_t f = 0; f < sizeof(chg_fields) / sizeof(*chg_fields);
                     f++)
                        ck_assert_msg(js(r, chg_fields[f]) != NULL,
                                      "%s lacks %s", num, chg_fields[f]);
                ck_assert(strlen(num) == 10 && !strncmp(num, "CHG", 3));
                ck_assert(is_time(js(r, "opened_at")));
                json_t *first = json_object_get(seen, num);
                if (!first) {
                        /* The first record of a change is its open one. */
                        ck_assert_msg(chg_is_open_state(st), "%s first %s",
                                      num, st);
                        for (size_t f = 0; f < sizeof(chg_open_fields) /
                                                       sizeof(*chg_open_fields);
                             f++)
                                ck_assert(js(r, chg_open_fields[f]) != NULL);
                        ck_assert_str_eq(js(r, "close_code"), "");
                        ck_assert_str_eq(js(r, "closed_at"), "");
                        json_object_set(seen, num, r);
                        continue;
                }
                ck_assert(strcmp(js(first, "sys_updated_on"),
                                 js(r, "sys_updated_on")) < 0);
                if (!strcmp(st, "Closed")) {
                        n_close++;
                        ck_assert(is_time(js(r, "closed_at")));
                        ck_assert(strlen(js(r, "close_code")) > 0);
                        ck_assert(strcmp(js(r, "closed_at"),
                                         js(r, "end_date")) > 0);
                } else if (!strcmp(st, "Canceled")) {
                        n_cancel++;
                        ck_assert_str_eq(js(r, "close_code"), "");
                } else {
                        ck_assert_str_eq(st, "Implement");
                }
        }
        ck_assert_int_eq(json_object_size(seen), 3000);
        ck_assert_int_eq(n_close + n_cancel, 3000);
        ck_assert(n_cancel > 30 && n_cancel < 180); /* 3% of 3000 */
        json_decref(seen);
        json_decref(arr);
        gen_free(&out);
}
END_TEST

START_TEST(test_changes_late_fraction)
{
        vg_gen_opts_t o = gen_opts(8, 4000);
        gen_out_t out;
        json_t *arr, *seen = json_object(), *r;
        size_t i;
        int inv;

        o.late_fraction = 0.05;
        gen_run("changes", &o, &out);
        arr = gen_parse(out.ev, out.ev_len);
        inv = gen_inversions(arr);
        /* Only late records are out of order; 5% of them, give or take. */
        ck_assert_msg(inv > 0 && inv <= (int)(0.07 * json_array_size(arr)),
                      "%d inversions in %zu", inv, json_array_size(arr));
        /* Even late, an open record is written before its close record. */
        json_array_foreach(arr, i, r) {
                const char *num = js(r, "number");
                if (!json_object_get(seen, num))
                        ck_assert(chg_is_open_state(js(r, "state")));
                json_object_set_new(seen, num, json_true());
        }
        json_decref(seen);
        json_decref(arr);
        gen_free(&out);
}
END_TEST

/* One closed change: what the tests compare rates on. */
typedef struct chg_row_s {
        json_t *open;
        int failed;
        double p;
} chg_row_t;

typedef struct chg_set_s {
        chg_row_t *rows;
        int n, n_truth, n_fail;
        double sum_p;
} chg_set_t;

static void chg_truth_p(const char *tr, json_t *ps)
{
        const char *line = strchr(tr, '\n') + 1;

        while (*line) {
                char num[32], fl[8] = "";
                double p;
                int k = sscanf(line, "%31[^,],%lf,%7[01]", num, &p, fl);
                ck_assert(k >= 2);
                ck_assert_msg(p > 0 && p < 1, "%s p=%f", num, p);
                json_object_set_new(ps, num, json_real(k == 3 ? p : -p));
                line = strchr(line, '\n') + 1;
        }
}

static void chg_load(chg_set_t *set, json_t *arr, json_t *ps)
{
        json_t *opens = json_object(), *r;
        size_t i;

        set->rows = vg_calloc(json_array_size(arr), sizeof(*set->rows));
        json_array_foreach(arr, i, r) {
                const char *num = js(r, "number"), *st = js(r, "state");
                if (chg_is_open_state(st))
                        json_object_set(opens, num, r);
                if (strcmp(st, "Closed"))
                        continue;
                chg_row_t *row = &set->rows[set->n++];
                row->open   = json_object_get(opens, num);
                row->failed = strcmp(js(r, "close_code"), "Successful") != 0;
                row->p      = json_real_value(json_object_get(ps, num));
                ck_assert(row->open != NULL && row->p > 0);
                set->n_fail += row->failed;
                set->sum_p  += row->p;
        }
        set->n_truth = (int)json_object_size(ps);
        json_decref(opens);
}

typedef int (*chg_pred_t)(json_t *open);

static double chg_rate(const chg_set_t *set, chg_pred_t pred, int want)
{
        int n = 0, f = 0;

        for (int i = 0; i < set->n; i++) {
                if (!!pred(set->rows[i].open) != want)
                        continue;
                n++;
                f += set->rows[i].failed;
        }
        ck_assert(n >= 100);
        return (double)f / n;
}

static int pred_emergency(json_t *o)
{
        return !strcmp(js(o, "type"), "Emergency");
}
static int pred_standard(json_t *o)
{
        return !strcmp(js(o, "type"), "Standard");
}
static int pred_normal(json_t *o)
{
        return !strcmp(js(o, "type"), "Normal");
}
static int pred_no_backout(json_t *o)
{
        const char *b = js(o, "backout_plan");
        return !b || !*b;
}
static int pred_no_test(json_t *o)
{
        const char *b = js(o, "test_plan");
        return !b || !*b;
}
static int pred_night(json_t *o)
{
        int h = hour_of(js(o, "start_date"));
        return h >= 22 || h < 5;
}
static int pred_risky(json_t *o)
{
        static const char *w[] = {"hotfix", "urgent", "migration", "firmware",
                                  "schema change", "rollback",
                                  "changement de schéma"};
        char text[1024];

        snprintf(text, sizeof(text), "%s %s", js(o, "short_description"),
                 js(o, "description"));
        for (char *c = text; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        for (size_t i = 0; i < sizeof(w) / sizeof(*w); i++)
                if (strstr(text, w[i]))
                        return 1;
        return 0;
}
static int pred_high_risk(json_t *o) { return !strcmp(js(o, "risk"), "High"); }
static int pred_low_risk(json_t *o) { return !strcmp(js(o, "risk"), "Low"); }
static int pred_all(json_t *o) { return 1; }

START_TEST(test_changes_model)
{
        vg_gen_opts_t o = gen_opts(2025, 20000);
        gen_out_t out;
        chg_set_t set = {0};
        json_t *arr, *ps = json_object();
        double rate, mean_p;

        gen_run("changes", &o, &out);
        arr = gen_parse(out.ev, out.ev_len);
        chg_truth_p(out.tr, ps);
        chg_load(&set, arr, ps);
        ck_assert_int_eq(set.n_truth, 20000);
        rate   = (double)set.n_fail / set.n;
        mean_p = set.sum_p / set.n;
        ck_assert_msg(rate > 0.12 && rate < 0.18, "failure rate %f", rate);
        ck_assert_msg(mean_p - rate < 0.01 && rate - mean_p < 0.01,
                      "mean p %f vs rate %f", mean_p, rate);
        ck_assert(chg_rate(&set, pred_all, 1) == rate);
        /* Documented effects show in the empirical rates. */
        ck_assert(chg_rate(&set, pred_emergency, 1) >
                  2 * chg_rate(&set, pred_normal, 1));
        ck_assert(chg_rate(&set, pred_normal, 1) >
                  chg_rate(&set, pred_standard, 1) + 0.03);
        ck_assert(chg_rate(&set, pred_no_backout, 1) >
                  chg_rate(&set, pred_no_backout, 0) + 0.05);
        ck_assert(chg_rate(&set, pred_no_test, 1) >
                  chg_rate(&set, pred_no_test, 0) + 0.05);
        ck_assert(chg_rate(&set, pred_night, 1) >
                  chg_rate(&set, pred_night, 0) + 0.03);
        ck_assert(chg_rate(&set, pred_risky, 1) >
                  chg_rate(&set, pred_risky, 0) + 0.03);
        ck_assert(chg_rate(&set, pred_high_risk, 1) >
                  chg_rate(&set, pred_low_risk, 1) + 0.05);
        vg_free(set.rows);
        json_decref(ps);
        json_decref(arr);
        gen_free(&out);
}
END_TEST

START_TEST(test_changes_no_outcome_in_open_text)
{
        vg_gen_opts_t o = gen_opts(5, 2000);
        gen_out_t out;
        json_t *arr, *r;
        size_t i;

        gen_run("changes", &o, &out);
        arr = gen_parse(out.ev, out.ev_len);
        json_array_foreach(arr, i, r) {
                if (!chg_is_open_state(js(r, "state")))
                        continue;
                char *txt = json_dumps(r, 0);
                ck_assert(!strstr(txt, "Successful") &&
                          !strstr(txt, "Unsuccessful") &&
                          !strstr(txt, "Backed out") &&
                          !strstr(txt, "with issues"));
                free(txt);
        }
        json_decref(arr);
        gen_free(&out);
}
END_TEST

/*
 * Incidents
 */
static const struct {
        const char *cause, *sub;
} inc_subs[] = {
        {"Software", "Bug"}, {"Software", "Memory leak"},
        {"Software", "Crash"}, {"Software", "Version incompatibility"},
        {"Hardware", "Disk failure"}, {"Hardware", "Power supply"},
        {"Hardware", "Memory module"}, {"Network", "DNS"},
        {"Network", "Packet loss"}, {"Network", "Link down"},
        {"Configuration", "Wrong parameter"},
        {"Configuration", "Expired certificate"},
        {"Configuration", "Change side effect"},
        {"Configuration", "Permission"}, {"User error", "Wrong manipulation"},
        {"User error", "Forgotten password"}, {"Capacity", "Disk full"},
        {"Capacity", "CPU saturation"},
        {"Capacity", "Connection pool exhausted"},
        {"Third party", "Vendor outage"}, {"Third party", "ISP outage"}};

static int inc_sub_ok(const char *cause, const char *sub)
{
        for (size_t i = 0; i < sizeof(inc_subs) / sizeof(*inc_subs); i++)
                if (!strcmp(inc_subs[i].cause, cause) &&
                    !strcmp(inc_subs[i].sub, sub))
                        return 1;
        return 0;
}

/** Closed changes of the same seed: number -> {cmdb_ci, close_code}. */
static json_t *inc_changes(uint64_t seed)
{
        vg_gen_opts_t o = gen_opts(seed, 3000);
        gen_out_t out;
        json_t *arr = NULL, *map = json_object(), *r;
        size_t i;

        gen_run("changes", &o, &out);
        arr = gen_parse(out.ev, out.ev_len);
        json_array_foreach(arr, i, r) {
                if (!strcmp(js(r, "state"), "Closed"))
                        json_object_set(map, js(r, "number"), r);
        }
        json_decref(arr);
        gen_free(&out);
        return map;
}

START_TEST(test_incidents)
{
        vg_gen_opts_t o = gen_opts(11, 1500);
        gen_out_t out;
        json_t *arr, *r, *causes = json_object(), *ci_sub = json_object();
        json_t *chg = inc_changes(11);
        size_t i;
        int resolved = 0, linked = 0, max_rep = 0;
        const char *k;
        json_t *v;

        gen_run("incidents", &o, &out);
        arr = gen_parse(out.ev, out.ev_len);
        ck_assert_int_eq(json_array_size(arr), 3 * 1500);
        ck_assert_int_le(gen_inversions(arr), (int)(0.03 * 4500));
        json_array_foreach(arr, i, r) {
                ck_assert(js(r, "number") && js(r, "cmdb_ci") &&
                          is_time(js(r, "opened_at")));
                if (strcmp(js(r, "incident_state"), "Resolved"))
                        continue;
                const char *cause = js(r, "u_cause");
                const char *sub   = js(r, "u_sub_cause");
                ck_assert_msg(inc_sub_ok(cause, sub), "%s/%s", cause, sub);
                ck_assert(is_time(js(r, "resolved_at")));
                resolved++;
                json_int_t n =
                        json_integer_value(json_object_get(causes, cause));
                json_object_set_new(causes, cause, json_integer(n + 1));
                char key[128];
                snprintf(key, sizeof(key), "%s|%s", js(r, "cmdb_ci"), sub);
                n = json_integer_value(json_object_get(ci_sub, key)) + 1;
                json_object_set_new(ci_sub, key, json_integer(n));
                if (n > max_rep)
                        max_rep = (int)n;
                const char *rfc = js(r, "rfc");
                if (!*rfc)
                        continue;
                /* A named change exists, failed, on the same CI. */
                json_t *c = json_object_get(chg, rfc);
                if (!c)
                        continue; /* beyond the 3000 changes simulated */
                linked++;
                ck_assert_str_eq(js(c, "cmdb_ci"), js(r, "cmdb_ci"));
                ck_assert_str_ne(js(c, "close_code"), "Successful");
                ck_assert(!strcmp(cause, "Configuration") ||
                          !strcmp(cause, "Software"));
        }
        ck_assert_int_eq(resolved, 1500);
        static const char hdr[] = "number,true_change,u_cause,"
                                  "u_sub_cause,recurring,spike\n";
        ck_assert(!strncmp(out.tr, hdr, sizeof(hdr) - 1));
        ck_assert_msg(linked >= 20, "%d incidents linked to changes", linked);
        ck_assert(json_object_size(causes) == 7);
        json_object_foreach(causes, k, v) {
                double share = (double)json_integer_value(v) / resolved;
                ck_assert_msg(share > 0.01 && share < 0.5, "%s %f", k, share);
        }
        /* Recurring patterns: one CI has the same sub-cause many times. */
        ck_assert_msg(max_rep >= 15, "max repeat %d", max_rep);
        json_decref(causes);
        json_decref(ci_sub);
        json_decref(chg);
        json_decref(arr);
        gen_free(&out);
}
END_TEST

/* The truth of the incidents planted in the VPN spike: number -> 1. */
static json_t *inc_spike_truth(const char *tr)
{
        json_t *spiked = json_object();
        const char *line = strchr(tr, '\n') + 1;

        while (*line) {
                const char *nl = strchr(line, '\n'), *last = nl;
                char num[32];
                ck_assert(nl != NULL && sscanf(line, "%31[^,]", num) == 1);
                while (last > line && last[-1] != ',')
                        last--;
                /* six columns, the last one 0 or 1 */
                int commas = 0;
                for (const char *c = line; c < nl; c++)
                        commas += *c == ',';
                ck_assert_int_eq(commas, 5);
                ck_assert(nl - last == 1 && (*last == '0' || *last == '1'));
                if (*last == '1')
                        json_object_set_new(spiked, num, json_true());
                line = nl + 1;
        }
        return spiked;
}

/* Incidents planted on the VPN gateways from a day before the surveys'
 * dissatisfaction spike (days 14-21) to its end, in the truth. */
START_TEST(test_incidents_vpn_spike)
{
        vg_gen_opts_t o = gen_opts(11, 1500);
        gen_out_t out;
        json_t *arr, *r, *spiked;
        size_t i;
        int planted = 0, culprit = 0, vpn_in = 0, vpn_out = 0;
        json_t *cis = json_object();

        gen_run("incidents", &o, &out);
        arr    = gen_parse(out.ev, out.ev_len);
        spiked = inc_spike_truth(out.tr);
        json_array_foreach(arr, i, r) {
                const char *num = js(r, "number"), *t = js(r, "opened_at");
                const char *svc = js(r, "business_service");
                if (strcmp(js(r, "incident_state"), "Resolved"))
                        continue;
                ck_assert(svc != NULL);
                int in = strcmp(t, "2025-01-15") >= 0 &&
                         strcmp(t, "2025-01-22") < 0;
                if (!strcmp(svc, "VPN")) {
                        vpn_in += in;
                        vpn_out += !in;
                }
                if (!json_object_get(spiked, num))
                        continue;
                planted++;
                ck_assert_str_eq(svc, "VPN");
                ck_assert(!strncmp(js(r, "cmdb_ci"), "vpn-gw-", 7));
                ck_assert_msg(strcmp(t, "2025-01-14") >= 0 &&
                                      strcmp(t, "2025-01-22") < 0,
                              "%s planted at %s", num, t);
                ck_assert(!strcmp(js(r, "u_cause"), "Network") ||
                          !strcmp(js(r, "u_cause"), "Third party"));
                ck_assert_str_eq(js(r, "rfc"), "");
                json_int_t n = json_integer_value(
                                       json_object_get(cis, js(r, "cmdb_ci"))) +
                               1;
                json_object_set_new(cis, js(r, "cmdb_ci"), json_integer(n));
                if (n > culprit)
                        culprit = (int)n;
        }
        ck_assert_int_eq(planted, (int)json_object_size(spiked));
        ck_assert_msg(planted >= 30 && planted <= 100, "%d planted", planted);
        /* mostly one gateway */
        ck_assert_msg(culprit * 2 > planted, "culprit %d of %d", culprit,
                      planted);
        /* the VPN's incidents per day: 7 days in, ~30 days out */
        ck_assert_msg(vpn_in / 7.0 > 4 * (vpn_out / 30.0),
                      "VPN incidents %d in the spike, %d out", vpn_in,
                      vpn_out);
        json_decref(cis);
        json_decref(spiked);
        json_decref(arr);
        gen_free(&out);
}
END_TEST

/*
 * Business services
 */

/* Adds the business_service of every record of \p arr to \p by_ci
 * (CI -> service), checking that a CI has one service and that it is a
 * survey service or "Infrastructure". */
static void svc_collect(json_t *arr, json_t *by_ci, json_t *services)
{
        size_t i;
        json_t *r;

        json_array_foreach(arr, i, r) {
                const char *ci = js(r, "cmdb_ci"), *svc;
                svc = js(r, "business_service");
                ck_assert_msg(svc != NULL, "%s has no business_service",
                              js(r, "number"));
                ck_assert_msg(json_object_get(services, svc) ||
                                      !strcmp(svc, "Infrastructure"),
                              "%s: service %s not in the surveys",
                              js(r, "number"), svc);
                json_t *was = json_object_get(by_ci, ci);
                if (was)
                        ck_assert_str_eq(json_string_value(was), svc);
                else
                        json_object_set_new(by_ci, ci, json_string(svc));
        }
}

START_TEST(test_business_services)
{
        vg_gen_opts_t o = gen_opts(11, 3000);
        gen_out_t chg, inc, srv;
        json_t *services = json_object(), *by_ci = json_object();
        json_t *arr, *r, *used = json_object();
        size_t i;
        const char *k;
        json_t *v;

        gen_run("surveys", &o, &srv);
        arr = gen_parse(srv.ev, srv.ev_len);
        json_array_foreach(arr, i, r)
                json_object_set_new(services, js(r, "service"), json_true());
        json_decref(arr);
        ck_assert_int_eq(json_object_size(services), 6);
        gen_run("changes", &o, &chg);
        arr = gen_parse(chg.ev, chg.ev_len);
        svc_collect(arr, by_ci, services);
        json_decref(arr);
        gen_run("incidents", &o, &inc);
        arr = gen_parse(inc.ev, inc.ev_len);
        svc_collect(arr, by_ci, services);
        json_decref(arr);

        /* the natural ones */
        ck_assert_str_eq(json_string_value(json_object_get(by_ci,
                                                           "vpn-gw-01")),
                         "VPN");
        ck_assert_str_eq(json_string_value(json_object_get(by_ci,
                                                           "app-print-srv")),
                         "Printing");
        ck_assert_str_eq(json_string_value(json_object_get(by_ci,
                                                           "app-mail-exch")),
                         "Email");
        ck_assert_str_eq(json_string_value(json_object_get(by_ci,
                                                           "db-ora-prd-01")),
                         "Infrastructure");
        json_object_foreach(by_ci, k, v) {
                if (!strncmp(k, "vpn-gw-", 7))
                        ck_assert_str_eq(json_string_value(v), "VPN");
                json_object_set_new(used, json_string_value(v), json_true());
        }
        /* every survey service has CIs, hence incidents and changes */
        json_object_foreach(services, k, v)
                ck_assert_msg(json_object_get(used, k) != NULL,
                              "no CI in service %s", k);
        ck_assert_int_eq(json_object_size(used), 7);
        json_decref(used);
        json_decref(by_ci);
        json_decref(services);
        gen_free(&chg);
        gen_free(&inc);
        gen_free(&srv);
}
END_TEST

/*
 * Surveys
 */
static int srv_negative(const char *c)
{
        static const char *w[] = {
                "disconnect", "impossible", "slow", "lent", "again", "encore",
                "unacceptable", "inacceptable", "never", "jamais", "terrible",
                "nul", "frustrat", "not ", "peu ", "trop", "déconnexion",
                "disappointed", "déçu", "toujours pas", "nobody", "personne",
                "rude", "désagréable", "still"};

        for (size_t i = 0; i < sizeof(w) / sizeof(*w); i++)
                if (strstr(c, w[i]))
                        return 1;
        return 0;
}

static int srv_has_pii(const char *c)
{
        const char *p;

        if (strchr(c, '@') || strstr(c, "FR76") || strstr(c, "+33 "))
                return 1;
        for (p = c; (p = strstr(p, "0")); p++) /* "06 12 34 56 78" */
                if ((p[1] == '6' || p[1] == '7') && p[2] == ' ' &&
                    p[5] == ' ' && p[8] == ' ' && p[11] == ' ')
                        return 1;
        return 0;
}

START_TEST(test_surveys)
{
        vg_gen_opts_t o = gen_opts(3, 3000);
        gen_out_t out;
        json_t *arr, *r;
        size_t i;
        double sum[2] = {0}, n[2] = {0};
        int pii = 0, fr = 0, vpn_in = 0, n_in = 0, vpn_out = 0, n_out = 0;

        gen_run("surveys", &o, &out);
        arr = gen_parse(out.ev, out.ev_len);
        ck_assert_int_eq(json_array_size(arr), 3000);
        json_array_foreach(arr, i, r) {
                int score = (int)json_integer_value(
                        json_object_get(r, "score"));
                const char *c = js(r, "comment");
                ck_assert(score >= 1 && score <= 5);
                ck_assert(c && js(r, "respondent") && js(r, "service") &&
                          js(r, "entity") && is_time(js(r, "submitted_at")));
                ck_assert(strchr(js(r, "respondent"), '@'));
                int neg = srv_negative(c);
                sum[neg] += score;
                n[neg]++;
                pii += srv_has_pii(c);
                fr += !strcmp(js(r, "language"), "fr");
                /* Spike window: day 14 to 21 after 2025-01-01. */
                const char *t = js(r, "submitted_at");
                int in = strcmp(t, "2025-01-15") >= 0 &&
                         strcmp(t, "2025-01-22") < 0;
                int vpn = strstr(c, "VPN") && srv_negative(c);
                vpn_in += in && vpn;
                n_in += in;
                vpn_out += !in && vpn;
                n_out += !in;
        }
        ck_assert_msg(sum[1] / n[1] + 1.0 < sum[0] / n[0],
                      "negative %f vs other %f", sum[1] / n[1],
                      sum[0] / n[0]);
        ck_assert_msg(pii > 150 && pii < 700, "%d comments with PII", pii);
        ck_assert(fr > 900 && fr < 1500);
        ck_assert(n_in > 50);
        ck_assert_msg((double)vpn_in / n_in > 2.0 * vpn_out / n_out,
                      "VPN complaints %d/%d in spike vs %d/%d", vpn_in, n_in,
                      vpn_out, n_out);
        json_decref(arr);
        gen_free(&out);
}
END_TEST

static Suite *gen_suite(void)
{
        Suite *s = suite_create("gen");
        TCase *tc_core = tcase_create("Core");
        TCase *tc_chg  = tcase_create("Changes");
        TCase *tc_inc  = tcase_create("Incidents");
        TCase *tc_srv  = tcase_create("Surveys");

        tcase_add_test(tc_core, test_opts_and_errors);
        tcase_add_test(tc_core, test_determinism);
        tcase_add_test(tc_chg, test_changes_schema_and_order);
        tcase_add_test(tc_chg, test_changes_late_fraction);
        tcase_add_test(tc_chg, test_changes_model);
        tcase_add_test(tc_chg, test_changes_no_outcome_in_open_text);
        tcase_set_timeout(tc_chg, 120);
        tcase_add_test(tc_inc, test_incidents);
        tcase_add_test(tc_inc, test_incidents_vpn_spike);
        tcase_add_test(tc_inc, test_business_services);
        tcase_set_timeout(tc_inc, 60);
        tcase_add_test(tc_srv, test_surveys);
        suite_add_tcase(s, tc_core);
        suite_add_tcase(s, tc_chg);
        suite_add_tcase(s, tc_inc);
        suite_add_tcase(s, tc_srv);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(gen_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
