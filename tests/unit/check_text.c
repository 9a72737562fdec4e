/**
 * @file check_text.c
 * @brief Tokenizer (accents, emoji, invalid UTF-8, stop words), n-grams,
 *        online IDF, embedding, limits.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
