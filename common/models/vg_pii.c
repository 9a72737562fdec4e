/**
 * @file vg_pii.c
 * @brief Personal data scrubber (see vg_pii.h).
 *
 * One pass over the input. Detectors run only where an item can start:
 * e-mails at the start of a run of local-part characters (and only if the
 * text holds an '@'), numbers at a digit, '+' or '(' that does not
 * continue a word or a number, IBANs and titles at a capital (or the 'm',
 * 'd', 'p' of a French title) that starts a word. Each detector looks
 * ahead a bounded number of bytes. Plain text is copied in runs.
 */
#include "vg_pii.h"

#include <string.h>

#define NG_MAX  12 /* groups of a number */
#define ND_MAX  34 /* digits of a number */
#define IBAN_MAX 34

typedef struct {
        size_t start, end;
        vg_pii_kind_t kind;
} match_t;

static const char *const placeholders[VG_PII_KINDS] = {
        "<EMAIL>", "<PHONE>", "<IBAN>", "<NIR>", "<CARD>", "<NAME>", "<URL>",
};

static const char *const kind_names[VG_PII_KINDS] = {
        "email", "phone", "iban", "nir", "card", "name", "url",
};

const char *vg_pii_placeholder(vg_pii_kind_t kind)
{
        return (unsigned)kind < VG_PII_KINDS ? placeholders[kind] : NULL;
}

const char *vg_pii_kind_name(vg_pii_kind_t kind)
{
        return (unsigned)kind < VG_PII_KINDS ? kind_names[kind] : NULL;
}

int vg_pii_kind_from_name(const char *name)
{
        for (int k = 0; k < VG_PII_KINDS; k++)
                if (!strcmp(name, kind_names[k]))
                        return k;
        return -1;
}

/* ---- characters ------------------------------------------------------- */

static inline int is_digit(unsigned c)
{
        return c - '0' < 10u;
}

static inline int is_upper(unsigned c)
{
        return c - 'A' < 26u;
}

static inline int is_lower(unsigned c)
{
        return c - 'a' < 26u;
}

static inline int is_alpha(unsigned c)
{
        return (c | 0x20) - 'a' < 26u;
}

static inline int is_alnum(unsigned c)
{
        return is_alpha(c) || is_digit(c);
}

/* @returns 2 if s[i..] is a Latin letter U+00C0..U+024F (not the signs
 *          x and /), else 0. */
static int latin_at(const unsigned char *s, size_t len, size_t i)
{
        unsigned c, d;

        if (i + 1 >= len)
                return 0;
        c = s[i];
        d = s[i + 1];
        if ((d & 0xC0) != 0x80)
                return 0;
        if (c == 0xC3)
                return d != 0x97 && d != 0xB7 ? 2 : 0;
        if (c >= 0xC4 && c <= 0xC8)
                return 2;
        if (c == 0xC9 && d <= 0x8F)
                return 2;
        return 0;
}

/* @returns the bytes of a letter at s[i] (ASCII, Latin, or a combining
 *          accent), else 0. */
static int letter_at(const unsigned char *s, size_t len, size_t i)
{
        unsigned c;

        if (i >= len)
                return 0;
        c = s[i];
        if (c < 0x80)
                return is_alpha(c);
        if ((c == 0xCC || c == 0xCD) && i + 1 < len &&
            (s[i + 1] & 0xC0) == 0x80 && (c == 0xCC || s[i + 1] <= 0xAF))
                return 2; /* U+0300..U+036F */
        return latin_at(s, len, i);
}

/* @returns the bytes of a capital letter at s[i] (A-Z, Latin-1 and
 *          Latin Extended-A capitals), else 0. */
static int upper_at(const unsigned char *s, size_t len, size_t i)
{
        unsigned cp;

        if (i >= len)
                return 0;
        if (s[i] < 0x80)
                return is_upper(s[i]);
        if (!latin_at(s, len, i))
                return 0;
        cp = ((unsigned)(s[i] & 0x1F) << 6) | (s[i + 1] & 0x3F);
        if (cp <= 0xDE)
                return 2; /* U+00C0..U+00DE (U+00D7 excluded above) */
        if (cp < 0x100 || cp > 0x17E)
                return 0;
        if (cp <= 0x137 || (cp >= 0x14A && cp <= 0x177))
                return cp % 2 == 0 ? 2 : 0;
        if (cp == 0x178)
                return 2;
        if ((cp >= 0x139 && cp <= 0x148) || cp >= 0x179)
                return cp % 2 == 1 ? 2 : 0;
        return 0;
}

/* @returns 1 if the character that ends at s[i - 1] is a letter, a digit
 *          or '_' (s[i] then continues a word). */
static int prev_word(const unsigned char *s, size_t i)
{
        size_t j;
        unsigned c;

        if (i == 0)
                return 0;
        c = s[i - 1];
        if (c < 0x80)
                return is_alnum(c) || c == '_';
        if (c >= 0xC0)
                return 0; /* a lead byte cut short */
        for (j = i - 1; j > 0 && (s[j] & 0xC0) == 0x80 && i - j < 4; j--)
                ;
        if (i - j != 2)
                return 0; /* 3 and 4 bytes: punctuation, symbols, ... */
        c = s[j];
        if (c >= 0xC3 && c <= 0xC9)
                return latin_at(s, i, j) != 0;
        return c >= 0xCC && c <= 0xDF; /* accents, Greek, Cyrillic... */
}

/* @returns the bytes of a space at s[i]: ' ', U+00A0, U+2009 or U+202F
 *          (French typography), else 0. */
static int space_at(const unsigned char *s, size_t len, size_t i)
{
        if (i >= len)
                return 0;
        if (s[i] == ' ')
                return 1;
        if (s[i] == 0xC2 && i + 1 < len && s[i + 1] == 0xA0)
                return 2;
        if (s[i] == 0xE2 && i + 2 < len && s[i + 1] == 0x80 &&
            (s[i + 2] == 0x89 || s[i + 2] == 0xAF))
                return 3;
        return 0;
}

/* @returns the bytes of a separator inside a number at s[i] (a space,
 *          '.' or '-'; *sepp: ' ', '.' or '-'), else 0. */
static int sep_at(const unsigned char *s, size_t len, size_t i, char *sepp)
{
        int k;

        if (i >= len)
                return 0;
        if (s[i] == '.' || s[i] == '-') {
                *sepp = (char)s[i];
                return 1;
        }
        if ((k = space_at(s, len, i)))
                *sepp = ' ';
        return k;
}

/* @returns 1 if a number, IBAN or NIR may end before s[e]: not glued to a
 *          letter, a digit, '_' or '@', nor followed by a decimal part, a
 *          date or a time. */
static int end_ok(const unsigned char *s, size_t len, size_t e)
{
        unsigned c;

        if (e >= len)
                return 1;
        c = s[e];
        if (is_alnum(c) || c == '_' || c == '@' || latin_at(s, len, e))
                return 0;
        if ((c == ',' || c == '.' || c == '/' || c == ':' || c == '-') &&
            e + 1 < len && is_digit(s[e + 1]))
                return 0;
        return 1;
}

/* ---- e-mail ----------------------------------------------------------- */

/* @returns the bytes of a local-part character at s[i], else 0. */
static int local_at(const unsigned char *s, size_t len, size_t i)
{
        unsigned c = s[i];

        if (c < 0x80)
                return is_alnum(c) || c == '.' || c == '_' || c == '%' ||
                       c == '+' || c == '-' || c == '\'';
        return latin_at(s, len, i);
}

/* @returns 1 if s[i] continues a run of local-part characters. */
static int prev_local(const unsigned char *s, size_t i)
{
        unsigned c;

        if (prev_word(s, i))
                return 1;
        if (i == 0)
                return 0;
        c = s[i - 1];
        return c == '.' || c == '%' || c == '+' || c == '-' || c == '\'';
}

