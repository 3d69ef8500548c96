/*  sentiment.h - (internal) Korean finance sentiment: the term table loaded
    from sentiment files, and the scorer the tagger calls once per document.

    The tagger finds sentiment terms with the same automaton pass that finds
    entities, so the scorer never rescans for terms: it receives, per field,
    the normalized text, the term hits and the entity spans, and writes its
    scores back through the result functions of tagger_internal.h.
*/
#ifndef KTAG_SENTIMENT_H_INCLUDED
#define KTAG_SENTIMENT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "ktag/ktag_tagger.h"

typedef struct ktag_sentiment_lexicon ktag_sentiment_lexicon_t;
typedef struct ktag_result ktag_result_t;

/** @returns a new, empty term table, or NULL when out of memory. */
ktag_sentiment_lexicon_t *ktag_sentiment_lexicon_new(void);

/** Free a term table; sets *self_p to NULL; accepts NULL. */
void ktag_sentiment_lexicon_destroy(ktag_sentiment_lexicon_t **self_p);

/** Add one row of a sentiment file.  `term` is the row's first column,
 *  already NFKC-casefolded; `columns` are all the row's columns as written
 *  (columns[0] is the raw term), `header` the file's header names.
 *  @returns the term's index (>= 0; the same index when the same normalized
 *  term was added before and the rows agree), or -1 with a message in
 *  `errbuf` that says what is wrong (the loader prefixes file:line). */
int ktag_sentiment_lexicon_add(ktag_sentiment_lexicon_t *self, const char *term,
                               char *const *columns, size_t column_count,
                               char *const *header, char *errbuf, size_t errlen);

/** @returns how many distinct terms are loaded. */
size_t ktag_sentiment_lexicon_count(const ktag_sentiment_lexicon_t *self);

/** A sentiment term found in a field: normalized byte span [start, end). */
typedef struct {
    uint32_t start, end;
    uint32_t term;           /**< index returned by ktag_sentiment_lexicon_add */
} ktag_term_hit_t;

/** An entity mention in a field: normalized byte span [start, end) and its
 *  index in the result (for ktag_result_set_entity_sentiment). */
typedef struct {
    uint32_t start, end;
    uint32_t entity;
} ktag_entity_span_t;

/** One field of the document as the tagger saw it. */
typedef struct {
    ktag_field_t field;
    const char *norm;                     /**< NFKC-casefolded UTF-8 */
    size_t norm_len;                      /**< bytes */
    const ktag_term_hit_t *terms;         /**< sorted by start, then end */
    size_t term_count;
    const ktag_entity_span_t *entities;   /**< sorted by start */
    size_t entity_count;
} ktag_field_view_t;

/** Score a document: the document sentiment, each sentence's, each
 *  entity's, and (when `explain`) the explanation lines, all written into
 *  `result` through tagger_internal.h.  Fields come title first.
 *  @returns 0, or KTAG_ERR_NOMEM. */
int ktag_sentiment_score(const ktag_sentiment_lexicon_t *lexicon,
                         const ktag_field_view_t *fields, size_t field_count,
                         bool explain, ktag_result_t *result);

#endif
