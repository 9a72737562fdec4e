/**
 * @file bench_svc.h
 * @brief What the end-to-end sub-commands of vigie-bench share: a private
 *        vigie-broker and redis-server on loopback in a temporary
 *        directory, the processors spawned as separate processes, their
 *        logs, CPU and memory, the broker's offsets, producing and
 *        reading records, waiting for outputs, a bare consume-produce
 *        pipe, latency at a steady rate, and the figures of a report
 *        (percentiles, ROC AUC).
 *
 * Every child process is stopped at exit, also on SIGINT/SIGTERM, and gets
 * SIGTERM if the bench itself dies (PR_SET_PDEATHSIG). Progress notes go
 * to stderr ("# ..."), reports to stdout.
 *
 * @locality the bench's main thread only.
 */
#ifndef VG_BENCH_SVC_H
#define VG_BENCH_SVC_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "bench.h"
#include "vg_avro.h"
#include "vg_conf.h"
#include "vg_kafka.h"

/** Partitions per topic of the private broker, unless a sub-command
 *  asks for another count (bench_opts_t.partitions). */
#define BENCH_PARTITIONS 32
#define BENCH_MAX_CHILD  16
#define BENCH_MAX_X      32
/** The most parts a sub-command runs (--skip). */
#define BENCH_MAX_PARTS 8

/** The bare pipe's output topic (created on the private broker). */
#define BENCH_T_PIPE        "bench.pipe"
/** Topics of vigie-bench changes' two-instance run. */
#define BENCH_T_PAIR_IN     "bench.pair.changes"
#define BENCH_T_PAIR_OUT    "bench.pair.scored"
#define BENCH_T_PAIR_ALERTS "bench.pair.alerts"

/** The temporary directory of this run ("" before bench_svc_start()). */
extern char bench_tmpdir[256];
/** 1: keep the temporary directory at exit (--keep). */
extern int bench_keep_tmp;

/**
 * @name Small helpers
 * @{
 */
/** @brief A progress note on stderr: "# " + the message + newline. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** @returns \p v with thousands separators, in \p buf. */
const char *bench_int(char *buf, size_t size, int64_t v);
/** bench_int() into a temporary buffer of the calling expression. */
#define BENCH_INT(v) bench_int((char[32]){0}, 32, (int64_t)(v))
/** @returns "MET" if \p ok, else "NOT MET". */
const char *bench_met(int ok);
/** @returns the wall clock in microseconds. */
int64_t bench_wall_us(void);
/** @returns the seconds from \p from_ns to \p to_ns (bench_now_ns()). */
double bench_secs(uint64_t from_ns, uint64_t to_ns);
void bench_sleep_ms(int ms);
/** @returns a path in the temporary directory (one of 8 rotating
 *           static buffers). */
const char *bench_tmp(const char *name);
/** @} */

/**
 * @name Child processes
 * @{
 */
/**
 * @brief Starts argv (argv[0] a full path) with stdout and stderr appended
 *        to \p log. The child gets SIGTERM if the bench dies, and is
 *        stopped at exit.
 * @returns its pid, or -1.
 */
pid_t bench_spawn(char *const argv[], const char *log);
/**
 * @brief Sends \p sig to \p pid and reaps it; SIGKILL after \p timeout_s.
 * @returns its exit status (128 + signal when killed by one), or -1.
 */
int bench_stop(pid_t pid, int sig, double timeout_s);
/** @returns 1 while \p pid runs; reaps it (and stores its status in
 *           \p statusp, if not NULL) once it exited. */
int bench_alive(pid_t pid, int *statusp);
/** @returns the value in kB of \p field ("VmRSS", "VmHWM") of \p pid,
 *           or -1. */
long bench_proc_kb(pid_t pid, const char *field);
/** @returns user + system CPU seconds used so far by \p pid, or -1. */
double bench_proc_cpu(pid_t pid);
/** @} */

/**
 * @name Logs of the spawned programs
 * @{
 */
/** @returns how many lines of \p path contain \p needle. */
int bench_log_count(const char *path, const char *needle);
/** @brief Copies the last line of \p path containing \p needle (from the
 *         needle on) to \p out. @returns 1 if found. */
int bench_log_last(const char *path, const char *needle, char *out,
                   size_t size);
