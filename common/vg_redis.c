/**
 * @file vg_redis.c
 * @brief The Redis feature store (see vg_redis.h): connection, backoff,
 *        pipelined batches, key layout helpers.
 */
#include "vg_redis.h"
#include "vg_conf.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_time.h"

#include <hiredis/hiredis.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/*
 * Configuration
 */

struct vg_redis_conf_s {
        char *host;
        char *password; /* NULL: no AUTH */
        char *prefix;
        int port;
        int db;
        int connect_timeout_ms;
        int command_timeout_ms;
        int backoff_ms;
        int backoff_max_ms;
};

typedef enum { VG_RCONF_INT, VG_RCONF_STR } vg_rconf_type_t;

static const struct vg_rconf_prop {
        const char *name;
        vg_rconf_type_t type;
        size_t offset;
        int min, max;
        const char *def;
        const char *desc;
} vg_rconf_props[] = {
        {"host", VG_RCONF_STR, offsetof(vg_redis_conf_t, host), 0, 0,
         "127.0.0.1", "Redis server host name or address."},
        {"port", VG_RCONF_INT, offsetof(vg_redis_conf_t, port), 1, 65535,
         "6379", "Redis server TCP port."},
        {"db", VG_RCONF_INT, offsetof(vg_redis_conf_t, db), 0, 1000000,
         "0", "Database number (SELECT)."},
        {"password", VG_RCONF_STR, offsetof(vg_redis_conf_t, password), 0, 0,
         NULL, "Password (AUTH); unset: no AUTH."},
        {"prefix", VG_RCONF_STR, offsetof(vg_redis_conf_t, prefix), 0, 0,
         "vigie:", "Prefix of every key."},
        {"connect.timeout.ms", VG_RCONF_INT,
         offsetof(vg_redis_conf_t, connect_timeout_ms), 1, 600000, "500",
         "Timeout of a connection attempt."},
        {"command.timeout.ms", VG_RCONF_INT,
         offsetof(vg_redis_conf_t, command_timeout_ms), 1, 600000, "1000",
         "Socket read/write timeout of a batch."},
        {"reconnect.backoff.ms", VG_RCONF_INT,
         offsetof(vg_redis_conf_t, backoff_ms), 1, 600000, "50",
         "First reconnect backoff delay, doubled after each failure."},
        {"reconnect.backoff.max.ms", VG_RCONF_INT,
         offsetof(vg_redis_conf_t, backoff_max_ms), 1, 3600000, "5000",
         "Maximum reconnect backoff delay."},
};

#define VG_RCONF_CNT (sizeof(vg_rconf_props) / sizeof(vg_rconf_props[0]))

static void vg_redis_seterr(char *errstr, size_t errstr_size,
                            const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void vg_redis_seterr(char *errstr, size_t errstr_size,
                            const char *fmt, ...)
{
        va_list ap;

        if (!errstr || !errstr_size)
                return;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
}

static vg_err_t vg_rconf_apply(vg_redis_conf_t *conf,
                               const struct vg_rconf_prop *p,
                               const char *value, char *errstr,
                               size_t errstr_size)
{
        char *end;
        long v;

        if (p->type == VG_RCONF_STR) {
                char **sp = (char **)((char *)conf + p->offset);
                vg_free(*sp);
                *sp = value ? vg_strdup(value) : NULL;
                return VG_OK;
        }
        errno = 0;
        v     = value ? strtol(value, &end, 10) : 0;
        if (!value || !*value || *end || errno || v < p->min || v > p->max) {
                vg_redis_seterr(errstr, errstr_size,
                                "Invalid value for configuration property "
                                "\"%s\": expected an integer in %d..%d, "
                                "not \"%s\"",
                                p->name, p->min, p->max,
                                value ? value : "(null)");
                return VG_ERR_INVALID;
        }
        *(int *)((char *)conf + p->offset) = (int)v;
        return VG_OK;
}

vg_err_t vg_redis_conf_set(vg_redis_conf_t *conf, const char *name,
                           const char *value, char *errstr,
                           size_t errstr_size)
{
        for (size_t i = 0; i < VG_RCONF_CNT; i++) {
                if (!strcmp(vg_rconf_props[i].name, name))
                        return vg_rconf_apply(conf, &vg_rconf_props[i], value,
                                              errstr, errstr_size);
        }
        vg_redis_seterr(errstr, errstr_size,
                        "No such configuration property: \"%s\"", name);
        return VG_ERR_NOENT;
}

vg_redis_conf_t *vg_redis_conf_new(void)
{
        vg_redis_conf_t *conf = vg_calloc(1, sizeof(*conf));

        for (size_t i = 0; i < VG_RCONF_CNT; i++) {
                vg_err_t err = vg_rconf_apply(conf, &vg_rconf_props[i],
                                              vg_rconf_props[i].def, NULL, 0);
                (void)err; /* the defaults are valid */
        }
        return conf;
}

void vg_redis_conf_destroy(vg_redis_conf_t *conf)
{
        if (!conf)
                return;
        vg_free(conf->host);
        vg_free(conf->password);
        vg_free(conf->prefix);
        vg_free(conf);
}

/*
 * Batches
 */

struct vg_redis_batch_s {
        char *buf;            /* the commands, RESP-encoded */
        size_t len, size;
        size_t cnt;           /* number of commands */
        redisReply **replies; /* cnt replies after a successful exec */
        size_t rsize;
        size_t nread;         /* replies read so far (all: nsent) */
        size_t nsent, sent_len; /* commands and bytes of buf sent */
        char token[64];       /* mark_once value base, see batch_reset */
        vg_redis_t *sent_on;  /* sent, replies not read yet (in flight) */
        vg_redis_batch_t *next; /* in sent_on's queue */
        vg_err_t sent_err;    /* outcome of the last send + wait */
        char sent_errstr[256];
};

static atomic_uint_fast64_t vg_redis_batch_seq;

static void vg_redis_batch_new_token(vg_redis_batch_t *b)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(b->token, sizeof(b->token), "%lx.%" PRIxFAST64 ".%llx",
                 (unsigned long)getpid(),
                 atomic_fetch_add(&vg_redis_batch_seq, 1),
                 (unsigned long long)ts.tv_sec * 1000000000ull +
                         (unsigned long long)ts.tv_nsec);
}

