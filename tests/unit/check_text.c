/**
 * @file check_text.c
 * @brief Tokenizer (accents, emoji, invalid UTF-8, stop words), n-grams,
 *        online IDF, embedding, limits, and a golden checksum over a varied
 *        corpus (results must not change).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_hash.h"
#include "vg_mem.h"
#include "vg_text.h"

static vg_text_t *tx;

static void setup(void)
{
        vg_text_conf_t c;
        char err[128];

        vg_text_conf_init(&c);
        tx = vg_text_new(&c, err, sizeof(err));
        ck_assert_msg(tx != NULL, "%s", err);
}

static void teardown(void)
{
        vg_text_destroy(tx);
}

/* Joins the tokens of s with '|'. */
static const char *toks(const char *s, size_t len)
{
        static char out[4096];
        const char *const *t;
        int n = vg_text_tokenize(tx, s, len, &t);

        out[0] = '\0';
        for (int i = 0; i < n; i++) {
                if (i)
                        strcat(out, "|");
                strcat(out, t[i]);
        }
        return out;
}

#define TOKS(s) toks(s, strlen(s))

START_TEST(test_text_french_accents)
{
        ck_assert_str_eq(TOKS("Échec de la réplication à l'étape « Création »"),
                         "echec|replication|etape|creation");
        ck_assert_str_eq(TOKS("Leçon: cœur, Æsir, straße, NOËL, Ça"),
                         "lecon|coeur|aesir|strasse|noel");
        /* Decomposed accents (NFD: e + U+0301) fold the same way. */
        ck_assert_str_eq(TOKS("re\xcc\x81seau"), "reseau");
        /* Other scripts are kept (Cyrillic lowered). */
        ck_assert_str_eq(TOKS("Сервер down"), "сервер|down");
}
END_TEST

START_TEST(test_text_emoji_and_invalid_utf8)
{
        /* Emoji and symbols separate words; they are not tokens. */
        ck_assert_str_eq(TOKS("disque\xf0\x9f\x94\xa5plein \xe2\x9c\x85 ok"),
                         "disque|plein|ok");
        /* Invalid bytes: lone continuation, bad lead, overlong '/',
         * surrogate, truncated sequence at the end. */
        ck_assert_str_eq(TOKS("ab\x80" "cd \xff" "ef \xc0\xaf" "gh "
                              "\xed\xa0\x80" "ij kl\xe2\x82"),
                         "ab|cd|ef|gh|ij|kl");
        /* Embedded NUL is a separator too (length-delimited input). */
        ck_assert_str_eq(toks("erreur\0critique", 15), "erreur|critique");
}
END_TEST

START_TEST(test_text_stop_words)
{
        ck_assert_str_eq(TOKS("The server is down and the DB was not reachable"),
                         "server|down|db|not|reachable");
        ck_assert_str_eq(TOKS("Le serveur de la base ne répond pas depuis hier"),
                         "serveur|base|ne|repond|pas|hier");
}
END_TEST

static int has_feature(const vg_features_t *x, const char *name)
{
        for (int i = 0; i < vg_features_nnz(x); i++)
                if (vg_features_name(x, i) &&
                    !strcmp(vg_features_name(x, i), name))
                        return 1;
        return 0;
}

START_TEST(test_text_features_bigrams)
{
        vg_features_t *x = vg_features_new(18, 0);
        double norm = 0;
        int n;

        n = vg_text_featurize(tx, "Le disque est plein, disque plein !",
                              35, "text:", x, NULL, VG_TEXT_F_LEARN);
        /* unigrams disque, plein; bigrams disque_plein, plein_disque */
        ck_assert_int_eq(n, 4);
        ck_assert_int_eq(vg_features_nnz(x), 4);
        ck_assert(has_feature(x, "text:disque"));
        ck_assert(has_feature(x, "text:plein"));
        ck_assert(has_feature(x, "text:disque_plein"));
        ck_assert(has_feature(x, "text:plein_disque"));
        ck_assert(!has_feature(x, "text:est"));
        for (int i = 0; i < vg_features_nnz(x); i++)
                norm += vg_features_values(x)[i] * vg_features_values(x)[i];
        ck_assert_double_eq_tol(norm, 1.0, 1e-12);
        vg_features_destroy(x);
}
END_TEST

