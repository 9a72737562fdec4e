/**
 * @file check_avro.c
 * @brief Unit tests of vg_avro: schema files, registry, wire format,
 *        JSON <-> Avro, accessors, and robustness on hostile bytes.
 *
 * Fixtures: schemas/valid/<Record>.json (one valid record per schema) and
 * schemas/invalid/ (bad records and bad schemas, expectations below).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "vg_avro.h"
#include "vg_mem.h"

static vg_avro_registry_t *reg;
static char errstr[512];

static void setup(void)
{
        errstr[0] = '\0';
        reg       = vg_avro_registry_new(VG_SCHEMA_DIR, NULL, errstr,
                                         sizeof(errstr));
        ck_assert_msg(reg != NULL, "registry: %s", errstr);
}

static void teardown(void)
{
        vg_avro_registry_destroy(reg);
        reg = NULL;
}

static char *slurp(const char *path, size_t *lenp)
{
        FILE *fp = fopen(path, "rb");
        char *buf;
        long n;

        ck_assert_msg(fp != NULL, "cannot open %s", path);
        fseek(fp, 0, SEEK_END);
        n = ftell(fp);
        rewind(fp);
        buf = vg_malloc((size_t)n + 1);
        ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
        buf[n] = '\0';
        fclose(fp);
        if (lenp)
                *lenp = (size_t)n;
        return buf;
}

static char *fixture(const char *sub, const char *name, size_t *lenp)
{
        char path[1024];

        snprintf(path, sizeof(path), "%s/%s/%s", VG_SCHEMA_DIR, sub, name);
        return slurp(path, lenp);
}

/** Fills a new value of \p sch from valid/<Record>.json. */
static void load_valid(vg_avro_schema_t *sch, avro_value_t *val)
{
        char name[128], *json;
        size_t len;
        const char *rec = strrchr(vg_avro_schema_name(sch), '.') + 1;

        snprintf(name, sizeof(name), "%s.json", rec);
        json = fixture("valid", name, &len);
        ck_assert_int_eq(vg_avro_schema_value_new(sch, val), VG_OK);
        ck_assert_msg(vg_avro_from_json(sch, json, len, val, errstr,
                                        sizeof(errstr)) == VG_OK,
                      "%s: %s", name, errstr);
        vg_free(json);
}

/* ----------------------------------------------------------------- */
/* Schemas and registry                                               */
/* ----------------------------------------------------------------- */

START_TEST(test_schema_files)
{
        DIR *dir = opendir(VG_SCHEMA_DIR);
        struct dirent *de;
        int n = 0;

        ck_assert_ptr_nonnull(dir);
        while ((de = readdir(dir))) {
                size_t l = strlen(de->d_name), len;
                char *text;
                int found = 0;
                size_t i;

                if (l < 5 || strcmp(de->d_name + l - 5, ".avsc"))
                        continue;
                n++;
                text = fixture(".", de->d_name, &len);
                ck_assert_msg(vg_avro_schema_lint(text, len, errstr,
                                                  sizeof(errstr)) == VG_OK,
                              "%s: %s", de->d_name, errstr);
                vg_free(text);
                /* every schema file is served under some subject */
                for (i = 0; i < vg_avro_registry_count(reg); i++) {
                        const char *nm = vg_avro_schema_name(
                            vg_avro_registry_at(reg, i));
                        if (!strncmp(strrchr(nm, '.') + 1, de->d_name,
                                     l - 5) &&
                            strlen(strrchr(nm, '.') + 1) == l - 5)
                                found = 1;
                }
                ck_assert_msg(found, "%s not in registry.json", de->d_name);
        }
        closedir(dir);
        ck_assert_int_eq(n, 9);
}
END_TEST

START_TEST(test_schema_lint_rejects)
{
        char *text;
        size_t len;

        text = fixture("invalid", "BadSchema-no-doc.avsc", &len);
        ck_assert_int_eq(vg_avro_schema_lint(text, len, errstr,
                                             sizeof(errstr)), VG_ERR_SCHEMA);
        ck_assert_str_eq(errstr, "NoDoc.a: field has no doc");
        vg_free(text);

        text = fixture("invalid", "BadSchema-syntax.avsc", &len);
        ck_assert_int_eq(vg_avro_schema_lint(text, len, errstr,
                                             sizeof(errstr)), VG_ERR_SCHEMA);
        vg_free(text);

        ck_assert_int_eq(vg_avro_schema_lint("{\"type\":\"record\"", 16,
                                             errstr, sizeof(errstr)),
                         VG_ERR_SCHEMA);
        ck_assert_ptr_nonnull(strstr(errstr, "invalid JSON"));

        text = "{\"type\":\"record\",\"name\":\"R\",\"doc\":\"d\",\"fields\":"
               "[{\"name\":\"a\",\"doc\":\"d\",\"type\":[\"null\",\"int\"]}]}";
        ck_assert_int_eq(vg_avro_schema_lint(text, strlen(text), errstr,
                                             sizeof(errstr)), VG_ERR_SCHEMA);
        ck_assert_str_eq(errstr, "R.a: nullable field needs \"default\": null");
}
END_TEST

START_TEST(test_registry_lookup)
{
        static const struct {
                const char *topic, *name;
                int32_t id;
        } want[] = {
                {"itsm.changes", "ChangeRequest", 1},
                {"itsm.incidents", "Incident", 2},
                {"itsm.surveys", "SurveyResponse", 3},
                {"itsm.changes.scored", "ChangeRisk", 4},
                {"itsm.incidents.enriched", "IncidentEnriched", 5},
                {"itsm.surveys.insights", "SurveyInsight", 6},
                {"itsm.alerts", "Alert", 7},
                {"itsm.deadletter", "DeadLetter", 8},
                {"itsm.feedback", "Feedback", 9},
        };
        char full[128], subject[128];
        size_t i;

        ck_assert_int_eq(vg_avro_registry_count(reg), 9);
        for (i = 0; i < 9; i++) {
                vg_avro_schema_t *sch = vg_avro_registry_by_topic(
                    reg, want[i].topic);
                ck_assert_ptr_nonnull(sch);
                snprintf(full, sizeof(full), "vigie.v1.%s", want[i].name);
                snprintf(subject, sizeof(subject), "%s-value", want[i].topic);
                ck_assert_str_eq(vg_avro_schema_name(sch), full);
                ck_assert_str_eq(vg_avro_schema_topic(sch), want[i].topic);
                ck_assert_str_eq(vg_avro_schema_subject(sch), subject);
                ck_assert_int_eq(vg_avro_schema_id(sch), want[i].id);
                ck_assert_ptr_eq(vg_avro_registry_by_id(reg, want[i].id), sch);
                ck_assert_ptr_eq(vg_avro_registry_by_name(reg, want[i].name),
                                 sch);
                ck_assert_ptr_eq(vg_avro_registry_by_name(reg, full), sch);
                ck_assert_ptr_nonnull(vg_avro_schema_iface(sch));
                ck_assert_int_eq(avro_typeof(vg_avro_schema_avro(sch)),
                                 AVRO_RECORD);
                ck_assert_ptr_nonnull(strstr(vg_avro_schema_json(sch),
                                             "timestamp-millis"));
        }
        ck_assert_ptr_null(vg_avro_registry_by_topic(reg, "itsm.nope"));
        ck_assert_ptr_null(vg_avro_registry_by_id(reg, 0));
        ck_assert_ptr_null(vg_avro_registry_by_id(reg, 10));
        ck_assert_ptr_null(vg_avro_registry_by_name(reg, "Nope"));
        ck_assert_ptr_null(vg_avro_registry_at(reg, 9));
        vg_avro_registry_destroy(NULL);
}
END_TEST

