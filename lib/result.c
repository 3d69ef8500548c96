/*  result.c - a tagged document: its storage, the offset conversion, and
    the public accessors. */
#include "result.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lexicon_internal.h"
#include "util.h"

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
        ktag_field_state_t *field = &self->fields[f];
        ktag_normbuf_release(&field->normbuf);
        ktag_scan_release(&field->scan);
        free(field->mentions);
    }
    ktag_sentiment_findings_release(&self->sentiment_findings);
    free(self->events);
    free(self->event_text);
    ktag_events_findings_release(&self->events_findings);
    free(self->refs);
    ktag_guess_release(&self->guess);
    free(self);
    *self_p = NULL;
}

void ktag_result_reset(ktag_result_t *self)
{
    self->entity_count = 0;
    self->sentence_count = 0;
    self->event_count = 0;
    self->explain_count = 0;
    self->strings_len = 0;
    self->has_sentiment = false;
    self->filter_work = 0;
    self->fields[0].present = self->fields[1].present = false;
    ktag_guess_reset(&self->guess);
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

int ktag_result_add_entity(ktag_result_t *self, const ktag_entry_t *entry, ktag_field_t field,
                           const char *orig, size_t byte_start, size_t byte_end)
{
    size_t n = self->entity_count;
    if (KTAG_RESERVE(self->entities, self->entity_cap, n + 1)
        || KTAG_RESERVE(self->entity_text, self->entity_text_cap, n + 1))
        return KTAG_ERR_NOMEM;
    size_t stored = s_store(self, orig + byte_start, byte_end - byte_start);
    if (stored == (size_t) -1)
        return KTAG_ERR_NOMEM;
    self->entity_text[n] = stored;
    self->entities[n] = (ktag_entity_t) {
        .type = entry->type,
        .id = entry->id,
        .name = entry->name,
        .start = byte_start,
        .end = byte_end,
        .byte_start = byte_start,
        .byte_end = byte_end,
        .field = field,
        .attrs = entry->attrs,
        .attr_count = entry->attr_count,
    };
    self->entity_count++;
    return 0;
}

int ktag_result_add_sentence(ktag_result_t *self, ktag_field_t field, size_t byte_start, size_t byte_end,
                             const ktag_sentiment_t *sentiment)
{
    if (KTAG_RESERVE(self->sentences, self->sentence_cap, self->sentence_count + 1))
        return KTAG_ERR_NOMEM;
    self->sentences[self->sentence_count++] = (ktag_sentence_t) { field, byte_start, byte_end, *sentiment };
    return 0;
}

int ktag_result_add_event(ktag_result_t *self, const ktag_event_t *event, const char *orig)
{
    size_t n = self->event_count;
    if (KTAG_RESERVE(self->events, self->event_cap, n + 1)
        || KTAG_RESERVE(self->event_text, self->event_text_cap, n + 1))
        return KTAG_ERR_NOMEM;
    size_t stored = s_store(self, orig + event->byte_start, event->byte_end - event->byte_start);
    if (stored == (size_t) -1)
        return KTAG_ERR_NOMEM;
    self->event_text[n] = stored;
    self->events[n] = *event;
    self->events[n].start = event->byte_start;
    self->events[n].end = event->byte_end;
    self->event_count++;
    return 0;
}

int ktag_result_add_explain(ktag_result_t *self, const char *line, size_t len)
{
    if (KTAG_RESERVE(self->explain, self->explain_cap, self->explain_count + 1))
        return KTAG_ERR_NOMEM;
    size_t offset = s_store(self, line, len);
    if (offset == (size_t) -1)
        return KTAG_ERR_NOMEM;
    self->explain[self->explain_count++] = offset;
    return 0;
}

static int s_compare_refs(const void *a, const void *b)
{
    const ktag_offset_ref_t *x = a, *y = b;
    return x->byte < y->byte ? -1 : x->byte > y->byte;
}

static int s_add_ref(ktag_result_t *self, size_t *dest)
{
    if (KTAG_RESERVE(self->refs, self->ref_cap, self->ref_count + 1))
        return KTAG_ERR_NOMEM;
    self->refs[self->ref_count++] = (ktag_offset_ref_t) { *dest, dest };
    return 0;
}

/*  @returns how many bytes of `w` have their high bit set (no other bit
    may be): the bits moved to the bottom of each byte and summed by a
    multiplication. */
static inline size_t s_count_high(uint64_t w)
{
    return (size_t) ((((w >> 7) * 0x0101010101010101u)) >> 56);
}

/*  @returns the code points (with `utf16`: UTF-16 units) in the UTF-8
    text[0, len): its bytes that are not continuation bytes, plus one for
    each 4-byte lead with `utf16`.  Counted 16 bytes at a time with SSE2
    (x86-64's baseline), 8 at a time otherwise. */
static inline size_t s_count_units(const uint8_t *text, size_t len, bool utf16)
{
    size_t units = 0, i = 0;
#ifdef __SSE2__
    /*  Signed, a continuation byte 0x80..0xBF is below -64, a 4-byte lead
        0xF0..0xFF in [-16, -1].  Matching lanes are -1: subtracting them
        counts per lane, and a sum of absolute differences adds the lanes
        up before any can pass 255. */
    const __m128i zero = _mm_setzero_si128(), below = _mm_set1_epi8(-64), above = _mm_set1_epi8(-17);
    size_t conts = 0, leads4 = 0;
    while (i + 16 <= len) {
        __m128i cont = zero, lead4 = zero;
        for (int n = 0; n < 255 && i + 16 <= len; n++, i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *) (text + i));
            cont = _mm_sub_epi8(cont, _mm_cmplt_epi8(v, below));
            if (utf16)
                lead4 = _mm_sub_epi8(lead4, _mm_and_si128(_mm_cmpgt_epi8(v, above), _mm_cmplt_epi8(v, zero)));
        }
        __m128i c = _mm_sad_epu8(cont, zero), l = _mm_sad_epu8(lead4, zero);
        conts += (size_t) _mm_cvtsi128_si32(c) + (size_t) _mm_cvtsi128_si32(_mm_srli_si128(c, 8));
        leads4 += (size_t) _mm_cvtsi128_si32(l) + (size_t) _mm_cvtsi128_si32(_mm_srli_si128(l, 8));
    }
    units = i - conts + leads4;
