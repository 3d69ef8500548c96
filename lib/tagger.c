/*  tagger.c - tags one document: normalize each field, run the lexicon's
    automaton once, keep the forms whose edges pass the Korean boundary
    rules, resolve overlaps, map offsets back to the original text, and hand
    the sentiment terms to the scorer.
*/
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <unicode/utf8.h>

#include "lexicon_internal.h"
#include "normalize.h"
#include "sentiment.h"
#include "tagger_internal.h"
#include "util.h"

typedef struct {
    uint32_t start, end;   /* normalized bytes */
    int32_t entry;
    uint8_t flags;
} s_candidate_t;

typedef struct {
    uint32_t start, end;
} s_span_t;

/*  The per-field state, kept in the result so its buffers are reused. */
typedef struct {
    bool present;
    const char *orig;
    size_t orig_len;
    ktag_normbuf_t normbuf;
    ktag_term_hit_t *terms;
    size_t term_count, term_cap;
    ktag_entity_span_t *spans;
    size_t span_count, span_cap;
    s_span_t *cues;
    size_t cue_count, cue_cap;
    s_span_t *stops;
    size_t stop_count, stop_cap;
} s_field_t;

typedef struct {
    size_t byte;
    size_t *dest;
} s_offset_ref_t;

struct ktag_result {
    ktag_lexicon_t *lexicon;
    ktag_options_t options;
    ktag_entity_t *entities;
    size_t entity_count, entity_cap;
    size_t *entity_text;          /* offset of each surface in `strings` */
    size_t entity_text_cap;
    ktag_sentence_t *sentences;
    size_t sentence_count, sentence_cap;
    size_t *explain;              /* offset of each line in `strings` */
    size_t explain_count, explain_cap;
    char *strings;
    size_t strings_len, strings_cap;
    ktag_sentiment_t sentiment;
    bool has_sentiment;
    s_field_t fields[2];          /* indexed by ktag_field_t */
    ktag_match_vec_t matches;
    s_candidate_t *candidates;
    size_t candidate_count, candidate_cap;
    s_offset_ref_t *refs;
    size_t ref_count, ref_cap;
};

static const char *const s_unit_names[] = { "codepoint", "byte", "utf16" };

const char *ktag_offset_unit_name(ktag_offset_unit_t unit)
{
    return (unsigned) unit <= KTAG_OFFSETS_UTF16 ? s_unit_names[unit] : NULL;
}

int ktag_offset_unit_from_name(const char *name, ktag_offset_unit_t *unit)
{
    for (int u = 0; u <= KTAG_OFFSETS_UTF16; u++)
        if (strcmp(name, s_unit_names[u]) == 0) {
            *unit = (ktag_offset_unit_t) u;
            return 0;
        }
    if (strcmp(name, "char") == 0) {
        *unit = KTAG_OFFSETS_CODEPOINT;
        return 0;
    }
    return KTAG_ERR_INVALID;
}

const char *ktag_field_name(ktag_field_t field)
{
    return field == KTAG_FIELD_TITLE ? "title" : "text";
}

void ktag_options_init(ktag_options_t *options)
{
    *options = (ktag_options_t) { 0, KTAG_OFFSETS_CODEPOINT, false, true, false };
}

ktag_result_t *ktag_result_new(void)
{
    return calloc(1, sizeof(ktag_result_t));
}

void ktag_result_destroy(ktag_result_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_result_t *self = *self_p;
    ktag_lexicon_destroy(&self->lexicon);
    free(self->entities);
    free(self->entity_text);
    free(self->sentences);
    free(self->explain);
    free(self->strings);
    for (int f = 0; f < 2; f++) {
        s_field_t *field = &self->fields[f];
        ktag_normbuf_release(&field->normbuf);
        free(field->terms);
        free(field->spans);
        free(field->cues);
        free(field->stops);
    }
    free(self->matches.items);
    free(self->candidates);
    free(self->refs);
    free(self);
    *self_p = NULL;
}

/*  @returns the offset in `strings` of a copy of bytes[0, len), NUL-ended,
    or (size_t) -1 when out of memory. */
static size_t s_store(ktag_result_t *self, const char *bytes, size_t len)
{
    if (KTAG_RESERVE(self->strings, self->strings_cap, self->strings_len + len + 1))
        return (size_t) -1;
    size_t offset = self->strings_len;
    memcpy(self->strings + offset, bytes, len);
    self->strings[offset + len] = '\0';
    self->strings_len += len + 1;
    return offset;
}