/** Writes a registry.json + Alert.avsc into a temp dir. */
static void tmp_registry(char *dir, const char *registry_json,
                         int copy_alert)
{
        char path[1024];
        FILE *fp;

        strcpy(dir, "/tmp/vg_avro_reg_XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, 1024, "%s/registry.json", dir);
        fp = fopen(path, "w");
        fputs(registry_json, fp);
        fclose(fp);
        if (copy_alert) {
                char *text = fixture(".", "Alert.avsc", NULL);
                snprintf(path, 1024, "%s/Alert.avsc", dir);
                fp = fopen(path, "w");
                fputs(text, fp);
                fclose(fp);
                vg_free(text);
        }
}

static void rm_tmp_registry(const char *dir)
{
        char path[1024];

        snprintf(path, sizeof(path), "%s/registry.json", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/Alert.avsc", dir);
        unlink(path);
        rmdir(dir);
}

static void registry_fails(const char *json, int copy_alert,
                           const char *expect)
{
        char dir[64];
        vg_avro_registry_t *r;

        tmp_registry(dir, json, copy_alert);
        r = vg_avro_registry_new(dir, NULL, errstr, sizeof(errstr));
        rm_tmp_registry(dir);
        ck_assert_ptr_null(r);
        ck_assert_msg(strstr(errstr, expect) != NULL, "\"%s\" lacks \"%s\"",
                      errstr, expect);
}

START_TEST(test_registry_errors)
{
        ck_assert_ptr_null(vg_avro_registry_new("/nonexistent", NULL, errstr,
                                                sizeof(errstr)));
        ck_assert_ptr_nonnull(strstr(errstr, "registry.json"));
        registry_fails("{\"a-value\": {\"id\": 1, \"file\": \"Nope.avsc\"}}",
                       0, "Nope.avsc");
        registry_fails("{\"a\": {\"id\": 1, \"file\": \"Alert.avsc\"}}", 1,
                       "expected \"<topic>-value\"");
        registry_fails("{\"a-value\": {\"id\": 0, \"file\": \"Alert.avsc\"}}",
                       1, "a-value");
        registry_fails("{\"a-value\": {\"id\": 3, \"file\": \"Alert.avsc\"},"
                       " \"b-value\": {\"id\": 3, \"file\": \"Alert.avsc\"}}",
                       1, "used twice");
        registry_fails("[1]", 0, "not a JSON object");
}
END_TEST

/* ----------------------------------------------------------------- */
/* Round trips                                                        */
/* ----------------------------------------------------------------- */

/** JSON text -> value of the same schema, asserting it equals \p orig. */
static void assert_json_equal(vg_avro_schema_t *sch, avro_value_t *orig,
                              int flags)
{
        avro_value_t back;
        char *json = vg_avro_to_json(orig, flags);

        ck_assert_ptr_nonnull(json);
        ck_assert_ptr_null(strchr(json, '\n'));
        ck_assert_int_eq(vg_avro_schema_value_new(sch, &back), VG_OK);
        ck_assert_msg(vg_avro_from_json(sch, json, strlen(json), &back,
                                        errstr, sizeof(errstr)) == VG_OK,
                      "flags %d: %s: %s", flags, errstr, json);
        ck_assert_msg(avro_value_equal(orig, &back), "flags %d: %s", flags,
                      json);
        avro_value_decref(&back);
        vg_free(json);
}

/* vg_avro_encode_into() gives the same bytes as vg_avro_encode(): into a
 * buffer too small (grown), one just large enough, one larger (reused). */
static void assert_encode_into(vg_avro_schema_t *sch, avro_value_t *val,
                               const void *want, size_t want_len)
{
        size_t starts[] = {0, 6, want_len, want_len + 100};
        for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
                size_t size = starts[i], len = 0;
                uint8_t *buf = size ? vg_malloc(size) : NULL;
                for (int round = 0; round < 2; round++) {
                        ck_assert_msg(vg_avro_encode_into(sch, val, &buf,
                                                          &size, &len, errstr,
                                                          sizeof(errstr)) ==
                                              VG_OK,
                                      "%s", errstr);
                        ck_assert_uint_eq(len, want_len);
                        ck_assert_uint_ge(size, want_len);
                        ck_assert_int_eq(memcmp(buf, want, len), 0);
                }
                vg_free(buf);
        }
}

START_TEST(test_round_trip_all)
{
        size_t i;

        for (i = 0; i < vg_avro_registry_count(reg); i++) {
                vg_avro_schema_t *sch = vg_avro_registry_at(reg, i), *dsch;
                avro_value_t val, *dval;
                void *buf;
                size_t len;
                const uint8_t *p;
                int32_t id = vg_avro_schema_id(sch);

                load_valid(sch, &val);
                ck_assert_msg(vg_avro_encode(sch, &val, &buf, &len, errstr,
                                             sizeof(errstr)) == VG_OK,
                              "%s", errstr);
                p = buf;
                ck_assert_int_gt(len, 5);
                ck_assert_int_eq(p[0], 0);
                ck_assert_int_eq(p[1], 0);
                ck_assert_int_eq(p[2], 0);
                ck_assert_int_eq(p[3], 0);
                ck_assert_int_eq(p[4], id);
                ck_assert_msg(vg_avro_decode(reg, buf, len, &dsch, &dval,
                                             errstr, sizeof(errstr)) == VG_OK,
                              "%s: %s", vg_avro_schema_name(sch), errstr);
                ck_assert_ptr_eq(dsch, sch);
                ck_assert_msg(avro_value_equal(&val, dval), "%s",
                              vg_avro_schema_name(sch));
                assert_json_equal(sch, dval, 0);
                assert_json_equal(sch, dval, VG_AVRO_JSON_F_PLAIN);
                assert_json_equal(sch, dval, VG_AVRO_JSON_F_ISO_TIME);
                assert_json_equal(sch, dval, VG_AVRO_JSON_F_PRETTY);
                assert_encode_into(sch, &val, buf, len);
                vg_free(buf);
                avro_value_decref(&val);
        }
}
END_TEST

START_TEST(test_fixture_values)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "Incident");
        avro_value_t val;
        const char *s;
        size_t len;
        int32_t i32;
        int64_t ms;

        load_valid(sch, &val);
        ck_assert_int_eq(vg_avro_get_str(&val, "number", &s, &len), VG_OK);
        ck_assert_str_eq(s, "INC0000045");
        ck_assert_int_eq(len, 10);
        /* "2" (string) -> int */
        ck_assert_int_eq(vg_avro_get_int(&val, "reassignment_count", &i32),
                         VG_OK);
        ck_assert_int_eq(i32, 2);
        /* UCI format "29/2/2016 01:16" */
        ck_assert_int_eq(vg_avro_get_long(&val, "opened_at", &ms), VG_OK);
        ck_assert_int_eq(ms, INT64_C(1456708560000));
        ck_assert_int_eq(vg_avro_get_long(&val, "sys_updated_on", &ms), VG_OK);
        ck_assert_int_eq(ms, INT64_C(1457258400000));
        /* "" and null -> null; sys_created_by (unknown) ignored */
        ck_assert_int_eq(vg_avro_get_str(&val, "caused_by", &s, NULL),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_get_str(&val, "description", &s, NULL),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_get_str(&val, "sys_created_by", &s, NULL),
                         VG_ERR_NOENT);
        avro_value_decref(&val);
}
END_TEST