/** @returns N of the last "assigned N partition(s)" of \p path, or -1. */
int bench_log_assigned(const char *path);
/** @brief Prints the last \p n (at most 64) lines of \p path to stderr. */
void bench_log_tail(const char *path, int n);
/**
 * @brief Copies the lines of \p path that follow the first line containing
 *        \p start (that one included) and contain one of \p filters
 *        (NULL-terminated; NULL: every line), at most \p max of them,
 *        without their newline.
 * @returns the number of lines copied.
 */
int bench_log_block(const char *path, const char *start,
                    const char *const *filters, char (*lines)[512], int max);
/** @brief Prints "   <what> <the last stats line (in=...) of log>". */
void bench_print_stats_line(const char *what, const char *log);
/** @} */

/**
 * @name Services
 * @{
 */

/** The long options every sub-command ends its table with (handled by
 *  bench_opts_common(), but 'h'). */
#define BENCH_LOPTS_TAIL                                                       \
        {"seed", required_argument, 0, 'S'},                                   \
        {"slim-updates", no_argument, 0, 'F'},                                 \
        {"keep", no_argument, 0, 'K'},                                         \
        {"help", no_argument, 0, 'h'},                                         \
        {0, 0, 0, 0}

/** The long options of the sub-commands made of parts (incidents,
 *  surveys), handled by bench_opts_common(): --ref, --skip, --quick. */
#define BENCH_LOPTS_PARTS                                                      \
        {"ref", required_argument, 0, 'f'},                                    \
        {"skip", required_argument, 0, 's'},                                   \
        {"quick", no_argument, 0, 'q'}

/** Options shared by the sub-commands. */
typedef struct bench_opts_s {
        const char *bootstrap; /**< NULL: start a vigie-broker */
        int redis_port;        /**< 0: start a redis-server */
        int partitions;        /**< of the private broker; 0: 32 */
        const char *xs[BENCH_MAX_X]; /**< extra -X for the processors */
        int nx;
        int full_updates;
        uint64_t seed;
        /* sub-commands made of parts (BENCH_LOPTS_PARTS) */
        const char *ref;           /**< --ref: a reference's JSON, or NULL */
        int quick;                 /**< --quick: a small run */
        const char *const *parts;  /**< the names --skip takes */
        int nparts;
        int skip[BENCH_MAX_PARTS]; /**< --skip: 1 to skip parts[i] */
} bench_opts_t;

/** The broker, Redis and the bench's own Kafka/Avro handles. */
typedef struct bench_svc_s {
        char bin_dir[PATH_MAX];
        char bootstrap[512];
        int redis_port;
        int partitions;          /**< of the private broker */
        pid_t broker_pid, redis_pid;
        rd_kafka_t *rk;          /**< metadata and watermark queries */
        vg_avro_registry_t *reg; /**< this thread's registry */
        vg_avro_schema_t *chg_sch;
        avro_value_t chg_val;
        int has_val;
        char prefix[64];         /**< Redis key prefix of this run */
        char run_id[32];
} bench_svc_t;

/**
 * @brief Parses the options every sub-command takes (getopt_long value
 *        \p c: 'b' --bootstrap, 'r' --redis-port, 'S' --seed, 'F'
 *        --slim-updates, 'K' --keep, 'X'), and those of BENCH_LOPTS_PARTS
 *        ('f' --ref, 's' --skip: a name of o->parts, 'q' --quick).
 * @returns 0 if \p c was one of them, -1 otherwise or on a bad --skip.
 */
int bench_opts_common(bench_opts_t *o, int c, const char *arg);

/**
 * @brief Starts (or connects to) the broker and Redis, creates the
 *        temporary directory, the query handle and the Avro registry.
 *        With an external broker, \p topics must exist and \p empty ones
 *        must hold no record (the bench needs a fresh broker).
 *        May be called again after bench_svc_stop() (a fresh run).
 * @returns 0, or -1 with the reason on stderr.
 */
int bench_svc_start(bench_svc_t *svc, const bench_opts_t *o,
                    const char *const *topics, int ntopics,
                    const char *const *empty, int nempty);

/** @brief Stops what bench_svc_start() started and removes the temporary
 *         directory (unless --keep). */
