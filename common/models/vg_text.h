/**
 * @file vg_text.h
 * @brief Text features for the online models: a UTF-8 tokenizer (lowercase,
 *        accent folding "é" -> "e", "ç" -> "c", "œ" -> "oe", French and
 *        English stop words), word unigrams and bigrams, optional character
 *        n-grams, TF-IDF weights with document frequencies counted online,
 *        hashed into a vg_features_t and/or into a dense signed-hash
 *        embedding (L2-normalised) for clustering.
 *
 * Robust by construction: invalid UTF-8 bytes act as separators, emoji and
 * symbols separate words, only the first max_bytes of a text are read and
 * at most max_tokens tokens are kept.
 *
 * @locality not thread-safe (scratch buffers live in the object).
 */
#ifndef VG_TEXT_H
#define VG_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "vg_features.h"
#include "vg_snapshot.h"

typedef struct vg_text_s vg_text_t;

typedef struct vg_text_conf_s {
        int idf_bits;       /**< 2^idf_bits document-frequency counters;
                                 default 18 */
        int bigrams;        /**< word bigrams; default 1 */
        int stopwords;      /**< drop French/English stop words; default 1 */
        int char_ngram_min; /**< character n-grams of tokens, min length;
                                 0 = off (default) */
        int char_ngram_max; /**< max length (>= min); default 0 */
        size_t max_bytes;   /**< bytes of input read; default 65536 */
        int max_tokens;     /**< tokens kept; default 4096 */
        int embed_dim;      /**< dense embedding dimension; default 256 */
} vg_text_conf_t;

/** Flags of vg_text_featurize(). */
#define VG_TEXT_F_LEARN 0x1 /**< count this text in the document
                                 frequencies before weighting it */

/** @brief Fills \p conf with the defaults. */
void vg_text_conf_init(vg_text_conf_t *conf);

/** @returns a featuriser, or NULL with a reason in \p errstr. */
vg_text_t *vg_text_new(const vg_text_conf_t *conf, char *errstr,
                       size_t errstr_size);

/** @brief Frees \p tx. NULL-safe. */
void vg_text_destroy(vg_text_t *tx);

/**
 * @brief Tokenizes \p len bytes of \p text (folded, lowercase, stop words
 *        removed if configured).
 * @param toksp out: the tokens, borrowed until the next call on \p tx.
 * @returns the number of tokens.
 */
int vg_text_tokenize(vg_text_t *tx, const char *text, size_t len,
                     const char *const **toksp);

/**
 * @brief Featurises a text: unigrams ("<prefix>disque"), bigrams
 *        ("<prefix>disque_plein") and character n-grams ("<prefix>#<di")
 *        weighted by (1 + log tf) x idf and L2-normalised, are added to
 *        \p x (may be NULL); the embedding (embed_dim values) is written
 *        to \p embed (may be NULL; all zeros for an empty text).
 * @param prefix feature name prefix, e.g. "text:" (may be NULL for "").
 * @param flags VG_TEXT_F_LEARN or 0.
 * @returns the number of distinct terms.
 */
int vg_text_featurize(vg_text_t *tx, const char *text, size_t len,
                      const char *prefix, vg_features_t *x, double *embed,
                      int flags);

/** @returns the current idf of \p term (an already folded token). */
double vg_text_idf(const vg_text_t *tx, const char *term);

/** @returns the number of documents counted. */
uint64_t vg_text_n_docs(const vg_text_t *tx);

/** @returns the embedding dimension. */
int vg_text_embed_dim(const vg_text_t *tx);

/** @returns the memory held, in bytes. */
size_t vg_text_memory(const vg_text_t *tx);

/** @brief Snapshot (IDF state) of kind VG_SNAP_KIND_TEXT; vg_free() it. */
void *vg_text_save(const vg_text_t *tx, size_t *lenp);
/** @returns a fresh featuriser from a snapshot, or NULL with \p errstr. */
vg_text_t *vg_text_load(const void *buf, size_t len, char *errstr,
                        size_t errstr_size);

#endif /* VG_TEXT_H */