START_TEST(test_to_json_exact)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "Factor");
        vg_avro_schema_t *cr  = vg_avro_registry_by_name(reg, "ChangeRequest");
        avro_value_t val;
        char *json;
        const char *in = "{\"number\": \"CHG1\", \"state\": \"New\", "
                         "\"description\": \"a \\\"q\\\"\\n\\u00e9\\u0001\","
                         "\"opened_at\": \"2016-03-01T22:00:00.123Z\", "
                         "\"sys_updated_on\": 1456869600000}";

        ck_assert_ptr_null(sch); /* nested records are not topics */
        ck_assert_int_eq(vg_avro_schema_value_new(cr, &val), VG_OK);
        ck_assert_int_eq(vg_avro_from_json(cr, in, strlen(in), &val, errstr,
                                           sizeof(errstr)), VG_OK);
        json = vg_avro_to_json(&val, VG_AVRO_JSON_F_PRETTY);
        ck_assert_str_eq(json,
                "{\"number\":\"CHG1\",\"state\":\"New\",\"type\":null,"
                "\"category\":null,\"assignment_group\":null,"
                "\"assigned_to\":null,\"cmdb_ci\":null,"
                "\"business_service\":null,\"risk\":null,"
                "\"impact\":null,\"priority\":null,"
                "\"opened_at\":\"2016-03-01T22:00:00.123Z\","
                "\"start_date\":null,\"end_date\":null,\"closed_at\":null,"
                "\"close_code\":null,\"short_description\":null,"
                "\"description\":\"a \\\"q\\\"\\n\xc3\xa9\\u0001\","
                "\"justification\":null,\"implementation_plan\":null,"
                "\"backout_plan\":null,\"test_plan\":null,"
                "\"sys_updated_on\":\"2016-03-01T22:00:00.000Z\"}");
        vg_free(json);
        json = vg_avro_to_json(&val, 0);
        ck_assert_ptr_nonnull(strstr(json, "\"state\":{\"string\":\"New\"}"));
        ck_assert_ptr_nonnull(strstr(json,
                                     "\"opened_at\":{\"long\":1456869600123}"));
        ck_assert_ptr_nonnull(strstr(json,
                                     "\"sys_updated_on\":1456869600000}"));
        vg_free(json);
        avro_value_decref(&val);
}
END_TEST

START_TEST(test_to_json_outputs)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "Alert");
        vg_avro_schema_t *dl  = vg_avro_registry_by_name(reg, "DeadLetter");
        avro_value_t val;
        char *json;
        const void *buf;
        size_t len;

        load_valid(sch, &val);
        json = vg_avro_to_json(&val, VG_AVRO_JSON_F_PRETTY);
        ck_assert_str_eq(json,
                "{\"alert_id\":\"RISKY_CHANGE:CHG0030012\","
                "\"kind\":\"RISKY_CHANGE\",\"severity\":\"HIGH\","
                "\"subject\":\"CHG0030012\",\"summary\":\"CHG0030012 on "
                "rtr-par-core-01: p_failure 0.83 (HIGH), 1 collision\","
                "\"evidence\":{\"p_failure\":\"0.83\","
                "\"collisions\":\"CHG0030015\"},"
                "\"source_topic\":\"itsm.changes.scored\","
                "\"event_time\":\"2016-03-02T03:10:05.000Z\","
                "\"created_at\":\"2016-03-02T03:10:05.200Z\"}");
        vg_free(json);
        avro_value_decref(&val);

        /* bytes: latin-1, NUL and 0xff survive */
        load_valid(dl, &val);
        ck_assert_int_eq(vg_avro_get_bytes(&val, "original", &buf, &len),
                         VG_OK);
        ck_assert_int_eq(len, 15);
        ck_assert_int_eq(memcmp(buf, "\0\0\0\0\1\xff\xfe garbage", 15), 0);
        json = vg_avro_to_json(&val, VG_AVRO_JSON_F_PRETTY);
        ck_assert_ptr_nonnull(strstr(json, "\"original\":\"\\u0000\\u0000"
                                           "\\u0000\\u0000\\u0001\xc3\xbf"
                                           "\xc3\xbe garbage\""));
        ck_assert_ptr_nonnull(strstr(json, "\"source_offset\":1234567890123"));
        vg_free(json);
        avro_value_decref(&val);
}
END_TEST

