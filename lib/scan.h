/*  scan.h - (internal) the scan stage: the lexicon's matcher runs once over
    a field's normalized view, and its hits are split into what the later
    stages need: entity candidates (resolve.c), finance context cues and
    stop phrases (resolve.c), sentiment terms (sentiment.c).  Each list
    comes out sorted by start.  Offsets are normalized bytes, [start, end).
*/
#ifndef KTAG_SCAN_H_INCLUDED
#define KTAG_SCAN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "lexicon_internal.h"

typedef struct {
    uint32_t start, end;
} ktag_span_t;

/** An entity form found in the text, before the boundary rules. */
typedef struct {
    uint32_t start, end;
    int32_t entry;           /**< index in the lexicon's entries */
    uint8_t flags;           /**< KTAG_FLAG_* of the form */
} ktag_candidate_t;

/** The scan of one field; kept between documents so its buffers are reused. */
typedef struct {
    ktag_candidate_t *candidates;   /**< by start, then end descending */
    size_t candidate_count, candidate_cap;
    ktag_span_t *cues;              /**< by start, then end */
    size_t cue_count, cue_cap;
    ktag_span_t *stops;             /**< by start, then end */
    size_t stop_count, stop_cap;
    uint32_t cue_max, stop_max;     /**< longest cue, stop phrase found (bytes) */
    ktag_term_hit_t *terms;         /**< by start, then end */
    size_t term_count, term_cap;
    ktag_term_hit_t *cue_words;     /**< the events analyzer's words: by start, longest first */
    size_t cue_word_count, cue_word_cap;
    uint32_t cue_word_first;        /**< the smallest word index in cue_words; UINT32_MAX if none */
    ktag_term_hit_t *guess_words;   /**< the guess stage's anchor words (guess.h): by start, longest
                                         first; `term` holds the word's KTAG_GUESS_* kinds */
    size_t guess_word_count, guess_word_cap;
    ktag_match_vec_t matches;       /**< the matcher's raw output */
} ktag_scan_t;

/** Scan `len` bytes of normalized `norm` with the lexicon's matcher.
 *  Candidates are kept for the types of `types` (bit 1u << ktag_type_t;
 *  0 = all), sentiment terms only when `terms`.
 *  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_scan(ktag_scan_t *self, const ktag_lexicon_t *lexicon, const char *norm, size_t len,
              unsigned types, bool terms);

/** Free the buffers of `self` (not `self`). */
void ktag_scan_release(ktag_scan_t *self);

#endif
