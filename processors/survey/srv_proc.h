/**
 * @file srv_proc.h
 * @brief vigie-survey's descriptor for the processor runtime (vg_proc).
 */
#ifndef SRV_PROC_H
#define SRV_PROC_H

#include "vg_proc.h"

extern const vg_processor_def_t srv_processor;

#endif /* SRV_PROC_H */
