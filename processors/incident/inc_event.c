/**
 * @file inc_event.c
 * @brief Reading and validating incident updates (see inc_event.h).
 */
#include "inc_event.h"
#include "vg_avro.h"
#include "vg_hash.h"
#include "vg_mem.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *inc_str(const avro_value_t *val, const char *field)
{
        return vg_avro_str_or(val, field, "");
}

static int64_t inc_ts(const avro_value_t *val, const char *field)
{
        return vg_avro_long_or(val, field, -1);
}

static int inc_int(const avro_value_t *val, const char *field)
{
        return (int)vg_avro_int_or(val, field, -1);
}

int inc_states_parse(inc_states_t *st, const char *list)
{
        char *save = NULL;
        memset(st, 0, sizeof(*st));
        vg_strlcpy(st->buf, list, sizeof(st->buf));
        for (char *t = strtok_r(st->buf, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
                while (*t == ' ')
                        t++;
                for (char *e = t + strlen(t); e > t && e[-1] == ' ';)
                        *--e = '\0';
                if (!*t)
                        continue;
                if (st->n == 16)
                        return -1;
                st->names[st->n++] = t;
        }
        return st->n ? 0 : -1;
}

static int inc_states_has(const inc_states_t *st, const char *state)
{
        for (int i = 0; i < st->n; i++)
                if (!strcasecmp(st->names[i], state))
                        return 1;
        return 0;
}

static const char *const inc_label_fields[INC_NLABELS] = {
        "u_cause", "u_sub_cause", "closed_code", "assignment_group",
        "priority"};

const char *inc_label_field(inc_label_t l)
{
        return inc_label_fields[l];
}

static uint64_t inc_sig(const inc_event_t *ev)
{
        const char *parts[] = {ev->category, ev->subcategory, ev->symptom,
                               ev->ci, ev->short_description,
                               ev->description};
        uint64_t h = 0x9e3779b97f4a7c15ULL;
        for (size_t i = 0; i < sizeof(parts) / sizeof(*parts); i++)
                h = vg_hash64(parts[i], strlen(parts[i]), h + i);
        return h;
}

static void inc_read_fields(inc_event_t *ev, const avro_value_t *val)
{
        ev->number            = inc_str(val, "number");
        ev->state             = inc_str(val, "incident_state");
        ev->category          = inc_str(val, "category");
        ev->subcategory       = inc_str(val, "subcategory");
        ev->symptom           = inc_str(val, "u_symptom");
        ev->ci                = inc_str(val, "cmdb_ci");
        ev->service           = inc_str(val, "business_service");
        ev->impact            = inc_str(val, "impact");
        ev->urgency           = inc_str(val, "urgency");
        ev->priority          = inc_str(val, "priority");
        ev->group             = inc_str(val, "assignment_group");
        ev->contact_type      = inc_str(val, "contact_type");
        ev->location          = inc_str(val, "location");
        ev->short_description = inc_str(val, "short_description");
        ev->description       = inc_str(val, "description");
        ev->rfc               = inc_str(val, "rfc");
        ev->caused_by         = inc_str(val, "caused_by");
        ev->problem_id        = inc_str(val, "problem_id");
        for (int l = 0; l < INC_NLABELS; l++)
                ev->labels[l] = inc_str(val, inc_label_fields[l]);
        ev->mod_count     = inc_int(val, "sys_mod_count");
        ev->reassignments = inc_int(val, "reassignment_count");
        ev->reopens       = inc_int(val, "reopen_count");
        ev->opened_at     = inc_ts(val, "opened_at");
        ev->resolved_at   = inc_ts(val, "resolved_at");
        ev->closed_at     = inc_ts(val, "closed_at");
        ev->event_time    = inc_ts(val, "sys_updated_on");
}

/* Counters present in the record must not be negative. */
static int inc_check_counts(const avro_value_t *val, char *errstr,
                            size_t errstr_size)
{
        static const char *const fields[] = {"sys_mod_count",
                                             "reassignment_count",
                                             "reopen_count"};
        for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
                int32_t v;
                if (vg_avro_get_int(val, fields[i], &v) == VG_OK && v < 0) {
                        snprintf(errstr, errstr_size, "%s: negative (%d)",
                                 fields[i], (int)v);
                        return -1;
                }
        }
        return 0;
}

int inc_event_read(inc_event_t *ev, const avro_value_t *val,
                   const inc_states_t *resolved, char *errstr,
                   size_t errstr_size)
{
        memset(ev, 0, sizeof(*ev));
        inc_read_fields(ev, val);
        if (!*ev->number) {
                snprintf(errstr, errstr_size, "number: missing or empty");
                return -1;
        }
        if (ev->event_time < 0) {
                snprintf(errstr, errstr_size, "sys_updated_on: missing");
                return -1;
        }
        if (inc_check_counts(val, errstr, errstr_size))
                return -1;
        if (ev->opened_at < 0)
                ev->opened_at = ev->event_time;
        if (ev->resolved_at >= 0 && ev->resolved_at < ev->opened_at) {
                snprintf(errstr, errstr_size,
                         "resolved_at: before opened_at");
                return -1;
        }
        char id[160];
        inc_event_id(ev, id, sizeof(id));
        ev->resolved = inc_states_has(resolved, ev->state);
        ev->sig      = inc_sig(ev);
        /* the id and the event time: logs repeat a sys_mod_count */
        ev->uid = vg_hash64_str(id, (uint64_t)ev->event_time);
        return 0;
}

const char *inc_event_id(const inc_event_t *ev, char *buf, size_t size)
{
        if (ev->mod_count >= 0)
                snprintf(buf, size, "%s#%d", ev->number, ev->mod_count);
        else
                snprintf(buf, size, "%s@%lld", ev->number,
                         (long long)ev->event_time);
        return buf;
}

const char *inc_event_cause_change(const inc_event_t *ev)
{
        return *ev->caused_by ? ev->caused_by : ev->rfc;
}