/* ------------------------------------------------------- boundaries */

/*  True when a particle or ending of the josa lexicon starts at `pos` and
    is followed by a non-Hangul character or the end. */
static bool s_josa_at(const ktag_lexicon_t *lex, const char *text, size_t len, size_t pos)
{
    UChar32 first;
    size_t at = pos;
    U8_NEXT((const uint8_t *) text, at, len, first);
    /*  Binary search for the first josa starting with `first`. */
    size_t lo = 0, hi = lex->josa_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (lex->josa[mid].first < (uint32_t) first)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t j = lo; j < lex->josa_count && lex->josa[j].first == (uint32_t) first; j++) {
        const ktag_josa_t *josa = &lex->josa[j];
        if (pos + josa->len <= len && memcmp(text + pos, josa->text, josa->len) == 0
            && ktag_class_at(text, len, pos + josa->len) != KTAG_CHAR_HANGUL)
            return true;
    }
    return false;
}

/*  The Korean boundary rules of docs/LEXICONS.md for the form at
    normalized bytes [start, end). */
static bool s_edges_ok(const ktag_lexicon_t *lex, const char *text, size_t len,
                       size_t start, size_t end, uint8_t flags)
{
    ktag_char_class_t first = ktag_class_at(text, len, start);
    if (first != KTAG_CHAR_OTHER && ktag_class_before(text, start) == first)
        return false;
    ktag_char_class_t last = ktag_class_before(text, end);
    ktag_char_class_t next = ktag_class_at(text, len, end);
    if (last == KTAG_CHAR_ALNUM && next == KTAG_CHAR_ALNUM)
        return false;
    if (next == KTAG_CHAR_HANGUL && !(flags & KTAG_FLAG_GLUE))
        return s_josa_at(lex, text, len, end);
    return true;
}

/*  True when the normalized bytes [from, to) hold at most `window` code
    points.  A code point is 1 to 4 bytes, so most gaps are decided by their
    length alone, without counting. */
static bool s_within(const char *norm, size_t from, size_t to, size_t window)
{
    size_t bytes = to - from;
    if (bytes <= window)
        return true;
    if (bytes > 4 * window)
        return false;
    return ktag_count_codepoints(norm, from, to) <= window;
}

/*  True when a finance context cue lies within KTAG_CONTEXT_WINDOW code
    points of the candidate, not inside it. */
static bool s_has_context(const s_field_t *field, const s_candidate_t *candidate)
{
    const char *norm = field->normbuf.norm;
    for (size_t c = 0; c < field->cue_count; c++) {
        const s_span_t *cue = &field->cues[c];
        bool near;
        if (cue->end <= candidate->start)
            near = s_within(norm, cue->end, candidate->start, KTAG_CONTEXT_WINDOW);
        else if (cue->start >= candidate->end)
            near = s_within(norm, candidate->end, cue->start, KTAG_CONTEXT_WINDOW);
        else
            near = cue->start < candidate->start || cue->end > candidate->end;  /* overlaps, not inside */
        if (near)
            return true;
    }
    return false;
}

static bool s_in_stop_phrase(const s_field_t *field, const s_candidate_t *candidate)
{
    for (size_t k = 0; k < field->stop_count; k++)
        if (field->stops[k].start <= candidate->start && candidate->end <= field->stops[k].end)
            return true;
    return false;
}

static int s_compare_candidates(const void *a, const void *b)
{
    const s_candidate_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static int s_compare_terms(const void *a, const void *b)
{
    const ktag_term_hit_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/*  Headlines yield a handful of candidates: insertion sort them without
    qsort's call overhead, and leave long arrays to qsort. */
static void s_sort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *))
{
    if (count > 24) {
        qsort(base, count, size, compare);
        return;
    }
    char *items = base, tmp[32];
    assert(size <= sizeof tmp);
    for (size_t i = 1; i < count; i++) {
        memcpy(tmp, items + i * size, size);
        size_t j = i;
        for (; j > 0 && compare(items + (j - 1) * size, tmp) > 0; j--)
            memcpy(items + j * size, items + (j - 1) * size, size);
        memcpy(items + j * size, tmp, size);
    }
}

/* ------------------------------------------------------------ fields */