/* @returns the bytes of a domain label character at s[i], else 0;
 *          *alphap &= it is a letter. */
static int label_at(const unsigned char *s, size_t len, size_t i, int *alphap)
{
        unsigned c;

        if (i >= len)
                return 0;
        c = s[i];
        if (c < 0x80) {
                if (!is_alnum(c) && c != '-')
                        return 0;
                *alphap &= is_alpha(c);
                return 1;
        }
        return latin_at(s, len, i);
}

/* An e-mail whose local part starts the run at i. */
static int email(const unsigned char *s, size_t len, size_t i, match_t *mt)
{
        size_t e = i, st, d, ls = 0;
        int k, labels = 0, alpha = 1, dummy = 1;

        while (e < len && (k = local_at(s, len, e)))
                e += k;
        if (e >= len || s[e] != '@')
                return 0;
        for (st = i; st < e && !is_alnum(s[st]) && s[st] < 0x80; st++)
                ; /* leading quotes, dots... are not part of it */
        if (st == e)
                return 0;
        d = e + 1;
        for (;;) {
                ls    = d;
                alpha = 1;
                while ((k = label_at(s, len, d, &alpha)))
                        d += k;
                if (d == ls)
                        return 0;
                labels++;
                if (d + 1 < len && s[d] == '.' &&
                    label_at(s, len, d + 1, &dummy)) {
                        d++;
                        continue;
                }
                break;
        }
        if (labels < 2 || !alpha || d - ls < 2)
                return 0;
        mt->start = st;
        mt->end   = d;
        mt->kind  = VG_PII_EMAIL;
        return 1;
}

/* ---- numbers: phones and cards ---------------------------------------- */

/* A run of digit groups: "+33 (0)6 12 34 56 78". */
typedef struct {
        int ng, nd, plus;
        size_t end[NG_MAX];   /* byte after group g (and its ')') */
        uint8_t gl[NG_MAX];   /* digits of group g */
        uint8_t gd[NG_MAX];   /* index of its first digit in d */
        char sep[NG_MAX];     /* separator before g: 0, ' ', '.', '-' */
        uint8_t paren[NG_MAX];
        char d[ND_MAX];
} num_t;

/* @returns 1 if a number may start at s[i]: it does not continue a word
 *          or a number (1.06, 2024-06, a '+' already tried). */
static int num_start_ok(const unsigned char *s, size_t i)
{
        unsigned c;

        if (prev_word(s, i))
                return 0;
        if (i == 0)
                return 1;
        c = s[i - 1];
        if (c == '+')
                return 0;
        if ((c == '.' || c == ',' || c == '-' || c == '/' || c == ':') &&
            i >= 2 && is_digit(s[i - 2]))
                return 0;
        return 1;
}

/* Reads the groups of digits from s[i] ('+', '(' or a digit).
 * @returns the number of groups. */
static int num_scan(const unsigned char *s, size_t len, size_t i, num_t *nm)
{
        size_t p = i;
        char sep = 0;

        nm->ng = nm->nd = nm->plus = 0;
        if (s[p] == '+') {
                nm->plus = 1;
                p++;
        }
        while (nm->ng < NG_MAX) {
                size_t q = p, ds;
                int paren = 0, g = nm->ng;
                char sc = 0;
                int k;

                if (q < len && s[q] == '(') {
                        paren = 1;
                        q++;
                }
                ds = q;
                while (q < len && is_digit(s[q]) &&
                       (size_t)nm->nd + (q - ds) < ND_MAX)
                        q++;
                if (q == ds || (q < len && is_digit(s[q])))
                        break; /* no digit, or too many */
                if (paren && (q >= len || s[q] != ')'))
                        break;
                memcpy(nm->d + nm->nd, s + ds, q - ds);
                nm->gl[g]    = (uint8_t)(q - ds);
                nm->gd[g]    = (uint8_t)nm->nd;
                nm->sep[g]   = sep;
                nm->paren[g] = (uint8_t)paren;
                nm->nd += (int)(q - ds);
                q += paren;
                nm->end[g] = q;
                nm->ng++;
                /* a separator and another group? */
                k = sep_at(s, len, q, &sc);
                if (q + k < len &&
                    (is_digit(s[q + k]) ||
                     (s[q + k] == '(' && q + k + 1 < len &&
                      is_digit(s[q + k + 1]))) &&
                    (k || paren || s[q] == '(')) {
                        sep = k ? sc : 0;
                        p   = q + k;
                        continue;
                }
                break;
        }
        return nm->ng;
}

/* @returns 1 if the first k groups have no parentheses and one kind of
 *          separator between them. */
static int seps_same(const num_t *nm, int k)
{
        char s0 = k > 1 ? nm->sep[1] : 0;

        for (int g = 1; g < k; g++)
                if (nm->sep[g] != s0 || nm->paren[g])
                        return 0;
        return !nm->paren[0];
}

static int luhn(const char *d, int n)
{
        int sum = 0;

        for (int j = 0; j < n; j++) {
                int v = d[n - 1 - j] - '0';
                if (j % 2) {
                        v *= 2;
                        if (v > 9)
                                v -= 9;
                }
                sum += v;
        }
        return sum % 10 == 0;
}

static int prefix_in(const char *d, int n, int lo, int hi)
{
        int v = 0;

        for (int j = 0; j < n; j++)
                v = v * 10 + (d[j] - '0');
        return v >= lo && v <= hi;
}

/* A payment card in the first k groups. */
static int is_card(const num_t *nm, int k)
{
        const char *d = nm->d;
        int n         = nm->gd[k - 1] + nm->gl[k - 1];
        int ok;

        if (n < 13 || n > 19 || nm->plus)
                return 0;
        if (k > 1) {
                if (!seps_same(nm, k) || nm->sep[1] == '.')
                        return 0;
                if (k == 3 && nm->gl[0] == 4 && nm->gl[1] == 6 &&
                    (nm->gl[2] == 5 || nm->gl[2] == 4))
                        ; /* Amex 4-6-5, Diners 4-6-4 */
                else {
                        for (int g = 0; g < k - 1; g++)
                                if (nm->gl[g] != 4)
                                        return 0;
                        if (k < 3)
                                return 0;
                }
        } else if (nm->paren[0]) {
                return 0;
        }
        ok = (d[0] == '4' && (n == 13 || n == 16 || n == 19)) ||
             (n == 16 && (prefix_in(d, 2, 51, 55) ||
                          prefix_in(d, 4, 2221, 2720))) ||
             (n == 15 && (prefix_in(d, 2, 34, 34) ||
                          prefix_in(d, 2, 37, 37))) ||
             (n >= 16 && (prefix_in(d, 4, 6011, 6011) ||
                          prefix_in(d, 2, 65, 65) ||
                          prefix_in(d, 3, 644, 649) ||
                          prefix_in(d, 4, 3528, 3589) ||
                          prefix_in(d, 2, 62, 62))) ||
             (n >= 14 && (prefix_in(d, 3, 300, 305) ||
                          prefix_in(d, 2, 36, 36) ||
                          prefix_in(d, 2, 38, 39)));
        return ok && luhn(d, n);
}

/* An international number: e (ne digits) after '+' or "00", with the
 * country code first. */
static int intl_ok(const char *e, int ne)
{
        if (ne < 8 || ne > 15 || e[0] == '0')
                return 0;
        if (e[0] == '3' && e[1] == '3')
                return ne == 11 && e[2] != '0';
        if (e[0] == '1')
                return ne == 11 && e[1] >= '2';
        return 1;
}

