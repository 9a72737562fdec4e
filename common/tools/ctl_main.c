/**
 * @file ctl_main.c
 * @brief vigie-ctl: produce JSON Lines or CSV to Avro topics, consume Avro topics
 *        as JSON Lines, send responder feedback, list topics, generate demo
 *        data, report on the survey topics, print config.
 */
#include "ctl.h"
#include "vg_log.h"
#include "vigie_conf_groups.h" /* generated: every processor's properties */

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

volatile int ctl_stop;

static int ctl_config_run(vg_conf_t *conf, int argc, char **argv);
static void ctl_config_usage(FILE *fp);

static const ctl_cmd_t ctl_cmds[] = {
        {"produce", "JSON Lines or CSV (ServiceNow exports) to an Avro topic, "
                    "or to several\n            merged in event time",
         ctl_produce_run, ctl_produce_usage},
        {"consume", "an Avro topic to JSON Lines", ctl_consume_run,
         ctl_consume_usage},
        {"feedback", "a responder's feedback on an incident to "
                     "itsm.feedback", ctl_feedback_run, ctl_feedback_usage},
        {"topics", "list topics, partitions and end offsets", ctl_topics_run,
         ctl_topics_usage},
        {"gen", "generate demo event streams (changes, incidents, surveys)",
         ctl_gen_run, ctl_gen_usage},
        {"report", "the survey topics in Redis (report surveys): text, or "
                   "an HTML page\n            with charts (--html)",
         ctl_report_run, ctl_report_usage},
        {"config", "print the configuration properties or the effective "
                   "configuration", ctl_config_run, ctl_config_usage},
};
#define CTL_NCMDS (int)(sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static void usage(FILE *fp)
{
        fprintf(fp, "Usage: vigie-ctl [global options] COMMAND [options]\n\n"
                    "Commands:\n");
        for (int i = 0; i < CTL_NCMDS; i++)
                fprintf(fp, "  %-9s %s\n", ctl_cmds[i].name,
                        ctl_cmds[i].summary);
        fprintf(fp,
                "\nGlobal options:\n"
                "  -b, --bootstrap HOST:PORT  Kafka bootstrap servers "
                "(bootstrap.servers)\n"
                "  -c, --config FILE          properties file (key=value "
                "lines)\n"
                "  -X key=value               set a property (after -c; "
                "kafka.* goes to librdkafka)\n"
                "  -v, --verbose              debug logging\n"
                "  -h, --help                 this help\n\n"
                "'vigie-ctl COMMAND --help' describes a command; "
                "'vigie-ctl config --help' lists properties.\n");
}

/* Parses global options into \p conf. @returns optind, or -1. */
static int ctl_global_opts(vg_conf_t *conf, int argc, char **argv)
{
        static const struct option opts[] = {
                {"bootstrap", required_argument, 0, 'b'},
                {"config", required_argument, 0, 'c'},
                {"verbose", no_argument, 0, 'v'},
                {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0},
        };
        const char *bootstrap = NULL, *file = NULL, *xs[256];
        int nx = 0, c;
        char errstr[512];

        while ((c = getopt_long(argc, argv, "+b:c:X:vh", opts, NULL)) != -1) {
                switch (c) {
                case 'b': bootstrap = optarg; break;
                case 'c': file = optarg; break;
                case 'X':
                        if (nx < 256)
                                xs[nx++] = optarg;
                        break;
                case 'v': vg_log_set_level_name("debug"); break;
                case 'h': usage(stdout); exit(0);
                default: usage(stderr); return -1;
                }
        }
        if (vg_conf_apply_args(conf, file, xs, nx, bootstrap, errstr,
                               sizeof(errstr))) {
                fprintf(stderr, "vigie-ctl: %s\n", errstr);
                return -1;
        }
        const char *why = vg_conf_finalize(conf);
        if (why) {
                fprintf(stderr, "vigie-ctl: %s\n", why);
                return -1;
        }
        vg_log_set_level_name(vg_conf_get_str(conf, "log.level"));
        return optind;
}

static void ctl_config_usage(FILE *fp)
{
        fprintf(fp, "Usage: vigie-ctl [-c FILE] [-X k=v] config "
                    "[--markdown | --dump]\n\n"
                    "  (none)      list every property (common, then each "
                    "processor's) with type,\n"
                    "              range, default, description\n"
                    "  --markdown  the same as Markdown "
                    "(deploy/CONFIGURATION.md)\n"
                    "  --dump      the effective configuration, as a "
                    "properties file\n");
}

static int ctl_config_run(vg_conf_t *conf, int argc, char **argv)
{
        if (argc < 2) {
                vg_conf_print_help(conf, stdout);
                return 0;
        }
        if (!strcmp(argv[1], "--markdown"))
                vg_conf_write_markdown(conf, stdout);
        else if (!strcmp(argv[1], "--dump"))
                vg_conf_dump(conf, stdout);
        else if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
                ctl_config_usage(stdout);
        else {
                ctl_config_usage(stderr);
                return 2;
        }
        return 0;
}

static void ctl_sig(int sig)
{
        (void)sig;
        ctl_stop = 1;
}

int main(int argc, char **argv)
{
        vg_log_set_program("vigie-ctl");
        vg_conf_t *conf = vg_conf_new(vigie_conf_groups);
        int first       = ctl_global_opts(conf, argc, argv);
        int rc          = 2;

        if (first < 0)
                goto done;
        if (first >= argc) {
                usage(stderr);
                goto done;
        }
        signal(SIGINT, ctl_sig);
        signal(SIGTERM, ctl_sig);
        for (int i = 0; i < CTL_NCMDS; i++) {
                if (strcmp(argv[first], ctl_cmds[i].name))
                        continue;
                if (argc > first + 1 && (!strcmp(argv[first + 1], "--help") ||
                                         !strcmp(argv[first + 1], "-h")) &&
                    ctl_cmds[i].run != ctl_config_run) {
                        ctl_cmds[i].usage(stdout);
                        rc = 0;
                        goto done;
                }
                optind = 1;
                rc     = ctl_cmds[i].run(conf, argc - first, argv + first);
                goto done;
        }
        fprintf(stderr, "vigie-ctl: unknown command \"%s\" (see "
                        "vigie-ctl --help)\n", argv[first]);
done:
        vg_conf_destroy(conf);
        return rc;
}
