/**
 * @file vg_reservoir.c
 * @brief Ring buffer of recent cluster members with k-nearest queries.
 */
#include "vg_reservoir.h"
#include "vg_mem.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
        char id[VG_RESERVOIR_ID_MAX];
        char *outcome;
        int64_t ts_ms;
        double sq; /* squared norm of the stored vector */
} member_t;

struct vg_reservoir_s {
        int cap;
        int dim;
        vg_dist_t dist;
        int len;
        int head;    /* next slot to write (oldest once full) */
        member_t *m;
        float *vec;  /* cap x dim */
};

vg_reservoir_t *vg_reservoir_new(int cap, int dim, vg_dist_t dist)
{
        vg_reservoir_t *r;

        if (cap < 1 || dim < 1 || (dist != VG_DIST_EUCLIDEAN &&
                                   dist != VG_DIST_COSINE))
                return NULL;
        r       = vg_calloc(1, sizeof(*r));
        r->cap  = cap;
        r->dim  = dim;
        r->dist = dist;
        r->m    = vg_calloc(cap, sizeof(*r->m));
        r->vec  = vg_calloc((size_t)cap * dim, sizeof(float));
        return r;
}

void vg_reservoir_destroy(vg_reservoir_t *r)
{
        if (!r)
                return;
        for (int i = 0; i < r->len; i++)
                vg_free(r->m[i].outcome);
        vg_free(r->m);
        vg_free(r->vec);
        vg_free(r);
}

static int find(const vg_reservoir_t *r, const char *id)
{
        for (int i = 0; i < r->len; i++)
                if (!strncmp(r->m[i].id, id, VG_RESERVOIR_ID_MAX - 1))
                        return i;
        return -1;
}

static void member_norm(vg_reservoir_t *r, int i)
{
        const float *v = &r->vec[(size_t)i * r->dim];
        double s       = 0;
        for (int j = 0; j < r->dim; j++)
                s += (double)v[j] * v[j];
        r->m[i].sq = s;
}

void vg_reservoir_add(vg_reservoir_t *r, const char *id, const double *x,
                      const char *outcome, int64_t ts_ms)
{
        int i = find(r, id);
        member_t *m;

        if (i < 0) {
                i = r->head;
                r->head = (r->head + 1) % r->cap;
                if (r->len < r->cap)
                        r->len++;
                m = &r->m[i];
                vg_free(m->outcome);
                m->outcome = NULL;
                vg_strlcpy(m->id, id, sizeof(m->id));
        }
        m = &r->m[i];
        if (outcome) {
                vg_free(m->outcome);
                m->outcome = vg_strdup(outcome);
        }
        m->ts_ms = ts_ms;
        for (int j = 0; j < r->dim; j++)
                r->vec[(size_t)i * r->dim + j] =
                        isfinite(x[j]) ? (float)x[j] : 0.0f;
        member_norm(r, i);
}

int vg_reservoir_set_outcome(vg_reservoir_t *r, const char *id,
                             const char *outcome)
{
        int i = find(r, id);

        if (i < 0)
                return 0;
        vg_free(r->m[i].outcome);
        r->m[i].outcome = outcome ? vg_strdup(outcome) : NULL;
        return 1;
}

/* Four independent sums: the loop is bound by the additions' latency,
 * not by the multiplies. */
static double dot_f(const float *v, const double *x, int dim)
{
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;

        for (; j + 4 <= dim; j += 4) {
                s0 += v[j] * x[j];
                s1 += v[j + 1] * x[j + 1];
                s2 += v[j + 2] * x[j + 2];
                s3 += v[j + 3] * x[j + 3];
        }
        for (; j < dim; j++)
                s0 += v[j] * x[j];
        return (s0 + s1) + (s2 + s3);
}

static double sqdiff_f(const float *v, const double *x, int dim)
{
        double s0 = 0, s1 = 0;
        int j = 0;

        for (; j + 2 <= dim; j += 2) {
                double d0 = v[j] - x[j], d1 = v[j + 1] - x[j + 1];
                s0 += d0 * d0;
                s1 += d1 * d1;
        }
        for (; j < dim; j++)
                s0 += (v[j] - x[j]) * (v[j] - x[j]);
        return s0 + s1;
}

static double sqnorm(const double *x, int dim)
{
        double s = 0;
        for (int j = 0; j < dim; j++)
                s += x[j] * x[j];
        return s;
}

