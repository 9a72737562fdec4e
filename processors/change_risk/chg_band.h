/**
 * @file chg_band.h
 * @brief Risk bands: LOW (0) < MEDIUM (1) < HIGH (2) < CRITICAL (3).
 */
#ifndef CHG_BAND_H
#define CHG_BAND_H

#include <strings.h>

#define CHG_NBANDS 4

/** The bands' names, lowest first. */
static const char *const chg_band_names[CHG_NBANDS] = {"LOW", "MEDIUM",
                                                       "HIGH", "CRITICAL"};

/** @returns "LOW", "MEDIUM", "HIGH" or "CRITICAL" (clamped). */
static inline const char *chg_band_name(int band)
{
        return chg_band_names[band < 0                ? 0
                              : band >= CHG_NBANDS ? CHG_NBANDS - 1
                                                   : band];
}

/** @returns the band named \p name (any case), or -1. */
static inline int chg_band_index(const char *name)
{
        for (int i = 0; i < CHG_NBANDS; i++)
                if (!strcasecmp(name, chg_band_name(i)))
                        return i;
        return -1;
}

#endif /* CHG_BAND_H */