void bench_svc_stop(bench_svc_t *svc);

/** @returns the partition count of \p topic, or -1 if it does not exist. */
int bench_parts(rd_kafka_t *rk, const char *topic);

/** @returns the sum of the end offsets of \p topic's \p nparts
 *           partitions (one ListOffsets request), or -1. */
int64_t bench_end_offsets(rd_kafka_t *rk, const char *topic, int nparts);

/** @returns the number of records dropped from the start of \p topic's
 *           partitions (sum of the low watermarks: the embedded broker
 *           keeps ~5 MB per partition), or -1. */
int64_t bench_start_offsets(rd_kafka_t *rk, const char *topic, int nparts);

/** @returns a configuration with bootstrap.servers and \p kv
 *           ("key=value", NULL-terminated). */
vg_conf_t *bench_conf(const bench_svc_t *svc, const char *const *kv);

/**
 * @brief Starts processor \p prog ("vigie-change"...) of the build
 *        directory with its log \p log: -b, redis.port, this run's
 *        redis.prefix, stats every second, events as far as 100 years
 *        ahead, then \p xs (NULL-terminated), then the user's -X.
 * @returns its pid, or -1.
 */
pid_t bench_proc_spawn(const bench_svc_t *svc, const bench_opts_t *o,
                       const char *prog, const char *log,
                       const char *const *xs);

/** @brief Waits until \p log says "assigned " (the processor joined its
 *         group). @returns 0, or -1 (it exited, or \p timeout_s). */
int bench_wait_assigned(pid_t pid, const char *log, double timeout_s);

/**
 * @brief A handle to query the committed offsets of consumer group
 *        \p group (it never joins it). @returns it, or NULL.
 */
rd_kafka_t *bench_group_handle(const bench_svc_t *svc, const char *group);

/** @returns the sum of the offsets committed by the group of \p rk
 *           (bench_group_handle()) on \p topic's \p nparts partitions
 *           (none committed: 0), or -1. */
int64_t bench_committed(rd_kafka_t *rk, const char *topic, int nparts);

/** A processor spawned for a part, with its log and closing summary. */
typedef struct bench_proc_s {
        pid_t pid;
        char name[32];  /**< "vigie-incident"... */
        char log[PATH_MAX];
        char group[96];
        char summary[20][512];
        int nsum, exit_status;
} bench_proc_t;

/**
 * @brief Starts processor \p prog in its own consumer group
 *        ("vigie-bench-<tag>-<run>", log "<tag>.log" in the temporary
 *        directory), with \p xs (NULL-terminated "key=value", or NULL)
 *        and waits until it has joined its group (60 s).
 * @returns 0, or -1 (the tail of its log on stderr).
 */
int bench_proc_start(bench_svc_t *svc, const bench_opts_t *o,
                     bench_proc_t *bp, const char *prog, const char *tag,
                     const char *const *xs);

/** @brief Stops \p bp (SIGTERM: its drain) and keeps the lines of its
 *         closing summary that starts with \p start. */
void bench_proc_finish(bench_proc_t *bp, const char *start);

/** @returns the line with \p start of \p log and the indented ones after
 *           it, copied to \p lines (at most \p max): how many. */
int bench_summary(const char *log, const char *start, char (*lines)[512],
                  int max);

/** @brief Prints "   <title> (exit status N):" and the summary of \p bp. */
void bench_print_summary(const char *title, const bench_proc_t *bp);

/** @brief Waits (at most \p timeout_s) until the group of \p bp has
 *         committed the end of \p topic. @returns its committed offsets. */
int64_t bench_settle(bench_svc_t *svc, const bench_proc_t *bp,
                     const char *topic, double timeout_s);

/** Serves the bench's own consumers while bench_pace() waits, waiting at
 *  most \p timeout_ms for the first message. */
typedef void (*bench_drain_cb_t)(void *opaque, int timeout_ms);

/**
 * @brief Waits until the group of \p gh (bench_group_handle()) has
 *        committed all but \p lag of the \p produced records of \p topic
 *        (\p np partitions), polling producer \p k and calling \p drain
 *        meanwhile.
 * @returns the committed offset, or -1 (processor \p bp exited, or made
 *          no progress for 120 s).
 */
