/**
 * @file inc_feedback.h
 * @brief Responders' feedback on an incident (itsm.feedback, schema
 *        Feedback): a suspect change confirmed or rejected, the right
 *        cause, sub-cause or group. vigie-incident keeps the latest word
 *        on each point in the incident's hash inc:{number}:feedback
 *        (idempotent: a feedback consumed twice writes the same fields),
 *        and the resolution's learning reads it: a confirmed change is the
 *        suspect ranking's positive (over caused_by / rfc), a rejected one
 *        is never, a corrected label replaces the incident's.
 *
 * Field values of the hash: "confirm" -> "CHG\tcreated_at",
 * "reject:CHG" -> "created_at", "cause" / "sub_cause" / "group" ->
 * "label\tcreated_at"; a later word (by created_at) wins.
 */
#ifndef INC_FEEDBACK_H
#define INC_FEEDBACK_H

#include "inc_event.h"

#include <stddef.h>
#include <stdint.h>

struct avro_value;
typedef struct vg_redis_reply_s vg_redis_reply_t;

typedef enum {
        INC_FB_CONFIRM,
        INC_FB_REJECT,
        INC_FB_CAUSE,
        INC_FB_SUB_CAUSE,
        INC_FB_GROUP,
} inc_fb_action_t;

/** One feedback record (strings borrowed from the Avro value). */
typedef struct inc_fb_s {
        const char *id, *incident, *target; /**< target: change or label */
        inc_fb_action_t action;
        int64_t created_at;
} inc_fb_t;

/** @returns 0, or -1 with the reason in \p errstr (no incident, a change
 *           action without a change, a label action without a value). */
int inc_fb_read(inc_fb_t *fb, const struct avro_value *val, char *errstr,
                size_t errstr_size);

/** @brief The hash field and value \p fb writes into \p field, \p value. */
void inc_fb_field(const inc_fb_t *fb, char *field, size_t fsize,
                  char *value, size_t vsize);

/** What the feedback on an incident says, as of a read. */
typedef struct inc_fb_state_s {
        int any;
        char confirm[48];   /**< the confirmed change, or "" */
        int nreject;
        char reject[8][48]; /**< changes rejected (after any confirmation) */
        char labels[INC_NLABELS][64]; /**< corrected labels, or "" */
        long long confirm_t, reject_t[8]; /**< their created_at */
} inc_fb_state_t;

/** @brief Reads an HGETALL reply of inc:{number}:feedback. */
void inc_fb_state_parse(const vg_redis_reply_t *rep, inc_fb_state_t *fs);
/** @brief Adds one field of the hash to \p fs (zeroed first); then
 *         inc_fb_state_done(). */
void inc_fb_state_put(inc_fb_state_t *fs, const char *field,
                      const char *value, size_t len);
void inc_fb_state_done(inc_fb_state_t *fs);

/** @returns the change that caused the incident, as the feedback and the
 *           record say: a confirmed one, else caused_by / rfc unless
 *           rejected, else "". */
const char *inc_fb_cause(const inc_fb_state_t *fs, const inc_event_t *ev);

/** @returns label \p l of the incident: the corrected one if any, else
 *           the record's. */
const char *inc_fb_label(const inc_fb_state_t *fs, const inc_event_t *ev,
                         inc_label_t l);

#endif /* INC_FEEDBACK_H */