static void vg_redis_batch_free_replies(vg_redis_batch_t *b)
{
        for (size_t i = 0; i < b->nread; i++)
                freeReplyObject(b->replies[i]);
        b->nread = 0;
}

vg_redis_batch_t *vg_redis_batch_new(void)
{
        vg_redis_batch_t *b = vg_calloc(1, sizeof(*b));

        vg_redis_batch_new_token(b);
        return b;
}

static void vg_redis_batch_settle(vg_redis_batch_t *b);

void vg_redis_batch_destroy(vg_redis_batch_t *b)
{
        if (!b)
                return;
        vg_redis_batch_settle(b);
        vg_redis_batch_free_replies(b);
        vg_free(b->replies);
        vg_free(b->buf);
        vg_free(b);
}

void vg_redis_batch_reset(vg_redis_batch_t *b)
{
        vg_redis_batch_settle(b);
        vg_redis_batch_free_replies(b);
        b->len = b->sent_len = 0;
        b->cnt = b->nsent = 0;
        vg_redis_batch_new_token(b);
}

size_t vg_redis_batch_cnt(const vg_redis_batch_t *b)
{
        return b->cnt;
}

size_t vg_redis_batch_unsent(const vg_redis_batch_t *b)
{
        return b->cnt - b->nsent;
}

static void vg_redis_batch_put(vg_redis_batch_t *b, const void *p, size_t len)
{
        if (b->len + len > b->size) {
                size_t nsize = b->size ? b->size : 1024;
                while (nsize < b->len + len)
                        nsize *= 2;
                b->buf  = vg_realloc(b->buf, nsize);
                b->size = nsize;
        }
        memcpy(b->buf + b->len, p, len);
        b->len += len;
}

/* Decimal text of \p v into \p buf (at least 21 bytes), NUL-terminated:
 * snprintf's generic path is the hot spot of a pipelined batch.
 * @returns the length. */
