/**
 * @file check_csv.c
 * @brief Unit tests of ctl_csv (common/tools): the RFC 4180 reader
 *        (quotes, embedded newlines, CRLF, nulls, bad records and their
 *        file:line), the header's binding to a schema (renames, required
 *        fields) and rows converted to Avro (both date forms, numbers,
 *        booleans).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_csv.h"
#include "vg_avro.h"

/* 2016-02-29T01:16:00Z */
#define T_0116 INT64_C(1456708560000)

static vg_avro_registry_t *reg;
static FILE *fp;
static ctl_csv_t *csv;
static avro_value_t val;
static int have_val;

static void setup(void)
{
        char errstr[512];

        reg = vg_avro_registry_new(VG_SCHEMA_DIR, NULL, errstr,
                                   sizeof(errstr));
        ck_assert_msg(reg != NULL, "%s", errstr);
}

static void teardown(void)
{
        if (have_val)
                avro_value_decref(&val);
        have_val = 0;
        ctl_csv_destroy(csv);
        csv = NULL;
        if (fp)
                fclose(fp);
        fp = NULL;
        vg_avro_registry_destroy(reg);
        reg = NULL;
}

/* A reader of the bytes \p text[0..len) named "in.csv". */
static ctl_csv_t *open_n(const char *text, size_t len)
{
        static char copy[8192];

        ck_assert_uint_lt(len, sizeof(copy));
        memcpy(copy, text, len);
        fp = fmemopen(copy, len, "r");
        ck_assert_ptr_nonnull(fp);
        csv = ctl_csv_new(fp, "in.csv");
        return csv;
}

static ctl_csv_t *open_s(const char *text)
{
        return open_n(text, strlen(text));
}

static void next_row(size_t nf)
{
        char errstr[512] = "";

        ck_assert_msg(ctl_csv_next(csv, errstr, sizeof(errstr)) ==
                      CTL_CSV_ROW, "not a row: %s", errstr);
        ck_assert_uint_eq(ctl_csv_nfields(csv), nf);
}

static void field_is(size_t i, const char *want, int quoted)
{
        size_t len;
        const char *s = ctl_csv_field(csv, i, &len);

        ck_assert_uint_eq(len, strlen(want));
        ck_assert_str_eq(s, want);
        ck_assert_int_eq(ctl_csv_quoted(csv, i), quoted);
}

/* Binds the header to record \p schema, with the rename \p map1 if not
 * NULL, and creates the value rows are read into. */
static void header(const char *schema, const char *map1)
{
        char errstr[512] = "";
        ctl_csv_map_t *map = ctl_csv_map_new();
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, schema);

        ck_assert_ptr_nonnull(sch);
        if (map1)
                ck_assert_int_eq(ctl_csv_map_add(map, map1, errstr,
                                                 sizeof(errstr)), VG_OK);
        ck_assert_msg(ctl_csv_header(csv, sch, map, errstr,
                                     sizeof(errstr)) == VG_OK, "%s", errstr);
        ctl_csv_map_destroy(map);
        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        have_val = 1;
}

static void read_ok(void)
{
        char errstr[512] = "";

        ck_assert_msg(ctl_csv_read(csv, &val, errstr, sizeof(errstr)) ==
                      CTL_CSV_ROW, "row refused: %s", errstr);
}

/* The next row is refused with a message starting with \p prefix. */
static void read_bad(const char *prefix)
{
        char errstr[512] = "";

        ck_assert_int_eq(ctl_csv_read(csv, &val, errstr, sizeof(errstr)),
                         CTL_CSV_BAD);
        ck_assert_msg(!strncmp(errstr, prefix, strlen(prefix)),
                      "\"%s\" does not start with \"%s\"", errstr, prefix);
}

static void read_eof(void)
{
        char errstr[512] = "";

        ck_assert_int_eq(ctl_csv_read(csv, &val, errstr, sizeof(errstr)),
                         CTL_CSV_EOF);
}

