/**
 * @file vg_text.c
 * @brief UTF-8 tokenizer with accent folding, stop words, n-grams, online
 *        IDF, hashed sparse features and a dense signed-hash embedding.
 *
 * Featurisation allocates nothing in the steady state (the scratch buffers
 * live in the object and only grow) and copies no term: a term is a token,
 * two adjacent tokens of the token arena (a bigram) or a slice of a
 * "<token>" word (a character n-gram). Terms are deduplicated by their
 * 64-bit hash in an open-addressing table, the first occurrence naming the
 * term, then visited by increasing hash: callers see that order (features,
 * floating-point sums), it is part of the results.
 */
#include "vg_text.h"
#include "vg_hash.h"
#include "vg_mem.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_MAX   64            /* bytes per token, longer are cut */
#define TERM_MAX    (2 * TOKEN_MAX + 2) /* bytes of a term and its NUL */
#define FNAME_MAX   512           /* feature names are cut to this - 1 */
#define TERM_SEED   0x7e47u       /* hash seed of terms (IDF, embedding) */
#define INVALID_CP  0xFFFFFFFFu
#define STOP_BITS   9             /* 2^9 slots for the stop words */
#define STOP_LEN    8             /* bytes of the longest stop word */
#define IDF_MEMO    64            /* idf values remembered, by df */
#define SORT_RUN    16            /* merge sort: insertion-sorted runs */

/* A distinct term of the text being featurised. Its bytes are not copied:
 * a token or two adjacent ones (a bigram: the NUL between them reads "_")
 * in the token arena, or an n-gram in ngbuf (named "#" + its bytes). */
typedef struct {
        uint64_t h;       /* term hash (TERM_SEED) */
        double tf;        /* occurrences, then the weight */
        uint32_t off;     /* in tokbuf, or in ngbuf for an n-gram */
        uint8_t len;      /* bytes at off */
        uint8_t cut;      /* bigram: bytes of its first token, else 0 */
        uint8_t ngram;    /* 1 for a character n-gram */
} term_t;

/* The idf of a document frequency for a number of documents. */
typedef struct {
        uint64_t n_docs;
        uint32_t df;
        uint32_t valid;
        double idf;
} idf_memo_t;

