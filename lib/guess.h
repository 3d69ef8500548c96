/*  guess.h - (internal) the guess stage: companies the lexicon does not
    know, found by structure.

    After resolve, a field's text is read for a few strong structures that
    a Korean reader takes as naming a company:

      - subsidiary:  자회사/관계사/계열사/손자회사 + space + NAME
                     ("케이옥션 자회사 아르떼케이")
      - partner:     NAME + 와/과, and a deal word later in the same clause
                     ("에이블글로벌과 베트남 시장 공급 계약")
      - headline:    a field (a headline) opening with NAME + ", " whose rest names a
                     corporate event, when NAME has a corporate shape or the
                     title also holds a partner ("세한엔에프씨, 페이앤스토어와
                     업무협약")

      - ending:      NAME with an ending only company names have (홀딩스,
                     자산운용, 파트너스, 인베스트먼트, 테크놀로지스, 캐피탈,
                     저축은행…), anywhere ("알펜루트자산운용, 환매 연기")

    A NAME guessed once in a document is also a mention wherever it stands
    again as a word, bare or with a particle ("repeat").

    NAME is a run of Hangul syllables, Latin letters and digits, starting
    with a letter, that no resolved mention overlaps, that is not itself a
    lexicon form, not a common word (a short list) and not a place or an
    institution by its ending (병원, 대학, 정부…).  Each guess becomes a
    company mention with id "x:" + NAME as written in the normalized (NFC)
    text, a NAME of ASCII letters and digits lowercased as the lexicon's
    slugs are ("x:vgxi"), and name NAME; no attributes, like any other
    mention.  Guessing is on unless the options' types leave companies out.

    The rules look only where an anchor word stands: a subsidiary cue, a
    deal word (a partner comes before it), a corporate event (for the
    headline rule), a strong ending.  The lexicon adds these words to its
    matcher (ktag_guess_word), so the scan stage finds them in its one pass
    (ktag_scan_t.guess_words), and a field without one and without a name
    guessed earlier in the document costs the stage one check.

    Offsets are normalized bytes of the field, [start, end).
*/
#ifndef KTAG_GUESS_H_INCLUDED
#define KTAG_GUESS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lexicon_internal.h"
#include "scan.h"

/** A company guessed in a field. */
typedef struct {
    uint32_t start, end;           /**< normalized bytes, [start, end) */
    const ktag_entry_t *entry;     /**< owned by the ktag_guess_t */
    const char *rule;              /**< "subsidiary", "partner", "headline", "ending", "repeat" */
} ktag_guess_hit_t;

/** The guess stage's state, kept in a result and reused between documents.
 *  Its entries stay valid (same addresses) until the next
 *  ktag_guess_reset(). */
typedef struct {
    ktag_entry_t entry;            /**< entry.id and entry.name share one buffer */
    size_t id_cap;                 /**< its bytes */
    size_t slot;                   /**< where the name table holds it */
} ktag_guess_entry_t;

/** What an anchor word starts (bits of ktag_pattern_t.guess). */
enum {
    KTAG_GUESS_SUBSIDIARY = 1,   /**< 자회사 …: the subsidiary rule on the NAME after it */
    KTAG_GUESS_DEAL = 2,         /**< 업무협약 …: the partner rule on a NAME+와/과 before it */
    KTAG_GUESS_EVENT = 4,        /**< 상장 …: the headline rule */
    KTAG_GUESS_ENDING = 8,       /**< 홀딩스 …: the ending rule on the NAME it ends */
};

typedef struct {
    ktag_guess_entry_t **entries;  /**< each its own allocation, so pointers stay put */
    size_t entry_count;            /**< in use by this document */
    size_t entry_alloc, entry_cap; /**< allocated, slots of `entries` */
    uint32_t *names;               /**< the entries in use by name: index + 1, 0 free (open addressing) */
    size_t name_cap;               /**< slots of `names`: 0 or a power of two */
    ktag_guess_hit_t *hits;        /**< the last field's guesses, by start */
    size_t hit_count, hit_cap;
    /* a field's anchors: spaces after a cue or a 와/과, where the ending
       rule may hold, deal words (reused between fields) */
    uint32_t *spaces, *endings;
    size_t space_count, space_cap, ending_count, ending_cap;
    ktag_span_t *deals;
    size_t deal_count, deal_cap;
    /* three bitmaps of a bit per byte of the field (and one past it),
       `mark_words` words each, zero between fields: the bytes of its
       guesses, of its resolved mentions, and where each of those ends */
    uint64_t *marks;
    size_t mark_cap, mark_words;
} ktag_guess_t;

/** The anchor words (normalized: Hangul, lower-case ASCII), which the
 *  lexicon adds to its matcher.  This function can't fail. */
size_t ktag_guess_word_count(void);

/** @returns anchor word `index` (< ktag_guess_word_count()), static, and
 *  sets *kinds to what it starts (KTAG_GUESS_* bits). */
const char *ktag_guess_word(size_t index, unsigned *kinds);

/** Start a new document: the entries of the last one may be reused. */
void ktag_guess_reset(ktag_guess_t *self);

/** Find the companies of one field.  `known` are the field's resolved
 *  candidates (by start, non-overlapping), `scan` its scan (scan.h): the
 *  matcher's raw output and the anchor words in it.  The guesses replace
 *  self->hits; a NAME met twice in a document gets the same entry.
 *  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_guess_field(ktag_guess_t *self, const ktag_lexicon_t *lexicon, const char *norm, size_t len,
                     const ktag_candidate_t *known, size_t known_count, const ktag_scan_t *scan);

/** Free the buffers of `self` (not `self`). */
void ktag_guess_release(ktag_guess_t *self);

#endif
