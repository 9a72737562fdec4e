/**
 * @file chg_conf.h
 * @brief The configuration properties of vigie-change (`change.*`).
 *
 * The runtime builds vigie-change's configuration from the common
 * properties plus this group (chg_processor.conf_group); vigie-ctl lists
 * it through the generated vigie_conf_groups library
 * (processors/CMakeLists.txt).
 */
#ifndef CHG_CONF_H
#define CHG_CONF_H

#include "vg_conf.h"

/** The `change.*` properties, section "vigie-change". */
extern const vg_conf_group_t chg_conf_group;

/** @brief vigie-change's configuration (common properties and
 *         chg_conf_group) holding every default, for tests and tools. */
vg_conf_t *chg_conf_new(void);

#endif /* CHG_CONF_H */