START_TEST(test_json_conversions)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "ChangeRisk");
        avro_value_t val, elem;
        const char *s;
        double d;
        int b;
        int64_t l;
        size_t n;
        const char *in =
            "{\"number\": \"C\", \"p_failure\": \"0.25\", "
            "\"risk_band\": \"LOW\", \"top_factors\": [{\"feature\": \"f\", "
            "\"value\": {\"string\": \"v\"}, \"contribution\": 2}], "
            "\"cluster_id\": \"-12\", \"cluster_failure_rate\": 1, "
            "\"similar\": [], \"team_changes_90d\": \"7\", "
            "\"team_failure_rate_90d\": 0.5, \"ci_failures_90d\": 0, "
            "\"ci_incidents_30d\": 0, \"collisions\": [], "
            "\"recommendations\": [\"r1\"], \"context_degraded\": \"true\", "
            "\"model_version\": \"m\", \"event_time\": \"1/3/2016 22:00\", "
            "\"scored_at\": \"1456869600000\", \"extra\": {\"x\": [1]}}";

        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        ck_assert_msg(vg_avro_from_json(sch, in, strlen(in), &val, errstr,
                                        sizeof(errstr)) == VG_OK, "%s",
                      errstr);
        ck_assert_int_eq(vg_avro_get_double(&val, "p_failure", &d), VG_OK);
        ck_assert(d == 0.25);
        ck_assert_int_eq(vg_avro_get_double(&val, "cluster_failure_rate", &d),
                         VG_OK);
        ck_assert(d == 1.0);
        ck_assert_int_eq(vg_avro_get_long(&val, "cluster_id", &l), VG_OK);
        ck_assert_int_eq(l, -12);
        ck_assert_int_eq(vg_avro_get_bool(&val, "context_degraded", &b),
                         VG_OK);
        ck_assert_int_eq(b, 1);
        ck_assert_int_eq(vg_avro_get_long(&val, "event_time", &l), VG_OK);
        ck_assert_int_eq(l, INT64_C(1456869600000));
        ck_assert_int_eq(vg_avro_get_long(&val, "scored_at", &l), VG_OK);
        ck_assert_int_eq(l, INT64_C(1456869600000));
        ck_assert_int_eq(vg_avro_get_enum(&val, "risk_band", &s), VG_OK);
        ck_assert_str_eq(s, "LOW");
        ck_assert_int_eq(vg_avro_get_field(&val, "top_factors", &elem), VG_OK);
        ck_assert_int_eq(avro_value_get_size(&elem, &n), 0);
        ck_assert_int_eq(n, 1);
        ck_assert_int_eq(avro_value_get_by_index(&elem, 0, &elem, NULL), 0);
        ck_assert_int_eq(vg_avro_get_str(&elem, "value", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "v");
        ck_assert_int_eq(vg_avro_get_double(&elem, "contribution", &d), VG_OK);
        ck_assert(d == 2.0);

        /* context_degraded omitted: its default, false */
        in = "{\"number\": \"C\", \"p_failure\": 0, \"risk_band\": \"LOW\", "
             "\"top_factors\": [], \"cluster_id\": 0, "
             "\"cluster_failure_rate\": 0, \"similar\": [], "
             "\"team_changes_90d\": 0, \"team_failure_rate_90d\": 0, "
             "\"ci_failures_90d\": 0, \"ci_incidents_30d\": 0, "
             "\"collisions\": [], \"recommendations\": [], "
             "\"model_version\": \"m\", \"event_time\": 0, \"scored_at\": 0}";
        ck_assert_int_eq(vg_avro_from_json(sch, in, strlen(in), &val, errstr,
                                           sizeof(errstr)), VG_OK);
        ck_assert_int_eq(vg_avro_get_bool(&val, "context_degraded", &b),
                         VG_OK);
        ck_assert_int_eq(b, 0);
        /* the value was reset: the old factor is gone */
        ck_assert_int_eq(vg_avro_get_field(&val, "top_factors", &elem), VG_OK);
        avro_value_get_size(&elem, &n);
        ck_assert_int_eq(n, 0);
        avro_value_decref(&val);
}
END_TEST

/* ----------------------------------------------------------------- */
/* Bad input                                                          */
/* ----------------------------------------------------------------- */

#define JSON_FAILS(rec, json, expect)                                          \
        json_fails(rec, json, strlen(json), expect)

static void json_fails(const char *record, const char *json, size_t len,
                       const char *expect)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, record);
        avro_value_t val;

        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        ck_assert_int_eq(vg_avro_from_json(sch, json, len, &val, errstr,
                                           sizeof(errstr)), VG_ERR_INVALID);
        ck_assert_msg(strncmp(errstr, expect, strlen(expect)) == 0,
                      "got \"%s\", expected \"%s...\"", errstr, expect);
        avro_value_decref(&val);
}

START_TEST(test_invalid_fixtures)
{
        static const struct {
                const char *file, *record, *expect;
        } cases[] = {
                {"ChangeRequest-bad-timestamp.json", "ChangeRequest",
                 "opened_at: cannot parse timestamp \"2016-13-01 10:00:00\": "
                 "month out of range"},
                {"ChangeRequest-missing-number.json", "ChangeRequest",
                 "number: required field missing"},
                {"Incident-wrong-type.json", "Incident",
                 "reassignment_count: expected integer, got string \"two\""},
                {"Incident-wrong-type-bool.json", "Incident",
                 "reopen_count: expected integer, got boolean"},
                {"Incident-invalid-date.json", "Incident",
                 "sys_updated_on: cannot parse timestamp \"31/02/2016 "
                 "10:00\": day out of range"},
                {"Incident-truncated-json.json", "Incident",
                 ": invalid JSON at line 2 column 0: "},
                {"Incident-invalid-json.json", "Incident",
                 ": invalid JSON at line 1 column 14: "},
                {"Incident-not-object.json", "Incident",
                 ": expected object, got array"},
                {"Alert-unknown-enum.json", "Alert",
                 "severity: unknown enum symbol \"SEVERE\" (expected one of "
                 "INFO, WARNING, HIGH, CRITICAL)"},
                {"Alert-map-value-type.json", "Alert",
                 "evidence.k: expected string, got integer"},
                {"ChangeRisk-nested-type.json", "ChangeRisk",
                 "top_factors[0].contribution: expected number, got string "
                 "\"high\""},
                {"SurveyResponse-int-range.json", "SurveyResponse",
                 "score: 3000000000 out of range for integer"},
                {"DeadLetter-bytes-not-latin1.json", "DeadLetter",
                 "original: character at byte 5 is not latin-1"},
                {"Feedback-unknown-action.json", "Feedback",
                 "action: unknown enum symbol \"SET_PRIORITY\" (expected "
                 "one of CONFIRM_CHANGE, REJECT_CHANGE, SET_CAUSE, "
                 "SET_SUB_CAUSE, SET_GROUP)"},
        };
        size_t i, len;

        for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                char *json = fixture("invalid", cases[i].file, &len);
                json_fails(cases[i].record, json, len, cases[i].expect);
                vg_free(json);
        }
}
END_TEST