int64_t bench_pace(vg_kafka_t *k, rd_kafka_t *gh, const char *topic, int np,
                   const bench_proc_t *bp, bench_drain_cb_t drain,
                   void *opaque, int64_t produced, int64_t lag,
                   int64_t committed);

/**
 * @brief Stops the services of a part (bench_svc_stop()), remembering its
 *        temporary directory with --keep (bench_print_kept()).
 */
void bench_part_stop(bench_svc_t *svc);
/** @brief Prints "logs kept in DIR" for each part kept (--keep). */
void bench_print_kept(void);
/** @} */

/**
 * @name Report header and options
 * @{
 */
/** @returns the source tree (VG_SCHEMA_DIR's parent), for git and data. */
const char *bench_src_dir(void);
/** @brief The first line of the output of \p cmd in \p out ("" if none). */
void bench_cmd_line(const char *cmd, char *out, size_t size);
/** @brief Prints "date ..., commit ... [+ uncommitted changes], N CPU(s)
 *         online, librdkafka V". */
void bench_print_run(void);
/**
 * @brief Parses --skip \p arg (comma-separated names of \p names, \p n
 *        of them) into \p skip (skip[i] = 1).
 * @returns 0, or -1 on an unknown name.
 */
int bench_skip_parse(const char *arg, const char *const *names, int n,
                     int *skip);

/** @returns 1, having printed "   measurement FAILED (see messages
 *           above)", unless \p ok; else 0. */
int bench_failed(int ok);

/**
 * @brief Opens the JSON of a reference script (--ref \p path; NULL: none)
 *        and writes to \p source (\p size bytes) where the reference
 *        figures come from: "constants recorded in tests/bench/REFERENCE.md
 *        (run of \p date, \p versions), NOT recomputed", unless
 *        bench_ref_close() says otherwise.
 * @returns its root, or NULL (no \p path, or a note that it does not
 *          load).
 */
json_t *bench_ref_open(const char *path, const char *date,
                       const char *versions, char *source, size_t size);

/**
 * @brief Frees \p root (bench_ref_open()). If \p ok (its figures were
 *        read), \p source names \p path, the date of its run and its
 *        scikit-learn version; else a note says it is not \p script's
 *        JSON (the caller keeps REFERENCE.md's figures).
 */
void bench_ref_close(json_t *root, int ok, const char *path,
                     const char *script, char *source, size_t size);

/**
 * @brief Calls \p row with the fields of each line of the CSV file
 *        \p path (no quoting; at most \p max fields, 16 at the most,
 *        the last one with the rest of the line), \p n of them.
 * @returns 0, or -1 if it cannot be read.
 */
int bench_csv_each(const char *path, int max,
                   void (*row)(void *opaque, char **f, int n), void *opaque);

/** @} */

/**
 * @name Producing
 * @{
 */

/** A record to produce. */
typedef struct bench_ev_s {
        char number[32];
        int64_t event_time; /**< sys_updated_on, ms */
        int scored;         /**< the processor publishes an output for it */
        void *buf;          /**< wire format, vg_free() */
        size_t len;
} bench_ev_t;

/**
 * @brief Encodes \p val (a record of \p sch) into \p ev: its wire format,
 *        number and event time (sys_updated_on); ev->scored is set to 1.
 * @returns 0, or -1 (the reason on stderr).
 */
int bench_ev_encode(const vg_avro_schema_t *sch, avro_value_t *val,
                    bench_ev_t *ev);

/** @returns 1 if vigie-change publishes a score for change record \p val
 *           (it is not closed, complete or canceled: chg_event.c). */
int bench_change_scored(const avro_value_t *val);

/** @brief Produces \p len bytes of \p buf under \p key to \p topic with
 *         timestamp \p ts_ms (0: now). @returns 0, or -1 (the reason on
 *         stderr). */
int bench_produce_buf(vg_kafka_t *k, const char *topic, const char *key,
                      const void *buf, size_t len, int64_t ts_ms);

/** @brief Produces \p ev (key: its number) to \p topic with timestamp
 *         \p ts_ms (0: now) and frees its buffer. @returns 0 or -1. */
int bench_produce_ev(vg_kafka_t *k, const char *topic, bench_ev_t *ev,
                     int64_t ts_ms);

