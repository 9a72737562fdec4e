/**
 * @file vg_itest.h
 * @brief Helpers for integration tests that drive vigie's programs as
 *        separate processes against the broker and Redis started by
 *        tests/run_with_services.sh (VG_BOOTSTRAP, VG_REDIS_PORT).
 */
#ifndef VG_ITEST_H
#define VG_ITEST_H

#include "vg_kafka.h"
#include "vg_redis.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** @returns the path of program \p name in VG_BIN_DIR (never freed). */
const char *itest_bin(const char *name);

/** @returns a per-process scratch directory + "/" + \p name (never
 *           freed). */
const char *itest_path(const char *name);

/** @brief Runs argv (NULL-terminated), stdout/stderr to \p log (or
 *         inherited with NULL). @returns the exit status, or -1. */
int itest_run(char *const argv[], const char *log);

/** @brief Starts argv in the background. @returns its pid. */
pid_t itest_spawn(char *const argv[], const char *log);

/** @brief Sends \p sig to \p pid and reaps it. @returns exit status, or
 *         128+signal when killed. */
int itest_stop(pid_t pid, int sig);

/** @brief Waits for child \p pid (asserts it is reaped). @returns its
 *         exit status, or -1 if a signal ended it. */
int itest_wait_pid(pid_t pid);

/** @returns the time \p s ("2025-01-14 00:00:00", vg_time_parse()) in ms
 *           since the epoch, or -1 if \p s is NULL, empty or no time. */
int64_t itest_parse_time(const char *s);

/** @returns the whole of \p path, NUL-terminated, its length in \p lenp
 *           (unless NULL), or NULL if it cannot be opened: free() it. */
char *itest_slurp(const char *path, size_t *lenp);

/** @returns the number of lines of \p path (0 if missing). */
long itest_count_lines(const char *path);

/** @returns 1 if file \p path contains \p needle. */
int itest_file_contains(const char *path, const char *needle);

/** @returns the number of lines of \p path that contain \p needle (0 if
 *           missing). */
long itest_count_in_file(const char *path, const char *needle);

/** @returns the number that follows \p key in the last line of \p path
 *           where \p key comes after \p needle (\p key NULL: the number
 *           that follows \p needle), or -1 if there is no such line. */
double itest_last_number(const char *path, const char *needle,
                         const char *key);

/** @brief Prints the lines of \p log that match the extended regular
 *         expression \p ere (grep -E; the last \p tail of them, 0: all),
 *         or that there are none, for a test's report or failure. */
void itest_print_summary(const char *log, const char *ere, int tail);

/** @brief Polls \p path until it contains \p needle or \p timeout_s
 *         passes. @returns 1 if it does. */
int itest_wait_in_file(const char *path, const char *needle,
                       double timeout_s);

/** @brief Generates \p count events of \p kind ("changes", "incidents")
 *         of the world of \p seed (vg_gen) into \p path, and the truth
 *         CSV into \p truth unless NULL; from \p start_ms (0: the
 *         generator's default), update records repeating the long texts if
 *         \p full_updates (vg_gen_opts_t.full_updates). */
void itest_gen(const char *kind, const char *path, const char *truth,
               long count, uint64_t seed, int64_t start_ms,
               int full_updates);

/** @brief itest_gen() one record every \p interarrival_s seconds on
 *         average (vg_gen_opts_t.mean_interarrival_s; 0: the kind's
 *         default). */
void itest_gen_at(const char *kind, const char *path, const char *truth,
                  long count, uint64_t seed, int64_t start_ms,
                  int full_updates, double interarrival_s);

/** What a generated change stream holds (itest_load_changes()). */
typedef struct itest_changes_s {
        long records;  /**< every record */
        long scorable; /**< records vigie-change scores: neither Closed
                        *   nor Canceled */
        long outcomes; /**< Closed records with a close_code */
} itest_changes_t;

/** @brief Counts the records of the change stream \p path into \p in. */
void itest_load_changes(const char *path, itest_changes_t *in);

/** @brief Renumbers the records of \p path (JSON Lines) from
 *         "<kind>00..." to "<kind><prefix>..." (\p kind "CHG" or "INC",
 *         \p prefix two digits), so that two generated streams do not
 *         share numbers. */
void itest_renumber(const char *path, const char *kind, const char *prefix);