START_TEST(test_text_char_ngrams)
{
        vg_text_conf_t c;
        vg_features_t *x = vg_features_new(18, 0);
        vg_text_t *t3;
        char err[128];

        vg_text_conf_init(&c);
        c.char_ngram_min = 3;
        c.char_ngram_max = 3;
        c.bigrams        = 0;
        t3               = vg_text_new(&c, err, sizeof(err));
        ck_assert_ptr_nonnull(t3);
        /* "<clé>" folded "<cle>": 3-grams <cl, cle, le> + unigram */
        ck_assert_int_eq(vg_text_featurize(t3, "Clé", 4, "t:", x, NULL, 0), 4);
        ck_assert(has_feature(x, "t:#<cl"));
        ck_assert(has_feature(x, "t:#cle"));
        ck_assert(has_feature(x, "t:#le>"));
        ck_assert(has_feature(x, "t:cle"));
        vg_text_destroy(t3);
        vg_features_destroy(x);
}
END_TEST

START_TEST(test_text_online_idf)
{
        double idf_rare, idf_common;

        for (int i = 0; i < 99; i++)
                vg_text_featurize(tx, "incident serveur", 16, NULL, NULL, NULL,
                                  VG_TEXT_F_LEARN);
        vg_text_featurize(tx, "incident oracle", 15, NULL, NULL, NULL,
                          VG_TEXT_F_LEARN);
        ck_assert_int_eq(vg_text_n_docs(tx), 100);
        idf_common = vg_text_idf(tx, "incident");
        idf_rare   = vg_text_idf(tx, "oracle");
        /* idf = ln((1 + N) / (1 + df)) + 1 */
        ck_assert_double_eq_tol(idf_common, log(101.0 / 101.0) + 1, 1e-12);
        ck_assert_double_eq_tol(idf_rare, log(101.0 / 2.0) + 1, 1e-12);
        ck_assert_double_eq_tol(vg_text_idf(tx, "jamais"), log(101.0) + 1,
                                1e-12);
}
END_TEST

static double dot(const double *a, const double *b, int n)
{
        double s = 0;
        for (int i = 0; i < n; i++)
                s += a[i] * b[i];
        return s;
}

START_TEST(test_text_embedding)
{
        int d = vg_text_embed_dim(tx);
        double *a = vg_calloc(d, sizeof(double)), *b = vg_calloc(d, sizeof(double));
        double *c = vg_calloc(d, sizeof(double));

        vg_text_featurize(tx, "Base Oracle indisponible sur le cluster RAC",
                          43, NULL, NULL, a, 0);
        vg_text_featurize(tx, "la base oracle du cluster RAC est indisponible",
                          46, NULL, NULL, b, 0);
        vg_text_featurize(tx, "Imprimante du 3e étage bloquée", 31, NULL, NULL,
                          c, 0);
        ck_assert_double_eq_tol(dot(a, a, d), 1.0, 1e-12);
        ck_assert_double_gt(dot(a, b, d), 0.6);
        ck_assert_double_lt(fabs(dot(a, c, d)), 0.3);
        /* Empty text: zero vector, no NaN. */
        vg_text_featurize(tx, "", 0, NULL, NULL, c, 0);
        ck_assert_double_eq(dot(c, c, d), 0.0);
        vg_free(a);
        vg_free(b);
        vg_free(c);
}
END_TEST