static int s_tag_field(ktag_result_t *self, ktag_field_t which, const char *text, size_t len,
                       ktag_error_t *err)
{
    const ktag_lexicon_t *lex = self->lexicon;
    s_field_t *field = &self->fields[which];
    field->present = true;
    field->orig = text;
    field->orig_len = len;
    field->term_count = field->span_count = field->cue_count = field->stop_count = 0;

    int rc = ktag_normalize(&field->normbuf, text, len, err);
    if (rc) {
        if (rc == KTAG_ERR_BAD_UTF8)
            ktag_error_set(err, rc, "invalid UTF-8 in %s at byte offset %zu", ktag_field_name(which),
                           err ? err->offset : 0);
        return rc;
    }
    const char *norm = field->normbuf.norm;
    size_t norm_len = field->normbuf.len;
    self->matches.count = 0;
    if (ktag_matcher_scan(lex->matcher, norm, norm_len, &self->matches))
        return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");

    unsigned types = self->options.types ? self->options.types : ~0u;
    self->candidate_count = 0;
    for (size_t m = 0; m < self->matches.count; m++) {
        const ktag_match_t *match = &self->matches.items[m];
        const ktag_pattern_t *pattern = &lex->patterns[match->pattern];
        uint32_t end = match->end, start = end - pattern->len;
        if (pattern->cue) {
            if (KTAG_RESERVE(field->cues, field->cue_cap, field->cue_count + 1))
                return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
            field->cues[field->cue_count++] = (s_span_t) { start, end };
        }
        if (pattern->stop) {
            if (KTAG_RESERVE(field->stops, field->stop_cap, field->stop_count + 1))
                return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
            field->stops[field->stop_count++] = (s_span_t) { start, end };
        }
        if (pattern->sentiment >= 0 && self->options.sentiment) {
            if (KTAG_RESERVE(field->terms, field->term_cap, field->term_count + 1))
                return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
            field->terms[field->term_count++] = (ktag_term_hit_t) { start, end, (uint32_t) pattern->sentiment };
        }
        if (pattern->entry >= 0 && (types & (1u << lex->entries[pattern->entry].type))
            && s_edges_ok(lex, norm, norm_len, start, end, pattern->flags)) {
            if (KTAG_RESERVE(self->candidates, self->candidate_cap, self->candidate_count + 1))
                return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
            self->candidates[self->candidate_count++] = (s_candidate_t) { start, end, pattern->entry, pattern->flags };
        }
    }

    /*  Ambiguous forms need a finance cue nearby; no form counts inside a
        stop phrase ("(상보)" is no mention of 상보). */
    size_t kept = 0;
    for (size_t c = 0; c < self->candidate_count; c++) {
        const s_candidate_t *candidate = &self->candidates[c];
        if ((!(candidate->flags & KTAG_FLAG_AMBIGUOUS) || s_has_context(field, candidate))
            && !s_in_stop_phrase(field, candidate))
            self->candidates[kept++] = *candidate;
    }
    self->candidate_count = kept;
    s_sort(self->candidates, self->candidate_count, sizeof *self->candidates, s_compare_candidates);
    s_sort(field->terms, field->term_count, sizeof *field->terms, s_compare_terms);

    uint32_t covered = 0;
    for (size_t c = 0; c < self->candidate_count; c++) {
        const s_candidate_t *candidate = &self->candidates[c];
        if (!self->options.overlaps && c > 0 && candidate->start < covered)
            continue;   /* leftmost-longest: a kept form covers it */
        if (candidate->end > covered)
            covered = candidate->end;
        size_t n = self->entity_count;
        if (KTAG_RESERVE(self->entities, self->entity_cap, n + 1)
            || KTAG_RESERVE(self->entity_text, self->entity_text_cap, n + 1)
            || KTAG_RESERVE(field->spans, field->span_cap, field->span_count + 1))
            return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
        const ktag_entry_t *entry = &lex->entries[candidate->entry];
        size_t byte_start = ktag_norm_orig_start(&field->normbuf, candidate->start);
        size_t byte_end = ktag_norm_orig_end(&field->normbuf, candidate->end);
        size_t stored = s_store(self, text + byte_start, byte_end - byte_start);
        if (stored == (size_t) -1)
            return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
        self->entity_text[n] = stored;
        self->entities[n] = (ktag_entity_t) {
            .type = entry->type,
            .id = entry->id,
            .name = entry->name,
            .start = byte_start,
            .end = byte_end,
            .byte_start = byte_start,
            .byte_end = byte_end,
            .field = which,
            .attrs = entry->attrs,
            .attr_count = entry->attr_count,
        };
        field->spans[field->span_count++] = (ktag_entity_span_t) { candidate->start, candidate->end, (uint32_t) n };
        self->entity_count++;
    }
    return 0;
}

