/**
 * @file ctl_util.c
 * @brief vigie-ctl: helpers shared by the sub-commands.
 */
#include "ctl.h"

vg_avro_schema_t *ctl_topic_schema(const vg_conf_t *conf, const char *cmd,
                                   const char *topic,
                                   vg_avro_registry_t **regp)
{
        char errstr[512];
        vg_avro_schema_t *sch;

        *regp = vg_avro_registry_new(
                vg_conf_get_str(conf, "schema.dir"),
                vg_conf_get_str(conf, "schema.registry.url"), errstr,
                sizeof(errstr));
        if (!*regp) {
                fprintf(stderr, "vigie-ctl %s: %s\n", cmd, errstr);
                return NULL;
        }
        sch = vg_avro_registry_by_topic(*regp, topic);
        if (!sch)
                fprintf(stderr, "vigie-ctl %s: no schema for topic \"%s\" "
                                "in %s/registry.json\n", cmd, topic,
                        vg_conf_get_str(conf, "schema.dir"));
        return sch;
}