START_TEST(test_text_limits)
{
        size_t big = 4u << 20;
        char *s = vg_malloc(big);
        vg_features_t *x = vg_features_new(18, 0);
        const char *const *t;
        double e[256];
        int n;

        /* 4 MiB of 31-letter words: only the first 64 KiB are read. */
        for (size_t i = 0; i < big; i++)
                s[i] = i % 32 == 31 ? ' ' : (char)('a' + (i / 32) % 26);
        n = vg_text_tokenize(tx, s, big, &t);
        ck_assert_int_eq(n, 65536 / 32);
        /* 2-letter words: at most max_tokens (4096) tokens. */
        for (size_t i = 0; i < big; i++)
                s[i] = i % 3 == 2 ? ' ' : 'x';
        n = vg_text_tokenize(tx, s, big, &t);
        ck_assert_int_eq(n, 4096);
        /* One huge word: cut at 64 bytes. */
        memset(s, 'z', big);
        n = vg_text_tokenize(tx, s, big, &t);
        ck_assert_int_eq(n, 1);
        ck_assert_int_eq(strlen(t[0]), 64);
        /* Random bytes never crash and yield finite features. */
        srand(3);
        for (int r = 0; r < 200; r++) {
                for (int i = 0; i < 4096; i++)
                        s[i] = (char)(rand() & 0xff);
                vg_features_clear(x);
                vg_text_featurize(tx, s, 4096, "t:", x, e, VG_TEXT_F_LEARN);
                for (int i = 0; i < vg_features_nnz(x); i++)
                        ck_assert(isfinite(vg_features_values(x)[i]));
                for (int i = 0; i < 256; i++)
                        ck_assert(isfinite(e[i]));
        }
        ck_assert_int_eq(vg_text_featurize(tx, NULL, 0, NULL, x, e, 0), 0);
        vg_free(s);
        vg_features_destroy(x);
}
END_TEST

START_TEST(test_text_snapshot)
{
        vg_text_t *t2;
        size_t len;
        void *buf;
        char err[256];
        double a[256], b[256];

        for (int i = 0; i < 50; i++)
                vg_text_featurize(tx, i % 5 ? "disque plein" : "cpu élevé",
                                  i % 5 ? 12 : 10, NULL, NULL, NULL,
                                  VG_TEXT_F_LEARN);
        buf = vg_text_save(tx, &len);
        t2  = vg_text_load(buf, len, err, sizeof(err));
        ck_assert_msg(t2 != NULL, "%s", err);
        ck_assert_int_eq(vg_text_n_docs(t2), 50);
        ck_assert(vg_text_idf(t2, "cpu") == vg_text_idf(tx, "cpu"));
        vg_text_featurize(tx, "cpu disque", 10, NULL, NULL, a, 0);
        vg_text_featurize(t2, "cpu disque", 10, NULL, NULL, b, 0);
        ck_assert_int_eq(memcmp(a, b, sizeof(a)), 0);
        ((char *)buf)[len - 3] ^= 0x10;
        ck_assert_ptr_null(vg_text_load(buf, len, err, sizeof(err)));
        vg_text_destroy(t2);
        vg_free(buf);
}
END_TEST

START_TEST(test_text_conf)
{
        vg_text_conf_t c;
        char err[128] = "";

        vg_text_conf_init(&c);
        c.char_ngram_min = 4;
        c.char_ngram_max = 2;
        ck_assert_ptr_null(vg_text_new(&c, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "n-gram"));
        vg_text_destroy(NULL);
}
END_TEST

/* ---- golden corpus ------------------------------------------------------
 * A deterministic corpus (French/English sentences with accents, emoji,
 * invalid UTF-8, NUL bytes, stop words, repeated words, long and empty
 * inputs, words crowding the term sort) is featurised under several
 * configurations, with calls that must leave no trace in between;
 * everything observable (tokens, return values, feature slots, signs,
 * names and values, embeddings, idf, the snapshot) is folded into an
 * FNV-1a checksum. The expected values were computed with the former
 * implementation (terms sorted with qsort()), which the current one must
 * match exactly: any change of results, order included, changes them.
 * Values are rounded to 1e-6 so that the checksum does not depend on the
 * last bits of the libm's log(); the embedding is moreover checked bit for
 * bit against the features. */

