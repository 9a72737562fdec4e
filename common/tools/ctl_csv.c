/**
 * @file ctl_csv.c
 * @brief CSV input of vigie-ctl produce (see ctl_csv.h).
 *
 * Layout of this file:
 *   1. column renames
 *   2. the RFC 4180 reader
 *   3. the header and the conversion of rows
 */
#include "ctl_csv.h"
#include "vg_mem.h"
#include "vg_utf8.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* 1. Column renames                                                  */
/* ------------------------------------------------------------------ */

typedef struct {
        char *from; /**< CSV column */
        char *to;   /**< record field, "" to ignore the column */
} ctl_csv_ren_t;

struct ctl_csv_map_s {
        ctl_csv_ren_t *r;
        size_t n, cap;
};

ctl_csv_map_t *ctl_csv_map_new(void)
{
        return vg_calloc(1, sizeof(ctl_csv_map_t));
}

void ctl_csv_map_destroy(ctl_csv_map_t *map)
{
        if (!map)
                return;
        for (size_t i = 0; i < map->n; i++) {
                vg_free(map->r[i].from);
                vg_free(map->r[i].to);
        }
        vg_free(map->r);
        vg_free(map);
}

/** @returns the rename of column \p col, or NULL. */
static const ctl_csv_ren_t *ctl_csv_map_find(const ctl_csv_map_t *map,
                                             const char *col)
{
        for (size_t i = 0; map && i < map->n; i++)
                if (!strcmp(map->r[i].from, col))
                        return &map->r[i];
        return NULL;
}

/* \p where prefixes messages: "--map" or "file:line". */
static vg_err_t ctl_csv_map_add1(ctl_csv_map_t *map, const char *spec,
                                 const char *where, char *errstr,
                                 size_t errstr_size)
{
        const char *eq = strrchr(spec, '=');

        if (!eq || eq == spec) {
                snprintf(errstr, errstr_size, "%s: \"%s\": expected "
                         "COLUMN=FIELD", where, spec);
                return VG_ERR_INVALID;
        }
        char *from = vg_strndup(spec, (size_t)(eq - spec));
        if (ctl_csv_map_find(map, from)) {
                snprintf(errstr, errstr_size, "%s: column \"%s\" is renamed "
                         "twice", where, from);
                vg_free(from);
                return VG_ERR_INVALID;
        }
        if (map->n == map->cap) {
                map->cap = map->cap ? map->cap * 2 : 8;
                map->r   = vg_realloc(map->r, map->cap * sizeof(*map->r));
        }
        map->r[map->n].from = from;
        map->r[map->n].to   = vg_strdup(eq + 1);
        map->n++;
        return VG_OK;
}

vg_err_t ctl_csv_map_add(ctl_csv_map_t *map, const char *spec, char *errstr,
                         size_t errstr_size)
{
        return ctl_csv_map_add1(map, spec, "--map", errstr, errstr_size);
}

vg_err_t ctl_csv_map_load(ctl_csv_map_t *map, const char *path,
                          char *errstr, size_t errstr_size)
{
        FILE *fp    = fopen(path, "r");
        char *line  = NULL, where[512];
        size_t cap  = 0;
        long lineno = 0;
        ssize_t n;
        vg_err_t err = VG_OK;

        if (!fp) {
                snprintf(errstr, errstr_size, "%s: %s", path,
                         strerror(errno));
                return VG_ERR_INVALID;
        }
        while (!err && (n = getline(&line, &cap, fp)) != -1) {
                const char *s = line;
                lineno++;
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                        line[--n] = '\0';
                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s || *s == '#')
                        continue;
                snprintf(where, sizeof(where), "%s:%ld", path, lineno);
                err = ctl_csv_map_add1(map, line, where, errstr,
                                       errstr_size);
        }
        free(line);
        fclose(fp);
        return err;
}

vg_err_t ctl_csv_map_check(const ctl_csv_map_t *map,
                           const vg_avro_schema_t *sch, char *errstr,
                           size_t errstr_size)
{
        avro_schema_t schema = vg_avro_schema_avro(sch);

        for (size_t i = 0; map && i < map->n; i++) {
                const ctl_csv_ren_t *r = &map->r[i];
                if (!*r->to ||
                    avro_schema_record_field_get_index(schema, r->to) >= 0)
                        continue;
                snprintf(errstr, errstr_size, "--map %s=%s: %s has no field "
                         "\"%s\"", r->from, r->to, vg_avro_schema_name(sch),
                         r->to);
                return VG_ERR_INVALID;
        }
        return VG_OK;
}

