/**
 * @file bench_models.c
 * @brief vigie-bench models: single-thread throughput and memory of the
 *        online learning core.
 *
 *   vigie-bench models [scale [only]]
 *
 * scale multiplies event counts (default 1); only, if given, runs just the
 * benchmarks whose name contains it (ftrl, softmax, kmeans, text, pii).
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "vg_features.h"
#include "vg_ftrl.h"
#include "vg_kmeans.h"
#include "vg_mem.h"
#include "vg_pii.h"
#include "vg_softmax.h"
#include "vg_text.h"

#define POOL 4096 /* distinct prebuilt events, cycled */

static uint64_t rng = 12345;

static double unif(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static void report(const char *what, uint64_t n, uint64_t ns, size_t mem)
{
        printf("%-44s %10.0f ev/s %9.1f ns/ev", what, n * 1e9 / (double)ns,
               (double)ns / (double)n);
        if (mem)
                printf("  mem %7.2f MiB", mem / 1048576.0);
        printf("\n");
}

/* 40 named non-zeros: 30 categorical "field=value" (vocabulary of 50000)
 * plus 10 numeric features. */
static void make_event(vg_features_t *x, int *y)
{
        char name[48];

        vg_features_clear(x);
        for (int j = 0; j < 30; j++) {
                snprintf(name, sizeof(name), "f%02d=v%d", j,
                         (int)(unif() * unif() * 50000 / 30));
                vg_features_add(x, name, 1.0);
        }
        for (int j = 0; j < 10; j++) {
                snprintf(name, sizeof(name), "num%02d", j);
                vg_features_add(x, name, unif() * 2 - 1);
        }
        *y = unif() < 0.2;
}

static void bench_ftrl(long scale, int bits, int names)
{
        vg_features_t *pool[POOL];
        int ys[POOL];
        vg_ftrl_conf_t c;
        vg_ftrl_t *m;
        char err[128], what[96];
        uint64_t t0, best = 0, n = 2000000 * (uint64_t)scale;
        double sink = 0;

        vg_ftrl_conf_init(&c);
        c.hash_bits = bits;
        c.names_cap = names ? 4096 : 0;
        m           = vg_ftrl_new(&c, err, sizeof(err));
        for (int i = 0; i < POOL; i++) {
                pool[i] = vg_features_new(bits, 0);
                make_event(pool[i], &ys[i]);
        }
        /* Best of 3 runs: the machine is shared. */
        for (int r = 0; r < 3; r++) {
                uint64_t dt;
                t0 = bench_now_ns();
                for (uint64_t i = 0; i < n; i++) {
                        const vg_features_t *x = pool[i % POOL];
                        sink += vg_ftrl_predict(m, x);
                        vg_ftrl_learn(m, x, ys[i % POOL]);
                }
                dt   = bench_now_ns() - t0;
                best = r == 0 || dt < best ? dt : best;
        }
        snprintf(what, sizeof(what), "ftrl predict+learn, 40 nnz, 2^%d%s", bits,
                 names ? "" : ", no names");
        report(what, n, best, vg_ftrl_memory(m));
        if (sink < 0)
                printf("?\n");
        /* Featurisation alone: 40 vg_features_add() from strings. */
        t0 = bench_now_ns();
        for (int i = 0; i < 100000 * scale; i++) {
                int y;
                make_event(pool[i % POOL], &y);
        }
        if (bits == 18 && names)
                report("  build 40 named features (snprintf+hash)",
                       100000 * (uint64_t)scale, bench_now_ns() - t0, 0);
        for (int i = 0; i < POOL; i++)
                vg_features_destroy(pool[i]);
        vg_ftrl_destroy(m);
}

/* A multiclass stream of K classes: each pooled event is drawn for a class
 * c and carries 4 signature tokens "sNN=cCCC_V" (each one, with 15%
 * chance, of a random class) among its 40 non-zeros (26 categorical as in
 * make_event() plus 10 numeric ones); the label of each step is c
 * with probability 0.8, else a class drawn uniformly (label noise, drawn
 * per step, so cycling the pool does not make labels learnable by heart).
 * The Bayes log-loss of the label given c is then
 * -q ln q - (1 - q) ln(0.2 / K), q = 0.8 + 0.2 / K: a calibrated model
 * approaches it from above as far as the signature tokens tell c. */
static void softmax_event(vg_features_t *x, int K, int *cls)
{
        int c = (int)(unif() * K);
        char name[48];

        vg_features_clear(x);
        for (int j = 0; j < 4; j++) {
                int cc = unif() < 0.15 ? (int)(unif() * K) : c;
                snprintf(name, sizeof(name), "s%02d=c%03d_%d", j, cc,
                         (int)(unif() * 3));
                vg_features_add(x, name, 1.0);
        }
        for (int j = 4; j < 30; j++) {
                snprintf(name, sizeof(name), "f%02d=v%d", j,
                         (int)(unif() * unif() * 50000 / 30));
                vg_features_add(x, name, 1.0);
        }
        for (int j = 0; j < 10; j++) {
                snprintf(name, sizeof(name), "num%02d", j);
                vg_features_add(x, name, unif() * 2 - 1);
        }
        *cls = c;
}

/* Predict (top 3) + learn over n steps of the stream above, best time of 3
 * runs, each from a fresh model over the same stream (so the log-loss,
 * prequential and unfaded, is the same in the 3 runs). */
static void bench_softmax(int K, uint64_t n)
{
        vg_features_t *pool[POOL];
        int cls[POOL];
        char (*labels)[24] = vg_malloc((size_t)K * sizeof(*labels));
        uint16_t *ys       = vg_malloc(n * sizeof(*ys));
        vg_class_prob_t top[3];
        vg_softmax_conf_t c;
        vg_softmax_t *sm = NULL;
        char err[128], what[96];
        uint64_t best = 0;
        size_t mem = 0;
        double q = 0.8 + 0.2 / K, bayes, ll = 0, top1 = 0;

        rng = 777 + (uint64_t)K; /* the same stream whatever ran before */
        vg_softmax_conf_init(&c);
        c.preq.fading = 1.0; /* plain mean over the stream */
        for (int i = 0; i < K; i++)
                snprintf(labels[i], sizeof(labels[i]), "group-%03d", i);
        for (int i = 0; i < POOL; i++) {
                pool[i] = vg_features_new(c.hash_bits, 0);
                softmax_event(pool[i], K, &cls[i]);
        }
        for (uint64_t i = 0; i < n; i++)
                ys[i] = (uint16_t)(unif() < 0.8 ? cls[i % POOL]
                                                : (int)(unif() * K));
        for (int r = 0; r < 3; r++) {
                uint64_t t0, dt;
                vg_softmax_destroy(sm);
                if (!(sm = vg_softmax_new(&c, err, sizeof(err)))) {
                        printf("softmax: %s\n", err);
                        goto out;
                }
                t0 = bench_now_ns();
                for (uint64_t i = 0; i < n; i++) {
                        const vg_features_t *x = pool[i % POOL];
                        vg_softmax_predict(sm, x, top, 3);
                        vg_softmax_learn(sm, x, labels[ys[i]]);
                }
                dt   = bench_now_ns() - t0;
                best = r == 0 || dt < best ? dt : best;
                mem  = vg_softmax_memory(sm);
                ll   = vg_preq_get(vg_softmax_preq(sm), VG_PREQ_LOGLOSS);
                top1 = vg_preq_get(vg_softmax_preq(sm), VG_PREQ_TOP1);
        }
        bayes = -q * log(q) - (1 - q) * log(0.2 / K);
        snprintf(what, sizeof(what),
                 "softmax %d classes predict+learn, 40 nnz", K);
        report(what, n, best, mem);
        printf("  softmax %d classes, %llu events: logloss=%.4f top1=%.4f "
               "(Bayes logloss %.4f, top1 %.4f)\n",
               K, (unsigned long long)n, ll, top1, bayes, q);
out:
        for (int i = 0; i < POOL; i++)
                vg_features_destroy(pool[i]);
        vg_softmax_destroy(sm);
        vg_free(labels);
        vg_free(ys);
}

static void bench_kmeans(long scale)
{
        const int k = 64, d = 256, B = 256;
        int n = 65536 * (int)scale;
        double *X = vg_malloc((size_t)n * d * sizeof(double));
        vg_kmeans_conf_t c;
        vg_kmeans_t *a, *b;
        char err[128];
        uint64_t t0, t_one, t_batch;

        for (size_t i = 0; i < (size_t)n * d; i++)
                X[i] = unif() * 2 - 1;
        vg_kmeans_conf_init(&c);
        c.dim           = d;
        c.k_max         = k;
        c.radius        = 1e-3; /* every point is far: k reaches 64 at once */
        c.half_life     = 1e6;
        c.time_unit     = VG_KMEANS_UNIT_POINTS;
        c.reservoir_cap = 0;
        a = vg_kmeans_new(&c, err, sizeof(err));
        b = vg_kmeans_new(&c, err, sizeof(err));
        vg_kmeans_update_batch(a, X, k, NULL, NULL);
        vg_kmeans_update_batch(b, X, k, NULL, NULL);

        t0 = bench_now_ns();
        for (int i = 0; i < n; i++)
                vg_kmeans_update(a, X + (size_t)i * d, NULL);
        t_one = bench_now_ns() - t0;
        report("kmeans assign+update per event (k=64,d=256)", n, t_one,
               vg_kmeans_memory(a));
        t0 = bench_now_ns();
        for (int i = 0; i + B <= n; i += B)
                vg_kmeans_update_batch(b, X + (size_t)i * d, B, NULL, NULL);
        t_batch = bench_now_ns() - t0;
        report("kmeans assign+update batch 256, s/dgemm", n, t_batch,
               vg_kmeans_memory(b));
        printf("  batched speed-up: %.1fx (k=%d live clusters)\n",
               (double)t_one / t_batch, vg_kmeans_k(b));
        vg_kmeans_destroy(a);
        vg_kmeans_destroy(b);
        vg_free(X);
}

static void bench_text(long scale)
{
        static const char *s =
                "Bonjour, depuis ce matin l'application de facturation ne "
                "répond plus : les utilisateurs de l'agence de Lyon reçoivent "
                "une erreur 502 à la connexion. Merci de vérifier le serveur "
                "frontal et la base Oracle.";
        size_t len = strlen(s);
        vg_text_conf_t c;
        vg_text_t *tx;
        vg_features_t *x = vg_features_new(18, 0);
        double embed[256];
        char err[128];
        uint64_t t0, n = 100000 * (uint64_t)scale;

        vg_text_conf_init(&c);
        tx = vg_text_new(&c, err, sizeof(err));
        t0 = bench_now_ns();
        for (uint64_t i = 0; i < n; i++) {
                vg_features_clear(x);
                vg_text_featurize(tx, s, len, "text:", x, embed,
                                  VG_TEXT_F_LEARN);
        }
        printf("text: %zu-byte French sentence -> %d features\n", len,
               vg_features_nnz(x));
        report("text featurise (tf-idf + bigrams + embed 256)", n,
               bench_now_ns() - t0, vg_text_memory(tx));
        c.char_ngram_min = 3;
        c.char_ngram_max = 5;
        vg_text_destroy(tx);
        tx = vg_text_new(&c, err, sizeof(err));
        t0 = bench_now_ns();
        for (uint64_t i = 0; i < n / 4; i++) {
                vg_features_clear(x);
                vg_text_featurize(tx, s, len, "text:", x, embed,
                                  VG_TEXT_F_LEARN);
        }
        report("text featurise + char 3..5-grams", n / 4, bench_now_ns() - t0,
               vg_text_memory(tx));
        vg_text_destroy(tx);
        vg_features_destroy(x);
}

/* Scrubs \p n bytes of \p text into \p out \p reps times, best of 3.
 * @returns MB/s. */
static double pii_rate(const char *text, size_t n, char *out, long reps,
                       uint32_t *items)
{
        uint64_t best = 0;
        vg_pii_counts_t c;

        for (int r = 0; r < 3; r++) {
                uint64_t t0 = bench_now_ns(), dt;
                for (long i = 0; i < reps; i++)
                        vg_pii_scrub(text, n, out, VG_PII_OUT_MAX(n), &c);
                dt   = bench_now_ns() - t0;
                best = r == 0 || dt < best ? dt : best;
        }
        *items = 0;
        for (int k = 0; k < VG_PII_KINDS; k++)
                *items += c.n[k];
        return (double)n * (double)reps / ((double)best / 1e9) / 1e6;
}

/* The personal data scrubber on change and survey texts: plain ITSM text
 * (the usual case) and text with an item every ~100 bytes. */
static void bench_pii(long scale)
{
        static const char *plain =
                "Patch Oracle 19.22 sur db-ora-prd-03 dans la fenêtre du "
                "15/03/2024 22:00-02:00, CHG0012345 lié à INC0045678. "
                "Firewall rule: allow 10.12.34.56 to 192.168.1.254 on port "
                "8443/tcp. Le temps de réponse moyen est passé de 1,2 s à "
                "4,8 s depuis la version 2.3.1. Budget : 1 250 000 EUR HT. ";
        static const char *pii =
                "Merci de contacter Mme Sophie Lemaire au 06 12 34 56 78 ou "
                "sophie.lemaire@exemple.fr avant la coupure. Refund to FR76 "
                "3000 6000 0112 3456 7890 189, call Mr. John Smith at +1 415 "
                "555 0132. NIR 1 85 05 78 006 084 91, carte 4970 8887 1803 "
                "3406. ";
        enum { TEXT = 64 * 1024 };
        char *a = vg_malloc(TEXT), *b = vg_malloc(TEXT);
        char *out = vg_malloc(VG_PII_OUT_MAX(TEXT));
        size_t na = 0, nb = 0, lp = strlen(plain), li = strlen(pii);
        long reps = 200 * scale;
        char what[64];
        uint32_t items;
        double r;

        while (na + lp <= TEXT) {
                memcpy(a + na, plain, lp);
                na += lp;
        }
        while (nb + lp + li <= TEXT) {
                memcpy(b + nb, plain, lp);
                memcpy(b + nb + lp, pii, li);
                nb += lp + li;
        }
        r = pii_rate(a, na, out, reps, &items);
        printf("%-44s %10.0f MB/s %9.1f ns/KB  (%u items)\n",
               "pii scrub, ITSM text without personal data", r, 1024e3 / r,
               items);
        r = pii_rate(b, nb, out, reps, &items);
        printf("%-44s %10.0f MB/s %9.1f ns/KB  (%u items)\n",
               "pii scrub, text with an item per ~100 bytes", r, 1024e3 / r,
               items);
        r = pii_rate(pii, li, out, reps * 200, &items);
        snprintf(what, sizeof(what), "pii scrub, one %zu-byte description",
                 li);
        printf("%-44s %10.0f MB/s %9.1f ns/KB  (%u items)\n", what, r,
               1024e3 / r, items);
        vg_free(a);
        vg_free(b);
        vg_free(out);
}

int bench_models_main(int argc, char **argv)
{
        long scale       = argc > 1 ? strtol(argv[1], NULL, 10) : 1;
        const char *only = argc > 2 ? argv[2] : "";

        if (scale < 1)
                scale = 1;
        openblas_set_num_threads(1);
        printf("vigie-bench models: single thread, OpenBLAS %s threads=1\n",
               openblas_get_config());
        if (strstr("ftrl", only)) {
                bench_ftrl(scale, 18, 1);
                bench_ftrl(scale, 18, 0);
                bench_ftrl(scale, 22, 1);
        }
        if (strstr("softmax", only)) {
                bench_softmax(20, 200000 * (uint64_t)scale);
                bench_softmax(100, 100000 * (uint64_t)scale);
        }
        if (strstr("kmeans", only))
                bench_kmeans(scale);
        if (strstr("text", only))
                bench_text(scale);
        if (strstr("pii", only))
                bench_pii(scale);
        return 0;
}
