/**
 * @file vg_mem.h
 * @brief Allocation wrappers. vigie is an application: out of memory aborts
 *        (as rd_malloc and zmalloc do).
 */
#ifndef VG_MEM_H
#define VG_MEM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void vg_oom(size_t size)
{
        fprintf(stderr, "level=fatal msg=\"out of memory\" size=%zu\n", size);
        abort();
}

static inline void *vg_malloc(size_t size)
{
        void *p = malloc(size ? size : 1);
        if (!p)
                vg_oom(size);
        return p;
}

static inline void *vg_calloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                vg_oom(n * size);
        return p;
}

static inline void *vg_realloc(void *ptr, size_t size)
{
        void *p = realloc(ptr, size ? size : 1);
        if (!p)
                vg_oom(size);
        return p;
}

static inline char *vg_strdup(const char *s)
{
        size_t len = strlen(s) + 1;
        char *p    = vg_malloc(len);
        memcpy(p, s, len);
        return p;
}

static inline char *vg_strndup(const char *s, size_t len)
{
        char *p = vg_malloc(len + 1);
        memcpy(p, s, len);
        p[len] = '\0';
        return p;
}

/**
 * @brief Copies \p src into \p dst of \p size bytes, truncating, always
 *        NUL-terminated (size > 0): snprintf(dst, size, "%s", src) without
 *        the format parser, for hot paths.
 * @returns strlen(src).
 */
static inline size_t vg_strlcpy(char *dst, const char *src, size_t size)
{
        size_t len = strlen(src);
        if (size) {
                size_t n = len < size - 1 ? len : size - 1;
                memcpy(dst, src, n);
                dst[n] = '\0';
        }
        return len;
}

#define vg_free(p) free(p)

#endif /* VG_MEM_H */
