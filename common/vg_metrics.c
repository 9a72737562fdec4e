/**
 * @file vg_metrics.c
 * @brief Metrics registry (see vg_metrics.h).
 */
#include "vg_metrics.h"
#include "vg_log.h"
#include "vg_mem.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Histogram layout: bucket 0 is (0, 1 us], then 8 decades of 90 linear
 * buckets (d + s*d/10, d + (s+1)*d/10] for d = 1 us .. 10 s, then (100 s,
 * inf). Bounds in nanoseconds. */
#define VG_H_MIN_NS   1000ull
#define VG_H_DECADES  8
#define VG_H_SUB      90
#define VG_H_NB       (1 + VG_H_DECADES * VG_H_SUB + 1)
#define VG_H_MAX_NS   100000000000ull /* 100 s */

/* Metrics live on their own cache lines: no false sharing between two
 * counters updated by two threads. */
#define VG_M_ALIGN 64

typedef enum { VG_M_COUNTER, VG_M_GAUGE, VG_M_HISTO } vg_mtype_t;

static const char *const vg_mtype_names[] = {"counter", "gauge",
                                             "histogram"};

/* The common head of every metric. */
struct vg_metric_s {
        vg_mtype_t type;
        char *name;   /* as registered */
        char *base;   /* the family: name without labels */
        char *labels; /* between the braces, "" if none */
        char *lkey;   /* logfmt key: base.value1.value2 */
        char *help;
};

struct vg_counter_s {
        struct vg_metric_s hdr;
        atomic_uint_fast64_t v;
};

struct vg_gauge_s {
        struct vg_metric_s hdr;
        atomic_uint_fast64_t bits; /* the double's bits */
};

struct vg_histo_s {
        struct vg_metric_s hdr;
        atomic_uint_fast64_t sum_ns;
        atomic_uint_fast64_t max_ns;
        atomic_uint_fast64_t b[VG_H_NB];
};

struct vg_metrics_s {
        pthread_mutex_t lock;
        struct vg_metric_s **v;
        size_t cnt, size;
};

/*
 * Updates
 */

