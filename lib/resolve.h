/*  resolve.h - (internal) the resolve stage: which of the scan's entity
    candidates are mentions.  A candidate must pass the Korean boundary
    rules (docs/LEXICONS.md), an ambiguous form needs a finance cue within
    KTAG_CONTEXT_WINDOW code points, no form counts inside a stop phrase,
    and overlaps are resolved leftmost-longest unless all are wanted.
*/
#ifndef KTAG_RESOLVE_H_INCLUDED
#define KTAG_RESOLVE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "scan.h"

/** Keep the mentions among scan->candidates, in place and in order, on the
 *  normalized view `norm` of `len` bytes the scan ran on.  Each candidate
 *  looks at the cues and stops of a bounded window around it (the lists
 *  are sorted by start), so the work is linear in the candidates; the
 *  number of cues and stops visited is added to *work.
 *  @returns the number of candidates kept.  Can't fail. */
size_t ktag_resolve(ktag_scan_t *scan, const ktag_lexicon_t *lexicon, const char *norm, size_t len,
                    bool overlaps, size_t *work);

#endif
