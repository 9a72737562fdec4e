/**
 * @file vg_redis.h
 * @brief The Redis feature store: one connection with a sticky error,
 *        transparent reconnect with exponential backoff, and pipelined
 *        batches of binary-safe commands (one round trip per batch).
 *
 * Typical use in a processor, per record: build a batch of reads with the
 * vg_redis_batch_*() helpers, vg_redis_batch_exec() it (one round trip), read
 * the replies, then build and exec a second batch with all the writes.
 *
 * @section keys Key layout
 *
 * Every key is `<prefix><kind>:<id>:<what>`, the prefix defaulting to
 * "vigie:", and `<id>` escaped by vg_redis_key_escape() (see below). Keys are
 * built with vg_redis_key(). The table of every key, its writer and its
 * readers is deploy/REDIS_KEYS.md (one table, kept there only).
 *
 * Event time and idempotence: windows are sorted sets keyed by EVENT time,
 * with the event's id as member. Re-adding the same (member, time) is a
 * no-op, so an event applied twice counts once, and a late or out-of-order
 * event lands at its own time, wherever the window currently is. Counts are
 * ZCOUNTs over [from_ms, to_ms] computed from the event being scored, never
 * from the wall clock; trimming (vg_redis_batch_window_trim()) is likewise
 * relative to the latest event time seen, and should keep at least the
 * largest window plus the maximum expected lateness.
 *
 * Key escaping: names may contain any byte. vg_redis_key_escape() keeps
 * [A-Za-z0-9._~-] and writes every other byte (':', '{', '}', ' ', '%',
 * UTF-8 bytes...) as `%XX` (uppercase hex), so an escaped name never contains
 * ':' (keys cannot collide), never contains '{' '}' (no accidental Redis
 * Cluster hash tags), is printable ASCII, and decodes back exactly.
 *
 * @section retry Failures and retries
 *
 * A failed vg_redis_batch_exec() returns VG_ERR_UNAVAIL (server down,
 * connection lost, timeout, or a transient -LOADING/-BUSY/-MASTERDOWN/
 * -TRYAGAIN/-READONLY/-OOM reply), VG_ERR_AUTH (refused, see @ref auth)
 * or VG_ERR_IO (protocol error); all are retriable and the batch keeps its
 * commands, so the caller re-executes the same batch later. Some of the
 * commands may have been applied before the failure: the helpers here are all idempotent (ZADD of a fixed score, SET,
 * ZREMRANGEBYSCORE, HSET, and mark_once, whose token is stable across
 * re-executions of the same batch), so a retry never applies an update twice.
 * Commands added with vg_redis_batch_argv() (INCR...) must be made
 * idempotent by the caller, e.g. behind a mark_once on the event id.
 *
 * @section auth Refusals: VG_ERR_AUTH
 *
 * An error reply -NOAUTH, -WRONGPASS or -NOPERM to any command (Redis
 * requires a password and none or a wrong one is set, or the user may not
 * run the command), or an error reply to the AUTH of the handshake, is a
 * failure of the connection, not of one command: the batch fails as if
 * Redis were down (no reply kept, connection closed, commands kept for a
 * retry) with VG_ERR_AUTH, and the message says what to fix ("set
 * redis.password"). It is logged once, as an error; the sticky error
 * (vg_redis_err()) stays VG_ERR_AUTH until a command succeeds again (the
 * server may be fixed meanwhile), and retries back off as from a down
 * server, from the first failure on. vg_redis_check() finds it at start.
 *
 * @locality A vg_redis_t and a vg_redis_batch_t are used by one thread at a
 *           time (as a redisContext); use one vg_redis_t per thread.
 */
#ifndef VG_REDIS_H
#define VG_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "vg_err.h"

struct vg_conf_s; /* vg_conf.h */