struct vg_text_s {
        vg_text_conf_t conf;
        uint64_t n_docs;
        uint32_t *df;           /* 2^idf_bits counters */
        uint64_t stop[1 << STOP_BITS]; /* packed stop words, 0 = free */
        idf_memo_t memo[IDF_MEMO]; /* by df % IDF_MEMO */
        uint64_t salt;          /* of the dedup table slots */
        /* scratch */
        char *tokbuf;           /* token arena */
        size_t tokbuf_size;
        const char **toks;
        uint8_t *tok_len;       /* of toks */
        int toks_cap;
        char *ngbuf;            /* "<token>" words, for n-grams */
        size_t ngbuf_size;
        term_t *terms;          /* distinct terms, first seen first */
        size_t terms_cap;
        int n_terms;
        uint32_t *tab;          /* dedup table: term index + 1, 0 = free */
        size_t tab_size;
        uint32_t tab_mask;
        uint32_t *ord, *ord_tmp; /* term indices by increasing hash */
        uint32_t *bucket;       /* counts of the bucket sort */
        size_t ord_cap;
        uint64_t *touched;      /* bitmap of the embedding coordinates
                                   written */
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

/* ---- stop words -------------------------------------------------------- */

/* @returns the len (<= STOP_LEN) bytes of s packed in a key; tokens hold
 *          no NUL, so distinct tokens give distinct non-zero keys. (Byte
 *          loads: the token was just written byte by byte.) */
static uint64_t stop_key(const char *s, size_t len)
{
        uint64_t k = 0;

        for (size_t i = 0; i < len; i++)
                k |= (uint64_t)(unsigned char)s[i] << (8 * i);
        return k;
}

static uint32_t stop_slot(uint64_t k)
{
        return (uint32_t)((k * 0x9E3779B97F4A7C15ULL) >> (64 - STOP_BITS));
}

/* Fills the stop word set (open addressing, linear probing). */
static void stop_build(vg_text_t *tx)
{
        const uint32_t mask = (1u << STOP_BITS) - 1;

        for (size_t i = 0; i < sizeof(stop_words) / sizeof(*stop_words);
             i++) {
                size_t l = strlen(stop_words[i]);
                uint64_t k;
                uint32_t s;

                if (l > STOP_LEN)
                        abort(); /* raise STOP_LEN */
                k = stop_key(stop_words[i], l);
                for (s = stop_slot(k); tx->stop[s] && tx->stop[s] != k;
                     s = (s + 1) & mask)
                        ;
                tx->stop[s] = k;
        }
}

static int is_stop(const vg_text_t *tx, const char *tok, size_t len)
{
        const uint32_t mask = (1u << STOP_BITS) - 1;
        uint64_t k;

        if (len > STOP_LEN)
                return 0;
        k = stop_key(tok, len);
        for (uint32_t s = stop_slot(k); tx->stop[s]; s = (s + 1) & mask)
                if (tx->stop[s] == k)
                        return 1;
        return 0;
}

/* ---- life cycle -------------------------------------------------------- */

vg_text_t *vg_text_new(const vg_text_conf_t *conf, char *errstr,
                       size_t errstr_size)
{
        const char *why = text_conf_check(conf);
        vg_text_t *tx;

        if (why) {
                snprintf(errstr, errstr_size, "text: %s", why);
                return NULL;
        }
        tx       = vg_calloc(1, sizeof(*tx));
        tx->conf = *conf;
        tx->df   = vg_calloc((size_t)1 << conf->idf_bits, sizeof(uint32_t));
        stop_build(tx);
        /* Slots hard to aim at from outside (hashes are public). */
        tx->salt        = vg_hash_mix64((uint64_t)(uintptr_t)tx);
        tx->tokbuf_size = 4096;
        tx->tokbuf      = vg_malloc(tx->tokbuf_size);
        tx->toks_cap    = 256;
        tx->toks        = vg_malloc(tx->toks_cap * sizeof(*tx->toks));
        tx->tok_len     = vg_malloc(tx->toks_cap * sizeof(*tx->tok_len));
        tx->terms_cap   = 256;
        tx->terms       = vg_malloc(tx->terms_cap * sizeof(*tx->terms));
        tx->ord_cap     = 256;
        tx->ord         = vg_malloc(tx->ord_cap * sizeof(*tx->ord));
        tx->ord_tmp     = vg_malloc(tx->ord_cap * sizeof(*tx->ord));
        tx->bucket      = vg_malloc((2 * tx->ord_cap + 17) *
                                    sizeof(*tx->bucket));
        tx->touched     = vg_calloc(((size_t)conf->embed_dim + 63) / 64,
                                    sizeof(*tx->touched));
        return tx;
}

void vg_text_destroy(vg_text_t *tx)
{
        if (!tx)
                return;
        vg_free(tx->df);
        vg_free(tx->tokbuf);
        vg_free(tx->toks);
        vg_free(tx->tok_len);
        vg_free(tx->ngbuf);
        vg_free(tx->terms);
        vg_free(tx->tab);
        vg_free(tx->ord);
        vg_free(tx->ord_tmp);
        vg_free(tx->bucket);
        vg_free(tx->touched);
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

/* @returns ASCII c folded (a lowercase letter or a digit), '\0' for a
 *          separator. */
static inline char fold_ascii(unsigned char c)
{
        unsigned char l = c | 0x20; /* 'A'..'Z' -> 'a'..'z' */

        if ((unsigned)(l - 'a') < 26)
                return (char)l;
        if ((unsigned)(c - '0') < 10)
                return (char)c;
        return '\0';
}

/* Folds code point c into out.
 * @returns the bytes written, 0 for a separator, -1 to ignore c
 *          (combining accents, joiners) without separating. */
static int fold(uint32_t c, char *out)
{
        if (c < 0x80) {
                out[0] = fold_ascii((unsigned char)c);
                return out[0] != '\0';
        }
        if (c >= 0xC0 && c < 0x250) {
                const char *f = fold_latin[c - 0xC0];
                int n         = 0;
                for (; f[n]; n++) /* at most 3 bytes */
                        out[n] = f[n];
                return n;
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

typedef struct {
        size_t blen;    /* bytes used in tokbuf */
        size_t start;   /* of the token being built */
        int ntok;
        int in_tok;
} tokst_t;

/* Ends the token being built at tokbuf[start..blen) (NUL-terminates it,
 * keeps it or rolls it back). Kept tokens are thus adjacent in tokbuf,
 * separated by one NUL. */
static void end_token(vg_text_t *tx, tokst_t *st)
{
        const char *tok = tx->tokbuf + st->start;
        size_t tl       = st->blen - st->start;

        tx->tokbuf[st->blen] = '\0';
        if (tl < 2 || (tx->conf.stopwords && is_stop(tx, tok, tl))) {
                st->blen = st->start;
                return;
        }
        if (st->ntok == tx->toks_cap) {
                tx->toks_cap *= 2;
                tx->toks    = vg_realloc(tx->toks,
                                         tx->toks_cap * sizeof(*tx->toks));
                tx->tok_len = vg_realloc(tx->tok_len, tx->toks_cap *
                                                      sizeof(*tx->tok_len));
        }
        /* Offsets for now: tokbuf may still move; fixed up at the end. */
        tx->toks[st->ntok]      = (const char *)(uintptr_t)st->start;
        tx->tok_len[st->ntok++] = (uint8_t)tl;
        st->blen += 1;
}

/* A separator: ends the token being built, if any. */
static inline void tok_sep(vg_text_t *tx, tokst_t *st)
{
        if (st->in_tok)
                end_token(tx, st);
        st->in_tok = 0;
}

/* Appends the fl (> 0) bytes of a folded code point to the token. */
static inline void tok_add(vg_text_t *tx, tokst_t *st, const char *f, int fl)
{
        if (!st->in_tok) {
                st->start  = st->blen;
                st->in_tok = 1;
        }
        if (st->blen - st->start + (size_t)fl <= TOKEN_MAX)
                for (int k = 0; k < fl; k++)
                        tx->tokbuf[st->blen++] = f[k];
}

/* Feeds the code point at p (not ASCII). @returns the bytes read. */
static size_t tok_utf8(vg_text_t *tx, tokst_t *st, const unsigned char *p,
                       size_t n)
{
        char f[8];
        uint32_t cp;
        size_t r = utf8_next(p, n, &cp);
        int fl   = cp == INVALID_CP ? 0 : fold(cp, f);

        if (fl > 0)
                tok_add(tx, st, f, fl);
        else if (fl == 0)
                tok_sep(tx, st);
        return r;
}

int vg_text_tokenize(vg_text_t *tx, const char *text, size_t len,
                     const char *const **toksp)
{
        const unsigned char *p = (const unsigned char *)text;
        size_t n = len < tx->conf.max_bytes ? len : tx->conf.max_bytes;
        tokst_t st = { 0, 0, 0, 0 };
        size_t i   = 0;

        /* Folding expands at most 2 bytes -> 4: 4n + NULs is enough. */
        if (tx->tokbuf_size < 4 * n + 16) {
                tx->tokbuf_size = 4 * n + 16;
                tx->tokbuf      = vg_realloc(tx->tokbuf, tx->tokbuf_size);
        }
        while (i < n && st.ntok < tx->conf.max_tokens) {
                char c;
                if (p[i] >= 0x80) {
                        i += tok_utf8(tx, &st, p + i, n - i);
                        continue;
                }
                c = fold_ascii(p[i++]);
                if (c)
                        tok_add(tx, &st, &c, 1);
                else
                        tok_sep(tx, &st);
        }
        if (st.in_tok && st.ntok < tx->conf.max_tokens)
                end_token(tx, &st);
        for (int t = 0; t < st.ntok; t++)
                tx->toks[t] = tx->tokbuf + (uintptr_t)tx->toks[t];
        *toksp = tx->toks;
        return st.ntok;
}

/* ---- terms ------------------------------------------------------------- */

/* @returns an upper bound of the candidate terms of the n tokens; *ngb:
 *          the bytes of their "<token>" words (and a spare byte each)
 *          if n-grams are on. */
static size_t terms_bound(const vg_text_t *tx, int n, size_t *ngb)
{
        const vg_text_conf_t *c = &tx->conf;
        size_t b = (size_t)n + (c->bigrams && n > 1 ? (size_t)n - 1 : 0);

        *ngb = 0;
        if (c->char_ngram_min <= 0)
                return b;
        for (int i = 0; i < n; i++) {
                size_t np = tx->tok_len[i] + 2u; /* >= its code points */
                *ngb += np + 1;
                for (int k = c->char_ngram_min;
                     k <= c->char_ngram_max && (size_t)k <= np; k++)
                        b += np - (size_t)k + 1;
        }
        return b;
}

/* Sizes the dedup table for at most n candidate terms (it stays at most
 * half full) and empties it; sizes ngbuf for ngb bytes of n-gram words. */
static void terms_prepare(vg_text_t *tx, size_t n, size_t ngb)
{
        size_t ts = 16;

        while (ts < 2 * n)
                ts *= 2;
        if (ts > tx->tab_size) {
                vg_free(tx->tab);
                tx->tab      = vg_malloc(ts * sizeof(*tx->tab));
                tx->tab_size = ts;
        }
        memset(tx->tab, 0, ts * sizeof(*tx->tab));
        tx->tab_mask = (uint32_t)(ts - 1);
        if (ngb > tx->ngbuf_size) {
                tx->ngbuf_size = ngb;
                tx->ngbuf      = vg_realloc(tx->ngbuf, ngb);
        }
        tx->n_terms = 0;
}

static inline uint32_t df_slot(const vg_text_t *tx, uint64_t h)
{
        return (uint32_t)(h >> (64 - tx->conf.idf_bits));
}

/* Counts an occurrence of the term of hash h; a new term is named by the
 * bytes of this (its first) occurrence. */
static void term_put(vg_text_t *tx, uint64_t h, size_t off, size_t len,
                     size_t cut, int ngram)
{
        uint32_t s = (uint32_t)vg_hash_mix64(h ^ tx->salt) & tx->tab_mask;
        uint32_t i;
        term_t *t;

        while ((i = tx->tab[s]) != 0) {
                if (tx->terms[i - 1].h == h) {
                        tx->terms[i - 1].tf += 1.0;
                        return;
                }
                s = (s + 1) & tx->tab_mask;
        }
        __builtin_prefetch(&tx->df[df_slot(tx, h)]); /* for learn(), idf */
        if ((size_t)tx->n_terms == tx->terms_cap) {
                tx->terms_cap *= 2;
                tx->terms = vg_realloc(tx->terms,
                                       tx->terms_cap * sizeof(*tx->terms));
        }
        t          = &tx->terms[tx->n_terms++];
        tx->tab[s] = (uint32_t)tx->n_terms;
        t->h       = h;
        t->tf      = 1.0;
        t->off     = (uint32_t)off;
        t->len     = (uint8_t)len;
        t->cut     = (uint8_t)cut;
        t->ngram   = (uint8_t)ngram;
}

/* Unigram i and, if on, bigram i: "a_b" is hashed in place, the NUL
 * between the adjacent tokens a and b briefly turned into '_'. */
static void word_terms(vg_text_t *tx, const char *const *toks, int i, int n)
{
        size_t off = (size_t)(toks[i] - tx->tokbuf), l = tx->tok_len[i];
        char *s    = tx->tokbuf + off;

        term_put(tx, vg_hash64(s, l, TERM_SEED), off, l, 0, 0);
        if (tx->conf.bigrams && i + 1 < n) {
                size_t bl = l + 1 + tx->tok_len[i + 1];
                s[l]      = '_';
                term_put(tx, vg_hash64(s, bl, TERM_SEED), off, bl, l, 0);
                s[l] = '\0';
        }
}

/* Character n-grams of "<tok>", on code point boundaries. The word is
 * copied to ngbuf + *ngl after a spare byte; "#" + n-gram is hashed in
 * place, the byte before the n-gram briefly turned into '#'. */
static void char_ngrams(vg_text_t *tx, const char *tok, size_t l,
                        size_t *ngl)
{
        char *w = tx->ngbuf + *ngl + 1;
        size_t pos[TOKEN_MAX + 8], np = 0, wl = l + 2;

        w[0] = '<';
        memcpy(w + 1, tok, l);
        w[l + 1] = '>';
        for (size_t i = 0; i < wl; i++)
                if (((unsigned char)w[i] & 0xC0) != 0x80)
                        pos[np++] = i;
        pos[np] = wl;
        for (int n = tx->conf.char_ngram_min; n <= tx->conf.char_ngram_max;
             n++)
                for (size_t s = 0; s + (size_t)n <= np; s++) {
                        char *g   = w + pos[s], keep = g[-1];
                        size_t gl = pos[s + (size_t)n] - pos[s];
                        g[-1]     = '#';
                        term_put(tx, vg_hash64(g - 1, gl + 1, TERM_SEED),
                                 (size_t)(g - tx->ngbuf), gl, 0, 1);
                        g[-1] = keep;
                }
        *ngl += wl + 1;
}

/* Insertion sort of term indices by hash. */
static void sort_run(const term_t *t, uint32_t *a, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                uint32_t v = a[i];
                size_t j   = i;
                for (; j > 0 && t[a[j - 1]].h > t[v].h; j--)
                        a[j] = a[j - 1];
                a[j] = v;
        }
}

/* Merges the sorted a[0..na) and a[na..na + nb) into out. */
static void sort_merge(const term_t *t, const uint32_t *a, size_t na,
                       size_t nb, uint32_t *out)
{
        const uint32_t *b = a + na;
        size_t i = 0, j = 0, k = 0;

        while (i < na && j < nb)
                out[k++] = t[b[j]].h < t[a[i]].h ? b[j++] : a[i++];
        while (i < na)
                out[k++] = a[i++];
        while (j < nb)
                out[k++] = b[j++];
}

/* Bottom-up merge sort of a[0..n), b: scratch.
 * @returns the sorted array, a or b. */
static uint32_t *merge_sort(const term_t *t, uint32_t *a, uint32_t *b,
                            size_t n)
{
        uint32_t *c;

        for (size_t i = 0; i < n; i += SORT_RUN)
                sort_run(t, a + i, n - i < SORT_RUN ? n - i : SORT_RUN);
        for (size_t w = SORT_RUN; w < n; w *= 2) {
                for (size_t i = 0; i < n; i += 2 * w) {
                        size_t na = n - i < w ? n - i : w;
                        size_t nb = n - i - na < w ? n - i - na : w;
                        sort_merge(t, a + i, na, nb, b + i);
                }
                c = a, a = b, b = c;
        }
        return a;
}

/* Counting sort of the term indices on the top bits of their hashes
 * (uniform: about one per bucket) into a, then an insertion sort for the
 * order within buckets. @returns 0 if a bucket is crowded (a crafted
 * text?): the caller falls back to the merge sort. */
static int bucket_sort(vg_text_t *tx, uint32_t *a, size_t n)
{
        uint32_t *cnt = tx->bucket;
        int bits      = 4;

        while (((size_t)1 << bits) < n)
                bits++;
        memset(cnt, 0, (((size_t)1 << bits) + 1) * sizeof(*cnt));
        for (size_t i = 0; i < n; i++)
                if (++cnt[(tx->terms[i].h >> (64 - bits)) + 1] > SORT_RUN)
                        return 0;
        for (size_t b = 1; b <= ((size_t)1 << bits); b++)
                cnt[b] += cnt[b - 1];
        for (size_t i = 0; i < n; i++)
                a[cnt[tx->terms[i].h >> (64 - bits)]++] = (uint32_t)i;
        sort_run(tx->terms, a, n); /* < SORT_RUN moves per term */
        return 1;
}

/* Orders the terms by increasing hash into tx->ord, in O(n log n) time
 * whatever the text. */
static void sort_terms(vg_text_t *tx)
{
        size_t n = (size_t)tx->n_terms;

        if (n > tx->ord_cap) {
                tx->ord_cap = 2 * n;
                vg_free(tx->ord);
                vg_free(tx->ord_tmp);
                vg_free(tx->bucket);
                tx->ord     = vg_malloc(tx->ord_cap * sizeof(*tx->ord));
                tx->ord_tmp = vg_malloc(tx->ord_cap * sizeof(*tx->ord));
                /* buckets: a power of 2 >= n, >= 16, plus one */
                tx->bucket = vg_malloc((2 * tx->ord_cap + 17) *
                                       sizeof(*tx->bucket));
        }
        if (bucket_sort(tx, tx->ord, n))
                return;
        for (size_t i = 0; i < n; i++)
                tx->ord[i] = (uint32_t)i;
        if (merge_sort(tx->terms, tx->ord, tx->ord_tmp, n) != tx->ord) {
                uint32_t *c = tx->ord;
                tx->ord     = tx->ord_tmp;
                tx->ord_tmp = c;
        }
}

/* Builds the distinct terms of the tokens with their counts, ordered. */
static void collect_terms(vg_text_t *tx, const char *const *toks, int n)
{
        size_t ngb, ngl = 0, bound = terms_bound(tx, n, &ngb);

        terms_prepare(tx, bound, ngb);
        for (int i = 0; i < n; i++) {
                word_terms(tx, toks, i, n);
                if (tx->conf.char_ngram_min > 0)
                        char_ngrams(tx, toks[i], tx->tok_len[i], &ngl);
        }
        sort_terms(tx);
}

/* ---- weights and output ------------------------------------------------ */

static double idf_value(uint64_t n_docs, uint32_t df)
{
        return log((1.0 + (double)n_docs) / (1.0 + df)) + 1.0;
}

static double idf_of(const vg_text_t *tx, uint64_t h)
{
        return idf_value(tx->n_docs, tx->df[df_slot(tx, h)]);
}

/* idf_of() through a small cache: many terms share a df. */
static double idf_memo(vg_text_t *tx, uint64_t h)
{
        uint32_t d    = tx->df[df_slot(tx, h)];
        idf_memo_t *m = &tx->memo[d % IDF_MEMO];

        if (!m->valid || m->df != d || m->n_docs != tx->n_docs) {
                m->valid  = 1;
                m->df     = d;
                m->n_docs = tx->n_docs;
                m->idf    = idf_value(tx->n_docs, d);
        }
        return m->idf;
}

static void learn(vg_text_t *tx)
{
        tx->n_docs++;
        for (int i = 0; i < tx->n_terms; i++) {
                uint32_t *d = &tx->df[df_slot(tx, tx->terms[i].h)];
                if (*d < UINT32_MAX)
                        (*d)++;
        }
}

/* Turns the counts into (1 + log tf) x idf, in hash order.
 * @returns 1 / the L2 norm of the weights, 0 for none. */
static double weigh(vg_text_t *tx)
{
        double norm = 0;

        for (int i = 0; i < tx->n_terms; i++) {
                term_t *t  = &tx->terms[tx->ord[i]];
                double idf = idf_memo(tx, t->h);
                /* log(1) is +0: a single occurrence weighs exactly idf */
                t->tf = t->tf == 1.0 ? idf : (1.0 + log(t->tf)) * idf;
                norm += t->tf * t->tf;
        }
        return norm > 0 ? 1.0 / sqrt(norm) : 0.0;
}

/* Writes the name of t at out, cut to room bytes, NUL-terminated (out has
 * TERM_MAX bytes). */
static void term_name(const vg_text_t *tx, const term_t *t, char *out,
                      size_t room)
{
        size_t len = t->len + (size_t)t->ngram;

        if (t->ngram) {
                out[0] = '#';
                memcpy(out + 1, tx->ngbuf + t->off, t->len);
        } else {
                memcpy(out, tx->tokbuf + t->off, t->len);
                if (t->cut)
                        out[t->cut] = '_';
        }
        out[len < room ? len : room] = '\0';
}

static void embed_add(vg_text_t *tx, double *embed, uint64_t h, double v)
{
        /* (h >> 32) % embed_dim, in 32 bits (embed_dim <= 65536) */
        uint32_t j = (uint32_t)(h >> 32) % (uint32_t)tx->conf.embed_dim;

        embed[j] += vg_features_hash_sign(h) * v;
        tx->touched[j / 64] |= (uint64_t)1 << (j % 64);
}

/* L2-normalises embed. Coordinates never written are +0: they change
 * neither the sum of squares nor themselves, so only the written ones are
 * visited, in the same increasing order as a full pass. */
static void embed_normalize(vg_text_t *tx, double *embed)
{
        size_t nw = ((size_t)tx->conf.embed_dim + 63) / 64;
        double s  = 0, r;

        for (size_t w = 0; w < nw; w++)
                for (uint64_t b = tx->touched[w]; b; b &= b - 1) {
                        double e = embed[64 * w + __builtin_ctzll(b)];
                        s += e * e;
                }
        if (s > 0) {
                r = sqrt(s);
                for (size_t w = 0; w < nw; w++)
                        for (uint64_t b = tx->touched[w]; b; b &= b - 1)
                                embed[64 * w + __builtin_ctzll(b)] /= r;
        }
        memset(tx->touched, 0, nw * sizeof(*tx->touched));
}

/* Adds the weighted terms, in hash order, to x and/or embed. */
static void emit(vg_text_t *tx, const char *prefix, vg_features_t *x,
                 double *embed, double norm)
{
        char name[FNAME_MAX + TERM_MAX];
        size_t pl = prefix ? strlen(prefix) : 0;

        if (pl > FNAME_MAX - 1)
                pl = FNAME_MAX - 1;
        if (pl)
                memcpy(name, prefix, pl);
        for (int i = 0; i < tx->n_terms; i++) {
                const term_t *t = &tx->terms[tx->ord[i]];
                double v        = t->tf * norm;
                if (x) {
                        term_name(tx, t, name + pl, FNAME_MAX - 1 - pl);
                        vg_features_add(x, name, v);
                }
                if (embed)
                        embed_add(tx, embed, t->h, v);
        }
}

int vg_text_featurize(vg_text_t *tx, const char *text, size_t len,
                      const char *prefix, vg_features_t *x, double *embed,
                      int flags)
{
        const char *const *toks;
        double norm;
        int n = vg_text_tokenize(tx, text ? text : "", text ? len : 0, &toks);

        collect_terms(tx, toks, n);
        if (flags & VG_TEXT_F_LEARN)
                learn(tx);
        norm = weigh(tx);
        if (embed)
                memset(embed, 0, tx->conf.embed_dim * sizeof(double));
        emit(tx, prefix, x, embed, norm);
        if (embed)
                embed_normalize(tx, embed);
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
               tx->tokbuf_size +
               tx->toks_cap * (sizeof(char *) + sizeof(uint8_t)) +
               tx->ngbuf_size + tx->terms_cap * sizeof(term_t) +
               tx->tab_size * sizeof(uint32_t) +
               (4 * tx->ord_cap + 17) * sizeof(uint32_t) +
               ((size_t)tx->conf.embed_dim + 63) / 64 * sizeof(uint64_t);
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
