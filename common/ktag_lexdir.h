/*  ktag_lexdir.h - which lexicon directory a ktag program loads.

    The CLI and the daemon resolve it the same way, first match wins:
      1. the directory given on the command line (-L / --lexicons);
      2. $KTAG_LEXICONS, when set and not empty;
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

/** Resolve the lexicon directory as described above.
 *  @param flag  the command-line value, or NULL when none was given.
 *  @returns the directory; never NULL.  Borrowed: it points into `flag`,
 *  the environment, or static storage, and stays valid as long as those do.
 *  This function can't fail; whether the directory loads is the caller's
 *  business. */
const char *ktag_lexdir_resolve(const char *flag);

/** @returns which rule ktag_lexdir_resolve() applied for `flag`: "flag",
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
 *  @param dirs  receives up to KTAG_LEXDIR_MAX directories, borrowed as in
 *               ktag_lexdir_resolve() (the split environment is copied once
 *               into storage that lives until exit).
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
