/**
 * @file srv_conf.h
 * @brief The configuration properties of vigie-survey (`survey.*`).
 */
#ifndef SRV_CONF_H
#define SRV_CONF_H

#include "vg_conf.h"

/** The `survey.*` properties, section "vigie-survey". */
extern const vg_conf_group_t srv_conf_group;

/** @brief vigie-survey's configuration with every default (tests, tools). */
vg_conf_t *srv_conf_new(void);

#endif /* SRV_CONF_H */
