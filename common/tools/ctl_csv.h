/**
 * @file ctl_csv.h
 * @brief CSV input of vigie-ctl produce: an RFC 4180 reader, the binding
 *        of a header's columns to a record schema's fields (with
 *        renames), and the conversion of each row to an Avro record.
 *
 * The format is a ServiceNow (or spreadsheet) CSV export:
 *  - the first non-empty record is the header: one name per column;
 *  - fields are separated by ',', records end with LF or CRLF; a field
 *    in double quotes may hold ',', CR, LF and '"' (written "");
 *    a UTF-8 byte order mark before the header is skipped;
 *  - an unquoted field that is empty or exactly `?` is null; a quoted
 *    field is always its text (`"?"` is a question mark, `""` an empty
 *    string, which a nullable field takes as null);
 *  - blanks are data: nothing is trimmed.
 *
 * A row becomes the JSON object {field: "text" or null, ...} of its bound
 * columns and goes through vg_avro_from_json(), so the CSV path takes what
 * the JSON Lines path takes: timestamps in any vg_time_parse() form
 * ("2016-02-29 01:16:00", "29/2/2016 01:16", ISO-8601, epoch millis),
 * integer and decimal strings for numbers, "true"/"false" for booleans,
 * enum symbols. Columns that are not fields of the schema are ignored.
 *
 * Errors name the input, the line the record starts on, and the field:
 * `incidents.csv:12: sys_updated_on: cannot parse timestamp "x": ...`.
 * A bad record is skipped and reading goes on with the next one.
 *
 * @locality one thread per reader.
 */
#ifndef VG_CTL_CSV_H
#define VG_CTL_CSV_H

#include <stdio.h>

#include "vg_avro.h"
#include "vg_err.h"

typedef struct ctl_csv_s ctl_csv_t;
typedef struct ctl_csv_map_s ctl_csv_map_t;

/** ctl_csv_next() and ctl_csv_read() results */
#define CTL_CSV_EOF 0  /**< no more records */
#define CTL_CSV_ROW 1  /**< a record was read */
#define CTL_CSV_BAD -1 /**< a bad record was skipped, reason in errstr */

/**
 * @name Column renames (--map, --map-file)
 * @{
 */

/** @returns an empty set of renames (vg_malloc: never NULL). */
ctl_csv_map_t *ctl_csv_map_new(void);

/** @brief Frees \p map. NULL-safe. */
void ctl_csv_map_destroy(ctl_csv_map_t *map);

/**
 * @brief Adds the rename \p spec, "COLUMN=FIELD": the CSV column COLUMN
 *        fills field FIELD. An empty FIELD ("COLUMN=") ignores the column.
 *        The last '=' separates them (a column name may hold '=').
 * @returns VG_OK, or VG_ERR_INVALID (no '=', empty COLUMN, COLUMN given
 *          twice) with the reason in \p errstr.
 */
vg_err_t ctl_csv_map_add(ctl_csv_map_t *map, const char *spec, char *errstr,
                         size_t errstr_size);

/**
 * @brief Adds the renames of file \p path: one COLUMN=FIELD per line;
 *        blank lines and lines starting with '#' are skipped.
 * @returns VG_OK, or VG_ERR_INVALID with `path:line: reason` (or
 *          `path: strerror`) in \p errstr.
 */
vg_err_t ctl_csv_map_load(ctl_csv_map_t *map, const char *path,
                          char *errstr, size_t errstr_size);

/**
 * @brief Checks that every rename names a field of \p sch.
 * @returns VG_OK, or VG_ERR_INVALID with e.g. `--map a=b: vigie.v1.Incident
 *          has no field "b"`.
 */
vg_err_t ctl_csv_map_check(const ctl_csv_map_t *map,
                           const vg_avro_schema_t *sch, char *errstr,
                           size_t errstr_size);
/** @} */

/**
 * @name Reader
 * @{
 */

/**
 * @brief A reader of \p fp, called \p name in messages.
 * @remark \p fp is borrowed (the caller closes it after
 *         ctl_csv_destroy()); \p name is copied.
 * @returns a reader to free with ctl_csv_destroy() (never NULL).
 */
ctl_csv_t *ctl_csv_new(FILE *fp, const char *name);

/** @brief Frees \p csv (not its FILE). NULL-safe. */
void ctl_csv_destroy(ctl_csv_t *csv);

/**
 * @brief Reads the next record, whatever its number of fields (an empty
 *        line is a record of one empty field).
 * @returns CTL_CSV_ROW (fields: ctl_csv_nfields(), ctl_csv_field()),
 *          CTL_CSV_EOF, or CTL_CSV_BAD with `name:line: column: reason`
 *          in \p errstr, the column named by the header once
 *          ctl_csv_header() has read it, else "column N" (1-based);
 *          the rest of the bad record's line is skipped. Read errors of
 *          the FILE end the input (CTL_CSV_BAD, then CTL_CSV_EOF).
 */
int ctl_csv_next(ctl_csv_t *csv, char *errstr, size_t errstr_size);

/** @returns the number of fields of the last record. */
size_t ctl_csv_nfields(const ctl_csv_t *csv);

/**
 * @returns field \p i of the last record, NUL-terminated (it may hold
 *          NULs too: see \p lenp), valid until the next read.
 * @param lenp set to its length in bytes (may be NULL).
 */
const char *ctl_csv_field(const ctl_csv_t *csv, size_t i, size_t *lenp);

/** @returns 1 if field \p i of the last record was in quotes. */
int ctl_csv_quoted(const ctl_csv_t *csv, size_t i);

/** @returns 1 if field \p i of the last record is null (unquoted, and
 *           empty or `?`). */
int ctl_csv_is_null(const ctl_csv_t *csv, size_t i);

/** @returns the line (1-based) the last record started on. */
long long ctl_csv_line(const ctl_csv_t *csv);

/**
 * @brief Reads the header (the first non-empty record) and binds its
 *        columns to the fields of \p sch: a column renamed in \p map
 *        fills the field it names, any other column the field of its own
 *        name, if there is one.
 * @param map renames, or NULL; borrowed for this call only.
 * @returns VG_OK, or VG_ERR_INVALID with `name:line: reason` in \p errstr:
 *          no header, two columns for one field, a field without a
 *          default that no column fills.
 */
vg_err_t ctl_csv_header(ctl_csv_t *csv, const vg_avro_schema_t *sch,
                        const ctl_csv_map_t *map, char *errstr,
                        size_t errstr_size);

/** @returns the header's number of columns. */
size_t ctl_csv_ncols(const ctl_csv_t *csv);

/** @returns the name of column \p i (0-based). */
const char *ctl_csv_col_name(const ctl_csv_t *csv, size_t i);

/** @returns the field column \p i fills, or NULL if it is ignored. */
const char *ctl_csv_col_field(const ctl_csv_t *csv, size_t i);

/** @returns the column that fills field \p field, or -1. */
long ctl_csv_field_col(const ctl_csv_t *csv, const char *field);

/**
 * @brief Reads the next data row into \p val (a value of the header's
 *        schema, reset first), skipping empty lines.
 * @returns CTL_CSV_ROW, CTL_CSV_EOF, or CTL_CSV_BAD with
 *          `name:line: field: reason` in \p errstr (a field filled from a
 *          column of another name is written `field (column NAME)`);
 *          reading goes on with the next record.
 */
int ctl_csv_read(ctl_csv_t *csv, avro_value_t *val, char *errstr,
                 size_t errstr_size);
/** @} */

#endif /* VG_CTL_CSV_H */
