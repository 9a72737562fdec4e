/**
 * @file vg_features.c
 * @brief Sparse hashed feature vectors and the slot -> name dictionary.
 */
#include "vg_features.h"
#include "vg_hash.h"
#include "vg_mem.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct vg_features_s {
        int bits;
        int n_dense;
        int nnz;
        int cap;
        uint32_t *slots;
        double *vals;
        int32_t *name_off;  /* offset in names, -1 if unnamed */
        char *names;        /* arena of NUL-terminated names */
        size_t names_len;
        size_t names_size;
        double *dense;
        uint64_t gen;
        int dropped;
};

vg_features_t *vg_features_new(int hash_bits, int n_dense)
{
        vg_features_t *x;

        if (hash_bits < VG_FEATURES_BITS_MIN ||
            hash_bits > VG_FEATURES_BITS_MAX || n_dense < 0)
                return NULL;
        x             = vg_calloc(1, sizeof(*x));
        x->bits       = hash_bits;
        x->n_dense    = n_dense;
        x->cap        = 64;
        x->slots      = vg_malloc(x->cap * sizeof(*x->slots));
        x->vals       = vg_malloc(x->cap * sizeof(*x->vals));
        x->name_off   = vg_malloc(x->cap * sizeof(*x->name_off));
        x->names_size = 1024;
        x->names      = vg_malloc(x->names_size);
        x->dense      = vg_calloc(n_dense ? n_dense : 1, sizeof(double));
        return x;
}

void vg_features_destroy(vg_features_t *x)
{
        if (!x)
                return;
        vg_free(x->slots);
        vg_free(x->vals);
        vg_free(x->name_off);
        vg_free(x->names);
        vg_free(x->dense);
        vg_free(x);
}

void vg_features_clear(vg_features_t *x)
{
        x->nnz       = 0;
        x->names_len = 0;
        x->dropped   = 0;
        if (x->n_dense)
                memset(x->dense, 0, x->n_dense * sizeof(double));
        x->gen++;
}

/* @returns the value to store, or NAN if it must be dropped. */
static double sanitize(vg_features_t *x, double v)
{
        if (!isfinite(v)) {
                x->dropped++;
                return NAN;
        }
        if (v > VG_FEATURES_MAX_ABS)
                return VG_FEATURES_MAX_ABS;
        if (v < -VG_FEATURES_MAX_ABS)
                return -VG_FEATURES_MAX_ABS;
        return v;
}

static int32_t store_name(vg_features_t *x, const char *name, size_t len)
{
        int32_t off;

        if (len >= VG_FEATURES_NAME_MAX)
                len = VG_FEATURES_NAME_MAX - 1;
        if (x->names_len + len + 1 > x->names_size) {
                while (x->names_len + len + 1 > x->names_size)
                        x->names_size *= 2;
                x->names = vg_realloc(x->names, x->names_size);
        }
        off = (int32_t)x->names_len;
        memcpy(x->names + off, name, len);
        x->names[off + len] = '\0';
        x->names_len += len + 1;
        return off;
}

/* Appends a signed value at a slot (both already derived from a hash). */
static void push_slot(vg_features_t *x, uint32_t slot, double signed_v,
                      const char *name, size_t name_len)
{
        int i;

        if (x->nnz == x->cap) {
                x->cap *= 2;
                x->slots = vg_realloc(x->slots, x->cap * sizeof(*x->slots));
                x->vals  = vg_realloc(x->vals, x->cap * sizeof(*x->vals));
                x->name_off = vg_realloc(x->name_off,
                                         x->cap * sizeof(*x->name_off));
        }
        i              = x->nnz++;
        x->slots[i]    = slot;
        x->vals[i]     = signed_v;
        x->name_off[i] = name ? store_name(x, name, name_len) : -1;
        x->gen++;
}

static void push(vg_features_t *x, uint64_t h, double v, const char *name,
                 size_t name_len)
{
        push_slot(x, vg_features_hash_slot(h, x->bits),
                  vg_features_hash_sign(h) * v, name, name_len);
}