/** Key kinds and suffixes of the documented layout. */
#define VG_REDIS_K_TEAM      "team"
#define VG_REDIS_K_CI        "ci"
#define VG_REDIS_K_CHG       "chg"
#define VG_REDIS_K_MODEL     "model"
#define VG_REDIS_K_ALERT     "alert"
#define VG_REDIS_K_SEEN      "seen"
#define VG_REDIS_S_CHANGES   "changes"
#define VG_REDIS_S_FAILED    "failed"
#define VG_REDIS_S_INCIDENTS "incidents"
#define VG_REDIS_S_OPEN      "open"
#define VG_REDIS_S_FEATURES  "features"
#define VG_REDIS_S_SNAPSHOT  "snapshot"

typedef struct vg_redis_conf_s vg_redis_conf_t;
typedef struct vg_redis_s vg_redis_t;
typedef struct vg_redis_batch_s vg_redis_batch_t;
/** A reply borrowed from a batch (really a hiredis redisReply). */
typedef struct vg_redis_reply_s vg_redis_reply_t;

/** Reply types (the values of hiredis' REDIS_REPLY_*). */
typedef enum {
        VG_REDIS_R_NONE   = 0, /**< no reply (batch not executed) */
        VG_REDIS_R_STRING = 1, /**< bulk string, binary-safe */
        VG_REDIS_R_ARRAY  = 2,
        VG_REDIS_R_INT    = 3,
        VG_REDIS_R_NIL    = 4,
        VG_REDIS_R_STATUS = 5, /**< +OK and other simple strings */
        VG_REDIS_R_ERROR  = 6, /**< -ERR ..., -WRONGTYPE ... */
} vg_redis_rtype_t;

/*
 * Configuration
 */

/**
 * @brief A configuration with the defaults: host=127.0.0.1 port=6379 db=0
 *        password unset, prefix=vigie:, connect.timeout.ms=500,
 *        command.timeout.ms=1000, reconnect.backoff.ms=50,
 *        reconnect.backoff.max.ms=5000.
 * @remark Free with vg_redis_conf_destroy(), unless given to vg_redis_new().
 */
vg_redis_conf_t *vg_redis_conf_new(void);

/** @brief Frees \p conf. NULL is allowed. */
void vg_redis_conf_destroy(vg_redis_conf_t *conf);

/**
 * @brief Sets property \p name (without the "redis." prefix) from a string.
 * @returns VG_OK, VG_ERR_INVALID (bad value) or VG_ERR_NOENT (unknown
 *          property), with a message in \p errstr.
 */
vg_err_t vg_redis_conf_set(vg_redis_conf_t *conf, const char *name,
                           const char *value, char *errstr,
                           size_t errstr_size);

/*
 * Connection
 */

/**
 * @brief Connects (and AUTHs and SELECTs), failing fast.
 * @returns the store, or NULL with a message in \p errstr, e.g.
 *          "redis 127.0.0.1:6379: Connection refused", or "redis
 *          127.0.0.1:6379: AUTH: authentication failed (WRONGPASS ...):
 *          wrong password: set redis.password to Redis' requirepass".
 * @remark Without a password nothing is sent: a Redis that requires one
 *         is found by the first command, vg_redis_check().
 * @remark On success the store owns \p conf (the caller NULLs its copy); on
 *         failure the caller still owns it.
 * @remark Sets SIGPIPE to SIG_IGN if it was SIG_DFL (hiredis 0.14 writes
 *         with write(2); a dead server must not kill the process).
 */
vg_redis_t *vg_redis_new(vg_redis_conf_t *conf, char *errstr,
                         size_t errstr_size);

/**
 * @brief vg_redis_new() with the redis.* properties of \p conf
 *        (redis.host, .port, .db, .password, .prefix, .timeout.ms: the
 *        command timeout), those left empty at their defaults.
 * @returns the store, or NULL with a message in \p errstr.
 * @remark Runs no command: call vg_redis_check() after it.
 */
vg_redis_t *vg_conf_redis_new(const struct vg_conf_s *conf, char *errstr,
                              size_t errstr_size);

/** @brief Closes and frees \p r. NULL is allowed. */
void vg_redis_destroy(vg_redis_t *r);

