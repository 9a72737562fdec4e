/**
 * @file vg_pseudo.c
 * @brief Keyed pseudonyms with OpenSSL's HMAC-SHA-256 (see vg_pseudo.h).
 *
 * The key is given to an EVP_MAC_CTX once (vg_pseudo_new); each pseudonym
 * duplicates that keyed context, so that concurrent calls share nothing
 * mutable. OpenSSL keeps its own copy of the key and wipes it when the
 * context is freed; ours are wiped as soon as the context holds it.
 */
#include "vg_pseudo.h"

#include "vg_err.h"
#include "vg_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* Upper case: never the normalisation of an id, which is lowercased. */
#define KEY_ID_LABEL "VIGIE-PSEUDONYM-KEY-ID"

struct vg_pseudo_s {
        EVP_MAC *mac;
        EVP_MAC_CTX *ctx; /* keyed, never updated: duplicated per call */
        char key_id[VG_PSEUDO_KEY_ID_SIZE];
};

static const char hexd[] = "0123456789abcdef";

static void hex(const unsigned char *b, size_t n, char *out)
{
        for (size_t i = 0; i < n; i++) {
                out[2 * i]     = hexd[b[i] >> 4];
                out[2 * i + 1] = hexd[b[i] & 15];
        }
        out[2 * n] = '\0';
}

void vg_pseudo_destroy(vg_pseudo_t *vp)
{
        if (!vp)
                return;
        EVP_MAC_CTX_free(vp->ctx); /* wipes OpenSSL's copy of the key */
        EVP_MAC_free(vp->mac);
        OPENSSL_cleanse(vp, sizeof(*vp));
        vg_free(vp);
}

vg_pseudo_t *vg_pseudo_new_key(const void *key, size_t key_len, char *errstr,
                               size_t errstr_size)
{
        static char digest[] = "SHA256";
        OSSL_PARAM params[2];
        unsigned char id[VG_PSEUDO_MAC_SIZE];
        vg_pseudo_t *vp;

        if (key_len < VG_PSEUDO_KEY_MIN || key_len > VG_PSEUDO_KEY_MAX) {
                snprintf(errstr, errstr_size,
                         "pseudonym key of %zu bytes: %d to %d bytes needed",
                         key_len, VG_PSEUDO_KEY_MIN, VG_PSEUDO_KEY_MAX);
                return NULL;
        }
        vp        = vg_calloc(1, sizeof(*vp));
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                     digest, 0);
        params[1] = OSSL_PARAM_construct_end();
        vp->mac   = EVP_MAC_fetch(NULL, "HMAC", NULL);
        vp->ctx   = vp->mac ? EVP_MAC_CTX_new(vp->mac) : NULL;
        if (!vp->ctx || !EVP_MAC_init(vp->ctx, key, key_len, params))
                goto fail;
        if (vg_pseudo_mac(vp, KEY_ID_LABEL, strlen(KEY_ID_LABEL), id) != VG_OK)
                goto fail;
        memcpy(vp->key_id, "k-", 2);
        hex(id, 4, vp->key_id + 2);
        OPENSSL_cleanse(id, sizeof(id));
        return vp;
fail:
        snprintf(errstr, errstr_size,
                 "pseudonym key: OpenSSL cannot set up HMAC-SHA-256");
        vg_pseudo_destroy(vp);
        return NULL;
}

/* Reads the key file \p path into buf (VG_PSEUDO_KEY_MAX + 3 bytes).
 * @returns its length without one trailing newline, or -1 (errstr). */
static long key_file_read(const char *path, unsigned char *buf, char *errstr,
                          size_t errstr_size)
{
        size_t cap = VG_PSEUDO_KEY_MAX + 3, n = 0;
        struct stat st;
        int fd, err;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                snprintf(errstr, errstr_size, "pseudonym key file %s: %s",
                         path, strerror(errno));
                return -1;
        }
        if (fstat(fd, &st) < 0) {
                snprintf(errstr, errstr_size, "pseudonym key file %s: %s",
                         path, strerror(errno));
                goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(errstr, errstr_size,
                         "pseudonym key file %s: not a regular file", path);
                goto fail;
        }
        if (st.st_mode & (S_IRWXG | S_IRWXO)) {
                snprintf(errstr, errstr_size,
                         "pseudonym key file %s has mode %04o: it must not "
                         "be readable (nor writable) by group or others "
                         "(chmod 600 %s)",
                         path, (unsigned)(st.st_mode & 07777), path);
                goto fail;
        }
        for (;;) {
                ssize_t r = read(fd, buf + n, cap - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        err = errno;
                        snprintf(errstr, errstr_size,
                                 "pseudonym key file %s: %s", path,
                                 strerror(err));
                        goto fail;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
                if (n == cap) {
                        snprintf(errstr, errstr_size,
                                 "pseudonym key file %s: more than %d bytes",
                                 path, VG_PSEUDO_KEY_MAX);
                        goto fail;
                }
        }
        close(fd);
        if (n > 0 && buf[n - 1] == '\n') {
                n--;
                if (n > 0 && buf[n - 1] == '\r')
                        n--;
        }
        return (long)n;
fail:
        close(fd);
        return -1;
}

