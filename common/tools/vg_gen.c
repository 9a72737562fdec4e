/**
 * @file vg_gen.c
 * @brief Deterministic ITSM event stream generator. The generative model is
 *        documented in vg_gen.h; every coefficient is a VG_GEN_COEF_*.
 *
 * Layout: random numbers, time helpers, the world (teams, people, CIs), an
 * output heap that writes records in event-time order, then changes,
 * incidents and surveys, each a simulation step, a JSON builder and a loop.
 */
#include "vg_gen.h"
#include "vg_mem.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define VG_NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define VG_MIN      60
#define VG_HOUR     3600
#define VG_DAY      86400

/* Model coefficients (logit scale), documented in vg_gen.h. */
#define VG_GEN_COEF_INTERCEPT  -3.3
#define VG_GEN_COEF_TEAM_SD     0.5
#define VG_GEN_COEF_CI_SD       0.4
#define VG_GEN_COEF_CI_FRAGILE  1.0
#define VG_GEN_FRAGILE_FRACTION 0.1
#define VG_GEN_COEF_NIGHT       0.6
#define VG_GEN_COEF_WEEKEND     0.35
#define VG_GEN_COEF_RUSHED      0.5
#define VG_GEN_COEF_LONG        0.4
#define VG_GEN_COEF_NO_BACKOUT  0.7
#define VG_GEN_COEF_NO_TEST     0.5
#define VG_GEN_COEF_RISKY_WORD  0.45
#define VG_GEN_RISKY_MAX        3
#define VG_GEN_COEF_HISTORY     0.3
#define VG_GEN_HISTORY_MAX      3
/* History window: 720 mean inter-arrivals (30 days at the default pace of
 * one change an hour), so the overall rate does not depend on the pace. */
#define VG_GEN_HISTORY_WINDOW   720

/* The surveys' dissatisfaction spike (days after the start), and the VPN
 * incidents planted from a day before it to its end (vg_incsim_vpn()). */
#define VG_SPIKE_FROM (14 * VG_DAY)
#define VG_SPIKE_TO   (21 * VG_DAY)

static const double vg_coef_type[3]  = {-0.7, 0.0, 1.3}; /* Std, Nor, Eme */
static const double vg_coef_cat[6]   = {0.0, 0.15, 0.3, 0.35, 0.1, -0.3};
static const double vg_coef_risk[3]  = {0.35, 0.1, -0.15}; /* High Mod Low */

/* Random streams: one per kind, from the seed. */
enum { VG_STREAM_WORLD = 1, VG_STREAM_CHG, VG_STREAM_INC, VG_STREAM_SRV,
       VG_STREAM_VPN };

/* Mean of vg_rate_mult() over a week: (5 * (10 + 14 * 0.25) / 24 + 2 * 0.3)
 * / 7; arrivals are thinned by it so that the mean inter-arrival holds. */
#define VG_GEN_AVG_MULT 0.4875

#define VG_GEN_TEAM_SIZE   5
#define VG_GEN_RESPONDENTS 300
#define VG_GEN_RECURRING   5
#define VG_GEN_HIST        8

/*
 * Random numbers: xoshiro256** seeded by splitmix64, so that the output
 * depends on nothing but the seed (no libc rand()).
 */
typedef struct vg_rng_s {
        uint64_t s[4];
} vg_rng_t;

static uint64_t vg_splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);

        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
}

static void vg_rng_seed(vg_rng_t *r, uint64_t seed, uint64_t stream)
{
        uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ULL);

        for (int i = 0; i < 4; i++)
                r->s[i] = vg_splitmix64(&x);
}

static inline uint64_t vg_rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static uint64_t vg_rng_u64(vg_rng_t *r)
{
        uint64_t *s = r->s;
        uint64_t res = vg_rotl(s[1] * 5, 7) * 9;
        uint64_t t   = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = vg_rotl(s[3], 45);
        return res;
}

/** @returns a uniform double in [0, 1). */
static double vg_rng_unif(vg_rng_t *r)
{
        return (double)(vg_rng_u64(r) >> 11) * 0x1.0p-53;
}

static double vg_rng_range(vg_rng_t *r, double lo, double hi)
{
        return lo + (hi - lo) * vg_rng_unif(r);
}

static int vg_rng_int(vg_rng_t *r, int n)
{
        return (int)(vg_rng_unif(r) * n);
}

static int vg_rng_bern(vg_rng_t *r, double p)
{
        return vg_rng_unif(r) < p;
}

static double vg_rng_exp(vg_rng_t *r, double mean)
{
        return -mean * log(1.0 - vg_rng_unif(r));
}

