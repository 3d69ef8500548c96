/*  ktag_lexdir.h - which lexicon directories a ktag program loads (one set,
    or several merged in order).

    The CLI and the daemon resolve them the same way, first match wins:
      1. the directories given on the command line (each -L / --lexicons);
      2. $KTAG_LEXICONS, when set and not empty (sets separated by ':');
      3. the source tree's lexicons/, when the running binary lives under the
         build tree it was compiled in (so `./build/clients/cli/ktag` works
         before `ninja install`);
      4. the installed set, ktag_default_lexicon_dir().
*/
#ifndef KTAG_LEXDIR_H_INCLUDED
#define KTAG_LEXDIR_H_INCLUDED

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @returns which of the rules above gives the first set when the first
 *  -L / --lexicons value is `flag` (NULL when none was given): "flag",
 *  "env", "build-tree" or "installed" (static), for `--version` and logs. */
const char *ktag_lexdir_origin(const char *flag);

/** Most lexicon sets one program merges (-L given this many times). */
#define KTAG_LEXDIR_MAX 32

/** Resolve the lexicon sets to merge, in order, by the same rules: the
 *  directories given on the command line (each -L / --lexicons, `flags`),
 *  else $KTAG_LEXICONS split on ':', else the default set (build tree or
 *  installed).  An empty entry (`-L ''`, a leading, trailing or doubled ':'
 *  in $KTAG_LEXICONS, as in MANPATH) stands for the default set, so
 *  `KTAG_LEXICONS=:/srv/watchlist` is the bundled set plus a watchlist.
 *  @param dirs  receives up to KTAG_LEXDIR_MAX directories, borrowed: they
 *               point into `flags` or static storage (the split
 *               environment is copied once into storage that lives until
 *               exit).
 *  @returns the number of directories (>= 1), or 0 when there are more than
 *  KTAG_LEXDIR_MAX or memory ran out. */
size_t ktag_lexdir_resolve_many(const char *const *flags, size_t nflags, const char **dirs);

/** @returns true when the running executable lives under the build tree
 *  this code was compiled in (KTAG_BUILD_ROOT). */
int ktag_lexdir_in_build_tree(void);

#ifdef __cplusplus
}
#endif

#endif
