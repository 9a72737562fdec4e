/**
 * @file srv_event.h
 * @brief A survey response, read and validated from its Avro record, and
 *        its score as a satisfaction class.
 */
#ifndef SRV_EVENT_H
#define SRV_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct avro_value;

/** Satisfaction classes. */
typedef enum {
        SRV_NEGATIVE = 0, /**< <= 2.5 stars */
        SRV_NEUTRAL  = 1, /**< 3 to 3.5 stars */
        SRV_POSITIVE = 2, /**< >= 4 stars */
        SRV_NCLASSES
} srv_class_t;

/** @returns "NEGATIVE", "NEUTRAL" or "POSITIVE". */
const char *srv_class_name(srv_class_t c);

/** A response. Strings are borrowed from the Avro value ("" when null). */
typedef struct srv_event_s {
        const char *id, *survey, *respondent, *entity, *service, *comment;
        const char *language;
        int has_score;
        double stars;       /**< score x 5 / scale_max, 0..5 */
        srv_class_t cls;    /**< from stars, if has_score */
        int64_t submitted_at; /**< ms */
} srv_event_t;

/** @returns the class of \p stars (0..5). */
srv_class_t srv_class_of(double stars);

/**
 * @brief Reads and validates \p val (a vigie.v1.SurveyResponse).
 * @returns 0, or -1 with the reason in \p errstr: missing response_id,
 *          scale_max < 1, score outside 0..scale_max. The reason never
 *          quotes the comment or the respondent.
 */
int srv_event_read(srv_event_t *ev, const struct avro_value *val,
                   char *errstr, size_t errstr_size);

#endif /* SRV_EVENT_H */