void vg_features_add(vg_features_t *x, const char *name, double value)
{
        size_t len = strlen(name);
        double v   = sanitize(x, value);

        if (isnan(v))
                return;
        push(x, vg_hash64(name, len, 0), v, name, len);
}

void vg_features_add_kv(vg_features_t *x, const char *key, const char *val,
                        double value)
{
        char stackbuf[256], *buf = stackbuf;
        size_t kl = strlen(key), vl = strlen(val);
        double v  = sanitize(x, value);

        if (isnan(v))
                return;
        if (kl + vl + 2 > sizeof(stackbuf))
                buf = vg_malloc(kl + vl + 2);
        memcpy(buf, key, kl);
        buf[kl] = '=';
        memcpy(buf + kl + 1, val, vl);
        buf[kl + 1 + vl] = '\0';
        push(x, vg_hash64(buf, kl + 1 + vl, 0), v, buf, kl + 1 + vl);
        if (buf != stackbuf)
                vg_free(buf);
}

void vg_features_add_hashed(vg_features_t *x, uint64_t hash, double value,
                            const char *name)
{
        double v = sanitize(x, value);

        if (isnan(v))
                return;
        push(x, hash, v, name, name ? strlen(name) : 0);
}

void vg_features_set_dense(vg_features_t *x, int i, double value)
{
        double v;

        if (i < 0 || i >= x->n_dense)
                return;
        v           = sanitize(x, value);
        x->dense[i] = isnan(v) ? 0.0 : v;
        x->gen++;
}

int vg_features_nnz(const vg_features_t *x)
{
        return x->nnz;
}

int vg_features_hash_bits(const vg_features_t *x)
{
        return x->bits;
}

int vg_features_n_dense(const vg_features_t *x)
{
        return x->n_dense;
}

const uint32_t *vg_features_slots(const vg_features_t *x)
{
        return x->slots;
}

const double *vg_features_values(const vg_features_t *x)
{
        return x->vals;
}

const double *vg_features_dense(const vg_features_t *x)
{
        return x->dense;
}

const char *vg_features_name(const vg_features_t *x, int i)
{
        if (i < 0 || i >= x->nnz || x->name_off[i] < 0)
                return NULL;
        return x->names + x->name_off[i];
}

uint64_t vg_features_gen(const vg_features_t *x)
{
        return x->gen;
}

int vg_features_dropped(const vg_features_t *x)
{
        return x->dropped;
}

int vg_contrib_offer(vg_contrib_t *top, int *n, int k, double contrib,
                     vg_contrib_t **slotp)
{
        double a = fabs(contrib);
        int pos;

        if (k <= 0 || (*n == k && a <= fabs(top[k - 1].contrib)))
                return 0;
        if (*n < k)
                (*n)++;
        /* Insertion: shift smaller terms right. */
        for (pos = *n - 1; pos > 0 && fabs(top[pos - 1].contrib) < a; pos--)
                top[pos] = top[pos - 1];
        top[pos].contrib = contrib;
        top[pos].name[0] = '\0';
        *slotp           = &top[pos];
        return 1;
}

/* ---- reverse dictionary ----------------------------------------------- */

#define FEATDICT_NAME_SIZE (VG_FEATURES_NAME_MAX - 4)
/* A resident that turns a candidate away loses this fraction of its score,
 * so an entry whose feature stopped mattering is eventually replaced. */
#define FEATDICT_AGING 0.875f
/* Flag in the saved capacity: the entry scores follow each name, so that a
 * restored dictionary admits exactly what the saved one would have.
 * Dictionaries saved without it (before the scores) still load, at 0. */
#define FEATDICT_F_SCORES ((uint64_t)1 << 63)

/* Direct-mapped. The keys and scores are kept apart from the names so that
 * the check "is this slot already here, or does it beat the resident?" reads
 * 8 bytes of a small hot array; the 60-byte names are only written on
 * admission. */
