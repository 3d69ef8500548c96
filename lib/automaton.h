/*  automaton.h - (internal) a multi-pattern matcher over code points:
    Aho-Corasick with its goto function packed in a double array, stepping
    once per code point of valid UTF-8 (lib/automaton.c says why).  It is
    the reference path of lib/matcher.h (KTAG_MATCHER=automaton).

    One pass over the text finds every occurrence of every pattern, whatever
    their number; a step is an array lookup (plus failure links on a miss),
    with no allocation but the growth of the caller's hit vector.  Built once
    per lexicon, then immutable and shared by all threads.
*/
#ifndef KTAG_AUTOMATON_H_INCLUDED
#define KTAG_AUTOMATON_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "matcher.h"   /* ktag_match_t, ktag_match_vec_t */

typedef struct ktag_automaton_builder ktag_automaton_builder_t;
typedef struct ktag_automaton ktag_automaton_t;

/** @returns a new builder, or NULL when out of memory. */
ktag_automaton_builder_t *ktag_automaton_builder_new(void);

/** Free a builder; sets *self_p to NULL; accepts NULL. */
void ktag_automaton_builder_destroy(ktag_automaton_builder_t **self_p);

/** Add a pattern of `len` (> 0) bytes of UTF-8 without NUL.  ASCII letters
 *  match case-insensitively: patterns equal but for ASCII case get the same
 *  id, as does adding the same bytes twice.  @returns the pattern id (0, 1,
 *  2, … in order of first addition), or -1 when out of memory or the bytes
 *  are not UTF-8. */
int32_t ktag_automaton_builder_add(ktag_automaton_builder_t *self, const char *bytes, size_t len);

/** @returns how many distinct patterns were added. */
size_t ktag_automaton_builder_count(const ktag_automaton_builder_t *self);

/** Compile the patterns into an automaton; destroys the builder (*self_p
 *  becomes NULL) whatever the outcome.  @returns NULL when out of memory. */
ktag_automaton_t *ktag_automaton_compile(ktag_automaton_builder_t **self_p);

/** Free an automaton; sets *self_p to NULL; accepts NULL. */
void ktag_automaton_destroy(ktag_automaton_t **self_p);

/** Append every occurrence of every pattern in text[0, len) to `out`, in
 *  order of end offset (bytes, exclusive), longest first at equal ends.
 *  ASCII capitals in the text match the small letters of the patterns.  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_automaton_scan(const ktag_automaton_t *self, const char *text, size_t len,
                        ktag_match_vec_t *out);

/** @returns the number of states and bytes of the compiled arrays. */
size_t ktag_automaton_states(const ktag_automaton_t *self);
size_t ktag_automaton_memory(const ktag_automaton_t *self);

#endif
