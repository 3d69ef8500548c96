/*  analyzer.h - (internal) what an analyzer sees of a document.

    The engine runs in stages: normalize (normalize.c) -> scan (scan.c: the
    matcher once, hits split into candidates, cues, stops and sentiment
    terms) -> resolve (resolve.c: boundaries, ambiguity, stop phrases,
    leftmost-longest) -> guess (guess.c: companies the lexicon does not
    know, found by structure) -> analyzers -> result (tagger.c, result.c).
    An analyzer (sentiment.c, events.c) reads the fields
    below, title first, and fills a findings struct of its own, whose
    buffers it reuses between documents; it never writes the result: only
    the tagger does, mapping normalized offsets back to the original text.

    Offsets here are normalized bytes of a field, [start, end).
*/
#ifndef KTAG_ANALYZER_H_INCLUDED
#define KTAG_ANALYZER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "ktag/ktag_tagger.h"

/*  The lexicon's entity record (lexicon_internal.h): type, id, name, attrs. */
typedef struct ktag_entry ktag_entry_t;

/** A sentiment term found in a field. */
typedef struct {
    uint32_t start, end;     /**< normalized bytes, [start, end) */
    uint32_t term;           /**< index in the sentiment lexicon */
} ktag_term_hit_t;

/** A resolved entity mention, as analyzers see it. */
typedef struct {
    uint32_t start, end;          /**< normalized bytes of its field, [start, end) */
    uint32_t entity;              /**< index in the result's entity list */
    const ktag_entry_t *entry;    /**< type, id, name (lexicon_internal.h) */
} ktag_mention_t;

/** One field after normalize -> scan -> resolve -> guess. */
typedef struct {
    ktag_field_t field;
    /** The normalized view (NFKC + case folding), valid UTF-8.  ASCII
     *  capitals are NOT folded (the matcher folds them): compare ASCII
     *  letters case-insensitively, or by character class.  Where the text
     *  needed no normalization this is the caller's original text. */
    const char *norm;
    size_t norm_len;                      /**< bytes */
    const ktag_term_hit_t *terms;         /**< sentiment terms, sorted by start, then end */
    size_t term_count;
    const ktag_mention_t *mentions;       /**< sorted by start */
    size_t mention_count;
    /** The events analyzer's cue words (events.h) the matcher found:
     *  `term` is the word's index, sorted by start, longest first. */
    const ktag_term_hit_t *cue_words;
    size_t cue_word_count;
    uint32_t cue_word_first;              /**< the smallest `term` of cue_words; UINT32_MAX if none */
    size_t funding_count;                 /**< mentions of funding terms */
} ktag_field_view_t;

#endif
