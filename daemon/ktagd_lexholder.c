/*  ktagd_lexholder.c - the swappable current lexicon (see ktagd_lexholder.h). */
#include "ktagd_lexholder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ktagd_lexholder {
    pthread_mutex_t lock;       /* guards `current` and `generation` only */
    ktag_lexicon_t *current;
    unsigned generation;
    char **dirs;
    size_t dir_count;
    char *dir;                  /* the directories joined with ':', for logs */
};

ktagd_lexholder_t *
ktagd_lexholder_new(const char *const *dirs, size_t count)
{
    ktagd_lexholder_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    self->dirs = calloc(count, sizeof *self->dirs);
    size_t len = 1;
    for (size_t i = 0; self->dirs && i < count; i++) {
        if (!(self->dirs[i] = strdup(dirs[i])))
            goto fail;
        self->dir_count++;
        len += strlen(dirs[i]) + 1;
    }
    if (!self->dirs || !(self->dir = malloc(len)))
        goto fail;
    self->dir[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        if (i)
            strcat(self->dir, ":");
        strcat(self->dir, dirs[i]);
    }
    return self;

fail:
    ktagd_lexholder_destroy(&self);
    return NULL;
}

void
ktagd_lexholder_destroy(ktagd_lexholder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktagd_lexholder_t *self = *self_p;
    ktag_lexicon_destroy(&self->current);
    pthread_mutex_destroy(&self->lock);
    for (size_t i = 0; i < self->dir_count; i++)
        free(self->dirs[i]);
    free(self->dirs);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

int
ktagd_lexholder_reload(ktagd_lexholder_t *self, ktag_error_t *err)
{
    /* The slow part, outside the lock: requests keep the old lexicon. */
    ktag_lexicon_t *fresh = ktag_lexicon_open_many((const char *const *) self->dirs, self->dir_count, err);
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