/** @brief Reads all of \p topic into \p out as JSON Lines (vigie-ctl
 *         consume). @returns the record count, or -1. */
long itest_consume(const char *topic, const char *out);

/** @brief Produces \p file (JSON Lines) to \p topic (vigie-ctl produce,
 *         logged to produce.log). @returns its exit status. */
int itest_produce(const char *topic, const char *file);

/** @brief Produces \p file to \p topic at \p rate records/s in the
 *         background, output to \p log. @returns its pid. */
pid_t itest_produce_paced(const char *topic, const char *file,
                          const char *rate, const char *log);

/** @returns a producer on the test's broker (aborts the test if none);
 *           vg_kafka_close() it. */
vg_kafka_t *itest_producer(void);

/** @brief Produces \p len bytes of \p buf as they are (no encoding) to
 *         \p topic under \p key with \p k (asserts it is accepted). */
void itest_produce_raw(vg_kafka_t *k, const char *topic, const char *key,
                       const void *buf, size_t len);

/** @brief Starts \p prog (vigie-change, vigie-incident) against the
 *         test's broker and Redis with the tests' settings (stats and
 *         checkpoints every second, kafka.session.timeout.ms=6000, and
 *         change.alert.min.learned=100 for vigie-change), then the
 *         NULL-terminated `-X key=value` strings that follow \p log (a
 *         later one wins; 12 at the most). @returns its pid. */
pid_t itest_spawn_with(const char *prog, const char *log, ...);

/** @returns 1 if the final summary of \p log says the model learned
 *           exactly \p n: "  model \p model n=N" ("incident/1",
 *           "change-ftrl/1"), N followed by ' ' or ','. Else prints what
 *           the summary says (for the failure message) and returns 0. */
int itest_learned_exactly(const char *log, const char *model, long n);

/** @returns the monotonic time in seconds. */
double itest_now(void);

/** @brief Polls \p topic until it holds at least \p n records or
 *         \p timeout_s passes. @returns the count reached. */
long itest_wait_count(const char *topic, long n, double timeout_s);

/** @returns the sum of end offsets of \p topic (vigie-ctl topics). */
long itest_end_offsets(const char *topic);

/** @returns the sum of the offsets consumer group \p group has committed
 *           on \p topic's partitions (none committed: 0), or -1. */
long itest_committed(const char *group, const char *topic);

/** @brief Polls until consumer group \p group has committed \p records
 *         offsets of \p topic or \p timeout_s passes. @returns what it
 *         has committed (itest_committed()). */
long itest_wait_committed(const char *group, const char *topic,
                          long records, double timeout_s);

/** @brief Polls \p topic until its end offsets reach \p at_least and stop
 *         growing (the processor is idle), or \p timeout_s passes.
 *  @returns the last count seen. */
long itest_wait_idle(const char *topic, long at_least, double timeout_s);

/** @returns a client of the Redis on \p port with password \p password
 *           (NULL: none), or NULL with \p errstr filled. */
vg_redis_t *itest_redis_connect(const char *port, const char *password,
                                char *errstr, size_t size);

/** @returns a client of the test's Redis (VG_REDIS_PORT; aborts the test
 *           if none). */
vg_redis_t *itest_redis_open(void);

/** @returns 1 if the Redis on \p port answers a PING now, authenticated
 *           with \p password (NULL: none). */
int itest_redis_up(const char *port, const char *password);

/** @brief Runs command \p a0 with up to three arguments (trailing NULLs:
 *         fewer) on \p r (asserts it is sent and answered). @returns its
 *         batch: vg_redis_batch_destroy() it. */
vg_redis_batch_t *itest_redis_cmd(vg_redis_t *r, const char *a0,
                                  const char *a1, const char *a2,
                                  const char *a3);

/** @returns the keys of \p r matching \p pattern (KEYS), as a JSON
 *           array: json_decref() it. */
json_t *itest_redis_keys(vg_redis_t *r, const char *pattern);

/** @returns the members of zset \p key of \p r, as a JSON object member
 *           -> true: json_decref() it. */
json_t *itest_redis_members(vg_redis_t *r, const char *key);

/** @brief Adds \p member to the set \p sets[\p key] (a JSON object
 *         member -> true, created if \p key has none). */
void itest_set_add(json_t *sets, const char *key, const char *member);

/** @brief itest_set_add() of the decimal number \p member. */
void itest_set_add_id(json_t *sets, const char *key, long long member);

