/**
 * @file chg_event.h
 * @brief A change request event, read and validated from its Avro record.
 */
#ifndef CHG_EVENT_H
#define CHG_EVENT_H

#include <stdint.h>
#include <time.h>

struct avro_value; /* avro_value_t (vg_avro.h) */

/** What an event means for the processor. */
typedef enum {
        CHG_K_SCORE,   /**< not closed yet: score it */
        CHG_K_OUTCOME, /**< closed with a close code: learn from it */
        CHG_K_CANCEL,  /**< canceled, or closed without a close code */
} chg_kind_t;

/** A change event. Strings are borrowed from the Avro value ("" when
 *  null) and live as long as it. */
typedef struct chg_event_s {
        chg_kind_t kind;
        const char *number, *state, *type, *category, *group, *ci;
        const char *service; /**< business_service ("" when absent) */
        const char *risk, *impact, *priority, *close_code;
        const char *short_description, *description, *justification;
        const char *backout_plan, *test_plan, *implementation_plan;
        int64_t opened_at, start_date, end_date, closed_at; /**< ms, or -1 */
        int64_t event_time; /**< sys_updated_on, ms */
        int failed;         /**< CHG_K_OUTCOME: close_code != Successful */
} chg_event_t;

/**
 * @brief Reads and validates \p val (a vigie.v1.ChangeRequest).
 * @returns 0, or -1 with the reason in \p errstr (for the dead letter):
 *          missing number, unknown type or state, end before start, ...
 */
int chg_event_read(chg_event_t *ev, const struct avro_value *val, char *errstr,
                   size_t errstr_size);

/** @returns the time the outcome is dated at (closed_at, else the
 *           event time). */
int64_t chg_event_outcome_time(const chg_event_t *ev);

/**
 * @brief When the planned work starts (UTC): \p tm, and whether it is at
 *        night (22:00-04:59) or on a weekend.
 * @returns 0, or -1 when the start date is unknown.
 */
int chg_event_start(const chg_event_t *ev, struct tm *tm, int *night,
                    int *weekend);

/** @brief Hours from opened_at to start_date. @returns 0, or -1 if
 *         either is unknown. */
int chg_event_lead_hours(const chg_event_t *ev, double *hours);

/** @brief Hours from start_date to end_date. @returns 0, or -1 if either
 *         is unknown. */
int chg_event_duration_hours(const chg_event_t *ev, double *hours);

#endif /* CHG_EVENT_H */