START_TEST(test_json_edge_errors)
{
        JSON_FAILS("Incident", "", ": invalid JSON at line 1 column 0");
        JSON_FAILS("Incident", "{\"number\": null, \"sys_updated_on\": 0}",
                   "number: required field missing");
        JSON_FAILS("Incident", "{\"number\": \"I\", \"sys_updated_on\": \"\"}",
                   "sys_updated_on: cannot parse timestamp \"\": empty");
        JSON_FAILS("Incident", "{\"number\": 5, \"sys_updated_on\": 0}",
                   "number: expected string, got integer");
        JSON_FAILS("Incident", "{\"number\": \"I\", \"sys_updated_on\": 1.5}",
                   "sys_updated_on: expected timestamp, got real");
        JSON_FAILS("Alert", "{\"alert_id\": \"a\", \"kind\": \"K\", "
                   "\"severity\": 3}",
                   "severity: expected enum symbol, got integer");
        JSON_FAILS("Incident", "{\"number\": \"I\", \"sys_updated_on\": 0, "
                   "\"reopen_count\": 1.0}",
                   "reopen_count: expected integer, got real");
}
END_TEST

/** Encodes valid/<Record>.json. */
static void *encode_valid(const char *record, size_t *lenp)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, record);
        avro_value_t val;
        void *buf;

        load_valid(sch, &val);
        ck_assert_int_eq(vg_avro_encode(sch, &val, &buf, lenp, errstr,
                                        sizeof(errstr)), VG_OK);
        avro_value_decref(&val);
        return buf;
}

static void decode_fails(const void *buf, size_t len, vg_err_t code,
                         const char *expect)
{
        avro_value_t *val = NULL;

        ck_assert_int_eq(vg_avro_decode(reg, buf, len, NULL, &val, errstr,
                                        sizeof(errstr)), code);
        ck_assert_msg(strstr(errstr, expect) != NULL,
                      "got \"%s\", expected \"%s\"", errstr, expect);
        ck_assert_ptr_null(val);
}

START_TEST(test_decode_errors)
{
        size_t len, cut;
        uint8_t *buf = encode_valid("ChangeRequest", &len), *big;

        decode_fails("", 0, VG_ERR_DECODE, "empty message (0 bytes)");
        decode_fails("\0\0\0", 3, VG_ERR_DECODE,
                     "message too short (3 bytes)");
        decode_fails("{\"number\":1}", 12, VG_ERR_DECODE,
                     "wrong magic byte 0x7b at offset 0 (expected 0x00)");
        decode_fails("\0\0\0\0\x63xx", 7, VG_ERR_SCHEMA,
                     "unknown schema id 99");
        decode_fails("\0\xff\xff\xff\xff", 5, VG_ERR_SCHEMA,
                     "unknown schema id -1");
        /* header only: the body is missing */
        decode_fails(buf, 5, VG_ERR_DECODE, "truncated Avro body at offset 0");
        for (cut = 5; cut < len; cut++)
                decode_fails(buf, cut, VG_ERR_DECODE, "truncated Avro body");

        big = vg_malloc(len + 3);
        memcpy(big, buf, len);
        memcpy(big + len, "xyz", 3);
        decode_fails(big, len + 3, VG_ERR_DECODE,
                     "trailing garbage: 3 bytes after the "
                     "vigie.v1.ChangeRequest record");

        /* a union index out of range: field 2 ("state") is ["null",
         * "string"]: after "CHG0030012" (1 + 10 bytes) comes its index */
        memcpy(big, buf, len);
        ck_assert_int_eq(big[5], 20); /* zig-zag 10 */
        ck_assert_int_eq(big[16], 2); /* index 1 */
        big[16] = 8;                  /* index 4 */
        decode_fails(big, len, VG_ERR_DECODE,
                     "corrupt Avro body at offset 12 of");
        decode_fails(big, len, VG_ERR_DECODE, "union index 4 out of range");
        /* a negative string length */
        memcpy(big, buf, len);
        big[5] = 3; /* zig-zag -2 */
        decode_fails(big, len, VG_ERR_DECODE, "negative string length -2");
        /* a huge string length: no allocation attempt */
        memcpy(big, buf, len);
        memcpy(big + 5, "\xfe\xff\xff\xff\xff\xff\xff\xff\x7f", 9);
        decode_fails(big, len, VG_ERR_DECODE, "truncated Avro body");
        vg_free(big);
        vg_free(buf);
}
END_TEST

START_TEST(test_decode_reuse)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "Incident");
        avro_value_t val, *dval, *dval2;
        void *b1, *b2;
        size_t l1, l2;
        const char *s;
        const char *in = "{\"number\": \"INC2\", \"u_cause\": \"Hardware\", "
                         "\"sys_updated_on\": 5}";

        b1 = encode_valid("Incident", &l1);
        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        ck_assert_int_eq(vg_avro_from_json(sch, in, strlen(in), &val, errstr,
                                           sizeof(errstr)), VG_OK);
        ck_assert_int_eq(vg_avro_encode(sch, &val, &b2, &l2, errstr,
                                        sizeof(errstr)), VG_OK);
        ck_assert_int_eq(vg_avro_decode(reg, b1, l1, NULL, &dval, errstr,
                                        sizeof(errstr)), VG_OK);
        ck_assert_int_eq(vg_avro_get_str(dval, "rfc", &s, NULL), VG_OK);
        ck_assert_int_eq(vg_avro_decode(reg, b2, l2, NULL, &dval2, errstr,
                                        sizeof(errstr)), VG_OK);
        ck_assert_ptr_eq(dval, dval2); /* the same, reused value */
        ck_assert_int_eq(vg_avro_get_str(dval2, "rfc", &s, NULL),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_get_str(dval2, "u_cause", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "Hardware");
        ck_assert(avro_value_equal(&val, dval2));
        avro_value_decref(&val);
        vg_free(b1);
        vg_free(b2);
}
END_TEST

START_TEST(test_encode_wrong_schema)
{
        vg_avro_schema_t *a = vg_avro_registry_by_name(reg, "Alert");
        vg_avro_schema_t *c = vg_avro_registry_by_name(reg, "ChangeRequest");
        avro_value_t val;
        void *buf = NULL;
        size_t len;

        ck_assert_int_eq(vg_avro_schema_value_new(a, &val), VG_OK);
        ck_assert_int_eq(vg_avro_encode(c, &val, &buf, &len, errstr,
                                        sizeof(errstr)), VG_ERR_SCHEMA);
        ck_assert_str_eq(errstr, "value of Alert is not a "
                                 "vigie.v1.ChangeRequest");
        ck_assert_ptr_null(buf);
        uint8_t *ibuf = NULL;
        size_t isize  = 0;
        ck_assert_int_eq(vg_avro_encode_into(c, &val, &ibuf, &isize, &len,
                                             errstr, sizeof(errstr)),
                         VG_ERR_SCHEMA);
        ck_assert_ptr_null(ibuf);
        ck_assert_int_eq(vg_avro_from_json(c, "{}", 2, &val, errstr,
                                           sizeof(errstr)), VG_ERR_SCHEMA);
        avro_value_decref(&val);
}
END_TEST