/** @brief Compares the windows \p kind:{id}:\p what of the test Redis
 *         ("ci", "incidents") with \p sets (id -> {member: true}): each
 *         holds exactly the members of its id, and there are no more such
 *         keys. Prints the first differences and a line "<label>
 *         windows: N <label>s, M members, D difference(s) with the input".
 *  @returns the number of differences. */
long itest_windows_diff(json_t *sets, const char *kind, const char *what,
                        const char *label);

/** @returns the sum of ZCARD over the test Redis's vigie:team:*:changes:
 *           the closed changes vigie-change counted. */
long itest_team_changes_counted(void);

/** A private redis-server with requirepass on a free loopback port (as
 *  tests/start_redis.sh starts the shared one), in the foreground: a
 *  child of the test, stopped by itest_redis_stop(), killed with the
 *  test's process if a failed assertion ends it first (PR_SET_PDEATHSIG).
 */
typedef struct itest_redis_s {
        pid_t pid;       /**< the redis-server process */
        int port;        /**< its loopback port */
        char port_s[16]; /**< the same port, as a string */
        char dir[512];   /**< its scratch directory (redis.log inside) */
} itest_redis_t;

/** @brief Starts redis-server requiring \p password into \p r and waits
 *         until an authenticated PING answers (aborts the test if it
 *         never does). */
void itest_redis_start_password(itest_redis_t *r, const char *password);

/** @brief Stops (SIGTERM) and reaps the redis-server of \p r. */
void itest_redis_stop(itest_redis_t *r);

/** A processor under test: what the scenarios below start and watch. */
typedef struct itest_proc_s {
        const char *prog; /**< "vigie-incident"...: also its consumer group */
        const char *in;   /**< the topic it reads */
        const char *out;  /**< the topic of its outputs, one per record */
        const char *what; /**< its outputs, in messages ("enriched") */
} itest_proc_t;

/** @brief Waits until \p p, running \p pr, has committed \p records
 *         records of its input (\p timeout_s at most; asserted) and its
 *         outputs stop growing at \p outputs at least (10 s at most),
 *         then stops it (SIGTERM; asserts it exits 0). */
void itest_finish(const itest_proc_t *pr, pid_t p, long records,
                  long outputs, double timeout_s);

/** @brief Stops the test's Redis for 10 s (tests/restart_redis.sh, in the
 *         background; asserts it stops answering within 5 s), produces
 *         \p file to the input of \p pr meanwhile and waits 8 s at the
 *         most for \p more outputs. Prints what came before and during
 *         the outage; asserts that Redis was still down and that the
 *         outputs did not stall.
 *  @returns the end offsets of the output topic waited for. */
long itest_outage_produce(const itest_proc_t *pr, const char *file,
                          long more);

/** @brief The bad-records scenario: starts \p pr (log \p log), produces
 *         \p bad to its input and calls \p garbage (which produces what
 *         does not decode), waits for \p dead dead letters and \p ok
 *         outputs, then (it keeps running) produces \p more and waits for
 *         one output more; stops it (asserts it exits 0) and consumes
 *         itsm.deadletter into \p dlq (asserts it holds \p dead). */
void itest_bad_records(const itest_proc_t *pr, const char *log,
                       const char *bad, void (*garbage)(void),
                       const char *more, long dead, long ok,
                       const char *dlq);

/** @brief The SIGKILL scenario: starts \p pr (log \p log1), produces
 *         \p file (\p records records) at \p rate records/s, kills it
 *         (SIGKILL) once its output holds 300 records and a checkpoint
 *         was taken since (asserted), restarts it (log \p log2) and
 *         itest_finish()es it with \p outputs (120 s). Asserts it was
 *         killed mid-stream and restored its model from the checkpoint. */
void itest_sigkill_restart(const itest_proc_t *pr, const char *file,
                           long records, long outputs, const char *rate,
                           const char *log1, const char *log2);

/** One scenario of an integration suite. */
typedef struct itest_case_s {
        const char *name; /**< the TCase name, for CK_RUN_CASE */
        const void *test; /**< the START_TEST function (a const TTest *) */
} itest_case_t;

/** @brief Runs \p n scenarios as a Check suite (one TCase each, 400 s
 *         timeout). @returns the process exit status. */
int itest_main(const char *suite, const itest_case_t *cases, int n);

#endif /* VG_ITEST_H */
