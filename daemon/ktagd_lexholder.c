/*  ktagd_lexholder.c - the swappable current lexicon (see ktagd_lexholder.h). */
#include "ktagd_lexholder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ktagd_lexholder {
    pthread_mutex_t lock;       /* guards `current` and `generation` only */
    ktag_lexicon_t *current;
    unsigned generation;
    char *dir;
};

ktagd_lexholder_t *
ktagd_lexholder_new(const char *dir)
{
    ktagd_lexholder_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->dir = strdup(dir);
    if (!self->dir) {
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void
ktagd_lexholder_destroy(ktagd_lexholder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktagd_lexholder_t *self = *self_p;
    ktag_lexicon_destroy(&self->current);
    pthread_mutex_destroy(&self->lock);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

int
ktagd_lexholder_reload(ktagd_lexholder_t *self, ktag_error_t *err)
{
    /* The slow part, outside the lock: requests keep the old lexicon. */
    ktag_lexicon_t *fresh = ktag_lexicon_open(self->dir, err);
    if (!fresh)
        return err && err->code < 0 ? err->code : KTAG_ERR_LEXICON;
    pthread_mutex_lock(&self->lock);
    ktag_lexicon_t *old = self->current;
    self->current = fresh;
    self->generation++;
    pthread_mutex_unlock(&self->lock);
    /* Requests still tagging with `old` hold their own references. */
    ktag_lexicon_destroy(&old);
    return 0;
}

ktag_lexicon_t *
ktagd_lexholder_get(ktagd_lexholder_t *self)
{
    pthread_mutex_lock(&self->lock);
    ktag_lexicon_t *lex = self->current ? ktag_lexicon_retain(self->current) : NULL;
    pthread_mutex_unlock(&self->lock);
    return lex;
}

const char *
ktagd_lexholder_dir(const ktagd_lexholder_t *self)
{
    return self->dir;
}

unsigned
ktagd_lexholder_generation(ktagd_lexholder_t *self)
{
    pthread_mutex_lock(&self->lock);
    unsigned g = self->generation;
    pthread_mutex_unlock(&self->lock);
    return g;
}
