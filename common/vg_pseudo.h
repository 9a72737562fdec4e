/**
 * @file vg_pseudo.h
 * @brief Keyed pseudonyms: the same identifier (a survey respondent's
 *        e-mail, user id...) always gives the same pseudonym under one
 *        key, and nobody without the key can compute it or go back.
 *
 * pseudonym(id) = "p-" + hex(first 16 bytes of HMAC-SHA-256(key, norm(id)))
 *
 * norm(id) trims the ASCII white space (space, \\t, \\n, \\v, \\f, \\r)
 * at both ends and lowercases the ASCII letters A-Z; every other byte
 * (accented letters included: "É" stays "É") is kept as it is. So
 * " Jean.Dupont@Exemple.FR\\n" and "jean.dupont@exemple.fr" give the same
 * pseudonym, "élodie" and "Élodie" do not.
 *
 * HMAC-SHA-256 is OpenSSL's (libcrypto, EVP_MAC "HMAC" with "SHA256").
 *
 * The key comes from a file or from an environment variable. Its bytes
 * are used as they are (the 64 characters written by
 * `openssl rand -hex 32` are a 64-byte key; they are not decoded). It
 * never appears in an error message, a log or a dump; the key id
 * (vg_pseudo_key_id()) tells keys apart without revealing them. Pseudonyms
 * change with the key: see "Pseudonym key" in deploy/README.md for the
 * rotation.
 *
 * @locality thread-safe once created: vg_pseudo_make(), vg_pseudo_mac()
 *           and vg_pseudo_key_id() only read the object.
 */
#ifndef VG_PSEUDO_H
#define VG_PSEUDO_H

#include <stddef.h>

typedef struct vg_pseudo_s vg_pseudo_t;

/** Fewest bytes of a key. */
#define VG_PSEUDO_KEY_MIN 16
/** Most bytes of a key (a longer file is refused). */
#define VG_PSEUDO_KEY_MAX 1024
/** Bytes of a pseudonym and its NUL: "p-" + 32 hex digits. */
#define VG_PSEUDO_SIZE 35
/** Bytes of a key id and its NUL: "k-" + 8 hex digits. */
#define VG_PSEUDO_KEY_ID_SIZE 11
/** Bytes of an HMAC-SHA-256. */
#define VG_PSEUDO_MAC_SIZE 32

/**
 * @brief Loads the key and prepares the HMAC.
 *
 * Exactly one of \p key_file and \p key_env must be given (not NULL and
 * not empty):
 *  - \p key_file: a regular file, readable by its owner only (no
 *    permission for group or others: chmod 600 or 400), whose content is
 *    the key, one trailing newline ("\\n" or "\\r\\n") removed;
 *  - \p key_env: the name of an environment variable that holds the key.
 * The key must have VG_PSEUDO_KEY_MIN to VG_PSEUDO_KEY_MAX bytes. The
 * buffers that held it are wiped (OPENSSL_cleanse) before returning.
 *
 * @param errstr filled on failure with a message naming the file or the
 *        variable, never the key's content.
 * @returns the pseudonymiser, to free with vg_pseudo_destroy(), or NULL.
 */
vg_pseudo_t *vg_pseudo_new(const char *key_file, const char *key_env,
                           char *errstr, size_t errstr_size);

/**
 * @brief As vg_pseudo_new(), with the key given in memory (tests, tools).
 *        The caller keeps \p key and wipes it.
 */
vg_pseudo_t *vg_pseudo_new_key(const void *key, size_t key_len, char *errstr,
                               size_t errstr_size);

/**
 * @brief Writes the pseudonym of \p id ("p-" and 32 lowercase hex digits)
 *        to \p out.
 * @param id NUL-terminated; must not be empty once trimmed.
 * @param out_size at least VG_PSEUDO_SIZE.
 * @returns VG_OK (0), or VG_ERR_INVALID (an empty id, \p out too small:
 *          \p out then holds "" if \p out_size > 0), or VG_ERR_IO (an
 *          OpenSSL failure).
 */
int vg_pseudo_make(const vg_pseudo_t *vp, const char *id, char *out,
                   size_t out_size);

/**
 * @brief The raw HMAC-SHA-256 of \p len bytes of \p msg under the key, no
 *        normalisation (known-answer tests, other derived values).
 * @returns VG_OK, or VG_ERR_IO (an OpenSSL failure).
 */
int vg_pseudo_mac(const vg_pseudo_t *vp, const void *msg, size_t len,
                  unsigned char mac[VG_PSEUDO_MAC_SIZE]);

/**
 * @returns the key id: "k-" and the 8 hex digits of the first 4 bytes of
 *          HMAC-SHA-256(key, "VIGIE-PSEUDONYM-KEY-ID") (upper case, so
 *          that no normalised id equals it). Put it beside pseudonyms in
 *          outputs to tell key generations apart. Valid as long as \p vp.
 */
const char *vg_pseudo_key_id(const vg_pseudo_t *vp);

/** @brief Wipes and frees \p vp. NULL-safe. */
void vg_pseudo_destroy(vg_pseudo_t *vp);

#endif /* VG_PSEUDO_H */