#endif
    const uint64_t high = 0x8080808080808080u;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, text + i, 8);
        units += 8 - s_count_high(w & ~(w << 1) & high);   /* 10xxxxxx */
        if (utf16)
            units += s_count_high(w & (w << 1) & (w << 2) & (w << 3) & high);   /* 1111xxxx */
    }
    for (; i < len; i++)
        if ((text[i] & 0xC0) != 0x80)
            units += (utf16 && text[i] >= 0xF0) ? 2 : 1;
    return units;
}

/*  A list of items that carry offsets (entities, sentences, …): where each
    item's start, end and field are.  Every list a result holds is named in
    s_runs(), the one place both conversions below read. */
typedef struct {
    char *items;
    size_t count, size;
    size_t start_at, end_at, field_at;
} s_run_t;

#define S_RUN(array, count, type) \
    ((s_run_t) { (char *) (array), (count), sizeof(type), offsetof(type, start), offsetof(type, end), \
                 offsetof(type, field) })
#define S_MAX_RUNS 4

/*  @returns how many lists of `self` carry offsets, written to runs[]. */
static size_t s_runs(ktag_result_t *self, s_run_t runs[S_MAX_RUNS])
{
    size_t n = 0;
    runs[n++] = S_RUN(self->entities, self->entity_count, ktag_entity_t);
    runs[n++] = S_RUN(self->sentences, self->sentence_count, ktag_sentence_t);
    runs[n++] = S_RUN(self->events, self->event_count, ktag_event_t);
    return n;
}

static inline size_t *s_start(const s_run_t *run, size_t i)
{
    return (size_t *) (run->items + i * run->size + run->start_at);
}

static inline size_t *s_end(const s_run_t *run, size_t i)
{
    return (size_t *) (run->items + i * run->size + run->end_at);
}

static inline ktag_field_t s_field(const s_run_t *run, size_t i)
{
    return *(const ktag_field_t *) (run->items + i * run->size + run->field_at);
}

/*  Rewrite the byte offsets of a field's items in the requested unit:
    references to all of them sorted by byte, then one walk over the text. */
