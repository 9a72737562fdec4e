/**
 * @file chg_rules.c
 * @brief Recommendation rules (see chg_rules.h).
 */
#include "chg_rules.h"
#include "chg_band.h"
#include "vg_mem.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The built-in table, used when no change.rule.* is configured. */
static const char *const chg_default_rules[] = {
        "type=Emergency & night & team_failure_rate_90d>=0.3 => Emergency "
        "change at night by a team with {team_failure_rate_90d} recent "
        "failures: require CAB review",
        "band>=CRITICAL => Critical risk ({p_failure}): require CAB approval "
        "and a go/no-go checkpoint before the window",
        "backout_plan=0 => No backout plan: write and rehearse one before "
        "the window",
        "test_plan=0 & p_failure>=0.15 => No test plan on a change at "
        "{p_failure} risk: add a post-implementation verification",
        "collisions>0 => {collisions} other change(s) on the same CI overlap "
        "the planned window: coordinate or reschedule",
        "ci_failures_90d>=2 => The CI had {ci_failures_90d} failed changes "
        "in 90 days: involve its owner and plan extra monitoring",
        "ci_incidents_30d>=3 => {ci_incidents_30d} incidents on this CI in "
        "30 days: check open problems before changing it",
        "lead_hours<24 & type!=Emergency => Scheduled less than a day after "
        "it was raised: confirm approvals and communication are complete",
        "band=LOW & type=Standard => Low-risk standard change: eligible for "
        "auto-approval",
        NULL,
};

typedef enum { OP_TRUE, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } chg_op_t;

typedef struct chg_term_s {
        int field;
        chg_op_t op;
        char value[64];
        double num; /**< value, parsed once (numeric fields) */
        int band;   /**< value's band rank, or -1 */
} chg_term_t;

typedef struct chg_rule_s {
        chg_term_t terms[8];
        int nterms;
        char *sentence;
} chg_rule_t;

struct chg_rules_s {
        chg_rule_t *rules;
        int n;
};

/* ---------------------------------------------------------------------- */
/* Facts                                                                  */

typedef struct chg_field_s {
        const char *name;
        size_t off;
        int is_str;
        int pct; /**< quoted as a percentage */
} chg_field_t;

#define F_NUM(n, pct) {#n, offsetof(chg_facts_t, n), 0, pct}
#define F_STR(n)      {#n, offsetof(chg_facts_t, n), 1, 0}

static const chg_field_t chg_fields[] = {
        F_STR(type),
        F_STR(category),
        F_STR(band),
        F_NUM(p_failure, 1),
        F_NUM(lead_hours, 0),
        F_NUM(duration_hours, 0),
        F_NUM(team_failure_rate_90d, 1),
        F_NUM(night, 0),
        F_NUM(weekend, 0),
        F_NUM(backout_plan, 0),
        F_NUM(test_plan, 0),
        F_NUM(team_changes_90d, 0),
        F_NUM(ci_failures_90d, 0),
        F_NUM(ci_incidents_30d, 0),
        F_NUM(collisions, 0),
};
#define CHG_NFIELDS (int)(sizeof(chg_fields) / sizeof(chg_fields[0]))

static int chg_field_find(const char *name, size_t len)
{
        for (int i = 0; i < CHG_NFIELDS; i++)
                if (strlen(chg_fields[i].name) == len &&
                    !strncmp(chg_fields[i].name, name, len))
                        return i;
        return -1;
}

static double chg_num(const chg_facts_t *f, int i)
{
        return *(const double *)((const char *)f + chg_fields[i].off);
}

static const char *chg_str(const chg_facts_t *f, int i)
{
        const char *s = *(const char *const *)((const char *)f +
                                               chg_fields[i].off);
        return s ? s : "";
}

/* ---------------------------------------------------------------------- */
/* Parsing                                                                */

static char *chg_trim(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = '\0';
        return s;
}

/* Parses "field OP value" or a bare "field". @returns NULL or why. */
static const char *chg_term_parse(chg_term_t *t, char *s)
{
        static const struct { const char *tok; chg_op_t op; } ops[] = {
                {">=", OP_GE}, {"<=", OP_LE}, {"!=", OP_NE},
                {"=", OP_EQ},  {"<", OP_LT},  {">", OP_GT},
        };
        char *at = NULL;
        size_t oplen = 0;

        s     = chg_trim(s);
        t->op = OP_TRUE;
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && !at; i++) {
                if ((at = strstr(s, ops[i].tok))) {
                        t->op = ops[i].op;
                        oplen = strlen(ops[i].tok);
                }
        }
        size_t flen = at ? (size_t)(at - s) : strlen(s);
        while (flen > 0 && isspace((unsigned char)s[flen - 1]))
                flen--;
        if ((t->field = chg_field_find(s, flen)) < 0)
                return "unknown field";
        if (at)
                snprintf(t->value, sizeof(t->value), "%s",
                         chg_trim(at + oplen));
        t->band = chg_band_index(t->value);
        if (at && !chg_fields[t->field].is_str) {
                char *end;
                t->num = strtod(t->value, &end);
                if (end == t->value || *end)
                        return "expected a number after the operator";
        }
        return NULL;
}