static int vg_redis_i64(char *buf, int64_t v)
{
        char tmp[24];
        int n = 0, o = 0;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

        do {
                tmp[n++] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                buf[o++] = '-';
        while (n)
                buf[o++] = tmp[--n];
        buf[o] = '\0';
        return o;
}

/* "*<n>\r\n" or "$<n>\r\n" */
static void vg_redis_batch_hdr(vg_redis_batch_t *b, char c, size_t n)
{
        char hdr[32];
        int len = 1 + vg_redis_i64(hdr + 1, (int64_t)n);

        hdr[0]       = c;
        hdr[len]     = '\r';
        hdr[len + 1] = '\n';
        vg_redis_batch_put(b, hdr, (size_t)len + 2);
}

size_t vg_redis_batch_argv(vg_redis_batch_t *b, int argc, const char **argv,
                           const size_t *argvlen)
{
        /* The replies of the commands before stay: a batch in flight
         * gets more commands for its next vg_redis_batch_send_more(). */
        vg_redis_batch_hdr(b, '*', (size_t)argc);
        for (int i = 0; i < argc; i++) {
                size_t len = argvlen ? argvlen[i] : strlen(argv[i]);
                vg_redis_batch_hdr(b, '$', len);
                vg_redis_batch_put(b, argv[i], len);
                vg_redis_batch_put(b, "\r\n", 2);
        }
        return b->cnt++;
}

#define VG_REDIS_MAXARGS 16

size_t vg_redis_batch_cmd(vg_redis_batch_t *b, const char *arg0, ...)
{
        const char *argv[VG_REDIS_MAXARGS];
        int argc = 0;
        va_list ap;

        va_start(ap, arg0);
        for (const char *a = arg0; a; a = va_arg(ap, const char *)) {
                if (argc == VG_REDIS_MAXARGS)
                        abort(); /* programming error */
                argv[argc++] = a;
        }
        va_end(ap);
        return vg_redis_batch_argv(b, argc, argv, NULL);
}

size_t vg_redis_batch_window_add(vg_redis_batch_t *b, const char *key,
                                 int64_t ts_ms, const char *member)
{
        char ts[24];

        vg_redis_i64(ts, ts_ms);
        return vg_redis_batch_cmd(b, "ZADD", key, ts, member, NULL);
}

size_t vg_redis_batch_window_count(vg_redis_batch_t *b, const char *key,
                                   int64_t from_ms, int64_t to_ms)
{
        char from[24], to[24];

        vg_redis_i64(from, from_ms);
        vg_redis_i64(to, to_ms);
        return vg_redis_batch_cmd(b, "ZCOUNT", key, from, to, NULL);
}

size_t vg_redis_batch_window_members(vg_redis_batch_t *b, const char *key,
                                     int64_t from_ms, int64_t to_ms,
                                     size_t limit, int withscores)
{
        char from[24], to[24], lim[24];
        const char *argv[9] = {"ZRANGEBYSCORE", key, from, to};
        int argc = 4;

        vg_redis_i64(from, from_ms);
        vg_redis_i64(to, to_ms);
        if (withscores)
                argv[argc++] = "WITHSCORES";
        if (limit) {
                snprintf(lim, sizeof(lim), "%zu", limit);
                argv[argc++] = "LIMIT";
                argv[argc++] = "0";
                argv[argc++] = lim;
        }
        return vg_redis_batch_argv(b, argc, argv, NULL);
}

size_t vg_redis_batch_window_trim(vg_redis_batch_t *b, const char *key,
                                  int64_t before_ms)
{
        char before[24];

        before[0] = '(';
        vg_redis_i64(before + 1, before_ms);
        return vg_redis_batch_cmd(b, "ZREMRANGEBYSCORE", key, "-inf", before,
                                  NULL);
}

size_t vg_redis_batch_expire(vg_redis_batch_t *b, const char *key,
                             int64_t ttl_s)
{
        char ttl[24];

        vg_redis_i64(ttl, ttl_s);
        return vg_redis_batch_cmd(b, "EXPIRE", key, ttl, NULL);
}

size_t vg_redis_batch_blob_set(vg_redis_batch_t *b, const char *key,
                               const void *data, size_t len, int64_t ttl_s)
{
        char ttl[24];
        const char *argv[5] = {"SET", key, data, "EX", ttl};
        size_t argvlen[5]   = {3, strlen(key), len, 2, 0};

        vg_redis_i64(ttl, ttl_s);
        argvlen[4] = strlen(ttl);
        return vg_redis_batch_argv(b, ttl_s > 0 ? 5 : 3, argv, argvlen);
}

size_t vg_redis_batch_blob_get(vg_redis_batch_t *b, const char *key)
{
        return vg_redis_batch_cmd(b, "GET", key, NULL);
}

static void vg_redis_batch_mark_token(const vg_redis_batch_t *b, size_t idx,
                                      char *buf, size_t size)
{
        snprintf(buf, size, "%s.%zu", b->token, idx);
}

size_t vg_redis_batch_mark_once(vg_redis_batch_t *b, const char *key,
                                int64_t ttl_s)
{
        char ttl[24], token[96];

        vg_redis_i64(ttl, ttl_s > 0 ? ttl_s : 1);
        vg_redis_batch_mark_token(b, b->cnt, token, sizeof(token));
        return vg_redis_batch_cmd(b, "SET", key, token, "NX", "GET", "EX",
                                  ttl, NULL);
}

size_t vg_redis_batch_hset(vg_redis_batch_t *b, const char *key,
                           const char *field, const void *value, size_t len)
{
        const char *argv[4] = {"HSET", key, field, value};
        size_t argvlen[4]   = {4, strlen(key), strlen(field), len};

        return vg_redis_batch_argv(b, 4, argv, argvlen);
}

size_t vg_redis_batch_hdel(vg_redis_batch_t *b, const char *key,
                           const char *field)
{
        return vg_redis_batch_cmd(b, "HDEL", key, field, NULL);
}

size_t vg_redis_batch_hgetall(vg_redis_batch_t *b, const char *key)
{
        return vg_redis_batch_cmd(b, "HGETALL", key, NULL);
}

const vg_redis_reply_t *vg_redis_batch_reply(const vg_redis_batch_t *b,
                                             size_t idx)
{
        if (idx >= b->nread)
                return NULL;
        return (const vg_redis_reply_t *)b->replies[idx];
}

int vg_redis_batch_marked(const vg_redis_batch_t *b, size_t idx)
{
        const vg_redis_reply_t *rep = vg_redis_batch_reply(b, idx);
        char token[96];
        const char *s;

        switch (vg_redis_reply_type(rep)) {
        case VG_REDIS_R_NIL:
                return 1; /* there was no value: we set it */
        case VG_REDIS_R_STRING:
                /* Our own token: an earlier attempt of this batch set it. */
                s = vg_redis_reply_str(rep, NULL);
                vg_redis_batch_mark_token(b, idx, token, sizeof(token));
                return !strcmp(s, token);
        default:
                return -1;
        }
}

/*
 * Replies
 */

#define VG_REP(rep) ((const redisReply *)(rep))

vg_redis_rtype_t vg_redis_reply_type(const vg_redis_reply_t *rep)
{
        return rep ? (vg_redis_rtype_t)VG_REP(rep)->type : VG_REDIS_R_NONE;
}

long long vg_redis_reply_int(const vg_redis_reply_t *rep)
{
        if (vg_redis_reply_type(rep) != VG_REDIS_R_INT)
                return 0;
        return VG_REP(rep)->integer;
}

const char *vg_redis_reply_str(const vg_redis_reply_t *rep, size_t *lenp)
{
        switch (vg_redis_reply_type(rep)) {
        case VG_REDIS_R_STRING:
        case VG_REDIS_R_STATUS:
        case VG_REDIS_R_ERROR:
                if (lenp)
                        *lenp = VG_REP(rep)->len;
                return VG_REP(rep)->str;
        default:
                if (lenp)
                        *lenp = 0;
                return NULL;
        }
}

size_t vg_redis_reply_nelem(const vg_redis_reply_t *rep)
{
        if (vg_redis_reply_type(rep) != VG_REDIS_R_ARRAY)
                return 0;
        return VG_REP(rep)->elements;
}

const vg_redis_reply_t *vg_redis_reply_elem(const vg_redis_reply_t *rep,
                                            size_t i)
{
        if (i >= vg_redis_reply_nelem(rep))
                return NULL;
        return (const vg_redis_reply_t *)VG_REP(rep)->element[i];
}

/*
 * Connection
 */

struct vg_redis_s {
        vg_redis_conf_t *conf;
        redisContext *c;      /* NULL while disconnected */
        vg_err_t err;         /* sticky: last connection failure */
        char errstr[256];
        int64_t next_try_us;  /* no connection attempt before this */
        int backoff_ms;       /* delay after the next failure */
        int nfail;            /* consecutive failures */
        int quiet;            /* in vg_redis_check(): its caller logs */
        uint64_t reconnects, errors, fastfails;
        vg_redis_batch_t *sync; /* for the synchronous wrappers */
        /* Batches sent, replies not all read, in the order of sending:
         * the replies on the connection are the head's first. */
        vg_redis_batch_t *head, *tail;
};

/* Error replies that refuse the connection, not the command: a missing
 * or wrong password, or a user without permission (ACL). Every command
 * would get one: the batch fails as if Redis were down. */
static int vg_redis_auth_reply(const char *s)
{
        static const char *const pfx[] = {"NOAUTH", "WRONGPASS", "NOPERM"};

        for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
                size_t n = strlen(pfx[i]);
                if (!strncmp(s, pfx[i], n) && (s[n] == ' ' || !s[n]))
                        return 1;
        }
        return 0;
}

