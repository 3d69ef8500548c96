/*  result.h - (internal) the body of a result and the functions the tagger
    writes it with.  Only tagger.c writes a result: the stages and analyzers
    return what they found, and the tagger maps their normalized offsets to
    the original text and stores them here.  A result also keeps each
    stage's buffers, so that a stream of documents allocates only while
    documents grow.
*/
#ifndef KTAG_RESULT_H_INCLUDED
#define KTAG_RESULT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "events.h"
#include "guess.h"
#include "ktag/ktag_tagger.h"
#include "normalize.h"
#include "scan.h"
#include "sentiment.h"

/** One field's pass through the stages. */
typedef struct {
    bool present;
    const char *orig;            /**< the caller's text (borrowed during ktag_tag) */
    size_t orig_len;
    ktag_normbuf_t normbuf;
    ktag_scan_t scan;
    ktag_mention_t *mentions;    /**< resolved, for the analyzers */
    size_t mention_count, mention_cap;
    size_t funding_count;        /**< mentions of funding terms */
} ktag_field_state_t;

/*  A 64-byte block of a field's text marked for offset conversion (result.c). */
typedef struct ktag_unit_block ktag_unit_block_t;

struct ktag_result {
    ktag_lexicon_t *lexicon;
    ktag_options_t options;
    ktag_entity_t *entities;
    size_t entity_count, entity_cap;
    size_t *entity_text;          /**< offset of each surface in `strings` */
    size_t entity_text_cap;
    ktag_sentence_t *sentences;
    size_t sentence_count, sentence_cap;
    size_t *explain;              /**< offset of each line in `strings` */
    size_t explain_count, explain_cap;
    char *strings;
    size_t strings_len, strings_cap;
    ktag_sentiment_t sentiment;
    bool has_sentiment;
    ktag_field_state_t fields[2]; /**< indexed by ktag_field_t */
    ktag_sentiment_findings_t sentiment_findings;
    ktag_event_t *events;
    size_t event_count, event_cap;
    size_t *event_text;           /**< offset of each event's span in `strings` */
    size_t event_text_cap;
    ktag_events_findings_t events_findings;
    ktag_unit_block_t *unit_blocks;  /**< the field being converted (result.c) */
    size_t unit_block_cap;
    size_t filter_work;           /**< cues and stops resolve visited */
    ktag_guess_t guess;           /**< companies found by structure (guess.h) */
};

/** Empty the result for a new document (buffers kept). */
void ktag_result_reset(ktag_result_t *self);

/** Append a mention of `entry` at original bytes [byte_start, byte_end) of
 *  `field` (whose text is `orig`); offsets stay bytes until
 *  ktag_result_finish().  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_result_add_entity(ktag_result_t *self, const ktag_entry_t *entry, ktag_field_t field,
                           const char *orig, size_t byte_start, size_t byte_end);

/** Append a sentence at original bytes [byte_start, byte_end) of `field`.
 *  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_result_add_sentence(ktag_result_t *self, ktag_field_t field, size_t byte_start, size_t byte_end,
                             const ktag_sentiment_t *sentiment);

/** Append an event of `field` whose span is original bytes [byte_start,
 *  byte_end) of `orig` (the field's text): its span, text and field are
 *  set, start/end stay bytes until ktag_result_finish(), and every other
 *  member is absent (zero) for the caller to fill in place.
 *  @returns the event, owned by the result; NULL when out of memory. */
ktag_event_t *ktag_result_add_event(ktag_result_t *self, ktag_field_t field, const char *orig, size_t byte_start,
                                    size_t byte_end);

/** Append an explanation line of `len` bytes.  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_result_add_explain(ktag_result_t *self, const char *line, size_t len);

/** Convert offsets to options.offsets and point entity texts into the
 *  strings.  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_result_finish(ktag_result_t *self);

/** @returns how many cues and stop phrases the last ktag_tag() on `self`
 *  visited to resolve its candidates (for the linearity test). */
size_t ktag_result_filter_work(const ktag_result_t *self);

#endif