/** @returns a producer with \p kv ("key=value", NULL-terminated, or
 *           NULL), or NULL (the reason on stderr). */
vg_kafka_t *bench_producer(const bench_svc_t *svc, const char *const *kv);

/** @returns a producer of zstd-compressed batches (the embedded broker
 *           keeps ~5 MB of compressed batches per partition), plus \p kv
 *           (at most 6), or NULL. */
vg_kafka_t *bench_zproducer(const bench_svc_t *svc, const char *const *kv);

/** @brief bench_flush(), then closes \p k. @returns bench_flush()'s. */
int bench_flush_close(vg_kafka_t *k);

/** @brief Waits until every output of \p k is acknowledged.
 *  @returns 0, or -1 on a delivery failure or after 60 s. */
int bench_flush(vg_kafka_t *k);

/** A JSON Lines file, read one line at a time. */
typedef struct bench_src_s {
        FILE *fp;
        char *line;
        size_t cap;
        long lineno;
} bench_src_t;

/** @returns 0, or -1 (the reason on stderr). */
int bench_src_open(bench_src_t *src, const char *path);
void bench_src_close(bench_src_t *src);
/**
 * @brief Reads the next line of \p src into \p val (a value of \p sch).
 * @returns 1, 0 at the end, -1 on a line that does not convert.
 */
int bench_src_read(bench_src_t *src, const vg_avro_schema_t *sch,
                   avro_value_t *val);

/**
 * @brief Runs the generator: \p count records of \p kind ("changes",
 *        "incidents", "surveys") to \p events, the truth to \p truth (may
 *        be NULL).
 * @returns 0, or -1 (the reason on stderr).
 */
int bench_gen(const char *kind, const char *events, const char *truth,
              uint64_t seed, int64_t count, int full_updates);
/** @brief bench_gen() with a mean time between two records
 *         (vg_gen_opts_t.mean_interarrival_s; 0: the kind's default). */
int bench_gen_at(const char *kind, const char *events, const char *truth,
                 uint64_t seed, int64_t count, int full_updates,
                 double mean_interarrival_s);
/** @} */

/**
 * @name Reading records back
 * @{
 */

/** Records by (number, event time), in an open-addressing table. */
typedef struct bench_slot_s {
        char number[24];
        int64_t et;
        int used;
        int expected, seen;
        int64_t in_ts_ms; /**< input record timestamp */
        int64_t in_us;    /**< wall clock at produce, us */
        double p;         /**< quality: p_failure of the latest record */
        int64_t p_et;     /**< quality: event_time of that record */
        int64_t idx;      /**< free for the caller */
} bench_slot_t;

typedef struct bench_map_s {
        bench_slot_t *s;
        size_t cap, n;
} bench_map_t;

/** @brief An empty map for up to \p max keys. */
void bench_map_init(bench_map_t *m, size_t max);
void bench_map_free(bench_map_t *m);
/** @returns the slot of (number, et), created if \p create (NULL if
 *           absent, or if the map is full). */
bench_slot_t *bench_map_get(bench_map_t *m, const char *number, int64_t et,
                            int create);

/** @returns the value of \p key in the evidence map of alert \p val
 *           ("" if absent). */
const char *bench_evidence(const avro_value_t *val, const char *key);

/**
 * @brief Reads all of \p topic (no group, from the beginning) for
 *        \p timeout_s at the most and calls \p cb with each record as it
 *        is (key, value, headers in rec->rkm).
 * @returns the records read, -1 (the reason on stderr), or -2 if
 *          \p timeout_s passed first.
 */
long bench_read_raw(bench_svc_t *svc, const char *topic, double timeout_s,
                    void (*cb)(const vg_kafka_rec_t *rec, void *opaque),
                    void *opaque);

/**
 * @brief Reads all of \p topic (no group, from the beginning) and calls
 *        \p cb with each decoded record. @returns the records read, or -1.
 */
long bench_read_all(bench_svc_t *svc, const char *topic,
                    void (*cb)(const avro_value_t *val, void *opaque),
                    void *opaque);

/**
 * @brief A consumer of every partition of \p topic, from its start if
 *        \p from_start, else from its current end.
 * @returns it (rd_kafka_consumer_close() and rd_kafka_destroy()), or NULL.
 */