/* The fix for auth error reply \p s (or any error reply to AUTH). */
static const char *vg_redis_auth_fix(const char *s)
{
        if (!strncmp(s, "NOAUTH", 6))
                return "Redis requires a password: set redis.password";
        if (!strncmp(s, "NOPERM", 6))
                return "the Redis user may not run vigie's commands: "
                       "grant them (ACL)";
        if (strstr(s, "no password is set") ||
            strstr(s, "without any password configured"))
                return "Redis has no password: leave redis.password empty";
        return "wrong password: set redis.password to Redis' requirepass";
}

/* "authentication failed (<reply>): <fix>" into \p buf. */
static void vg_redis_auth_msg(char *buf, size_t size, const char *reply)
{
        snprintf(buf, size, "authentication failed (%s): %s", reply,
                 vg_redis_auth_fix(reply));
}

static struct timeval vg_redis_tv(int ms)
{
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        return tv;
}

/* Runs one command during the connection handshake. */
static vg_err_t vg_redis_handshake1(redisContext *c, int argc,
                                    const char **argv, char *errstr,
                                    size_t errstr_size)
{
        redisReply *rep = redisCommandArgv(c, argc, argv, NULL);
        vg_err_t err    = VG_OK;

        if (!rep) {
                vg_redis_seterr(errstr, errstr_size, "%s: %s", argv[0],
                                c->errstr);
                return VG_ERR_UNAVAIL;
        }
        if (rep->type == REDIS_REPLY_ERROR &&
            (!strcasecmp(argv[0], "AUTH") ||
             vg_redis_auth_reply(rep->str))) {
                char msg[200];
                vg_redis_auth_msg(msg, sizeof(msg), rep->str);
                vg_redis_seterr(errstr, errstr_size, "%s: %s", argv[0], msg);
                err = VG_ERR_AUTH;
        } else if (rep->type == REDIS_REPLY_ERROR) {
                vg_redis_seterr(errstr, errstr_size, "%s: %s", argv[0],
                                rep->str);
                err = VG_ERR_INVALID;
        }
        freeReplyObject(rep);
        return err;
}

static vg_err_t vg_redis_handshake(vg_redis_t *r, redisContext *c,
                                   char *errstr, size_t errstr_size)
{
        const vg_redis_conf_t *conf = r->conf;
        vg_err_t err;
        char db[16];

        if (conf->password) {
                const char *argv[] = {"AUTH", conf->password};
                if ((err = vg_redis_handshake1(c, 2, argv, errstr,
                                               errstr_size)))
                        return err;
        }
        if (conf->db) {
                const char *argv[] = {"SELECT", db};
                snprintf(db, sizeof(db), "%d", conf->db);
                if ((err = vg_redis_handshake1(c, 2, argv, errstr,
                                               errstr_size)))
                        return err;
        }
        return VG_OK;
}

/* Connects r->c, or fails with a message "redis host:port: ...". */
static vg_err_t vg_redis_connect(vg_redis_t *r, char *errstr,
                                 size_t errstr_size)
{
        const vg_redis_conf_t *conf = r->conf;
        char emsg[200];
        redisContext *c;
        vg_err_t err = VG_ERR_UNAVAIL;

        c = redisConnectWithTimeout(conf->host, conf->port,
                                    vg_redis_tv(conf->connect_timeout_ms));
        if (!c) {
                snprintf(emsg, sizeof(emsg), "cannot allocate a context");
                goto fail;
        }
        if (c->err) {
                snprintf(emsg, sizeof(emsg), "%s", c->errstr);
                goto fail;
        }
        if (redisSetTimeout(c, vg_redis_tv(conf->command_timeout_ms)) !=
            REDIS_OK) {
                snprintf(emsg, sizeof(emsg), "set timeout: %s", c->errstr);
                goto fail;
        }
        redisEnableKeepAlive(c);
        if ((err = vg_redis_handshake(r, c, emsg, sizeof(emsg))))
                goto fail;
        r->c = c;
        return VG_OK;

fail:
        vg_redis_seterr(errstr, errstr_size, "redis %s:%d: %s", conf->host,
                        conf->port, emsg);
        if (c)
                redisFree(c);
        return err;
}

/* The head of the queue has all its replies read (or failed). */
static void vg_redis_pop(vg_redis_t *r)
{
        vg_redis_batch_t *b = r->head;

        r->head = b->next;
        if (!r->head)
                r->tail = NULL;
        b->next    = NULL;
        b->sent_on = NULL;
}

static void vg_redis_push(vg_redis_t *r, vg_redis_batch_t *b)
{
        b->next    = NULL;
        b->sent_on = r;
        if (r->tail)
                r->tail->next = b;
        else
                r->head = b;
        r->tail = b;
}

