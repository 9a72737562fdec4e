/**
 * @file srv_event.c
 * @brief Reading and validating survey responses (see srv_event.h).
 */
#include "srv_event.h"
#include "vg_avro.h"

#include <stdio.h>
#include <string.h>

static const char *const srv_class_names[] = {"NEGATIVE", "NEUTRAL",
                                              "POSITIVE"};

const char *srv_class_name(srv_class_t c)
{
        return c >= 0 && c < SRV_NCLASSES ? srv_class_names[c] : "?";
}

srv_class_t srv_class_of(double stars)
{
        return stars <= 2.5 ? SRV_NEGATIVE
               : stars < 4.0 ? SRV_NEUTRAL
                             : SRV_POSITIVE;
}

int srv_event_read(srv_event_t *ev, const avro_value_t *val, char *errstr,
                   size_t errstr_size)
{
        int32_t score, scale;

        memset(ev, 0, sizeof(*ev));
        ev->id           = vg_avro_str_or(val, "response_id", "");
        ev->survey       = vg_avro_str_or(val, "survey", "");
        ev->respondent   = vg_avro_str_or(val, "respondent", "");
        ev->entity       = vg_avro_str_or(val, "entity", "");
        ev->service      = vg_avro_str_or(val, "service", "");
        ev->comment      = vg_avro_str_or(val, "comment", "");
        ev->language     = vg_avro_str_or(val, "language", "");
        ev->submitted_at = vg_avro_long_or(val, "submitted_at", -1);
        if (!*ev->id) {
                snprintf(errstr, errstr_size, "response_id: missing or empty");
                return -1;
        }
        if (ev->submitted_at < 0) {
                snprintf(errstr, errstr_size, "submitted_at: missing");
                return -1;
        }
        scale = vg_avro_int_or(val, "scale_max", 5);
        if (scale < 1) {
                snprintf(errstr, errstr_size, "scale_max: %d, must be >= 1",
                         (int)scale);
                return -1;
        }
        if (vg_avro_get_int(val, "score", &score) == VG_OK) {
                if (score < 0 || score > scale) {
                        snprintf(errstr, errstr_size, "score: %d outside "
                                 "0..%d", (int)score, (int)scale);
                        return -1;
                }
                ev->has_score = 1;
                ev->stars     = (double)score * 5.0 / (double)scale;
                ev->cls       = srv_class_of(ev->stars);
        }
        return 0;
}
