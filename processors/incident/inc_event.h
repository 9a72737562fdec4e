/**
 * @file inc_event.h
 * @brief An incident update, read and validated from its Avro record.
 *
 * ServiceNow sends many updates per incident. Each is identified by
 * number and sys_mod_count (or sys_updated_on when the counter is absent),
 * so a replayed or duplicated update is recognised. Field values are
 * opaque: nothing here knows a category, a group or a code.
 */
#ifndef INC_EVENT_H
#define INC_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct avro_value; /* avro_value_t (vg_avro.h) */

/** The states in which an incident is resolved (incident.resolved.states). */
typedef struct inc_states_s {
        char buf[512];
        const char *names[16];
        int n;
} inc_states_t;

/** @brief Parses a comma-separated list of states into \p st.
 *  @returns 0, or -1 if it is empty or has more than 16 names. */
int inc_states_parse(inc_states_t *st, const char *list);

/** The labels an incident's resolution teaches (the models' targets). */
typedef enum {
        INC_L_CAUSE,     /**< u_cause */
        INC_L_SUB_CAUSE, /**< u_sub_cause */
        INC_L_CLOSE,     /**< closed_code */
        INC_L_GROUP,     /**< assignment_group (the final one) */
        INC_L_PRIORITY,  /**< priority (the final one) */
        INC_NLABELS
} inc_label_t;

/** @returns the field name of label \p l, e.g. "closed_code". */
const char *inc_label_field(inc_label_t l);

/** An incident update. Strings are borrowed from the Avro value ("" when
 *  null) and live as long as it. */
typedef struct inc_event_s {
        int resolved; /**< in one of incident.resolved.states */
        const char *number, *state, *category, *subcategory, *symptom, *ci;
        const char *impact, *urgency, *priority, *group, *contact_type;
        const char *location, *short_description, *description;
        const char *rfc, *caused_by, *problem_id;
        const char *service; /**< business_service ("" when absent) */
        const char *labels[INC_NLABELS]; /**< "" when absent */
        int mod_count;     /**< sys_mod_count, -1 if absent */
        int reassignments; /**< -1 if absent */
        int reopens;       /**< -1 if absent */
        int64_t opened_at; /**< ms; the event time if absent */
        int64_t resolved_at, closed_at; /**< ms, or -1 */
        int64_t event_time; /**< sys_updated_on, ms */
        uint64_t uid; /**< hash of the update's id (inc_event_id()) and
                       *   event time: the same record consumed again */
        uint64_t sig; /**< hash of what an enrichment depends on: category,
                       *   subcategory, symptom, CI and the texts */
} inc_event_t;

/**
 * @brief Reads and validates \p val (a vigie.v1.Incident).
 * @returns 0, or -1 with the reason in \p errstr (for the dead letter):
 *          missing number or sys_updated_on, negative counters,
 *          resolved_at before opened_at.
 */
int inc_event_read(inc_event_t *ev, const struct avro_value *val,
                   const inc_states_t *resolved, char *errstr,
                   size_t errstr_size);

/** @brief The update's id, "number#mod_count" (or "number@event_time"),
 *         into \p buf. @returns buf. */
const char *inc_event_id(const inc_event_t *ev, char *buf, size_t size);

/** @returns the change named as the cause (caused_by, else rfc), or "". */
const char *inc_event_cause_change(const inc_event_t *ev);

#endif /* INC_EVENT_H */