/* +CC or 00CC forms in the first k groups. */
static int is_phone_intl(const num_t *nm, int k)
{
        char e[ND_MAX];
        int ne = 0, three = 0, skip = nm->plus ? 0 : 2, ccg, italy;

        if (!nm->plus) {
                /* 00: "00" alone or with the country code, then groups */
                if (k < 2 || nm->paren[0] || nm->gl[0] > 5)
                        return 0;
        }
        /* after the country code, no trunk 0 but "(0)": "+44 20...", not
         * "0044 0532 0130 001" */
        ccg = nm->plus || nm->gl[0] > 2 ? 0 : 1; /* "+44", "0044", "00 44" */
        italy = nm->nd > skip + 1 && nm->d[skip] == '3' &&
                nm->d[skip + 1] == '9'; /* +39 06...: the 0 is dialled */
        if (ccg + 1 < k && !nm->paren[ccg + 1] &&
            nm->d[nm->gd[ccg + 1]] == '0' && !italy)
                return 0;
        for (int g = 0; g < k; g++) {
                if (nm->paren[g]) {
                        /* "(0)" after the country code; "+1 (415)" */
                        if (g != 1)
                                return 0;
                        if (nm->gl[g] == 1 && nm->d[nm->gd[g]] == '0')
                                continue;
                        if (nm->gl[g] != 3)
                                return 0;
                }
                if (g > 0)
                        three += nm->gl[g] == 3 && nm->sep[g] == ' ';
                for (int j = 0; j < nm->gl[g]; j++) {
                        if (skip) {
                                skip--;
                                continue;
                        }
                        e[ne++] = nm->d[nm->gd[g] + j];
                }
        }
        /* "+1 500 000 000": thousands, not a phone */
        if (k >= 3 && three == k - 1)
                return 0;
        if (!nm->plus && (ne < 9 || ne > 13))
                return 0;
        return intl_ok(e, ne);
}

/* French 0X XX XX XX XX in the first k groups: 10 digits, contiguous or
 * in groups 2-2-2-2-2, or 1-3-3-3 and 4-3-3 (0 800 123 456). */
static int is_phone_fr(const num_t *nm, int k)
{
        int n = nm->gd[k - 1] + nm->gl[k - 1];
        const uint8_t *l = nm->gl;

        if (nm->plus || n != 10 || nm->d[0] != '0' || nm->d[1] == '0' ||
            !seps_same(nm, k))
                return 0;
        return k == 1 || k == 5 ||
               (k == 4 && l[0] == 1 && l[1] == 3 && l[2] == 3) ||
               (k == 3 && l[0] == 4 && l[1] == 3);
}

/* North American (NXX) NXX-XXXX forms in the first k groups. */
static int is_phone_na(const num_t *nm, int k)
{
        int a = 0; /* group of the area code */

        if (nm->plus)
                return 0;
        if (k == 4 && nm->gl[0] == 1 && nm->d[0] == '1' && !nm->paren[0])
                a = 1;
        if (k - a != 3 || nm->gl[a] != 3 || nm->gl[a + 1] != 3 ||
            nm->gl[a + 2] != 4 || nm->paren[a + 1] || nm->paren[a + 2] ||
            nm->d[nm->gd[a]] < '2' || nm->sep[a + 2] == 0)
                return 0;
        if (nm->paren[a]) /* (415) 555-0132, (415)555.0132 */
                return nm->sep[a + 1] != '.' && nm->sep[a + 1] != '-';
        /* 415-555-0132, 1-415-555-0132: one separator */
        for (int g = 1; g < k; g++)
                if (nm->sep[g] != nm->sep[k - 1])
                        return 0;
        return 1;
}

static int is_phone(const num_t *nm, int k)
{
        if (nm->plus || (nm->d[0] == '0' && nm->nd > 2 && nm->d[1] == '0'))
                return is_phone_intl(nm, k);
        return is_phone_fr(nm, k) || is_phone_na(nm, k);
}

/* ---- NIR -------------------------------------------------------------- */

/* Separators may follow these counts of characters: 1 85 05 78 006 084 36 */
static const uint8_t nir_break[16] = {0, 1, 0, 1, 0, 1, 0, 1,
                                      0, 0, 1, 0, 0, 1, 0, 0};

/* A NIR without its key (13 characters): only in its 6 groups, one kind
 * of separator (1 85 05 78 006 084), not followed by a key (a wrong or cut
 * one: not a NIR), with a department, commune and order that may be: 13
 * digits in a row are as often an EAN-13 or a time in milliseconds. */
static int nir_keyless(const char *v, int seps, const unsigned char *s,
                       size_t len, size_t p13)
{
        char sc;
        int k, m, d;

        if (seps != 5 || !end_ok(s, len, p13))
                return 0;
        k = sep_at(s, len, p13, &sc);
        if (k && p13 + (size_t)k < len && is_digit(s[p13 + (size_t)k]))
                return 0;
        m = (v[3] - '0') * 10 + (v[4] - '0');
        if (!((m >= 1 && m <= 12) || (m >= 20 && m <= 42) || m >= 50))
                return 0;
        if (v[6] < 'A') {
                d = (v[5] - '0') * 10 + (v[6] - '0');
                if (d == 0 || d == 96)
                        return 0;
        }
        return memcmp(v + 7, "000", 3) != 0 && memcmp(v + 10, "000", 3) != 0;
}

static int nir(const unsigned char *s, size_t len, size_t i, match_t *mt)
{
        char v[15], sep = 0, sc = 0;
        size_t p = i, p13 = 0;
        int n = 0, after_sep = 0, k, key, m, seps = 0, seps13 = 0;
        unsigned r = 0;

        if (s[i] < '1' || s[i] > '8' || s[i] == '5' || s[i] == '6')
                return 0; /* sex: 1, 2; 3, 4, 7, 8 for special cases */
        while (n < 15) {
                unsigned c;
                if (n == 13 && !p13) {
                        p13    = p;
                        seps13 = seps;
                }
                if (p >= len)
                        goto keyless;
                c = s[p];
                if (is_digit(c)) {
                        v[n++] = (char)c;
                        p++;
                        after_sep = 0;
                        continue;
                }
                if (n == 6 && v[5] == '2' && !after_sep &&
                    ((c | 0x20) == 'a' || (c | 0x20) == 'b')) {
                        v[n++] = (char)(c & ~0x20u);
                        p++;
                        continue;
                }
                if (!after_sep && nir_break[n] &&
                    (k = sep_at(s, len, p, &sc)) && (!sep || sc == sep)) {
                        sep       = sc;
                        after_sep = 1;
                        seps++;
                        p += (size_t)k;
                        continue;
                }
                goto keyless;
        }
        if (!end_ok(s, len, p))
                return 0;
        m = (v[3] - '0') * 10 + (v[4] - '0');
        if (!((m >= 1 && m <= 12) || (m >= 20 && m <= 42) || m >= 50))
                return 0;
        for (int j = 0; j < 13; j++) {
                int dgt = v[j] - '0';
                if (j == 5 && v[6] >= 'A')
                        dgt = 1; /* 2A -> 19, 2B -> 18 */
                else if (j == 6 && v[6] >= 'A')
                        dgt = v[6] == 'A' ? 9 : 8;
                else if (v[j] >= 'A')
                        return 0;
                r = (r * 10 + (unsigned)dgt) % 97;
        }
        if (v[13] >= 'A' || v[14] >= 'A')
                return 0;
        key = (v[13] - '0') * 10 + (v[14] - '0');
        if (key != 97 - (int)r)
                return 0;
        mt->start = i;
        mt->end   = p;
        mt->kind  = VG_PII_NIR;
        return 1;
keyless:
        if (n < 13 || !p13 || !nir_keyless(v, seps13, s, len, p13))
                return 0;
        mt->start = i;
        mt->end   = p13;
        mt->kind  = VG_PII_NIR;
        return 1;
}