struct vg_featdict_s {
        size_t cap;       /* power of 2 */
        uint32_t *key;    /* slot + 1, 0 = empty */
        float *score;     /* |weight| when last offered (0: unweighted) */
        char (*name)[FEATDICT_NAME_SIZE];
};

vg_featdict_t *vg_featdict_new(size_t cap)
{
        vg_featdict_t *d = vg_calloc(1, sizeof(*d));

        d->cap = 1;
        while (d->cap < cap)
                d->cap <<= 1;
        d->key   = vg_calloc(d->cap, sizeof(*d->key));
        d->score = vg_calloc(d->cap, sizeof(*d->score));
        d->name  = vg_calloc(d->cap, sizeof(*d->name));
        return d;
}

void vg_featdict_destroy(vg_featdict_t *d)
{
        if (!d)
                return;
        vg_free(d->key);
        vg_free(d->score);
        vg_free(d->name);
        vg_free(d);
}

static inline size_t dict_pos(const vg_featdict_t *d, uint32_t slot)
{
        return (size_t)(vg_hash_mix64(slot) & (d->cap - 1));
}

static void dict_set(vg_featdict_t *d, size_t pos, uint32_t slot,
                     const char *name, float score)
{
        size_t n = strnlen(name, FEATDICT_NAME_SIZE - 1);

        d->key[pos]   = slot + 1;
        d->score[pos] = score;
        memcpy(d->name[pos], name, n);
        d->name[pos][n] = '\0';
}

void vg_featdict_put(vg_featdict_t *d, uint32_t slot, const char *name)
{
        size_t pos;

        if (!name)
                return;
        pos = dict_pos(d, slot);
        if (d->key[pos] == slot + 1)
                return;
        dict_set(d, pos, slot, name, 0.0f);
}

void vg_featdict_remember(vg_featdict_t *d, const vg_features_t *x)
{
        for (int i = 0; i < x->nnz; i++)
                vg_featdict_put(d, x->slots[i], vg_features_name(x, i));
}

void vg_featdict_remember_weighted(vg_featdict_t *d, const vg_features_t *x,
                                   const double *w)
{
        for (int i = 0; i < x->nnz; i++) {
                uint32_t slot = x->slots[i];
                float s       = (float)fabs(w[i]);
                size_t pos;

                if (s == 0.0f || x->name_off[i] < 0)
                        continue;
                pos = dict_pos(d, slot);
                if (d->key[pos] == slot + 1)
                        d->score[pos] = s; /* refresh */
                else if (d->key[pos] == 0 || s >= d->score[pos])
                        dict_set(d, pos, slot, x->names + x->name_off[i], s);
                else
                        d->score[pos] *= FEATDICT_AGING;
        }
}

const char *vg_featdict_lookup(const vg_featdict_t *d, uint32_t slot)
{
        size_t pos = dict_pos(d, slot);
        return d->key[pos] == slot + 1 ? d->name[pos] : NULL;
}

size_t vg_featdict_memory(const vg_featdict_t *d)
{
        return sizeof(*d) + d->cap * (sizeof(*d->key) + sizeof(*d->score) +
                                      sizeof(*d->name));
}

void vg_featdict_write(const vg_featdict_t *d, vg_snap_writer_t *sw)
{
        uint32_t used = 0;

        for (size_t i = 0; i < d->cap; i++)
                used += d->key[i] != 0;
        vg_snap_put_u64(sw, d->cap | FEATDICT_F_SCORES);
        vg_snap_put_u32(sw, used);
        for (size_t i = 0; i < d->cap; i++) {
                if (!d->key[i])
                        continue;
                vg_snap_put_u32(sw, d->key[i] - 1);
                vg_snap_put_str(sw, d->name[i]);
                vg_snap_put_f32v(sw, &d->score[i], 1);
        }
}