/* ------------------------------------------------------------------ */
/* 2. The RFC 4180 reader                                             */
/* ------------------------------------------------------------------ */

typedef struct {
        size_t off, len; /**< in csv->buf */
        int quoted;
} ctl_csv_fld_t;

struct ctl_csv_s {
        FILE *fp;
        char *name;
        int bom_checked;
        int read_err;       /**< 1: a read error to report, 2: reported */
        char *buf;          /**< the record's fields, each NUL-terminated */
        size_t blen, bsize;
        ctl_csv_fld_t *f;
        size_t nf, fcap;
        long long line;     /**< newlines consumed */
        long long rec_line; /**< the line the last record started on */
        /* header */
        const vg_avro_schema_t *sch;
        char **cols;            /**< column names */
        const char **colfield;  /**< per column: its field, or NULL */
        size_t ncols;
        char *json;             /**< a row as JSON */
        size_t jlen, jsize;
};

ctl_csv_t *ctl_csv_new(FILE *fp, const char *name)
{
        ctl_csv_t *csv = vg_calloc(1, sizeof(*csv));

        csv->fp   = fp;
        csv->name = vg_strdup(name);
        return csv;
}

void ctl_csv_destroy(ctl_csv_t *csv)
{
        if (!csv)
                return;
        for (size_t i = 0; i < csv->ncols; i++)
                vg_free(csv->cols[i]);
        vg_free(csv->cols);
        vg_free(csv->colfield);
        vg_free(csv->json);
        vg_free(csv->buf);
        vg_free(csv->f);
        vg_free(csv->name);
        vg_free(csv);
}

static inline int ctl_csv_getc(ctl_csv_t *csv)
{
        return getc_unlocked(csv->fp);
}

static inline void ctl_csv_put(ctl_csv_t *csv, int c)
{
        if (csv->blen == csv->bsize) {
                csv->bsize = csv->bsize ? csv->bsize * 2 : 4096;
                csv->buf   = vg_realloc(csv->buf, csv->bsize);
        }
        csv->buf[csv->blen++] = (char)c;
}

/** Starts a field. @returns its index. */
static size_t ctl_csv_field_start(ctl_csv_t *csv)
{
        if (csv->nf == csv->fcap) {
                csv->fcap = csv->fcap ? csv->fcap * 2 : 64;
                csv->f    = vg_realloc(csv->f, csv->fcap * sizeof(*csv->f));
        }
        csv->f[csv->nf].off    = csv->blen;
        csv->f[csv->nf].len    = 0;
        csv->f[csv->nf].quoted = 0;
        return csv->nf++;
}

static void ctl_csv_field_end(ctl_csv_t *csv, size_t i)
{
        csv->f[i].len = csv->blen - csv->f[i].off;
        ctl_csv_put(csv, '\0');
}

/** Writes "name:line: " + the column's name (header) or "column N". */
static int ctl_csv_where(const ctl_csv_t *csv, size_t col, char *buf,
                         size_t size)
{
        if (col < csv->ncols)
                return snprintf(buf, size, "%s:%lld: %s", csv->name,
                                csv->rec_line, csv->cols[col]);
        return snprintf(buf, size, "%s:%lld: column %zu", csv->name,
                        csv->rec_line, col + 1);
}

