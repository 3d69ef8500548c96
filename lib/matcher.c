/*  matcher.c - one interface over the multi-pattern matchers: keeps the
    patterns, chooses the implementation, and puts the automaton's
    end-ordered output in start order.
*/
#include "matcher.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "automaton.h"
#include "ktag/ktag_error.h"
#include "util.h"

typedef enum {
    S_IMPL_AUTOMATON,
} s_impl_t;

static const char *const s_impl_names[] = { "automaton" };

struct ktag_matcher_builder {
    ktag_automaton_builder_t *automaton;
    uint32_t *lens;     /* bytes of each pattern, by id */
    size_t lens_cap;
};

struct ktag_matcher {
    s_impl_t impl;
    ktag_automaton_t *automaton;
    uint32_t *lens;
    size_t count;
};

ktag_matcher_builder_t *ktag_matcher_builder_new(void)
{
    ktag_matcher_builder_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->automaton = ktag_automaton_builder_new();
    if (!self->automaton)
        ktag_matcher_builder_destroy(&self);
    return self;
}

void ktag_matcher_builder_destroy(ktag_matcher_builder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_matcher_builder_t *self = *self_p;
    ktag_automaton_builder_destroy(&self->automaton);
    free(self->lens);
    free(self);
    *self_p = NULL;
}

int32_t ktag_matcher_builder_add(ktag_matcher_builder_t *self, const char *bytes, size_t len)
{
    size_t count = ktag_automaton_builder_count(self->automaton);
    if (len == 0 || len > UINT32_MAX || KTAG_RESERVE(self->lens, self->lens_cap, count + 1))
        return -1;
    int32_t id = ktag_automaton_builder_add(self->automaton, bytes, len);
    if (id >= 0 && (size_t) id == count)
        self->lens[id] = (uint32_t) len;
    return id;
}

size_t ktag_matcher_builder_count(const ktag_matcher_builder_t *self)
{
    return ktag_automaton_builder_count(self->automaton);
}

ktag_matcher_t *ktag_matcher_compile(ktag_matcher_builder_t **builder_p)
{
    ktag_matcher_builder_t *b = *builder_p;
    ktag_matcher_t *self = calloc(1, sizeof *self);
    if (!self)
        goto done;
    self->impl = S_IMPL_AUTOMATON;
    self->count = ktag_automaton_builder_count(b->automaton);
    self->lens = b->lens;
    b->lens = NULL;
    self->automaton = ktag_automaton_compile(&b->automaton);
    if (!self->automaton)
        ktag_matcher_destroy(&self);
done:
    ktag_matcher_builder_destroy(builder_p);
    return self;
}

void ktag_matcher_destroy(ktag_matcher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_matcher_t *self = *self_p;
    ktag_automaton_destroy(&self->automaton);
    free(self->lens);
    free(self);
    *self_p = NULL;
}

static inline uint32_t s_start(const ktag_matcher_t *self, const ktag_match_t *match)
{
    return match->end - self->lens[match->pattern];
}

/*  True when `a` goes after `b`: later start, or same start and shorter. */
static inline bool s_after(const ktag_matcher_t *self, const ktag_match_t *a, const ktag_match_t *b)
{
    uint32_t sa = s_start(self, a), sb = s_start(self, b);
    return sa != sb ? sa > sb : a->end < b->end;
}

/*  Bottom-up merge sort through a scratch buffer: O(n log n) whatever the
    input.  @returns 0 or KTAG_ERR_NOMEM. */
static int s_merge_sort(const ktag_matcher_t *self, ktag_match_t *items, size_t count)
{
    ktag_match_t *scratch = malloc(count * sizeof *scratch);
    if (!scratch)
        return KTAG_ERR_NOMEM;
    ktag_match_t *from = items, *to = scratch;
    for (size_t width = 1; width < count; width *= 2) {
        for (size_t lo = 0; lo < count; lo += 2 * width) {
            size_t mid = lo + width < count ? lo + width : count;
            size_t hi = mid + width < count ? mid + width : count;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                to[k++] = s_after(self, &from[i], &from[j]) ? from[j++] : from[i++];
            while (i < mid)
                to[k++] = from[i++];
            while (j < hi)
                to[k++] = from[j++];
        }
        ktag_match_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != items)
        memcpy(items, from, count * sizeof *items);
    free(scratch);
    return 0;
}

/*  The automaton reports by end; a match moves back only past the matches
    nested inside it, so insertion sort is near linear on real text.  Should
    the moves pile up (patterns nested many deep), a merge sort takes over.
    @returns 0 or KTAG_ERR_NOMEM. */
static int s_sort_by_start(const ktag_matcher_t *self, ktag_match_t *items, size_t count)
{
    size_t moves = 0, budget = 8 * count + 64;
    for (size_t i = 1; i < count; i++) {
        ktag_match_t item = items[i];
        size_t j = i;
        for (; j > 0 && s_after(self, &items[j - 1], &item); j--)
            items[j] = items[j - 1];
        items[j] = item;
        moves += i - j;
        if (moves > budget)
            return s_merge_sort(self, items, count);
    }
    return 0;
}

int ktag_matcher_scan(const ktag_matcher_t *self, const char *text, size_t len, ktag_match_vec_t *out)
{
    size_t first = out->count;
    int rc = ktag_automaton_scan(self->automaton, text, len, out);
    if (rc == 0)
        rc = s_sort_by_start(self, out->items + first, out->count - first);
    return rc;
}

const char *ktag_matcher_impl(const ktag_matcher_t *self)
{
    return s_impl_names[self->impl];
}

size_t ktag_matcher_memory(const ktag_matcher_t *self)
{
    return ktag_automaton_memory(self->automaton) + self->count * sizeof(uint32_t);
}
