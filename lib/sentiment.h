/*  sentiment.h - (internal) Korean finance sentiment: the term table loaded
    from sentiment files, and the analyzer the tagger runs once per document.

    The scan finds sentiment terms in the same matcher pass that finds
    entities, so the analyzer never rescans for terms: it receives, per
    field, the normalized text, the term hits and the mentions (analyzer.h),
    and returns what it found in a ktag_sentiment_findings_t, which the
    tagger writes into the result.

    The term classes, the rules that combine them and the scores are
    described in docs/SENTIMENT.md.
*/
#ifndef KTAG_SENTIMENT_H_INCLUDED
#define KTAG_SENTIMENT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "ktag/ktag_tagger.h"

typedef struct ktag_sentiment_lexicon ktag_sentiment_lexicon_t;

/** The class of a sentiment term (the `class` column of a sentiment file). */
typedef enum {
    KTAG_SENT_POSITIVE = 0,   /**< evaluative, good: weight is its strength */
    KTAG_SENT_NEGATIVE,       /**< evaluative, bad */
    KTAG_SENT_UP,             /**< rise word; good alone, sign set by a measure */
    KTAG_SENT_DOWN,           /**< fall word; bad alone, sign set by a measure */
    KTAG_SENT_BETTER,         /**< improvement word: good whatever the measure */
    KTAG_SENT_WORSE,          /**< deterioration word: bad whatever the measure */
    KTAG_SENT_MEASURE_GOOD,   /**< a quantity good when it rises; neutral alone */
    KTAG_SENT_MEASURE_BAD,    /**< a quantity bad when it rises; neutral alone */
    KTAG_SENT_MEASURE_NEUTRAL,/**< a quantity whose moves are no news (환율) */
    KTAG_SENT_STATE_GOOD,     /**< good alone, and composes like a good measure */
    KTAG_SENT_STATE_BAD,      /**< bad alone, and composes like a bad measure */
    KTAG_SENT_NEGATION,       /**< flips the term before it (않, 없, 실패) */
    KTAG_SENT_NEGATION_PRE,   /**< flips the term before it, or else after it (못) */
    KTAG_SENT_INTENSIFIER,    /**< multiplies the next term by its weight (> 1) */
    KTAG_SENT_DIMINISHER,     /**< multiplies the next term by its weight (< 1) */
    KTAG_SENT_CONTRAST,       /**< what follows weighs `weight` times what precedes */
    KTAG_SENT_DAMPER,         /**< scales its whole sentence (보합, 혼조, ?) */
    KTAG_SENT_NEUTRAL,        /**< no effect: keeps shorter terms from matching in it */
    KTAG_SENT_CLASS_COUNT
} ktag_sent_class_t;

/** Term flags (the `flags` column): edges the term needs. */
enum {
    KTAG_SENT_FLAG_START = 1, /**< the character before it is not a letter of its script */
    KTAG_SENT_FLAG_SOLO = 2,  /**< neither the character before nor after it is */
    KTAG_SENT_FLAG_BACK = 4,  /**< a state that composes only with a move after it (우려) */
    KTAG_SENT_FLAG_FRAME = 8, /**< frames every funding event of its sentence (흥행, 주주가치 제고) */
    KTAG_SENT_FLAG_DOC = 16,  /**< counts for the sentence and document, never toward an entity (MOU) */
    KTAG_SENT_FLAG_END = 32,  /**< counts only where it ends its sentence (… 소각 결정[주목 e공시]) */
};

/** @returns the class name as written in sentiment files, e.g. "state_bad";
 *  NULL for a bad value. */
const char *ktag_sent_class_name(ktag_sent_class_t cls);

/** @returns a new, empty term table, or NULL when out of memory. */
ktag_sentiment_lexicon_t *ktag_sentiment_lexicon_new(void);

/** Free a term table; sets *self_p to NULL; accepts NULL. */
void ktag_sentiment_lexicon_destroy(ktag_sentiment_lexicon_t **self_p);

