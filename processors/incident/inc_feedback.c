/**
 * @file inc_feedback.c
 * @brief Responders' feedback (see inc_feedback.h).
 */
#include "inc_feedback.h"
#include "vg_avro.h"
#include "vg_mem.h"
#include "vg_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const inc_fb_names[] = {
        "CONFIRM_CHANGE", "REJECT_CHANGE", "SET_CAUSE", "SET_SUB_CAUSE",
        "SET_GROUP"};

static const char *inc_fb_str(const avro_value_t *val, const char *field)
{
        return vg_avro_str_or(val, field, "");
}

int inc_fb_read(inc_fb_t *fb, const avro_value_t *val, char *errstr,
                size_t errstr_size)
{
        const char *action = NULL;
        int a;

        memset(fb, 0, sizeof(*fb));
        fb->id       = inc_fb_str(val, "feedback_id");
        fb->incident = inc_fb_str(val, "incident");
        fb->created_at = vg_avro_long_or(val, "created_at", 0);
        vg_avro_get_enum(val, "action", &action);
        for (a = 0; action && a < 5 && strcmp(action, inc_fb_names[a]); a++)
                ;
        if (!*fb->incident) {
                snprintf(errstr, errstr_size, "incident: missing or empty");
                return -1;
        }
        if (!action || a == 5) {
                snprintf(errstr, errstr_size, "action: unknown");
                return -1;
        }
        fb->action = (inc_fb_action_t)a;
        fb->target = inc_fb_str(val, a <= INC_FB_REJECT ? "change" : "value");
        if (!*fb->target || strchr(fb->target, '\t')) {
                snprintf(errstr, errstr_size, "%s: %s for %s",
                         a <= INC_FB_REJECT ? "change" : "value",
                         *fb->target ? "holds a tab" : "missing", action);
                return -1;
        }
        return 0;
}

void inc_fb_field(const inc_fb_t *fb, char *field, size_t fsize,
                  char *value, size_t vsize)
{
        static const char *const fields[] = {"confirm", NULL, "cause",
                                             "sub_cause", "group"};
        long long t = (long long)fb->created_at;
        if (fb->action == INC_FB_REJECT) {
                snprintf(field, fsize, "reject:%s", fb->target);
                snprintf(value, vsize, "%lld", t);
        } else {
                snprintf(field, fsize, "%s", fields[fb->action]);
                snprintf(value, vsize, "%s\t%lld", fb->target, t);
        }
}

/* "label\tts" -> label into \p out, returns ts (-1: malformed). */
static long long inc_fb_split(const char *v, size_t len, char *out,
                              size_t size)
{
        const char *tab = memchr(v, '\t', len);
        if (!tab)
                return -1;
        size_t l = (size_t)(tab - v) < size - 1 ? (size_t)(tab - v) : size - 1;
        memcpy(out, v, l);
        out[l] = '\0';
        return atoll(tab + 1);
}

void inc_fb_state_put(inc_fb_state_t *fs, const char *f, const char *v,
                      size_t vl)
{
        static const char *const lf[] = {"cause", "sub_cause", NULL, "group",
                                         NULL};
        fs->any = 1;
        if (!strcmp(f, "confirm")) {
                fs->confirm_t = inc_fb_split(v, vl, fs->confirm,
                                             sizeof(fs->confirm));
        } else if (!strncmp(f, "reject:", 7) && fs->nreject < 8) {
                vg_strlcpy(fs->reject[fs->nreject], f + 7,
                           sizeof(fs->reject[0]));
                fs->reject_t[fs->nreject++] = atoll(v);
        }
        for (int l = 0; l < INC_NLABELS; l++)
                if (lf[l] && !strcmp(f, lf[l]))
                        inc_fb_split(v, vl, fs->labels[l],
                                     sizeof(fs->labels[0]));
}

void inc_fb_state_done(inc_fb_state_t *fs)
{
        /* a later rejection of the confirmed change withdraws it */
        for (int i = 0; i < fs->nreject; i++)
                if (!strcmp(fs->reject[i], fs->confirm) &&
                    fs->reject_t[i] >= fs->confirm_t)
                        fs->confirm[0] = '\0';
}

void inc_fb_state_parse(const vg_redis_reply_t *rep, inc_fb_state_t *fs)
{
        size_t n = rep ? vg_redis_reply_nelem(rep) : 0;
        memset(fs, 0, sizeof(*fs));
        for (size_t i = 0; i + 1 < n; i += 2) {
                size_t vl;
                const char *f = vg_redis_reply_str(vg_redis_reply_elem(rep, i),
                                                   NULL);
                const char *v = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i + 1), &vl);
                if (f && v)
                        inc_fb_state_put(fs, f, v, vl);
        }
        inc_fb_state_done(fs);
}

const char *inc_fb_cause(const inc_fb_state_t *fs, const inc_event_t *ev)
{
        const char *c = inc_event_cause_change(ev);
        if (*fs->confirm)
                return fs->confirm;
        for (int i = 0; i < fs->nreject; i++)
                if (!strcmp(fs->reject[i], c))
                        return "";
        return c;
}

const char *inc_fb_label(const inc_fb_state_t *fs, const inc_event_t *ev,
                         inc_label_t l)
{
        return *fs->labels[l] ? fs->labels[l] : ev->labels[l];
}
