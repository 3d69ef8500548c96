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
    free(self->unit_blocks);
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
        .id_len = entry->id_len,
        .name_len = entry->name_len,
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

ktag_event_t *ktag_result_add_event(ktag_result_t *self, ktag_field_t field, const char *orig, size_t byte_start,
                                    size_t byte_end)
{
    size_t n = self->event_count;
    if (KTAG_RESERVE(self->events, self->event_cap, n + 1)
        || KTAG_RESERVE(self->event_text, self->event_text_cap, n + 1))
        return NULL;
    size_t stored = s_store(self, orig + byte_start, byte_end - byte_start);
    if (stored == (size_t) -1)
        return NULL;
    self->event_text[n] = stored;
    /*  Member by member: a compound literal is zeroed with `rep stos`,
        whose start-up costs more than the stores. */
    ktag_event_t *event = &self->events[n];
    event->type = KTAG_EVENT_FUNDING;
    event->kind = event->company = event->counterparty = event->source = event->direction = NULL;
    event->unit = event->text = event->rule = NULL;
    event->has_amount = event->has_previous = event->limit = false;
    event->amount = event->previous = event->sentiment = 0;
    event->start = event->byte_start = byte_start;
    event->end = event->byte_end = byte_end;
    event->field = field;
    self->event_count++;
    return event;
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

/*  Offsets in code points (or UTF-16 units) are ranks: the units before a
    byte are the bytes before it, less the continuation bytes, plus (UTF-16)
    one per 4-byte lead.  A field's text is marked once, a bit per byte, in
    blocks of 64 bytes that also carry the units before them, so any offset
    converts with two popcounts, in any order: no sort, no merge, no walk
    per item. */
typedef struct ktag_unit_block {
    uint64_t cont;      /**< bit i: byte i of the block is 10xxxxxx */
    uint64_t lead4;     /**< bit i: byte i is 11110xxx (marked only for UTF-16) */
    size_t before;      /**< units before the block's first byte */
} ktag_unit_block_t;

/*  @returns the bits set in `w`: baseline x86-64 has no popcnt instruction
    and __builtin_popcountll would call libgcc for each offset. */
static inline size_t s_popcount(uint64_t w)
{
    w -= (w >> 1) & 0x5555555555555555u;
    w = (w & 0x3333333333333333u) + ((w >> 2) & 0x3333333333333333u);
    w = (w + (w >> 4)) & 0x0F0F0F0F0F0F0F0Fu;
    return (size_t) ((w * 0x0101010101010101u) >> 56);
}

/*  @returns the bytes of text[0, len) (len <= 64) that are continuation
    bytes (`lead4`: 4-byte leads), a bit each. */
static uint64_t s_mark(const uint8_t *text, size_t len, bool lead4)
{
    uint64_t bits = 0;
#ifdef __SSE2__
    /*  Signed, a continuation byte 0x80..0xBF is below -64, a 4-byte lead
        0xF0..0xFF in [-16, -1].  A last part shorter than 16 bytes is
        copied into zeros, which mark nothing. */
    const __m128i zero = _mm_setzero_si128(), below = _mm_set1_epi8(-64), above = _mm_set1_epi8(-17);
    for (size_t i = 0; i < len; i += 16) {
        __m128i v;
        if (i + 16 <= len) {
            v = _mm_loadu_si128((const __m128i *) (text + i));
        } else {
            uint8_t last[16] = { 0 };
            memcpy(last, text + i, len - i);
            v = _mm_loadu_si128((const __m128i *) last);
        }
        __m128i hit = lead4 ? _mm_and_si128(_mm_cmpgt_epi8(v, above), _mm_cmplt_epi8(v, zero))
                            : _mm_cmplt_epi8(v, below);
        bits |= (uint64_t) (uint16_t) _mm_movemask_epi8(hit) << i;
    }
#else
    for (size_t i = 0; i < len; i++)
        if (lead4 ? text[i] >= 0xF0 : (text[i] & 0xC0) == 0x80)
            bits |= (uint64_t) 1 << i;
#endif
    return bits;
}

/*  Mark the text of field `which` into self->unit_blocks.  @returns 0 or
    KTAG_ERR_NOMEM. */
static int s_mark_units(ktag_result_t *self, ktag_field_t which, bool utf16)
{
    const uint8_t *text = (const uint8_t *) self->fields[which].orig;
    size_t len = self->fields[which].orig_len;
    size_t count = len / 64 + 1;   /* offset len has a block even when len % 64 == 0 */
    if (KTAG_RESERVE(self->unit_blocks, self->unit_block_cap, count))
        return KTAG_ERR_NOMEM;
    size_t before = 0;
    for (size_t b = 0; b < count; b++) {
        size_t at = b * 64, n = len - at < 64 ? len - at : 64;
        ktag_unit_block_t *block = &self->unit_blocks[b];
        block->cont = s_mark(text + at, n, false);
        block->lead4 = utf16 ? s_mark(text + at, n, true) : 0;
        block->before = before;
        before += n - s_popcount(block->cont) + (utf16 ? s_popcount(block->lead4) : 0);
    }
    return 0;
}

/*  @returns the units before byte `byte` of the marked field. */
static inline size_t s_units_at(const ktag_unit_block_t *blocks, size_t byte, bool utf16)
{
    const ktag_unit_block_t *block = &blocks[byte / 64];
    size_t in = byte % 64;
    uint64_t below = ((uint64_t) 1 << in) - 1;
    return block->before + in - s_popcount(block->cont & below) + (utf16 ? s_popcount(block->lead4 & below) : 0);
}

/*  Rewrite the byte offsets of the field's entities, sentences and events
    in the requested unit.  @returns 0 or KTAG_ERR_NOMEM. */
static int s_convert_offsets(ktag_result_t *self, ktag_field_t which)
{
    bool utf16 = self->options.offsets == KTAG_OFFSETS_UTF16;
    if (s_mark_units(self, which, utf16))
        return KTAG_ERR_NOMEM;
    const ktag_unit_block_t *blocks = self->unit_blocks;
#define S_CONVERT(items, count)                                    \
    for (size_t i = 0; i < (count); i++)                            \
        if ((items)[i].field == which) {                            \
            (items)[i].start = s_units_at(blocks, (items)[i].start, utf16); \
            (items)[i].end = s_units_at(blocks, (items)[i].end, utf16);     \
        }
    S_CONVERT(self->entities, self->entity_count)
    S_CONVERT(self->sentences, self->sentence_count)
    S_CONVERT(self->events, self->event_count)
#undef S_CONVERT
    return 0;
}

int ktag_result_finish(ktag_result_t *self)
{
    for (int f = 0; f < 2 && self->options.offsets != KTAG_OFFSETS_BYTE; f++)
        if (self->fields[f].present && s_convert_offsets(self, (ktag_field_t) f))
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
