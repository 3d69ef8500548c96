/*  sentiment.c - Korean finance sentiment scorer.

    First version: a signed sum of the weights of the polarity terms found in
    each sentence, squashed into [-1, 1]; the negation, contrast and
    direction rules of docs/SENTIMENT.md come with the sentiment lexicon.
*/
#include "sentiment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tagger_internal.h"

typedef struct {
    char *term;
    double weight;
} s_term_t;

struct ktag_sentiment_lexicon {
    s_term_t *terms;
    size_t count, capacity;
};

ktag_sentiment_lexicon_t *ktag_sentiment_lexicon_new(void)
{
    return calloc(1, sizeof(ktag_sentiment_lexicon_t));
}

void ktag_sentiment_lexicon_destroy(ktag_sentiment_lexicon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_sentiment_lexicon_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free(self->terms[i].term);
    free(self->terms);
    free(self);
    *self_p = NULL;
}

size_t ktag_sentiment_lexicon_count(const ktag_sentiment_lexicon_t *self)
{
    return self->count;
}

int ktag_sentiment_lexicon_add(ktag_sentiment_lexicon_t *self, const char *term,
                               char *const *columns, size_t column_count,
                               char *const *header, char *errbuf, size_t errlen)
{
    (void) header;
    if (column_count < 3) {
        snprintf(errbuf, errlen, "expected term, class and weight");
        return -1;
    }
    char *end;
    double weight = strtod(columns[2], &end);
    if (end == columns[2] || *end || !isfinite(weight)) {
        snprintf(errbuf, errlen, "weight '%s' is not a number", columns[2]);
        return -1;
    }
    for (size_t i = 0; i < self->count; i++)
        if (strcmp(self->terms[i].term, term) == 0)
            return (int) i;
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 64;
        s_term_t *terms = realloc(self->terms, capacity * sizeof *terms);
        if (!terms) {
            snprintf(errbuf, errlen, "out of memory");
            return -1;
        }
        self->terms = terms;
        self->capacity = capacity;
    }
    char *copy = strdup(term);
    if (!copy) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    self->terms[self->count] = (s_term_t) { copy, weight };
    return (int) self->count++;
}

int ktag_sentiment_score(const ktag_sentiment_lexicon_t *lexicon,
                         const ktag_field_view_t *fields, size_t field_count,
                         bool explain, ktag_result_t *result)
{
    double total = 0;
    unsigned positive = 0, negative = 0;
    for (size_t f = 0; f < field_count; f++) {
        const ktag_field_view_t *view = &fields[f];
        double field_sum = 0;
        for (size_t i = 0; i < view->term_count; i++) {
            const s_term_t *term = &lexicon->terms[view->terms[i].term];
            field_sum += term->weight;
            if (term->weight > 0)
                positive++;
            else if (term->weight < 0)
                negative++;
            if (explain && ktag_result_add_explain(result, "%+.2f %s", term->weight, term->term))
                return KTAG_ERR_NOMEM;
        }
        double score = tanh(field_sum);
        for (size_t i = 0; i < view->entity_count; i++)
            ktag_result_set_entity_sentiment(result, view->entities[i].entity, score);
        ktag_sentiment_t sentence = { score, ktag_sentiment_label(score, 0.2), 0, 0 };
        if (view->norm_len && ktag_result_add_sentence(result, view->field, 0, (uint32_t) view->norm_len, &sentence))
            return KTAG_ERR_NOMEM;
        total += field_sum;
    }
    double score = tanh(total);
    ktag_sentiment_t doc = { score, ktag_sentiment_label(score, 0.2), positive, negative };
    ktag_result_set_sentiment(result, &doc);
    return 0;
}