static int chg_rule_parse(chg_rule_t *r, const char *key, const char *text,
                          char *errstr, size_t errstr_size)
{
        char *copy = vg_strdup(text), *save = NULL, *term;
        char *arrow = strstr(copy, "=>");
        const char *why = NULL;

        memset(r, 0, sizeof(*r));
        if (!arrow) {
                snprintf(errstr, errstr_size, "%s: expected CONDITION => "
                         "SENTENCE", key);
                vg_free(copy);
                return -1;
        }
        *arrow      = '\0';
        r->sentence = vg_strdup(chg_trim(arrow + 2));
        for (term = strtok_r(copy, "&", &save); term && !why;
             term = strtok_r(NULL, "&", &save)) {
                if (r->nterms == 8)
                        why = "more than 8 terms";
                else
                        why = chg_term_parse(&r->terms[r->nterms++], term);
        }
        if (!why && (!r->nterms || !*r->sentence))
                why = "empty condition or sentence";
        if (why) {
                snprintf(errstr, errstr_size, "%s: %s in \"%s\"", key, why,
                         text);
                vg_free(r->sentence);
        }
        vg_free(copy);
        return why ? -1 : 0;
}

typedef struct {
        chg_rules_t *r;
        char *errstr;
        size_t errstr_size;
        int failed;
} chg_rules_load_t;

static void chg_rules_add(const char *key, const char *text, void *opaque)
{
        chg_rules_load_t *l = opaque;
        if (l->failed)
                return;
        l->r->rules = vg_realloc(l->r->rules,
                                 sizeof(*l->r->rules) * (l->r->n + 1));
        if (chg_rule_parse(&l->r->rules[l->r->n], key, text, l->errstr,
                           l->errstr_size))
                l->failed = 1;
        else
                l->r->n++;
}

chg_rules_t *chg_rules_new(const vg_conf_t *conf, char *errstr,
                           size_t errstr_size)
{
        chg_rules_t *r     = vg_calloc(1, sizeof(*r));
        chg_rules_load_t l = {r, errstr, errstr_size, 0};
        char key[32];

        if (conf && vg_conf_list_foreach(conf, "change.rule.", chg_rules_add,
                                         &l) == 0) {
                for (int i = 0; chg_default_rules[i] && !l.failed; i++) {
                        snprintf(key, sizeof(key), "built-in rule %d", i + 1);
                        chg_rules_add(key, chg_default_rules[i], &l);
                }
        } else if (!conf) {
                for (int i = 0; chg_default_rules[i] && !l.failed; i++)
                        chg_rules_add("built-in", chg_default_rules[i], &l);
        }
        if (l.failed) {
                chg_rules_destroy(r);
                return NULL;
        }
        return r;
}

void chg_rules_destroy(chg_rules_t *r)
{
        if (!r)
                return;
        for (int i = 0; i < r->n; i++)
                vg_free(r->rules[i].sentence);
        vg_free(r->rules);
        vg_free(r);
}

int chg_rules_count(const chg_rules_t *r)
{
        return r->n;
}

/* ---------------------------------------------------------------------- */
/* Evaluation                                                             */

static int chg_cmp_holds(chg_op_t op, double a, double b)
{
        switch (op) {
        case OP_EQ: return a == b;
        case OP_NE: return a != b;
        case OP_LT: return a < b;
        case OP_LE: return a <= b;
        case OP_GT: return a > b;
        case OP_GE: return a >= b;
        default: return a != 0;
        }
}

static int chg_term_holds(const chg_term_t *t, const chg_facts_t *f)
{
        const chg_field_t *fd = &chg_fields[t->field];
        if (!fd->is_str)
                return chg_cmp_holds(t->op, chg_num(f, t->field), t->num);
        const char *s = chg_str(f, t->field);
        if (t->op == OP_TRUE)
                return *s != '\0';
        int a = t->band >= 0 ? chg_band_index(s) : -1;
        if (a >= 0) /* bands compare by rank */
                return chg_cmp_holds(t->op, a, t->band);
        int c = strcasecmp(s, t->value);
        return chg_cmp_holds(t->op, c, 0);
}

/* Fills {field}s of \p tmpl from \p f into \p out. */
static void chg_render(const char *tmpl, const chg_facts_t *f, char *out,
                       size_t size)
{
        size_t o = 0;
        for (const char *s = tmpl; *s && o + 1 < size;) {
                const char *e = *s == '{' ? strchr(s, '}') : NULL;
                int fi = e ? chg_field_find(s + 1, (size_t)(e - s - 1)) : -1;
                if (fi < 0) {
                        out[o++] = *s++;
                        continue;
                }
                const chg_field_t *fd = &chg_fields[fi];
                if (fd->is_str)
                        o += snprintf(out + o, size - o, "%s", chg_str(f, fi));
                else if (fd->pct)
                        o += snprintf(out + o, size - o, "%.0f%%",
                                      100.0 * chg_num(f, fi));
                else
                        o += snprintf(out + o, size - o, "%g", chg_num(f, fi));
                if (o >= size)
                        o = size - 1;
                s = e + 1;
        }
        out[o] = '\0';
}

int chg_rules_apply(const chg_rules_t *r, const chg_facts_t *f,
                    void (*emit)(const char *sentence, void *opaque),
                    void *opaque)
{
        char buf[512];
        int n = 0;
        for (int i = 0; i < r->n; i++) {
                const chg_rule_t *rule = &r->rules[i];
                int ok                 = 1;
                for (int t = 0; t < rule->nterms && ok; t++)
                        ok = chg_term_holds(&rule->terms[t], f);
                if (!ok)
                        continue;
                chg_render(rule->sentence, f, buf, sizeof(buf));
                emit(buf, opaque);
                n++;
        }
        return n;
}
