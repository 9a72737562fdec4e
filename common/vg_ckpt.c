/**
 * @file vg_ckpt.c
 * @brief Checkpoints: a model and the offsets it has learned up to (see
 *        vg_ckpt.h).
 */
#include "vg_ckpt.h"
#include "vg_mem.h"

#include <stdio.h>
#include <string.h>

#define VG_CKPT_MAGIC   "VGCK"
#define VG_CKPT_VERSION 1u
#define VG_CKPT_MAXPART 100000

void *vg_ckpt_encode(const int64_t *next, int nparts, const void *model,
                     size_t model_len, size_t *lenp)
{
        uint32_t v = VG_CKPT_VERSION, n = (uint32_t)nparts;
        uint64_t ml = model_len;
        size_t len  = 4 + 4 + 4 + (size_t)nparts * 8 + 8 + model_len;
        char *buf   = vg_malloc(len), *w = buf;

        memcpy(w, VG_CKPT_MAGIC, 4);
        memcpy(w + 4, &v, 4);
        memcpy(w + 8, &n, 4);
        w += 12;
        if (nparts > 0)
                memcpy(w, next, (size_t)nparts * 8);
        w += (size_t)nparts * 8;
        memcpy(w, &ml, 8);
        if (model_len)
                memcpy(w + 8, model, model_len);
        *lenp = len;
        return buf;
}

int vg_ckpt_decode(const void *buf, size_t len, int64_t **nextp,
                   int *npartsp, const void **modelp, size_t *model_lenp,
                   char *errstr, size_t errstr_size)
{
        const char *r = buf;
        uint32_t v, n;
        uint64_t ml;

        if (len < 12 || memcmp(r, VG_CKPT_MAGIC, 4)) {
                snprintf(errstr, errstr_size, "not a checkpoint");
                return -1;
        }
        memcpy(&v, r + 4, 4);
        memcpy(&n, r + 8, 4);
        if (v != VG_CKPT_VERSION || n > VG_CKPT_MAXPART ||
            len < 12 + (size_t)n * 8 + 8) {
                snprintf(errstr, errstr_size, "checkpoint version %u with "
                         "%u partition(s) in %zu bytes: not readable",
                         v, n, len);
                return -1;
        }
        memcpy(&ml, r + 12 + (size_t)n * 8, 8);
        if (ml != len - (12 + (size_t)n * 8 + 8)) {
                snprintf(errstr, errstr_size, "checkpoint truncated: model "
                         "of %llu bytes in %zu", (unsigned long long)ml,
                         len);
                return -1;
        }
        *nextp = vg_malloc(sizeof(**nextp) * (size_t)(n + 1));
        if (n > 0)
                memcpy(*nextp, r + 12, (size_t)n * 8);
        *npartsp    = (int)n;
        *modelp     = r + 12 + (size_t)n * 8 + 8;
        *model_lenp = (size_t)ml;
        return 0;
}

int64_t vg_ckpt_progress(const int64_t *next, int nparts)
{
        int64_t sum = 0;
        for (int i = 0; i < nparts; i++)
                if (next[i] > 0)
                        sum += next[i];
        return sum;
}