/** Add one row of a sentiment file.  `term` is the row's first column,
 *  already NFKC-casefolded; `columns` are all the row's columns as written
 *  (columns[0] is the raw term), `header` the file's header names: the
 *  columns named "class", "weight" and (optional) "flags" are read.
 *  @returns the term's index (>= 0; the same index when the same normalized
 *  term was added before and the rows agree), or -1 with a message in
 *  `errbuf` that says what is wrong (the loader prefixes file:line), or
 *  -2 when out of memory. */
int ktag_sentiment_lexicon_add(ktag_sentiment_lexicon_t *self, const char *term,
                               char *const *columns, size_t column_count,
                               char *const *header, char *errbuf, size_t errlen);

/** @returns how many distinct terms are loaded. */
size_t ktag_sentiment_lexicon_count(const ktag_sentiment_lexicon_t *self);

/** Look up term `index` (< ktag_sentiment_lexicon_count()).  Any output
 *  pointer may be NULL.  @returns the normalized term (borrowed). */
const char *ktag_sentiment_lexicon_term(const ktag_sentiment_lexicon_t *self, size_t index,
                                        ktag_sent_class_t *cls, double *weight, unsigned *flags);

/*  The scorer's name for a mention (analyzer.h). */
typedef ktag_mention_t ktag_entity_span_t;

/** A sentence the analyzer found: normalized bytes of its field, trimmed. */
typedef struct {
    ktag_field_t field;
    uint32_t start, end;
    ktag_sentiment_t sentiment;   /**< score in [-1, 1], static label */
} ktag_sentence_finding_t;

/** A scored term: what it added to its sentence's raw score. */
typedef struct {
    uint32_t start, end;          /**< normalized bytes of its field */
    double contrib;
} ktag_contribution_t;

/** What the analyzer found in one document.  The caller zero-initializes
 *  it once and passes it to every ktag_sentiment_score(): its buffers are
 *  reused, so a stream of documents allocates only while they grow. */
typedef struct {
    ktag_sentiment_t document;
    ktag_sentence_finding_t *sentences;      /**< in text order, title first */
    size_t sentence_count, sentence_cap;
    double *entity_scores;                   /**< toward each mention, by its `entity` index, in [-1, 1] */
    size_t entity_count, entity_cap;
    ktag_contribution_t *contributions;      /**< non-zero ones, the title's first, each field's by start */
    size_t contribution_count, contribution_cap;
    size_t title_contributions;              /**< how many of them are the title's */
    char *explain;                           /**< explain_count NUL-terminated lines, back to back */
    size_t explain_len, explain_cap, explain_count;
    void *items, *sents, *roles;             /**< the scorer's scratch */
    size_t item_cap, sent_cap, role_cap;     /**< in elements */
} ktag_sentiment_findings_t;

/** Score a document: its sentiment, each sentence's, each mention's, and
 *  (when `explain`) the explanation lines, into `findings` (emptied first).
 *  Fields come title first.
 *  @returns 0, or KTAG_ERR_NOMEM (findings are then incomplete). */
int ktag_sentiment_score(const ktag_sentiment_lexicon_t *lexicon,
                         const ktag_field_view_t *fields, size_t field_count,
                         bool explain, ktag_sentiment_findings_t *findings);

/** The sentiment of normalized bytes [start, end) of `field`: the squashed
 *  sum of the contributions of the terms that start inside it (an event's
 *  span, say).  @returns a score in [-1, 1]; 0 when no term counts. */
double ktag_sentiment_span_score(const ktag_sentiment_findings_t *findings, ktag_field_t field,
                                 uint32_t start, uint32_t end);

/** @returns the static label for a score: "positive" above +threshold,
 *  "negative" below -threshold, else "neutral". */
const char *ktag_sentiment_label(double score, double threshold);

/** Free the buffers of `findings` (not the struct). */
void ktag_sentiment_findings_release(ktag_sentiment_findings_t *findings);

#endif
