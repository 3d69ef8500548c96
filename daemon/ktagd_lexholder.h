/*  ktagd_lexholder.h - the lexicon every request uses, swappable while
    requests are being served.

    Requests call ktagd_lexholder_get() for a reference, tag with it and drop
    it; a reload opens the new set outside the lock and then swaps the
    pointer, so a request sees either the old lexicon or the new one, never
    a half-loaded one, and the old one is freed when its last request ends.
*/
#ifndef KTAGD_LEXHOLDER_H_INCLUDED
#define KTAGD_LEXHOLDER_H_INCLUDED

#include <ktag/ktag.h>

typedef struct ktagd_lexholder ktagd_lexholder_t;

/** @returns a new holder that loads the sets `dirs` (`count` >= 1 of them,
 *  copied) merged in order, as ktag_lexicon_open_many(); NULL when out of
 *  memory.  It holds no lexicon until the first ktagd_lexholder_reload(). */
ktagd_lexholder_t *ktagd_lexholder_new(const char *const *dirs, size_t count);

/** Drop the current lexicon and free the holder.  Accepts NULL. */
void ktagd_lexholder_destroy(ktagd_lexholder_t **self_p);

/** Load every set again and swap the merged lexicon in.  On failure the current
 *  lexicon stays in service and `err` says why (file:line).  Only one
 *  reload runs at a time (callers serialise; the daemon has one reloader).
 *  @returns 0 or a negative ktag_status_t. */
int ktagd_lexholder_reload(ktagd_lexholder_t *self, ktag_error_t *err);

/** @returns a new reference to the current lexicon (the caller drops it
 *  with ktag_lexicon_destroy()), or NULL before the first load.
 *  Thread-safe, never blocks on a reload in progress. */
ktag_lexicon_t *ktagd_lexholder_get(ktagd_lexholder_t *self);

/** @returns the directories lexicons are loaded from, joined with ':'.
 *  Borrowed. */
const char *ktagd_lexholder_dir(const ktagd_lexholder_t *self);

/** @returns how many times a lexicon was swapped in (the first load counts). */
unsigned ktagd_lexholder_generation(ktagd_lexholder_t *self);

#endif
