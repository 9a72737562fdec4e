/**
 * @file vg_text.c
 * @brief UTF-8 tokenizer with accent folding, stop words, n-grams, online
 *        IDF, hashed sparse features and a dense signed-hash embedding.
 */
#include "vg_text.h"
#include "vg_hash.h"
#include "vg_mem.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_MAX   64            /* bytes per token, longer are cut */
#define TERM_SEED   0x7e47u       /* hash seed of terms (IDF, embedding) */
#define INVALID_CP  0xFFFFFFFFu

typedef struct {
        uint64_t h;      /* term hash (TERM_SEED) */
        uint32_t off;    /* in terms arena */
        uint32_t len;
        double tf;
} term_t;

struct vg_text_s {
        vg_text_conf_t conf;
        uint64_t n_docs;
        uint32_t *df;           /* 2^idf_bits counters */
        const char **stop;      /* sorted stop words */
        size_t n_stop;
        /* scratch */
        char *tokbuf;           /* token arena */
        size_t tokbuf_size;
        const char **toks;
        int toks_cap;
        char *termbuf;          /* term arena */
        size_t termbuf_size, termbuf_len;
        term_t *terms;
        int terms_cap, n_terms;
};

/* Folding of U+00C0..U+024F: ASCII base letters, "" for non-letters,
 * else the lowercase letter itself (generated with Python's unicodedata,
 * NFKD without marks, plus ß -> ss, æ -> ae, œ -> oe, ø -> o, ...). */
static const char *const fold_latin[0x250 - 0xC0] = {
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i",
        "i", "i", "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u",
        "u", "y", "th", "ss", "a", "a", "a", "a", "a", "a", "ae", "c", "e",
        "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o",
        "", "o", "u", "u", "u", "u", "y", "th", "y", "a", "a", "a", "a", "a",
        "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", "d", "d", "e",
        "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g", "g",
        "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i",
        "i", "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l",
        "l", "l", "l", "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n",
        "n", "o", "o", "o", "o", "o", "o", "oe", "oe", "r", "r", "r", "r", "r",
        "r", "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", "t",
        "t", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "w",
        "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s", "\xc6\x80",
        "\xc9\x93", "\xc6\x83", "\xc6\x83", "\xc6\x85", "\xc6\x85", "\xc9\x94",
        "\xc6\x88", "\xc6\x88", "\xc9\x96", "\xc9\x97", "\xc6\x8c", "\xc6\x8c",
        "\xc6\x8d", "\xc7\x9d", "\xc9\x99", "\xc9\x9b", "\xc6\x92", "\xc6\x92",
        "\xc9\xa0", "\xc9\xa3", "\xc6\x95", "\xc9\xa9", "\xc9\xa8", "\xc6\x99",
        "\xc6\x99", "\xc6\x9a", "\xc6\x9b", "\xc9\xaf", "\xc9\xb2", "\xc6\x9e",
        "\xc9\xb5", "o", "o", "\xc6\xa3", "\xc6\xa3", "\xc6\xa5", "\xc6\xa5",
        "\xca\x80", "\xc6\xa8", "\xc6\xa8", "\xca\x83", "\xc6\xaa", "\xc6\xab",
        "\xc6\xad", "\xc6\xad", "\xca\x88", "u", "u", "\xca\x8a", "\xca\x8b",
        "\xc6\xb4", "\xc6\xb4", "\xc6\xb6", "\xc6\xb6", "\xca\x92", "\xc6\xb9",
        "\xc6\xb9", "\xc6\xba", "\xc6\xbb", "\xc6\xbd", "\xc6\xbd", "\xc6\xbe",
        "\xc6\xbf", "\xc7\x80", "\xc7\x81", "\xc7\x82", "\xc7\x83", "dz", "dz",
        "dz", "lj", "lj", "lj", "nj", "nj", "nj", "a", "a", "i", "i", "o", "o",
        "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "\xc7\x9d", "a", "a",
        "a", "a", "\xc7\xa3", "\xc7\xa3", "\xc7\xa5", "\xc7\xa5", "g", "g",
        "k", "k", "o", "o", "o", "o", "\xc7\xaf", "\xc7\xaf", "j", "dz", "dz",
        "dz", "g", "g", "\xc6\x95", "\xc6\xbf", "n", "n", "a", "a", "\xc7\xbd",
        "\xc7\xbd", "\xc7\xbf", "\xc7\xbf", "a", "a", "a", "a", "e", "e", "e",
        "e", "i", "i", "i", "i", "o", "o", "o", "o", "r", "r", "r", "r", "u",
        "u", "u", "u", "s", "s", "t", "t", "\xc8\x9d", "\xc8\x9d", "h", "h",
        "\xc6\x9e", "\xc8\xa1", "\xc8\xa3", "\xc8\xa3", "\xc8\xa5", "\xc8\xa5",
        "a", "a", "e", "e", "o", "o", "o", "o", "o", "o", "o", "o", "y", "y",
        "\xc8\xb4", "\xc8\xb5", "\xc8\xb6", "\xc8\xb7", "\xc8\xb8", "\xc8\xb9",
        "\xe2\xb1\xa5", "\xc8\xbc", "\xc8\xbc", "\xc6\x9a", "\xe2\xb1\xa6",
        "\xc8\xbf", "\xc9\x80", "\xc9\x82", "\xc9\x82", "\xc6\x80", "\xca\x89",
        "\xca\x8c", "\xc9\x87", "\xc9\x87", "\xc9\x89", "\xc9\x89", "\xc9\x8b",
        "\xc9\x8b", "\xc9\x8d", "\xc9\x8d", "\xc9\x8f", "\xc9\x8f",
};