void vg_counter_add(vg_counter_t *c, uint64_t n)
{
        atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

void vg_counter_inc(vg_counter_t *c)
{
        atomic_fetch_add_explicit(&c->v, 1, memory_order_relaxed);
}

uint64_t vg_counter_get(const vg_counter_t *c)
{
        return atomic_load_explicit(&((vg_counter_t *)c)->v,
                                    memory_order_relaxed);
}

static uint64_t vg_d2u(double d)
{
        uint64_t u;

        memcpy(&u, &d, sizeof(u));
        return u;
}

static double vg_u2d(uint64_t u)
{
        double d;

        memcpy(&d, &u, sizeof(d));
        return d;
}

void vg_gauge_set(vg_gauge_t *g, double v)
{
        atomic_store_explicit(&g->bits, vg_d2u(v), memory_order_relaxed);
}

void vg_gauge_add(vg_gauge_t *g, double d)
{
        uint_fast64_t old = atomic_load_explicit(&g->bits,
                                                 memory_order_relaxed);

        while (!atomic_compare_exchange_weak_explicit(
                &g->bits, &old, vg_d2u(vg_u2d(old) + d),
                memory_order_relaxed, memory_order_relaxed))
                ;
}

double vg_gauge_get(const vg_gauge_t *g)
{
        return vg_u2d(atomic_load_explicit(&((vg_gauge_t *)g)->bits,
                                           memory_order_relaxed));
}

uint64_t vg_metrics_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t vg_histo_bucket(uint64_t ns)
{
        uint64_t x, d = VG_H_MIN_NS;

        if (ns <= VG_H_MIN_NS)
                return 0;
        x = ns - 1; /* (lo, hi] buckets: x in [lo, hi) */
        for (size_t k = 0; k < VG_H_DECADES; k++, d *= 10) {
                if (x < d * 10)
                        return 1 + k * VG_H_SUB + (size_t)((x - d) / (d / 10));
        }
        return VG_H_NB - 1;
}

/* Bounds (lo, hi] of bucket i in ns; the last one ends at \p max_ns. */
static void vg_histo_bounds(size_t i, uint64_t max_ns, uint64_t *lo,
                            uint64_t *hi)
{
        uint64_t d = VG_H_MIN_NS;

        if (i == 0) {
                *lo = 0;
                *hi = VG_H_MIN_NS;
                return;
        }
        if (i == VG_H_NB - 1) {
                *lo = VG_H_MAX_NS;
                *hi = max_ns > VG_H_MAX_NS ? max_ns : VG_H_MAX_NS;
                return;
        }
        for (size_t k = (i - 1) / VG_H_SUB; k > 0; k--)
                d *= 10;
        *lo = d + ((i - 1) % VG_H_SUB) * (d / 10);
        *hi = *lo + d / 10;
}

void vg_histo_observe_ns(vg_histo_t *h, uint64_t ns)
{
        uint_fast64_t max = atomic_load_explicit(&h->max_ns,
                                                 memory_order_relaxed);

        atomic_fetch_add_explicit(&h->b[vg_histo_bucket(ns)], 1,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
        while (ns > max &&
               !atomic_compare_exchange_weak_explicit(
                       &h->max_ns, &max, ns, memory_order_relaxed,
                       memory_order_relaxed))
                ;
}

void vg_histo_observe(vg_histo_t *h, double seconds)
{
        double ns = seconds * 1e9;

        if (!(ns > 0))
                ns = 0; /* negative or NaN */
        if (ns > 1.8e19)
                ns = 1.8e19;
        vg_histo_observe_ns(h, (uint64_t)ns);
}

/* A copy of the buckets; returns the total count. */
static uint64_t vg_histo_snap(const vg_histo_t *h, uint64_t *b)
{
        uint64_t total = 0;

        for (size_t i = 0; i < VG_H_NB; i++) {
                b[i] = atomic_load_explicit(&((vg_histo_t *)h)->b[i],
                                            memory_order_relaxed);
                total += b[i];
        }
        return total;
}

uint64_t vg_histo_count(const vg_histo_t *h)
{
        uint64_t b[VG_H_NB];

        return vg_histo_snap(h, b);
}

double vg_histo_mean(const vg_histo_t *h)
{
        uint64_t n = vg_histo_count(h);
        uint64_t s = atomic_load_explicit(&((vg_histo_t *)h)->sum_ns,
                                          memory_order_relaxed);

        return n ? (double)s / (double)n / 1e9 : 0.0;
}

double vg_histo_max(const vg_histo_t *h)
{
        return (double)atomic_load_explicit(&((vg_histo_t *)h)->max_ns,
                                            memory_order_relaxed) /
               1e9;
}

static double vg_histo_quantile0(const uint64_t *b, uint64_t total,
                                 uint64_t max_ns, double q)
{
        double rank, cum = 0;
        uint64_t lo, hi;

        if (!total)
                return 0.0;
        q    = q < 0 ? 0 : q > 1 ? 1 : q;
        rank = q * (double)total;
        for (size_t i = 0; i < VG_H_NB; i++) {
                if (!b[i] || cum + (double)b[i] < rank) {
                        cum += (double)b[i];
                        continue;
                }
                vg_histo_bounds(i, max_ns, &lo, &hi);
                double v = (double)lo + (double)(hi - lo) *
                                                (rank - cum) / (double)b[i];
                return (v > (double)max_ns ? (double)max_ns : v) / 1e9;
        }
        return (double)max_ns / 1e9;
}

double vg_histo_quantile(const vg_histo_t *h, double q)
{
        uint64_t b[VG_H_NB];
        uint64_t total = vg_histo_snap(h, b);

        return vg_histo_quantile0(
                b, total,
                atomic_load_explicit(&((vg_histo_t *)h)->max_ns,
                                     memory_order_relaxed),
                q);
}

/*
 * Registration
 */

static int vg_m_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int vg_m_alnum(char c)
{
        return vg_m_alpha(c) || (c >= '0' && c <= '9');
}

/* Parses `label="value",...}`; returns the position of '}' or NULL. */
static const char *vg_metrics_parse_labels(const char *p)
{
        while (*p != '}') {
                if (!vg_m_alpha(*p))
                        return NULL;
                while (vg_m_alnum(*p))
                        p++;
                if (*p++ != '=' || *p++ != '"')
                        return NULL;
                for (; *p != '"'; p++) {
                        if (!*p || *p == '\n')
                                return NULL;
                        if (*p == '\\' && (!*++p || !strchr("\\\"n", *p)))
                                return NULL;
                }
                p++;
                if (*p == ',')
                        p++;
                else if (*p != '}')
                        return NULL;
        }
        return p;
}

/* The logfmt key: base, then each label value, '.'-separated, sanitized. */
static char *vg_metrics_lkey(const char *base, const char *labels)
{
        char *k = vg_malloc(strlen(base) + strlen(labels) + 2);
        size_t o = 0;
        int inval = 0;

        for (const char *p = base; *p; p++)
                k[o++] = *p;
        for (const char *p = labels; *p; p++) {
                if (!inval) {
                        if (*p == '"') {
                                inval    = 1;
                                k[o++]   = '.';
                        }
                        continue;
                }
                if (*p == '\\') {
                        p++;
                } else if (*p == '"') {
                        inval = 0;
                        continue;
                }
                k[o++] = vg_m_alnum(*p) || strchr(".:-", *p) ? *p : '_';
        }
        k[o] = '\0';
        return k;
}

/* Fills the head from \p name; 0, or -1 if \p name is invalid. */
static int vg_metrics_parse_name(struct vg_metric_s *hdr, const char *name)
{
        const char *p = name, *end;

        if (!vg_m_alpha(*p) && *p != ':')
                return -1;
        while (vg_m_alnum(*p) || *p == ':')
                p++;
        hdr->base = vg_strndup(name, (size_t)(p - name));
        if (!*p) {
                hdr->labels = vg_strdup("");
        } else if (*p == '{' && (end = vg_metrics_parse_labels(p + 1)) &&
                   !end[1]) {
                hdr->labels = vg_strndup(p + 1, (size_t)(end - p - 1));
        } else {
                return -1;
        }
        hdr->lkey = vg_metrics_lkey(hdr->base, hdr->labels);
        return 0;
}

static void vg_metric_free(struct vg_metric_s *hdr)
{
        vg_free(hdr->name);
        vg_free(hdr->base);
        vg_free(hdr->labels);
        vg_free(hdr->lkey);
        vg_free(hdr->help);
        free(hdr); /* aligned_alloc */
}

static struct vg_metric_s *vg_metric_alloc(vg_mtype_t type, size_t size)
{
        size_t asize = (size + VG_M_ALIGN - 1) / VG_M_ALIGN * VG_M_ALIGN;
        struct vg_metric_s *hdr = aligned_alloc(VG_M_ALIGN, asize);

        if (!hdr)
                vg_oom(asize);
        memset(hdr, 0, asize);
        hdr->type = type;
        return hdr;
}

static struct vg_metric_s *vg_metric_new(vg_mtype_t type, const char *name,
                                         const char *help)
{
        static const size_t sizes[] = {sizeof(vg_counter_t),
                                       sizeof(vg_gauge_t),
                                       sizeof(vg_histo_t)};
        struct vg_metric_s *hdr = vg_metric_alloc(type, sizes[type]);

        hdr->name = vg_strdup(name);
        hdr->help = vg_strdup(help ? help : "");
        if (vg_metrics_parse_name(hdr, name) == -1) {
                vg_err("metrics", "invalid metric name \"%s\"", name);
                vg_metric_free(hdr);
                return NULL;
        }
        if (type == VG_M_COUNTER) {
                atomic_init(&((vg_counter_t *)hdr)->v, 0);
        } else if (type == VG_M_GAUGE) {
                atomic_init(&((vg_gauge_t *)hdr)->bits, vg_d2u(0.0));
        } else {
                vg_histo_t *h = (vg_histo_t *)hdr;
                atomic_init(&h->sum_ns, 0);
                atomic_init(&h->max_ns, 0);
                for (size_t i = 0; i < VG_H_NB; i++)
                        atomic_init(&h->b[i], 0);
        }
        return hdr;
}

/* Looks \p name up; a new metric if absent; NULL on a type clash. */
static struct vg_metric_s *vg_metrics_get(vg_metrics_t *m, vg_mtype_t type,
                                          const char *name, const char *help)
{
        struct vg_metric_s *hdr = NULL;
        size_t blen = strcspn(name, "{");

        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->cnt; i++) {
                struct vg_metric_s *o = m->v[i];
                if (strlen(o->base) != blen || strncmp(o->base, name, blen))
                        continue;
                if (o->type != type) {
                        vg_err("metrics",
                               "metric \"%s\" is a %s, not a %s", name,
                               vg_mtype_names[o->type], vg_mtype_names[type]);
                        goto done;
                }
                if (!strcmp(o->name, name)) {
                        hdr = o;
                        goto done;
                }
        }
        if (!(hdr = vg_metric_new(type, name, help)))
                goto done;
        if (m->cnt == m->size) {
                m->size = m->size ? m->size * 2 : 16;
                m->v    = vg_realloc(m->v, m->size * sizeof(*m->v));
        }
        m->v[m->cnt++] = hdr;
done:
        pthread_mutex_unlock(&m->lock);
        return hdr;
}

vg_counter_t *vg_metrics_counter(vg_metrics_t *m, const char *name,
                                 const char *help)
{
        return (vg_counter_t *)vg_metrics_get(m, VG_M_COUNTER, name, help);
}

vg_gauge_t *vg_metrics_gauge(vg_metrics_t *m, const char *name,
                             const char *help)
{
        return (vg_gauge_t *)vg_metrics_get(m, VG_M_GAUGE, name, help);
}

vg_histo_t *vg_metrics_histo(vg_metrics_t *m, const char *name,
                             const char *help)
{
        return (vg_histo_t *)vg_metrics_get(m, VG_M_HISTO, name, help);
}

vg_metrics_t *vg_metrics_new(void)
{
        vg_metrics_t *m = vg_calloc(1, sizeof(*m));

        pthread_mutex_init(&m->lock, NULL);
        return m;
}

void vg_metrics_destroy(vg_metrics_t *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->cnt; i++)
                vg_metric_free(m->v[i]);
        vg_free(m->v);
        pthread_mutex_destroy(&m->lock);
        vg_free(m);
}

