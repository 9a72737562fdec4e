/**
 * @file vg_itest.h
 * @brief Helpers for integration tests that drive vigie's programs as
 *        separate processes against the broker and Redis started by
 *        tests/run_with_services.sh (VG_BOOTSTRAP, VG_REDIS_PORT).
 */
#ifndef VG_ITEST_H
#define VG_ITEST_H

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

/** @returns the number of lines of \p path (0 if missing). */
long itest_count_lines(const char *path);

/** @returns 1 if file \p path contains \p needle. */
int itest_file_contains(const char *path, const char *needle);

/** @brief Reads all of \p topic into \p out as JSON Lines (vigie-ctl
 *         consume). @returns the record count, or -1. */
long itest_consume(const char *topic, const char *out);

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

/** @brief Polls \p topic until its end offsets reach \p at_least and stop
 *         growing (the processor is idle), or \p timeout_s passes.
 *  @returns the last count seen. */
long itest_wait_idle(const char *topic, long at_least, double timeout_s);

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

/** One scenario of an integration suite. */
typedef struct itest_case_s {
        const char *name; /**< the TCase name, for CK_RUN_CASE */
        const void *test; /**< the START_TEST function (a const TTest *) */
} itest_case_t;

/** @brief Runs \p n scenarios as a Check suite (one TCase each, 400 s
 *         timeout). @returns the process exit status. */
int itest_main(const char *suite, const itest_case_t *cases, int n);

#endif /* VG_ITEST_H */