static void str_is(const char *field, const char *want)
{
        const char *s = NULL;

        ck_assert_msg(vg_avro_get_str(&val, field, &s, NULL) == VG_OK,
                      "%s not set", field);
        ck_assert_str_eq(s, want);
}

static void long_is(const char *field, int64_t want)
{
        int64_t v = -1;

        ck_assert_msg(vg_avro_get_long(&val, field, &v) == VG_OK,
                      "%s not set", field);
        ck_assert_int_eq(v, want);
}

static void is_null(const char *field)
{
        avro_value_t f;

        ck_assert_msg(vg_avro_get_field(&val, field, &f) == VG_ERR_NOENT,
                      "%s is not null", field);
}

/* ------------------------------------------------------------------ */
/* Reader                                                             */

START_TEST(test_quotes)
{
        open_s("a,b,c\n"
               "1,\"x, y\",\"he said \"\"hi\"\"\"\n"
               "\"\",?,\n"
               "\"?\",\"\"\"\",\" a \"\n");
        next_row(3);
        field_is(0, "a", 0);
        next_row(3);
        ck_assert_int_eq(ctl_csv_line(csv), 2);
        field_is(0, "1", 0);
        field_is(1, "x, y", 1);
        field_is(2, "he said \"hi\"", 1);
        next_row(3);
        field_is(0, "", 1); /* "" is an empty string, not null */
        ck_assert(!ctl_csv_is_null(csv, 0));
        ck_assert(ctl_csv_is_null(csv, 1)); /* ? */
        ck_assert(ctl_csv_is_null(csv, 2)); /* empty */
        next_row(3);
        field_is(0, "?", 1); /* a quoted ? is text */
        ck_assert(!ctl_csv_is_null(csv, 0));
        field_is(1, "\"", 1);
        field_is(2, " a ", 1); /* blanks are data */
        ck_assert_int_eq(ctl_csv_next(csv, NULL, 0), CTL_CSV_EOF);
}
END_TEST

START_TEST(test_newlines)
{
        open_s("id,text\r\n"
               "1,\"line one\nline two\r\nline three\"\r\n"
               "2,plain\r\n"
               "3,\"a\n\nb\",\n"
               "4,\"\"\n"
               "5,last without newline");
        next_row(2);
        field_is(1, "text", 0); /* CRLF: the CR is not data */
        next_row(2);
        ck_assert_int_eq(ctl_csv_line(csv), 2);
        field_is(1, "line one\nline two\r\nline three", 1);
        next_row(2);
        ck_assert_int_eq(ctl_csv_line(csv), 5); /* after lines 2..4 */
        field_is(1, "plain", 0);
        next_row(3); /* a trailing comma: one more, empty field */
        ck_assert_int_eq(ctl_csv_line(csv), 6);
        field_is(1, "a\n\nb", 1);
        ck_assert(ctl_csv_is_null(csv, 2));
        next_row(2);
        ck_assert_int_eq(ctl_csv_line(csv), 9);
        next_row(2);
        ck_assert_int_eq(ctl_csv_line(csv), 10);
        field_is(1, "last without newline", 0);
        ck_assert_int_eq(ctl_csv_next(csv, NULL, 0), CTL_CSV_EOF);
}
END_TEST

START_TEST(test_bom_and_blanks)
{
        open_s("\xef\xbb\xbf\"number\",x\n\n1,\xef\xbb\xbf\n");
        next_row(2);
        field_is(0, "number", 1); /* the BOM is not part of the name */
        next_row(1); /* an empty line is one empty field */
        field_is(0, "", 0);
        next_row(2);
        field_is(1, "\xef\xbb\xbf", 0); /* past the start it is data */
}
END_TEST