rd_kafka_t *bench_tail_consumer(bench_svc_t *svc, const char *topic,
                                int from_start);
/** @} */

/**
 * @name Waiting for outputs, CPU
 * @{
 */

/** CPU seconds used so far by the processes sharing the machine. */
typedef struct bench_cpu_s {
        double proc, broker, redis, self;
        double main_user, main_sys; /**< the processor's main thread */
        double busy, all; /**< whole machine (/proc/stat), CPU seconds */
} bench_cpu_t;

/** @brief Reads the CPU of the processor \p pid (0: none), the services,
 *         this program and the machine. */
void bench_cpu_read(const bench_svc_t *svc, pid_t pid, bench_cpu_t *c);

typedef struct bench_wait_s {
        int64_t reached;    /**< outputs counted (end offsets - base) */
        uint64_t t_first;   /**< first poll that saw an output, ns */
        uint64_t t_last;    /**< poll that saw the last growth, ns */
        int died;           /**< a process exited meanwhile */
        bench_cpu_t c_first, c_last; /**< CPU at t_first and t_last */
} bench_wait_t;

/**
 * @brief Polls the end offsets of \p topic (every \p poll_ms) until they
 *        reach \p base + \p want, or stop growing for \p idle_s once
 *        started, or nothing comes in \p start_s, or one of \p pids exits
 *        (pids[0]: the processor whose CPU is read).
 */
void bench_wait_outputs(bench_svc_t *svc, const char *topic, int64_t base,
                        int64_t want, const pid_t *pids, int npids,
                        double start_s, double idle_s, int poll_ms,
                        bench_wait_t *w);

/**
 * @brief Prints where the machine's CPU went over the output window of
 *        \p w (\p secs, \p events inputs): processor \p name (its main
 *        thread apart), Redis, the broker, this program; and, if
 *        \p target_rate > 0, the cores that rate would need.
 */
void bench_print_cpu(const bench_wait_t *w, double secs, int64_t events,
                     const char *name, double target_rate);

/**
 * @brief The bare pipe: consumes \p in_topic in a group, produces the
 *        same bytes to bench.pipe, stores offsets once acknowledged.
 *        cpu[0] and cpu[1] get the CPU at its first batch and last
 *        acknowledgement.
 * @returns events/s from the first batch consumed to the last output
 *          acknowledged, or -1.
 */
double bench_pipe(bench_svc_t *svc, const char *in_topic, int64_t total,
                  bench_cpu_t cpu[2]);
/** @} */

/**
 * @name Latency at a steady rate
 * @{
 */

typedef struct bench_lat_s {
        int64_t produced, expected, matched;
        double rate;            /**< achieved input rate, /s */
        double *scored, *seen;  /**< ms, by sample */
        int64_t n;
} bench_lat_t;

/** What a latency run produces and reads. */
typedef struct bench_lat_io_s {
        const char *in_topic, *out_topic;
        /** The next input: 1 with \p ev filled (ev->scored: an output is
         *  expected), 0 at the end, -1 on error. */
        int (*next)(void *opaque, bench_ev_t *ev);
        /** The (number, event time) an output answers, and when it was
         *  computed (ms). @returns 0, or -1 to ignore the output. NULL:
         *  the output's \p out_id, event_time and scored_at. */
        int (*out_key)(void *opaque, const void *buf, size_t len,
                       const char **number, int64_t *event_time,
                       int64_t *scored_at);
        const char *out_id; /**< without out_key: the output's id field */
        void *opaque;
        const char *proc_name; /**< for messages */
} bench_lat_io_t;

/**
 * @brief Produces \p rate * \p secs inputs at a steady \p rate, with
 *        timestamp = now, while a consumer reads the output topic;
 *        matches outputs to inputs by (number, event time).
 * @param prod_kv the producer's extra "key=value" (NULL-terminated), or
 *        NULL.
 * @returns 0, or -1 (\p lat holds what was measured).
 */
int bench_latency(bench_svc_t *svc, const bench_lat_io_t *io, double rate,
                  double secs, const char *const *prod_kv, pid_t proc_pid,
                  bench_lat_t *lat);
