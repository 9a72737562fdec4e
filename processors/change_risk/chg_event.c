/**
 * @file chg_event.c
 * @brief Reading and validating change events (see chg_event.h).
 */
#include "chg_event.h"
#include "vg_avro.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *chg_str(const avro_value_t *val, const char *field)
{
        return vg_avro_str_or(val, field, "");
}

static int64_t chg_ts(const avro_value_t *val, const char *field)
{
        return vg_avro_long_or(val, field, -1);
}

/* @returns 1 if \p s is one of the NULL-terminated \p set (ignoring case
 *          and a leading "N - " ServiceNow numbering). */
static int chg_one_of(const char *s, const char *const *set)
{
        const char *dash = strstr(s, " - ");
        if (dash && dash - s <= 2)
                s = dash + 3;
        for (; *set; set++)
                if (!strcasecmp(s, *set))
                        return 1;
        return 0;
}

static const char *const chg_types[] = {"Normal", "Standard", "Emergency",
                                        NULL};
static const char *const chg_open_states[] = {
        "New",       "Assess", "Authorize", "Scheduled", "Implement",
        "Review",    "Draft",  "Planning",  "Pending",   "Approved",
        "In progress", NULL};
static const char *const chg_closed_states[] = {"Closed", "Complete",
                                                NULL};
static const char *const chg_cancel_states[] = {"Canceled", "Cancelled",
                                                NULL};

static void chg_read_fields(chg_event_t *ev, const avro_value_t *val)
{
        ev->number              = chg_str(val, "number");
        ev->state               = chg_str(val, "state");
        ev->type                = chg_str(val, "type");
        ev->category            = chg_str(val, "category");
        ev->group               = chg_str(val, "assignment_group");
        ev->ci                  = chg_str(val, "cmdb_ci");
        ev->service             = chg_str(val, "business_service");
        ev->risk                = chg_str(val, "risk");
        ev->impact              = chg_str(val, "impact");
        ev->priority            = chg_str(val, "priority");
        ev->close_code          = chg_str(val, "close_code");
        ev->short_description   = chg_str(val, "short_description");
        ev->description         = chg_str(val, "description");
        ev->justification       = chg_str(val, "justification");
        ev->backout_plan        = chg_str(val, "backout_plan");
        ev->test_plan           = chg_str(val, "test_plan");
        ev->implementation_plan = chg_str(val, "implementation_plan");
        ev->opened_at           = chg_ts(val, "opened_at");
        ev->start_date          = chg_ts(val, "start_date");
        ev->end_date            = chg_ts(val, "end_date");
        ev->closed_at           = chg_ts(val, "closed_at");
        ev->event_time          = chg_ts(val, "sys_updated_on");
}

int chg_event_read(chg_event_t *ev, const avro_value_t *val, char *errstr,
                   size_t errstr_size)
{
        memset(ev, 0, sizeof(*ev));
        chg_read_fields(ev, val);
        if (!*ev->number) {
                snprintf(errstr, errstr_size, "number: missing or empty");
                return -1;
        }
        if (ev->event_time < 0) {
                snprintf(errstr, errstr_size, "sys_updated_on: missing");
                return -1;
        }
        if (*ev->type && !chg_one_of(ev->type, chg_types)) {
                snprintf(errstr, errstr_size, "type: unknown value \"%s\" "
                         "(expected Normal, Standard or Emergency)",
                         ev->type);
                return -1;
        }
        if (ev->start_date >= 0 && ev->end_date >= 0 &&
            ev->end_date < ev->start_date) {
                snprintf(errstr, errstr_size, "end_date: before start_date");
                return -1;
        }
        if (chg_one_of(ev->state, chg_cancel_states)) {
                ev->kind = CHG_K_CANCEL;
        } else if (chg_one_of(ev->state, chg_closed_states) ||
                   (!*ev->state && *ev->close_code)) {
                ev->kind   = *ev->close_code ? CHG_K_OUTCOME : CHG_K_CANCEL;
                ev->failed = strcasecmp(ev->close_code, "Successful") != 0;
        } else if (!*ev->state || chg_one_of(ev->state, chg_open_states)) {
                ev->kind = CHG_K_SCORE;
        } else {
                snprintf(errstr, errstr_size, "state: unknown value \"%s\"",
                         ev->state);
                return -1;
        }
        return 0;
}

int64_t chg_event_outcome_time(const chg_event_t *ev)
{
        return ev->closed_at >= 0 ? ev->closed_at : ev->event_time;
}

int chg_event_start(const chg_event_t *ev, struct tm *tm, int *night,
                    int *weekend)
{
        if (ev->start_date < 0)
                return -1;
        time_t t = (time_t)(ev->start_date / 1000);
        gmtime_r(&t, tm);
        *night   = tm->tm_hour >= 22 || tm->tm_hour < 5;
        *weekend = tm->tm_wday == 0 || tm->tm_wday == 6;
        return 0;
}

static int chg_event_hours(int64_t from, int64_t to, double *hours)
{
        if (from < 0 || to < 0)
                return -1;
        *hours = (double)(to - from) / 3600000.0;
        return 0;
}

int chg_event_lead_hours(const chg_event_t *ev, double *hours)
{
        return chg_event_hours(ev->opened_at, ev->start_date, hours);
}

int chg_event_duration_hours(const chg_event_t *ev, double *hours)
{
        return chg_event_hours(ev->start_date, ev->end_date, hours);
}