vg_pseudo_t *vg_pseudo_new(const char *key_file, const char *key_env,
                           char *errstr, size_t errstr_size)
{
        unsigned char buf[VG_PSEUDO_KEY_MAX + 3];
        int has_file = key_file && *key_file, has_env = key_env && *key_env;
        char sub[256];
        vg_pseudo_t *vp = NULL;
        long n;

        if (has_file == has_env) {
                snprintf(errstr, errstr_size,
                         has_file ? "pseudonym key: give a key file or an "
                                    "environment variable, not both"
                                  : "pseudonym key: no key file and no "
                                    "environment variable given");
                return NULL;
        }
        if (has_file) {
                n = key_file_read(key_file, buf, errstr, errstr_size);
                if (n < 0)
                        goto done;
                if (n < VG_PSEUDO_KEY_MIN) {
                        snprintf(errstr, errstr_size,
                                 "pseudonym key file %s: key of %ld bytes, "
                                 "at least %d needed",
                                 key_file, n, VG_PSEUDO_KEY_MIN);
                        goto done;
                }
                vp = vg_pseudo_new_key(buf, (size_t)n, sub, sizeof(sub));
                if (!vp)
                        snprintf(errstr, errstr_size, "%s (file %s)", sub,
                                 key_file);
        } else {
                const char *v = getenv(key_env);
                size_t len    = v ? strlen(v) : 0;

                if (!v) {
                        snprintf(errstr, errstr_size,
                                 "pseudonym key: environment variable %s is "
                                 "not set",
                                 key_env);
                        return NULL;
                }
                if (len < VG_PSEUDO_KEY_MIN || len > VG_PSEUDO_KEY_MAX) {
                        snprintf(errstr, errstr_size,
                                 "pseudonym key: environment variable %s "
                                 "holds %zu bytes, %d to %d needed",
                                 key_env, len, VG_PSEUDO_KEY_MIN,
                                 VG_PSEUDO_KEY_MAX);
                        return NULL;
                }
                vp = vg_pseudo_new_key(v, len, sub, sizeof(sub));
                if (!vp)
                        snprintf(errstr, errstr_size, "%s (variable %s)", sub,
                                 key_env);
                return vp;
        }
done:
        OPENSSL_cleanse(buf, sizeof(buf));
        return vp;
}

int vg_pseudo_mac(const vg_pseudo_t *vp, const void *msg, size_t len,
                  unsigned char mac[VG_PSEUDO_MAC_SIZE])
{
        EVP_MAC_CTX *c = EVP_MAC_CTX_dup(vp->ctx);
        size_t outl    = 0;
        int ok;

        ok = c && EVP_MAC_update(c, msg, len) &&
             EVP_MAC_final(c, mac, &outl, VG_PSEUDO_MAC_SIZE) &&
             outl == VG_PSEUDO_MAC_SIZE;
        EVP_MAC_CTX_free(c);
        return ok ? VG_OK : VG_ERR_IO;
}

static int is_space(unsigned c)
{
        return c == ' ' || (c >= '\t' && c <= '\r');
}

int vg_pseudo_make(const vg_pseudo_t *vp, const char *id, char *out,
                   size_t out_size)
{
        const unsigned char *s = (const unsigned char *)id, *e;
        unsigned char chunk[256], mac[VG_PSEUDO_MAC_SIZE];
        EVP_MAC_CTX *c;
        size_t outl = 0;
        int ok;

        if (out_size)
                out[0] = '\0';
        while (*s && is_space(*s))
                s++;
        e = s + strlen((const char *)s);
        while (e > s && is_space(e[-1]))
                e--;
        if (e == s || out_size < VG_PSEUDO_SIZE)
                return VG_ERR_INVALID;
        c  = EVP_MAC_CTX_dup(vp->ctx);
        ok = c != NULL;
        while (ok && s < e) {
                size_t k = 0;
                while (k < sizeof(chunk) && s < e) {
                        unsigned ch = *s++;
                        chunk[k++] = (unsigned char)(ch - 'A' < 26u
                                                             ? ch | 0x20
                                                             : ch);
                }
                ok = EVP_MAC_update(c, chunk, k);
        }
        ok = ok && EVP_MAC_final(c, mac, &outl, sizeof(mac)) &&
             outl == sizeof(mac);
        EVP_MAC_CTX_free(c);
        OPENSSL_cleanse(chunk, sizeof(chunk)); /* the id: personal data */
        if (!ok)
                return VG_ERR_IO;
        memcpy(out, "p-", 2);
        hex(mac, 16, out + 2);
        return VG_OK;
}

const char *vg_pseudo_key_id(const vg_pseudo_t *vp)
{
        return vp->key_id;
}