/**
 * @brief The sticky error: VG_OK while connected, else the error of the last
 *        connection failure, until a reconnect succeeds; VG_ERR_AUTH (see
 *        @ref auth) stays until a command succeeds, reconnects or not.
 */
vg_err_t vg_redis_err(const vg_redis_t *r);

/**
 * @brief Runs PING: proves that Redis accepts our commands, not only our
 *        connection (a Redis with requirepass accepts the connection of a
 *        client without a password, then refuses every command). Call it
 *        once after vg_redis_new(), and fail the start on VG_ERR_AUTH.
 * @returns VG_OK, VG_ERR_AUTH (refused: \p errstr says what to set, e.g.
 *          "redis 127.0.0.1:6379: authentication failed (NOAUTH
 *          Authentication required.): Redis requires a password: set
 *          redis.password"), VG_ERR_UNAVAIL (down, or a transient reply
 *          such as -LOADING), VG_ERR_IO, or VG_ERR_INVALID (another error
 *          reply).
 * @remark Logs nothing (the caller says it); a refusal it finds is not
 *         logged again by later batches (see @ref auth).
 */
vg_err_t vg_redis_check(vg_redis_t *r, char *errstr, size_t errstr_size);

/** @returns the sticky error's message ("" if none); lifetime of \p r. */
const char *vg_redis_errstr(const vg_redis_t *r);

/** @returns 1 if a connection is currently established, else 0. */
int vg_redis_connected(const vg_redis_t *r);

/** @returns the number of successful REconnects (not the first connect). */
uint64_t vg_redis_reconnects(const vg_redis_t *r);

/** @returns the number of failures: failed connects and lost connections. */
uint64_t vg_redis_errors(const vg_redis_t *r);

/** @returns the number of calls refused without I/O during a backoff. */
uint64_t vg_redis_fastfails(const vg_redis_t *r);

/** @returns the key prefix ("vigie:"); lifetime of \p r. */
const char *vg_redis_prefix(const vg_redis_t *r);

/*
 * Keys
 */

/**
 * @brief Escapes \p len bytes of \p src into \p dst (see "Key escaping").
 * @returns the length of the full escaped string (as snprintf: the output was
 *          truncated if >= \p size). \p dst is NUL-terminated if size > 0.
 */
size_t vg_redis_key_escape(char *dst, size_t size, const char *src,
                           size_t len);

/**
 * @brief Decodes an escaped name into \p dst (at least strlen(src) + 1
 *        bytes; the result may contain NUL bytes).
 * @returns the decoded length, or -1 if \p src is not a valid escaping.
 */
long vg_redis_key_unescape(char *dst, const char *src);

/**
 * @brief Builds `<prefix><kind>:<escaped id>:<what>` into \p buf, or
 *        `<prefix><kind>:<escaped id>` if \p what is NULL.
 * @returns the full length (as snprintf: truncated if >= \p size).
 */
size_t vg_redis_key(const vg_redis_t *r, char *buf, size_t size,
                    const char *kind, const char *id, const char *what);

/*
 * Batches
 */

/** @brief A new, empty batch. Free with vg_redis_batch_destroy(). */
vg_redis_batch_t *vg_redis_batch_new(void);

/** @brief Frees \p b and its replies. NULL is allowed. */
void vg_redis_batch_destroy(vg_redis_batch_t *b);

/**
 * @brief Drops the commands and replies of \p b, for reuse (keeps its
 *        buffers). The mark_once token changes.
 */
void vg_redis_batch_reset(vg_redis_batch_t *b);

/** @returns the number of commands in \p b. */
size_t vg_redis_batch_cnt(const vg_redis_batch_t *b);

/** @returns the number of commands of \p b not sent yet (see
 *           vg_redis_batch_send_more()). */
size_t vg_redis_batch_unsent(const vg_redis_batch_t *b);