/* ----------------------------------------------------------------- */
/* UTF-8 in strings                                                   */
/* ----------------------------------------------------------------- */

/* Avro strings are UTF-8: a body whose string is not is refused, with
 * the field and the byte named (avro-c itself takes any bytes). */
START_TEST(test_decode_invalid_utf8)
{
        static const struct {
                size_t at;          /* byte of "CHG0030012" replaced */
                const char *bytes;
                const char *want;
        } cases[] = {
                {3, "\xff", "field \"number\": invalid UTF-8 at byte 3 "
                            "(0xff) of 10"},
                {0, "\xe9", "field \"number\": invalid UTF-8 at byte 0 "
                            "(0xe9) of 10"},                 /* latin-1 */
                {1, "\xc0\xaf", "at byte 1 (0xc0) of 10"},   /* overlong */
                {4, "\xed\xa0\x80", "at byte 4 (0xed) of 10"}, /* surrogate */
                {2, "\xf4\x90\x80\x80", "at byte 2 (0xf4)"}, /* > 10FFFF */
                {5, "\x80", "at byte 5 (0x80)"},    /* stray continuation */
                {8, "\xe2\x82", "at byte 8 (0xe2) of 10"},   /* cut short */
        };
        size_t len;
        uint8_t *buf = encode_valid("ChangeRequest", &len);
        uint8_t *bad = vg_malloc(len);

        /* field 0, "number", is "CHG0030012": body bytes 1..10 */
        ck_assert_int_eq(buf[5], 20);
        ck_assert_int_eq(memcmp(buf + 6, "CHG0030012", 10), 0);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                memcpy(bad, buf, len);
                memcpy(bad + 6 + cases[i].at, cases[i].bytes,
                       strlen(cases[i].bytes));
                decode_fails(bad, len, VG_ERR_DECODE, cases[i].want);
                decode_fails(bad, len, VG_ERR_DECODE, "field \"number\": ");
        }
        vg_free(bad);
        vg_free(buf);
}
END_TEST

/** Encodes \p val, then checks that decoding it fails with \p want. */
static void encoded_fails(vg_avro_schema_t *sch, avro_value_t *val,
                          const char *want)
{
        void *buf;
        size_t len;

        ck_assert_int_eq(vg_avro_encode(sch, val, &buf, &len, errstr,
                                        sizeof(errstr)), VG_OK);
        decode_fails(buf, len, VG_ERR_DECODE, want);
        vg_free(buf);
}

/* Nested strings: array items, nullable unions, map values and keys. */
START_TEST(test_decode_invalid_utf8_nested)
{
        vg_avro_schema_t *risk  = vg_avro_registry_by_name(reg, "ChangeRisk");
        vg_avro_schema_t *alert = vg_avro_registry_by_name(reg, "Alert");
        avro_value_t val, arr, el;

        load_valid(risk, &val);
        ck_assert_int_eq(avro_value_get_by_name(&val, "top_factors", &arr,
                                                NULL), 0);
        ck_assert_int_eq(avro_value_get_by_index(&arr, 1, &el, NULL), 0);
        ck_assert_int_eq(vg_avro_set_str(&el, "feature", "ok\xe9"), VG_OK);
        encoded_fails(risk, &val, "field \"top_factors[1].feature\": "
                                  "invalid UTF-8 at byte 2 (0xe9) of 3");
        ck_assert_int_eq(vg_avro_set_str(&el, "feature", "ok"), VG_OK);
        ck_assert_int_eq(avro_value_get_by_index(&arr, 0, &el, NULL), 0);
        ck_assert_int_eq(vg_avro_set_str(&el, "value", "0.3\xff"), VG_OK);
        encoded_fails(risk, &val, "field \"top_factors[0].value\": "
                                  "invalid UTF-8 at byte 3");
        ck_assert_int_eq(vg_avro_set_str(&el, "value", "0.3"), VG_OK);
        ck_assert_int_eq(vg_avro_append_str(&val, "recommendations",
                                            "\xed\xbf\xbf"), VG_OK);
        encoded_fails(risk, &val, "field \"recommendations[2]\": invalid "
                                  "UTF-8 at byte 0 (0xed) of 3");
        avro_value_decref(&val);

        load_valid(alert, &val);
        ck_assert_int_eq(vg_avro_map_set_str(&val, "evidence", "ci",
                                             "rtr\xc3("), VG_OK);
        encoded_fails(alert, &val, "field \"evidence[\"ci\"]\": invalid "
                                   "UTF-8 at byte 3 (0xc3) of 5");
        avro_value_decref(&val);
        load_valid(alert, &val);
        ck_assert_int_eq(vg_avro_map_set_str(&val, "evidence", "c\xffi", "x"),
                         VG_OK);
        encoded_fails(alert, &val, "field \"evidence\": invalid UTF-8 in a "
                                   "map key at byte 1 (0xff) of 3");
        avro_value_decref(&val);
}
END_TEST

/* Valid multi-byte UTF-8, from 2 to 4 bytes and up to U+10FFFF, passes
 * the check and reads back byte for byte. */
START_TEST(test_decode_valid_utf8)
{
        static const char *texts[] = {
                "Équipe Poste de travail",
                "Mise à jour \"noyau\" ☃ 😀",
                "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
                "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
        };
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "ChangeRequest");
        avro_value_t val, *dval;
        const char *s;
        void *buf;
        size_t len;

        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
                load_valid(sch, &val);
                ck_assert_int_eq(vg_avro_set_str(&val, "number", texts[i]),
                                 VG_OK);
                ck_assert_int_eq(vg_avro_set_str(&val, "short_description",
                                                 texts[i]), VG_OK);
                ck_assert_int_eq(vg_avro_encode(sch, &val, &buf, &len, errstr,
                                                sizeof(errstr)), VG_OK);
                ck_assert_msg(vg_avro_decode(reg, buf, len, NULL, &dval,
                                             errstr, sizeof(errstr)) == VG_OK,
                              "%s: %s", texts[i], errstr);
                ck_assert_int_eq(vg_avro_get_str(dval, "number", &s, NULL),
                                 VG_OK);
                ck_assert_str_eq(s, texts[i]);
                ck_assert(avro_value_equal(&val, dval));
                vg_free(buf);
                avro_value_decref(&val);
        }
}
END_TEST

/* JSON input (vigie-ctl produce) goes through jansson, which refuses
 * ill-formed UTF-8 and lone surrogate escapes itself: nothing invalid
 * reaches an Avro string from there. */