/* Folded (accent-free) stop words. Negations ("pas", "not", "no", "ne")
 * are kept on purpose: "ne fonctionne pas" must not read "fonctionne". */
static const char *const stop_words[] = {
        /* French */
        "ai", "aie", "as", "au", "aux", "avec", "avait", "avez", "avoir",
        "avons", "ca", "car", "ce", "ceci", "cela", "celle", "celui", "ces",
        "cet", "cette", "chez", "comme", "dans", "de", "depuis", "des",
        "donc", "du", "elle", "elles", "en", "entre", "est", "et", "etaient",
        "etait", "ete", "etre", "eu", "eux", "fait", "il", "ils", "je",
        "la", "le", "les", "leur", "leurs", "lui", "ma", "mais", "me",
        "meme", "mes", "moi", "mon", "nos", "notre", "nous", "ont", "ou",
        "par", "pour", "qu", "que", "quel", "quelle", "qui", "sa", "sans",
        "se", "ses", "si", "son", "sont", "sous", "sur", "ta", "te", "tes",
        "toi", "ton", "tu", "un", "une", "vers", "vos", "votre", "vous",
        /* English */
        "about", "after", "all", "am", "an", "and", "any", "are", "at",
        "be", "been", "being", "but", "by", "can", "could", "did", "do",
        "does", "for", "from", "had", "has", "have", "he", "her", "here",
        "him", "his", "how", "if", "in", "into", "is", "it", "its", "me",
        "my", "of", "on", "or", "our", "she", "so", "than", "that", "the",
        "their", "them", "then", "there", "these", "they", "this", "those",
        "to", "too", "was", "we", "were", "what", "when", "where", "which",
        "while", "who", "why", "will", "with", "would", "you", "your",
};

