/**
 * @file make_reference.c
 * @brief Generates tests/data/ftrl_reference.csv (a deterministic logistic
 *        dataset) and tests/data/ftrl_reference.txt (the figures of an
 *        offline batch logistic regression fitted by Newton/IRLS on it).
 *        See tests/data/REFERENCE.md. Standalone: needs only libc and libm.
 *
 *   cc -O2 -std=c11 -o make_reference make_reference.c -lm
 *   ./make_reference ftrl_reference.csv ftrl_reference.txt
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ROWS   20000
#define N_TRAIN  15000
#define N_GROUP  20
#define N_PRIO   5
#define N_CAT    12
/* Parameters: intercept, one-hot group, prio, cat, reopen, age. */
#define P (1 + N_GROUP + N_PRIO + N_CAT + 2)
#define RIDGE    1e-3   /* on the summed log-likelihood, not the intercept */
#define SEED     20251125u

static uint64_t rng_state = SEED;

static uint64_t splitmix64(void)
{
        uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
}

static double unif(void) /* [0, 1) */
{
        return (double)(splitmix64() >> 11) * (1.0 / 9007199254740992.0);
}

static double gauss(void)
{
        double u = unif(), v = unif();
        return sqrt(-2.0 * log(1.0 - u)) * cos(2 * M_PI * v);
}

typedef struct {
        int g, pr, c, reopen;
        double age;
        int y;
        double true_p;
} row_t;

static row_t rows[N_ROWS];

static void features(const row_t *r, double *x)
{
        memset(x, 0, P * sizeof(double));
        x[0]                                  = 1.0;
        x[1 + r->g]                           = 1.0;
        x[1 + N_GROUP + r->pr]                = 1.0;
        x[1 + N_GROUP + N_PRIO + r->c]        = 1.0;
        x[1 + N_GROUP + N_PRIO + N_CAT]       = r->reopen;
        x[1 + N_GROUP + N_PRIO + N_CAT + 1]   = r->age;
}

static void generate(void)
{
        double bg[N_GROUP], bc[N_CAT];
        const double bp[N_PRIO] = {1.2, 0.6, 0.0, -0.5, -1.0};
        const double pp[N_PRIO] = {0.05, 0.15, 0.40, 0.30, 0.10};

        for (int i = 0; i < N_GROUP; i++)
                bg[i] = -1.5 + 3.0 * unif();
        for (int i = 0; i < N_CAT; i++)
                bc[i] = -1.0 + 2.0 * unif();
        for (int n = 0; n < N_ROWS; n++) {
                row_t *r = &rows[n];
                double u, logit;
                /* Zipf-like group popularity: P(g) ~ 1/(g+1). */
                double hz = 0, t;
                for (int i = 0; i < N_GROUP; i++)
                        hz += 1.0 / (i + 1);
                t = unif() * hz;
                for (r->g = 0; r->g < N_GROUP - 1; r->g++) {
                        t -= 1.0 / (r->g + 1);
                        if (t < 0)
                                break;
                }
                u = unif();
                for (r->pr = 0; r->pr < N_PRIO - 1; r->pr++) {
                        u -= pp[r->pr];
                        if (u < 0)
                                break;
                }
                r->c = (int)(unif() * N_CAT);
                for (r->reopen = 0; r->reopen < 4 && unif() < 0.3;)
                        r->reopen++;
                r->age    = round(gauss() * 10000.0) / 10000.0;
                logit     = -1.0 + bg[r->g] + bp[r->pr] + bc[r->c] +
                        0.4 * r->reopen - 0.7 * r->age;
                r->true_p = 1.0 / (1.0 + exp(-logit));
                r->y      = unif() < r->true_p;
        }
}

static double logloss(double p, int y)
{
        const double eps = 1e-15;
        p = p < eps ? eps : p > 1 - eps ? 1 - eps : p;
        return y ? -log(p) : -log(1 - p);
}

/* Solves A x = b (A symmetric positive definite, P x P) by Cholesky. */
static int cholesky_solve(double *A, double *b)
{
        for (int j = 0; j < P; j++) {
                double s = A[j * P + j];
                for (int k = 0; k < j; k++)
                        s -= A[j * P + k] * A[j * P + k];
                if (s <= 0)
                        return -1;
                A[j * P + j] = sqrt(s);
                for (int i = j + 1; i < P; i++) {
                        double t = A[i * P + j];
                        for (int k = 0; k < j; k++)
                                t -= A[i * P + k] * A[j * P + k];
                        A[i * P + j] = t / A[j * P + j];
                }
        }
        for (int i = 0; i < P; i++) { /* L y = b */
                for (int k = 0; k < i; k++)
                        b[i] -= A[i * P + k] * b[k];
                b[i] /= A[i * P + i];
        }
        for (int i = P - 1; i >= 0; i--) { /* L^T x = y */
                for (int k = i + 1; k < P; k++)
                        b[i] -= A[k * P + i] * b[k];
                b[i] /= A[i * P + i];
        }
        return 0;
}

