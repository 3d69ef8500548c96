/*  scan.c - the matcher once over a field, its hits split by what they are. */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static int s_compare_candidates(const void *a, const void *b)
{
    const ktag_candidate_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static int s_compare_spans(const void *a, const void *b)
{
    const ktag_span_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int s_compare_terms(const void *a, const void *b)
{
    const ktag_term_hit_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/*  The start and end of an item of a list that begins with them
    (ktag_span_t, ktag_term_hit_t). */
static inline ktag_span_t s_span_of(const char *item)
{
    ktag_span_t span;
    memcpy(&span, item, sizeof span);
    return span;
}

/*  Cues, stop phrases and terms go by start, then end ascending (the
    sentiment analyzer picks the last passing term of a start).  The
    matcher gives starts in order and, at a start, the longest first:
    reversing each run of equal starts orders them in one pass; any other
    order is sorted. */
static void s_order_by_start(void *base, size_t count, size_t size, int (*compare)(const void *, const void *))
{
    char *items = base, tmp[sizeof(ktag_term_hit_t)];
    for (size_t i = 0; i < count;) {
        uint32_t start = s_span_of(items + i * size).start;
        size_t j = i + 1;
        while (j < count && s_span_of(items + j * size).start == start
               && s_span_of(items + j * size).end < s_span_of(items + (j - 1) * size).end)
            j++;
        if (j < count && s_span_of(items + j * size).start == start) {
            ktag_sort(base, count, size, compare);   /* not the matcher's order */
            return;
        }
        for (size_t a = i, b = j - 1; a < b; a++, b--) {
            memcpy(tmp, items + a * size, size);
            memcpy(items + a * size, items + b * size, size);
            memcpy(items + b * size, tmp, size);
        }
        i = j;
    }
    ktag_sort(base, count, size, compare);   /* in order now: a check */
}

int ktag_scan(ktag_scan_t *self, const ktag_lexicon_t *lex, const char *norm, size_t len,
              unsigned types, bool terms)
{
    self->candidate_count = self->cue_count = self->stop_count = self->term_count = 0;
    self->cue_word_count = self->guess_word_count = 0;
    self->cue_word_first = UINT32_MAX;
    self->cue_max = self->stop_max = 0;
    self->matches.count = 0;
    /*  Without terms, the matcher that does not look for them, its ids
        put back into the lexicon's. */
    const ktag_matcher_t *matcher = !terms && lex->entity_matcher ? lex->entity_matcher : lex->matcher;
    if (ktag_matcher_scan(matcher, norm, len, &self->matches))
        return KTAG_ERR_NOMEM;
    if (matcher != lex->matcher)
        for (size_t m = 0; m < self->matches.count; m++)
            self->matches.items[m].pattern = lex->entity_patterns[self->matches.items[m].pattern];
    bool all_types = types == 0;   /* no look-up of the entry's type then */
    for (size_t m = 0; m < self->matches.count; m++) {
        const ktag_match_t *match = &self->matches.items[m];
        const ktag_pattern_t *pattern = &lex->patterns[match->pattern];
        uint32_t end = match->end, start = end - pattern->len;
        if (pattern->cue) {
            if (KTAG_RESERVE(self->cues, self->cue_cap, self->cue_count + 1))
                return KTAG_ERR_NOMEM;
            self->cues[self->cue_count++] = (ktag_span_t) { start, end };
            if (pattern->len > self->cue_max)
                self->cue_max = pattern->len;
        }
        if (pattern->stop) {
            if (KTAG_RESERVE(self->stops, self->stop_cap, self->stop_count + 1))
                return KTAG_ERR_NOMEM;
            self->stops[self->stop_count++] = (ktag_span_t) { start, end };
            if (pattern->len > self->stop_max)
                self->stop_max = pattern->len;
        }
        if (pattern->sentiment >= 0 && terms) {
            if (KTAG_RESERVE(self->terms, self->term_cap, self->term_count + 1))
                return KTAG_ERR_NOMEM;
            self->terms[self->term_count++] = (ktag_term_hit_t) { start, end, (uint32_t) pattern->sentiment };
        }
        if (pattern->event_word >= 0) {
            if (KTAG_RESERVE(self->cue_words, self->cue_word_cap, self->cue_word_count + 1))
                return KTAG_ERR_NOMEM;
            uint32_t word = (uint32_t) pattern->event_word;
            self->cue_words[self->cue_word_count++] = (ktag_term_hit_t) { start, end, word };
            self->cue_word_first = word < self->cue_word_first ? word : self->cue_word_first;
        }
        if (pattern->guess) {
            if (KTAG_RESERVE(self->guess_words, self->guess_word_cap, self->guess_word_count + 1))
                return KTAG_ERR_NOMEM;
            self->guess_words[self->guess_word_count++] = (ktag_term_hit_t) { start, end, pattern->guess };
        }
        if (pattern->entry >= 0 && (all_types || (types & (1u << lex->entries[pattern->entry].type)))
            && (!(pattern->flags & KTAG_FLAG_CASE) || ktag_lexicon_case_matches(lex, match->pattern, norm + start))) {
            if (KTAG_RESERVE(self->candidates, self->candidate_cap, self->candidate_count + 1))
                return KTAG_ERR_NOMEM;
            self->candidates[self->candidate_count++]
                = (ktag_candidate_t) { start, end, pattern->entry, pattern->flags };
        }
    }
    ktag_sort(self->candidates, self->candidate_count, sizeof *self->candidates, s_compare_candidates);
    s_order_by_start(self->cues, self->cue_count, sizeof *self->cues, s_compare_spans);
    s_order_by_start(self->stops, self->stop_count, sizeof *self->stops, s_compare_spans);
    s_order_by_start(self->terms, self->term_count, sizeof *self->terms, s_compare_terms);
    return 0;
}

void ktag_scan_release(ktag_scan_t *self)
{
    free(self->candidates);
    free(self->cues);
    free(self->stops);
    free(self->terms);
    free(self->cue_words);
    free(self->guess_words);
    free(self->matches.items);
    memset(self, 0, sizeof *self);
}