/* Records a failure: sticky error, counters, next attempt after backoff. */
static void vg_redis_failed(vg_redis_t *r, vg_err_t err, const char *msg)
{
        int delay_ms = 0;

        while (r->head) { /* all lost, none known to be executed */
                vg_redis_batch_t *b = r->head;
                vg_redis_pop(r);
                b->sent_err = err;
                snprintf(b->sent_errstr, sizeof(b->sent_errstr), "%s", msg);
                vg_redis_batch_free_replies(b);
                b->nsent = b->sent_len = 0;
        }
        if (r->c) {
                redisFree(r->c);
                r->c = NULL;
        }
        /* A first failure may be an idle connection the server dropped:
         * retry at once; then back off exponentially. A refusal (auth)
         * backs off at once: a retry gets the same answer. */
        if (r->nfail++ > 0 || err == VG_ERR_AUTH) {
                delay_ms      = r->backoff_ms;
                r->backoff_ms = r->backoff_ms > r->conf->backoff_max_ms / 2
                                        ? r->conf->backoff_max_ms
                                        : r->backoff_ms * 2;
        }
        r->next_try_us = vg_time_mono_us() + (int64_t)delay_ms * 1000;
        r->errors++;
        if (r->quiet)
                vg_dbg("redis", "%s", msg);
        else if (err == VG_ERR_AUTH && r->err != VG_ERR_AUTH)
                vg_err("redis", "%s (every command is refused until this "
                       "is fixed; retrying with backoff up to %d ms)", msg,
                       r->conf->backoff_max_ms);
        else if (r->err == VG_OK)
                vg_warn("redis", "%s (reconnecting)", msg);
        else
                vg_dbg("redis", "%s (next attempt in %d ms)", msg, delay_ms);
        r->err = err;
        snprintf(r->errstr, sizeof(r->errstr), "%s", msg);
}

static void vg_redis_succeeded(vg_redis_t *r)
{
        r->nfail      = 0;
        r->backoff_ms = r->conf->backoff_ms;
        if (r->err == VG_ERR_AUTH) { /* fixed server-side */
                vg_info("redis", "%s:%d accepts our commands again",
                        r->conf->host, r->conf->port);
                r->err       = VG_OK;
                r->errstr[0] = '\0';
        }
}

/* Makes sure r->c is connected, or fails fast during the backoff. */
static vg_err_t vg_redis_ensure(vg_redis_t *r, char *errstr,
                                size_t errstr_size)
{
        int64_t now = vg_time_mono_us();
        char emsg[256];
        vg_err_t err;

        if (r->c)
                return VG_OK;
        if (now < r->next_try_us) {
                err = r->err == VG_ERR_AUTH ? VG_ERR_AUTH : VG_ERR_UNAVAIL;
                r->fastfails++;
                vg_redis_seterr(errstr, errstr_size,
                                "redis %s (next attempt in %" PRId64
                                " ms): %s",
                                err == VG_ERR_AUTH ? "refuses us"
                                                   : "unavailable",
                                (r->next_try_us - now + 999) / 1000,
                                r->errstr);
                return err;
        }
        if ((err = vg_redis_connect(r, emsg, sizeof(emsg))) != VG_OK) {
                err = err == VG_ERR_AUTH ? VG_ERR_AUTH : VG_ERR_UNAVAIL;
                vg_redis_failed(r, err, emsg);
                vg_redis_seterr(errstr, errstr_size, "%s", emsg);
                return err;
        }
        r->reconnects++;
        if (r->err == VG_ERR_AUTH) {
                /* sticky until a command succeeds (vg_redis_succeeded):
                 * without a password, the connection itself is fine */
                vg_dbg("redis", "reconnected to %s:%d, still to prove "
                       "it accepts our commands", r->conf->host,
                       r->conf->port);
                return VG_OK;
        }
        r->err        = VG_OK;
        r->errstr[0]  = '\0';
        vg_info("redis", "reconnected to %s:%d after %d failure(s)",
                r->conf->host, r->conf->port, r->nfail);
        return VG_OK;
}

vg_redis_t *vg_redis_new(vg_redis_conf_t *conf, char *errstr,
                         size_t errstr_size)
{
        vg_redis_t *r = vg_calloc(1, sizeof(*r));
        struct sigaction sa;

        r->conf       = conf;
        r->backoff_ms = conf->backoff_ms;
        if (vg_redis_connect(r, errstr, errstr_size) != VG_OK) {
                vg_free(r);
                return NULL;
        }
        if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
                signal(SIGPIPE, SIG_IGN);
        r->sync = vg_redis_batch_new();
        return r;
}

vg_redis_t *vg_conf_redis_new(const vg_conf_t *conf, char *errstr,
                              size_t errstr_size)
{
        static const char *keys[][2] = {
                {"redis.host", "host"},     {"redis.port", "port"},
                {"redis.db", "db"},         {"redis.password", "password"},
                {"redis.prefix", "prefix"},
                {"redis.timeout.ms", "command.timeout.ms"},
        };
        vg_redis_conf_t *rc = vg_redis_conf_new();
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                const char *v = vg_conf_get_str(conf, keys[i][0]);
                if (!*v)
                        continue;
                if (vg_redis_conf_set(rc, keys[i][1], v, errstr,
                                      errstr_size)) {
                        vg_redis_conf_destroy(rc);
                        return NULL;
                }
        }
        vg_redis_t *r = vg_redis_new(rc, errstr, errstr_size);
        if (!r)
                vg_redis_conf_destroy(rc);
        return r;
}

void vg_redis_destroy(vg_redis_t *r)
{
        if (!r)
                return;
        if (r->tail) /* their owners may still look at them */
                vg_redis_batch_wait(r, r->tail, NULL, 0);
        if (r->c)
                redisFree(r->c);
        vg_redis_batch_destroy(r->sync);
        vg_redis_conf_destroy(r->conf);
        vg_free(r);
}

vg_err_t vg_redis_err(const vg_redis_t *r)
{
        return r->err;
}

const char *vg_redis_errstr(const vg_redis_t *r)
{
        return r->errstr;
}

int vg_redis_connected(const vg_redis_t *r)
{
        return r->c != NULL;
}

uint64_t vg_redis_reconnects(const vg_redis_t *r)
{
        return r->reconnects;
}

uint64_t vg_redis_errors(const vg_redis_t *r)
{
        return r->errors;
}

uint64_t vg_redis_fastfails(const vg_redis_t *r)
{
        return r->fastfails;
}

const char *vg_redis_prefix(const vg_redis_t *r)
{
        return r->conf->prefix;
}

