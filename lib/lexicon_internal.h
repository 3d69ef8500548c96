/*  lexicon_internal.h - (internal) the body of a loaded lexicon, as the
    tagger reads it. */
#ifndef KTAG_LEXICON_INTERNAL_H_INCLUDED
#define KTAG_LEXICON_INTERNAL_H_INCLUDED

#include <stdatomic.h>
#include <stdint.h>

#include "ktag/ktag.h"
#include "matcher.h"
#include "sentiment.h"

/** Flags of an alias row (docs/LEXICONS.md). */
enum {
    KTAG_FLAG_AMBIGUOUS = 1 << 0,
    KTAG_FLAG_SHORT = 1 << 1,
    KTAG_FLAG_GLUE = 1 << 2,
    KTAG_FLAG_CASE = 1 << 3,
};

/** A form whose ASCII letters must be written as in the lexicon (flag
 *  `case`): the matcher folds ASCII case, the scan checks it. */
typedef struct {
    int32_t pattern;
    char *written;      /**< the form as written (ASCII), pattern's length */
} ktag_case_form_t;

typedef struct ktag_entry {
    ktag_type_t type;
    char *id;
    char *name;
    uint32_t id_len, name_len;   /**< bytes (a TSV field, a guessed name: far below 4 GiB) */
    ktag_attr_t *attrs;
    size_t attr_count;
} ktag_entry_t;

/** What one normalized pattern of the matcher stands for: any of an
 *  entity surface form, a finance context cue and a sentiment term (and
 *  the events analyzer's and the guess stage's words). */
typedef struct {
    int32_t entry;      /**< entity index, or -1 */
    int32_t sentiment;  /**< sentiment term index, or -1 */
    uint32_t len;       /**< bytes */
    uint8_t flags;      /**< KTAG_FLAG_* of the entity form */
    uint8_t cue;        /**< 1 when a finance context cue */
    uint8_t stop;       /**< 1 when a stop phrase: mentions inside it are dropped */
    uint8_t guess;      /**< KTAG_GUESS_* bits of an anchor word of the guess stage (guess.h), or 0 */
    int32_t event_word; /**< a cue word of the events analyzer (events.h), or -1 */
} ktag_pattern_t;

/** A particle or ending.  The list is sorted by first code point, then
 *  longest first, so the tagger looks only at those that can start at a
 *  position, longest first. */
typedef struct {
    char *text;         /**< normalized */
    size_t len;
    uint32_t first;     /**< its first code point */
} ktag_josa_t;

struct ktag_lexicon {
    atomic_int refs;
    char *dir;          /**< the sets' directories joined with ':' */
    char *version;      /**< the sets' versions joined with ',' */
    ktag_entry_t *entries;
    size_t entry_count;
    ktag_pattern_t *patterns;
    char **forms;       /**< normalized text of each pattern */
    size_t pattern_count;
    ktag_matcher_t *matcher;
    /*  The same patterns but the sentiment terms, for documents tagged
        without sentiment; NULL when the lexicons have no such term.  Its
        pattern ids map to the lexicon's through `entity_patterns`. */
    ktag_matcher_t *entity_matcher;
    uint32_t *entity_patterns;
    ktag_josa_t *josa;
    size_t josa_count;
    ktag_sentiment_lexicon_t *sentiment;
    size_t entity_counts[KTAG_TYPE_COUNT];
    size_t alias_counts[KTAG_TYPE_COUNT];
    char **attr_keys;   /**< interned attribute names */
    size_t attr_key_count;
    ktag_case_form_t *case_forms;   /**< few: looked through one by one */
    size_t case_form_count;
    double load_ms;
    char **set_dirs;     /**< the sets merged, in order (ktag_lexicon_open_many) */
    char **set_versions; /**< each set's VERSION line + hash of its files */
    size_t set_count;
};

/** A finance context cue must lie within this many code points of an
 *  ambiguous form for the form to be tagged. */
#define KTAG_CONTEXT_WINDOW 30

/** True when `text` (a match of `pattern` in a normalized view) is
 *  written as the lexicon wrote the form, for a pattern with the `case`
 *  flag; true for any other pattern. */
bool ktag_lexicon_case_matches(const ktag_lexicon_t *lex, int32_t pattern, const char *text);

#endif