START_TEST(test_json_invalid_utf8)
{
        static const char *bad[] = {
                "{\"number\":\"CHG\xff\",\"sys_updated_on\":1}",
                "{\"number\":\"CHG\xc0\xaf\",\"sys_updated_on\":1}",
                "{\"number\":\"CHG\xed\xa0\x80\",\"sys_updated_on\":1}",
                "{\"number\":\"CHG\xe2\x82\",\"sys_updated_on\":1}",
                "{\"number\":\"CHG\\ud800\",\"sys_updated_on\":1}",
                "{\"number\":\"CHG\\udc00x\",\"sys_updated_on\":1}",
                "{\"number\":\"CHG\",\"sys_updated_on\":1,\"x\xff\":1}",
        };
        const char *good = "{\"number\":\"CHG\\ud83d\\ude00\\u00e9\","
                           "\"sys_updated_on\":1}";
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "ChangeRequest");
        avro_value_t val;
        const char *s;

        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ck_assert_int_eq(vg_avro_from_json(sch, bad[i], strlen(bad[i]),
                                                   &val, errstr,
                                                   sizeof(errstr)),
                                 VG_ERR_INVALID);
                ck_assert_msg(strstr(errstr, "invalid JSON") != NULL,
                              "case %zu: %s", i, errstr);
        }
        ck_assert_int_eq(vg_avro_from_json(sch, good, strlen(good), &val,
                                           errstr, sizeof(errstr)), VG_OK);
        ck_assert_int_eq(vg_avro_get_str(&val, "number", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "CHG\xf0\x9f\x98\x80\xc3\xa9");
        avro_value_decref(&val);
}
END_TEST

/* ----------------------------------------------------------------- */
/* Robustness                                                         */
/* ----------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
        uint64_t x = rng_state;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return rng_state = x;
}

/** Decodes \p buf: must succeed or fail cleanly; a success renders. */
static int fuzz_one(const uint8_t *buf, size_t len)
{
        avro_value_t *val;
        char *json;

        if (vg_avro_decode(reg, buf, len, NULL, &val, errstr,
                           sizeof(errstr)) != VG_OK) {
                ck_assert(errstr[0] != '\0');
                return 0;
        }
        json = vg_avro_to_json(val, VG_AVRO_JSON_F_PRETTY);
        ck_assert_ptr_nonnull(json);
        vg_free(json);
        return 1;
}

START_TEST(test_fuzz_random)
{
        uint8_t buf[256];
        size_t i, j, len;
        int ok = 0;

        for (i = 0; i < 20000; i++) {
                len = rng() % sizeof(buf);
                for (j = 0; j < len; j++)
                        buf[j] = (uint8_t)rng();
                if (len >= 5 && (i & 1)) { /* a valid header, random body */
                        memset(buf, 0, 4);
                        buf[4] = (uint8_t)(1 + rng() % 8);
                }
                ok += fuzz_one(buf, len);
        }
        /* some random bodies do decode (e.g. small DeadLetter/Alert) */
        ck_assert_int_ge(ok, 0);
}
END_TEST

START_TEST(test_fuzz_mutations)
{
        size_t i, k, n;

        for (i = 0; i < vg_avro_registry_count(reg); i++) {
                const char *name = strrchr(vg_avro_schema_name(
                                       vg_avro_registry_at(reg, i)), '.') + 1;
                size_t len;
                uint8_t *orig = encode_valid(name, &len);
                uint8_t *buf  = vg_malloc(len);

                for (n = 0; n < 3000; n++) {
                        memcpy(buf, orig, len);
                        for (k = 0; k < 1 + rng() % 4; k++) {
                                size_t pos = 5 + rng() % (len - 5);
                                if (rng() & 1)
                                        buf[pos] ^= (uint8_t)(1u
                                                              << (rng() % 8));
                                else
                                        buf[pos] = (uint8_t)rng();
                        }
                        fuzz_one(buf, len);
                        fuzz_one(buf, 5 + rng() % (len - 5)); /* truncated */
                }
                vg_free(buf);
                vg_free(orig);
        }
}
END_TEST

/* ----------------------------------------------------------------- */
/* Accessors                                                          */
/* ----------------------------------------------------------------- */

START_TEST(test_accessors_get)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "ChangeRequest");
        avro_value_t val;
        const char *s;
        int32_t i32;
        int64_t l;
        double d;
        int b;

        load_valid(sch, &val);
        ck_assert_int_eq(vg_avro_get_str(&val, "cmdb_ci", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "rtr-par-core-01");
        ck_assert_int_eq(vg_avro_get_long(&val, "closed_at", &l), VG_OK);
        ck_assert_int_eq(l, INT64_C(1456888205000));
        /* "" for a nullable field means null */
        ck_assert_int_eq(vg_avro_get_str(&val, "backout_plan", &s, NULL),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_get_str(&val, "no_such_field", &s, NULL),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_get_int(&val, "number", &i32),
                         VG_ERR_INVALID);
        ck_assert_int_eq(vg_avro_get_double(&val, "number", &d),
                         VG_ERR_INVALID);
        ck_assert_int_eq(vg_avro_get_bool(&val, "state", &b), VG_ERR_INVALID);
        ck_assert_int_eq(vg_avro_get_long(&val, "state", &l), VG_ERR_INVALID);
        avro_value_decref(&val);
}
END_TEST

