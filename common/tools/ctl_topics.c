/**
 * @file ctl_topics.c
 * @brief vigie-ctl topics: topics, partitions, end offsets.
 */
#include "ctl.h"
#include "vg_kafka.h"

#include <stdlib.h>
#include <string.h>

void ctl_topics_usage(FILE *fp)
{
        fprintf(fp, "Usage: vigie-ctl [-b BOOTSTRAP] topics [TOPIC...]\n\n"
                    "Lists topics (all, or those named) with their "
                    "partition count and the sum of\ntheir partitions' "
                    "end offsets (records ever written, retention aside).\n");
}

static int ctl_topic_wanted(const char *name, int argc, char **argv)
{
        if (argc < 2)
                return name[0] != '_'; /* hide internal topics */
        for (int i = 1; i < argc; i++)
                if (!strcmp(argv[i], name))
                        return 1;
        return 0;
}

static int ctl_topic_cmp(const void *a, const void *b)
{
        const struct rd_kafka_metadata_topic *x = a, *y = b;
        return strcmp(x->topic, y->topic);
}

int ctl_topics_run(vg_conf_t *conf, int argc, char **argv)
{
        char errstr[512];
        const struct rd_kafka_metadata *md;
        rd_kafka_conf_t *kc = rd_kafka_conf_new();

        if (vg_kafka_conf_apply(conf, kc, errstr, sizeof(errstr))) {
                fprintf(stderr, "vigie-ctl topics: %s\n", errstr);
                rd_kafka_conf_destroy(kc);
                return 2;
        }
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr,
                                      sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "vigie-ctl topics: %s\n", errstr);
                return 1;
        }
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 10000);
        if (err) {
                fprintf(stderr, "vigie-ctl topics: cannot reach %s: %s\n",
                        vg_conf_get_str(conf, "bootstrap.servers"),
                        rd_kafka_err2str(err));
                rd_kafka_destroy(rk);
                return 1;
        }
        struct rd_kafka_metadata_topic *topics =
                malloc(sizeof(*topics) * (md->topic_cnt + 1));
        memcpy(topics, md->topics, sizeof(*topics) * md->topic_cnt);
        qsort(topics, md->topic_cnt, sizeof(*topics), ctl_topic_cmp);

        printf("%-28s %10s %14s\n", "TOPIC", "PARTITIONS", "END OFFSETS");
        for (int t = 0; t < md->topic_cnt; t++) {
                const struct rd_kafka_metadata_topic *mt = &topics[t];
                int64_t sum = 0;
                if (!ctl_topic_wanted(mt->topic, argc, argv))
                        continue;
                for (int p = 0; p < mt->partition_cnt; p++) {
                        int64_t lo, hi;
                        if (!rd_kafka_query_watermark_offsets(
                                    rk, mt->topic, mt->partitions[p].id, &lo,
                                    &hi, 5000))
                                sum += hi;
                }
                printf("%-28s %10d %14lld\n", mt->topic, mt->partition_cnt,
                       (long long)sum);
        }
        free(topics);
        rd_kafka_metadata_destroy(md);
        rd_kafka_destroy(rk);
        return 0;
}