START_TEST(test_bad_syntax)
{
        char errstr[512];

        open_s("a,b\n"
               "1,x\"y\n"
               "2,\"ok\"junk\n"
               "3,\"fine\"\n"
               "4,\"never closed\nstill open\n");
        next_row(2);
        ck_assert_int_eq(ctl_csv_next(csv, errstr, sizeof(errstr)),
                         CTL_CSV_BAD);
        ck_assert_str_eq(errstr, "in.csv:2: column 2: '\"' in an unquoted "
                                 "field (quote the whole field and double "
                                 "its quotes)");
        ck_assert_int_eq(ctl_csv_next(csv, errstr, sizeof(errstr)),
                         CTL_CSV_BAD);
        ck_assert_msg(strstr(errstr, "in.csv:3: column 2: unexpected "
                                     "character after the closing quote") ==
                      errstr, "%s", errstr);
        next_row(2); /* the run goes on */
        ck_assert_int_eq(ctl_csv_line(csv), 4);
        field_is(1, "fine", 1);
        ck_assert_int_eq(ctl_csv_next(csv, errstr, sizeof(errstr)),
                         CTL_CSV_BAD);
        ck_assert_str_eq(errstr, "in.csv:5: column 2: unterminated quoted "
                                 "field (opened on line 5)");
        ck_assert_int_eq(ctl_csv_next(csv, errstr, sizeof(errstr)),
                         CTL_CSV_EOF);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Rows to Avro                                                       */

START_TEST(test_incident_dates_nulls)
{
        open_s("number,incident_state,active,opened_at,resolved_at,"
               "reassignment_count,u_symptom,sys_updated_at\n"
               "INC001,New,true,29/2/2016 01:16,2016-02-29 01:16:00,3,"
               "\"Symptom, 72\",1/3/2016 9:05\n"
               "INC002,?,false,?,,?,\"?\",2016-03-01 09:05:00\n"
               "\n"
               "INC003,\"Awaiting\nUser Info\",true,01/03/2016 09:05:30,"
               "2016-03-01T09:05:00Z,0,\"\",1456823100000\n");
        header("Incident", "sys_updated_at=sys_updated_on");
        ck_assert_ptr_null(ctl_csv_col_field(csv, 2)); /* active: ignored */
        ck_assert_str_eq(ctl_csv_col_field(csv, 7), "sys_updated_on");
        ck_assert_int_eq(ctl_csv_field_col(csv, "sys_updated_on"), 7);
        ck_assert_int_eq(ctl_csv_field_col(csv, "description"), -1);

        read_ok();
        str_is("number", "INC001");
        str_is("incident_state", "New");
        long_is("opened_at", T_0116);   /* d/m/yyyy H:MM */
        long_is("resolved_at", T_0116); /* yyyy-mm-dd HH:MM:SS */
        long_is("reassignment_count", 3);
        str_is("u_symptom", "Symptom, 72");
        long_is("sys_updated_on", INT64_C(1456823100000));
        is_null("description"); /* no column: its default */

        read_ok();
        ck_assert_int_eq(ctl_csv_line(csv), 3);
        str_is("number", "INC002");
        is_null("incident_state");     /* ? */
        is_null("opened_at");          /* ? */
        is_null("resolved_at");        /* empty */
        is_null("reassignment_count"); /* ? */
        str_is("u_symptom", "?");      /* quoted: text */
        long_is("sys_updated_on", INT64_C(1456823100000));

        read_ok(); /* the empty line is skipped */
        ck_assert_int_eq(ctl_csv_line(csv), 5);
        str_is("incident_state", "Awaiting\nUser Info");
        long_is("opened_at", INT64_C(1456823130000));
        long_is("resolved_at", INT64_C(1456823100000));
        long_is("reassignment_count", 0);
        is_null("u_symptom"); /* "" in a nullable field */
        read_eof();
}
END_TEST

START_TEST(test_bad_rows)
{
        open_s("number,opened_at,reassignment_count,impact,sys_updated_at\n"
               "INC1,29/2/2016 01:16,1,x,29/2/2016 01:16\n"
               "INC2,31/2/2016 01:16,1,x,29/2/2016 01:16\n"
               "INC3,29/2/2016 01:16,one,x,29/2/2016 01:16\n"
               "?,29/2/2016 01:16,1,x,29/2/2016 01:16\n"
               "INC5,29/2/2016 01:16,1,x,?\n"
               "INC6,29/2/2016 01:16,1,x,29/2/2016 25:00\n"
               "INC7,29/2/2016 01:16,1\n"
               "INC8,29/2/2016 01:16,1,x,29/2/2016 01:16,extra\n"
               "INC9,29/2/2016 01:16,1,\"bad \xff byte\",29/2/2016 01:16\n"
               "INC10,\"multi\nline\",1,x,29/2/2016 01:16\n"
               "INC11,29/2/2016 01:16,99999999999,x,29/2/2016 01:16\n"
               "INC12,x\"y,1,x,29/2/2016 01:16\n"
               "INC13,29/2/2016 01:16,1,x,29/2/2016 01:16\n");
        header("Incident", "sys_updated_at=sys_updated_on");
        read_ok();
        read_bad("in.csv:3: opened_at: cannot parse timestamp "
                 "\"31/2/2016 01:16\": day out of range");
        read_bad("in.csv:4: reassignment_count: ");
        read_bad("in.csv:5: number: required field missing");
        read_bad("in.csv:6: sys_updated_on (column sys_updated_at): "
                 "required field missing");
        read_bad("in.csv:7: sys_updated_on (column sys_updated_at): "
                 "cannot parse timestamp \"29/2/2016 25:00\": hour out of "
                 "range");
        read_bad("in.csv:8: impact: missing: the record has 3 field(s), "
                 "the header 5");
        read_bad("in.csv:9: column 6: one field too many");
        read_bad("in.csv:10: impact: invalid UTF-8 at byte 4 (0xff) of 10");
        read_bad("in.csv:11: opened_at: cannot parse timestamp \"multi\n");
        read_bad("in.csv:13: reassignment_count: 99999999999 out of range");
        read_bad("in.csv:14: opened_at: '\"' in an unquoted field");
        read_ok(); /* the run goes on */
        str_is("number", "INC13");
        ck_assert_int_eq(ctl_csv_line(csv), 15);
        read_eof();
}
END_TEST

/* Writes a registry of one schema, T (topic "t"), with a field of each
 * scalar type, in a new temporary directory. @returns the directory. */
static const char *write_types_schema(void)
{
        static char dir[] = "/tmp/check_csv.XXXXXX";
        char path[512];
        FILE *f;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/registry.json", dir);
        f = fopen(path, "w");
        fputs("{\"t-value\": {\"id\": 1, \"file\": \"T.avsc\"}}\n", f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/T.avsc", dir);
        f = fopen(path, "w");
        fputs("{\"type\": \"record\", \"name\": \"T\", \"namespace\": \"x\","
              " \"doc\": \"t\", \"fields\": ["
              "{\"name\": \"id\", \"type\": \"string\", \"doc\": \"d\"},"
              "{\"name\": \"ok\", \"type\": \"boolean\", \"doc\": \"d\"},"
              "{\"name\": \"maybe\", \"type\": [\"null\", \"boolean\"],"
              " \"default\": null, \"doc\": \"d\"},"
              "{\"name\": \"score\", \"type\": \"double\", \"doc\": \"d\"},"
              "{\"name\": \"n\", \"type\": \"long\", \"default\": 7,"
              " \"doc\": \"d\"},"
              "{\"name\": \"at\", \"type\": {\"type\": \"long\","
              " \"logicalType\": \"timestamp-millis\"}, \"doc\": \"d\"}"
              "]}\n", f);
        fclose(f);
        return dir;
}

START_TEST(test_types)
{
        char errstr[512], cmd[600];
        const char *dir = write_types_schema();
        double d;
        int b;

        vg_avro_registry_destroy(reg);
        reg = vg_avro_registry_new(dir, NULL, errstr, sizeof(errstr));
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        ck_assert_int_eq(system(cmd), 0);
        ck_assert_msg(reg != NULL, "%s", errstr);
        open_s("id,ok,maybe,score,n,at\n"
               "a,true,false,3.5,-2,29/2/2016 01:16\n"
               "b,false,?,-1e3,?,2016-02-29 01:16:00\n"
               "c,yes,true,1,1,2016-02-29 01:16:00\n"
               "d,true,true,high,1,2016-02-29 01:16:00\n");
        header("T", NULL);
        read_ok();
        ck_assert_int_eq(vg_avro_get_bool(&val, "ok", &b), VG_OK);
        ck_assert_int_eq(b, 1);
        ck_assert_int_eq(vg_avro_get_bool(&val, "maybe", &b), VG_OK);
        ck_assert_int_eq(b, 0);
        ck_assert_int_eq(vg_avro_get_double(&val, "score", &d), VG_OK);
        ck_assert(d == 3.5);
        long_is("n", -2);
        long_is("at", T_0116);
        read_ok();
        ck_assert_int_eq(vg_avro_get_bool(&val, "ok", &b), VG_OK);
        ck_assert_int_eq(b, 0);
        is_null("maybe");
        ck_assert_int_eq(vg_avro_get_double(&val, "score", &d), VG_OK);
        ck_assert(d == -1000.0);
        long_is("n", 7); /* null in a non-nullable field: its default */
        long_is("at", T_0116);
        read_bad("in.csv:4: ok: expected boolean, got string \"yes\"");
        read_bad("in.csv:5: score: ");
        read_eof();
}
END_TEST

/* ------------------------------------------------------------------ */
/* Header and renames                                                 */

static void header_bad(const char *text, const char *map1,
                       const char *want)
{
        char errstr[512] = "";
        ctl_csv_map_t *map = ctl_csv_map_new();

        open_s(text);
        if (map1)
                ck_assert_int_eq(ctl_csv_map_add(map, map1, errstr,
                                                 sizeof(errstr)), VG_OK);
        ck_assert_int_eq(ctl_csv_header(csv, vg_avro_registry_by_name(
                                                     reg, "Incident"),
                                        map, errstr, sizeof(errstr)),
                         VG_ERR_INVALID);
        ck_assert_msg(strstr(errstr, want) != NULL, "\"%s\" lacks \"%s\"",
                      errstr, want);
        ctl_csv_map_destroy(map);
        ctl_csv_destroy(csv);
        csv = NULL;
        fclose(fp);
        fp = NULL;
}

START_TEST(test_header_errors)
{
        header_bad("", NULL, "in.csv: empty input: no header line");
        header_bad("\n\n", NULL, "in.csv: empty input");
        header_bad("number,opened_at\n", NULL,
                   "in.csv:1: sys_updated_on: no column fills this field, "
                   "which vigie.v1.Incident requires (rename a column with "
                   "--map COLUMN=sys_updated_on)");
        header_bad("\nnumber,sys_updated_at,sys_updated_on\n",
                   "sys_updated_at=sys_updated_on",
                   "in.csv:2: columns \"sys_updated_at\" (2) and "
                   "\"sys_updated_on\" (3) both fill field sys_updated_on");
        header_bad("number,x\n", "x=nope",
                   "in.csv:1: x: --map to \"nope\", which vigie.v1.Incident "
                   "does not have");
        header_bad("number,\"sys_updated_on\n", NULL,
                   "in.csv:1: column 2: unterminated quoted field");
}
END_TEST

START_TEST(test_map)
{
        char errstr[512] = "", path[] = "/tmp/check_csv_map.XXXXXX";
        ctl_csv_map_t *map = ctl_csv_map_new();
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "Incident");
        int fd;

        ck_assert_int_eq(ctl_csv_map_add(map, "a", errstr, sizeof(errstr)),
                         VG_ERR_INVALID);
        ck_assert_str_eq(errstr, "--map: \"a\": expected COLUMN=FIELD");
        ck_assert_int_eq(ctl_csv_map_add(map, "=number", errstr,
                                         sizeof(errstr)), VG_ERR_INVALID);
        ck_assert_int_eq(ctl_csv_map_add(map, "x=y=number", errstr,
                                         sizeof(errstr)), VG_OK);
        ck_assert_int_eq(ctl_csv_map_add(map, "x=y=category", errstr,
                                         sizeof(errstr)), VG_ERR_INVALID);
        ck_assert_str_eq(errstr, "--map: column \"x=y\" is renamed twice");
        ck_assert_int_eq(ctl_csv_map_check(map, sch, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(ctl_csv_map_add(map, "drop=", errstr,
                                         sizeof(errstr)), VG_OK);
        ck_assert_int_eq(ctl_csv_map_check(map, sch, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(ctl_csv_map_add(map, "c=nope", errstr,
                                         sizeof(errstr)), VG_OK);
        ck_assert_int_eq(ctl_csv_map_check(map, sch, errstr, sizeof(errstr)),
                         VG_ERR_INVALID);
        ck_assert_str_eq(errstr, "--map c=nope: vigie.v1.Incident has no "
                                 "field \"nope\"");
        ctl_csv_map_destroy(map);
        ctl_csv_map_destroy(NULL);

        /* a file: comments, blank lines, CRLF, file:line errors */
        fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        FILE *f = fdopen(fd, "w");
        fputs("# UCI event log\n\n  \nsys_updated_at=sys_updated_on\r\n"
              "number=\nbroken line\n", f);
        fclose(f);
        map = ctl_csv_map_new();
        ck_assert_int_eq(ctl_csv_map_load(map, path, errstr, sizeof(errstr)),
                         VG_ERR_INVALID);
        ck_assert_msg(strstr(errstr, ":6: \"broken line\": expected "
                                     "COLUMN=FIELD") != NULL, "%s", errstr);
        ctl_csv_map_destroy(map);
        f = fopen(path, "w");
        fputs("# UCI event log\nsys_updated_at=sys_updated_on\n"
              "incident_state=\nactive=incident_state\n", f);
        fclose(f);
        map = ctl_csv_map_new();
        ck_assert_int_eq(ctl_csv_map_load(map, path, errstr, sizeof(errstr)),
                         VG_OK);
        unlink(path);
        ck_assert_int_eq(ctl_csv_map_load(map, path, errstr, sizeof(errstr)),
                         VG_ERR_INVALID); /* gone */

        /* renames apply: a column ignored, another one in its place */
        open_s("number,incident_state,active,sys_updated_at\n"
               "INC1,New,true,29/2/2016 01:16\n");
        ck_assert_msg(ctl_csv_header(csv, sch, map, errstr,
                                     sizeof(errstr)) == VG_OK, "%s", errstr);
        ctl_csv_map_destroy(map);
        ck_assert_ptr_null(ctl_csv_col_field(csv, 1));
        ck_assert_str_eq(ctl_csv_col_name(csv, 2), "active");
        ck_assert_str_eq(ctl_csv_col_field(csv, 2), "incident_state");
        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        have_val = 1;
        read_ok();
        str_is("incident_state", "true");
        long_is("sys_updated_on", T_0116);
}
END_TEST

static Suite *csv_suite(void)
{
        Suite *s   = suite_create("csv");
        TCase *tc = tcase_create("Reader");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_quotes);
        tcase_add_test(tc, test_newlines);
        tcase_add_test(tc, test_bom_and_blanks);
        tcase_add_test(tc, test_bad_syntax);
        suite_add_tcase(s, tc);

        tc = tcase_create("Rows");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_incident_dates_nulls);
        tcase_add_test(tc, test_bad_rows);
        tcase_add_test(tc, test_types);
        suite_add_tcase(s, tc);

        tc = tcase_create("Header");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_header_errors);
        tcase_add_test(tc, test_map);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(csv_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
