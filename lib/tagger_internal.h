/*  tagger_internal.h - (internal) what the sentiment scorer may write into a
    result.  Offsets here are normalized bytes of a field; the result maps
    them back to the original text in the caller's unit. */
#ifndef KTAG_TAGGER_INTERNAL_H_INCLUDED
#define KTAG_TAGGER_INTERNAL_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "ktag/ktag_tagger.h"

/** Set the sentiment toward entity `index` (clamped to [-1, 1]). */
void ktag_result_set_entity_sentiment(ktag_result_t *self, size_t index, double score);

/** Set the document's sentiment (label copied from the static label). */
void ktag_result_set_sentiment(ktag_result_t *self, const ktag_sentiment_t *sentiment);

/** Append a sentence of `field` spanning normalized bytes [start, end).
 *  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_result_add_sentence(ktag_result_t *self, ktag_field_t field,
                             uint32_t norm_start, uint32_t norm_end,
                             const ktag_sentiment_t *sentiment);

/** Append an explanation line, printf-style.  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_result_add_explain(ktag_result_t *self, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/** @returns how many cues and stop phrases the last ktag_tag() on `self`
 *  visited to filter its candidates (for the linearity test). */
size_t ktag_result_filter_work(const ktag_result_t *self);

/** @returns the static label for a score: "positive" above +threshold,
 *  "negative" below -threshold, else "neutral". */
const char *ktag_sentiment_label(double score, double threshold);

#endif
