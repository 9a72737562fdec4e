/**
 * @file vg_alerts.c
 * @brief Alert deduplication (see vg_alerts.h).
 */
#include "vg_alerts.h"
#include "vg_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An alert taken in this batch: subject borrowed from the record. */
typedef struct vg_alerts_taken_s {
        const char *subject;
        unsigned levels;
} vg_alerts_taken_t;

struct vg_alerts_s {
        vg_store_t *s;
        const char *kind;
        const char *const *levels;
        int nlevels;
        int64_t ttl_s;
        vg_alerts_taken_t *taken; /**< few per batch: a list */
        int ntaken, cap;
};

vg_alerts_t *vg_alerts_new(vg_store_t *s, const char *kind,
                           const char *const *levels, int nlevels,
                           int64_t ttl_s)
{
        vg_alerts_t *a = vg_calloc(1, sizeof(*a));
        a->s           = s;
        a->kind        = kind;
        a->levels      = levels;
        a->nlevels = nlevels < VG_ALERTS_MAX_LEVELS ? nlevels
                                                    : VG_ALERTS_MAX_LEVELS;
        a->ttl_s   = ttl_s;
        return a;
}

void vg_alerts_destroy(vg_alerts_t *a)
{
        if (!a)
                return;
        vg_free(a->taken);
        vg_free(a);
}

void vg_alerts_begin(vg_alerts_t *a)
{
        a->ntaken = 0;
}

size_t vg_alerts_read(vg_alerts_t *a, vg_redis_batch_t *rd,
                      const char *subject)
{
        char k[512];
        return vg_redis_batch_hgetall(
                rd, vg_store_key(a->s, k, sizeof(k), a->kind, subject,
                                 "alerts"));
}

static int vg_alerts_level(const vg_alerts_t *a, const char *name)
{
        for (int i = 0; i < a->nlevels; i++)
                if (!strcasecmp(name, a->levels[i]))
                        return i;
        return -1;
}

unsigned vg_alerts_stored(const vg_alerts_t *a, size_t idx,
                          int64_t event_time)
{
        const vg_redis_reply_t *rep = vg_store_reply(a->s, idx);
        unsigned mask               = 0;
        size_t n                    = rep ? vg_redis_reply_nelem(rep) : 0;

        for (size_t i = 0; i + 1 < n; i += 2) {
                const char *level = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i), NULL);
                const char *at = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i + 1), NULL);
                int l = level ? vg_alerts_level(a, level) : -1;
                long long t = at ? strtoll(at, NULL, 10) : 0;
                /* The alert of this very record, consumed again (its offset
                 * was not committed): it may never have reached Kafka, so
                 * it is produced again, with the same alert id. A mark
                 * made while warming up (0) always suppresses. */
                if (l >= 0 && !(t != 0 && t == event_time))
                        mask |= 1u << l;
        }
        return mask;
}

int vg_alerts_take(vg_alerts_t *a, const char *subject, int level,
                   unsigned stored)
{
        unsigned bit = 1u << level;
        int i;

        if (stored & bit)
                return 0;
        for (i = 0; i < a->ntaken; i++)
                if (!strcmp(a->taken[i].subject, subject))
                        break;
        if (i < a->ntaken && (a->taken[i].levels & bit))
                return 0;
        if (i == a->ntaken) {
                if (a->ntaken == a->cap) {
                        a->cap   = a->cap ? 2 * a->cap : 16;
                        a->taken = vg_realloc(a->taken,
                                              sizeof(*a->taken) * a->cap);
                }
                a->taken[a->ntaken++] = (vg_alerts_taken_t){subject, 0};
        }
        a->taken[i].levels |= bit;
        return 1;
}

void vg_alerts_mark(vg_alerts_t *a, vg_redis_batch_t *wr,
                    const char *subject, int level, int64_t event_time)
{
        char k[512], v[32];
        int len = snprintf(v, sizeof(v), "%lld", (long long)event_time);
        vg_store_key(a->s, k, sizeof(k), a->kind, subject, "alerts");
        vg_redis_batch_hset(wr, k, a->levels[level], v, (size_t)len);
        if (a->ttl_s > 0)
                vg_redis_batch_expire(wr, k, a->ttl_s);
}

const char *vg_alerts_id(char *buf, size_t size, const char *alert_kind,
                         const char *subject, const char *level)
{
        snprintf(buf, size, "%s:%s:%s", alert_kind, subject, level);
        return buf;
}