vg_featdict_t *vg_featdict_read(vg_snap_reader_t *sr)
{
        uint64_t cap  = vg_snap_get_u64(sr);
        uint32_t used = vg_snap_get_u32(sr);
        int scores    = (cap & FEATDICT_F_SCORES) != 0;
        vg_featdict_t *d;

        if (!vg_snap_ok(sr))
                return NULL;
        cap &= ~FEATDICT_F_SCORES;
        if (cap == 0 || (cap & (cap - 1)) || cap > (1u << 24) || used > cap) {
                vg_snap_fail(sr, "feature dictionary: bad size %llu/%u",
                             (unsigned long long)cap, used);
                return NULL;
        }
        d = vg_featdict_new((size_t)cap);
        for (uint32_t i = 0; i < used && vg_snap_ok(sr); i++) {
                uint32_t slot = vg_snap_get_u32(sr);
                char *name    = vg_snap_get_str(sr);
                float score   = 0.0f;
                if (!name)
                        break;
                if (scores)
                        vg_snap_get_f32v(sr, &score, 1);
                if (!(score >= 0.0f && score <= 1e30f))
                        score = 0.0f; /* NaN or corrupt: first to go */
                dict_set(d, dict_pos(d, slot), slot, name, score);
                vg_free(name);
        }
        if (!vg_snap_ok(sr)) {
                vg_featdict_destroy(d);
                return NULL;
        }
        return d;
}

void vg_features_describe(const vg_features_t *x, int i,
                          const vg_featdict_t *d, char *out, size_t size)
{
        const char *name = vg_features_name(x, i);

        if (!name && d)
                name = vg_featdict_lookup(d, x->slots[i]);
        if (name)
                vg_strlcpy(out, name, size);
        else
                snprintf(out, size, "slot:%u", x->slots[i]);
}

/* ---------------------------------------------------------------------- */
/* Features as scored                                                     */

/* Blob layouts, in native byte order (a blob lives in this deployment's
 * Redis only, for the days a processor keeps it):
 *
 * VGF3 (written): "VGF3", f64 p, i64 cluster id (-1: unknown), u32 hash
 * bits, u32 sparse count, u32 dense count, then per sparse feature u32
 * slot and f64 value (signed by its hash, as in the vector), then the
 * dense values. No names: a stored blob holds no word of the record, only
 * slots (each shared by every name that hashes there) and values, all
 * that learning uses; explanations are made when scoring, from the
 * vector's own names.
 *
 * VGF2 (read only: blobs written before VGF3, until their TTL): "VGF2",
 * f64 p, i64 cluster id, u32 count, then per named feature f64 value (not
 * signed), u16 name length, name bytes. Decoded into slots; the names are
 * not kept. */
#define VG_FEATURES_BLOB_MAGIC    "VGF3"
#define VG_FEATURES_BLOB_MAGIC_V2 "VGF2"
#define VG_FEATURES_BLOB_HEAD     20 /* magic, p, cluster */

static void vg_features_put(char **w, const void *src, size_t n)
{
        memcpy(*w, src, n);
        *w += n;
}

static int vg_features_get(const char **r, const char *end, void *dst, size_t n)
{
        if ((size_t)(end - *r) < n)
                return -1;
        memcpy(dst, *r, n);
        *r += n;
        return 0;
}

char *vg_features_blob_encode(const vg_features_t *x, double p,
                              int64_t cluster, size_t *lenp)
{
        uint32_t bits = (uint32_t)x->bits, nnz = (uint32_t)x->nnz;
        uint32_t nd   = (uint32_t)x->n_dense;
        size_t cap    = VG_FEATURES_BLOB_HEAD + 12 + (size_t)nnz * 12 +
                     (size_t)nd * sizeof(double);
        char *buf = vg_malloc(cap), *w = buf;

        vg_features_put(&w, VG_FEATURES_BLOB_MAGIC, 4);
        vg_features_put(&w, &p, sizeof(p));
        vg_features_put(&w, &cluster, sizeof(cluster));
        vg_features_put(&w, &bits, sizeof(bits));
        vg_features_put(&w, &nnz, sizeof(nnz));
        vg_features_put(&w, &nd, sizeof(nd));
        for (uint32_t i = 0; i < nnz; i++) {
                vg_features_put(&w, &x->slots[i], sizeof(x->slots[i]));
                vg_features_put(&w, &x->vals[i], sizeof(x->vals[i]));
        }
        if (nd)
                vg_features_put(&w, x->dense, nd * sizeof(double));
        *lenp = (size_t)(w - buf);
        return buf;
}

