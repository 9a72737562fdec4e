/**
 * @file ctl_gen.c
 * @brief vigie-ctl gen: deterministic demo event streams (vg_gen.h).
 */
#include "ctl.h"
#include "vg_gen.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void ctl_gen_usage(FILE *fp)
{
        fprintf(fp,
                "Usage: vigie-ctl gen changes|incidents|surveys [options]\n\n"
                "Writes a ServiceNow-shaped JSON Lines stream in event-time "
                "order (with a few\nlate records), from the documented "
                "generative model of common/tools/vg_gen.h.\nThe same seed gives "
                "the same bytes.\n\n"
                "Options:\n"
                "  -n, --count N        records: changes, incidents or "
                "responses (default 1000)\n"
                "  -s, --seed S         random seed (default 1)\n"
                "  -S, --start DATE     first event time, e.g. 2025-01-01 "
                "(default)\n"
                "  -o, --out FILE       events (default stdout)\n"
                "  -T, --truth FILE     the hidden truth (changes: "
                "number,p_true,failed)\n"
                "  -l, --late F         fraction of late records (default "
                "0.01)\n"
                "  -i, --interarrival S mean seconds between two records "
                "(default per kind:\n"
                "                       changes 3600, incidents 2400, "
                "surveys 7200)\n"
                "  -m, --slim-updates   update and close records carry only "
                "the fields that\n"
                "                       changed (default: full records, as "
                "a ServiceNow export)\n");
}

static FILE *ctl_gen_open(const char *path)
{
        if (!path)
                return NULL;
        FILE *fp = fopen(path, "w");
        if (!fp)
                fprintf(stderr, "vigie-ctl gen: %s: %s\n", path,
                        strerror(errno));
        return fp;
}

int ctl_gen_run(vg_conf_t *conf, int argc, char **argv)
{
        static const struct option opts[] = {
                {"count", required_argument, 0, 'n'},
                {"seed", required_argument, 0, 's'},
                {"start", required_argument, 0, 'S'},
                {"out", required_argument, 0, 'o'},
                {"truth", required_argument, 0, 'T'},
                {"late", required_argument, 0, 'l'},
                {"interarrival", required_argument, 0, 'i'},
                {"slim-updates", no_argument, 0, 'm'},
                {0, 0, 0, 0},
        };
        vg_gen_opts_t o;
        const char *out = NULL, *truth = NULL;
        char errstr[512];
        int c, rc = 1;

        vg_gen_opts_init(&o);
        o.full_updates = 1;
        if (argc < 2 || argv[1][0] == '-') {
                ctl_gen_usage(stderr);
                return 2;
        }
        const char *kind = argv[1];
        optind           = 2;
        while ((c = getopt_long(argc, argv, "n:s:S:o:T:l:i:m", opts, NULL)) !=
               -1) {
                switch (c) {
                case 'n': o.count = atoll(optarg); break;
                case 's': o.seed = strtoull(optarg, NULL, 10); break;
                case 'S':
                        if (vg_gen_parse_time(optarg, &o.start_ms, errstr,
                                              sizeof(errstr))) {
                                fprintf(stderr, "vigie-ctl gen: --start: "
                                                "%s\n", errstr);
                                return 2;
                        }
                        break;
                case 'o': out = optarg; break;
                case 'T': truth = optarg; break;
                case 'l': o.late_fraction = atof(optarg); break;
                case 'i': o.mean_interarrival_s = atof(optarg); break;
                case 'm': o.full_updates = 0; break;
                default: ctl_gen_usage(stderr); return 2;
                }
        }
        vg_gen_t *gen = vg_gen_new(&o, errstr, sizeof(errstr));
        if (!gen) {
                fprintf(stderr, "vigie-ctl gen: %s\n", errstr);
                return 2;
        }
        FILE *ev = out ? ctl_gen_open(out) : stdout;
        FILE *tr = ctl_gen_open(truth);
        if (ev && (tr || !truth)) {
                if (vg_gen_run(gen, kind, ev, tr, errstr, sizeof(errstr)))
                        fprintf(stderr, "vigie-ctl gen: %s\n", errstr);
                else
                        rc = 0;
        }
        if (ev && ev != stdout)
                fclose(ev);
        if (tr)
                fclose(tr);
        vg_gen_destroy(gen);
        return rc;
}
