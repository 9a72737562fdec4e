/**
 * @file srv_lang.h
 * @brief Language of a verbatim, French or English, when the response
 *        does not say: frequent function words of each language, and the
 *        letters only French uses, counted in the (scrubbed) text.
 */
#ifndef SRV_LANG_H
#define SRV_LANG_H

#include <stddef.h>

/** @returns "fr", "en", or "unknown" (too short or no evidence). */
const char *srv_lang_detect(const char *text, size_t len);

/** @returns 1 if \p w (lowercase) is a French or English function word
 *           ("les", "the", "est"...): no topic label or top term. */
int srv_lang_function_word(const char *w);

/** @returns "fr" or "en" for a declared language ("FR", "fr-FR",
 *           "English"...), else NULL. */
const char *srv_lang_norm(const char *declared);

#endif /* SRV_LANG_H */