static int s_convert_offsets(ktag_result_t *self, ktag_field_t which)
{
    s_run_t runs[S_MAX_RUNS];
    size_t run_count = s_runs(self, runs);
    self->ref_count = 0;
    for (size_t r = 0; r < run_count; r++)
        for (size_t i = 0; i < runs[r].count; i++)
            if (s_field(&runs[r], i) == which
                && (s_add_ref(self, s_start(&runs[r], i)) || s_add_ref(self, s_end(&runs[r], i))))
                return KTAG_ERR_NOMEM;
    if (self->ref_count == 0)
        return 0;
    ktag_sort(self->refs, self->ref_count, sizeof *self->refs, s_compare_refs);
    const uint8_t *text = (const uint8_t *) self->fields[which].orig;
    bool utf16 = self->options.offsets == KTAG_OFFSETS_UTF16;
    size_t byte = 0, units = 0;
    for (size_t r = 0; r < self->ref_count; r++) {
        size_t to = self->refs[r].byte;
        units += s_count_units(text + byte, to - byte, utf16);
        byte = to;
        *self->refs[r].dest = units;
    }
    return 0;
}

/*  The usual case, with no overlapping mentions: each list's items of the
    field are one contiguous run whose offsets never go back (start0 <=
    end0 <= start1 …), so a merge of the runs converts them all in one walk
    over the text, without collecting and sorting references.  @returns
    false (nothing converted) when a run goes back or is not contiguous. */
static bool s_convert_merged(ktag_result_t *self, ktag_field_t which)
{
    s_run_t runs[S_MAX_RUNS];
    size_t run_count = s_runs(self, runs);
    size_t next[S_MAX_RUNS];   /* offset k of a run: item k / 2, its start or end */
    for (size_t r = 0; r < run_count; r++) {
        s_run_t *run = &runs[r];
        size_t lo = 0, hi;
        while (lo < run->count && s_field(run, lo) != which)
            lo++;
        for (hi = lo; hi < run->count && s_field(run, hi) == which; hi++)
            if (*s_start(run, hi) > *s_end(run, hi) || (hi > lo && *s_start(run, hi) < *s_end(run, hi - 1)))
                return false;
        for (size_t i = hi; i < run->count; i++)
            if (s_field(run, i) == which)
                return false;
        if (lo)   /* a list never grown has items NULL: no offset on it */
            run->items += lo * run->size;
        run->count = hi - lo;
        next[r] = 0;
    }
    const uint8_t *text = (const uint8_t *) self->fields[which].orig;
    bool utf16 = self->options.offsets == KTAG_OFFSETS_UTF16;
    size_t byte = 0, units = 0;
    for (;;) {
        size_t *dest = NULL, pick = 0;
        for (size_t r = 0; r < run_count; r++) {
            if (next[r] == 2 * runs[r].count)
                continue;
            size_t k = next[r];
            size_t *at = k & 1 ? s_end(&runs[r], k / 2) : s_start(&runs[r], k / 2);
            if (!dest || *at < *dest) {
                dest = at;
                pick = r;
            }
        }
        if (!dest)
            return true;
        next[pick]++;
        size_t to = *dest;
        units += s_count_units(text + byte, to - byte, utf16);
        byte = to;
        *dest = units;
    }
}

int ktag_result_finish(ktag_result_t *self)
{
    for (int f = 0; f < 2 && self->options.offsets != KTAG_OFFSETS_BYTE; f++)
        if (self->fields[f].present && !s_convert_merged(self, (ktag_field_t) f)
            && s_convert_offsets(self, (ktag_field_t) f))
            return KTAG_ERR_NOMEM;
    for (size_t i = 0; i < self->entity_count; i++)
        self->entities[i].text = self->strings + self->entity_text[i];
    for (size_t i = 0; i < self->event_count; i++)
        self->events[i].text = self->strings + self->event_text[i];
    return 0;
}

size_t ktag_result_filter_work(const ktag_result_t *self)
{
    return self->filter_work;
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

size_t ktag_result_event_count(const ktag_result_t *self)
{
    return self->event_count;
}

const ktag_event_t *ktag_result_event(const ktag_result_t *self, size_t index)
{
    return index < self->event_count ? &self->events[index] : NULL;
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
