/**
 * @file inc_conf.h
 * @brief The configuration properties of vigie-incident (`incident.*`).
 */
#ifndef INC_CONF_H
#define INC_CONF_H

#include "vg_conf.h"

/** The `incident.*` properties, section "vigie-incident". */
extern const vg_conf_group_t inc_conf_group;

/** @brief vigie-incident's configuration (common properties and
 *         inc_conf_group) holding every default, for tests and tools. */
vg_conf_t *inc_conf_new(void);

#endif /* INC_CONF_H */