static int ctl_csv_fail(ctl_csv_t *csv, size_t col, char *errstr,
                        size_t errstr_size, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static int ctl_csv_fail(ctl_csv_t *csv, size_t col, char *errstr,
                        size_t errstr_size, const char *fmt, ...)
{
        char where[512], reason[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        ctl_csv_where(csv, col, where, sizeof(where));
        snprintf(errstr, errstr_size, "%s: %s", where, reason);
        return CTL_CSV_BAD;
}

/** End of input: a read error is reported once. */
static int ctl_csv_eof(ctl_csv_t *csv, char *errstr, size_t errstr_size)
{
        if (csv->read_err == 0 && ferror(csv->fp))
                csv->read_err = 1;
        if (csv->read_err != 1)
                return CTL_CSV_EOF;
        csv->read_err = 2;
        snprintf(errstr, errstr_size, "%s:%lld: read error, the rest of the "
                 "input is lost", csv->name, csv->line + 1);
        return CTL_CSV_BAD;
}

/* A UTF-8 byte order mark before the first record is skipped; the
 * bytes of a partial one are data. @returns the first character after
 * it, with \p *seeded set if bytes were put in the first field. */
static int ctl_csv_bom(ctl_csv_t *csv, int c, int *seeded)
{
        int c2, c3;

        csv->bom_checked = 1;
        if (c != 0xef)
                return c;
        c2 = ctl_csv_getc(csv);
        if (c2 == 0xbb) {
                c3 = ctl_csv_getc(csv);
                if (c3 == 0xbf)
                        return ctl_csv_getc(csv);
                ctl_csv_put(csv, 0xef);
                ctl_csv_put(csv, 0xbb);
                *seeded = 1;
                return c3;
        }
        ctl_csv_put(csv, 0xef);
        *seeded = 1;
        return c2;
}

int ctl_csv_next(ctl_csv_t *csv, char *errstr, size_t errstr_size)
{
        int c, seeded = 0;
        size_t i = 0;

        csv->nf       = 0;
        csv->blen     = 0;
        csv->rec_line = csv->line + 1;
        c             = ctl_csv_getc(csv);
        if (!csv->bom_checked)
                c = ctl_csv_bom(csv, c, &seeded);
        if (c == EOF && !seeded)
                return ctl_csv_eof(csv, errstr, errstr_size);
        for (;;) { /* one field per turn, c its first character */
                i = ctl_csv_field_start(csv);
                if (seeded) /* the BOM's bytes: already in the field */
                        csv->f[i].off = 0;
                if (c == '"' && !seeded) {
                        long long opened = csv->line + 1;
                        csv->f[i].quoted = 1;
                        for (;;) {
                                c = ctl_csv_getc(csv);
                                if (c == EOF) {
                                        ctl_csv_fail(csv, i, errstr,
                                                     errstr_size,
                                                     "unterminated quoted "
                                                     "field (opened on line "
                                                     "%lld)", opened);
                                        csv->nf = 0;
                                        return CTL_CSV_BAD;
                                }
                                if (c == '"') {
                                        c = ctl_csv_getc(csv);
                                        if (c != '"')
                                                break;
                                } else if (c == '\n') {
                                        csv->line++;
                                }
                                ctl_csv_put(csv, c);
                        }
                        if (c == '\r') {
                                int d = ctl_csv_getc(csv);
                                if (d == '\n')
                                        c = d;
                                else
                                        ungetc(d, csv->fp);
                        }
                        if (c != ',' && c != '\n' && c != EOF)
                                goto bad_after_quote;
                } else {
                        seeded = 0;
                        while (c != ',' && c != '\n' && c != EOF) {
                                if (c == '\r') {
                                        int d = ctl_csv_getc(csv);
                                        if (d == '\n') {
                                                c = d;
                                                break;
                                        }
                                        ungetc(d, csv->fp);
                                } else if (c == '"') {
                                        goto bad_quote;
                                }
                                ctl_csv_put(csv, c);
                                c = ctl_csv_getc(csv);
                        }
                }
                ctl_csv_field_end(csv, i);
                if (c == ',') {
                        c = ctl_csv_getc(csv);
                        continue;
                }
                if (c == '\n')
                        csv->line++;
                return CTL_CSV_ROW;
        }

bad_quote:
        ctl_csv_fail(csv, i, errstr, errstr_size,
                     "'\"' in an unquoted field (quote the whole field and "
                     "double its quotes)");
        goto skip;
bad_after_quote:
        ctl_csv_fail(csv, i, errstr, errstr_size,
                     "unexpected character after the closing quote (a '\"' "
                     "inside a quoted field is written \"\")");
skip: /* the rest of the line */
        while (c != '\n' && c != EOF)
                c = ctl_csv_getc(csv);
        if (c == '\n')
                csv->line++;
        csv->nf = 0;
        return CTL_CSV_BAD;
}

size_t ctl_csv_nfields(const ctl_csv_t *csv)
{
        return csv->nf;
}

const char *ctl_csv_field(const ctl_csv_t *csv, size_t i, size_t *lenp)
{
        if (lenp)
                *lenp = csv->f[i].len;
        return csv->buf + csv->f[i].off;
}

int ctl_csv_quoted(const ctl_csv_t *csv, size_t i)
{
        return csv->f[i].quoted;
}

int ctl_csv_is_null(const ctl_csv_t *csv, size_t i)
{
        const ctl_csv_fld_t *f = &csv->f[i];

        return !f->quoted &&
               (f->len == 0 || (f->len == 1 && csv->buf[f->off] == '?'));
}

long long ctl_csv_line(const ctl_csv_t *csv)
{
        return csv->rec_line;
}

/** @returns 1 if the last record is an empty line. */
static int ctl_csv_blank(const ctl_csv_t *csv)
{
        return csv->nf == 1 && csv->f[0].len == 0 && !csv->f[0].quoted;
}

/* ------------------------------------------------------------------ */
/* 3. The header and the conversion of rows                           */
/* ------------------------------------------------------------------ */

/** Checks that every field of \p sch without a default has a column. */
static vg_err_t ctl_csv_check_required(ctl_csv_t *csv, char *errstr,
                                       size_t errstr_size)
{
        json_error_t jerr;
        json_t *root = json_loads(vg_avro_schema_json(csv->sch), 0, &jerr);
        json_t *fields = json_object_get(root, "fields"), *f;
        vg_err_t err   = VG_OK;
        size_t i;

        json_array_foreach(fields, i, f) {
                const char *name = json_string_value(json_object_get(f,
                                                                     "name"));
                if (!name || json_object_get(f, "default") ||
                    ctl_csv_field_col(csv, name) >= 0)
                        continue;
                snprintf(errstr, errstr_size, "%s:%lld: %s: no column fills "
                         "this field, which %s requires (rename a column with "
                         "--map COLUMN=%s)", csv->name, csv->rec_line, name,
                         vg_avro_schema_name(csv->sch), name);
                err = VG_ERR_INVALID;
                break;
        }
        json_decref(root);
        return err;
}

vg_err_t ctl_csv_header(ctl_csv_t *csv, const vg_avro_schema_t *sch,
                        const ctl_csv_map_t *map, char *errstr,
                        size_t errstr_size)
{
        avro_schema_t schema = vg_avro_schema_avro(sch);
        int r;

        while ((r = ctl_csv_next(csv, errstr, errstr_size)) == CTL_CSV_ROW &&
               ctl_csv_blank(csv))
                ;
        if (r == CTL_CSV_BAD)
                return VG_ERR_INVALID;
        if (r == CTL_CSV_EOF) {
                snprintf(errstr, errstr_size, "%s: empty input: no header "
                         "line", csv->name);
                return VG_ERR_INVALID;
        }
        csv->sch      = sch;
        csv->ncols    = csv->nf;
        csv->cols     = vg_calloc(csv->ncols, sizeof(*csv->cols));
        csv->colfield = vg_calloc(csv->ncols, sizeof(*csv->colfield));
        for (size_t i = 0; i < csv->ncols; i++) {
                const ctl_csv_ren_t *ren;
                const char *to;
                int idx;

                csv->cols[i] = vg_strdup(ctl_csv_field(csv, i, NULL));
                ren          = ctl_csv_map_find(map, csv->cols[i]);
                to           = ren ? ren->to : csv->cols[i];
                if (!*to)
                        continue;
                idx = avro_schema_record_field_get_index(schema, to);
                if (idx < 0 && ren) {
                        snprintf(errstr, errstr_size, "%s:%lld: %s: --map to "
                                 "\"%s\", which %s does not have", csv->name,
                                 csv->rec_line, csv->cols[i], to,
                                 vg_avro_schema_name(sch));
                        return VG_ERR_INVALID;
                }
                if (idx < 0)
                        continue;
                csv->colfield[i] = avro_schema_record_field_name(schema, idx);
                for (size_t j = 0; j < i; j++) {
                        if (csv->colfield[j] != csv->colfield[i])
                                continue;
                        snprintf(errstr, errstr_size, "%s:%lld: columns "
                                 "\"%s\" (%zu) and \"%s\" (%zu) both fill "
                                 "field %s (ignore one with --map "
                                 "COLUMN=)", csv->name, csv->rec_line,
                                 csv->cols[j], j + 1, csv->cols[i], i + 1,
                                 csv->colfield[i]);
                        return VG_ERR_INVALID;
                }
        }
        return ctl_csv_check_required(csv, errstr, errstr_size);
}

size_t ctl_csv_ncols(const ctl_csv_t *csv)
{
        return csv->ncols;
}

const char *ctl_csv_col_name(const ctl_csv_t *csv, size_t i)
{
        return csv->cols[i];
}

const char *ctl_csv_col_field(const ctl_csv_t *csv, size_t i)
{
        return csv->colfield[i];
}

long ctl_csv_field_col(const ctl_csv_t *csv, const char *field)
{
        for (size_t i = 0; i < csv->ncols; i++)
                if (csv->colfield[i] && !strcmp(csv->colfield[i], field))
                        return (long)i;
        return -1;
}

static void ctl_csv_jput(ctl_csv_t *csv, const char *s, size_t n)
{
        if (csv->jlen + n + 1 > csv->jsize) {
                csv->jsize = (csv->jlen + n + 1) * 2;
                csv->json  = vg_realloc(csv->json, csv->jsize);
        }
        memcpy(csv->json + csv->jlen, s, n);
        csv->jlen += n;
        csv->json[csv->jlen] = '\0';
}

/** Appends \p s[0..n) as a JSON string (valid UTF-8 by now). */
static void ctl_csv_jstr(ctl_csv_t *csv, const char *s, size_t n)
{
        size_t need = n * VG_UTF8_JSON_MAX_PER_BYTE + 3;

        if (csv->jlen + need > csv->jsize) {
                csv->jsize = (csv->jlen + need) * 2;
                csv->json  = vg_realloc(csv->json, csv->jsize);
        }
        csv->json[csv->jlen++] = '"';
        csv->jlen += vg_utf8_json_escape(csv->json + csv->jlen,
                                         csv->jsize - csv->jlen, s, n);
        csv->json[csv->jlen++] = '"';
        csv->json[csv->jlen]   = '\0';
}

/* A conversion error `field: reason` of vg_avro_from_json(): the field
 * gets its column's name when that differs. */
static int ctl_csv_conv_fail(ctl_csv_t *csv, const char *conv, char *errstr,
                             size_t errstr_size)
{
        const char *colon = strstr(conv, ": ");
        size_t flen       = colon ? (size_t)(colon - conv) : 0;

        for (size_t i = 0; flen && i < csv->ncols; i++) {
                const char *f = csv->colfield[i];
                if (!f || strlen(f) != flen || strncmp(f, conv, flen) ||
                    !strcmp(f, csv->cols[i]))
                        continue;
                snprintf(errstr, errstr_size, "%s:%lld: %s (column %s)%s",
                         csv->name, csv->rec_line, f, csv->cols[i], colon);
                return CTL_CSV_BAD;
        }
        snprintf(errstr, errstr_size, "%s:%lld: %s", csv->name,
                 csv->rec_line, conv);
        return CTL_CSV_BAD;
}

int ctl_csv_read(ctl_csv_t *csv, avro_value_t *val, char *errstr,
                 size_t errstr_size)
{
        char conv[512];
        int r, first = 1;

        while ((r = ctl_csv_next(csv, errstr, errstr_size)) == CTL_CSV_ROW &&
               ctl_csv_blank(csv))
                ;
        if (r != CTL_CSV_ROW)
                return r;
        if (csv->nf < csv->ncols)
                return ctl_csv_fail(csv, csv->nf, errstr, errstr_size,
                                    "missing: the record has %zu field(s), "
                                    "the header %zu", csv->nf, csv->ncols);
        if (csv->nf > csv->ncols)
                return ctl_csv_fail(csv, csv->ncols, errstr, errstr_size,
                                    "one field too many: the record has %zu "
                                    "field(s), the header %zu", csv->nf,
                                    csv->ncols);
        csv->jlen = 0;
        ctl_csv_jput(csv, "{", 1);
        for (size_t i = 0; i < csv->ncols; i++) {
                const char *f = csv->colfield[i], *s;
                size_t len, ok;

                if (!f)
                        continue;
                if (!first)
                        ctl_csv_jput(csv, ",", 1);
                first = 0;
                ctl_csv_jstr(csv, f, strlen(f));
                ctl_csv_jput(csv, ":", 1);
                if (ctl_csv_is_null(csv, i)) {
                        ctl_csv_jput(csv, "null", 4);
                        continue;
                }
                s  = ctl_csv_field(csv, i, &len);
                ok = vg_utf8_valid_prefix(s, len);
                if (ok < len) {
                        snprintf(conv, sizeof(conv), "%s: invalid UTF-8 at "
                                 "byte %zu (0x%02x) of %zu", f, ok,
                                 (unsigned char)s[ok], len);
                        return ctl_csv_conv_fail(csv, conv, errstr,
                                                 errstr_size);
                }
                ctl_csv_jstr(csv, s, len);
        }
        ctl_csv_jput(csv, "}", 1);
        if (vg_avro_from_json(csv->sch, csv->json, csv->jlen, val, conv,
                              sizeof(conv)))
                return ctl_csv_conv_fail(csv, conv, errstr, errstr_size);
        return CTL_CSV_ROW;
}