static double predict(const double *w, const row_t *r)
{
        double x[P], m = 0;
        features(r, x);
        for (int j = 0; j < P; j++)
                m += w[j] * x[j];
        return 1.0 / (1.0 + exp(-m));
}

/* Newton-Raphson (IRLS) on the ridge-penalised training log-likelihood. */
static int fit(double *w, int *iters)
{
        static double H[P * P];
        double g[P], x[P];

        memset(w, 0, P * sizeof(double));
        for (int it = 1; it <= 50; it++) {
                double step = 0;
                memset(H, 0, sizeof(H));
                memset(g, 0, sizeof(g));
                for (int n = 0; n < N_TRAIN; n++) {
                        double p = predict(w, &rows[n]), s = p * (1 - p);
                        features(&rows[n], x);
                        for (int i = 0; i < P; i++) {
                                g[i] += (p - rows[n].y) * x[i];
                                for (int j = 0; j < P; j++)
                                        H[i * P + j] += s * x[i] * x[j];
                        }
                }
                for (int i = 1; i < P; i++) {
                        g[i] += RIDGE * w[i];
                        H[i * P + i] += RIDGE;
                }
                H[0] += 1e-9;
                if (cholesky_solve(H, g))
                        return -1;
                for (int i = 0; i < P; i++) {
                        w[i] -= g[i];
                        step = fmax(step, fabs(g[i]));
                }
                *iters = it;
                if (step < 1e-10)
                        return 0;
        }
        return 0;
}

int main(int argc, char **argv)
{
        const char *csv = argc > 1 ? argv[1] : "ftrl_reference.csv";
        const char *txt = argc > 2 ? argv[2] : "ftrl_reference.txt";
        double w[P], ll_tr = 0, ll_ho = 0, ll_bayes = 0, ll_const = 0;
        double rate = 0;
        int iters = 0, acc = 0;
        FILE *fp;

        generate();
        if (!(fp = fopen(csv, "w")))
                return 1;
        fprintf(fp, "group,priority,category,reopen,age,y\n");
        for (int n = 0; n < N_ROWS; n++)
                fprintf(fp, "G%02d,P%d,C%02d,%d,%.4f,%d\n", rows[n].g,
                        rows[n].pr + 1, rows[n].c, rows[n].reopen,
                        rows[n].age, rows[n].y);
        fclose(fp);

        if (fit(w, &iters)) {
                fprintf(stderr, "IRLS failed\n");
                return 1;
        }
        for (int n = 0; n < N_TRAIN; n++) {
                ll_tr += logloss(predict(w, &rows[n]), rows[n].y);
                rate += rows[n].y;
        }
        rate /= N_TRAIN;
        for (int n = N_TRAIN; n < N_ROWS; n++) {
                double p = predict(w, &rows[n]);
                ll_ho += logloss(p, rows[n].y);
                ll_bayes += logloss(rows[n].true_p, rows[n].y);
                ll_const += logloss(rate, rows[n].y);
                acc += (p >= 0.5) == rows[n].y;
        }
        if (!(fp = fopen(txt, "w")))
                return 1;
        fprintf(fp, "# produced by tests/data/make_reference.c (IRLS, "
                    "ridge %g, %d Newton iterations)\n", RIDGE, iters);
        fprintf(fp, "rows=%d\ntrain_rows=%d\nparameters=%d\n", N_ROWS,
                N_TRAIN, P);
        fprintf(fp, "train_logloss=%.6f\n", ll_tr / N_TRAIN);
        fprintf(fp, "heldout_logloss=%.6f\n", ll_ho / (N_ROWS - N_TRAIN));
        fprintf(fp, "heldout_accuracy=%.6f\n",
                (double)acc / (N_ROWS - N_TRAIN));
        fprintf(fp, "heldout_bayes_logloss=%.6f\n",
                ll_bayes / (N_ROWS - N_TRAIN));
        fprintf(fp, "heldout_constant_logloss=%.6f\n",
                ll_const / (N_ROWS - N_TRAIN));
        fprintf(fp, "train_positive_rate=%.6f\n", rate);
        fclose(fp);
        return 0;
}