/*
 * Export
 */

typedef struct {
        char *buf;
        size_t len, size;
} vg_sb_t;

static void vg_sb_printf(vg_sb_t *sb, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void vg_sb_printf(vg_sb_t *sb, const char *fmt, ...)
{
        va_list ap;
        int n;

        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
                va_end(ap);
                if (n >= 0 && (size_t)n < sb->size - sb->len)
                        break;
                sb->size = (sb->size + (size_t)(n > 0 ? n : 0)) * 2;
                sb->buf  = vg_realloc(sb->buf, sb->size);
        }
        sb->len += (size_t)n;
}

static void vg_sb_init(vg_sb_t *sb)
{
        sb->size   = 4096;
        sb->len    = 0;
        sb->buf    = vg_malloc(sb->size);
        sb->buf[0] = '\0';
}

static size_t vg_sb_copy(vg_sb_t *sb, char *buf, size_t size)
{
        size_t len = sb->len;

        if (size) {
                size_t n = len < size ? len : size - 1;
                memcpy(buf, sb->buf, n);
                buf[n] = '\0';
        }
        vg_free(sb->buf);
        return len;
}

/* Prometheus floats: NaN, +Inf, -Inf, else %.17g. */
static void vg_prom_double(vg_sb_t *sb, double v)
{
        if (isnan(v))
                vg_sb_printf(sb, "NaN");
        else if (isinf(v))
                vg_sb_printf(sb, v > 0 ? "+Inf" : "-Inf");
        else
                vg_sb_printf(sb, "%.17g", v);
}