static vg_err_t vg_redis_sync(vg_redis_t *r, const redisReply **repp,
                              char *errstr, size_t errstr_size);

vg_err_t vg_redis_check(vg_redis_t *r, char *errstr, size_t errstr_size)
{
        const redisReply *rep;
        vg_err_t err;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_cmd(r->sync, "PING", NULL);
        r->quiet = 1;
        err      = vg_redis_sync(r, &rep, errstr, errstr_size);
        r->quiet = 0;
        return err;
}

/*
 * Execution
 */

/* Error replies that say "not now" rather than "wrong command". */
static int vg_redis_transient(const redisReply *rep)
{
        static const char *const pfx[] = {
                "LOADING ", "BUSY ", "MASTERDOWN ", "TRYAGAIN ",
                "READONLY ", "CLUSTERDOWN ",
                "OOM ", /* maxmemory reached: a write would be lost */
        };

        if (rep->type != REDIS_REPLY_ERROR)
                return 0;
        for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
                if (!strncmp(rep->str, pfx[i], strlen(pfx[i])))
                        return 1;
        }
        return 0;
}

/* The connection broke mid-batch: close it, free the partial replies. */
static vg_err_t vg_redis_exec_fail(vg_redis_t *r, vg_redis_batch_t *b,
                                   size_t got, vg_err_t err,
                                   const char *what, char *errstr,
                                   size_t errstr_size)
{
        char emsg[256];

        vg_redis_batch_free_replies(b);
        if (err == VG_ERR_AUTH) /* any command would fail the same */
                snprintf(emsg, sizeof(emsg), "redis %s:%d: %s",
                         r->conf->host, r->conf->port, what);
        else
                snprintf(emsg, sizeof(emsg),
                         "redis %s:%d: batch of %zu command(s) failed after "
                         "%zu repl%s: %s",
                         r->conf->host, r->conf->port, b->cnt, got,
                         got == 1 ? "y" : "ies", what);
        vg_redis_failed(r, err, emsg);
        vg_redis_seterr(errstr, errstr_size, "%s", emsg);
        return err;
}

/* Maps a broken hiredis context to our error and message. */
static vg_err_t vg_redis_ctx_err(const redisContext *c, char *buf,
                                 size_t size)
{
        if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
                snprintf(buf, size, "timed out (%s)", c->errstr);
        else
                snprintf(buf, size, "%s", c->errstr[0] ? c->errstr : "error");
        return c->err == REDIS_ERR_PROTOCOL || c->err == REDIS_ERR_OTHER
                       ? VG_ERR_IO
                       : VG_ERR_UNAVAIL;
}

/* Reads replies of \p b until \p n of them are in. A transient error
 * reply (LOADING...) fails the batch as a lost connection does, and so
 * does a refusal (NOAUTH...), with VG_ERR_AUTH. */
static vg_err_t vg_redis_read_upto(vg_redis_t *r, vg_redis_batch_t *b,
                                   size_t n, char *errstr,
                                   size_t errstr_size)
{
        char what[200];
        vg_err_t err;

        while (b->nread < n) {
                void *rep;
                if (redisGetReply(r->c, &rep) != REDIS_OK || !rep) {
                        err = vg_redis_ctx_err(r->c, what, sizeof(what));
                        return vg_redis_exec_fail(r, b, b->nread, err, what,
                                                  errstr, errstr_size);
                }
                b->replies[b->nread++] = rep;
                if (((redisReply *)rep)->type == REDIS_REPLY_ERROR &&
                    vg_redis_auth_reply(((redisReply *)rep)->str)) {
                        vg_redis_auth_msg(what, sizeof(what),
                                          ((redisReply *)rep)->str);
                        return vg_redis_exec_fail(r, b, b->nread,
                                                  VG_ERR_AUTH, what, errstr,
                                                  errstr_size);
                }
                if (vg_redis_transient(rep)) {
                        snprintf(what, sizeof(what), "%s",
                                 ((redisReply *)rep)->str);
                        return vg_redis_exec_fail(r, b, b->nread,
                                                  VG_ERR_UNAVAIL, what,
                                                  errstr, errstr_size);
                }
        }
        return VG_OK;
}

/* Appends the commands of \p b not sent yet to the connection's output
 * buffer and writes them out; \p b joins (or stays at) the tail of the
 * queue of batches in flight. */
static vg_err_t vg_redis_send(vg_redis_t *r, vg_redis_batch_t *b,
                              char *errstr, size_t errstr_size)
{
        vg_err_t err;
        char what[200];
        int done = 0;

        if ((err = vg_redis_ensure(r, errstr, errstr_size)))
                return err;
        if (b->rsize < b->cnt) {
                size_t nsize = b->rsize ? b->rsize : 64;
                while (nsize < b->cnt)
                        nsize *= 2;
                b->replies = vg_realloc(b->replies,
                                        nsize * sizeof(*b->replies));
                b->rsize   = nsize;
        }
        if (redisAppendFormattedCommand(r->c, b->buf + b->sent_len,
                                        b->len - b->sent_len) != REDIS_OK)
                goto fail;
        if (b->sent_on != r)
                vg_redis_push(r, b);
        b->nsent    = b->cnt;
        b->sent_len = b->len;
        while (!done)
                if (redisBufferWrite(r->c, &done) != REDIS_OK)
                        goto fail;
        return VG_OK;
fail:
        err = vg_redis_ctx_err(r->c, what, sizeof(what));
        if (b->sent_on != r) /* not queued: vg_redis_failed skips it */
                b->nsent = b->sent_len = 0;
        return vg_redis_exec_fail(r, b, 0, err, what, errstr, errstr_size);
}

vg_err_t vg_redis_batch_exec(vg_redis_t *r, vg_redis_batch_t *b,
                             char *errstr, size_t errstr_size)
{
        vg_err_t err = vg_redis_batch_send(r, b, errstr, errstr_size);

        return err ? err : vg_redis_batch_wait(r, b, errstr, errstr_size);
}