static int s_compare_refs(const void *a, const void *b)
{
    const s_offset_ref_t *x = a, *y = b;
    return x->byte < y->byte ? -1 : x->byte > y->byte;
}

static int s_add_ref(ktag_result_t *self, size_t *dest)
{
    if (KTAG_RESERVE(self->refs, self->ref_cap, self->ref_count + 1))
        return KTAG_ERR_NOMEM;
    self->refs[self->ref_count++] = (s_offset_ref_t) { *dest, dest };
    return 0;
}

/*  Rewrite the byte offsets of a field's entities and sentences in the
    requested unit with one walk over the original text. */
static int s_convert_offsets(ktag_result_t *self, ktag_field_t which)
{
    if (self->options.offsets == KTAG_OFFSETS_BYTE)
        return 0;
    self->ref_count = 0;
    for (size_t i = 0; i < self->entity_count; i++) {
        ktag_entity_t *entity = &self->entities[i];
        if (entity->field == which && (s_add_ref(self, &entity->start) || s_add_ref(self, &entity->end)))
            return KTAG_ERR_NOMEM;
    }
    for (size_t i = 0; i < self->sentence_count; i++) {
        ktag_sentence_t *sentence = &self->sentences[i];
        if (sentence->field == which && (s_add_ref(self, &sentence->start) || s_add_ref(self, &sentence->end)))
            return KTAG_ERR_NOMEM;
    }
    if (self->ref_count == 0)
        return 0;
    s_sort(self->refs, self->ref_count, sizeof *self->refs, s_compare_refs);
    const uint8_t *text = (const uint8_t *) self->fields[which].orig;
    bool utf16 = self->options.offsets == KTAG_OFFSETS_UTF16;
    size_t byte = 0, units = 0;
    for (size_t r = 0; r < self->ref_count; r++) {
        for (; byte < self->refs[r].byte; byte++) {
            uint8_t b = text[byte];
            if ((b & 0xC0) != 0x80)
                units += (utf16 && b >= 0xF0) ? 2 : 1;
        }
        *self->refs[r].dest = units;
    }
    return 0;
}

static void s_reset(ktag_result_t *self)
{
    self->entity_count = 0;
    self->sentence_count = 0;
    self->explain_count = 0;
    self->strings_len = 0;
    self->has_sentiment = false;
    self->fields[0].present = self->fields[1].present = false;
}

int ktag_tag(ktag_result_t *self, ktag_lexicon_t *lexicon, const char *text, size_t text_len,
             const char *title, size_t title_len, const ktag_options_t *options, ktag_error_t *err)
{
    s_reset(self);
    if (self->lexicon != lexicon) {
        ktag_lexicon_destroy(&self->lexicon);
        self->lexicon = ktag_lexicon_retain(lexicon);
    }
    if (options)
        self->options = *options;
    else
        ktag_options_init(&self->options);
    if (self->options.offsets > KTAG_OFFSETS_UTF16)
        return ktag_error_set(err, KTAG_ERR_INVALID, "unknown offset unit %d", (int) self->options.offsets);
    if (!text && text_len)
        return ktag_error_set(err, KTAG_ERR_INVALID, "text is NULL");

    int rc = 0;
    if (title)
        rc = s_tag_field(self, KTAG_FIELD_TITLE, title, title_len, err);
    if (!rc)
        rc = s_tag_field(self, KTAG_FIELD_TEXT, text ? text : "", text_len, err);

    if (!rc && self->options.sentiment) {
        ktag_field_view_t views[2];
        size_t view_count = 0;
        for (int f = KTAG_FIELD_TITLE; f >= KTAG_FIELD_TEXT; f--) {
            const s_field_t *field = &self->fields[f];
            if (!field->present)
                continue;
            views[view_count++] = (ktag_field_view_t) {
                .field = (ktag_field_t) f,
                .norm = field->normbuf.norm,
                .norm_len = field->normbuf.len,
                .terms = field->terms,
                .term_count = field->term_count,
                .entities = field->spans,
                .entity_count = field->span_count,
            };
        }
        rc = ktag_sentiment_score(self->lexicon->sentiment, views, view_count, self->options.explain, self);
        if (rc)
            ktag_error_set(err, rc, "%s", ktag_strerror(rc));
    }
    for (int f = 0; !rc && f < 2; f++)
        if (self->fields[f].present && s_convert_offsets(self, (ktag_field_t) f))
            rc = ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
    if (rc) {
        s_reset(self);
        return rc;
    }
    for (size_t i = 0; i < self->entity_count; i++)
        self->entities[i].text = self->strings + self->entity_text[i];
    return 0;
}