/* \p nb: the squared norm of \p x (cosine only). */
static double dist_f(const vg_reservoir_t *r, int i, const double *x,
                     double nb)
{
        const float *v = &r->vec[(size_t)i * r->dim];
        double na      = r->m[i].sq;

        if (r->dist == VG_DIST_EUCLIDEAN)
                return sqrt(sqdiff_f(v, x, r->dim));
        return na > 0 && nb > 0 ? 1.0 - dot_f(v, x, r->dim) / sqrt(na * nb)
                                : 1.0;
}

int vg_reservoir_nearest(const vg_reservoir_t *r, const double *x, int k,
                         vg_similar_t *out)
{
        int n     = 0;
        double nb = r->dist == VG_DIST_COSINE ? sqnorm(x, r->dim) : 0;

        for (int i = 0; i < r->len; i++) {
                double d = dist_f(r, i, x, nb);
                int pos;
                if (k <= 0 || (n == k && d >= out[k - 1].dist))
                        continue;
                if (n < k)
                        n++;
                for (pos = n - 1; pos > 0 && out[pos - 1].dist > d; pos--)
                        out[pos] = out[pos - 1];
                out[pos].id      = r->m[i].id;
                out[pos].outcome = r->m[i].outcome;
                out[pos].dist    = d;
                out[pos].ts_ms   = r->m[i].ts_ms;
        }
        return n;
}

int vg_reservoir_count(const vg_reservoir_t *r)
{
        return r->len;
}

size_t vg_reservoir_memory(const vg_reservoir_t *r)
{
        size_t sz = sizeof(*r) + (size_t)r->cap * sizeof(member_t) +
                    (size_t)r->cap * r->dim * sizeof(float);
        for (int i = 0; i < r->len; i++)
                if (r->m[i].outcome)
                        sz += strlen(r->m[i].outcome) + 1;
        return sz;
}

void vg_reservoir_write(const vg_reservoir_t *r, vg_snap_writer_t *sw)
{
        vg_snap_put_u32(sw, (uint32_t)r->cap);
        vg_snap_put_u32(sw, (uint32_t)r->dim);
        vg_snap_put_u8(sw, (uint8_t)r->dist);
        vg_snap_put_u32(sw, (uint32_t)r->len);
        vg_snap_put_u32(sw, (uint32_t)r->head);
        for (int i = 0; i < r->len; i++) {
                vg_snap_put_str(sw, r->m[i].id);
                vg_snap_put_str(sw, r->m[i].outcome);
                vg_snap_put_i64(sw, r->m[i].ts_ms);
                vg_snap_put_f32v(sw, &r->vec[(size_t)i * r->dim], r->dim);
        }
}

vg_reservoir_t *vg_reservoir_read(vg_snap_reader_t *sr)
{
        uint32_t cap = vg_snap_get_u32(sr), dim = vg_snap_get_u32(sr);
        vg_dist_t dist = (vg_dist_t)vg_snap_get_u8(sr);
        uint32_t len = vg_snap_get_u32(sr), head = vg_snap_get_u32(sr);
        vg_reservoir_t *r;

        if (!vg_snap_ok(sr))
                return NULL;
        if (cap < 1 || cap > 1000000 || dim < 1 || dim > 1000000 ||
            len > cap || head >= cap ||
            !(r = vg_reservoir_new((int)cap, (int)dim, dist))) {
                vg_snap_fail(sr, "reservoir: bad header %u/%u/%u/%u", cap,
                             dim, len, head);
                return NULL;
        }
        r->len  = (int)len;
        r->head = (int)head;
        for (uint32_t i = 0; i < len && vg_snap_ok(sr); i++) {
                char *id = vg_snap_get_str(sr);
                if (id)
                        snprintf(r->m[i].id, sizeof(r->m[i].id), "%s", id);
                vg_free(id);
                r->m[i].outcome = vg_snap_get_str(sr);
                r->m[i].ts_ms   = vg_snap_get_i64(sr);
                vg_snap_get_f32v(sr, &r->vec[(size_t)i * dim], dim);
                member_norm(r, (int)i);
        }
        if (!vg_snap_ok(sr)) {
                vg_reservoir_destroy(r);
                return NULL;
        }
        return r;
}

double vg_dist(vg_dist_t dist, const double *a, const double *b, int dim)
{
        double s = 0, na = 0, nb = 0;

        if (dist == VG_DIST_EUCLIDEAN) {
                for (int j = 0; j < dim; j++)
                        s += (a[j] - b[j]) * (a[j] - b[j]);
                return sqrt(s);
        }
        for (int j = 0; j < dim; j++) {
                s += a[j] * b[j];
                na += a[j] * a[j];
                nb += b[j] * b[j];
        }
        return na > 0 && nb > 0 ? 1.0 - s / sqrt(na * nb) : 1.0;
}