vg_err_t vg_redis_batch_send(vg_redis_t *r, vg_redis_batch_t *b,
                             char *errstr, size_t errstr_size)
{
        vg_redis_batch_settle(b);
        vg_redis_batch_free_replies(b);
        b->nsent = b->sent_len = 0; /* all of it, again */
        return vg_redis_batch_send_more(r, b, errstr, errstr_size);
}

vg_err_t vg_redis_batch_send_more(vg_redis_t *r, vg_redis_batch_t *b,
                                  char *errstr, size_t errstr_size)
{
        vg_err_t err;

        /* its new replies must follow its old ones on the connection */
        if (b->sent_on && (b->sent_on != r || r->tail != b))
                vg_redis_batch_settle(b);
        if (!b->sent_on) {
                b->sent_err       = VG_OK;
                b->sent_errstr[0] = '\0';
        }
        if (b->nsent == b->cnt) /* nothing new: no I/O */
                return VG_OK;
        if ((err = vg_redis_send(r, b, b->sent_errstr,
                                 sizeof(b->sent_errstr)))) {
                b->sent_err = err; /* a later wait says it too */
                vg_redis_seterr(errstr, errstr_size, "%s", b->sent_errstr);
                return err;
        }
        return VG_OK;
}

/* Reads the replies of the head of the queue until \p n of them are in;
 * pops it once all its replies are. */
static vg_err_t vg_redis_read_head(vg_redis_t *r, size_t n)
{
        vg_redis_batch_t *b = r->head;
        vg_err_t err = vg_redis_read_upto(r, b, n < b->nsent ? n : b->nsent,
                                          b->sent_errstr,
                                          sizeof(b->sent_errstr));
        if (err) /* the whole queue failed (vg_redis_failed) */
                return err;
        if (b->nread == b->nsent) {
                vg_redis_pop(r);
                b->sent_err = VG_OK;
                vg_redis_succeeded(r);
        }
        return VG_OK;
}

vg_err_t vg_redis_batch_wait_n(vg_redis_t *r, vg_redis_batch_t *b,
                               size_t n, char *errstr, size_t errstr_size)
{
        if (b->sent_on == r) {
                /* the replies of the batches sent before come first */
                while (r->head != b && !vg_redis_read_head(r, SIZE_MAX))
                        ;
                if (b->sent_on == r)
                        vg_redis_read_head(r, n);
        }
        if (b->sent_err)
                vg_redis_seterr(errstr, errstr_size, "%s", b->sent_errstr);
        return b->sent_err;
}

vg_err_t vg_redis_batch_wait(vg_redis_t *r, vg_redis_batch_t *b,
                             char *errstr, size_t errstr_size)
{
        return vg_redis_batch_wait_n(r, b, b->cnt, errstr, errstr_size);
}

/* A batch about to be reused or freed: its replies are read first, so
 * the next ones on the connection are not taken for another batch's. */
static void vg_redis_batch_settle(vg_redis_batch_t *b)
{
        if (b->sent_on)
                vg_redis_batch_wait(b->sent_on, b, NULL, 0);
}

/*
 * Keys
 */

static int vg_redis_key_keep(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
               c == '-';
}

size_t vg_redis_key_escape(char *dst, size_t size, const char *src,
                           size_t len)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t o                = 0;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)src[i];
                char enc[3]     = {(char)c, 0, 0};
                size_t n        = 1;
                if (!vg_redis_key_keep(c)) {
                        enc[0] = '%';
                        enc[1] = hex[c >> 4];
                        enc[2] = hex[c & 15];
                        n      = 3;
                }
                for (size_t j = 0; j < n; j++, o++) {
                        if (o + 1 < size)
                                dst[o] = enc[j];
                }
        }
        if (size)
                dst[o < size ? o : size - 1] = '\0';
        return o;
}

static int vg_redis_hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

long vg_redis_key_unescape(char *dst, const char *src)
{
        long o = 0;

        for (const char *s = src; *s; s++) {
                if (*s != '%') {
                        if (!vg_redis_key_keep((unsigned char)*s))
                                return -1;
                        dst[o++] = *s;
                        continue;
                }
                int hi = vg_redis_hexval(s[1]);
                int lo = hi < 0 ? -1 : vg_redis_hexval(s[2]);
                if (lo < 0)
                        return -1;
                dst[o++] = (char)(hi << 4 | lo);
                s += 2;
        }
        dst[o] = '\0';
        return o;
}

/* Appends \p n bytes of \p src at \p o in \p buf (truncating, always
 * NUL-terminated when \p size > 0). @returns the new untruncated length. */
static size_t vg_redis_key_cat(char *buf, size_t size, size_t o,
                               const char *src, size_t n)
{
        if (o + 1 < size) {
                size_t k = n < size - 1 - o ? n : size - 1 - o;
                memcpy(buf + o, src, k);
                buf[o + k] = '\0';
        }
        return o + n;
}

size_t vg_redis_key(const vg_redis_t *r, char *buf, size_t size,
                    const char *kind, const char *id, const char *what)
{
        size_t o = 0;
        if (size)
                buf[0] = '\0';
        o = vg_redis_key_cat(buf, size, o, r->conf->prefix,
                             strlen(r->conf->prefix));
        o = vg_redis_key_cat(buf, size, o, kind, strlen(kind));
        o = vg_redis_key_cat(buf, size, o, ":", 1);
        o += vg_redis_key_escape(o < size ? buf + o : NULL,
                                 o < size ? size - o : 0, id, strlen(id));
        if (what) {
                o = vg_redis_key_cat(buf, size, o, ":", 1);
                o = vg_redis_key_cat(buf, size, o, what, strlen(what));
        }
        return o;
}

