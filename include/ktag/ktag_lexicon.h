/*  ktag_lexicon.h - a loaded set of lexicons: entities, aliases, josa,
    finance context cues and sentiment terms, compiled into one automaton.

    A lexicon is immutable once opened and may be shared by any number of
    threads.  It is reference counted so that a daemon can swap in a new one
    while requests still hold the old: ktag_lexicon_retain() takes a
    reference, ktag_lexicon_destroy() drops one, and the last drop frees it.
    The file format is documented in docs/LEXICONS.md.
*/
#ifndef KTAG_LEXICON_H_INCLUDED
#define KTAG_LEXICON_H_INCLUDED

#include <stddef.h>

#include "ktag_error.h"
#include "ktag_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Entity types of SPEC.md, in schema order. */
typedef enum {
    KTAG_TYPE_COMPANY = 0,
    KTAG_TYPE_ORG = 1,
    KTAG_TYPE_CHIP = 2,
    KTAG_TYPE_FUNDING = 3,
    KTAG_TYPE_COUNT
} ktag_type_t;

/** @returns "company", "org", "chip" or "funding"; NULL for a bad value. */
KTAG_EXPORT const char *ktag_type_name(ktag_type_t type);

/** Parse a type name.  @returns 0 and sets *type, or KTAG_ERR_INVALID. */
KTAG_EXPORT int ktag_type_from_name(const char *name, ktag_type_t *type);

typedef struct ktag_lexicon ktag_lexicon_t;

/** Load every `*.tsv` file of `dir` (and its VERSION file, if any).
 *  The same as ktag_lexicon_open_many() with one directory.
 *  @returns a new lexicon with one reference; the caller drops it with
 *  ktag_lexicon_destroy().  NULL on failure, with `err` naming file:line
 *  and the problem (a malformed row, an alias that names two ids, a file
 *  that cannot be read). */
KTAG_EXPORT ktag_lexicon_t *ktag_lexicon_open(const char *dir, ktag_error_t *err);

/** Load several lexicon sets as one: `dirs[0]` (usually the bundled set),
 *  then each overlay in order, as if every file of every set were in one
 *  directory.  A later set may add entities, aliases and attributes to an
 *  id of an earlier set, and stop phrases, cues, sentiment terms and josa;
 *  the first non-empty name of an id stays canonical.  What is an error
 *  within one set is an error across sets: a surface form naming two ids
 *  fails with both places, e.g. `watch/a.tsv:3: alias 'X' names 'x:foo'
 *  here and company '000001' at /usr/share/ktag/lexicons/b.tsv:12`.  With
 *  more than one set, files are named by their path in messages.  The
 *  merged set must hold at least one entity; an overlay need not.
 *  @param dirs   `count` (>= 1) directories, copied.
 *  @returns a new lexicon with one reference (ktag_lexicon_destroy()), or
 *  NULL with `err` filled. */
KTAG_EXPORT ktag_lexicon_t *ktag_lexicon_open_many(const char *const *dirs, size_t count,
                                                   ktag_error_t *err);

/** Take one more reference.  Thread-safe.  @returns `self`. */
KTAG_EXPORT ktag_lexicon_t *ktag_lexicon_retain(ktag_lexicon_t *self);

/** Drop one reference; the last one frees the lexicon.  Sets *self_p to
 *  NULL; accepts NULL and a NULL *self_p.  Thread-safe. */
KTAG_EXPORT void ktag_lexicon_destroy(ktag_lexicon_t **self_p);

/** @returns the version of the lexicon: each set's version (its VERSION
 *  file's first line, "unversioned" without one, and a hash of the bytes of
 *  its files) in load order, separated by commas, e.g.
 *  "2026.11.29+5f3a09c1" or "2026.11.29+5f3a09c1,watchlist-1+0b1c2d3e".
 *  Borrowed, valid while the lexicon lives. */
KTAG_EXPORT const char *ktag_lexicon_version(const ktag_lexicon_t *self);

/** @returns the directories the lexicon was loaded from, joined with ':'
 *  (one directory for ktag_lexicon_open()).  Borrowed. */
KTAG_EXPORT const char *ktag_lexicon_dir(const ktag_lexicon_t *self);

/** @returns how many sets (directories) were merged; >= 1. */
KTAG_EXPORT size_t ktag_lexicon_set_count(const ktag_lexicon_t *self);

/** @returns the directory of set `index` (0 = the first loaded), or NULL
 *  when `index` >= ktag_lexicon_set_count().  Borrowed. */
KTAG_EXPORT const char *ktag_lexicon_set_dir(const ktag_lexicon_t *self, size_t index);

/** @returns the version of set `index` alone ("2026.11.29+5f3a09c1"), or
 *  NULL when `index` >= ktag_lexicon_set_count().  Borrowed. */
KTAG_EXPORT const char *ktag_lexicon_set_version(const ktag_lexicon_t *self, size_t index);

/** @returns how many distinct entities (ids) of `type` are loaded. */
KTAG_EXPORT size_t ktag_lexicon_entity_count(const ktag_lexicon_t *self, ktag_type_t type);

/** @returns how many distinct normalized surface forms (names and aliases)
 *  of entities of `type` are loaded. */
KTAG_EXPORT size_t ktag_lexicon_alias_count(const ktag_lexicon_t *self, ktag_type_t type);

/** @returns the milliseconds ktag_lexicon_open() took for this lexicon. */
KTAG_EXPORT double ktag_lexicon_load_ms(const ktag_lexicon_t *self);

/** Called by ktag_lexicon_surfaces() once per normalized surface form, with
 *  the form in NFKC-casefolded UTF-8 (`len` bytes, NUL-terminated) and the
 *  entity it names.  Benchmarks use it to hand the same patterns to peers. */
typedef void (ktag_surface_fn)(void *user, const char *surface, size_t len,
                               ktag_type_t type, const char *id);

/** Enumerate every entity surface form of the lexicon. */
KTAG_EXPORT void ktag_lexicon_surfaces(const ktag_lexicon_t *self, ktag_surface_fn *fn, void *user);

/** Called by ktag_lexicon_check() once per problem.  `file` is the file's
 *  base name (its path when several sets are checked; NULL for set-wide
 *  problems), `line` is 1-based (0 when the
 *  problem is not tied to a line). */
typedef void (ktag_problem_fn)(void *user, const char *file, int line, const char *message);

/** Validate the lexicon directory `dir` without stopping at the first
 *  problem: malformed rows, aliases that name two ids, company codes with
 *  no KRX listing row, entries not in NFC, empty names, aliases shorter than
 *  2 characters without the `short` flag.
 *  @returns the number of problems found (0 = clean), or a negative status
 *  if the directory cannot be read at all. */
KTAG_EXPORT int ktag_lexicon_check(const char *dir, ktag_problem_fn *fn, void *user);

/** ktag_lexicon_check() of the sets `dirs` merged as by
 *  ktag_lexicon_open_many(): problems within and across sets.  With more
 *  than one set, `file` in the callback is the file's path (DIR/name).
 *  @returns as ktag_lexicon_check(). */
KTAG_EXPORT int ktag_lexicon_check_many(const char *const *dirs, size_t count,
                                        ktag_problem_fn *fn, void *user);

#ifdef __cplusplus
}
#endif

#endif
