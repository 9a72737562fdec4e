/**
 * @file vg_snapshot.c
 * @brief Snapshot envelope, primitive encoders/decoders, atomic file I/O.
 */
#include "vg_snapshot.h"
#include "vg_hash.h"
#include "vg_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct vg_snap_writer_s {
        unsigned char *buf;
        size_t len;
        size_t size;
        vg_snap_kind_t kind;
};

struct vg_snap_reader_s {
        const unsigned char *p;   /* payload */
        size_t len;
        size_t off;
        int failed;
        char err[256];
};

/* Little-endian encoding helpers. */
static void le_put(unsigned char *p, uint64_t v, int n)
{
        for (int i = 0; i < n; i++)
                p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t le_get(const unsigned char *p, int n)
{
        uint64_t v = 0;
        for (int i = 0; i < n; i++)
                v |= (uint64_t)p[i] << (8 * i);
        return v;
}

vg_snap_writer_t *vg_snap_writer_new(vg_snap_kind_t kind)
{
        vg_snap_writer_t *sw = vg_calloc(1, sizeof(*sw));
        sw->size = 4096;
        sw->buf  = vg_malloc(sw->size);
        sw->len  = VG_SNAP_HEADER_SIZE;
        sw->kind = kind;
        return sw;
}

void vg_snap_writer_destroy(vg_snap_writer_t *sw)
{
        if (!sw)
                return;
        vg_free(sw->buf);
        vg_free(sw);
}

static unsigned char *sw_reserve(vg_snap_writer_t *sw, size_t n)
{
        unsigned char *p;

        if (sw->len + n > sw->size) {
                while (sw->len + n > sw->size)
                        sw->size *= 2;
                sw->buf = vg_realloc(sw->buf, sw->size);
        }
        p = sw->buf + sw->len;
        sw->len += n;
        return p;
}

void vg_snap_put_u8(vg_snap_writer_t *sw, uint8_t v)
{
        *sw_reserve(sw, 1) = v;
}

void vg_snap_put_u32(vg_snap_writer_t *sw, uint32_t v)
{
        le_put(sw_reserve(sw, 4), v, 4);
}

void vg_snap_put_u64(vg_snap_writer_t *sw, uint64_t v)
{
        le_put(sw_reserve(sw, 8), v, 8);
}

void vg_snap_put_i64(vg_snap_writer_t *sw, int64_t v)
{
        vg_snap_put_u64(sw, (uint64_t)v);
}

void vg_snap_put_f64(vg_snap_writer_t *sw, double v)
{
        uint64_t bits;
        memcpy(&bits, &v, 8);
        vg_snap_put_u64(sw, bits);
}

void vg_snap_put_f64v(vg_snap_writer_t *sw, const double *v, size_t n)
{
        unsigned char *p = sw_reserve(sw, 8 * n);
        for (size_t i = 0; i < n; i++) {
                uint64_t bits;
                memcpy(&bits, &v[i], 8);
                le_put(p + 8 * i, bits, 8);
        }
}

void vg_snap_put_f32v(vg_snap_writer_t *sw, const float *v, size_t n)
{
        unsigned char *p = sw_reserve(sw, 4 * n);
        for (size_t i = 0; i < n; i++) {
                uint32_t bits;
                memcpy(&bits, &v[i], 4);
                le_put(p + 4 * i, bits, 4);
        }
}

void vg_snap_put_bytes(vg_snap_writer_t *sw, const void *buf, size_t len)
{
        vg_snap_put_u64(sw, (uint64_t)len);
        memcpy(sw_reserve(sw, len), buf, len);
}

void vg_snap_put_str(vg_snap_writer_t *sw, const char *s)
{
        size_t n;

        if (!s) {
                vg_snap_put_u32(sw, UINT32_MAX);
                return;
        }
        n = strlen(s);
        vg_snap_put_u32(sw, (uint32_t)n);
        memcpy(sw_reserve(sw, n), s, n);
}

void *vg_snap_writer_finish(vg_snap_writer_t *sw, size_t *lenp)
{
        unsigned char *h = sw->buf;
        size_t plen      = sw->len - VG_SNAP_HEADER_SIZE;
        void *buf;

        memcpy(h, VG_SNAP_MAGIC, 4);
        le_put(h + 4, VG_SNAP_VERSION, 2);
        le_put(h + 6, (uint64_t)sw->kind, 2);
        le_put(h + 8, plen, 8);
        le_put(h + 16, vg_crc32(0, h + VG_SNAP_HEADER_SIZE, plen), 4);
        le_put(h + 20, vg_crc32(0, h, 20), 4);
        buf   = sw->buf;
        *lenp = sw->len;
        vg_free(sw);
        return buf;
}

vg_snap_reader_t *vg_snap_reader_new(const void *buf, size_t len,
                                     vg_snap_kind_t kind, char *errstr,
                                     size_t errstr_size)
{
        const unsigned char *h = buf;
        vg_snap_reader_t *sr;
        uint64_t plen;
        unsigned ver, k;

        if (!buf || len < VG_SNAP_HEADER_SIZE) {
                snprintf(errstr, errstr_size,
                         "snapshot truncated: %zu bytes, header needs %d",
                         len, VG_SNAP_HEADER_SIZE);
                return NULL;
        }
        if (memcmp(h, VG_SNAP_MAGIC, 4)) {
                snprintf(errstr, errstr_size, "not a vigie snapshot (bad magic)");
                return NULL;
        }
        if (le_get(h + 20, 4) != vg_crc32(0, h, 20)) {
                snprintf(errstr, errstr_size, "snapshot header checksum mismatch");
                return NULL;
        }
        ver = (unsigned)le_get(h + 4, 2);
        k   = (unsigned)le_get(h + 6, 2);
        if (ver != VG_SNAP_VERSION) {
                snprintf(errstr, errstr_size,
                         "unsupported snapshot version %u (this build reads %d)",
                         ver, VG_SNAP_VERSION);
                return NULL;
        }
        if (k != (unsigned)kind) {
                snprintf(errstr, errstr_size,
                         "snapshot holds model kind %u, expected %u", k,
                         (unsigned)kind);
                return NULL;
        }
        plen = le_get(h + 8, 8);
        if (plen != len - VG_SNAP_HEADER_SIZE) {
                snprintf(errstr, errstr_size,
                         "snapshot %s: payload is %zu bytes, header says %llu",
                         plen > len - VG_SNAP_HEADER_SIZE ? "truncated"
                                                          : "has trailing bytes",
                         len - VG_SNAP_HEADER_SIZE, (unsigned long long)plen);
                return NULL;
        }
        if (le_get(h + 16, 4) != vg_crc32(0, h + VG_SNAP_HEADER_SIZE, plen)) {
                snprintf(errstr, errstr_size,
                         "snapshot payload checksum mismatch (corrupt)");
                return NULL;
        }
        sr      = vg_calloc(1, sizeof(*sr));
        sr->p   = h + VG_SNAP_HEADER_SIZE;
        sr->len = (size_t)plen;
        return sr;
}

vg_err_t vg_snap_reader_destroy(vg_snap_reader_t *sr, char *errstr,
                                size_t errstr_size)
{
        vg_err_t err = VG_OK;

        if (!sr)
                return VG_OK;
        if (!sr->failed && sr->off != sr->len)
                vg_snap_fail(sr, "snapshot has %zu unread payload bytes",
                             sr->len - sr->off);
        if (sr->failed) {
                if (errstr)
                        snprintf(errstr, errstr_size, "%s", sr->err);
                err = VG_ERR_CORRUPT;
        }
        vg_free(sr);
        return err;
}

int vg_snap_ok(const vg_snap_reader_t *sr)
{
        return !sr->failed;
}

void vg_snap_fail(vg_snap_reader_t *sr, const char *fmt, ...)
{
        va_list ap;

        if (sr->failed)
                return;
        sr->failed = 1;
        va_start(ap, fmt);
        vsnprintf(sr->err, sizeof(sr->err), fmt, ap);
        va_end(ap);
}

size_t vg_snap_remaining(const vg_snap_reader_t *sr)
{
        return sr->failed ? 0 : sr->len - sr->off;
}

/* @returns a pointer to \p n payload bytes, or NULL (reader failed). */
static const unsigned char *sr_take(vg_snap_reader_t *sr, size_t n)
{
        const unsigned char *p;

        if (sr->failed)
                return NULL;
        if (n > sr->len - sr->off) {
                vg_snap_fail(sr,
                             "snapshot payload ends early: need %zu bytes at "
                             "offset %zu of %zu",
                             n, sr->off, sr->len);
                return NULL;
        }
        p = sr->p + sr->off;
        sr->off += n;
        return p;
}

uint8_t vg_snap_get_u8(vg_snap_reader_t *sr)
{
        const unsigned char *p = sr_take(sr, 1);
        return p ? *p : 0;
}

uint32_t vg_snap_get_u32(vg_snap_reader_t *sr)
{
        const unsigned char *p = sr_take(sr, 4);
        return p ? (uint32_t)le_get(p, 4) : 0;
}

uint64_t vg_snap_get_u64(vg_snap_reader_t *sr)
{
        const unsigned char *p = sr_take(sr, 8);
        return p ? le_get(p, 8) : 0;
}

int64_t vg_snap_get_i64(vg_snap_reader_t *sr)
{
        return (int64_t)vg_snap_get_u64(sr);
}

double vg_snap_get_f64(vg_snap_reader_t *sr)
{
        uint64_t bits = vg_snap_get_u64(sr);
        double v;
        memcpy(&v, &bits, 8);
        return v;
}

int vg_snap_get_f64v(vg_snap_reader_t *sr, double *v, size_t n)
{
        const unsigned char *p;

        if (n > SIZE_MAX / 8 || !(p = sr_take(sr, 8 * n)))
                return 0;
        for (size_t i = 0; i < n; i++) {
                uint64_t bits = le_get(p + 8 * i, 8);
                memcpy(&v[i], &bits, 8);
        }
        return 1;
}

const void *vg_snap_get_bytes(vg_snap_reader_t *sr, size_t *lenp)
{
        uint64_t n = vg_snap_get_u64(sr);
        const unsigned char *p;

        if (!vg_snap_ok(sr) || n > SIZE_MAX || !(p = sr_take(sr, (size_t)n)))
                return NULL;
        *lenp = (size_t)n;
        return p;
}

int vg_snap_get_f32v(vg_snap_reader_t *sr, float *v, size_t n)
{
        const unsigned char *p;

        if (n > SIZE_MAX / 4 || !(p = sr_take(sr, 4 * n)))
                return 0;
        for (size_t i = 0; i < n; i++) {
                uint32_t bits = (uint32_t)le_get(p + 4 * i, 4);
                memcpy(&v[i], &bits, 4);
        }
        return 1;
}

char *vg_snap_get_str(vg_snap_reader_t *sr)
{
        uint32_t n = vg_snap_get_u32(sr);
        const unsigned char *p;

        if (sr->failed || n == UINT32_MAX)
                return NULL;
        if (!(p = sr_take(sr, n)))
                return NULL;
        if (memchr(p, '\0', n)) {
                vg_snap_fail(sr, "snapshot string holds a NUL byte");
                return NULL;
        }
        return vg_strndup((const char *)p, n);
}

vg_err_t vg_snapshot_write_file(const char *path, const void *buf,
                                size_t len, char *errstr, size_t errstr_size)
{
        size_t plen = strlen(path);
        char *tmp   = vg_malloc(plen + 32);
        const unsigned char *p = buf;
        size_t left = len;
        int fd;

        snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                snprintf(errstr, errstr_size, "%s: open: %s", tmp,
                         strerror(errno));
                vg_free(tmp);
                return VG_ERR_IO;
        }
        while (left > 0) {
                ssize_t r = write(fd, p, left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        goto fail;
                p += r;
                left -= (size_t)r;
        }
        if (fsync(fd) < 0)
                goto fail;
        if (close(fd) < 0) {
                fd = -1;
                goto fail;
        }
        fd = -1;
        if (rename(tmp, path) < 0)
                goto fail;
        vg_free(tmp);
        return VG_OK;

fail:
        snprintf(errstr, errstr_size, "%s: cannot write snapshot: %s", path,
                 strerror(errno));
        if (fd >= 0)
                close(fd);
        unlink(tmp);
        vg_free(tmp);
        return VG_ERR_IO;
}

vg_err_t vg_snapshot_read_file(const char *path, void **bufp, size_t *lenp,
                               char *errstr, size_t errstr_size)
{
        FILE *fp = fopen(path, "rb");
        unsigned char *buf;
        size_t size = 65536, len = 0, r;

        if (!fp) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return errno == ENOENT ? VG_ERR_NOENT : VG_ERR_IO;
        }
        buf = vg_malloc(size);
        while ((r = fread(buf + len, 1, size - len, fp)) > 0) {
                len += r;
                if (len == size) {
                        size *= 2;
                        buf = vg_realloc(buf, size);
                }
        }
        if (ferror(fp)) {
                snprintf(errstr, errstr_size, "%s: read error", path);
                fclose(fp);
                vg_free(buf);
                return VG_ERR_IO;
        }
        fclose(fp);
        *bufp = buf;
        *lenp = len;
        return VG_OK;
}