#define CORPUS_DOCS 3000
#define CORPUS_CAP  (128 * 1024)

static uint64_t corpus_rng_s;

static uint64_t corpus_rng(void)
{
        uint64_t z = (corpus_rng_s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static size_t corpus_pick(size_t n)
{
        return (size_t)(corpus_rng() % n);
}

static const char *const corpus_words[] = {
        "serveur", "base", "données", "réplication", "échec", "mise", "à",
        "jour", "l'application", "répond", "plus", "erreur", "connexion",
        "réseau", "disque", "plein", "cœur", "Œuvre", "ÉTÉ", "garçon",
        "straße", "naïve", "Noël", "déploiement", "redémarrage", "pas", "ne",
        "le", "la", "les", "de", "du", "des", "et", "sur", "pour", "dans",
        "avec", "facturation", "Lyon", "agence", "frontal", "Oracle",
        "incident", "changement", "urgent", "critique", "où", "ça", "déjà",
        "très", "hôte", "clé", "Ærø", "\xc4\xb3ssel", "\xc7\x86ungla",
        "Σέρβερ", "Сервер", "Ёлка", "服务器", "서버", "re\xcc\x81seau",
        "dis\xc2\xadque", "a\xe2\x80\x8d\x62", "Ḁ", "ǅ", "ȸ", "ɏ", "the",
        "server", "is", "down", "and", "was", "not", "reachable", "database",
        "failover", "patch", "kernel", "upgrade", "rollback", "CPU",
        "memory", "high", "load", "Disk", "FULL", "network", "latency",
        "timeout", "502", "HTTP", "TLS", "certificate", "expired", "to",
        "of", "in", "x", "é", "ok", "no", "me", "etaient", "eux",
        "cpu_usage", "v2.3.1", "10.0.0.1", "disk-full", "e2e",
};

/* The stop words of vg_text.c (kept or dropped alike by the tokenizer). */
static const char *const corpus_stops[] = {
        "ai", "aie", "as", "au", "aux", "avec", "avait", "avez", "avoir",
        "avons", "ca", "car", "ce", "ceci", "cela", "celle", "celui", "ces",
        "cet", "cette", "chez", "comme", "dans", "de", "depuis", "des", "donc",
        "du", "elle", "elles", "en", "entre", "est", "et", "etaient", "etait",
        "ete", "etre", "eu", "eux", "fait", "il", "ils", "je", "la", "le",
        "les", "leur", "leurs", "lui", "ma", "mais", "me", "meme", "mes",
        "moi", "mon", "nos", "notre", "nous", "ont", "ou", "par", "pour", "qu",
        "que", "quel", "quelle", "qui", "sa", "sans", "se", "ses", "si", "son",
        "sont", "sous", "sur", "ta", "te", "tes", "toi", "ton", "tu", "un",
        "une", "vers", "vos", "votre", "vous", "about", "after", "all", "am",
        "an", "and", "any", "are", "at", "be", "been", "being", "but", "by",
        "can", "could", "did", "do", "does", "for", "from", "had", "has",
        "have", "he", "her", "here", "him", "his", "how", "if", "in", "into",
        "is", "it", "its", "me", "my", "of", "on", "or", "our", "she", "so",
        "than", "that", "the", "their", "them", "then", "there", "these",
        "they", "this", "those", "to", "too", "was", "we", "were", "what",
        "when", "where", "which", "while", "who", "why", "will", "with",
        "would", "you", "your",
};

static const char *const corpus_seps[] = {
        " ", " ", " ", " ", " ", " ", ", ", ". ", "\n", "\t", "", "-", "'",
        "\xf0\x9f\x94\xa5", "\xe2\x9c\x85", "\xf0\x9f\x98\x80",
        "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", "\xc2\xab\xc2\xa0", "\x80",
        "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82",
        "\xc2\xad", "\xe2\x80\x8d", "\xcc\x81", "\xc3", "\xe2\x80\x94",
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Appends word w to buf, maybe upper-cased or capitalised (ASCII). */
static size_t corpus_word(char *buf, size_t len, const char *w)
{
        size_t wl = strlen(w), r = corpus_pick(12);

        memcpy(buf + len, w, wl);
        for (size_t i = 0; i < wl && r < 2; i++)
                if (buf[len + i] >= 'a' && buf[len + i] <= 'z' &&
                    (r == 0 || i == 0))
                        buf[len + i] = (char)(buf[len + i] - 'a' + 'A');
        return len + wl;
}

static size_t corpus_sentence(char *buf, size_t cap, int nw)
{
        size_t len = 0;
        const char *w = NULL;

        for (int i = 0; i < nw && len + 64 < cap; i++) {
                if (w && !corpus_pick(8))
                        ; /* repeated */
                else if (corpus_pick(5))
                        w = corpus_words[corpus_pick(NELEMS(corpus_words))];
                else
                        w = corpus_stops[corpus_pick(NELEMS(corpus_stops))];
                len = corpus_word(buf, len, w);
                if (corpus_pick(40) == 0)
                        buf[len++] = '\0';
                else {
                        const char *s =
                                corpus_seps[corpus_pick(NELEMS(corpus_seps))];
                        memcpy(buf + len, s, strlen(s));
                        len += strlen(s);
                }
        }
        return len;
}

/* Words glued without separators: cuts at 64 bytes mid-expansion. */
static size_t corpus_glued(char *buf, int n)
{
        static const char *const parts[] = { "a", "é", "æ", "ß", "œ", "ĳ",
                                             "服", "Ё", "\xcc\x81", "Z" };
        size_t len = 0;

        for (int i = 0; i < n; i++) {
                const char *p = parts[corpus_pick(NELEMS(parts))];
                memcpy(buf + len, p, strlen(p));
                len += strlen(p);
                if (corpus_pick(30) == 0)
                        buf[len++] = ' ';
        }
        return len;
}

/* Words whose term hashes (seed 0x7e47, as in vg_text.c) share their top
 * 8 bits: they crowd one bucket of the term sort (its fallback path). */
static size_t corpus_crowded(char *buf)
{
        static char pool[64][8];
        static int n_pool;
        size_t len = 0;

        for (uint32_t k = 0; n_pool < 64; k++) {
                char w[8];
                for (int j = 0; j < 6; j++)
                        w[j] = (char)('a' + (k >> (5 * j)) % 26);
                w[6] = '\0';
                if (vg_hash64(w, 6, 0x7e47) >> 56 == 0)
                        memcpy(pool[n_pool++], w, 7);
        }
        for (int i = 0; i < 150; i++) {
                memcpy(buf + len, pool[corpus_pick(64)], 6);
                buf[len + 6] = ' ';
                len += 7;
        }
        return len;
}

/* Every stop word, then it with a letter more, then with one less. */
static size_t corpus_all_stops(char *buf)
{
        size_t len = 0;

        for (size_t i = 0; i < NELEMS(corpus_stops); i++) {
                size_t l = strlen(corpus_stops[i]);
                len += (size_t)sprintf(buf + len, "%s %ss %.*s ",
                                       corpus_stops[i], corpus_stops[i],
                                       (int)l - 1, corpus_stops[i]);
        }
        return len;
}

/* Document i of the corpus in buf. @returns its length. */
static size_t corpus_doc(int i, char *buf)
{
        switch (i % 50) {
        case 0:
                return 0;
        case 2:
                for (size_t j = 0; j < 2000; j++)
                        buf[j] = (char)(corpus_rng() & 0xff);
                return 2000;
        case 3:
                if (i % 500 == 3)
                        return corpus_sentence(buf, CORPUS_CAP, 20000);
                break;
        case 4:
                return corpus_glued(buf, 400);
        case 5:
                for (int j = 0; j < 300; j++)
                        memcpy(buf + 8 * j, "disque  ", 8);
                return 2400;
        case 6:
                return corpus_crowded(buf);
        case 7:
                return corpus_all_stops(buf);
        }
        return corpus_sentence(buf, CORPUS_CAP, (int)corpus_pick(41));
}

static void fnv_bytes(uint64_t *h, const void *p, size_t n)
{
        const unsigned char *b = p;

        for (size_t i = 0; i < n; i++)
                *h = (*h ^ b[i]) * 0x100000001b3ULL;
}

static void fnv_u64(uint64_t *h, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                fnv_bytes(h, &(unsigned char){ (unsigned char)(v >> 8 * i) },
                          1);
}

static void fnv_dbl(uint64_t *h, double v)
{
        fnv_u64(h, (uint64_t)llround(v * 1e6));
}

/* The embedding is, bit for bit, the signed sum of the feature values (in
 * feature order) at (term hash >> 32) % d, L2-normalised: checked if every
 * name is whole (its prefix is pl bytes). */
static void corpus_check_embed(const vg_features_t *x, size_t pl,
                               const double *e, int d)
{
        double ref[256] = { 0 }, s = 0;

        for (int j = 0; j < vg_features_nnz(x); j++) {
                const char *name = vg_features_name(x, j);
                size_t nl        = strlen(name);
                uint64_t th, fh;
                if (nl >= VG_FEATURES_NAME_MAX - 1)
                        return;
                th = vg_hash64(name + pl, nl - pl, 0x7e47);
                fh = vg_hash64(name, nl, 0);
                ref[(th >> 32) % (uint64_t)d] +=
                        vg_features_hash_sign(th) * vg_features_hash_sign(fh) *
                        vg_features_values(x)[j];
        }
        for (int j = 0; j < d; j++)
                s += ref[j] * ref[j];
        for (int j = 0; j < d && s > 0; j++)
                ref[j] /= sqrt(s);
        ck_assert_msg(!memcmp(ref, e, (size_t)d * sizeof(double)),
                      "embedding differs from the features");
}

/* Featurises document i with tx, folds the results into h. */
static void corpus_feed(vg_text_t *t, int i, const char *doc, size_t len,
                        const char *prefix, vg_features_t *x, uint64_t *h)
{
        double e[256];
        int d = vg_text_embed_dim(t), r = (int)corpus_pick(16);
        const char *const *tk;
        int n = vg_text_tokenize(t, doc, len, &tk);

        fnv_u64(h, (uint64_t)n);
        for (int j = 0; j < n; j++)
                fnv_bytes(h, tk[j], strlen(tk[j]) + 1);
        vg_features_clear(x);
        n = vg_text_featurize(t, i % 50 == 1 ? NULL : doc, len, prefix,
                              r == 0 ? NULL : x, r == 1 ? NULL : e,
                              r < 12 ? VG_TEXT_F_LEARN : 0);
        fnv_u64(h, (uint64_t)n);
        fnv_u64(h, (uint64_t)vg_features_nnz(x));
        for (int j = 0; j < vg_features_nnz(x); j++) {
                fnv_u64(h, vg_features_slots(x)[j]);
                fnv_dbl(h, vg_features_values(x)[j]);
                fnv_bytes(h, vg_features_name(x, j),
                          strlen(vg_features_name(x, j)) + 1);
        }
        for (int j = 0; r != 1 && j < d; j++)
                fnv_dbl(h, e[j]);
        if (r > 1)
                corpus_check_embed(x, prefix ? strlen(prefix) : 0, e, d);
}

/* A call that must not change anything observable later (flags 0):
 * catches state leaking from one call to the next through scratch. */
static void corpus_noise(vg_text_t *t, int i, const char *prefix)
{
        static char noise[6000];
        vg_features_t *x = vg_features_new(18, 0);
        double e[256];
        size_t len = 0;

        for (int j = 0; len + 80 < sizeof(noise); j++)
                len += (size_t)snprintf(noise + len, sizeof(noise) - len,
                                        "%s%c", corpus_words[(i + j * 7) %
                                                 NELEMS(corpus_words)],
                                        " \x80-"[j % 3]);
        vg_text_featurize(t, noise, len - (size_t)(i % 997), prefix,
                          i % 3 ? x : NULL, i % 2 ? e : NULL, 0);
        vg_features_destroy(x);
}

static uint64_t corpus_run(const vg_text_conf_t *c, const char *prefix)
{
        static const char *const probes[] = { "serveur", "disque", "echec",
                                              "the", "pas", "zzz" };
        vg_features_t *x = vg_features_new(30, 0);
        char *doc = vg_malloc(CORPUS_CAP), err[128];
        vg_text_t *t = vg_text_new(c, err, sizeof(err));
        uint64_t h = 0xcbf29ce484222325ULL;
        size_t slen;
        void *snap;

        ck_assert_msg(t != NULL, "%s", err);
        for (int i = 0; i < CORPUS_DOCS; i++) {
                size_t len = corpus_doc(i, doc);
                corpus_feed(t, i, doc, len, i % 7 ? prefix : NULL, x, &h);
                if (i % 10 == 9)
                        corpus_noise(t, i, prefix);
        }
        fnv_u64(&h, vg_text_n_docs(t));
        for (size_t j = 0; j < NELEMS(probes); j++)
                fnv_dbl(&h, vg_text_idf(t, probes[j]));
        snap = vg_text_save(t, &slen);
        fnv_bytes(&h, snap, slen);
        vg_free(snap);
        vg_text_destroy(t);
        vg_features_destroy(x);
        vg_free(doc);
        return h;
}

/* Runs the corpus under configuration k. */
static uint64_t corpus_conf(int k)
{
        static char longp[481];
        vg_text_conf_t c;

        memset(longp, 'p', sizeof(longp) - 1);
        vg_text_conf_init(&c);
        corpus_rng_s = 42 + (uint64_t)k;
        switch (k) {
        case 0:
                return corpus_run(&c, "text:");
        case 1:
                c.char_ngram_min = 3;
                c.char_ngram_max = 5;
                return corpus_run(&c, "w:");
        case 2:
                c.char_ngram_min = 1;
                c.char_ngram_max = 2;
                c.bigrams        = 0;
                c.stopwords      = 0;
                c.embed_dim      = 7;
                c.idf_bits       = 4;
                c.max_tokens     = 50;
                c.max_bytes      = 300;
                return corpus_run(&c, "");
        default:
                c.char_ngram_min = 2;
                c.char_ngram_max = 16;
                c.max_tokens     = 300;
                return corpus_run(&c, longp);
        }
}

START_TEST(test_text_golden_corpus)
{
        /* Computed with the former implementation (see above). */
        static const uint64_t expect[4] = {
                0x388ca8379127cf4eULL, 0xfdd1ddfae07b5ea7ULL,
                0xe06c2d6999024f86ULL, 0xc47c5a3cac557cbdULL,
        };
        uint64_t h = corpus_conf(_i);

        ck_assert_msg(h == expect[_i], "conf %d: checksum %016llx, not %016llx",
                      _i, (unsigned long long)h,
                      (unsigned long long)expect[_i]);
}
END_TEST

static Suite *text_suite(void)
{
        Suite *s  = suite_create("text");
        TCase *tc = tcase_create("Core");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_text_french_accents);
        tcase_add_test(tc, test_text_emoji_and_invalid_utf8);
        tcase_add_test(tc, test_text_stop_words);
        tcase_add_test(tc, test_text_features_bigrams);
        tcase_add_test(tc, test_text_char_ngrams);
        tcase_add_test(tc, test_text_online_idf);
        tcase_add_test(tc, test_text_embedding);
        tcase_add_test(tc, test_text_snapshot);
        suite_add_tcase(s, tc);
        tc = tcase_create("Limits");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_text_limits);
        tcase_add_test(tc, test_text_conf);
        suite_add_tcase(s, tc);
        tc = tcase_create("Golden");
        tcase_set_timeout(tc, 120);
        tcase_add_loop_test(tc, test_text_golden_corpus, 0, 4);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(text_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