START_TEST(test_accessors_build_output)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "ChangeRisk");
        vg_avro_schema_t *al  = vg_avro_registry_by_name(reg, "Alert");
        avro_value_t val, f, *dval;
        void *buf;
        size_t len;
        const char *s;
        int32_t i32;
        int b;
        char *json;

        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        /* defaults already applied */
        ck_assert_int_eq(vg_avro_get_bool(&val, "context_degraded", &b),
                         VG_OK);
        ck_assert_int_eq(b, 0);
        ck_assert_int_eq(vg_avro_set_str(&val, "number", "CHG9"), VG_OK);
        ck_assert_int_eq(vg_avro_set_double(&val, "p_failure", 0.9), VG_OK);
        ck_assert_int_eq(vg_avro_set_enum(&val, "risk_band", "CRITICAL"),
                         VG_OK);
        ck_assert_int_eq(vg_avro_set_enum(&val, "risk_band", "HUGE"),
                         VG_ERR_INVALID);
        ck_assert_int_eq(vg_avro_append(&val, "top_factors", &f), VG_OK);
        ck_assert_int_eq(vg_avro_set_str(&f, "feature", "ci_incidents_30d"),
                         VG_OK);
        ck_assert_int_eq(vg_avro_set_double(&f, "contribution", -0.5), VG_OK);
        /* Factor.value left to its default: null */
        ck_assert_int_eq(vg_avro_set_int(&val, "cluster_id", 3), VG_OK);
        ck_assert_int_eq(vg_avro_set_long(&val, "team_changes_90d", 12), VG_OK);
        ck_assert_int_eq(vg_avro_set_long(&val, "ci_failures_90d",
                                          INT64_C(1) << 40), VG_ERR_INVALID);
        ck_assert_int_eq(vg_avro_set_int(&val, "ci_incidents_30d", 4), VG_OK);
        ck_assert_int_eq(vg_avro_append_str(&val, "collisions", "CHG8"),
                         VG_OK);
        ck_assert_int_eq(vg_avro_append_str(&val, "top_factors", "x"),
                         VG_ERR_INVALID);
        ck_assert_int_eq(vg_avro_set_bool(&val, "context_degraded", 1), VG_OK);
        ck_assert_int_eq(vg_avro_set_str(&val, "model_version", "m1"), VG_OK);
        ck_assert_int_eq(vg_avro_set_long(&val, "event_time", 1000), VG_OK);
        ck_assert_int_eq(vg_avro_set_long(&val, "scored_at", 2000), VG_OK);
        ck_assert_int_eq(vg_avro_set_null(&val, "number"), VG_ERR_INVALID);
        ck_assert_int_eq(vg_avro_set_str(&val, "nope", "x"), VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_set_str(&val, "p_failure", "x"),
                         VG_ERR_INVALID);

        ck_assert_msg(vg_avro_encode(sch, &val, &buf, &len, errstr,
                                     sizeof(errstr)) == VG_OK, "%s", errstr);
        ck_assert_int_eq(vg_avro_decode(reg, buf, len, NULL, &dval, errstr,
                                        sizeof(errstr)), VG_OK);
        json = vg_avro_to_json(dval, VG_AVRO_JSON_F_PRETTY);
        ck_assert_str_eq(json,
                "{\"number\":\"CHG9\",\"p_failure\":0.9,"
                "\"risk_band\":\"CRITICAL\",\"top_factors\":[{\"feature\":"
                "\"ci_incidents_30d\",\"value\":null,\"contribution\":-0.5}],"
                "\"cluster_id\":3,\"cluster_failure_rate\":0,\"similar\":[],"
                "\"team_changes_90d\":12,\"team_failure_rate_90d\":0,"
                "\"ci_failures_90d\":0,\"ci_incidents_30d\":4,"
                "\"collisions\":[\"CHG8\"],\"recommendations\":[],"
                "\"context_degraded\":true,\"model_version\":\"m1\","
                "\"event_time\":\"1970-01-01T00:00:01.000Z\","
                "\"scored_at\":\"1970-01-01T00:00:02.000Z\"}");
        vg_free(json);
        vg_free(buf);

        /* reset: back to defaults, the arrays emptied */
        ck_assert_int_eq(vg_avro_value_reset(&val), VG_OK);
        ck_assert_int_eq(vg_avro_get_bool(&val, "context_degraded", &b),
                         VG_OK);
        ck_assert_int_eq(b, 0);
        avro_value_decref(&val);

        ck_assert_int_eq(vg_avro_schema_value_new(al, &val), VG_OK);
        ck_assert_int_eq(vg_avro_map_set_str(&val, "evidence", "k", "v"),
                         VG_OK);
        ck_assert_int_eq(vg_avro_map_set_str(&val, "summary", "k", "v"),
                         VG_ERR_INVALID);
        ck_assert_int_eq(vg_avro_get_field(&val, "evidence", &f), VG_OK);
        ck_assert_int_eq(avro_value_get_by_name(&f, "k", &f, NULL), 0);
        ck_assert_int_eq(avro_value_get_string(&f, &s, &len), 0);
        ck_assert_str_eq(s, "v");
        ck_assert_int_eq(vg_avro_set_int(&val, "event_time", 7), VG_OK);
        ck_assert_int_eq(vg_avro_get_int(&val, "event_time", &i32),
                         VG_ERR_INVALID); /* a long */
        avro_value_decref(&val);
}
END_TEST

START_TEST(test_nullable_setters)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "Incident");
        avro_value_t val;
        int32_t i32;
        double d;
        const char *s;

        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        ck_assert_int_eq(vg_avro_get_int(&val, "reopen_count", &i32),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_set_int(&val, "reopen_count", 3), VG_OK);
        ck_assert_int_eq(vg_avro_get_int(&val, "reopen_count", &i32), VG_OK);
        ck_assert_int_eq(i32, 3);
        ck_assert_int_eq(vg_avro_get_double(&val, "reopen_count", &d), VG_OK);
        ck_assert(d == 3.0);
        ck_assert_int_eq(vg_avro_set_null(&val, "reopen_count"), VG_OK);
        ck_assert_int_eq(vg_avro_get_int(&val, "reopen_count", &i32),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_set_strn(&val, "u_cause", "Hardware!!", 8),
                         VG_OK);
        ck_assert_int_eq(vg_avro_get_str(&val, "u_cause", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "Hardware");
        avro_value_decref(&val);
}
END_TEST

static Suite *avro_suite(void)
{
        Suite *s = suite_create("avro");
        TCase *tc;

        tc = tcase_create("Schemas");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_schema_files);
        tcase_add_test(tc, test_schema_lint_rejects);
        tcase_add_test(tc, test_registry_lookup);
        tcase_add_test(tc, test_registry_errors);
        suite_add_tcase(s, tc);

        tc = tcase_create("RoundTrip");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_round_trip_all);
        tcase_add_test(tc, test_fixture_values);
        tcase_add_test(tc, test_to_json_exact);
        tcase_add_test(tc, test_to_json_outputs);
        tcase_add_test(tc, test_json_conversions);
        tcase_add_test(tc, test_decode_reuse);
        suite_add_tcase(s, tc);

        tc = tcase_create("BadInput");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_invalid_fixtures);
        tcase_add_test(tc, test_json_edge_errors);
        tcase_add_test(tc, test_decode_errors);
        tcase_add_test(tc, test_encode_wrong_schema);
        suite_add_tcase(s, tc);

        tc = tcase_create("Utf8");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_decode_invalid_utf8);
        tcase_add_test(tc, test_decode_invalid_utf8_nested);
        tcase_add_test(tc, test_decode_valid_utf8);
        tcase_add_test(tc, test_json_invalid_utf8);
        suite_add_tcase(s, tc);

        tc = tcase_create("Robustness");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_fuzz_random);
        tcase_add_test(tc, test_fuzz_mutations);
        suite_add_tcase(s, tc);

        tc = tcase_create("Accessors");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_accessors_get);
        tcase_add_test(tc, test_accessors_build_output);
        tcase_add_test(tc, test_nullable_setters);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(avro_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