void bench_lat_free(bench_lat_t *lat);
/** Nearest-rank percentile \p q of sorted \p v (NAN if empty). */
double bench_pct(const double *v, int64_t n, double q);
/**
 * @brief Prints a latency run: the inputs (and how many expect an output:
 *        "to score"), produce -> \p done ("scored": the output's
 *        scored_at) and produce -> read, against a p99 \p target in ms
 *        (<= 0: none).
 */
void bench_print_lat(const char *title, const char *to_do, const char *done,
                     const bench_lat_t *lat, int ok, double target);
/** @} */

/**
 * @name The speed part of a processor's sub-command
 * @{
 */

/** What the speed part of a processor's sub-command measures. */
typedef struct bench_speed_s {
        int tp_ok, lat_ok;          /**< the backlog, the latency run */
        int64_t dropped, committed; /**< of the input topic */
        double produce_s, pipe_rate, rate, cpu;
        bench_cpu_t pipe_cpu[2];
        bench_wait_t w;
        bench_lat_t lat;
        long rss_after_tp, rss_after_lat, hwm; /**< kB */
        bench_proc_t proc;
} bench_speed_t;

/** Record \p i of a backlog: its wire format in \p buf and \p len.
 *  @returns its key. */
typedef const char *(*bench_rec_at_t)(void *opaque, size_t i,
                                      const void **buf, size_t *len);

/**
 * @brief Produces the \p n records of a backlog (\p at) to \p topic in
 *        zstd-compressed large batches, "pre-producing N <what>":
 *        res->produce_s, res->dropped.
 * @returns 0, or -1 (the reason on stderr).
 */
int bench_speed_produce(bench_svc_t *svc, bench_speed_t *res,
                        const char *topic, bench_rec_at_t at, void *opaque,
                        size_t n, const char *what);

/**
 * @brief The backlog of \p in (\p n records, produced): the bare pipe,
 *        then processor \p prog (consumer group tag \p tag, res->proc)
 *        until its \p expect outputs to \p out stop growing: its rate
 *        (inputs/s), CPU, committed offsets and RSS; res->tp_ok.
 * @returns 0, or -1 (it exited or produced nothing; its log's tail on
 *          stderr).
 */
int bench_speed_backlog(bench_svc_t *svc, const bench_opts_t *o,
                        bench_speed_t *res, const char *prog, const char *tag,
                        const char *in, const char *out, int64_t n,
                        int64_t expect);

/** @brief The latency run of the speed part (bench_latency() at \p rate
 *         \p unit/s for \p secs s, the processor res->proc running):
 *         res->lat, res->lat_ok, then its RSS and peak. */
void bench_speed_latency(bench_svc_t *svc, bench_speed_t *res,
                         const bench_lat_io_t *io, double rate, double secs,
                         const char *unit);

/** @brief Prints the output window of the backlog and the throughput, in
 *         \p unit/s. */
void bench_speed_print_rate(const bench_speed_t *r, const char *unit);

/** @brief Prints the CPU time of processor \p name and where the
 *         machine's went (bench_print_cpu(), \p events inputs). */
void bench_speed_print_cpu(const bench_speed_t *r, int64_t events,
                           const char *name);

/** @brief Prints the memory of processor \p name after the backlog and
 *         after the latency run. */
void bench_speed_print_memory(const bench_speed_t *r, const char *name);
/** @} */

/**
 * @name Quality figures
 * @{
 */

/** A score and its outcome. */
typedef struct bench_sc_s {
        double s;
        int y;
} bench_sc_t;

/** @returns the ROC AUC of scores \p v (sorted in place), ties given
 *           their average rank (Mann-Whitney U), or NAN. */
double bench_auc(bench_sc_t *v, size_t n);

/** A row of the generator's change truth. */
typedef struct bench_truth_s {
        char number[24];
        double p_true;
        int failed; /**< 1, 0, or -1 for a canceled change */
} bench_truth_t;

/** @returns the rows of a change truth CSV (number,p_true,failed) sorted
 *           by number (vg_free()), or NULL. */
bench_truth_t *bench_truth_read(const char *path, size_t *np);
/** @returns the row of change \p number in \p t (bench_truth_read()),
 *           or NULL. */
const bench_truth_t *bench_truth_find(const bench_truth_t *t, size_t n,
                                      const char *number);
/** @} */

#endif /* VG_BENCH_SVC_H */
