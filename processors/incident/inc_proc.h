/**
 * @file inc_proc.h
 * @brief vigie-incident's descriptor for the processor runtime (vg_proc).
 */
#ifndef INC_PROC_H
#define INC_PROC_H

#include "vg_proc.h"

extern const vg_processor_def_t inc_processor;

#endif /* INC_PROC_H */