/*
 * Synchronous wrappers
 */

/* Executes r->sync (one command) and returns its reply. */
static vg_err_t vg_redis_sync(vg_redis_t *r, const redisReply **repp,
                              char *errstr, size_t errstr_size)
{
        vg_err_t err = vg_redis_batch_exec(r, r->sync, errstr, errstr_size);
        const redisReply *rep;

        if (err)
                return err;
        rep = r->sync->replies[0];
        if (rep->type == REDIS_REPLY_ERROR) {
                vg_redis_seterr(errstr, errstr_size, "redis: %s", rep->str);
                return VG_ERR_INVALID;
        }
        *repp = rep;
        return VG_OK;
}

vg_err_t vg_redis_window_add(vg_redis_t *r, const char *key, int64_t ts_ms,
                             const char *member, int *addedp, char *errstr,
                             size_t errstr_size)
{
        const redisReply *rep;
        vg_err_t err;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_window_add(r->sync, key, ts_ms, member);
        if ((err = vg_redis_sync(r, &rep, errstr, errstr_size)))
                return err;
        if (addedp)
                *addedp = (int)rep->integer;
        return VG_OK;
}

vg_err_t vg_redis_window_count(vg_redis_t *r, const char *key,
                               int64_t from_ms, int64_t to_ms,
                               long long *countp, char *errstr,
                               size_t errstr_size)
{
        const redisReply *rep;
        vg_err_t err;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_window_count(r->sync, key, from_ms, to_ms);
        if ((err = vg_redis_sync(r, &rep, errstr, errstr_size)))
                return err;
        *countp = rep->integer;
        return VG_OK;
}

vg_err_t vg_redis_window_members(vg_redis_t *r, const char *key,
                                 int64_t from_ms, int64_t to_ms,
                                 size_t limit, char ***membersp,
                                 size_t *cntp, char *errstr,
                                 size_t errstr_size)
{
        const redisReply *rep;
        vg_err_t err;
        char **strv;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_window_members(r->sync, key, from_ms, to_ms, limit, 0);
        if ((err = vg_redis_sync(r, &rep, errstr, errstr_size)))
                return err;
        strv = vg_calloc(rep->elements + 1, sizeof(*strv));
        for (size_t i = 0; i < rep->elements; i++)
                strv[i] = vg_strndup(rep->element[i]->str,
                                     rep->element[i]->len);
        *membersp = strv;
        if (cntp)
                *cntp = rep->elements;
        return VG_OK;
}

vg_err_t vg_redis_window_trim(vg_redis_t *r, const char *key,
                              int64_t before_ms, long long *removedp,
                              char *errstr, size_t errstr_size)
{
        const redisReply *rep;
        vg_err_t err;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_window_trim(r->sync, key, before_ms);
        if ((err = vg_redis_sync(r, &rep, errstr, errstr_size)))
                return err;
        if (removedp)
                *removedp = rep->integer;
        return VG_OK;
}

vg_err_t vg_redis_blob_set(vg_redis_t *r, const char *key, const void *data,
                           size_t len, int64_t ttl_s, char *errstr,
                           size_t errstr_size)
{
        const redisReply *rep;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_blob_set(r->sync, key, data, len, ttl_s);
        return vg_redis_sync(r, &rep, errstr, errstr_size);
}

vg_err_t vg_redis_blob_get(vg_redis_t *r, const char *key, void **datap,
                           size_t *lenp, char *errstr, size_t errstr_size)
{
        const redisReply *rep;
        vg_err_t err;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_blob_get(r->sync, key);
        if ((err = vg_redis_sync(r, &rep, errstr, errstr_size)))
                return err;
        if (rep->type != REDIS_REPLY_STRING) {
                vg_redis_seterr(errstr, errstr_size, "redis: no key %s", key);
                return VG_ERR_NOENT;
        }
        *datap = vg_strndup(rep->str, rep->len);
        *lenp  = rep->len;
        return VG_OK;
}

vg_err_t vg_redis_mark_once(vg_redis_t *r, const char *key, int64_t ttl_s,
                            int *newp, char *errstr, size_t errstr_size)
{
        const redisReply *rep;
        vg_err_t err;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_mark_once(r->sync, key, ttl_s);
        if ((err = vg_redis_sync(r, &rep, errstr, errstr_size)))
                return err;
        *newp = vg_redis_batch_marked(r->sync, 0);
        return VG_OK;
}

vg_err_t vg_redis_hset(vg_redis_t *r, const char *key, const char *field,
                       const void *value, size_t len, char *errstr,
                       size_t errstr_size)
{
        const redisReply *rep;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_hset(r->sync, key, field, value, len);
        return vg_redis_sync(r, &rep, errstr, errstr_size);
}

vg_err_t vg_redis_hdel(vg_redis_t *r, const char *key, const char *field,
                       char *errstr, size_t errstr_size)
{
        const redisReply *rep;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_hdel(r->sync, key, field);
        return vg_redis_sync(r, &rep, errstr, errstr_size);
}

vg_err_t vg_redis_hgetall(vg_redis_t *r, const char *key,
                          vg_redis_hash_cb_t *cb, void *opaque, char *errstr,
                          size_t errstr_size)
{
        const redisReply *rep;
        vg_err_t err;

        vg_redis_batch_reset(r->sync);
        vg_redis_batch_hgetall(r->sync, key);
        if ((err = vg_redis_sync(r, &rep, errstr, errstr_size)))
                return err;
        for (size_t i = 0; i + 1 < rep->elements; i += 2)
                cb(opaque, rep->element[i]->str, rep->element[i]->len,
                   rep->element[i + 1]->str, rep->element[i + 1]->len);
        return VG_OK;
}

void vg_redis_strv_free(char **strv)
{
        if (!strv)
                return;
        for (char **s = strv; *s; s++)
                vg_free(*s);
        vg_free(strv);
}