/**
 * @brief Appends a command in argv form (binary-safe: \p argvlen gives each
 *        argument's length; NULL means strlen() of each).
 * @returns the command's index, to read its reply with
 *          vg_redis_batch_reply().
 * @remark Appending keeps the replies already read: the new command is
 *         sent by the next vg_redis_batch_send_more() (or, with all the
 *         others again, by the next send or exec).
 */
size_t vg_redis_batch_argv(vg_redis_batch_t *b, int argc, const char **argv,
                           const size_t *argvlen);

/**
 * @brief Appends a command of NUL-terminated strings, ending with NULL:
 *        vg_redis_batch_cmd(b, "TTL", key, NULL).
 * @returns the command's index.
 */
size_t vg_redis_batch_cmd(vg_redis_batch_t *b, const char *arg0, ...)
        __attribute__((sentinel));

/** @brief ZADD key ts_ms member. Reply: 1 if new, 0 if it was there. */
size_t vg_redis_batch_window_add(vg_redis_batch_t *b, const char *key,
                                 int64_t ts_ms, const char *member);

/** @brief ZCOUNT key from_ms to_ms (both inclusive). Reply: integer. */
size_t vg_redis_batch_window_count(vg_redis_batch_t *b, const char *key,
                                   int64_t from_ms, int64_t to_ms);

/**
 * @brief ZRANGEBYSCORE key from_ms to_ms [WITHSCORES] LIMIT 0 limit, oldest
 *        first; \p limit 0 is unlimited. Reply: array of members (member,
 *        time pairs if \p withscores).
 */
size_t vg_redis_batch_window_members(vg_redis_batch_t *b, const char *key,
                                     int64_t from_ms, int64_t to_ms,
                                     size_t limit, int withscores);

/**
 * @brief ZREMRANGEBYSCORE key -inf (before_ms: removes members strictly
 *        older than \p before_ms. Reply: number removed.
 */
size_t vg_redis_batch_window_trim(vg_redis_batch_t *b, const char *key,
                                  int64_t before_ms);

/** @brief EXPIRE key ttl_s. Reply: 1 if the key exists, else 0. */
size_t vg_redis_batch_expire(vg_redis_batch_t *b, const char *key,
                             int64_t ttl_s);

/**
 * @brief SET key bytes [EX ttl_s] (\p ttl_s 0: no expiry). Reply: +OK.
 */
size_t vg_redis_batch_blob_set(vg_redis_batch_t *b, const char *key,
                               const void *data, size_t len, int64_t ttl_s);

/** @brief GET key. Reply: string, or nil if absent or expired. */
size_t vg_redis_batch_blob_get(vg_redis_batch_t *b, const char *key);

/**
 * @brief SET key <token> NX GET EX ttl_s: sets a once-only marker (\p ttl_s
 *        > 0). Read the outcome with vg_redis_batch_marked().
 * @remark The token names this batch and command, and stays the same when
 *         the batch is re-executed after a failure, so a retry of a batch
 *         whose first attempt did set the marker still reports "newly set".
 *         Needs Redis >= 7.0 (NX with GET).
 */
size_t vg_redis_batch_mark_once(vg_redis_batch_t *b, const char *key,
                                int64_t ttl_s);

/** @brief HSET key field value (binary-safe value). Reply: 1 new, 0 not. */
size_t vg_redis_batch_hset(vg_redis_batch_t *b, const char *key,
                           const char *field, const void *value, size_t len);

/** @brief HDEL key field. Reply: number removed. */
size_t vg_redis_batch_hdel(vg_redis_batch_t *b, const char *key,
                           const char *field);

/** @brief HGETALL key. Reply: array field, value, field, value... */
size_t vg_redis_batch_hgetall(vg_redis_batch_t *b, const char *key);

