/*  events.h - (internal) the events analyzer: funding, price moves, target
    prices, earnings and contracts, each linked to the entities of its
    sentence, with amounts as numbers.

    It runs after resolve, beside sentiment (analyzer.h): it reads each
    field's normalized text and resolved mentions, and returns what it found
    in a ktag_events_findings_t; the tagger writes the result.  The rules
    (which words make an event, which company it is linked to, how an amount
    is chosen) are described in docs/EVENTS.md; every event carries the name
    of the rule that linked it.

    Offsets are normalized bytes of the event's field, [start, end).
*/
#ifndef KTAG_EVENTS_H_INCLUDED
#define KTAG_EVENTS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amount.h"
#include "analyzer.h"
#include "ktag/ktag_tagger.h"

/** One event found.  Entity references are indexes in the result's entity
 *  list (ktag_mention_t.entity), -1 when absent. */
typedef struct {
    ktag_event_type_t type;
    const char *kind;             /**< funding id (the lexicon's), or "revenue" …; NULL = absent */
    int32_t company, counterparty, source;
    const char *direction;        /**< static: "up" "down" "keep" "turn_profit" "turn_loss"; NULL = absent */
    bool has_amount;
    double amount;
    ktag_amount_unit_t unit;
    bool has_previous;
    double previous;
    bool limit;                   /**< 상한가 / 하한가 */
    ktag_field_t field;
    uint32_t start, end;          /**< normalized bytes: the trigger with its amounts and direction word */
    const char *rule;             /**< static: the rule that linked the company, e.g. "subject_comma" */
} ktag_event_finding_t;

/** What the analyzer found in one document.  Zero-initialize it once and
 *  pass it to every ktag_events_analyze(): its buffers are reused. */
typedef struct {
    ktag_event_finding_t *events;  /**< title first, then by start */
    size_t event_count, event_cap;
    void *scratch;                 /**< the analyzer's per-sentence tokens */
    size_t scratch_cap;
} ktag_events_findings_t;

/** The analyzer's cue words (below) with an index under this are its
 *  triggers; the others are context its rules read around a trigger. */
#define KTAG_EVENTS_TRIGGER_WORDS 60

/** True when a field may state an event: one of its cue words is a
 *  trigger, or a mention is a funding term.  Most headlines hold neither;
 *  the tagger asks before it calls ktag_events_analyze(), which asks again
 *  per field.  This function can't fail. */
static inline bool ktag_events_may_state(const ktag_field_view_t *view)
{
    /*  `|`, not `||`: two compares and no branch for the tagger's loop. */
    return (view->cue_word_first < KTAG_EVENTS_TRIGGER_WORDS) | (view->funding_count > 0);
}

/** Find the events of a document whose fields come title first.
 *  `findings` is emptied first.
 *  @returns 0, or KTAG_ERR_NOMEM (findings are then incomplete). */
int ktag_events_analyze(const ktag_field_view_t *fields, size_t field_count,
                        ktag_events_findings_t *findings);

/** The analyzer's cue words (normalized: Hangul, lower-case ASCII), which
 *  the lexicon adds to its matcher so that the scan stage finds them in the
 *  same pass as the entities (ktag_field_view_t.cue_words).  Word indexes
 *  are stable for the life of the process.  This function can't fail. */
size_t ktag_events_word_count(void);

/** @returns cue word `index` (< ktag_events_word_count()), static. */
const char *ktag_events_word(size_t index);

/** Free the buffers of `findings` (not the struct). */
void ktag_events_findings_release(ktag_events_findings_t *findings);

#endif