static void vg_prom_help(vg_sb_t *sb, const struct vg_metric_s *hdr)
{
        vg_sb_printf(sb, "# HELP %s ", hdr->base);
        for (const char *p = hdr->help; *p; p++) {
                if (*p == '\\')
                        vg_sb_printf(sb, "\\\\");
                else if (*p == '\n')
                        vg_sb_printf(sb, "\\n");
                else
                        vg_sb_printf(sb, "%c", *p);
        }
        vg_sb_printf(sb, "\n# TYPE %s %s\n", hdr->base,
                     vg_mtype_names[hdr->type]);
}

/* `name{labels,le="x"}`-style prefix of a histogram sample. */
static void vg_prom_hname(vg_sb_t *sb, const struct vg_metric_s *hdr,
                          const char *suffix, const char *le)
{
        const char *sep = *hdr->labels && le ? "," : "";

        vg_sb_printf(sb, "%s%s", hdr->base, suffix);
        if (!*hdr->labels && !le)
                return;
        vg_sb_printf(sb, "{%s%s", hdr->labels, sep);
        if (le)
                vg_sb_printf(sb, "le=\"%s\"", le);
        vg_sb_printf(sb, "}");
}

static void vg_prom_histo(vg_sb_t *sb, const vg_histo_t *h)
{
        static const uint64_t mult[] = {10, 25, 50}; /* x d / 10 */
        uint64_t b[VG_H_NB], lo, hi, cum = 0, d = VG_H_MIN_NS, total;
        uint64_t sum = atomic_load_explicit(&((vg_histo_t *)h)->sum_ns,
                                            memory_order_relaxed);
        size_t i = 0;
        char le[32];

        total = vg_histo_snap(h, b);
        for (size_t k = 0; k <= VG_H_DECADES; k++, d *= 10) {
                for (size_t j = 0; j < 3 && (k < VG_H_DECADES || !j); j++) {
                        uint64_t bound = d / 10 * mult[j];
                        for (; i < VG_H_NB - 1; i++) {
                                vg_histo_bounds(i, 0, &lo, &hi);
                                if (hi > bound)
                                        break;
                                cum += b[i];
                        }
                        snprintf(le, sizeof(le), "%g", (double)bound / 1e9);
                        vg_prom_hname(sb, &h->hdr, "_bucket", le);
                        vg_sb_printf(sb, " %" PRIu64 "\n", cum);
                }
        }
        vg_prom_hname(sb, &h->hdr, "_bucket", "+Inf");
        vg_sb_printf(sb, " %" PRIu64 "\n", total);
        vg_prom_hname(sb, &h->hdr, "_sum", NULL);
        vg_sb_printf(sb, " %" PRIu64 ".%09" PRIu64 "\n",
                     (uint64_t)(sum / 1000000000u),
                     (uint64_t)(sum % 1000000000u));
        vg_prom_hname(sb, &h->hdr, "_count", NULL);
        vg_sb_printf(sb, " %" PRIu64 "\n", total);
}

