/**
 * @file vg_pii.h
 * @brief Personal data scrubber for free text (French and English, UTF-8):
 *        replaces e-mail addresses, phone numbers, IBANs, French social
 *        security numbers (NIR), payment card numbers and the names that
 *        follow a title with placeholders, before any word of the text is
 *        stored (features, models, Redis).
 *
 * What is recognised:
 *  - EMAIL: local@domain.tld (local part: letters, digits, accented
 *    letters, ". _ % + - '"; a domain of at least two labels, the last one
 *    of letters only).
 *  - PHONE: French numbers 0X XX XX XX XX (0X 1-9, contiguous or grouped
 *    with spaces, dots or dashes, one kind per number), +33 and 0033 forms
 *    (with or without "(0)"), international +CC forms of 8 to 15 digits,
 *    North American (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX,
 *    NXX NXX XXXX, 1-NXX-NXX-XXXX and +1 forms.
 *  - IBAN: two capital letters, two check digits and the account, spaced
 *    in groups of four or not, the length of the country when known, and
 *    the ISO 13616 mod-97 check.
 *  - NIR: 13 digits and a 2-digit key (Corsica: 2A / 2B), contiguous or
 *    spaced at its usual group boundaries (1 85 05 78 006 084 36), key
 *    checked (97 - N mod 97).
 *  - CARD: 13 to 19 digits, contiguous or in groups of four (Amex
 *    4-6-5), a known issuer prefix for the length, and the Luhn check.
 *  - NAME: the one or two capitalised words (hyphenated, accented,
 *    O'Brien, initials "J.-P.", particles "de", "van", "d'") after a title:
 *    M., MM., Mme, Mmes, Mlle, Mr, Mrs, Ms, Mx, Dr, Me, Pr, Prof,
 *    Monsieur, Madame, Mademoiselle, Messieurs, Mesdames, Docteur,
 *    Maître, Professeur (these also in lower case), Doctor, Professor,
 *    Mister, Miss, Sir. The title is kept: "Mme <NAME> a validé".
 *
 * Numbers glued to letters (CHG0012345, INC0042), dates, times, versions,
 * IP addresses and amounts do not match these shapes and are left alone.
 *
 * Stateless and allocation-free: vg_pii_scrub() reads the input once
 * (plus a bounded look-ahead at candidate positions) and writes the output
 * as it goes.
 *
 * @locality thread-safe (no state).
 */
#ifndef VG_PII_H
#define VG_PII_H

#include <stddef.h>
#include <stdint.h>

/** The kinds of personal data replaced. */
typedef enum vg_pii_kind_e {
        VG_PII_EMAIL, /**< "<EMAIL>" */
        VG_PII_PHONE, /**< "<PHONE>" */
        VG_PII_IBAN,  /**< "<IBAN>" */
        VG_PII_NIR,   /**< "<NIR>" */
        VG_PII_CARD,  /**< "<CARD>" */
        VG_PII_NAME,  /**< "<NAME>" */
        VG_PII_KINDS
} vg_pii_kind_t;

/** What one vg_pii_scrub() call replaced. */
typedef struct vg_pii_counts_s {
        uint32_t n[VG_PII_KINDS]; /**< items replaced, per kind */
        int truncated;            /**< 1 if the output was full before the
                                       end of the input */
} vg_pii_counts_t;

/** Bytes of output that always hold the scrubbed text of \p len bytes
 *  and its NUL: a placeholder is at most one byte longer than what it
 *  replaces, except <NAME>, which replaces 2 bytes or more after a title
 *  of 2 bytes or more ("M.Li" -> "M.<NAME>"): the output is at most twice
 *  the input. */
#define VG_PII_OUT_MAX(len) (2 * (size_t)(len) + 8)

/** @returns the placeholder of \p kind ("<EMAIL>"...), or NULL. */
const char *vg_pii_placeholder(vg_pii_kind_t kind);

/** @returns the lowercase name of \p kind ("email", "phone", "iban",
 *           "nir", "card", "name"), or NULL. */
const char *vg_pii_kind_name(vg_pii_kind_t kind);

/** @returns the kind named \p name (as vg_pii_kind_name()), or -1. */
int vg_pii_kind_from_name(const char *name);

/**
 * @brief Copies \p len bytes of \p in to \p out with each item of personal
 *        data replaced by its placeholder. Every item is recognised on the
 *        whole input; when \p out is too small the output stops before
 *        the first piece that does not fit (never inside a placeholder or
 *        a UTF-8 character), so any output is free of the recognised
 *        items.
 * @param in the text (need not be NUL-terminated; NUL bytes are copied).
 * @param out the output, NUL-terminated if \p out_size > 0; must not
 *        overlap \p in. VG_PII_OUT_MAX(len) bytes always suffice.
 * @param counts optional (may be NULL): filled with the items replaced and
 *        whether the output was cut.
 * @returns the bytes written to \p out, NUL excluded.
 */
size_t vg_pii_scrub(const char *in, size_t len, char *out, size_t out_size,
                    vg_pii_counts_t *counts);

#endif /* VG_PII_H */