/**
 * @brief Sends all the commands of \p b in one write and reads all replies
 *        (one round trip), reconnecting first if the connection is down and
 *        the backoff delay has passed.
 * @returns VG_OK: every command has a reply (some replies may be Redis
 *          errors, VG_REDIS_R_ERROR); VG_ERR_UNAVAIL: server down, in
 *          backoff (no I/O at all), connection lost or timed out, or a
 *          transient error reply; VG_ERR_AUTH: Redis refuses us (see
 *          @ref auth; also during the backoff that follows);
 *          VG_ERR_IO: protocol error. On failure no
 *          reply is kept, the connection is closed and a reconnect is
 *          scheduled; \p b keeps its commands for a retry (see @ref retry).
 * @remark Replies are valid until the next send, exec, reset or destroy of
 *         \p b (vg_redis_batch_send_more() and appending keep them).
 */
vg_err_t vg_redis_batch_exec(vg_redis_t *r, vg_redis_batch_t *b,
                             char *errstr, size_t errstr_size);

/**
 * @brief Sends \p b without waiting for its replies, so that Redis
 *        executes it while the caller works. Several batches may be in
 *        flight on one connection: Redis answers them in the order they
 *        were sent, and waiting for one reads the replies of those sent
 *        before it first. A reset or destroy of \p b reads its replies.
 *        Sending again a batch that was sent sends all its commands again.
 * @returns as vg_redis_batch_exec() for the sending.
 */
vg_err_t vg_redis_batch_send(vg_redis_t *r, vg_redis_batch_t *b,
                             char *errstr, size_t errstr_size);

/**
 * @brief Sends only the commands appended to \p b since it was last sent
 *        (all of them if it never was, or if a part in flight was lost
 *        with the connection since: none of it is known to be executed):
 *        a large batch goes out in parts as it is built, and Redis
 *        executes its head while the caller appends its tail. The replies
 *        keep the indexes of the commands; vg_redis_batch_wait() reads
 *        those of every part sent.
 * @returns as vg_redis_batch_send(); after a lost connection, the next
 *          send_more sends again every part not acknowledged.
 */
vg_err_t vg_redis_batch_send_more(vg_redis_t *r, vg_redis_batch_t *b,
                                  char *errstr, size_t errstr_size);

/**
 * @brief Waits for the replies of \p b, sent with vg_redis_batch_send()
 *        (commands appended since are not sent by a wait).
 * @returns VG_OK once every reply is read (vg_redis_batch_reply() then
 *          works), else the error of the sending or of the reading (the
 *          connection failed: the batch may have been partly executed).
 */
vg_err_t vg_redis_batch_wait(vg_redis_t *r, vg_redis_batch_t *b,
                             char *errstr, size_t errstr_size);

/**
 * @brief Like vg_redis_batch_wait() but returns once the first \p n
 *        replies are read: vg_redis_batch_reply() works for them, so the
 *        caller can use the head of a large batch while Redis still
 *        executes its tail.
 */
vg_err_t vg_redis_batch_wait_n(vg_redis_t *r, vg_redis_batch_t *b,
                               size_t n, char *errstr, size_t errstr_size);

/**
 * @returns the reply of command \p idx, or NULL if \p b has no replies (not
 *          executed, or failed) or \p idx is out of range. Borrowed: see
 *          vg_redis_batch_exec().
 */
const vg_redis_reply_t *vg_redis_batch_reply(const vg_redis_batch_t *b,
                                             size_t idx);

/**
 * @brief The outcome of a vg_redis_batch_mark_once() at \p idx.
 * @returns 1 if this batch set the marker, 0 if it was already set by
 *          someone else, -1 if there is no reply or an error reply.
 */
int vg_redis_batch_marked(const vg_redis_batch_t *b, size_t idx);

/*
 * Replies (borrowed; NULL \p rep is allowed and reads as VG_REDIS_R_NONE)
 */

/** @returns the type of \p rep. */
vg_redis_rtype_t vg_redis_reply_type(const vg_redis_reply_t *rep);

/** @returns the integer of an INT reply, else 0. */
long long vg_redis_reply_int(const vg_redis_reply_t *rep);

/**
 * @returns the bytes of a STRING, STATUS or ERROR reply (NUL-terminated),
 *          with their length in \p *lenp (may be NULL); NULL for other types.
 */
const char *vg_redis_reply_str(const vg_redis_reply_t *rep, size_t *lenp);