static void vg_prom_metric(vg_sb_t *sb, const struct vg_metric_s *hdr)
{
        switch (hdr->type) {
        case VG_M_COUNTER:
                vg_sb_printf(sb, "%s %" PRIu64 "\n", hdr->name,
                             vg_counter_get((const vg_counter_t *)hdr));
                break;
        case VG_M_GAUGE:
                vg_sb_printf(sb, "%s ", hdr->name);
                vg_prom_double(sb, vg_gauge_get((const vg_gauge_t *)hdr));
                vg_sb_printf(sb, "\n");
                break;
        case VG_M_HISTO:
                vg_prom_histo(sb, (const vg_histo_t *)hdr);
                break;
        }
}

static void vg_metrics_prom_sb(vg_metrics_t *m, vg_sb_t *sb)
{
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->cnt; i++) {
                size_t j;
                for (j = 0; j < i && strcmp(m->v[j]->base, m->v[i]->base);
                     j++)
                        ;
                if (j < i)
                        continue; /* family already written */
                vg_prom_help(sb, m->v[i]);
                for (j = i; j < m->cnt; j++) {
                        if (!strcmp(m->v[j]->base, m->v[i]->base))
                                vg_prom_metric(sb, m->v[j]);
                }
        }
        pthread_mutex_unlock(&m->lock);
}