static int blob_known(const char *blob, size_t len)
{
        return blob && len >= VG_FEATURES_BLOB_HEAD &&
               (!memcmp(blob, VG_FEATURES_BLOB_MAGIC, 4) ||
                !memcmp(blob, VG_FEATURES_BLOB_MAGIC_V2, 4));
}

int64_t vg_features_blob_cluster(const char *blob, size_t len)
{
        int64_t cluster;

        if (!blob_known(blob, len))
                return -1;
        memcpy(&cluster, blob + 12, sizeof(cluster));
        return cluster;
}

/* VGF3 after the head: slots and signed values. */
static int blob_decode_v3(vg_features_t *x, const char *r, const char *end)
{
        uint32_t bits, nnz, nd, shift;

        if (vg_features_get(&r, end, &bits, sizeof(bits)) ||
            vg_features_get(&r, end, &nnz, sizeof(nnz)) ||
            vg_features_get(&r, end, &nd, sizeof(nd)))
                return -1;
        /* a vector of more slots than the blob's cannot be rebuilt; one of
         * fewer takes the top bits, as vg_features_hash_slot() does */
        if (bits < (uint32_t)x->bits || bits > VG_FEATURES_BITS_MAX ||
            nd != (uint32_t)x->n_dense ||
            (size_t)(end - r) != (size_t)nnz * 12 + (size_t)nd * 8)
                return -1;
        shift = bits - (uint32_t)x->bits;
        for (uint32_t i = 0; i < nnz; i++) {
                uint32_t slot = 0; /* the length check above: always read */
                double val    = 0;
                vg_features_get(&r, end, &slot, sizeof(slot));
                vg_features_get(&r, end, &val, sizeof(val));
                if (slot >> bits)
                        return -1;
                val = sanitize(x, val);
                if (!isnan(val))
                        push_slot(x, slot >> shift, val, NULL, 0);
        }
        for (uint32_t i = 0; i < nd; i++) {
                double val;
                vg_features_get(&r, end, &val, sizeof(val));
                vg_features_set_dense(x, (int)i, val);
        }
        return 0;
}

/* VGF2 after the head: values and names, hashed again, names dropped. */
static int blob_decode_v2(vg_features_t *x, const char *r, const char *end)
{
        char name[VG_FEATURES_NAME_MAX + 1];
        uint32_t n;

        if (vg_features_get(&r, end, &n, sizeof(n)))
                return -1;
        for (uint32_t i = 0; i < n; i++) {
                double val;
                uint16_t nl;
                if (vg_features_get(&r, end, &val, sizeof(val)) ||
                    vg_features_get(&r, end, &nl, sizeof(nl)) ||
                    nl > VG_FEATURES_NAME_MAX ||
                    vg_features_get(&r, end, name, nl))
                        return -1;
                vg_features_add_hashed(x, vg_hash64(name, nl, 0), val, NULL);
        }
        return r == end ? 0 : -1;
}

int vg_features_blob_decode(vg_features_t *x, const char *blob, size_t len,
                            double *pp, int64_t *clusterp)
{
        const char *r, *end;
        int rc;

        vg_features_clear(x);
        if (!blob_known(blob, len))
                return -1;
        r   = blob + 4;
        end = blob + len;
        memcpy(pp, r, sizeof(*pp));
        memcpy(clusterp, r + 8, sizeof(*clusterp));
        r += 16;
        if (!memcmp(blob, VG_FEATURES_BLOB_MAGIC, 4))
                rc = blob_decode_v3(x, r, end);
        else
                rc = blob_decode_v2(x, r, end);
        if (rc)
                vg_features_clear(x);
        return rc;
}
