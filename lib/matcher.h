/*  matcher.h - (internal) finds every occurrence of a fixed set of byte
    strings (the lexicon's normalized forms) in a text, with ASCII letters
    matched case-insensitively.

    Several implementations answer the same calls with the same output: a
    portable C prefilter (the reference), the same prefilter with AVX2 or
    AVX-512 candidate search, and the Aho-Corasick automaton of
    automaton.h.  One is chosen when the matcher is compiled, from the CPU
    (AVX-512: the avx512 prefilter; otherwise the automaton, measured
    faster than the avx2 and portable prefilters); the environment variable
    KTAG_MATCHER=portable|avx2|avx512|automaton forces one (a path the CPU
    lacks gives the default, and ktag_matcher_impl says which runs).  Built
    once per lexicon, then immutable and shared by all threads.
*/
#ifndef KTAG_MATCHER_H_INCLUDED
#define KTAG_MATCHER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/** An occurrence: pattern id and the byte offset just past its end. */
typedef struct {
    uint32_t pattern;
    uint32_t end;
} ktag_match_t;

/** A growable vector of matches, owned by the caller and reused. */
typedef struct {
    ktag_match_t *items;
    size_t count, capacity;
} ktag_match_vec_t;

typedef struct ktag_matcher_builder ktag_matcher_builder_t;
typedef struct ktag_matcher ktag_matcher_t;

/** @returns a new builder, or NULL when out of memory. */
ktag_matcher_builder_t *ktag_matcher_builder_new(void);

/** Free a builder; sets *self_p to NULL; accepts NULL. */
void ktag_matcher_builder_destroy(ktag_matcher_builder_t **self_p);

/** Add a pattern of `len` (> 0) bytes of UTF-8 without NUL; patterns are
 *  meant to be added with ASCII letters lowercased.  Patterns equal but for
 *  ASCII case get the same id, as does adding the same bytes twice.
 *  @returns the pattern id (0, 1, 2, … in order of first addition), or -1
 *  when out of memory or the bytes are not UTF-8. */
int32_t ktag_matcher_builder_add(ktag_matcher_builder_t *self, const char *bytes, size_t len);

/** @returns how many distinct patterns were added. */
size_t ktag_matcher_builder_count(const ktag_matcher_builder_t *self);

/** Compile the patterns, choosing the implementation (see above); destroys
 *  the builder (*self_p becomes NULL) whatever the outcome.
 *  @returns a new matcher, freed with ktag_matcher_destroy, or NULL when out
 *  of memory. */
ktag_matcher_t *ktag_matcher_compile(ktag_matcher_builder_t **self_p);

/** Free a matcher; sets *self_p to NULL; accepts NULL. */
void ktag_matcher_destroy(ktag_matcher_t **self_p);

/** Append to `out` every occurrence of every pattern in text[0, len) (len
 *  below 4 GiB: ends are 32-bit), ASCII
 *  capitals of the text matching the small letters of the patterns.  The
 *  appended matches are sorted by start (end minus the pattern's length,
 *  bytes) ascending, and at equal starts longest first.  The text should be
 *  valid UTF-8 (the normalizer's output is): on other bytes the automaton
 *  path may miss a match next to the invalid sequence, the prefilter paths
 *  report every byte-exact occurrence.  Thread-safe: the matcher is only
 *  read.  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_matcher_scan(const ktag_matcher_t *self, const char *text, size_t len, ktag_match_vec_t *out);

/** @returns the implementation in use: "avx512", "avx2", "portable" or
 *  "automaton" (a static string). */
const char *ktag_matcher_impl(const ktag_matcher_t *self);

/** @returns the bytes of the compiled tables. */
size_t ktag_matcher_memory(const ktag_matcher_t *self);

#endif