/** @returns the number of elements of an ARRAY reply, else 0. */
size_t vg_redis_reply_nelem(const vg_redis_reply_t *rep);

/** @returns element \p i of an ARRAY reply, or NULL. */
const vg_redis_reply_t *vg_redis_reply_elem(const vg_redis_reply_t *rep,
                                            size_t i);

/*
 * Synchronous convenience wrappers: one command, one round trip, same
 * errors as vg_redis_batch_exec(); an error reply from Redis (WRONGTYPE...)
 * is VG_ERR_INVALID with Redis' message in errstr.
 */

/** @brief ZADD; \p *addedp (may be NULL): 1 if new, 0 if already there. */
vg_err_t vg_redis_window_add(vg_redis_t *r, const char *key, int64_t ts_ms,
                             const char *member, int *addedp, char *errstr,
                             size_t errstr_size);

/** @brief ZCOUNT over [from_ms, to_ms] into \p *countp. */
vg_err_t vg_redis_window_count(vg_redis_t *r, const char *key,
                               int64_t from_ms, int64_t to_ms,
                               long long *countp, char *errstr,
                               size_t errstr_size);

/**
 * @brief The members in [from_ms, to_ms], oldest first, at most \p limit
 *        (0: all).
 * @remark \p *membersp is a NULL-terminated array of strings, freed with
 *         vg_redis_strv_free(); \p *cntp (may be NULL) its length.
 */
vg_err_t vg_redis_window_members(vg_redis_t *r, const char *key,
                                 int64_t from_ms, int64_t to_ms,
                                 size_t limit, char ***membersp,
                                 size_t *cntp, char *errstr,
                                 size_t errstr_size);

/** @brief Removes members older than \p before_ms; \p *removedp may be
 *         NULL. */
vg_err_t vg_redis_window_trim(vg_redis_t *r, const char *key,
                              int64_t before_ms, long long *removedp,
                              char *errstr, size_t errstr_size);

/** @brief SET with an optional TTL (\p ttl_s 0: none). */
vg_err_t vg_redis_blob_set(vg_redis_t *r, const char *key, const void *data,
                           size_t len, int64_t ttl_s, char *errstr,
                           size_t errstr_size);

/**
 * @brief GET into a new buffer.
 * @returns VG_OK with \p *datap (NUL-terminated, freed with vg_free()) and
 *          \p *lenp, or VG_ERR_NOENT if absent or expired.
 */
vg_err_t vg_redis_blob_get(vg_redis_t *r, const char *key, void **datap,
                           size_t *lenp, char *errstr, size_t errstr_size);

/**
 * @brief Sets a once-only marker with a TTL (\p ttl_s > 0).
 * @returns VG_OK with \p *newp = 1 if this call set it, 0 if it was there.
 */
vg_err_t vg_redis_mark_once(vg_redis_t *r, const char *key, int64_t ttl_s,
                            int *newp, char *errstr, size_t errstr_size);

/** @brief HSET key field value. */
vg_err_t vg_redis_hset(vg_redis_t *r, const char *key, const char *field,
                       const void *value, size_t len, char *errstr,
                       size_t errstr_size);

/** @brief HDEL key field. */
vg_err_t vg_redis_hdel(vg_redis_t *r, const char *key, const char *field,
                       char *errstr, size_t errstr_size);

/** Called by vg_redis_hgetall() for each field (pointers borrowed). */
typedef void(vg_redis_hash_cb_t)(void *opaque, const char *field,
                                 size_t flen, const char *value, size_t vlen);

/** @brief HGETALL key, calling \p cb for each field (none if absent). */
vg_err_t vg_redis_hgetall(vg_redis_t *r, const char *key,
                          vg_redis_hash_cb_t *cb, void *opaque, char *errstr,
                          size_t errstr_size);

/** @brief Frees a NULL-terminated array of strings. NULL is allowed. */
void vg_redis_strv_free(char **strv);

#endif /* VG_REDIS_H */
