/**
 * @file vigie_broker.c
 * @brief vigie-broker: the embedded default Kafka for one machine.
 *
 * Wraps librdkafka's mock cluster (rdkafka_mock.h), which speaks the real
 * Kafka protocol over TCP on loopback: separate processes connect to it
 * exactly as to Apache Kafka. Creates the vigie topics, prints the bootstrap
 * address, runs until SIGTERM/SIGINT.
 *
 * Limits (librdkafka 2.0.2's mock cluster): no persistence; each partition
 * keeps only its last ~5 MB or 100,000 records; listeners bind to ephemeral
 * ports (the mock API has no fixed-port option): --port adds a relay on a
 * fixed loopback port for bootstrapping (vg_relay.h), and the address is
 * printed and written to --bootstrap-file.
 */
#include "vg_log.h"
#include "vg_relay.h"

#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *vg_broker_default_topics[] = {
        "itsm.changes",          "itsm.incidents",  "itsm.surveys",
        "itsm.changes.scored",   "itsm.incidents.enriched",
        "itsm.surveys.insights", "itsm.alerts",     "itsm.deadletter",
        "itsm.feedback",
};

static volatile sig_atomic_t vg_broker_run = 1;

static void vg_broker_sig(int sig)
{
        (void)sig;
        vg_broker_run = 0;
}

static void usage(FILE *fp)
{
        fprintf(fp,
                "Usage: vigie-broker [options]\n"
                "\n"
                "Runs an embedded Kafka-protocol broker (librdkafka's mock "
                "cluster) on loopback\nfor demos and tests. Processors "
                "connect to it exactly as to Apache Kafka.\n"
                "\n"
                "Options:\n"
                "  -b, --brokers N          brokers in the cluster "
                "(default 1)\n"
                "  -p, --partitions N       partitions per topic "
                "(default 32)\n"
                "  -P, --port N             also accept bootstrap "
                "connections on 127.0.0.1:N\n"
                "                           (a relay: the brokers "
                "themselves use ephemeral ports)\n"
                "  -t, --topic NAME         create this topic (repeatable; "
                "default: the vigie\n"
                "                           topics itsm.changes ... "
                "itsm.feedback)\n"
                "  -f, --bootstrap-file F   write the bootstrap address to "
                "F once ready\n"
                "  -l, --log-level LEVEL    error, warn, info, debug "
                "(default info)\n"
                "  -h, --help               this help\n"
                "\n"
                "Prints the bootstrap address (host:port,...) on stdout, "
                "then runs until\nSIGTERM or SIGINT.\n"
                "\n"
                "Limits (librdkafka %s mock cluster): in memory only; a "
                "partition keeps only\nits last ~5 MB or 100,000 records; "
                "listeners use ephemeral ports (read the\naddress from "
                "stdout or --bootstrap-file, or use --port). For production, "
                "point vigie\nat an Apache Kafka cluster (deploy/).\n",
                rd_kafka_version_str());
}

static int write_bootstrap_file(const char *path, const char *bootstraps)
{
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        FILE *fp = fopen(tmp, "w");
        if (!fp)
                return -1;
        fprintf(fp, "%s\n", bootstraps);
        if (fclose(fp) != 0)
                return -1;
        return rename(tmp, path);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"brokers", required_argument, 0, 'b'},
                {"partitions", required_argument, 0, 'p'},
                {"port", required_argument, 0, 'P'},
                {"topic", required_argument, 0, 't'},
                {"bootstrap-file", required_argument, 0, 'f'},
                {"log-level", required_argument, 0, 'l'},
                {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0},
        };
        int brokers = 1, partitions = 32, ntopics = 0, port = 0, c;
        vg_relay_t *relay = NULL;
        char fixed[64];
        const char *topics[256], *bootfile = NULL;
        char errstr[512];

        vg_log_set_program("vigie-broker");
        while ((c = getopt_long(argc, argv, "b:p:P:t:f:l:h", opts, NULL)) != -1) {
                switch (c) {
                case 'b': brokers = atoi(optarg); break;
                case 'p': partitions = atoi(optarg); break;
                case 'P': port = atoi(optarg); break;
                case 't':
                        if (ntopics < 256)
                                topics[ntopics++] = optarg;
                        break;
                case 'f': bootfile = optarg; break;
                case 'l':
                        if (vg_log_set_level_name(optarg) == -1) {
                                fprintf(stderr, "vigie-broker: unknown log "
                                        "level \"%s\"\n", optarg);
                                return 2;
                        }
                        break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (brokers < 1 || brokers > 16 || partitions < 1 ||
            partitions > 1000 || port < 0 || port > 65535) {
                fprintf(stderr, "vigie-broker: --brokers must be 1..16, "
                        "--partitions 1..1000 and --port 0..65535\n");
                return 2;
        }
        if (ntopics == 0) {
                ntopics = sizeof(vg_broker_default_topics) / sizeof(char *);
                memcpy(topics, vg_broker_default_topics, sizeof(char *) * ntopics);
        }

        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
                                      sizeof(errstr));
        if (!rk) {
                vg_err("broker", "cannot create handle: %s", errstr);
                return 1;
        }
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) {
                vg_err("broker", "cannot create mock cluster");
                rd_kafka_destroy(rk);
                return 1;
        }
        for (int i = 0; i < ntopics; i++) {
                rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
                        mc, topics[i], partitions, brokers < 3 ? brokers : 3);
                if (err) {
                        vg_err("broker", "cannot create topic %s: %s",
                               topics[i], rd_kafka_err2str(err));
                        rd_kafka_mock_cluster_destroy(mc);
                        rd_kafka_destroy(rk);
                        return 1;
                }
        }

        const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
        if (port) {
                char first[64];
                snprintf(first, sizeof(first), "%.*s",
                         (int)strcspn(bs, ","), bs);
                if (!(relay = vg_relay_new(port, first, errstr,
                                           sizeof(errstr)))) {
                        vg_err("broker", "--port: %s", errstr);
                        rd_kafka_mock_cluster_destroy(mc);
                        rd_kafka_destroy(rk);
                        return 1;
                }
                snprintf(fixed, sizeof(fixed), "127.0.0.1:%d", port);
                bs = fixed;
        }
        signal(SIGINT, vg_broker_sig);
        signal(SIGTERM, vg_broker_sig);
        printf("%s\n", bs);
        fflush(stdout);
        if (bootfile && write_bootstrap_file(bootfile, bs) == -1) {
                vg_err("broker", "cannot write %s", bootfile);
                vg_broker_run = 0;
        }
        vg_info("broker", "listening on %s: %d broker(s), %d topic(s) x %d "
                "partition(s)", bs, brokers, ntopics, partitions);

        while (vg_broker_run)
                usleep(100 * 1000);

        vg_info("broker", "stopping");
        vg_relay_destroy(relay);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        if (bootfile)
                unlink(bootfile);
        return 0;
}
