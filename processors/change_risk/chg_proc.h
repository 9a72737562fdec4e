/**
 * @file chg_proc.h
 * @brief vigie-change as a processor descriptor for vg_proc_main().
 */
#ifndef CHG_PROC_H
#define CHG_PROC_H

#include "vg_proc.h"

/** The vigie-change processor. */
extern const vg_processor_def_t chg_processor;

#endif /* CHG_PROC_H */