/* A card, a NIR or a phone number at s[i] (a digit, '+' or '('). */
static int number(const unsigned char *s, size_t len, size_t i, match_t *mt)
{
        num_t nm;
        int ng = num_scan(s, len, i, &nm);

        if (nm.nd < 8) /* a date, a time, an amount...: a NIR at most */
                return is_digit(s[i]) && nir(s, len, i, mt);

        /* the longest match: all the groups first, then fewer */
        for (int k = ng; k >= 1; k--)
                if (end_ok(s, len, nm.end[k - 1]) && is_card(&nm, k)) {
                        mt->start = i;
                        mt->end   = nm.end[k - 1];
                        mt->kind  = VG_PII_CARD;
                        return 1;
                }
        if (is_digit(s[i]) && nir(s, len, i, mt))
                return 1;
        for (int k = ng; k >= 1; k--)
                if (end_ok(s, len, nm.end[k - 1]) && is_phone(&nm, k)) {
                        mt->start = i;
                        mt->end   = nm.end[k - 1];
                        mt->kind  = VG_PII_PHONE;
                        return 1;
                }
        return 0;
}

/* ---- IBAN ------------------------------------------------------------- */

static const struct {
        char cc[3];
        uint8_t len;
} iban_lens[] = {
        {"AD", 24}, {"AT", 20}, {"BE", 16}, {"BG", 22}, {"CH", 21},
        {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"EE", 20},
        {"ES", 24}, {"FI", 18}, {"FR", 27}, {"GB", 22}, {"GR", 27},
        {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IS", 26}, {"IT", 27},
        {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MA", 28},
        {"MC", 27}, {"MT", 31}, {"NL", 18}, {"NO", 15}, {"PL", 28},
        {"PT", 25}, {"RO", 24}, {"SE", 24}, {"SI", 19}, {"SK", 24},
        {"SM", 27}, {"TN", 24},
};

static int iban_len(const char *v)
{
        for (size_t j = 0; j < sizeof(iban_lens) / sizeof(*iban_lens); j++)
                if (iban_lens[j].cc[0] == v[0] && iban_lens[j].cc[1] == v[1])
                        return iban_lens[j].len;
        return 0;
}

/* ISO 13616: the 4 first characters moved to the end, letters as
 * 10..35, the number mod 97 is 1. */
static int iban_mod97(const char *v, int n)
{
        unsigned r = 0;

        for (int j = 0; j < n; j++) {
                char c = v[(j + 4) % n];
                if (is_digit((unsigned char)c))
                        r = (r * 10 + (unsigned)(c - '0')) % 97;
                else
                        r = (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
        }
        return r == 1;
}

static inline int iban_char(unsigned c)
{
        return is_upper(c) || is_digit(c);
}

/* An IBAN at s[i] (two capitals and two digits checked by the caller). */
static int iban(const unsigned char *s, size_t len, size_t i, match_t *mt)
{
        char v[IBAN_MAX], sep = 0, sc = 0;
        size_t p = i, gend[IBAN_MAX / 4 + 2];
        int n = 0, want, ng = 0, gtot[IBAN_MAX / 4 + 2], glen;

        while (p < len && n < IBAN_MAX && iban_char(s[p]))
                v[n++] = (char)s[p++];
        if (p < len && (is_alnum(s[p]) || latin_at(s, len, p)))
                return 0; /* too long, or glued to a word */
        want = iban_len(v);
        if (n > 4) { /* contiguous */
                if (n < 15 || (want && n != want) || !end_ok(s, len, p) ||
                    !iban_mod97(v, n))
                        return 0;
                mt->start = i;
                mt->end   = p;
                mt->kind  = VG_PII_IBAN;
                return 1;
        }
        /* spaced in groups of 4: "FR76 3000 6000 0112 3456 7890 189" */
        gend[ng]   = p;
        gtot[ng++] = n;
        glen       = n;
        while (glen == 4 && n < IBAN_MAX) {
                int k = sep_at(s, len, p, &sc), m = 0;
                size_t q;
                if (!k || sc == '.' || (sep && sc != sep))
                        break;
                q = p + (size_t)k;
                while (q < len && m < 4 && n + m < IBAN_MAX &&
                       iban_char(s[q]))
                        v[n + m++] = (char)s[q++];
                if (m == 0 || (q < len && (is_alnum(s[q]) ||
                                           latin_at(s, len, q))))
                        break;
                sep = sc;
                n += m;
                p          = q;
                glen       = m;
                gend[ng]   = p;
                gtot[ng++] = n;
        }
        for (int g = ng - 1; g >= 0 && gtot[g] >= 15; g--) {
                if ((want && gtot[g] != want) || !end_ok(s, len, gend[g]) ||
                    !iban_mod97(v, gtot[g]))
                        continue;
                mt->start = i;
                mt->end   = gend[g];
                mt->kind  = VG_PII_IBAN;
                return 1;
        }
        return 0;
}

/* ---- names after a title ---------------------------------------------- */

#define T_DOT_OPT 1 /* "Mme" or "Mme." */
#define T_DOT_REQ 2 /* "M." only */

static const struct {
        const char *w;
        uint8_t len;
        uint8_t anycase; /* "madame", "Madame", "MADAME" */
        uint8_t dot;
} titles[] = {
        {"M", 1, 0, T_DOT_REQ},        {"MM", 2, 0, T_DOT_REQ},
        {"Mme", 3, 0, T_DOT_OPT},      {"Mmes", 4, 0, T_DOT_OPT},
        {"Mlle", 4, 0, T_DOT_OPT},     {"Mlles", 5, 0, T_DOT_OPT},
        {"Mr", 2, 0, T_DOT_OPT},       {"Mrs", 3, 0, T_DOT_OPT},
        {"Ms", 2, 0, T_DOT_OPT},       {"Mx", 2, 0, T_DOT_OPT},
        {"Dr", 2, 0, T_DOT_OPT},       {"Me", 2, 0, T_DOT_OPT},
        {"Pr", 2, 0, T_DOT_OPT},       {"Prof", 4, 0, T_DOT_OPT},
        {"Doctor", 6, 0, 0},           {"Professor", 9, 0, 0},
        {"Mister", 6, 0, 0},           {"Miss", 4, 0, 0},
        {"Sir", 3, 0, 0},              {"monsieur", 8, 1, 0},
        {"madame", 6, 1, 0},           {"mademoiselle", 12, 1, 0},
        {"messieurs", 9, 1, 0},        {"mesdames", 8, 1, 0},
        {"docteur", 7, 1, 0},          {"professeur", 10, 1, 0},
        {"ma\xc3\xaetre", 7, 1, 0},    {"maitre", 6, 1, 0},
};

/* Name particles, lowercase, followed by a space: "M. de Villepin", "Mme
 * van der Berg". "le" and "la" only after "de" ("M. de la Tour"): alone,
 * "Monsieur le Directeur" is a function, not a name. */
static const char *const particles[] = {
        "de", "du", "des", "del", "della", "van", "von", "der", "den",
        "da", "di", "dos", "das", "le", "la",
};
#define PARTICLE_DE 0 /* index of "de" */
#define PARTICLE_LE 13 /* "le", "la": after "de" only */

/* @returns 1 if the n bytes at s equal the title t, with its case. */
static int title_eq(const unsigned char *s, size_t n, int t)
{
        const unsigned char *w = (const unsigned char *)titles[t].w;

        if (n != titles[t].len)
                return 0;
        if (!titles[t].anycase)
                return memcmp(s, w, n) == 0;
        for (size_t j = 0; j < n; j++) {
                unsigned c = s[j];
                if (c < 0x80 && is_upper(c))
                        c |= 0x20;
                else if (c == 0x8E && j > 0 && s[j - 1] == 0xC3)
                        c = 0xAE; /* Î -> î */
                if (c != w[j])
                        return 0;
        }
        return 1;
}

/* @returns the bytes of a particle and the space after it at s[q] (or
 *          "d'"), if a capital or another particle follows, else 0; *which:
 *          its index in particles[] (-1 for "d'"). */
static size_t particle(const unsigned char *s, size_t len, size_t q,
                       int *which)
{
        size_t e = q;
        int k;

        while (e < len && is_lower(s[e]))
                e++;
        *which = -1;
        if (e == q + 1 && s[q] == 'd' && e < len) { /* d'Alembert */
                if (s[e] == '\'' && upper_at(s, len, e + 1))
                        return 2;
                if (e + 2 < len && s[e] == 0xE2 && s[e + 1] == 0x80 &&
                    s[e + 2] == 0x99 && upper_at(s, len, e + 3))
                        return 4;
                return 0;
        }
        if (e - q < 2 || e - q > 5 || !(k = space_at(s, len, e)) ||
            !(upper_at(s, len, e + (size_t)k) ||
              (e + (size_t)k < len && is_lower(s[e + (size_t)k]))))
                return 0;
        for (size_t j = 0; j < sizeof(particles) / sizeof(*particles); j++)
                if (strlen(particles[j]) == e - q &&
                    !memcmp(s + q, particles[j], e - q)) {
                        *which = (int)j;
                        return e - q + (size_t)k;
                }
        return 0;
}

/* @returns the position after the particles at s[q] (at most two: "de",
 *          "van der", "de la"; none if no capital follows them). */
static size_t particles_skip(const unsigned char *s, size_t len, size_t q)
{
        size_t r, p = q;
        int w, prev = -2;

        for (int n = 0; n < 2 && (r = particle(s, len, p, &w)); n++) {
                if (w >= PARTICLE_LE && prev != PARTICLE_DE)
                        break;
                p += r;
                prev = w;
        }
        return upper_at(s, len, p) ? p : q;
}

/* @returns the end of a capitalised word at s[q] (Dupont, Jean-Pierre,
 *          O'Brien, Lefèvre, DUPONT), else 0. */
static size_t name_word(const unsigned char *s, size_t len, size_t q)
{
        int k = upper_at(s, len, q), letters = 1;
        size_t r;

        if (!k)
                return 0;
        r = q + (size_t)k;
        for (;;) {
                if ((k = letter_at(s, len, r))) {
                        r += (size_t)k;
                        letters++;
                } else if (r + 1 < len && (s[r] == '-' || s[r] == '\'') &&
                           letter_at(s, len, r + 1)) {
                        r++;
                } else if (r + 3 < len && s[r] == 0xE2 && s[r + 1] == 0x80 &&
                           s[r + 2] == 0x99 && letter_at(s, len, r + 3)) {
                        r += 3; /* ’ */
                } else {
                        break;
                }
        }
        if (letters < 2 || r >= len)
                return letters < 2 ? 0 : r;
        /* a part of an e-mail, a host or a file name: not a name here */
        if (is_digit(s[r]) || s[r] == '_' || s[r] == '@' ||
            ((s[r] == '.' || s[r] == '+') && r + 1 < len &&
             is_alnum(s[r + 1])))
                return 0;
        return r;
}

/* @returns the end of an initial at s[q] ("J." or "J.-P."), else 0. */
static size_t initial(const unsigned char *s, size_t len, size_t q)
{
        if (q + 1 >= len || !is_upper(s[q]) || s[q + 1] != '.')
                return 0;
        if (q + 4 < len && s[q + 2] == '-' && is_upper(s[q + 3]) &&
            s[q + 4] == '.')
                return q + 5;
        return q + 2;
}

/* @returns the end of the name at s[q]: initials, then one or two
 *          capitalised words, each maybe after particles; else 0. */
static size_t name_span(const unsigned char *s, size_t len, size_t q)
{
        size_t e, e2, r;
        int k;

        for (int n = 0; n < 2; n++) { /* J. Dupont, J.-P. Martin */
                r = initial(s, len, q);
                if (!r || !(k = space_at(s, len, r)))
                        break;
                q = r + (size_t)k;
        }
        q = particles_skip(s, len, q);
        if (!(e = name_word(s, len, q)))
                return 0;
        if ((k = space_at(s, len, e))) { /* a second word */
                q = particles_skip(s, len, e + (size_t)k);
                if ((e2 = name_word(s, len, q)))
                        e = e2;
        }
        return e;
}

/* A title at s[i] (which starts a word) and the name after it. */
static int title_name(const unsigned char *s, size_t len, size_t i,
                      match_t *mt)
{
        size_t e = i, p, end;
        int t, nt = (int)(sizeof(titles) / sizeof(*titles)), k, sp = 0;
        int dot = 0;

        while (e < len && e - i < 13) {
                if (is_alpha(s[e]))
                        e++;
                else if (e + 1 < len && s[e] == 0xC3 &&
                         (s[e + 1] == 0xAE || s[e + 1] == 0x8E))
                        e += 2;
                else
                        break;
        }
        if (e < len && (letter_at(s, len, e) || is_digit(s[e])))
                return 0;
        for (t = 0; t < nt && !title_eq(s + i, e - i, t); t++)
                ;
        if (t == nt)
                return 0;
        p = e;
        if (titles[t].dot && p < len && s[p] == '.') {
                p++;
                dot = 1;
        } else if (titles[t].dot == T_DOT_REQ) {
                return 0;
        }
        while (sp < 2 && (k = space_at(s, len, p))) {
                p += (size_t)k;
                sp++;
        }
        if (!sp && !dot)
                return 0;
        if (!(end = name_span(s, len, p)))
                return 0;
        mt->start = p;
        mt->end   = end;
        mt->kind  = VG_PII_NAME;
        return 1;
}

/* ---- names without a title -------------------------------------------- */

/* Common first names (INSEE and SSA top names, French and English, and
 * some of the other names common in France), capitalised, sorted by bytes
 * (strcmp order, LC_ALL=C sort) for the binary search: keep it so. Names that are also common words,
 * places or products when capitalised (Will, Mark, Grace, June, Max,
 * Ruby, Crystal, Aurora, Nancy, France...) are left out: a first name
 * followed by a capitalised word is read as a name. Compound first names
 * (Jean-Pierre, Anne-Sophie) match part by part. */
static const char *const first_names[] = {
        "Aaron", "Abby", "Abdel", "Abdelkader", "Abigail", "Adam", "Adama",
        "Adrien", "Adèle", "Agathe", "Agnieszka", "Agnès", "Ahmed", "Aidan",
        "Alain", "Alan", "Albert", "Alejandro", "Alexander", "Alexandra",
        "Alexandre", "Alexei", "Alexis", "Alfie", "Ali", "Alice", "Alicia",
        "Alix", "Allison", "Amanda", "Amandine", "Ambre", "Amelia", "Amina",
        "Amine", "Amir", "Amit", "Amy", "Anaïs", "Andrea", "Andrei", "Andrew",
        "André", "Andy", "Angela", "Angélique", "Anja", "Anjali", "Ann",
        "Anna", "Anne", "Annie", "Anthony", "Antoine", "Aoife", "Apolline",
        "Archie", "Arjun", "Arnaud", "Arthur", "Ashley", "Astrid", "Audrey",
        "Augustin", "Aurore", "Aurélie", "Aurélien", "Ava", "Awa", "Axel",
        "Axelle", "Aïcha", "Baptiste", "Barbara", "Bastien", "Ben", "Benjamin",
        "Benoît", "Bernadette", "Bernard", "Bethany", "Betty", "Bilal",
        "Billy", "Bobby", "Boubacar", "Bradley", "Brandon", "Brenda",
        "Brendan", "Brian", "Brigitte", "Brittany", "Brooke", "Bruce", "Bruno",
        "Bryan", "Béatrice", "Caitlin", "Caleb", "Callum", "Camille",
        "Candice", "Capucine", "Carl", "Carlos", "Carol", "Carole", "Caroline",
        "Carolyn", "Catherine", "Chantal", "Charles", "Charline", "Charlotte",
        "Cheryl", "Chiara", "Chloe", "Chloé", "Chloë", "Chris", "Christelle",
        "Christian", "Christina", "Christine", "Christophe", "Christopher",
        "Cindy", "Claire", "Clara", "Claude", "Clémence", "Clément", "Colette",
        "Colin", "Connor", "Coralie", "Corentin", "Corinne", "Courtney",
        "Craig", "Cynthia", "Cyril", "Cyrille", "Cécile", "Cédric", "Célia",
        "Céline", "Damien", "Dan", "Daniel", "Danielle", "Danièle", "Darren",
        "Dave", "David", "Deborah", "Debra", "Declan", "Deepa", "Delphine",
        "Denis", "Denise", "Dennis", "Derek", "Diane", "Didier", "Diego",
        "Djamila", "Dmitri", "Dominique", "Donald", "Donna", "Dorothy",
        "Douglas", "Dylan", "Edouard", "Edward", "Eileen", "Eleanor", "Elena",
        "Elias", "Elijah", "Elisabeth", "Elizabeth", "Ella", "Ellie", "Elsa",
        "Eléonore", "Emilia", "Emily", "Emma", "Emmanuel", "Emmanuelle",
        "Enzo", "Eric", "Erin", "Erwan", "Estelle", "Ethan", "Eugene", "Eva",
        "Evan", "Evelyn", "Evelyne", "Evie", "Fabien", "Fabrice", "Fanny",
        "Farid", "Farida", "Fatima", "Fatou", "Fernand", "Fiona", "Florence",
        "Florent", "Florian", "Florine", "Frances", "Francesca", "Francesco",
        "Francis", "Franck", "François", "Françoise", "Freddie", "Freya",
        "Frédéric", "Frédérique", "Félix", "Gabriel", "Gabrielle", "Gary",
        "Gaston", "Gauthier", "Gavin", "Gaël", "Gaëlle", "Gaëtan", "Geneviève",
        "Geoffrey", "George", "Georges", "Georgina", "Gerald", "Ghislaine",
        "Gilbert", "Gilles", "Giovanni", "Giulia", "Gloria", "Graham", "Greg",
        "Gregory", "Grégoire", "Grégory", "Guillaume", "Guy", "Gwenaël",
        "Gérard", "Haley", "Hamid", "Hamza", "Hannah", "Hans", "Hao", "Harold",
        "Harriet", "Harry", "Hassan", "Heather", "Hector", "Helen", "Henri",
        "Henry", "Hervé", "Hiroshi", "Houria", "Howard", "Hubert", "Hugo",
        "Huguette", "Hyun", "Héloïse", "Hélène", "Ian", "Ibrahim", "Ibrahima",
        "Idriss", "Igor", "Imogen", "Ingrid", "Inès", "Irina", "Irène",
        "Isaac", "Isabella", "Isabelle", "Isla", "Issa", "Ivan", "Jacky",
        "Jacob", "Jacqueline", "Jacques", "Jade", "Jake", "Jakub", "Jamal",
        "James", "Jamie", "Jane", "Janet", "Janice", "Jason", "Javier", "Jean",
        "Jeanine", "Jeanne", "Jeff", "Jeffrey", "Jennifer", "Jenny", "Jeremy",
        "Jerry", "Jesse", "Jessica", "Jessie", "Jim", "Jin", "Joan",
        "Jocelyne", "Joe", "Johan", "John", "Jonathan", "Jose", "Joseph",
        "Josette", "Joshua", "Josiane", "Joyce", "Joël", "Joëlle", "Juan",
        "Judith", "Judy", "Jules", "Julia", "Julie", "Julien", "Juliette",
        "Justin", "Justine", "Jérémie", "Jérémy", "Jérôme", "Karen", "Karim",
        "Karima", "Karine", "Karl", "Katarzyna", "Kate", "Katherine",
        "Kathleen", "Kathryn", "Katrin", "Kayla", "Keith", "Kelly", "Kenji",
        "Kenneth", "Kevin", "Khadija", "Khalid", "Kieran", "Killian", "Kim",
        "Kimberly", "Kirsty", "Klaus", "Kyle", "Kylian", "Kévin", "Laetitia",
        "Lamine", "Lana", "Larry", "Lars", "Laura", "Laure", "Lauren",
        "Laurence", "Laurent", "Lawrence", "Laëtitia", "Leah", "Leila", "Leo",
        "Lewis", "Leïla", "Liam", "Lina", "Linda", "Ling", "Lionel", "Lisa",
        "Lise", "Logan", "Lola", "Loris", "Lorna", "Lou", "Louis", "Louise",
        "Loïc", "Luc", "Luca", "Lucas", "Lucia", "Lucie", "Lucien", "Lucienne",
        "Lucile", "Lucille", "Lucy", "Ludivine", "Ludovic", "Ludwig", "Luis",
        "Luke", "Lydie", "Léa", "Léna", "Léo", "Léon", "Léonie", "Maddie",
        "Madeleine", "Magali", "Magdalena", "Malik", "Malika", "Mamadou",
        "Manon", "Marc", "Marcel", "Marco", "Marcus", "Margaret", "Margaux",
        "Margot", "Maria", "Marie", "Marine", "Marion", "Marius", "Marjorie",
        "Martha", "Martin", "Martine", "Mary", "Maryse", "Mateo", "Mathias",
        "Mathieu", "Mathilde", "Mathis", "Mathéo", "Matilda", "Matt", "Matteo",
        "Matthew", "Matthias", "Matthieu", "Maurice", "Maxime", "Maéva",
        "Maëlle", "Maëlys", "Megan", "Mehdi", "Mei", "Melissa", "Mia",
        "Michael", "Michel", "Michelle", "Michèle", "Mickaël", "Miguel",
        "Mike", "Mila", "Mireille", "Mohamed", "Mohammed", "Molly", "Monique",
        "Morgane", "Moussa", "Muhammad", "Muriel", "Mustapha", "Myriam",
        "Mélanie", "Mélissa", "Nabil", "Nadia", "Nadine", "Nadège", "Naomi",
        "Natalie", "Natasha", "Nathalie", "Nathan", "Nathanaël", "Naïma",
        "Neil", "Nelly", "Niamh", "Nicholas", "Nick", "Nicolas", "Nicole",
        "Nikolai", "Nina", "Noah", "Nolan", "Nora", "Nordine", "Noé", "Noémie",
        "Noëlle", "Océane", "Odette", "Odile", "Olga", "Oliver", "Olivia",
        "Olivier", "Omar", "Ophélie", "Oscar", "Ousmane", "Owen", "Pablo",
        "Pamela", "Pascal", "Pascale", "Patrice", "Patricia", "Patrick",
        "Paul", "Paulette", "Pauline", "Peter", "Philip", "Philippe",
        "Phillip", "Phoebe", "Pierre", "Piotr", "Poppy", "Priya", "Quentin",
        "Rachel", "Rachid", "Rahul", "Raj", "Ralph", "Randy", "Rania",
        "Raphaël", "Ravi", "Rayan", "Raymond", "Raymonde", "Rebecca", "René",
        "Renée", "Richard", "Rob", "Robert", "Roger", "Roland", "Romain",
        "Romane", "Ronald", "Ronan", "Rory", "Roselyne", "Rosie", "Roy",
        "Russell", "Ruth", "Ryan", "Régine", "Régis", "Rémi", "Rémy",
        "Sabrina", "Sacha", "Salomé", "Sam", "Samantha", "Sami", "Samia",
        "Samuel", "Sandra", "Sandrine", "Sara", "Sarah", "Scarlett", "Scott",
        "Seamus", "Sean", "Sebastian", "Serge", "Sergei", "Shane", "Sharon",
        "Shirley", "Sienna", "Simon", "Simone", "Siobhan", "Sofia", "Sofiane",
        "Solange", "Solène", "Sonia", "Sophia", "Sophie", "Soraya", "Stacey",
        "Stefan", "Stephanie", "Stephen", "Steve", "Steven", "Stuart",
        "Stéphane", "Stéphanie", "Sunita", "Susan", "Suzanne", "Sven",
        "Svetlana", "Sylvain", "Sylviane", "Sylvie", "Sébastien", "Sékou",
        "Séverine", "Tara", "Tarik", "Tatiana", "Teresa", "Terry", "Theo",
        "Thibault", "Thibaut", "Thierry", "Thomas", "Théo", "Thérèse",
        "Tiffany", "Tim", "Timothy", "Timothée", "Tom", "Tomasz", "Tony",
        "Tracy", "Trevor", "Tristan", "Valentin", "Valérie", "Vanessa",
        "Vicky", "Victor", "Vikram", "Vince", "Vincent", "Virginie", "Vivien",
        "Vladimir", "Véronique", "Walid", "Walter", "Wayne", "Wei", "Wendy",
        "Wesley", "William", "Willie", "Xavier", "Yanis", "Yann", "Yannick",
        "Yasmina", "Yasmine", "Yoann", "Yohann", "Yolande", "Youssef", "Yuki",
        "Yusuf", "Yvan", "Yves", "Yvette", "Yvonne", "Zachary", "Zoe", "Zohra",
        "Zoé", "Zoë", "Édouard", "Églantine", "Élisabeth", "Élise", "Élodie",
        "Éloïse", "Éléonore", "Émeline", "Émile", "Émilie", "Éric", "Étienne",
        "Éveline",
};

/* Capitalised particles read as the start of a surname ("Yann Le Gall",
 * "Jean de La Fontaine", "Sami Ben Salah"), sorted by bytes. */
static const char *const cap_particles[] = {
        "Abou", "Al", "Ben", "Bin", "Da", "Das", "De", "Del", "Della", "Des",
        "Di", "Dos", "Du", "El", "La", "Le", "Ould", "Van", "Von",
};

/* @returns 1 if the n bytes at s are one of the nt sorted words of t. */
static int word_in(const char *const *t, size_t nt, const unsigned char *s,
                   size_t n)
{
        size_t lo = 0, hi = nt;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2, wl = strlen(t[mid]);
                int c = memcmp(s, t[mid], n < wl ? n : wl);
                if (c == 0)
                        c = n < wl ? -1 : n > wl;
                if (c == 0)
                        return 1;
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return 0;
}

#define N_FIRST (sizeof(first_names) / sizeof(*first_names))
#define N_CAPP (sizeof(cap_particles) / sizeof(*cap_particles))

/* @returns the end of a listed first name at s[q] (or of a compound
 *          whose parts are all listed: Jean-Pierre), which ends the word,
 *          else 0. */
static size_t first_name(const unsigned char *s, size_t len, size_t q)
{
        size_t p = q;
        int k;

        for (;;) {
                size_t a = p;
                if (!upper_at(s, len, p))
                        return 0;
                while ((k = letter_at(s, len, p)))
                        p += (size_t)k;
                if (!word_in(first_names, N_FIRST, s + a, p - a))
                        return 0;
                if (p + 1 < len && s[p] == '-' && upper_at(s, len, p + 1)) {
                        p++;
                        continue;
                }
                break;
        }
        if (p < len && (is_digit(s[p]) || s[p] == '_' || s[p] == '-' ||
                        s[p] == '\'' || s[p] == '@'))
                return 0; /* Jean-luc, Anna's, Marie_2: not here */
        return p;
}

/* A listed first name at s[i] and a capitalised surname after it: "Hélène
 * Martin", "Jean-Pierre de La Tour", "Mary Ann Smith". A first name alone
 * is left ("Claire" is also an adjective). */
static int plain_name(const unsigned char *s, size_t len, size_t i,
                      match_t *mt)
{
        size_t e = first_name(s, len, i), q, e2, e3;
        int k;

        if (!e || !(k = space_at(s, len, e)))
                return 0;
        q = particles_skip(s, len, e + (size_t)k);
        if (!(e2 = name_word(s, len, q)))
                return 0;
        /* "Le Gall", "Ben Salah"; a middle name: "Mary Ann Smith" */
        if ((k = space_at(s, len, e2)) &&
            (word_in(cap_particles, N_CAPP, s + q, e2 - q) ||
             word_in(first_names, N_FIRST, s + q, e2 - q)) &&
            (e3 = name_word(s, len, e2 + (size_t)k)))
                e2 = e3;
        mt->start = i;
        mt->end   = e2;
        mt->kind  = VG_PII_NAME;
        return 1;
}

/* ---- URLs ------------------------------------------------------------- */

/* @returns 1 if c (ASCII) may be part of a URL (RFC 3986 characters). */
static int url_char(unsigned c)
{
        if (is_alnum(c))
                return 1;
        switch (c) {
        case '-': case '.': case '_': case '~': case ':': case '/':
        case '?': case '#': case '[': case ']': case '@': case '!':
        case '$': case '&': case '\'': case '(': case ')': case '*':
        case '+': case ',': case ';': case '=': case '%':
                return 1;
        }
        return 0;
}

/* @returns the length of the ASCII word w (lower case) at s[i], matched
 *          in any case, else 0. */
static size_t prefix_ci(const unsigned char *s, size_t len, size_t i,
                        const char *w)
{
        size_t n = strlen(w);

        if (len - i < n)
                return 0;
        for (size_t j = 0; j < n; j++) {
                unsigned c = s[i + j];
                if ((is_upper(c) ? c | 0x20 : c) != (unsigned char)w[j])
                        return 0;
        }
        return n;
}

/* @returns 1 if the path segment s[a..b) looks like a token: 16 or more
 *          of [A-Za-z0-9_-], letters and digits mixed (3 changes from
 *          one to the other at least: a1b2..., 550e8400-e29b-..., not
 *          release-2024-notes). */
static int token_segment(const unsigned char *s, size_t a, size_t b)
{
        int prev = 0, changes = 0;

        if (b - a < 16)
                return 0;
        for (size_t j = a; j < b; j++) {
                unsigned c = s[j];
                int cl     = is_digit(c) ? 1 : is_alpha(c) ? 2 : 0;
                if (!cl && c != '-' && c != '_')
                        return 0;
                if (cl && prev && cl != prev)
                        changes++;
                if (cl)
                        prev = cl;
        }
        return changes >= 3;
}

/* A URL at s[i] (http://, https://, ftp:// or www., in any case) that
 * carries personal data: user-info or any '@', a query string, a
 * fragment, or a path segment that looks like a token. *seen: the end of
 * the URL, replaced or not (the URLs inside it are not tried again). */
static int url(const unsigned char *s, size_t len, size_t i, match_t *mt,
               size_t *seen)
{
        size_t p, e, a, host, open_p = 0, close_p = 0, open_b = 0,
                             close_b = 0;
        int k, secret = 0;

        if (!(p = prefix_ci(s, len, i, "https://")) &&
            !(p = prefix_ci(s, len, i, "http://")) &&
            !(p = prefix_ci(s, len, i, "ftp://")) &&
            !(p = prefix_ci(s, len, i, "www.")))
                return 0;
        host = i + p;
        e    = host;
        while (e < len) {
                unsigned c = s[e];
                if (c < 0x80) {
                        if (!url_char(c))
                                break;
                        open_p += c == '(';
                        close_p += c == ')';
                        open_b += c == '[';
                        close_b += c == ']';
                        e++;
                } else if ((k = letter_at(s, len, e))) {
                        e += (size_t)k; /* an IRI: accented letters */
                } else {
                        break;
                }
        }
        /* punctuation after it: "voir https://x.fr/a?b=1." */
        while (e > host) {
                unsigned c = s[e - 1];
                if (c == '.' || c == ',' || c == ';' || c == ':' ||
                    c == '!' || c == '?' || c == '\'' || c == '*') {
                        e--;
                } else if (c == ')' && close_p > open_p) {
                        close_p--;
                        e--;
                } else if (c == ']' && close_b > open_b) {
                        close_b--;
                        e--;
                } else {
                        break;
                }
        }
        *seen = e;
        if (e == host || !is_alnum(s[host]))
                return 0;
        for (a = host; a < e && !secret; a++) /* "?" or "#" and more */
                secret = s[a] == '@' ||
                         ((s[a] == '?' || s[a] == '#') && a + 1 < e);
        /* the path after the host: segments between '/' */
        for (a = host; a < e && s[a] != '/'; a++)
                ;
        while (!secret && a < e) {
                size_t b = a + 1;
                while (b < e && s[b] != '/')
                        b++;
                secret = token_segment(s, a + 1, b);
                a      = b;
        }
        if (!secret)
                return 0;
        mt->start = i;
        mt->end   = e;
        mt->kind  = VG_PII_URL;
        return 1;
}

/* ---- scrubbing -------------------------------------------------------- */

typedef struct {
        char *out;
        size_t cap; /* bytes usable, the NUL excluded */
        size_t n;
        int full;
} wr_t;

static void put_plain(wr_t *w, const unsigned char *p, size_t k)
{
        if (w->full || !k)
                return;
        if (k > w->cap - w->n) {
                k       = w->cap - w->n;
                w->full = 1;
        }
        if (k) {
                memcpy(w->out + w->n, p, k);
                w->n += k;
        }
}

static int put_placeholder(wr_t *w, vg_pii_kind_t kind)
{
        size_t k = strlen(placeholders[kind]);

        if (w->full)
                return 0;
        if (k > w->cap - w->n) {
                w->full = 1;
                return 0;
        }
        memcpy(w->out + w->n, placeholders[kind], k);
        w->n += k;
        return 1;
}

/* Cuts an incomplete UTF-8 character at the end of a full output. */
static void trim_utf8(wr_t *w)
{
        size_t j = w->n;
        int cont = 0;
        unsigned lead;

        while (j > 0 && cont < 3 && ((unsigned char)w->out[j - 1] & 0xC0) ==
                                            0x80) {
                j--;
                cont++;
        }
        if (j == 0)
                return;
        lead = (unsigned char)w->out[j - 1];
        if (lead < 0xC0)
                return;
        if (cont + 1 < (lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2))
                w->n = j - 1;
}

/* Bytes where an item may start: when the text holds no '@', digits,
 * '+', '(', capitals (and the lead bytes of accented capitals), the 'm',
 * 'd', 'p' of French titles in lower case and the 'h', 'f', 'w' of URLs;
 * with an '@', also what may start an e-mail's local part. */
#define R4(c) [(c)] = 1, [(c) + 1] = 1, [(c) + 2] = 1, [(c) + 3] = 1
#define R10(c) R4(c), R4((c) + 4), [(c) + 8] = 1, [(c) + 9] = 1
#define R26(c) R10(c), R10((c) + 10), R4((c) + 20), [(c) + 24] = 1, \
               [(c) + 25] = 1
static const uint8_t trigger[256] = {
        R10('0'), R26('A'), ['m'] = 1, ['d'] = 1, ['p'] = 1, ['h'] = 1,
        ['f'] = 1, ['w'] = 1, ['+'] = 1, ['('] = 1, [0xC3] = 1, [0xC4] = 1,
        [0xC5] = 1,
};
static const uint8_t trigger_at[256] = {
        R10('0'), R26('A'), R26('a'), ['+'] = 1, ['('] = 1, ['.'] = 1,
        ['_'] = 1, ['%'] = 1, ['-'] = 1, ['\''] = 1, R4(0xC3), [0xC7] = 1,
        [0xC8] = 1, [0xC9] = 1,
};
#undef R26
#undef R10
#undef R4

/* The item starting at s[i], if any. *url_seen: the end of the last URL
 * looked at (URLs are not tried again inside it). */
static int detect(const unsigned char *s, size_t len, size_t i, int has_at,
                  size_t *url_seen, match_t *mt)
{
        unsigned c = s[i];

        if ((c | 0x20) == 'h' || (c | 0x20) == 'f' || (c | 0x20) == 'w') {
                if (i >= *url_seen && !prev_word(s, i) &&
                    (i == 0 || s[i - 1] != '.') &&
                    url(s, len, i, mt, url_seen))
                        return 1;
        }
        if (has_at && local_at(s, len, i) && !prev_local(s, i) &&
            email(s, len, i, mt))
                return 1;
        if (is_digit(c) || c == '+' || c == '(')
                return (c != '(' || (i + 1 < len && is_digit(s[i + 1]))) &&
                       (c != '+' || (i + 1 < len && is_digit(s[i + 1]))) &&
                       num_start_ok(s, i) && number(s, len, i, mt);
        if (c >= 0x80) /* an accented capital: a first name (Élodie) */
                return upper_at(s, len, i) && !prev_word(s, i) &&
                       plain_name(s, len, i, mt);
        if (!is_alpha(c) || prev_word(s, i))
                return 0;
        if (is_upper(c) && i + 3 < len && is_upper(s[i + 1]) &&
            is_digit(s[i + 2]) && is_digit(s[i + 3]) && iban(s, len, i, mt))
                return 1;
        if ((c == 'M' || c == 'D' || c == 'P' || c == 'S' ||
             (i + 1 < len &&
              ((c == 'm' && (s[i + 1] == 'o' || s[i + 1] == 'a' ||
                             s[i + 1] == 'e')) ||
               (c == 'd' && s[i + 1] == 'o') ||
               (c == 'p' && s[i + 1] == 'r')))) &&
            title_name(s, len, i, mt))
                return 1;
        return is_upper(c) && plain_name(s, len, i, mt);
}

size_t vg_pii_scrub(const char *in, size_t len, char *out, size_t out_size,
                    vg_pii_counts_t *counts)
{
        const unsigned char *s = (const unsigned char *)in;
        wr_t w = {out, out_size ? out_size - 1 : 0, 0, 0};
        vg_pii_counts_t dummy;
        size_t done = 0, i = 0, url_seen = 0;
        const uint8_t *trig;
        int has_at;
        match_t mt;

        if (!counts)
                counts = &dummy;
        memset(counts, 0, sizeof(*counts));
        if (!len) {
                if (out_size)
                        out[0] = '\0';
                return 0;
        }
        has_at = memchr(in, '@', len) != NULL;
        trig   = has_at ? trigger_at : trigger;
        while (i < len) {
                unsigned c;
                /* fast paths: bytes that start nothing, inside a word */
                while (i < len && !trig[s[i]])
                        i++;
                if (i >= len)
                        break;
                c = s[i];
                if (i > 0 && is_alnum(c) && is_alnum(s[i - 1])) {
                        while (++i < len && is_alnum(s[i]))
                                ;
                        continue;
                }
                if (!detect(s, len, i, has_at, &url_seen, &mt)) {
                        /* nothing starts inside the word either */
                        if (is_alnum(c))
                                while (++i < len && is_alnum(s[i]))
                                        ;
                        else
                                i++;
                        /* the plain text before i alone fills the output */
                        if (i - done > w.cap - w.n)
                                break;
                        continue;
                }
                put_plain(&w, s + done, mt.start - done);
                if (put_placeholder(&w, mt.kind))
                        counts->n[mt.kind]++;
                if (w.full)
                        break;
                done = i = mt.end;
        }
        if (!w.full)
                put_plain(&w, s + done, len - done);
        if (w.full)
                trim_utf8(&w);
        if (out_size)
                out[w.n] = '\0';
        counts->truncated = w.full;
        return w.n;
}
