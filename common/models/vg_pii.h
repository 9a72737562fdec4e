/**
 * @file vg_pii.h
 * @brief Personal data scrubber for free text (French and English, UTF-8):
 *        replaces e-mail addresses, phone numbers, IBANs, French social
 *        security numbers (NIR), payment card numbers, the names that
 *        follow a title, first and last names from a list of first names,
 *        and URLs that carry tokens with placeholders, before any word of
 *        the text is stored (features, models, Redis).
 *
 * What is recognised:
 *  - EMAIL: local@domain.tld (local part: letters, digits, accented
 *    letters, ". _ % + - '"; a domain of at least two labels, the last one
 *    of letters only).
 *  - PHONE: French numbers 0X XX XX XX XX (0X 1-9, contiguous or grouped
 *    with spaces, dots or dashes, one kind per number), +33 and 0033 forms
 *    (with or without "(0)"), international +CC and 00CC forms of 8 to
 *    15 digits (no trunk 0 after the country code but "(0)", except for
 *    Italy: +39 06...), North American (NXX) NXX-XXXX, NXX-NXX-XXXX,
 *    NXX.NXX.XXXX, NXX NXX XXXX, 1-NXX-NXX-XXXX and +1 forms.
 *  - IBAN: two capital letters, two check digits and the account, spaced
 *    in groups of four or not, the length of the country when known, and
 *    the ISO 13616 mod-97 check.
 *  - NIR: 13 digits and a 2-digit key (Corsica: 2A / 2B), contiguous or
 *    spaced at its usual group boundaries (1 85 05 78 006 084 36), key
 *    checked (97 - N mod 97). Without its key, only in its six groups
 *    (1 85 05 78 006 084, one kind of separator) with a possible month,
 *    department, commune and order, and no key after it: 13 digits in a
 *    row are left (EAN-13 codes, times in milliseconds).
 *  - CARD: 13 to 19 digits, contiguous or in groups of four (Amex
 *    4-6-5), a known issuer prefix for the length, and the Luhn check.
 *  - NAME: the one or two capitalised words (hyphenated, accented,
 *    O'Brien, initials "J.-P.", particles "de", "van", "d'") after a title:
 *    M., MM., Mme, Mmes, Mlle, Mr, Mrs, Ms, Mx, Dr, Me, Pr, Prof,
 *    Monsieur, Madame, Mademoiselle, Messieurs, Mesdames, Docteur,
 *    Maître, Professeur (these also in lower case), Doctor, Professor,
 *    Mister, Miss, Sir. The title is kept: "Mme <NAME> a validé".
 *  - NAME without a title: a first name of a built-in list (about 730
 *    common French and English first names, INSEE and SSA top names,
 *    matched case-sensitively in their capitalised form, accents
 *    included: Hélène, Zoé; compounds part by part: Jean-Pierre) followed
 *    by one space and a capitalised surname (hyphenated, accented, in
 *    capitals, after particles "de", "du", "van der"...), and the word
 *    after a capitalised particle or a middle first name ("Yann Le
 *    Gall", "Mary Ann Smith"): "Hélène Martin" -> "<NAME>". A first name
 *    alone stays ("Claire" is also an adjective), and so do the names not
 *    in the list, in capitals (JEAN DUPONT) or surname first (DUPONT
 *    Jean). First names that are common capitalised words, places or
 *    products (Will, Grace, June, Max, Ruby, Aurora, Nancy...) are not in
 *    the list.
 *  - URL: http://, https://, ftp:// or www. (any case) and what follows
 *    up to a space or a character outside RFC 3986 (accented letters
 *    kept; final punctuation and unbalanced ')' left out), replaced whole
 *    when it carries a query string ("?x"), a fragment ("#x"), user-info
 *    or any other '@', or a path segment that looks like a token (16 or
 *    more of [A-Za-z0-9_-], with at least 3 changes between letters and
 *    digits: a session id, a UUID, a JWT). Other URLs are kept, and what
 *    they hold is scrubbed as any text.
 *
 * Numbers glued to letters (CHG0012345, INC0042), dates, times, versions,
 * IP addresses, amounts and URLs without a query, fragment or token do
 * not match these shapes and are left alone.
 *
 * Stateless and allocation-free: vg_pii_scrub() reads the input once
 * (plus a bounded look-ahead at candidate positions, and each URL once
 * more) and writes the output as it goes.
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
        VG_PII_URL,   /**< "<URL>" */
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
 *  the input. (A name without a title is 6 bytes or more, a URL 7 bytes
 *  or more: their placeholders are never longer.) */
#define VG_PII_OUT_MAX(len) (2 * (size_t)(len) + 8)

/** @returns the placeholder of \p kind ("<EMAIL>"...), or NULL. */
const char *vg_pii_placeholder(vg_pii_kind_t kind);

/** @returns the lowercase name of \p kind ("email", "phone", "iban",
 *           "nir", "card", "name", "url"), or NULL. */
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
