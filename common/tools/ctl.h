/**
 * @file ctl.h
 * @brief vigie-ctl: sub-commands share the global options and this table.
 */
#ifndef VG_CTL_H
#define VG_CTL_H

#include "vg_conf.h"

/** A sub-command: argv[0] is its name; global options already applied. */
typedef struct ctl_cmd_s {
        const char *name;
        const char *summary;
        int (*run)(vg_conf_t *conf, int argc, char **argv);
        void (*usage)(FILE *fp);
} ctl_cmd_t;

int ctl_topics_run(vg_conf_t *conf, int argc, char **argv);
void ctl_topics_usage(FILE *fp);
int ctl_produce_run(vg_conf_t *conf, int argc, char **argv);
void ctl_produce_usage(FILE *fp);
int ctl_consume_run(vg_conf_t *conf, int argc, char **argv);
void ctl_consume_usage(FILE *fp);
int ctl_gen_run(vg_conf_t *conf, int argc, char **argv);
void ctl_gen_usage(FILE *fp);

/** Set by SIGINT/SIGTERM: long-running sub-commands stop cleanly. */
extern volatile int ctl_stop;

#endif /* VG_CTL_H */