size_t ktag_result_entity_count(const ktag_result_t *self)
{
    return self->entity_count;
}

const ktag_entity_t *ktag_result_entity(const ktag_result_t *self, size_t index)
{
    return index < self->entity_count ? &self->entities[index] : NULL;
}

const ktag_sentiment_t *ktag_result_sentiment(const ktag_result_t *self)
{
    return self->has_sentiment ? &self->sentiment : NULL;
}

size_t ktag_result_sentence_count(const ktag_result_t *self)
{
    return self->sentence_count;
}

const ktag_sentence_t *ktag_result_sentence(const ktag_result_t *self, size_t index)
{
    return index < self->sentence_count ? &self->sentences[index] : NULL;
}

size_t ktag_result_explain_count(const ktag_result_t *self)
{
    return self->explain_count;
}

const char *ktag_result_explain(const ktag_result_t *self, size_t index)
{
    return index < self->explain_count ? self->strings + self->explain[index] : NULL;
}

const char *ktag_result_lexicon_version(const ktag_result_t *self)
{
    return self->lexicon ? ktag_lexicon_version(self->lexicon) : "";
}

/* ------------------------------------------ for the sentiment scorer */

static double s_clamp(double score)
{
    return score > 1.0 ? 1.0 : score < -1.0 ? -1.0 : score;
}

void ktag_result_set_entity_sentiment(ktag_result_t *self, size_t index, double score)
{
    if (index < self->entity_count)
        self->entities[index].sentiment = s_clamp(score);
}

void ktag_result_set_sentiment(ktag_result_t *self, const ktag_sentiment_t *sentiment)
{
    self->sentiment = *sentiment;
    self->sentiment.score = s_clamp(sentiment->score);
    self->has_sentiment = true;
}

int ktag_result_add_sentence(ktag_result_t *self, ktag_field_t field, uint32_t norm_start,
                             uint32_t norm_end, const ktag_sentiment_t *sentiment)
{
    const ktag_normbuf_t *normbuf = &self->fields[field].normbuf;
    if (norm_start > normbuf->len || norm_end > normbuf->len || norm_start > norm_end)
        return KTAG_ERR_INVALID;
    if (KTAG_RESERVE(self->sentences, self->sentence_cap, self->sentence_count + 1))
        return KTAG_ERR_NOMEM;
    size_t byte_start = ktag_norm_orig_start(normbuf, norm_start);
    size_t byte_end = norm_end > norm_start ? ktag_norm_orig_end(normbuf, norm_end) : byte_start;
    ktag_sentence_t *sentence = &self->sentences[self->sentence_count++];
    *sentence = (ktag_sentence_t) { field, byte_start, byte_end, *sentiment };
    sentence->sentiment.score = s_clamp(sentiment->score);
    return 0;
}

int ktag_result_add_explain(ktag_result_t *self, const char *format, ...)
{
    char line[512];
    va_list args;
    va_start(args, format);
    int len = vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (len < 0)
        return KTAG_ERR_INVALID;
    if ((size_t) len >= sizeof line)
        len = sizeof line - 1;
    if (KTAG_RESERVE(self->explain, self->explain_cap, self->explain_count + 1))
        return KTAG_ERR_NOMEM;
    size_t offset = s_store(self, line, (size_t) len);
    if (offset == (size_t) -1)
        return KTAG_ERR_NOMEM;
    self->explain[self->explain_count++] = offset;
    return 0;
}

const char *ktag_sentiment_label(double score, double threshold)
{
    return score > threshold ? "positive" : score < -threshold ? "negative" : "neutral";
}