static double vg_rng_norm(vg_rng_t *r)
{
        double u1 = 1.0 - vg_rng_unif(r), u2 = vg_rng_unif(r);

        return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/** @returns an index drawn with weights \p w[0..n-1]. */
static int vg_rng_pick(vg_rng_t *r, const double *w, int n)
{
        double sum = 0, u;

        for (int i = 0; i < n; i++)
                sum += w[i];
        u = vg_rng_unif(r) * sum;
        for (int i = 0; i < n; i++) {
                if (u < w[i])
                        return i;
                u -= w[i];
        }
        return n - 1;
}

/*
 * Time helpers: seconds since the epoch, UTC.
 */
static void vg_fmt_time(int64_t t, char *buf, size_t size)
{
        time_t tt = (time_t)t;
        struct tm tm;

        gmtime_r(&tt, &tm);
        strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static int vg_hour(int64_t t)
{
        return (int)((t % VG_DAY) / VG_HOUR);
}

/** @returns 0 (Sunday) .. 6 (Saturday); 1970-01-01 was a Thursday. */
static int vg_wday(int64_t t)
{
        return (int)((t / VG_DAY + 4) % 7);
}

/** Arrival rate multiplier: office hours 1, nights 0.25, weekends 0.3. */
static double vg_rate_mult(int64_t t)
{
        int wd = vg_wday(t), h = vg_hour(t);

        if (wd == 0 || wd == 6)
                return 0.3;
        return h >= 8 && h < 18 ? 1.0 : 0.25;
}

/** @returns the next arrival after \p t (Poisson process, thinned). */
static int64_t vg_next_arrival(vg_rng_t *r, int64_t t, double mean_s)
{
        double tt = (double)t, m = mean_s * VG_GEN_AVG_MULT;

        for (;;) {
                tt += vg_rng_exp(r, m);
                if (vg_rng_bern(r, vg_rate_mult((int64_t)tt)))
                        return (int64_t)tt + 1;
        }
}

/** Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t vg_days_from_civil(int64_t y, int m, int d)
{
        y -= m <= 2;
        int64_t era  = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe  = y - era * 400;
        int64_t doy  = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe  = yoe * 365 + yoe / 4 - yoe / 100 + doy;

        return era * 146097 + doe - 719468;
}

vg_err_t vg_gen_parse_time(const char *str, int64_t *msp, char *errstr,
                           size_t errstr_size)
{
        int y, mo, d, h = 0, mi = 0, s = 0, n = 0, n2 = 0;

        if (sscanf(str, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
                goto bad;
        if ((str[n] == ' ' || str[n] == 'T') &&
            sscanf(str + n + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &n2) == 3)
                n += 1 + n2;
        if (str[n] == 'Z')
                n++;
        if (str[n] != '\0' || y < 1970 || y > 9999 || mo < 1 || mo > 12 ||
            d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
                goto bad;
        *msp = ((vg_days_from_civil(y, mo, d) * VG_DAY) + h * VG_HOUR +
                mi * VG_MIN + s) * 1000;
        return VG_OK;
bad:
        snprintf(errstr, errstr_size,
                 "Invalid time \"%s\": expected YYYY-MM-DD[ HH:MM:SS] (UTC)",
                 str);
        return VG_ERR_INVALID;
}

/*
 * The world: teams, people, CIs.
 */
enum { VG_CAT_SW, VG_CAT_HW, VG_CAT_NET, VG_CAT_DB, VG_CAT_SEC, VG_CAT_OTHER,
       VG_CAT_N };
static const char *vg_cat_names[VG_CAT_N] = {
        "Software", "Hardware", "Network", "Database", "Security", "Other"};

enum { VG_K_DB, VG_K_LB, VG_K_NET, VG_K_FW, VG_K_VPN, VG_K_LNX, VG_K_WIN,
       VG_K_STOR, VG_K_ESX, VG_K_APP, VG_K_K8S, VG_K_N };

enum { VG_T_ORA, VG_T_PG, VG_T_SQL, VG_T_NETC, VG_T_NETE, VG_T_FW, VG_T_IAM,
       VG_T_UNIX, VG_T_WIN, VG_T_STOR, VG_T_CLOUD, VG_T_MW, VG_T_PAY,
       VG_T_CRM, VG_T_WEB, VG_T_MSG, VG_T_DC, VG_T_REL, VG_T_EUC, VG_T_SD,
       VG_T_N };
static const char *vg_team_names[VG_T_N] = {
        "DBA Oracle",       "DBA PostgreSQL",  "DBA SQL Server",
        "Network Core",     "Network Edge",    "Firewall & Security",
        "Identity & Access", "Unix Systems",   "Windows Systems",
        "Storage & Backup", "Cloud Platform",  "Middleware",
        "App Payments",     "App CRM",         "App Web Portal",
        "Messaging & Collaboration", "Datacenter Ops", "Release Management",
        "End User Computing", "Service Desk L2"};

/* Business services: the survey's services (a response's "service"),
 * then the catch-all of the CIs that no survey asks about. The surveys'
 * topics refer to the first six by index. */
enum { VG_S_VPN, VG_S_SD, VG_S_LAPTOP, VG_S_EMAIL, VG_S_WIFI, VG_S_PRINT,
       VG_S_INFRA, VG_S_N };
static const char *vg_services[VG_S_N] = {
        "VPN", "Service Desk", "Laptop", "Email", "Wi-Fi", "Printing",
        "Infrastructure"};

typedef struct vg_cifam_s {
        const char *fmt; /* "%02d" pattern, or a name when n == 0 */
        int n, kind, cat, owner, second;
        int svc; /* business service (VG_S_*) */
} vg_cifam_t;

static const vg_cifam_t vg_cifams[] = {
        {"db-ora-prd-%02d", 12, VG_K_DB, VG_CAT_DB, VG_T_ORA, VG_T_UNIX,
         VG_S_INFRA},
        {"db-ora-rec-%02d", 6, VG_K_DB, VG_CAT_DB, VG_T_ORA, VG_T_UNIX,
         VG_S_INFRA},
        {"db-pg-prd-%02d", 10, VG_K_DB, VG_CAT_DB, VG_T_PG, VG_T_UNIX,
         VG_S_INFRA},
        {"db-mssql-prd-%02d", 8, VG_K_DB, VG_CAT_DB, VG_T_SQL, VG_T_WIN,
         VG_S_INFRA},
        {"lb-f5-par-%02d", 6, VG_K_LB, VG_CAT_NET, VG_T_NETE, VG_T_NETC,
         VG_S_INFRA},
        {"lb-f5-lyo-%02d", 4, VG_K_LB, VG_CAT_NET, VG_T_NETE, VG_T_NETC,
         VG_S_INFRA},
        {"sw-core-par-%02d", 8, VG_K_NET, VG_CAT_NET, VG_T_NETC, VG_T_DC,
         VG_S_WIFI},
        {"rtr-wan-%02d", 6, VG_K_NET, VG_CAT_NET, VG_T_NETC, VG_T_NETE,
         VG_S_INFRA},
        {"fw-pa-par-%02d", 6, VG_K_FW, VG_CAT_SEC, VG_T_FW, VG_T_NETE,
         VG_S_INFRA},
        {"vpn-gw-%02d", 4, VG_K_VPN, VG_CAT_NET, VG_T_NETE, VG_T_FW,
         VG_S_VPN},
        {"srv-lnx-prd-%02d", 20, VG_K_LNX, VG_CAT_SW, VG_T_UNIX, VG_T_MW,
         VG_S_INFRA},
        {"srv-win-prd-%02d", 14, VG_K_WIN, VG_CAT_SW, VG_T_WIN, VG_T_IAM,
         VG_S_LAPTOP},
        {"stor-netapp-%02d", 6, VG_K_STOR, VG_CAT_HW, VG_T_STOR, VG_T_DC,
         VG_S_INFRA},
        {"esx-host-%02d", 12, VG_K_ESX, VG_CAT_HW, VG_T_CLOUD, VG_T_DC,
         VG_S_INFRA},
        {"k8s-prd-node-%02d", 6, VG_K_K8S, VG_CAT_SW, VG_T_CLOUD, VG_T_MW,
         VG_S_INFRA},
        {"app-payments-api", 0, VG_K_APP, VG_CAT_SW, VG_T_PAY, VG_T_REL,
         VG_S_INFRA},
        {"app-payments-batch", 0, VG_K_APP, VG_CAT_SW, VG_T_PAY, VG_T_MW,
         VG_S_INFRA},
        {"app-billing", 0, VG_K_APP, VG_CAT_SW, VG_T_PAY, VG_T_REL,
         VG_S_INFRA},
        {"app-crm-web", 0, VG_K_APP, VG_CAT_SW, VG_T_CRM, VG_T_REL,
         VG_S_INFRA},
        {"app-crm-api", 0, VG_K_APP, VG_CAT_SW, VG_T_CRM, VG_T_MW,
         VG_S_INFRA},
        {"app-portal-web", 0, VG_K_APP, VG_CAT_SW, VG_T_WEB, VG_T_REL,
         VG_S_INFRA},
        {"app-ecommerce-web", 0, VG_K_APP, VG_CAT_SW, VG_T_WEB, VG_T_REL,
         VG_S_INFRA},
        {"app-ecommerce-api", 0, VG_K_APP, VG_CAT_SW, VG_T_WEB, VG_T_MW,
         VG_S_INFRA},
        {"app-mobile-backend", 0, VG_K_APP, VG_CAT_SW, VG_T_WEB, VG_T_CLOUD,
         VG_S_INFRA},
        {"app-hr-portal", 0, VG_K_APP, VG_CAT_SW, VG_T_WEB, VG_T_REL,
         VG_S_INFRA},
        {"app-intranet", 0, VG_K_APP, VG_CAT_SW, VG_T_WEB, VG_T_WIN,
         VG_S_INFRA},
        {"app-sso", 0, VG_K_APP, VG_CAT_SEC, VG_T_IAM, VG_T_MW,
         VG_S_SD},
        {"app-ad-dc", 0, VG_K_WIN, VG_CAT_SEC, VG_T_IAM, VG_T_WIN,
         VG_S_SD},
        {"app-mail-exch", 0, VG_K_APP, VG_CAT_SW, VG_T_MSG, VG_T_WIN,
         VG_S_EMAIL},
        {"app-teams-gw", 0, VG_K_APP, VG_CAT_SW, VG_T_MSG, VG_T_NETE,
         VG_S_EMAIL},
        {"app-erp-sap", 0, VG_K_APP, VG_CAT_SW, VG_T_MW, VG_T_UNIX,
         VG_S_INFRA},
        {"app-search", 0, VG_K_APP, VG_CAT_SW, VG_T_MW, VG_T_CLOUD,
         VG_S_INFRA},
        {"app-mq-broker", 0, VG_K_APP, VG_CAT_SW, VG_T_MW, VG_T_UNIX,
         VG_S_INFRA},
        {"app-kafka-cluster", 0, VG_K_APP, VG_CAT_SW, VG_T_MW, VG_T_CLOUD,
         VG_S_INFRA},
        {"app-jenkins", 0, VG_K_APP, VG_CAT_SW, VG_T_REL, VG_T_CLOUD,
         VG_S_INFRA},
        {"app-gitlab", 0, VG_K_APP, VG_CAT_SW, VG_T_REL, VG_T_UNIX,
         VG_S_INFRA},
        {"app-monitoring", 0, VG_K_APP, VG_CAT_OTHER, VG_T_CLOUD, VG_T_UNIX,
         VG_S_INFRA},
        {"app-dns-int", 0, VG_K_NET, VG_CAT_NET, VG_T_NETC, VG_T_WIN,
         VG_S_INFRA},
        {"app-datawarehouse", 0, VG_K_DB, VG_CAT_DB, VG_T_PG, VG_T_MW,
         VG_S_INFRA},
        {"app-reporting", 0, VG_K_APP, VG_CAT_SW, VG_T_MW, VG_T_PG,
         VG_S_INFRA},
        {"app-print-srv", 0, VG_K_WIN, VG_CAT_HW, VG_T_EUC, VG_T_WIN,
         VG_S_PRINT},
};

typedef struct vg_ci_s {
        char name[32];
        int kind, cat, owner, second, svc;
        double fragility, weight;
} vg_ci_t;

typedef struct vg_name_s {
        const char *name, *ascii;
} vg_name_t;

static const vg_name_t vg_first_names[] = {
        {"Camille", "camille"}, {"Julien", "julien"}, {"Sophie", "sophie"},
        {"Thomas", "thomas"},   {"Léa", "lea"},       {"Nicolas", "nicolas"},
        {"Emma", "emma"},       {"Lucas", "lucas"},   {"Chloé", "chloe"},
        {"Hugo", "hugo"},       {"Sarah", "sarah"},   {"Antoine", "antoine"},
        {"Manon", "manon"},     {"Pierre", "pierre"}, {"Claire", "claire"},
        {"James", "james"},     {"Olivia", "olivia"}, {"David", "david"},
        {"Laura", "laura"},     {"Mehdi", "mehdi"},   {"Fatima", "fatima"},
        {"Karim", "karim"},     {"Inès", "ines"},     {"Paul", "paul"},
        {"Anna", "anna"},       {"Hélène", "helene"}, {"Marc", "marc"},
        {"Aïcha", "aicha"},     {"Victor", "victor"}, {"Zoé", "zoe"}};

static const vg_name_t vg_last_names[] = {
        {"Martin", "martin"},   {"Bernard", "bernard"}, {"Dubois", "dubois"},
        {"Thomas", "thomas"},   {"Robert", "robert"},   {"Richard", "richard"},
        {"Petit", "petit"},     {"Durand", "durand"},   {"Leroy", "leroy"},
        {"Moreau", "moreau"},   {"Simon", "simon"},     {"Laurent", "laurent"},
        {"Lefèvre", "lefevre"}, {"Michel", "michel"},   {"Garcia", "garcia"},
        {"Smith", "smith"},     {"Johnson", "johnson"}, {"Brown", "brown"},
        {"Nguyen", "nguyen"},   {"Benali", "benali"},   {"Rossi", "rossi"},
        {"Fournier", "fournier"}, {"Girard", "girard"}, {"Morel", "morel"},
        {"Mercier", "mercier"}, {"Bouvier", "bouvier"},
        {"Chevalier", "chevalier"},
        {"Haddad", "haddad"},   {"O'Brien", "obrien"},  {"Faure", "faure"}};

static const char *vg_entities[] = {"Finance", "HR", "Sales", "Operations",
                                    "Legal", "Marketing", "R&D"};

typedef struct vg_person_s {
        char name[48];
        char email[64];
        int entity;
} vg_person_t;

struct vg_gen_s {
        vg_gen_opts_t opts;
        vg_ci_t *cis;
        int ci_cnt;
        double team_skill[VG_T_N];
        vg_person_t *people; /* VG_T_N * TEAM_SIZE staff, then respondents */
        int people_cnt;
        int rec_ci[VG_GEN_RECURRING];  /* recurring incident patterns */
        int rec_sub[VG_GEN_RECURRING];
        int rec_text[VG_GEN_RECURRING];
};

static void vg_gen_person(vg_rng_t *r, vg_person_t *p, const char *domain)
{
        const vg_name_t *f = &vg_first_names[vg_rng_int(r,
                                              VG_NELEM(vg_first_names))];
        const vg_name_t *l = &vg_last_names[vg_rng_int(r,
                                             VG_NELEM(vg_last_names))];

        snprintf(p->name, sizeof(p->name), "%s %s", f->name, l->name);
        snprintf(p->email, sizeof(p->email), "%s.%s@%s", f->ascii, l->ascii,
                 domain);
        p->entity = vg_rng_int(r, VG_NELEM(vg_entities));
}

/** Marks VG_GEN_FRAGILE_FRACTION of the CIs fragile, then centres the
 *  fragilities (weighted by how often CIs change) so that the overall
 *  failure rate depends little on the seed. */
static void vg_gen_center_cis(vg_gen_t *gen, vg_rng_t *r)
{
        int nfrag = (int)(gen->ci_cnt * VG_GEN_FRAGILE_FRACTION + 0.5);
        double sum = 0, wsum = 0;

        while (nfrag > 0) {
                vg_ci_t *ci = &gen->cis[vg_rng_int(r, gen->ci_cnt)];
                if (ci->fragility > VG_GEN_COEF_CI_FRAGILE / 2)
                        continue;
                ci->fragility += VG_GEN_COEF_CI_FRAGILE;
                nfrag--;
        }
        for (int i = 0; i < gen->ci_cnt; i++) {
                sum  += gen->cis[i].weight * gen->cis[i].fragility;
                wsum += gen->cis[i].weight;
        }
        for (int i = 0; i < gen->ci_cnt; i++)
                gen->cis[i].fragility -= sum / wsum;
}

static void vg_gen_build_cis(vg_gen_t *gen, vg_rng_t *r)
{
        int n = 0;

        for (int f = 0; f < VG_NELEM(vg_cifams); f++)
                n += vg_cifams[f].n ? vg_cifams[f].n : 1;
        gen->cis    = vg_calloc(n, sizeof(*gen->cis));
        gen->ci_cnt = n;
        n           = 0;
        for (int f = 0; f < VG_NELEM(vg_cifams); f++) {
                const vg_cifam_t *fam = &vg_cifams[f];
                for (int k = 0; k < (fam->n ? fam->n : 1); k++, n++) {
                        vg_ci_t *ci = &gen->cis[n];
                        if (fam->n)
                                snprintf(ci->name, sizeof(ci->name), fam->fmt,
                                         k + 1);
                        else
                                snprintf(ci->name, sizeof(ci->name), "%s",
                                         fam->fmt);
                        ci->kind      = fam->kind;
                        ci->cat       = fam->cat;
                        ci->owner     = fam->owner;
                        ci->second    = fam->second;
                        ci->svc       = fam->svc;
                        ci->fragility = VG_GEN_COEF_CI_SD * vg_rng_norm(r);
                        ci->weight    = exp(0.5 * vg_rng_norm(r));
                }
        }
        vg_gen_center_cis(gen, r);
}

static int vg_gen_pick_ci(const vg_gen_t *gen, vg_rng_t *r)
{
        double sum = 0, u;

        for (int i = 0; i < gen->ci_cnt; i++)
                sum += gen->cis[i].weight;
        u = vg_rng_unif(r) * sum;
        for (int i = 0; i < gen->ci_cnt; i++) {
                if (u < gen->cis[i].weight)
                        return i;
                u -= gen->cis[i].weight;
        }
        return gen->ci_cnt - 1;
}

static void vg_gen_build_recurring(vg_gen_t *gen, vg_rng_t *r);

static void vg_gen_build_world(vg_gen_t *gen)
{
        vg_rng_t r;

        vg_rng_seed(&r, gen->opts.seed, VG_STREAM_WORLD);
        double mean = 0;

        for (int t = 0; t < VG_T_N; t++) {
                gen->team_skill[t] = VG_GEN_COEF_TEAM_SD * vg_rng_norm(&r);
                mean += gen->team_skill[t] / VG_T_N;
        }
        for (int t = 0; t < VG_T_N; t++)
                gen->team_skill[t] -= mean; /* centred, as CI fragility */
        vg_gen_build_cis(gen, &r);
        gen->people_cnt = VG_T_N * VG_GEN_TEAM_SIZE + VG_GEN_RESPONDENTS;
        gen->people     = vg_calloc(gen->people_cnt, sizeof(*gen->people));
        for (int i = 0; i < gen->people_cnt; i++)
                vg_gen_person(&r, &gen->people[i], "acme.example");
        vg_gen_build_recurring(gen, &r);
}

void vg_gen_opts_init(vg_gen_opts_t *opts)
{
        memset(opts, 0, sizeof(*opts));
        opts->seed                = 1;
        opts->count               = 1000;
        opts->start_ms            = INT64_C(1735689600000); /* 2025-01-01 */
        opts->mean_interarrival_s = 0;
        opts->late_fraction       = 0.01;
        opts->late_max_s          = 7200;
        opts->cancel_fraction     = 0.03;
        opts->update_fraction     = 0.3;
        opts->full_updates        = 0;
}

static const char *vg_gen_opts_check(const vg_gen_opts_t *o)
{
        if (o->count < 1 || o->count > 100000000)
                return "count must be in 1..100000000";
        if (o->start_ms < 0 || o->start_ms > INT64_C(253402214400000))
                return "start must be in 1970..9999";
        if (!(o->mean_interarrival_s >= 0 && o->mean_interarrival_s <= 1e7))
                return "mean_interarrival_s must be in 0..1e7";
        if (!(o->late_fraction >= 0 && o->late_fraction <= 1))
                return "late_fraction must be in 0..1";
        if (!(o->late_max_s >= 60 && o->late_max_s <= 7 * VG_DAY))
                return "late_max_s must be in 60..604800";
        if (!(o->cancel_fraction >= 0 && o->cancel_fraction <= 0.5))
                return "cancel_fraction must be in 0..0.5";
        if (!(o->update_fraction >= 0 && o->update_fraction <= 1))
                return "update_fraction must be in 0..1";
        return NULL;
}

vg_gen_t *vg_gen_new(const vg_gen_opts_t *opts, char *errstr,
                     size_t errstr_size)
{
        const char *err = vg_gen_opts_check(opts);
        vg_gen_t *gen;

        if (err) {
                snprintf(errstr, errstr_size, "Invalid generator option: %s",
                         err);
                return NULL;
        }
        gen       = vg_calloc(1, sizeof(*gen));
        gen->opts = *opts;
        vg_gen_build_world(gen);
        return gen;
}

void vg_gen_destroy(vg_gen_t *gen)
{
        if (!gen)
                return;
        vg_free(gen->cis);
        vg_free(gen->people);
        vg_free(gen);
}

/*
 * Output heap: pending lines keyed by (emission time, sequence). A line is
 * written once no later record can have an earlier key.
 */
typedef struct vg_pend_s {
        int64_t key;
        uint64_t seq;
        char *line;
        int aux;
} vg_pend_t;

typedef struct vg_heap_s {
        vg_pend_t *a;
        size_t n, size;
        uint64_t seq;
} vg_heap_t;

static int vg_pend_lt(const vg_pend_t *x, const vg_pend_t *y)
{
        return x->key < y->key || (x->key == y->key && x->seq < y->seq);
}

static void vg_heap_push(vg_heap_t *h, int64_t key, char *line, int aux)
{
        size_t i;

        if (h->n == h->size) {
                h->size = h->size ? h->size * 2 : 64;
                h->a    = vg_realloc(h->a, h->size * sizeof(*h->a));
        }
        i       = h->n++;
        h->a[i] = (vg_pend_t){key, h->seq++, line, aux};
        while (i > 0 && vg_pend_lt(&h->a[i], &h->a[(i - 1) / 2])) {
                vg_pend_t tmp     = h->a[i];
                h->a[i]           = h->a[(i - 1) / 2];
                h->a[(i - 1) / 2] = tmp;
                i                 = (i - 1) / 2;
        }
}

static vg_pend_t vg_heap_pop(vg_heap_t *h)
{
        vg_pend_t top = h->a[0];
        size_t i = 0;

        h->a[0] = h->a[--h->n];
        for (;;) {
                size_t l = 2 * i + 1, m = i;
                if (l < h->n && vg_pend_lt(&h->a[l], &h->a[m]))
                        m = l;
                if (l + 1 < h->n && vg_pend_lt(&h->a[l + 1], &h->a[m]))
                        m = l + 1;
                if (m == i)
                        break;
                vg_pend_t tmp = h->a[i];
                h->a[i]       = h->a[m];
                h->a[m]       = tmp;
                i             = m;
        }
        return top;
}

/** Writes the lines with a key below \p upto. @returns -1 on write error. */
static int vg_heap_flush(vg_heap_t *h, int64_t upto, FILE *fp)
{
        int rc = 0;

        while (h->n > 0 && h->a[0].key < upto) {
                vg_pend_t p = vg_heap_pop(h);
                if (fputs(p.line, fp) == EOF)
                        rc = -1;
                vg_free(p.line);
        }
        return rc;
}

static void vg_heap_clear(vg_heap_t *h)
{
        for (size_t i = 0; i < h->n; i++)
                vg_free(h->a[i].line);
        vg_free(h->a);
        memset(h, 0, sizeof(*h));
}

/** @returns the emission key of a record at \p t: late by 1 min..max. */
static int64_t vg_late_key(vg_rng_t *r, const vg_gen_opts_t *o, int64_t t)
{
        if (!vg_rng_bern(r, o->late_fraction))
                return t;
        return t + (int64_t)vg_rng_range(r, 60, o->late_max_s);
}

/*
 * JSON helpers (jansson keeps insertion order; output is UTF-8, compact).
 */
static void vg_js(json_t *o, const char *k, const char *v)
{
        json_object_set_new(o, k, json_string(v));
}

static void vg_jt(json_t *o, const char *k, int64_t t)
{
        char buf[32] = "";

        if (t > 0)
                vg_fmt_time(t, buf, sizeof(buf));
        vg_js(o, k, buf);
}

static void vg_ji(json_t *o, const char *k, int v)
{
        json_object_set_new(o, k, json_integer(v));
}

/** @returns \p o as one line ending in "\n" (vg_free() it); frees \p o. */
static char *vg_dump(json_t *o)
{
        size_t n = json_dumpb(o, NULL, 0, JSON_COMPACT);
        char *s  = vg_malloc(n + 2);

        json_dumpb(o, s, n, JSON_COMPACT);
        s[n]     = '\n';
        s[n + 1] = '\0';
        json_decref(o);
        return s;
}

static void vg_set_err(char *errstr, size_t errstr_size, const char *what)
{
        snprintf(errstr, errstr_size, "Cannot write %s: %s", what,
                 strerror(errno));
}

/*
 * Changes.
 */
enum { VG_TYPE_STD, VG_TYPE_NORMAL, VG_TYPE_EMERG };
static const char *vg_type_names[] = {"Standard", "Normal", "Emergency"};
static const char *vg_risk_names[] = {"High", "Moderate", "Low"};
static const char *vg_impact_names[] = {"1 - High", "2 - Medium", "3 - Low"};
static const char *vg_prio_names[] = {"1 - Critical", "2 - High",
                                      "3 - Moderate", "4 - Low",
                                      "5 - Planning"};
static const char *vg_close_codes[] = {"Successful", "Successful with issues",
                                       "Unsuccessful", "Backed out"};
static const char *vg_open_states[] = {"New", "Assess", "Authorize",
                                       "Scheduled"};

typedef struct vg_phrase_s {
        int cat; /* -1: any */
        const char *en, *fr;
        int risky; /* risky phrases it contains */
} vg_phrase_t;

static const vg_phrase_t vg_chg_actions[] = {
        {VG_CAT_SW, "Deploy new application release",
         "Déploiement d'une nouvelle version applicative", 0},
        {VG_CAT_SW, "Apply OS security patches",
         "Application des correctifs de sécurité OS", 0},
        {VG_CAT_SW, "Upgrade Java runtime", "Montée de version du runtime Java",
         0},
        {VG_CAT_SW, "Update application configuration",
         "Mise à jour de la configuration applicative", 0},
        {VG_CAT_SW, "Change log rotation and restart services",
         "Modification de la rotation des logs et redémarrage", 0},
        {VG_CAT_SW, "Migration to the new application server",
         "Migration vers le nouveau serveur d'application", 1},
        {VG_CAT_SW, "Deploy hotfix for production bug",
         "Déploiement d'un correctif urgent pour un bug de production", 1},
        {VG_CAT_HW, "Replace failed disk", "Remplacement d'un disque défaillant",
         0},
        {VG_CAT_HW, "Add memory modules", "Ajout de barrettes mémoire", 0},
        {VG_CAT_HW, "Replace power supply unit",
         "Remplacement de l'alimentation", 0},
        {VG_CAT_HW, "Extend storage volume", "Extension du volume de stockage",
         0},
        {VG_CAT_HW, "Upgrade BIOS and firmware",
         "Mise à jour du BIOS et du firmware", 1},
        {VG_CAT_HW, "Hardware migration to a new chassis",
         "Migration matérielle vers un nouveau châssis", 1},
        {VG_CAT_NET, "Update VLAN configuration",
         "Modification de la configuration VLAN", 0},
        {VG_CAT_NET, "Add static route", "Ajout d'une route statique", 0},
        {VG_CAT_NET, "Renew SSL certificate",
         "Renouvellement du certificat SSL", 0},
        {VG_CAT_NET, "Adjust load balancer pool members",
         "Ajustement des membres du pool de répartition", 0},
        {VG_CAT_NET, "Upgrade switch firmware",
         "Mise à jour du firmware du switch", 1},
        {VG_CAT_NET, "Migration of BGP peering to the new carrier",
         "Migration du peering BGP vers le nouvel opérateur", 1},
        {VG_CAT_DB, "Apply quarterly patch bundle",
         "Application du patch trimestriel", 0},
        {VG_CAT_DB, "Rebuild fragmented indexes",
         "Reconstruction des index fragmentés", 0},
        {VG_CAT_DB, "Resize tablespace", "Agrandissement du tablespace", 0},
        {VG_CAT_DB, "Refresh optimizer statistics",
         "Rafraîchissement des statistiques de l'optimiseur", 0},
        {VG_CAT_DB, "Schema change: add columns to the orders table",
         "Changement de schéma : ajout de colonnes à la table commandes", 1},
        {VG_CAT_DB, "Database migration to the new storage array",
         "Migration de la base vers la nouvelle baie", 1},
        {VG_CAT_SEC, "Open firewall flows for a new application",
         "Ouverture de flux pare-feu pour une nouvelle application", 0},
        {VG_CAT_SEC, "Rotate service account credentials",
         "Rotation des mots de passe des comptes de service", 0},
        {VG_CAT_SEC, "Deploy antivirus signature update",
         "Mise à jour des signatures antivirus", 0},
        {VG_CAT_SEC, "Harden TLS configuration",
         "Durcissement de la configuration TLS", 0},
        {VG_CAT_SEC, "Urgent patch for a critical CVE",
         "Correctif urgent pour une CVE critique", 1},
        {VG_CAT_OTHER, "Update monitoring thresholds",
         "Ajustement des seuils de supervision", 0},
        {VG_CAT_OTHER, "Change backup schedule",
         "Modification du planning de sauvegarde", 0},
        {VG_CAT_OTHER, "Decommission unused service",
         "Décommissionnement d'un service inutilisé", 0},
        {VG_CAT_OTHER, "Purge old log files",
         "Purge des anciens fichiers de logs", 0},
};

static const vg_phrase_t vg_chg_prefixes[] = {
        {-1, "URGENT: ", "URGENT : ", 1},
        {-1, "Hotfix - ", "Correctif urgent - ", 1},
        {-1, "[Maintenance] ", "[Maintenance] ", 0},
        {-1, "Planned: ", "Planifié : ", 0},
};

static const vg_phrase_t vg_chg_reasons[] = {
        {-1, "Requested by the application owner to fix a recurring incident",
         "Demandé par le responsable applicatif pour corriger un incident "
         "récurrent", 0},
        {-1, "Vendor recommendation to stay within support",
         "Recommandation de l'éditeur pour rester dans le support", 0},
        {-1, "Capacity increase ahead of the month-end closing",
         "Augmentation de capacité avant la clôture mensuelle", 0},
        {-1, "Remediation of an audit finding",
         "Remédiation d'un constat d'audit", 0},
        {-1, "Performance issues reported by users",
         "Problèmes de performance remontés par les utilisateurs", 0},
        {-1, "Part of the yearly lifecycle plan",
         "Dans le cadre du plan de cycle de vie annuel", 0},
        {-1, "Follow-up of a production outage, urgent fix needed",
         "Suite à l'incident de production, correctif urgent nécessaire", 1},
        {-1, "A rollback of the previous change may be needed if the vendor "
             "patch misbehaves",
         "Un rollback du changement précédent pourrait être nécessaire", 1},
};

static const vg_phrase_t vg_chg_justifs[] = {
        {-1, "Keep the platform under vendor support",
         "Maintenir la plateforme sous support éditeur", 0},
        {-1, "Security compliance (monthly patch policy)",
         "Conformité sécurité (politique de patch mensuelle)", 0},
        {-1, "Business request from Finance",
         "Demande métier de la Direction Financière", 0},
        {-1, "Reduce the incident volume on this service",
         "Réduire le volume d'incidents sur ce service", 0},
        {-1, "Improve response times", "Améliorer les temps de réponse", 0},
        {-1, "End of life of the current version",
         "Fin de vie de la version actuelle", 0},
};

static const vg_phrase_t vg_chg_impls[] = {
        {-1, "1. Notify stakeholders. 2. Back up %s. 3. Apply the change. "
             "4. Restart services and check logs. 5. Hand over to monitoring.",
         "1. Prévenir les utilisateurs. 2. Sauvegarder %s. 3. Appliquer le "
         "changement. 4. Redémarrer et vérifier les logs.", 0},
        {-1, "Drain traffic from %s, apply the change, run health checks, "
             "restore traffic.",
         "Basculer le trafic hors de %s, appliquer la modification, "
         "contrôler, rebasculer.", 0},
        {-1, "Follow the standard runbook for %s; each step is validated in "
             "the change record.",
         "Suivre la procédure standard pour %s ; chaque étape est validée "
         "dans le ticket.", 0},
};

static const vg_phrase_t vg_chg_backouts[] = {
        {-1, "Restore the snapshot of %s taken before the change.",
         "Restauration du snapshot de %s pris avant l'intervention.", 0},
        {-1, "Reapply the previous configuration of %s from backup.",
         "Remise en place de la configuration précédente de %s.", 0},
        {-1, "Redeploy the previous release on %s.",
         "Redéploiement de la version précédente sur %s.", 0},
};

static const vg_phrase_t vg_chg_tests[] = {
        {-1, "Smoke tests by the application team and monitoring check.",
         "Tests fonctionnels par l'équipe applicative et contrôle de la "
         "supervision.", 0},
        {-1, "Run the regression suite in pre-production first.",
         "Passage de la suite de non-régression en préproduction.", 0},
        {-1, "Check dashboards and error rates for 30 minutes.",
         "Surveillance des tableaux de bord pendant 30 minutes.", 0},
};

typedef struct vg_chg_s {
        int64_t seq;
        char number[24];
        int64_t opened, start, end, closed;
        int64_t t_rec[3], key[3]; /* open, update, close or cancel */
        int has_upd, canceled, failed, close_code, open_state;
        int type, cat, team, person, ci, risk, impact, prio, lang;
        int night, weekend, rushed, longwin, no_backout, no_test;
        int risky, hist;
        int backout_style, test_style; /* 0 text, 1 "", 2 absent */
        double p;
        char sdesc[256], desc[512], justif[160], impl[320], backout[160],
                test[160];
} vg_chg_t;

/* Change simulation state: shared by vg_gen_changes() and, to link causes,
 * vg_gen_incidents(). */
typedef struct vg_chgsim_s {
        vg_gen_t *gen;
        vg_rng_t rng;
        int64_t seq;
        int64_t t_next; /* opened_at of the next change */
        double mean_s;
        int64_t (*fails)[VG_GEN_HIST]; /* per CI: failed changes' closed_at */
        int *fail_pos;
} vg_chgsim_t;

static const vg_phrase_t *vg_phrase_pick(vg_rng_t *r, const vg_phrase_t *tbl,
                                         int n, int cat)
{
        int cnt = 0, k;

        for (int i = 0; i < n; i++)
                cnt += tbl[i].cat == cat || tbl[i].cat < 0;
        k = vg_rng_int(r, cnt);
        for (int i = 0; i < n; i++) {
                if ((tbl[i].cat == cat || tbl[i].cat < 0) && k-- == 0)
                        return &tbl[i];
        }
        return &tbl[0];
}

static const char *vg_lang(const vg_phrase_t *ph, int lang)
{
        return lang ? ph->fr : ph->en;
}

static void vg_chg_classify(vg_chgsim_t *sim, vg_chg_t *c)
{
        static const double w_type[] = {45, 45, 10};
        static const double w_risk[3][3] = {{5, 25, 70}, {25, 50, 25},
                                            {50, 40, 10}};
        static const double w_impact[] = {20, 40, 40};
        vg_rng_t *r       = &sim->rng;
        const vg_ci_t *ci;
        double wr[3];

        c->ci   = vg_gen_pick_ci(sim->gen, r);
        ci      = &sim->gen->cis[c->ci];
        c->cat  = ci->cat;
        if (vg_rng_bern(r, 0.12))
                c->cat = VG_CAT_SEC;
        else if (vg_rng_bern(r, 0.05))
                c->cat = VG_CAT_OTHER;
        c->team   = vg_rng_bern(r, 0.75) ? ci->owner : ci->second;
        c->person = c->team * VG_GEN_TEAM_SIZE +
                    vg_rng_int(r, VG_GEN_TEAM_SIZE);
        c->type   = vg_rng_pick(r, w_type, 3);
        c->lang   = vg_rng_bern(r, 0.3);
        memcpy(wr, w_risk[c->type], sizeof(wr));
        if (ci->fragility > 0.5)
                wr[0] *= 2; /* requesters know their fragile CIs a bit */
        c->risk   = vg_rng_pick(r, wr, 3);
        c->impact = vg_rng_pick(r, w_impact, 3);
        c->prio   = c->impact + (c->type == VG_TYPE_EMERG ? 0 : 1);
        if (c->prio > 3)
                c->prio = 3;
        c->open_state = c->type == VG_TYPE_NORMAL
                                ? vg_rng_pick(r, (double[]){5, 15, 25, 55}, 4)
                                : 3;
}

/** Moves \p start to night or office hours, and off weekends (mostly). */
static int64_t vg_chg_align(vg_rng_t *r, const vg_chg_t *c, int64_t start)
{
        static const int night_hours[] = {22, 23, 0, 1, 2, 3, 4};
        double p_night = c->cat == VG_CAT_NET || c->cat == VG_CAT_DB ? 0.4
                                                                     : 0.2;
        int64_t day0 = start - start % VG_DAY, t;
        int h, wd;

        if (vg_rng_bern(r, p_night))
                h = night_hours[vg_rng_int(r, VG_NELEM(night_hours))];
        else
                h = 8 + vg_rng_int(r, 10);
        t = day0 + h * VG_HOUR + 15 * VG_MIN * vg_rng_int(r, 4);
        while (t < c->opened + 30 * VG_MIN)
                t += VG_DAY;
        wd = vg_wday(t);
        if ((wd == 0 || wd == 6) && vg_rng_bern(r, 0.6))
                t += (wd == 6 ? 2 : 1) * VG_DAY;
        return t;
}

static void vg_chg_schedule(vg_chgsim_t *sim, vg_chg_t *c)
{
        vg_rng_t *r = &sim->rng;
        double lead, dur;
        int h, wd;

        if (c->type == VG_TYPE_EMERG)
                lead = 30 * VG_MIN + vg_rng_exp(r, 4 * VG_HOUR);
        else if (c->type == VG_TYPE_STD)
                lead = 2 * VG_HOUR + vg_rng_exp(r, 30 * VG_HOUR);
        else if (vg_rng_bern(r, 0.1))
                lead = 2 * VG_HOUR + vg_rng_range(r, 0, 20 * VG_HOUR);
        else
                lead = VG_DAY + vg_rng_exp(r, 4 * VG_DAY);
        c->start = c->opened + (int64_t)lead;
        if (c->type != VG_TYPE_EMERG)
                c->start = vg_chg_align(r, c, c->start);
        if (c->type == VG_TYPE_STD)
                dur = vg_rng_range(r, 15 * VG_MIN, 2 * VG_HOUR);
        else if (c->type == VG_TYPE_EMERG)
                dur = vg_rng_range(r, 30 * VG_MIN, 3 * VG_HOUR);
        else
                dur = fmin(fmax(exp(log(2.0 * VG_HOUR) +
                                    0.7 * vg_rng_norm(r)),
                                15 * VG_MIN),
                           VG_DAY);
        c->end     = c->start + (int64_t)dur;
        h          = vg_hour(c->start);
        wd         = vg_wday(c->start);
        c->night   = h >= 22 || h < 5;
        c->weekend = wd == 0 || wd == 6;
        c->rushed  = c->start - c->opened < VG_DAY;
        c->longwin = c->end - c->start > 4 * VG_HOUR;
}

/** Appends \p ph (risky phrases counted) to the text at \p buf. */
static void vg_cat_phrase(vg_chg_t *c, char *buf, size_t size,
                          const vg_phrase_t *ph)
{
        size_t len = strlen(buf);

        snprintf(buf + len, size - len, "%s", vg_lang(ph, c->lang));
        c->risky += ph->risky;
}

static void vg_chg_short(vg_chgsim_t *sim, vg_chg_t *c)
{
        static const double p_urgent[] = {0.02, 0.06, 0.5};
        vg_rng_t *r = &sim->rng;
        const char *ci = sim->gen->cis[c->ci].name;
        size_t len;

        c->sdesc[0] = '\0';
        if (vg_rng_bern(r, p_urgent[c->type]))
                vg_cat_phrase(c, c->sdesc, sizeof(c->sdesc),
                              &vg_chg_prefixes[vg_rng_int(r, 2)]);
        else if (vg_rng_bern(r, 0.15))
                vg_cat_phrase(c, c->sdesc, sizeof(c->sdesc),
                              &vg_chg_prefixes[2 + vg_rng_int(r, 2)]);
        vg_cat_phrase(c, c->sdesc, sizeof(c->sdesc),
                      vg_phrase_pick(r, vg_chg_actions,
                                     VG_NELEM(vg_chg_actions), c->cat));
        len = strlen(c->sdesc);
        snprintf(c->sdesc + len, sizeof(c->sdesc) - len, " %s %s",
                 c->lang ? "sur" : "on", ci);
}

static void vg_chg_desc(vg_chgsim_t *sim, vg_chg_t *c)
{
        vg_rng_t *r    = &sim->rng;
        const char *ci = sim->gen->cis[c->ci].name;
        int down       = 5 * (1 + vg_rng_int(r, 24));
        size_t len;

        c->desc[0] = '\0';
        vg_cat_phrase(c, c->desc, sizeof(c->desc),
                      &vg_chg_reasons[vg_rng_int(r,
                                                 VG_NELEM(vg_chg_reasons))]);
        len = strlen(c->desc);
        snprintf(c->desc + len, sizeof(c->desc) - len,
                 c->lang ? ". CI impacté : %s. Interruption prévue : %d min."
                         : ". Impacted CI: %s. Expected downtime: %d min.",
                 ci, down);
        if (vg_rng_bern(r, 0.3)) {
                len = strlen(c->desc);
                snprintf(c->desc + len, sizeof(c->desc) - len,
                         c->lang ? " Réf. INC%07d." : " Ref. INC%07d.",
                         10000 + vg_rng_int(r, 90000));
        }
        snprintf(c->justif, sizeof(c->justif), "%s",
                 vg_lang(&vg_chg_justifs[vg_rng_int(
                                 r, VG_NELEM(vg_chg_justifs))],
                         c->lang));
        snprintf(c->impl, sizeof(c->impl),
                 vg_lang(&vg_chg_impls[vg_rng_int(r, VG_NELEM(vg_chg_impls))],
                         c->lang),
                 ci);
}

static void vg_chg_plans(vg_chgsim_t *sim, vg_chg_t *c)
{
        static const double p_no_backout[] = {0.12, 0.08, 0.35};
        static const double p_no_test[]    = {0.15, 0.10, 0.40};
        vg_rng_t *r    = &sim->rng;
        const char *ci = sim->gen->cis[c->ci].name;

        c->no_backout    = vg_rng_bern(r, p_no_backout[c->type]);
        c->backout_style = c->no_backout ? 1 + vg_rng_int(r, 2) : 0;
        snprintf(c->backout, sizeof(c->backout),
                 vg_lang(&vg_chg_backouts[vg_rng_int(
                                 r, VG_NELEM(vg_chg_backouts))],
                         c->lang),
                 ci);
        c->no_test    = vg_rng_bern(r, p_no_test[c->type]);
        c->test_style = c->no_test ? 1 + vg_rng_int(r, 2) : 0;
        snprintf(c->test, sizeof(c->test), "%s",
                 vg_lang(&vg_chg_tests[vg_rng_int(r, VG_NELEM(vg_chg_tests))],
                         c->lang));
}

/** @returns failed changes on the CI closed in the window before t. */
static int vg_chgsim_history(const vg_chgsim_t *sim, int ci, int64_t t)
{
        int64_t window = (int64_t)(VG_GEN_HISTORY_WINDOW * sim->mean_s);
        int n = 0;

        for (int i = 0; i < VG_GEN_HIST; i++) {
                int64_t tc = sim->fails[ci][i];
                n += tc > 0 && tc <= t && tc > t - window;
        }
        return n;
}

static double vg_chg_logit(const vg_chgsim_t *sim, const vg_chg_t *c)
{
        const vg_gen_t *gen = sim->gen;
        double z = VG_GEN_COEF_INTERCEPT;

        z += gen->team_skill[c->team] + gen->cis[c->ci].fragility;
        z += vg_coef_type[c->type] + vg_coef_cat[c->cat];
        z += c->night * VG_GEN_COEF_NIGHT + c->weekend * VG_GEN_COEF_WEEKEND;
        z += c->rushed * VG_GEN_COEF_RUSHED + c->longwin * VG_GEN_COEF_LONG;
        z += c->no_backout * VG_GEN_COEF_NO_BACKOUT;
        z += c->no_test * VG_GEN_COEF_NO_TEST;
        z += (c->risky < VG_GEN_RISKY_MAX ? c->risky : VG_GEN_RISKY_MAX) *
             VG_GEN_COEF_RISKY_WORD;
        z += vg_coef_risk[c->risk];
        z += (c->hist < VG_GEN_HISTORY_MAX ? c->hist : VG_GEN_HISTORY_MAX) *
             VG_GEN_COEF_HISTORY;
        return z;
}

static void vg_chg_outcome(vg_chgsim_t *sim, vg_chg_t *c)
{
        static const double w_fail[] = {45, 30, 25};
        vg_rng_t *r = &sim->rng;
        int64_t lead = c->start - c->opened;

        c->hist     = vg_chgsim_history(sim, c->ci, c->opened);
        c->p        = 1.0 / (1.0 + exp(-vg_chg_logit(sim, c)));
        c->t_rec[0] = c->opened +
                      (int64_t)vg_rng_range(r, 60, fmin(1800, lead / 3.0));
        c->canceled = vg_rng_bern(r, sim->gen->opts.cancel_fraction);
        c->failed   = vg_rng_bern(r, c->p);
        c->has_upd  = !c->canceled &&
                     vg_rng_bern(r, sim->gen->opts.update_fraction);
        c->t_rec[1] = c->start + vg_rng_int(r, 300);
        if (c->canceled) {
                c->failed     = -1;
                c->close_code = -1;
                c->closed     = c->t_rec[0] + 1 +
                            (int64_t)((c->start - c->t_rec[0]) *
                                      vg_rng_range(r, 0.1, 0.9));
        } else {
                c->close_code =
                        c->failed ? 1 + vg_rng_pick(r, w_fail, 3) : 0;
                c->closed = c->end + 10 * VG_MIN +
                            (int64_t)vg_rng_exp(r, 3 * VG_HOUR);
        }
        c->t_rec[2] = c->closed;
        if (c->failed == 1) {
                int *pos = &sim->fail_pos[c->ci];
                sim->fails[c->ci][*pos] = c->closed;
                *pos = (*pos + 1) % VG_GEN_HIST;
        }
}

/** Emission keys: late records never overtake the change's next record. */
static void vg_chg_keys(vg_chgsim_t *sim, vg_chg_t *c)
{
        const vg_gen_opts_t *o = &sim->gen->opts;

        for (int i = 0; i < 3; i++)
                c->key[i] = vg_late_key(&sim->rng, o, c->t_rec[i]);
        if (c->has_upd) {
                if (c->key[0] > c->t_rec[1])
                        c->key[0] = c->t_rec[1];
                if (c->key[1] > c->t_rec[2])
                        c->key[1] = c->t_rec[2];
        } else if (c->key[0] > c->t_rec[2]) {
                c->key[0] = c->t_rec[2];
        }
}

static void vg_chgsim_init(vg_chgsim_t *sim, vg_gen_t *gen)
{
        const vg_gen_opts_t *o = &gen->opts;

        memset(sim, 0, sizeof(*sim));
        sim->gen = gen;
        vg_rng_seed(&sim->rng, o->seed, VG_STREAM_CHG);
        sim->mean_s   = o->mean_interarrival_s > 0 ? o->mean_interarrival_s
                                                   : 3600;
        sim->t_next   = vg_next_arrival(&sim->rng, o->start_ms / 1000,
                                        sim->mean_s);
        sim->fails    = vg_calloc(gen->ci_cnt, sizeof(*sim->fails));
        sim->fail_pos = vg_calloc(gen->ci_cnt, sizeof(*sim->fail_pos));
}

static void vg_chgsim_destroy(vg_chgsim_t *sim)
{
        vg_free(sim->fails);
        vg_free(sim->fail_pos);
}

/** Simulates the next change into \p c. */
static void vg_chgsim_next(vg_chgsim_t *sim, vg_chg_t *c)
{
        memset(c, 0, sizeof(*c));
        c->seq    = ++sim->seq;
        c->opened = sim->t_next;
        snprintf(c->number, sizeof(c->number), "CHG%07" PRId64,
                 30000 + c->seq);
        vg_chg_classify(sim, c);
        vg_chg_schedule(sim, c);
        vg_chg_short(sim, c);
        vg_chg_desc(sim, c);
        vg_chg_plans(sim, c);
        vg_chg_outcome(sim, c);
        vg_chg_keys(sim, c);
        sim->t_next = vg_next_arrival(&sim->rng, c->opened, sim->mean_s);
}

static void vg_chg_json_texts(json_t *o, const vg_chg_t *c)
{
        vg_js(o, "short_description", c->sdesc);
        vg_js(o, "description", c->desc);
        vg_js(o, "justification", c->justif);
        vg_js(o, "implementation_plan", c->impl);
        if (c->backout_style < 2)
                vg_js(o, "backout_plan", c->backout_style ? "" : c->backout);
        if (c->test_style < 2)
                vg_js(o, "test_plan", c->test_style ? "" : c->test);
}

/** @returns record \p rec (0 open, 1 update, 2 close) as a JSON line. */
static char *vg_chg_line(const vg_gen_t *gen, const vg_chg_t *c, int rec)
{
        json_t *o = json_object();
        const char *state = rec == 0   ? vg_open_states[c->open_state]
                            : rec == 1 ? "Implement"
                            : c->canceled ? "Canceled"
                                          : "Closed";

        int full = rec == 0 || gen->opts.full_updates;

        vg_js(o, "number", c->number);
        vg_js(o, "state", state);
        vg_js(o, "type", vg_type_names[c->type]);
        vg_js(o, "category", vg_cat_names[c->cat]);
        vg_js(o, "assignment_group", vg_team_names[c->team]);
        if (full)
                vg_js(o, "assigned_to", gen->people[c->person].name);
        vg_js(o, "cmdb_ci", gen->cis[c->ci].name);
        vg_js(o, "business_service", vg_services[gen->cis[c->ci].svc]);
        if (full) {
                vg_js(o, "risk", vg_risk_names[c->risk]);
                vg_js(o, "impact", vg_impact_names[c->impact]);
                vg_js(o, "priority", vg_prio_names[c->prio]);
        }
        vg_jt(o, "opened_at", c->opened);
        vg_jt(o, "start_date", c->start);
        vg_jt(o, "end_date", c->end);
        vg_jt(o, "closed_at", rec == 2 ? c->closed : 0);
        vg_js(o, "close_code",
              rec == 2 && !c->canceled ? vg_close_codes[c->close_code] : "");
        if (full)
                vg_chg_json_texts(o, c);
        vg_jt(o, "sys_updated_on", c->t_rec[rec]);
        return vg_dump(o);
}

static void vg_chg_push(const vg_gen_t *gen, const vg_chg_t *c, vg_heap_t *h)
{
        for (int rec = 0; rec < 3; rec++) {
                if (rec == 1 && !c->has_upd)
                        continue;
                vg_heap_push(h, c->key[rec], vg_chg_line(gen, c, rec), 0);
        }
}

static int vg_chg_truth(const vg_chg_t *c, FILE *fp)
{
        if (c->failed < 0)
                return fprintf(fp, "%s,%.6f,\n", c->number, c->p) < 0;
        return fprintf(fp, "%s,%.6f,%d\n", c->number, c->p, c->failed) < 0;
}

vg_err_t vg_gen_changes(vg_gen_t *gen, FILE *events, FILE *truth,
                        char *errstr, size_t errstr_size)
{
        vg_chgsim_t sim;
        vg_heap_t out = {0};
        vg_chg_t c;
        int werr = 0, terr = 0;

        vg_chgsim_init(&sim, gen);
        if (truth)
                terr |= fputs("number,p_true,failed\n", truth) == EOF;
        for (int64_t i = 0; i < gen->opts.count; i++) {
                vg_chgsim_next(&sim, &c);
                vg_chg_push(gen, &c, &out);
                if (truth)
                        terr |= vg_chg_truth(&c, truth);
                werr |= vg_heap_flush(&out, sim.t_next, events);
        }
        werr |= vg_heap_flush(&out, INT64_MAX, events);
        vg_heap_clear(&out);
        vg_chgsim_destroy(&sim);
        werr |= fflush(events) == EOF || ferror(events);
        if (truth)
                terr |= fflush(truth) == EOF || ferror(truth);
        if (werr || terr) {
                vg_set_err(errstr, errstr_size,
                           werr ? "change events" : "change truth");
                return VG_ERR_IO;
        }
        return VG_OK;
}

/*
 * Incidents.
 */
enum { VG_C_SW, VG_C_HW, VG_C_NET, VG_C_CONF, VG_C_USER, VG_C_CAP,
       VG_C_THIRD, VG_C_N };
static const char *vg_cause_names[VG_C_N] = {
        "Software",   "Hardware", "Network",    "Configuration",
        "User error", "Capacity", "Third party"};

/* P(u_cause | CI kind), in percent. */
static const double vg_cause_by_kind[VG_K_N][VG_C_N] = {
        [VG_K_DB]   = {30, 10, 5, 20, 5, 25, 5},
        [VG_K_LB]   = {10, 5, 35, 35, 0, 5, 10},
        [VG_K_NET]  = {5, 20, 45, 20, 0, 5, 5},
        [VG_K_FW]   = {5, 10, 25, 50, 0, 5, 5},
        [VG_K_VPN]  = {10, 5, 40, 25, 5, 5, 10},
        [VG_K_LNX]  = {30, 15, 5, 15, 5, 25, 5},
        [VG_K_WIN]  = {30, 15, 5, 15, 10, 20, 5},
        [VG_K_STOR] = {5, 45, 5, 10, 5, 25, 5},
        [VG_K_ESX]  = {10, 40, 10, 15, 0, 20, 5},
        [VG_K_APP]  = {45, 0, 5, 20, 10, 10, 10},
        [VG_K_K8S]  = {30, 5, 10, 25, 0, 25, 5},
};

static const char *vg_subcat_by_kind[VG_K_N] = {
        "Database", "Load Balancer", "LAN/WAN", "Firewall", "VPN",
        "Operating System", "Operating System", "Storage", "Virtualization",
        "Application", "Container Platform"};

typedef struct vg_subcause_s {
        int cause;
        const char *name, *symptom;
        const char *en[2], *fr[2];
} vg_subcause_t;

static const vg_subcause_t vg_subs[] = {
        {VG_C_SW, "Bug", "Error message",
         {"Application error 500 on %s when saving",
          "Unexpected exception in %s logs"},
         {"Erreur 500 sur %s à l'enregistrement",
          "Exception inattendue dans les logs de %s"}},
        {VG_C_SW, "Memory leak", "Slow / degraded",
         {"Memory usage keeps growing on %s",
          "Java heap exhausted on %s, service restarted"},
         {"Consommation mémoire qui augmente sans cesse sur %s",
          "Heap Java saturée sur %s, service redémarré"}},
        {VG_C_SW, "Crash", "Unavailable",
         {"Service crashed on %s, core dump generated",
          "Process stopped unexpectedly on %s"},
         {"Plantage du service sur %s",
          "Arrêt brutal du processus sur %s"}},
        {VG_C_SW, "Version incompatibility", "Error message",
         {"Client library version mismatch with %s",
          "API calls to %s rejected after upgrade"},
         {"Incompatibilité de version avec %s",
          "Appels API vers %s rejetés après montée de version"}},
        {VG_C_HW, "Disk failure", "Hardware alert",
         {"Disk failure reported by RAID controller on %s",
          "Degraded RAID array on %s"},
         {"Disque en panne sur %s", "Grappe RAID dégradée sur %s"}},
        {VG_C_HW, "Power supply", "Hardware alert",
         {"Redundant power supply lost on %s", "PSU failure alarm on %s"},
         {"Perte d'une alimentation redondante sur %s",
          "Alarme alimentation sur %s"}},
        {VG_C_HW, "Memory module", "Hardware alert",
         {"ECC memory errors on %s", "Faulty DIMM detected on %s"},
         {"Erreurs mémoire ECC sur %s",
          "Barrette mémoire défectueuse sur %s"}},
        {VG_C_NET, "DNS", "Cannot connect",
         {"Name resolution failures for %s", "DNS lookups for %s time out"},
         {"Échec de résolution DNS pour %s",
          "Résolution DNS de %s en timeout"}},
        {VG_C_NET, "Packet loss", "Slow / degraded",
         {"High packet loss towards %s",
          "Latency spikes and packet loss on %s"},
         {"Perte de paquets importante vers %s",
          "Pics de latence et perte de paquets sur %s"}},
        {VG_C_NET, "Link down", "Unavailable",
         {"Interface down on %s", "Uplink of %s lost"},
         {"Lien réseau tombé sur %s", "Perte du lien montant de %s"}},
        {VG_C_CONF, "Wrong parameter", "Error message",
         {"Wrong timeout parameter on %s causing errors",
          "Misconfigured setting on %s rejects requests"},
         {"Mauvais paramétrage du timeout sur %s",
          "Paramètre erroné sur %s, requêtes rejetées"}},
        {VG_C_CONF, "Expired certificate", "Cannot connect",
         {"SSL certificate expired on %s",
          "TLS handshake failures on %s, certificate expired"},
         {"Certificat SSL expiré sur %s",
          "Échec TLS sur %s, certificat expiré"}},
        {VG_C_CONF, "Change side effect", "Error message",
         {"Errors on %s since last night's change",
          "%s behaves differently after the maintenance"},
         {"Erreurs sur %s depuis le changement d'hier soir",
          "Comportement anormal de %s après la maintenance"}},
        {VG_C_CONF, "Permission", "Access denied",
         {"Access denied for the service account on %s",
          "Permission denied writing to %s"},
         {"Accès refusé pour le compte de service sur %s",
          "Droits insuffisants sur %s"}},
        {VG_C_USER, "Wrong manipulation", "Data incorrect",
         {"User deleted files by mistake on %s",
          "Wrong data entered in %s by a user"},
         {"Suppression de fichiers par erreur sur %s",
          "Mauvaise saisie dans %s par un utilisateur"}},
        {VG_C_USER, "Forgotten password", "Access denied",
         {"User locked out of %s, password forgotten",
          "Cannot log in to %s, forgot password"},
         {"Compte verrouillé sur %s, mot de passe oublié",
          "Impossible de se connecter à %s, mot de passe oublié"}},
        {VG_C_CAP, "Disk full", "Unavailable",
         {"Filesystem full on %s", "No space left on device on %s"},
         {"Espace disque saturé sur %s",
          "Système de fichiers plein sur %s"}},
        {VG_C_CAP, "CPU saturation", "Slow / degraded",
         {"CPU at 100%% on %s for 30 minutes", "Load average very high on %s"},
         {"CPU à 100%% sur %s depuis 30 minutes",
          "Charge très élevée sur %s"}},
        {VG_C_CAP, "Connection pool exhausted", "Slow / degraded",
         {"Connection pool exhausted on %s", "Too many connections on %s"},
         {"Pool de connexions saturé sur %s",
          "Trop de connexions sur %s"}},
        {VG_C_THIRD, "Vendor outage", "Unavailable",
         {"SaaS provider outage impacting %s",
          "Vendor cloud incident affecting %s"},
         {"Panne chez le fournisseur impactant %s",
          "Incident chez l'éditeur affectant %s"}},
        {VG_C_THIRD, "ISP outage", "Cannot connect",
         {"Internet provider outage affecting %s",
          "Carrier link failure towards %s"},
         {"Coupure opérateur affectant %s",
          "Panne du lien opérateur vers %s"}},
};

/* Generic texts: the noise that does not tell the cause. */
static const vg_subcause_t vg_inc_generic[] = {
        {-1, NULL, "Slow / degraded",
         {"Users report slowness on %s", "Intermittent errors on %s"},
         {"Lenteurs signalées sur %s", "Erreurs intermittentes sur %s"}},
        {-1, NULL, "Unavailable",
         {"%s not responding", "Alert raised by monitoring on %s"},
         {"%s ne répond plus", "Alerte de supervision sur %s"}},
};

static const char *vg_inc_contacts[] = {"Phone", "Email", "Self-service",
                                       "Monitoring"};
static const char *vg_inc_locations[] = {
        "Paris - La Défense", "Lyon - Part-Dieu", "Lille", "Nantes",
        "Toulouse", "London", "Remote"};
static const char *vg_inc_closed_codes[] = {
        "Solved (Permanently)", "Solved Remotely (Permanently)",
        "Solved (Work Around)", "Not Solved (Not Reproducible)",
        "Closed/Resolved by Caller"};
static const char *vg_inc_open_states[] = {"New", "Active",
                                           "Awaiting User Info"};

typedef struct vg_inc_s {
        int64_t seq;
        char number[24];
        int64_t opened, resolved, closed;
        int64_t t_rec[3], key[3]; /* open, resolved, closed */
        int ci, cause, sub, lang, impact, urgency, prio, team, contact;
        int location, caller, reassign, reopen, closed_code, open_state;
        int recurring;            /* pattern index or -1 */
        int spike;                /* planted VPN incident (vg_incsim_vpn) */
        char chg[24];             /* causing change ("" if none) */
        int chg_known;            /* rfc/caused_by set */
        char problem[16];
        const char *symptom;
        char sdesc[192], desc[384];
} vg_inc_t;

static int vg_sub_pick(vg_rng_t *r, int cause)
{
        int cnt = 0, k;

        for (int i = 0; i < VG_NELEM(vg_subs); i++)
                cnt += vg_subs[i].cause == cause;
        k = vg_rng_int(r, cnt);
        for (int i = 0; i < VG_NELEM(vg_subs); i++) {
                if (vg_subs[i].cause == cause && k-- == 0)
                        return i;
        }
        return 0;
}

static int vg_sub_find(int cause, const char *name)
{
        for (int i = 0; i < VG_NELEM(vg_subs); i++) {
                if (vg_subs[i].cause == cause && !strcmp(vg_subs[i].name, name))
                        return i;
        }
        return 0;
}

static void vg_gen_build_recurring(vg_gen_t *gen, vg_rng_t *r)
{
        for (int i = 0; i < VG_GEN_RECURRING; i++) {
                int ci, dup;
                do {
                        ci  = vg_rng_int(r, gen->ci_cnt);
                        dup = 0;
                        for (int j = 0; j < i; j++)
                                dup |= gen->rec_ci[j] == ci;
                } while (dup);
                int kind        = gen->cis[ci].kind;
                int cause       = vg_rng_pick(r, vg_cause_by_kind[kind],
                                              VG_C_N);
                gen->rec_ci[i]   = ci;
                gen->rec_sub[i]  = vg_sub_pick(r, cause);
                gen->rec_text[i] = vg_rng_int(r, 2);
        }
}

static const char *vg_inc_category(const vg_gen_t *gen, const vg_inc_t *inc)
{
        int kind = gen->cis[inc->ci].kind;

        if (inc->cause == VG_C_NET)
                return "Network";
        if (inc->cause == VG_C_HW)
                return "Hardware";
        if (inc->cause == VG_C_USER)
                return "Inquiry / Help";
        if (kind == VG_K_DB)
                return "Database";
        if (kind == VG_K_LB || kind == VG_K_NET || kind == VG_K_FW ||
            kind == VG_K_VPN)
                return "Network";
        if (kind == VG_K_STOR || kind == VG_K_ESX)
                return "Hardware";
        return "Software";
}

static const char *vg_inc_subcategory(const vg_gen_t *gen,
                                      const vg_inc_t *inc)
{
        if (inc->cause == VG_C_USER)
                return strcmp(vg_subs[inc->sub].name, "Forgotten password")
                               ? "How-to"
                               : "Password Reset";
        return vg_subcat_by_kind[gen->cis[inc->ci].kind];
}

/** Chooses cause, sub-cause; \p chg is the causing change or NULL. */
static void vg_inc_cause(vg_gen_t *gen, vg_rng_t *r, vg_inc_t *inc,
                         const char *chg)
{
        inc->recurring = -1;
        inc->chg[0]    = '\0';
        if (chg) {
                snprintf(inc->chg, sizeof(inc->chg), "%s", chg);
                inc->chg_known = vg_rng_bern(r, 0.6);
                if (vg_rng_bern(r, 0.6))
                        inc->sub = vg_sub_find(VG_C_CONF,
                                               vg_rng_bern(r, 0.5)
                                                       ? "Change side effect"
                                                       : "Wrong parameter");
                else
                        inc->sub = vg_sub_find(VG_C_SW,
                                               vg_rng_bern(r, 0.7)
                                                       ? "Bug"
                                                       : "Version "
                                                         "incompatibility");
        } else if (vg_rng_bern(r, 0.12)) {
                int k          = vg_rng_int(r, VG_GEN_RECURRING);
                inc->recurring = k;
                inc->ci        = gen->rec_ci[k];
                inc->sub       = gen->rec_sub[k];
                if (vg_rng_bern(r, 0.5))
                        snprintf(inc->problem, sizeof(inc->problem),
                                 "PRB%07d", 40001 + k);
        } else {
                inc->ci  = vg_gen_pick_ci(gen, r);
                inc->sub = vg_sub_pick(
                        r, vg_rng_pick(r,
                                       vg_cause_by_kind[gen->cis[inc->ci].kind],
                                       VG_C_N));
        }
        inc->cause = vg_subs[inc->sub].cause;
}

static void vg_inc_text(vg_gen_t *gen, vg_rng_t *r, vg_inc_t *inc)
{
        const char *ci = gen->cis[inc->ci].name;
        const vg_subcause_t *s = &vg_subs[inc->sub];
        int k = vg_rng_int(r, 2);
        size_t len;

        inc->lang = vg_rng_bern(r, 0.35);
        if (inc->recurring >= 0 && vg_rng_bern(r, 0.9)) {
                k = gen->rec_text[inc->recurring];
        } else if (vg_rng_bern(r, 0.25)) {
                s = &vg_inc_generic[vg_rng_int(r, VG_NELEM(vg_inc_generic))];
        }
        inc->symptom = s->symptom;
        snprintf(inc->sdesc, sizeof(inc->sdesc),
                 inc->lang ? s->fr[k] : s->en[k], ci);
        snprintf(inc->desc, sizeof(inc->desc),
                 inc->lang ? "%s. Signalé par %s via %s. %d utilisateurs "
                             "impactés."
                           : "%s. Reported by %s via %s. %d users impacted.",
                 inc->sdesc, gen->people[inc->caller].name,
                 vg_inc_contacts[inc->contact], 1 + vg_rng_int(r, 200));
        if (inc->chg[0] && vg_rng_bern(r, 0.3)) {
                len = strlen(inc->desc);
                snprintf(inc->desc + len, sizeof(inc->desc) - len, "%s",
                         inc->lang ? " Depuis l'intervention de cette nuit."
                                   : " Started after the maintenance window.");
        }
}

/** ServiceNow's priority matrix: impact x urgency -> 1..5 (0-based). */
static int vg_inc_priority(int impact, int urgency)
{
        static const int m[3][3] = {{0, 1, 2}, {1, 2, 3}, {2, 3, 4}};

        return m[impact][urgency];
}

static void vg_inc_fields(vg_gen_t *gen, vg_rng_t *r, vg_inc_t *inc)
{
        static const double w_imp_chg[] = {40, 40, 20};
        static const double w_imp[]     = {10, 35, 55};
        static const double w_urg[]     = {15, 40, 45};
        static const double w_code[]    = {50, 15, 20, 8, 7};
        static const double res_mean[]  = {2, 6, 30, 72, 120}; /* hours */
        const vg_ci_t *ci = &gen->cis[inc->ci];
        int infra = ci->kind != VG_K_APP;
        double u = vg_rng_unif(r);

        inc->impact  = vg_rng_pick(r, inc->chg[0] ? w_imp_chg : w_imp, 3);
        inc->urgency = vg_rng_pick(r, w_urg, 3);
        inc->prio    = vg_inc_priority(inc->impact, inc->urgency);
        inc->team    = u < 0.7 ? ci->owner : u < 0.8 ? ci->second : VG_T_SD;
        inc->contact = vg_rng_bern(r, infra ? 0.6 : 0.15)
                               ? 3
                               : vg_rng_int(r, 3);
        inc->location = vg_rng_int(r, VG_NELEM(vg_inc_locations));
        inc->caller   = vg_rng_int(r, gen->people_cnt);
        inc->reassign = 0;
        while (inc->reassign < 6 &&
               vg_rng_bern(r, inc->team == VG_T_SD ? 0.55 : 0.3))
                inc->reassign++;
        inc->reopen      = vg_rng_bern(r, 0.06) ? 1 + vg_rng_bern(r, 0.2) : 0;
        inc->closed_code = vg_rng_pick(r, w_code, 5);
        inc->open_state  = vg_rng_pick(r, (double[]){60, 35, 5}, 3);
        inc->resolved    = inc->opened + 10 * VG_MIN +
                        (int64_t)vg_rng_exp(r, res_mean[inc->prio] * VG_HOUR);
        inc->closed = inc->resolved + 3 * VG_DAY + vg_rng_int(r, 2 * VG_HOUR);
}

/** Fills the fields, texts and record times of \p inc, whose CI and cause
 *  are chosen. */
static void vg_inc_finish(vg_gen_t *gen, vg_rng_t *r, vg_inc_t *inc)
{
        const vg_gen_opts_t *o = &gen->opts;

        vg_inc_fields(gen, r, inc);
        vg_inc_text(gen, r, inc);
        inc->t_rec[0] = inc->opened + 60 + vg_rng_int(r, 9 * VG_MIN);
        if (inc->t_rec[0] >= inc->resolved)
                inc->t_rec[0] = inc->opened;
        inc->t_rec[1] = inc->resolved;
        inc->t_rec[2] = inc->closed;
        for (int i = 0; i < 3; i++)
                inc->key[i] = vg_late_key(r, o, inc->t_rec[i]);
        for (int i = 0; i < 2; i++) {
                if (inc->key[i] > inc->t_rec[i + 1])
                        inc->key[i] = inc->t_rec[i + 1];
        }
}

static void vg_inc_make(vg_gen_t *gen, vg_rng_t *r, vg_inc_t *inc,
                        const char *chg, int chg_ci)
{
        inc->ci = chg_ci;
        vg_inc_cause(gen, r, inc, chg);
        vg_inc_finish(gen, r, inc);
}

static void vg_inc_json_open(const vg_gen_t *gen, json_t *o,
                             const vg_inc_t *inc)
{
        vg_js(o, "u_symptom", inc->symptom);
        vg_js(o, "impact", vg_impact_names[inc->impact]);
        vg_js(o, "urgency", vg_impact_names[inc->urgency]);
        vg_js(o, "priority", vg_prio_names[inc->prio]);
        vg_js(o, "assignment_group", vg_team_names[inc->team]);
        vg_js(o, "contact_type", vg_inc_contacts[inc->contact]);
        vg_js(o, "location", vg_inc_locations[inc->location]);
        vg_js(o, "caller_id", gen->people[inc->caller].name);
        vg_js(o, "short_description", inc->sdesc);
        vg_js(o, "description", inc->desc);
}

/** @returns record \p rec (0 open, 1 resolved, 2 closed) as a JSON line. */
static char *vg_inc_line(const vg_gen_t *gen, const vg_inc_t *inc, int rec)
{
        static const char *states[] = {NULL, "Resolved", "Closed"};
        json_t *o = json_object();
        int full  = rec == 0 || gen->opts.full_updates;
        int res   = rec > 0;

        vg_js(o, "number", inc->number);
        vg_js(o, "incident_state",
              rec ? states[rec] : vg_inc_open_states[inc->open_state]);
        vg_jt(o, "opened_at", inc->opened);
        vg_jt(o, "resolved_at", res ? inc->resolved : 0);
        vg_jt(o, "closed_at", rec == 2 ? inc->closed : 0);
        if (rec == 2 && !full) {
                vg_js(o, "cmdb_ci", gen->cis[inc->ci].name);
                vg_js(o, "business_service",
                      vg_services[gen->cis[inc->ci].svc]);
                vg_jt(o, "sys_updated_on", inc->t_rec[rec]);
                return vg_dump(o);
        }
        vg_js(o, "category", vg_inc_category(gen, inc));
        vg_js(o, "subcategory", vg_inc_subcategory(gen, inc));
        vg_js(o, "cmdb_ci", gen->cis[inc->ci].name);
        vg_js(o, "business_service", vg_services[gen->cis[inc->ci].svc]);
        if (full)
                vg_inc_json_open(gen, o, inc);
        else
                vg_js(o, "priority", vg_prio_names[inc->prio]);
        vg_ji(o, "reassignment_count", res ? inc->reassign : 0);
        vg_ji(o, "reopen_count", res ? inc->reopen : 0);
        vg_js(o, "rfc", res && inc->chg_known ? inc->chg : "");
        vg_js(o, "caused_by", res && inc->chg_known ? inc->chg : "");
        vg_js(o, "problem_id", res ? inc->problem : "");
        vg_js(o, "closed_code",
              res ? vg_inc_closed_codes[inc->closed_code] : "");
        vg_js(o, "u_cause", res ? vg_cause_names[inc->cause] : "");
        vg_js(o, "u_sub_cause", res ? vg_subs[inc->sub].name : "");
        vg_jt(o, "sys_updated_on", inc->t_rec[rec]);
        return vg_dump(o);
}

static int vg_inc_truth(const vg_inc_t *inc, FILE *fp)
{
        char rec[16] = "";

        if (inc->recurring >= 0)
                snprintf(rec, sizeof(rec), "%d", inc->recurring);
        return fprintf(fp, "%s,%s,%s,%s,%s,%d\n", inc->number, inc->chg,
                       vg_cause_names[inc->cause], vg_subs[inc->sub].name,
                       rec, inc->spike) < 0;
}

/* Incident loop state: background arrivals merged with incidents caused by
 * failed changes (queued by time in \c cq, line = change number) and with
 * the planted VPN incidents (their own random stream, \c vrng, so that
 * the incidents before them are the same as without them). */
typedef struct vg_incsim_s {
        vg_gen_t *gen;
        vg_rng_t rng;
        vg_chgsim_t chg;
        vg_heap_t cq;
        int64_t t_bg;
        double mean_s;
        vg_rng_t vrng;
        int64_t t_vpn, vpn_to; /* next planted incident (INT64_MAX: none) */
        int vpn_ci[8], nvpn, vpn_culprit;
} vg_incsim_t;

/* The planted VPN incidents: from a day before the survey's
 * dissatisfaction spike on vpn_disconnects to its end, one per
 * VG_GEN_VPN_MULT mean background inter-arrivals. */
#define VG_GEN_VPN_FROM    (VG_SPIKE_FROM - VG_DAY)
#define VG_GEN_VPN_TO      VG_SPIKE_TO
#define VG_GEN_VPN_MULT    5.0
#define VG_GEN_VPN_CULPRIT 0.7

static void vg_incsim_vpn_init(vg_incsim_t *is)
{
        const vg_gen_t *gen = is->gen;
        int64_t t0 = gen->opts.start_ms / 1000;

        vg_rng_seed(&is->vrng, gen->opts.seed, VG_STREAM_VPN);
        for (int i = 0; i < gen->ci_cnt && is->nvpn < VG_NELEM(is->vpn_ci);
             i++) {
                if (gen->cis[i].kind == VG_K_VPN)
                        is->vpn_ci[is->nvpn++] = i;
        }
        is->t_vpn = INT64_MAX;
        if (is->nvpn == 0)
                return;
        is->vpn_culprit = is->vpn_ci[vg_rng_int(&is->vrng, is->nvpn)];
        is->vpn_to      = t0 + VG_GEN_VPN_TO;
        is->t_vpn = vg_next_arrival(&is->vrng, t0 + VG_GEN_VPN_FROM,
                                    VG_GEN_VPN_MULT * is->mean_s);
        if (is->t_vpn >= is->vpn_to)
                is->t_vpn = INT64_MAX;
}

/** A planted VPN incident at is->t_vpn: on the culprit gateway (70%) or
 *  another one, packet loss, a link down or the carrier. */
static void vg_incsim_vpn(vg_incsim_t *is, vg_inc_t *inc)
{
        static const char *subs[] = {"Packet loss", "Link down", "ISP outage"};
        static const double w_sub[] = {50, 25, 25};
        vg_rng_t *r = &is->vrng;
        int k;

        inc->opened    = is->t_vpn;
        inc->recurring = -1;
        inc->spike     = 1;
        inc->ci        = vg_rng_bern(r, VG_GEN_VPN_CULPRIT)
                                 ? is->vpn_culprit
                                 : is->vpn_ci[vg_rng_int(r, is->nvpn)];
        k              = vg_rng_pick(r, w_sub, VG_NELEM(w_sub));
        inc->sub       = vg_sub_find(k == 2 ? VG_C_THIRD : VG_C_NET, subs[k]);
        inc->cause     = vg_subs[inc->sub].cause;
        vg_inc_finish(is->gen, r, inc);
        is->t_vpn = vg_next_arrival(r, is->t_vpn, VG_GEN_VPN_MULT * is->mean_s);
        if (is->t_vpn >= is->vpn_to)
                is->t_vpn = INT64_MAX;
}

/** Simulates changes up to \p t and queues the incidents they cause. */
static void vg_incsim_changes(vg_incsim_t *is, int64_t t)
{
        vg_chg_t c;

        while (is->chg.t_next <= t) {
                vg_chgsim_next(&is->chg, &c);
                if (c.failed != 1 || !vg_rng_bern(&is->rng, 0.5))
                        continue;
                int64_t at = c.start +
                             (int64_t)vg_rng_range(&is->rng, 0,
                                                   c.end - c.start) +
                             (int64_t)vg_rng_exp(&is->rng, 2 * VG_HOUR);
                vg_heap_push(&is->cq, at, vg_strdup(c.number), c.ci);
        }
}

/** Fills the next incident's time, number and cause. */
static void vg_incsim_next(vg_incsim_t *is, vg_inc_t *inc, int64_t seq)
{
        memset(inc, 0, sizeof(*inc));
        inc->seq = seq;
        snprintf(inc->number, sizeof(inc->number), "INC%07" PRId64,
                 10000 + seq);
        vg_incsim_changes(is, is->t_bg);
        if (is->t_vpn <= is->t_bg &&
            (is->cq.n == 0 || is->t_vpn < is->cq.a[0].key)) {
                vg_incsim_vpn(is, inc);
        } else if (is->cq.n > 0 && is->cq.a[0].key <= is->t_bg) {
                vg_pend_t p = vg_heap_pop(&is->cq);
                inc->opened = p.key;
                vg_inc_make(is->gen, &is->rng, inc, p.line, p.aux);
                vg_free(p.line);
        } else {
                inc->opened = is->t_bg;
                is->t_bg = vg_next_arrival(&is->rng, is->t_bg, is->mean_s);
                vg_inc_make(is->gen, &is->rng, inc, NULL, 0);
        }
}

vg_err_t vg_gen_incidents(vg_gen_t *gen, FILE *events, FILE *truth,
                          char *errstr, size_t errstr_size)
{
        const vg_gen_opts_t *o = &gen->opts;
        vg_incsim_t is;
        vg_heap_t out = {0};
        vg_inc_t inc;
        int werr = 0, terr = 0;

        memset(&is, 0, sizeof(is));
        is.gen    = gen;
        is.mean_s = o->mean_interarrival_s > 0 ? o->mean_interarrival_s : 2400;
        vg_rng_seed(&is.rng, o->seed, VG_STREAM_INC);
        vg_chgsim_init(&is.chg, gen);
        is.t_bg = vg_next_arrival(&is.rng, o->start_ms / 1000, is.mean_s);
        vg_incsim_vpn_init(&is);
        if (truth)
                terr |= fputs("number,true_change,u_cause,u_sub_cause,"
                              "recurring,spike\n", truth) == EOF;
        for (int64_t i = 1; i <= o->count; i++) {
                vg_incsim_next(&is, &inc, i);
                for (int rec = 0; rec < 3; rec++)
                        vg_heap_push(&out, inc.key[rec],
                                     vg_inc_line(gen, &inc, rec), 0);
                if (truth)
                        terr |= vg_inc_truth(&inc, truth);
                werr |= vg_heap_flush(&out, inc.opened, events);
        }
        werr |= vg_heap_flush(&out, INT64_MAX, events);
        vg_heap_clear(&out);
        vg_heap_clear(&is.cq);
        vg_chgsim_destroy(&is.chg);
        werr |= fflush(events) == EOF || ferror(events);
        if (truth)
                terr |= fflush(truth) == EOF || ferror(truth);
        if (werr || terr) {
                vg_set_err(errstr, errstr_size,
                           werr ? "incident events" : "incident truth");
                return VG_ERR_IO;
        }
        return VG_OK;
}

/*
 * Surveys.
 */
typedef struct vg_topic_s {
        int service;
        const char *name;
        double mu, weight;
        const char *neg_en[2], *neg_fr[2], *pos_en[2], *pos_fr[2];
} vg_topic_t;

/* Topic 0 is the one whose dissatisfaction spikes. Complaints all carry a
 * negative word (slow, impossible, again, never, unacceptable, ...). */
static const vg_topic_t vg_topics[] = {
        {0, "vpn_disconnects", 2.9, 1.0,
         {"The VPN keeps disconnecting every hour",
          "VPN drops during calls, impossible to work"},
         {"Déconnexions VPN incessantes, impossible de travailler",
          "Le VPN coupe encore en pleine réunion"},
         {"VPN connection is stable now", "VPN issue fixed quickly"},
         {"Le VPN est enfin stable", "Connexion VPN rétablie rapidement"}},
        {0, "vpn_slow", 3.1, 0.8,
         {"VPN is very slow when opening shared files",
          "VPN still slow, never fixed"},
         {"Le VPN est très lent", "VPN toujours lent sur les partages"},
         {"VPN speed is fine now", "VPN performance improved"},
         {"Débit VPN correct maintenant", "Le VPN va beaucoup mieux"}},
        {1, "password_reset", 3.6, 1.2,
         {"Password reset took days, locked out again",
          "Impossible to reset my password alone"},
         {"Réinitialisation du mot de passe trop longue, encore bloqué",
          "Impossible de réinitialiser mon mot de passe"},
         {"Password reset done in minutes", "Account unlocked right away"},
         {"Mot de passe réinitialisé en quelques minutes",
          "Compte débloqué tout de suite"}},
        {1, "technician_friendly", 4.4, 1.2,
         {"The technician was not helpful", "Rude technician, disappointed"},
         {"Technicien peu aimable", "Intervenant désagréable, déçu"},
         {"The technician was friendly and patient",
          "Very kind technician who explained everything"},
         {"Technicien très sympathique et patient",
          "Intervenant aimable qui a tout expliqué"}},
        {1, "wait_time", 2.8, 1.0,
         {"Waited 40 minutes on the phone, unacceptable",
          "Nobody answered for hours, terrible"},
         {"40 minutes d'attente au téléphone, inacceptable",
          "Personne ne répond, attente trop longue"},
         {"Short waiting time", "Someone answered immediately"},
         {"Attente très courte", "Réponse immédiate au téléphone"}},
        {2, "laptop_slow", 2.8, 1.0,
         {"My laptop is still slow after the intervention",
          "Laptop freezes again, terrible"},
         {"Mon PC portable est toujours lent",
          "Le portable plante encore, c'est nul"},
         {"Laptop is fast again", "Laptop works well after the fix"},
         {"Mon portable est de nouveau rapide",
          "Le portable fonctionne bien après l'intervention"}},
        {2, "laptop_replacement", 4.0, 0.7,
         {"Laptop replacement never delivered",
          "Still waiting for my new laptop, unacceptable"},
         {"Remplacement du portable jamais livré",
          "Toujours pas de nouveau portable, inacceptable"},
         {"New laptop delivered quickly and well configured",
          "Smooth laptop replacement"},
         {"Nouveau portable livré rapidement et bien configuré",
          "Remplacement du portable sans souci"}},
        {3, "mailbox_full", 3.2, 0.8,
         {"Mailbox full again, cannot send emails",
          "Impossible to send attachments, quota too small"},
         {"Boîte mail encore pleine, impossible d'envoyer",
          "Quota de messagerie trop petit, encore bloqué"},
         {"Mailbox quota increased, thanks", "Email works fine now"},
         {"Quota de boîte mail augmenté, merci",
          "La messagerie fonctionne bien"}},
        {4, "wifi_coverage", 3.0, 0.8,
         {"Wi-Fi is terrible in meeting rooms",
          "Wi-Fi drops again on the 3rd floor"},
         {"Le Wi-Fi est nul dans les salles de réunion",
          "Le Wi-Fi coupe encore au 3e étage"},
         {"Wi-Fi works well now", "Good Wi-Fi coverage after the fix"},
         {"Le Wi-Fi fonctionne bien maintenant",
          "Bonne couverture Wi-Fi après l'intervention"}},
        {5, "printer_issues", 3.1, 0.6,
         {"Printer jammed again, frustrating",
          "Printing still impossible from my laptop"},
         {"Imprimante encore en panne, frustrant",
          "Toujours impossible d'imprimer"},
         {"Printer repaired, works fine", "Printing works again"},
         {"Imprimante réparée, tout fonctionne",
          "L'impression fonctionne de nouveau"}},
};

static const char *vg_closers[2][2][2] = {
        /* negative, positive x en, fr */
        {{" Very disappointed.", " Not resolved at all."},
         {" Très déçu.", " Toujours pas résolu."}},
        {{" Thanks a lot!", " Great service."},
         {" Merci beaucoup !", " Super service."}}};

#define VG_SPIKE_MULT 4.0
#define VG_SPIKE_DROP 1.3

enum { VG_PII_NONE, VG_PII_EMAIL, VG_PII_PHONE, VG_PII_NAME, VG_PII_IBAN };
static const char *vg_pii_names[] = {"", "email", "phone", "name", "iban"};

typedef struct vg_srv_s {
        int64_t seq, t, key;
        int topic, score, lang, person, spike, pii;
        char comment[384];
} vg_srv_t;


/* A French IBAN with valid check digits (ISO 13616: the BBAN, then "FR00"
 * as digits, mod 97), as real ones have: a scrubber that checks them must
 * find it. */
static void vg_gen_iban(char *buf, size_t size, int g1, int g2, int g3,
                        int g4)
{
        char bban[32], num[48], iban[40];
        unsigned m = 0;
        snprintf(bban, sizeof(bban), "30006%04d%04d%04d%03d000", g1, g2, g3,
                 g4);
        snprintf(num, sizeof(num), "%s152700", bban); /* F=15 R=27 00 */
        for (const char *c = num; *c; c++)
                m = (m * 10 + (unsigned)(*c - '0')) % 97;
        snprintf(iban, sizeof(iban), "FR%02u%s", 98 - m, bban);
        size_t o = 0;
        for (size_t i = 0; iban[i] && o + 2 < size; i++) {
                if (i && i % 4 == 0)
                        buf[o++] = ' ';
                buf[o++] = iban[i];
        }
        buf[o] = '\0';
}

static void vg_srv_pii_value(vg_gen_t *gen, vg_rng_t *r, vg_srv_t *s,
                             char *buf, size_t size)
{
        const vg_person_t *p = &gen->people[vg_rng_int(r, gen->people_cnt)];
        int a = vg_rng_int(r, 100), b = vg_rng_int(r, 100),
            c = vg_rng_int(r, 100), d = vg_rng_int(r, 100);

        switch (s->pii) {
        case VG_PII_EMAIL:
                snprintf(buf, size, "%s", vg_rng_bern(r, 0.5)
                                                  ? p->email
                                                  : "jean.dupont@gmail.com");
                break;
        case VG_PII_PHONE:
                snprintf(buf, size,
                         vg_rng_bern(r, 0.5) ? "0%d %02d %02d %02d %02d"
                                             : "+33 %d %02d %02d %02d %02d",
                         6 + vg_rng_int(r, 2), a, b, c, d);
                break;
        case VG_PII_NAME:
                snprintf(buf, size, "%s",
                         gen->people[vg_rng_int(r, VG_T_N *
                                                       VG_GEN_TEAM_SIZE)]
                                 .name);
                break;
        default:
                vg_gen_iban(buf, size, a * 100 + b, c * 100 + d,
                            vg_rng_int(r, 10000), vg_rng_int(r, 1000));
        }
}

static void vg_srv_pii(vg_gen_t *gen, vg_rng_t *r, vg_srv_t *s)
{
        static const char *fmt[2][4] = {
                {" Contact me at %s.", " Call me back on %s.",
                 " Thanks to %s for the help.", " Please refund to IBAN %s."},
                {" Contactez-moi à %s.", " Rappelez-moi au %s.",
                 " Merci à %s pour son aide.",
                 " Remboursement sur l'IBAN %s."}};
        char val[64];
        size_t len = strlen(s->comment);

        s->pii = 1 + vg_rng_int(r, 4);
        vg_srv_pii_value(gen, r, s, val, sizeof(val));
        snprintf(s->comment + len, sizeof(s->comment) - len,
                 fmt[s->lang][s->pii - 1], val);
}

static void vg_srv_comment(vg_gen_t *gen, vg_rng_t *r, vg_srv_t *s)
{
        const vg_topic_t *tp = &vg_topics[s->topic];
        int neg = s->score <= 2 || (s->score == 3 && vg_rng_bern(r, 0.6));
        int k   = vg_rng_int(r, 2);
        const char *ph = neg ? (s->lang ? tp->neg_fr[k] : tp->neg_en[k])
                             : (s->lang ? tp->pos_fr[k] : tp->pos_en[k]);
        size_t len;

        s->comment[0] = '\0';
        if (vg_rng_bern(r, 0.08))
                return;
        snprintf(s->comment, sizeof(s->comment), "%s.", ph);
        if ((neg && s->score <= 2) || (!neg && s->score >= 4)) {
                if (vg_rng_bern(r, 0.5)) {
                        len = strlen(s->comment);
                        snprintf(s->comment + len, sizeof(s->comment) - len,
                                 "%s",
                                 vg_closers[!neg][s->lang][vg_rng_int(r, 2)]);
                }
        }
        if (vg_rng_bern(r, 0.15))
                vg_srv_pii(gen, r, s);
}

static void vg_srv_make(vg_gen_t *gen, vg_rng_t *r, vg_srv_t *s)
{
        double w[VG_NELEM(vg_topics)], mu;
        int64_t since = s->t - gen->opts.start_ms / 1000;

        s->spike = since >= VG_SPIKE_FROM && since < VG_SPIKE_TO;
        for (int i = 0; i < VG_NELEM(vg_topics); i++)
                w[i] = vg_topics[i].weight;
        if (s->spike)
                w[0] *= VG_SPIKE_MULT;
        s->topic = vg_rng_pick(r, w, VG_NELEM(vg_topics));
        mu = vg_topics[s->topic].mu -
             (s->spike && s->topic == 0 ? VG_SPIKE_DROP : 0);
        s->score = (int)lround(mu + 0.8 * vg_rng_norm(r));
        s->score = s->score < 1 ? 1 : s->score > 5 ? 5 : s->score;
        s->lang   = vg_rng_bern(r, 0.4);
        s->person = VG_T_N * VG_GEN_TEAM_SIZE +
                    vg_rng_int(r, VG_GEN_RESPONDENTS);
        vg_srv_comment(gen, r, s);
        s->key = vg_late_key(r, &gen->opts, s->t);
}

static char *vg_srv_line(const vg_gen_t *gen, const vg_srv_t *s)
{
        const vg_person_t *p = &gen->people[s->person];
        json_t *o = json_object();
        char id[16];

        snprintf(id, sizeof(id), "SRV%06" PRId64, s->seq);
        vg_js(o, "response_id", id);
        vg_js(o, "survey", "IT support satisfaction");
        vg_js(o, "respondent", p->email);
        vg_js(o, "entity", vg_entities[p->entity]);
        vg_js(o, "service", vg_services[vg_topics[s->topic].service]);
        vg_jt(o, "submitted_at", s->t);
        vg_ji(o, "score", s->score);
        vg_js(o, "comment", s->comment);
        vg_js(o, "language", s->lang ? "fr" : "en");
        vg_jt(o, "sys_updated_on", s->t);
        return vg_dump(o);
}

vg_err_t vg_gen_surveys(vg_gen_t *gen, FILE *events, FILE *truth,
                        char *errstr, size_t errstr_size)
{
        const vg_gen_opts_t *o = &gen->opts;
        double mean = o->mean_interarrival_s > 0 ? o->mean_interarrival_s
                                                 : 7200;
        vg_heap_t out = {0};
        vg_rng_t r;
        vg_srv_t s;
        int64_t t = o->start_ms / 1000;
        int werr = 0, terr = 0;

        vg_rng_seed(&r, o->seed, VG_STREAM_SRV);
        if (truth)
                terr |= fputs("response_id,topic,spike,pii\n", truth) == EOF;
        for (int64_t i = 1; i <= o->count; i++) {
                memset(&s, 0, sizeof(s));
                s.seq = i;
                s.t = t = vg_next_arrival(&r, t, mean);
                vg_srv_make(gen, &r, &s);
                werr |= vg_heap_flush(&out, s.t, events);
                vg_heap_push(&out, s.key, vg_srv_line(gen, &s), 0);
                if (truth)
                        terr |= fprintf(truth, "SRV%06" PRId64 ",%s,%d,%s\n",
                                        s.seq, vg_topics[s.topic].name,
                                        s.spike, vg_pii_names[s.pii]) < 0;
        }
        werr |= vg_heap_flush(&out, INT64_MAX, events);
        vg_heap_clear(&out);
        werr |= fflush(events) == EOF || ferror(events);
        if (truth)
                terr |= fflush(truth) == EOF || ferror(truth);
        if (werr || terr) {
                vg_set_err(errstr, errstr_size,
                           werr ? "survey events" : "survey truth");
                return VG_ERR_IO;
        }
        return VG_OK;
}

vg_err_t vg_gen_run(vg_gen_t *gen, const char *kind, FILE *events,
                    FILE *truth, char *errstr, size_t errstr_size)
{
        if (!strcmp(kind, "changes"))
                return vg_gen_changes(gen, events, truth, errstr,
                                      errstr_size);
        if (!strcmp(kind, "incidents"))
                return vg_gen_incidents(gen, events, truth, errstr,
                                        errstr_size);
        if (!strcmp(kind, "surveys"))
                return vg_gen_surveys(gen, events, truth, errstr,
                                      errstr_size);
        snprintf(errstr, errstr_size,
                 "Unknown event kind \"%s\": expected changes, incidents or "
                 "surveys", kind);
        return VG_ERR_INVALID;
}