void vg_text_conf_init(vg_text_conf_t *conf)
{
        memset(conf, 0, sizeof(*conf));
        conf->idf_bits   = 18;
        conf->bigrams    = 1;
        conf->stopwords  = 1;
        conf->max_bytes  = 65536;
        conf->max_tokens = 4096;
        conf->embed_dim  = 256;
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *text_conf_check(const vg_text_conf_t *c)
{
        if (c->idf_bits < 4 || c->idf_bits > 28)
                return "idf_bits must be in [4, 28]";
        if (c->char_ngram_min < 0 || c->char_ngram_max > 16 ||
            (c->char_ngram_min > 0 && c->char_ngram_max < c->char_ngram_min))
                return "char n-grams: need 0 < min <= max <= 16, or min 0";
        if (c->max_bytes < 1 || c->max_bytes > ((size_t)1 << 30))
                return "max_bytes must be in [1, 1 GiB]";
        if (c->max_tokens < 1 || c->max_tokens > 1000000)
                return "max_tokens must be in [1, 1000000]";
        if (c->embed_dim < 1 || c->embed_dim > 65536)
                return "embed_dim must be in [1, 65536]";
        return NULL;
}

vg_text_t *vg_text_new(const vg_text_conf_t *conf, char *errstr,
                       size_t errstr_size)
{
        const char *why = text_conf_check(conf);
        vg_text_t *tx;

        if (why) {
                snprintf(errstr, errstr_size, "text: %s", why);
                return NULL;
        }
        tx         = vg_calloc(1, sizeof(*tx));
        tx->conf   = *conf;
        tx->df     = vg_calloc((size_t)1 << conf->idf_bits, sizeof(uint32_t));
        tx->n_stop = sizeof(stop_words) / sizeof(stop_words[0]);
        tx->stop   = vg_malloc(sizeof(stop_words));
        memcpy(tx->stop, stop_words, sizeof(stop_words));
        qsort(tx->stop, tx->n_stop, sizeof(*tx->stop), str_cmp);
        tx->tokbuf_size  = 4096;
        tx->tokbuf       = vg_malloc(tx->tokbuf_size);
        tx->toks_cap     = 256;
        tx->toks         = vg_malloc(tx->toks_cap * sizeof(*tx->toks));
        tx->termbuf_size = 4096;
        tx->termbuf      = vg_malloc(tx->termbuf_size);
        tx->terms_cap    = 256;
        tx->terms        = vg_malloc(tx->terms_cap * sizeof(*tx->terms));
        return tx;
}

void vg_text_destroy(vg_text_t *tx)
{
        if (!tx)
                return;
        vg_free(tx->df);
        vg_free(tx->stop);
        vg_free(tx->tokbuf);
        vg_free(tx->toks);
        vg_free(tx->termbuf);
        vg_free(tx->terms);
        vg_free(tx);
}

/* ---- UTF-8 and folding ------------------------------------------------- */

/* Decodes one code point; invalid sequences (bad lead, truncated,
 * overlong, surrogate, > U+10FFFF) give INVALID_CP and consume 1 byte. */
static size_t utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
        uint32_t c = p[0], min;
        size_t len;

        if (c < 0x80) {
                *cp = c;
                return 1;
        }
        if ((c & 0xE0) == 0xC0) {
                len = 2, c &= 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
                len = 3, c &= 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
                len = 4, c &= 0x07, min = 0x10000;
        } else {
                *cp = INVALID_CP;
                return 1;
        }
        if (len > n)
                goto bad;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        goto bad;
                c = (c << 6) | (p[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
                goto bad;
        *cp = c;
        return len;
bad:
        *cp = INVALID_CP;
        return 1;
}

static size_t utf8_put(uint32_t c, char *out)
{
        if (c < 0x80) {
                out[0] = (char)c;
                return 1;
        }
        if (c < 0x800) {
                out[0] = (char)(0xC0 | (c >> 6));
                out[1] = (char)(0x80 | (c & 0x3F));
                return 2;
        }
        if (c < 0x10000) {
                out[0] = (char)(0xE0 | (c >> 12));
                out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
                out[2] = (char)(0x80 | (c & 0x3F));
                return 3;
        }
        out[0] = (char)(0xF0 | (c >> 18));
        out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[3] = (char)(0x80 | (c & 0x3F));
        return 4;
}

/* Folds code point c into out.
 * @returns the bytes written, 0 for a separator, -1 to ignore c
 *          (combining accents, joiners) without separating. */
static int fold(uint32_t c, char *out)
{
        if (c < 0x80) {
                if (c >= 'A' && c <= 'Z')
                        c += 'a' - 'A';
                else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                        return 0;
                out[0] = (char)c;
                return 1;
        }
        if (c >= 0xC0 && c < 0x250) {
                const char *f = fold_latin[c - 0xC0];
                size_t n      = strlen(f);
                memcpy(out, f, n);
                return (int)n;
        }
        if ((c >= 0x300 && c <= 0x36F) || c == 0x200C || c == 0x200D ||
            c == 0xAD)
                return -1; /* combining marks, ZWNJ/ZWJ, soft hyphen */
        if (c >= 0x391 && c <= 0x3A9)
                c += 0x20; /* Greek capitals */
        else if (c >= 0x410 && c <= 0x42F)
                c += 0x20; /* Cyrillic capitals */
        else if (c >= 0x400 && c <= 0x40F)
                c += 0x50;
        if ((c >= 0x370 && c < 0x2000) || (c >= 0x3040 && c <= 0x9FFF) ||
            (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF))
                return (int)utf8_put(c, out);
        return 0; /* punctuation, symbols, emoji, private use, ... */
}

/* ---- tokenizer --------------------------------------------------------- */

static int is_stop(const vg_text_t *tx, const char *tok)
{
        return bsearch(&tok, tx->stop, tx->n_stop, sizeof(*tx->stop),
                       str_cmp) != NULL;
}

/* Ends the token being built at tokbuf[start..*lenp) (NUL-terminates it,
 * keeps it or rolls it back). @returns 1 if kept. */
static int end_token(vg_text_t *tx, size_t start, size_t *lenp, int *ntok)
{
        const char *tok = tx->tokbuf + start;
        size_t tl       = *lenp - start;

        tx->tokbuf[*lenp] = '\0';
        if (tl < 2 || (tx->conf.stopwords && is_stop(tx, tok))) {
                *lenp = start;
                return 0;
        }
        if (*ntok == tx->toks_cap) {
                tx->toks_cap *= 2;
                tx->toks = vg_realloc(tx->toks,
                                      tx->toks_cap * sizeof(*tx->toks));
        }
        /* Offsets for now: tokbuf may still move; fixed up at the end. */
        tx->toks[(*ntok)++] = (const char *)(uintptr_t)start;
        *lenp += 1;
        return 1;
}

int vg_text_tokenize(vg_text_t *tx, const char *text, size_t len,
                     const char *const **toksp)
{
        const unsigned char *p = (const unsigned char *)text;
        size_t n = len < tx->conf.max_bytes ? len : tx->conf.max_bytes;
        size_t i = 0, blen = 0, start = 0;
        int ntok = 0, in_tok = 0;

        /* Folding expands at most 2 bytes -> 4: 4n + NULs is enough. */
        if (tx->tokbuf_size < 4 * n + 16) {
                tx->tokbuf_size = 4 * n + 16;
                tx->tokbuf      = vg_realloc(tx->tokbuf, tx->tokbuf_size);
        }
        while (i < n && ntok < tx->conf.max_tokens) {
                char f[8];
                uint32_t cp;
                int fl;
                i += utf8_next(p + i, n - i, &cp);
                fl = cp == INVALID_CP ? 0 : fold(cp, f);
                if (fl < 0)
                        continue;
                if (fl == 0) {
                        if (in_tok)
                                end_token(tx, start, &blen, &ntok);
                        in_tok = 0;
                        continue;
                }
                if (!in_tok) {
                        start  = blen;
                        in_tok = 1;
                }
                if (blen - start + (size_t)fl <= TOKEN_MAX) {
                        memcpy(tx->tokbuf + blen, f, fl);
                        blen += (size_t)fl;
                }
        }
        if (in_tok && ntok < tx->conf.max_tokens)
                end_token(tx, start, &blen, &ntok);
        for (int t = 0; t < ntok; t++)
                tx->toks[t] = tx->tokbuf + (uintptr_t)tx->toks[t];
        *toksp = tx->toks;
        return ntok;
}

/* ---- terms ------------------------------------------------------------- */

static void term_add(vg_text_t *tx, const char *a, size_t al, const char *sep,
                     const char *b, size_t bl)
{
        size_t sl = sep ? strlen(sep) : 0, tl = al + sl + bl;
        term_t *t;
        char *s;

        if (tx->termbuf_len + tl + 1 > tx->termbuf_size) {
                while (tx->termbuf_len + tl + 1 > tx->termbuf_size)
                        tx->termbuf_size *= 2;
                tx->termbuf = vg_realloc(tx->termbuf, tx->termbuf_size);
        }
        if (tx->n_terms == tx->terms_cap) {
                tx->terms_cap *= 2;
                tx->terms = vg_realloc(tx->terms,
                                       tx->terms_cap * sizeof(*tx->terms));
        }
        s = tx->termbuf + tx->termbuf_len;
        memcpy(s, a, al);
        if (sl)
                memcpy(s + al, sep, sl);
        if (bl)
                memcpy(s + al + sl, b, bl);
        s[tl]  = '\0';
        t      = &tx->terms[tx->n_terms++];
        t->h   = vg_hash64(s, tl, TERM_SEED);
        t->off = (uint32_t)tx->termbuf_len;
        t->len = (uint32_t)tl;
        t->tf  = 1.0;
        tx->termbuf_len += tl + 1;
}

/* Character n-grams of "<tok>", on code point boundaries. */
static void char_ngrams(vg_text_t *tx, const char *tok)
{
        char w[TOKEN_MAX + 8];
        size_t pos[TOKEN_MAX + 8], np = 0, wl;

        wl = (size_t)snprintf(w, sizeof(w), "<%s>", tok);
        for (size_t i = 0; i < wl; i++)
                if (((unsigned char)w[i] & 0xC0) != 0x80)
                        pos[np++] = i;
        pos[np] = wl;
        for (int n = tx->conf.char_ngram_min; n <= tx->conf.char_ngram_max;
             n++)
                for (size_t s = 0; s + (size_t)n <= np; s++)
                        term_add(tx, "#", 1, NULL, w + pos[s],
                                 pos[s + n] - pos[s]);
}

static int term_cmp(const void *a, const void *b)
{
        uint64_t x = ((const term_t *)a)->h, y = ((const term_t *)b)->h;
        return (x > y) - (x < y);
}

/* Builds the distinct terms of the tokens with their counts. */
static void collect_terms(vg_text_t *tx, const char *const *toks, int n)
{
        int w = 0;

        tx->n_terms     = 0;
        tx->termbuf_len = 0;
        for (int i = 0; i < n; i++) {
                size_t l = strlen(toks[i]);
                term_add(tx, toks[i], l, NULL, NULL, 0);
                if (tx->conf.bigrams && i + 1 < n)
                        term_add(tx, toks[i], l, "_", toks[i + 1],
                                 strlen(toks[i + 1]));
                if (tx->conf.char_ngram_min > 0)
                        char_ngrams(tx, toks[i]);
        }
        qsort(tx->terms, tx->n_terms, sizeof(*tx->terms), term_cmp);
        for (int i = 0; i < tx->n_terms; i++) {
                if (w > 0 && tx->terms[w - 1].h == tx->terms[i].h)
                        tx->terms[w - 1].tf += 1.0;
                else
                        tx->terms[w++] = tx->terms[i];
        }
        tx->n_terms = w;
}

static inline uint32_t df_slot(const vg_text_t *tx, uint64_t h)
{
        return (uint32_t)(h >> (64 - tx->conf.idf_bits));
}

static double idf_of(const vg_text_t *tx, uint64_t h)
{
        return log((1.0 + (double)tx->n_docs) /
                   (1.0 + tx->df[df_slot(tx, h)])) + 1.0;
}

int vg_text_featurize(vg_text_t *tx, const char *text, size_t len,
                      const char *prefix, vg_features_t *x, double *embed,
                      int flags)
{
        const char *const *toks;
        size_t pl = prefix ? strlen(prefix) : 0;
        double norm = 0;
        char name[512];
        int n = vg_text_tokenize(tx, text ? text : "", text ? len : 0, &toks);

        collect_terms(tx, toks, n);
        if (flags & VG_TEXT_F_LEARN) {
                tx->n_docs++;
                for (int i = 0; i < tx->n_terms; i++) {
                        uint32_t *d = &tx->df[df_slot(tx, tx->terms[i].h)];
                        if (*d < UINT32_MAX)
                                (*d)++;
                }
        }
        for (int i = 0; i < tx->n_terms; i++) {
                term_t *t = &tx->terms[i];
                t->tf     = (1.0 + log(t->tf)) * idf_of(tx, t->h);
                norm += t->tf * t->tf;
        }
        norm = norm > 0 ? 1.0 / sqrt(norm) : 0.0;
        if (embed)
                memset(embed, 0, tx->conf.embed_dim * sizeof(double));
        for (int i = 0; i < tx->n_terms; i++) {
                term_t *t = &tx->terms[i];
                double v  = t->tf * norm;
                if (x) {
                        size_t tl = t->len < sizeof(name) - pl - 1
                                            ? t->len
                                            : sizeof(name) - pl - 1;
                        memcpy(name, prefix, pl);
                        memcpy(name + pl, tx->termbuf + t->off, tl);
                        name[pl + tl] = '\0';
                        vg_features_add(x, name, v);
                }
                if (embed)
                        embed[(t->h >> 32) % (uint64_t)tx->conf.embed_dim] +=
                                vg_features_hash_sign(t->h) * v;
        }
        if (embed) {
                double s = 0;
                for (int j = 0; j < tx->conf.embed_dim; j++)
                        s += embed[j] * embed[j];
                if (s > 0)
                        for (int j = 0; j < tx->conf.embed_dim; j++)
                                embed[j] /= sqrt(s);
        }
        return tx->n_terms;
}

double vg_text_idf(const vg_text_t *tx, const char *term)
{
        return idf_of(tx, vg_hash64(term, strlen(term), TERM_SEED));
}

uint64_t vg_text_n_docs(const vg_text_t *tx)
{
        return tx->n_docs;
}

int vg_text_embed_dim(const vg_text_t *tx)
{
        return tx->conf.embed_dim;
}

size_t vg_text_memory(const vg_text_t *tx)
{
        return sizeof(*tx) +
               ((size_t)1 << tx->conf.idf_bits) * sizeof(uint32_t) +
               tx->n_stop * sizeof(char *) + tx->tokbuf_size +
               tx->toks_cap * sizeof(char *) + tx->termbuf_size +
               tx->terms_cap * sizeof(term_t);
}

/* ---- snapshot ---------------------------------------------------------- */

void *vg_text_save(const vg_text_t *tx, size_t *lenp)
{
        vg_snap_writer_t *sw = vg_snap_writer_new(VG_SNAP_KIND_TEXT);
        const vg_text_conf_t *c = &tx->conf;
        size_t size = (size_t)1 << c->idf_bits;
        uint32_t used = 0;

        vg_snap_put_u32(sw, (uint32_t)c->idf_bits);
        vg_snap_put_u8(sw, (uint8_t)c->bigrams);
        vg_snap_put_u8(sw, (uint8_t)c->stopwords);
        vg_snap_put_u32(sw, (uint32_t)c->char_ngram_min);
        vg_snap_put_u32(sw, (uint32_t)c->char_ngram_max);
        vg_snap_put_u64(sw, c->max_bytes);
        vg_snap_put_u32(sw, (uint32_t)c->max_tokens);
        vg_snap_put_u32(sw, (uint32_t)c->embed_dim);
        vg_snap_put_u64(sw, tx->n_docs);
        for (size_t i = 0; i < size; i++)
                used += tx->df[i] != 0;
        vg_snap_put_u32(sw, used);
        for (size_t i = 0; i < size; i++) {
                if (!tx->df[i])
                        continue;
                vg_snap_put_u32(sw, (uint32_t)i);
                vg_snap_put_u32(sw, tx->df[i]);
        }
        return vg_snap_writer_finish(sw, lenp);
}

vg_text_t *vg_text_load(const void *buf, size_t len, char *errstr,
                        size_t errstr_size)
{
        vg_snap_reader_t *sr = vg_snap_reader_new(buf, len, VG_SNAP_KIND_TEXT,
                                                  errstr, errstr_size);
        vg_text_t *tx = NULL;
        vg_text_conf_t c;
        uint32_t used;
        char err[160];

        if (!sr)
                return NULL;
        vg_text_conf_init(&c);
        c.idf_bits       = (int)vg_snap_get_u32(sr);
        c.bigrams        = vg_snap_get_u8(sr);
        c.stopwords      = vg_snap_get_u8(sr);
        c.char_ngram_min = (int)vg_snap_get_u32(sr);
        c.char_ngram_max = (int)vg_snap_get_u32(sr);
        c.max_bytes      = (size_t)vg_snap_get_u64(sr);
        c.max_tokens     = (int)vg_snap_get_u32(sr);
        c.embed_dim      = (int)vg_snap_get_u32(sr);
        if (vg_snap_ok(sr) && !(tx = vg_text_new(&c, err, sizeof(err))))
                vg_snap_fail(sr, "%s", err);
        if (tx) {
                tx->n_docs = vg_snap_get_u64(sr);
                used       = vg_snap_get_u32(sr);
                for (uint32_t j = 0; j < used && vg_snap_ok(sr); j++) {
                        uint32_t i = vg_snap_get_u32(sr);
                        uint32_t d = vg_snap_get_u32(sr);
                        if (i >= ((uint32_t)1 << c.idf_bits)) {
                                vg_snap_fail(sr, "text: bad df slot %u", i);
                                break;
                        }
                        tx->df[i] = d;
                }
        }
        if (vg_snap_reader_destroy(sr, errstr, errstr_size) != VG_OK ||
            !tx) {
                vg_text_destroy(tx);
                return NULL;
        }
        return tx;
}