size_t vg_metrics_prometheus(vg_metrics_t *m, char *buf, size_t size)
{
        vg_sb_t sb;

        vg_sb_init(&sb);
        vg_metrics_prom_sb(m, &sb);
        return vg_sb_copy(&sb, buf, size);
}

char *vg_metrics_prometheus_str(vg_metrics_t *m, size_t *lenp)
{
        vg_sb_t sb;

        vg_sb_init(&sb);
        vg_metrics_prom_sb(m, &sb);
        if (lenp)
                *lenp = sb.len;
        return sb.buf;
}

/* A duration for humans: 850.0us, 1.23ms, 2.500s. */
static void vg_logfmt_dur(vg_sb_t *sb, const char *name, double s)
{
        if (s < 1e-3)
                vg_sb_printf(sb, "%s:%.1fus", name, s * 1e6);
        else if (s < 1.0)
                vg_sb_printf(sb, "%s:%.2fms", name, s * 1e3);
        else
                vg_sb_printf(sb, "%s:%.3fs", name, s);
}

static void vg_logfmt_histo(vg_sb_t *sb, const vg_histo_t *h)
{
        uint64_t b[VG_H_NB];
        uint64_t total  = vg_histo_snap(h, b);
        uint64_t max_ns = atomic_load_explicit(&((vg_histo_t *)h)->max_ns,
                                               memory_order_relaxed);

        vg_sb_printf(sb, "%s=n:%" PRIu64 ",", h->hdr.lkey, total);
        vg_logfmt_dur(sb, "mean", vg_histo_mean(h));
        vg_logfmt_dur(sb, ",p50", vg_histo_quantile0(b, total, max_ns, 0.5));
        vg_logfmt_dur(sb, ",p90", vg_histo_quantile0(b, total, max_ns, 0.9));
        vg_logfmt_dur(sb, ",p99",
                      vg_histo_quantile0(b, total, max_ns, 0.99));
        vg_logfmt_dur(sb, ",max", (double)max_ns / 1e9);
}

size_t vg_metrics_logfmt(vg_metrics_t *m, char *buf, size_t size)
{
        vg_sb_t sb;

        vg_sb_init(&sb);
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->cnt; i++) {
                const struct vg_metric_s *hdr = m->v[i];
                if (i)
                        vg_sb_printf(&sb, " ");
                if (hdr->type == VG_M_COUNTER)
                        vg_sb_printf(&sb, "%s=%" PRIu64, hdr->lkey,
                                     vg_counter_get((const vg_counter_t *)hdr));
                else if (hdr->type == VG_M_GAUGE)
                        vg_sb_printf(&sb, "%s=%g", hdr->lkey,
                                     vg_gauge_get((const vg_gauge_t *)hdr));
                else
                        vg_logfmt_histo(&sb, (const vg_histo_t *)hdr);
        }
        pthread_mutex_unlock(&m->lock);
        return vg_sb_copy(&sb, buf, size);
}
