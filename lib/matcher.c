/*  matcher.c - one interface over the multi-pattern matchers: keeps the
    patterns, chooses the implementation, builds the prefilter of
    matcher_internal.h and scans it portably, and puts the automaton's
    end-ordered output in start order.
*/
#include "matcher.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "automaton.h"
#include "ktag/ktag_error.h"
#include "matcher_internal.h"
#include "util.h"

typedef enum {
    S_IMPL_AUTOMATON,
    S_IMPL_PORTABLE,
    S_IMPL_AVX2,
    S_IMPL_AVX512,
} s_impl_t;

static const char *const s_impl_names[] = { "automaton", "portable", "avx2", "avx512" };

struct ktag_matcher_builder {
    ktag_automaton_builder_t *automaton;   /* assigns the ids */
    uint32_t *lens;       /* bytes of each pattern, by id */
    uint32_t *offsets;    /* of each pattern's folded bytes in `blob` */
    size_t lens_cap, offsets_cap;
    char *blob;
    size_t blob_len, blob_cap;
};

struct ktag_matcher {
    s_impl_t impl;
    ktag_automaton_t *automaton;   /* S_IMPL_AUTOMATON only */
    uint32_t *lens;
    size_t count;
    ktag_prefilter_t prefilter;    /* the others */
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
    free(self->offsets);
    free(self->blob);
    free(self);
    *self_p = NULL;
}

int32_t ktag_matcher_builder_add(ktag_matcher_builder_t *self, const char *bytes, size_t len)
{
    size_t count = ktag_automaton_builder_count(self->automaton);
    if (len == 0 || len > UINT32_MAX || self->blob_len + len > UINT32_MAX
        || KTAG_RESERVE(self->lens, self->lens_cap, count + 1)
        || KTAG_RESERVE(self->offsets, self->offsets_cap, count + 1)
        || KTAG_RESERVE(self->blob, self->blob_cap, self->blob_len + len + 8))
        return -1;
    int32_t id = ktag_automaton_builder_add(self->automaton, bytes, len);
    if (id >= 0 && (size_t) id == count) {
        self->lens[id] = (uint32_t) len;
        self->offsets[id] = (uint32_t) self->blob_len;
        for (size_t i = 0; i < len; i++)
            self->blob[self->blob_len++] = (char) (bytes[i] >= 'A' && bytes[i] <= 'Z' ? bytes[i] + ('a' - 'A') : bytes[i]);
    }
    return id;
}

size_t ktag_matcher_builder_count(const ktag_matcher_builder_t *self)
{
    return ktag_automaton_builder_count(self->automaton);
}

/* ---------------------------------------------------------- choosing */

/*  By measurement (docs/PERFORMANCE.md, "Matcher"): with AVX-512 the
    prefilter beats the automaton on articles and ties on headlines; with
    AVX2 only, or none, the automaton is the faster on the engine's
    patterns, so the avx2 and portable paths run only when forced. */
static s_impl_t s_best_impl(void)
{
    return ktag_cpu_has_avx512() ? S_IMPL_AVX512 : S_IMPL_AUTOMATON;
}

/*  KTAG_MATCHER names the implementation; a SIMD one the CPU lacks, or an
    unknown name, gives the default. */
static s_impl_t s_choose_impl(void)
{
    const char *wanted = getenv("KTAG_MATCHER");
    if (!wanted || !*wanted)
        return s_best_impl();
    if (strcmp(wanted, "automaton") == 0)
        return S_IMPL_AUTOMATON;
    if (strcmp(wanted, "portable") == 0)
        return S_IMPL_PORTABLE;
    if (strcmp(wanted, "avx2") == 0 && ktag_cpu_has_avx2())
        return S_IMPL_AVX2;
    if (strcmp(wanted, "avx512") == 0 && ktag_cpu_has_avx512())
        return S_IMPL_AVX512;
    KTAG_LOG(KTAG_LOG_WARNING, "KTAG_MATCHER=%s is not available here: using %s", wanted,
             s_impl_names[s_best_impl()]);
    return s_best_impl();
}

/* --------------------------------------------------------- prefilter */

typedef struct {
    uint64_t key;
    uint32_t id;
    uint32_t len;
    uint8_t rung;   /* KTAG_RUNGS for a 1-byte pattern */
} s_keyed_t;

static int s_compare_keyed(const void *a, const void *b)
{
    const s_keyed_t *x = a, *y = b;
    if (x->rung != y->rung)
        return x->rung < y->rung ? -1 : 1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;   /* longest first */
    return 0;
}

static size_t s_pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

/*  Build the prefilter from the builder's patterns (ids 0..count-1).
    @returns 0 or KTAG_ERR_NOMEM. */
static int s_prefilter_build(ktag_prefilter_t *pf, ktag_matcher_builder_t *b, size_t count)
{
    memset(pf->first, 0, sizeof pf->first);
    for (size_t c = 0; c < 256; c++)
        pf->single[c] = -1;
    s_keyed_t *keyed = malloc((count ? count : 1) * sizeof *keyed);
    if (!keyed)
        return KTAG_ERR_NOMEM;
    const uint8_t *blob = (const uint8_t *) b->blob;
    size_t groups = 0;
    for (size_t p = 0; p < count; p++) {
        uint32_t len = b->lens[p];
        uint8_t rung = KTAG_RUNGS;
        while (rung > 0 && len >= ktag_rung_len[rung - 1])
            rung--;
        uint64_t key = rung < KTAG_RUNGS ? ktag_load8(blob, b->offsets[p] + len, b->offsets[p]) & ktag_rung_masks[rung] : 0;
        keyed[p] = (s_keyed_t) { key, (uint32_t) p, len, rung };
    }
    qsort(keyed, count, sizeof *keyed, s_compare_keyed);
    for (size_t p = 0; p < count; p++)
        groups += keyed[p].rung < KTAG_RUNGS
                  && (p == 0 || keyed[p].rung != keyed[p - 1].rung || keyed[p].key != keyed[p - 1].key);

    /*  Two to four 32-bit words per key: at 2 bits per key, few false
        positives, and 128 KB for the bundled lexicons' ~9,000 keys (a
        filter 4 times smaller, L1-resident, measured slower: its extra
        false positives cost a lookup in the key table each). */
    size_t words = 2 * s_pow2_at_least(groups);
    words = words < 64 ? 64 : words;
    size_t slots = s_pow2_at_least(groups + groups / 4 + 16);
    pf->bloom = calloc(words, sizeof *pf->bloom);
    pf->slots = calloc(slots, sizeof *pf->slots);
    pf->pats = malloc((count ? count : 1) * sizeof *pf->pats);
    if (!pf->bloom || !pf->slots || !pf->pats) {
        free(keyed);
        return KTAG_ERR_NOMEM;
    }
    pf->bloom_shift = 32 - (uint32_t) __builtin_ctzll(words);
    pf->slot_mask = (uint32_t) slots - 1;
    pf->pat_count = count;
    ktag_slot_t *slot = NULL;
    for (size_t p = 0; p < count; p++) {
        const s_keyed_t *k = &keyed[p];
        uint32_t offset = b->offsets[k->id];
        uint32_t key_len = k->rung < KTAG_RUNGS ? ktag_rung_len[k->rung] : 1;
        pf->pats[p] = (ktag_pat_t) { ktag_load8(blob, offset + k->len, offset + key_len), k->id, k->len, offset };
        if (k->rung == KTAG_RUNGS) {
            pf->single[blob[offset]] = (int32_t) k->id;
            pf->first[blob[offset]] |= KTAG_FIRST_SINGLE;
            continue;
        }
        if (slot && KTAG_SLOT_RUNG(slot) == k->rung && slot->key == k->key) {
            slot->info += 1u << 4;   /* one more pattern */
            if (slot->info & KTAG_SLOT_EXACT) {
                slot->info &= ~KTAG_SLOT_EXACT;
                slot->begin = (uint32_t) p - 1;
            }
            continue;
        }
        uint32_t h = ktag_key_hash(k->key, k->rung);
        pf->bloom[h >> pf->bloom_shift] |= (1u << (h & 31)) | (1u << ((h >> 5) & 31));
        uint32_t at = h & pf->slot_mask;
        while (pf->slots[at].info)
            at = (at + 1) & pf->slot_mask;
        slot = &pf->slots[at];
        if (k->len == ktag_rung_len[k->rung])   /* the key is the whole pattern */
            *slot = (ktag_slot_t) { k->key, k->id, 1u << 4 | KTAG_SLOT_EXACT | k->rung };
        else
            *slot = (ktag_slot_t) { k->key, (uint32_t) p, 1u << 4 | k->rung };
        pf->first[blob[offset]] |= (uint8_t) (1u << k->rung);
    }
    /*  A capital starts whatever its small letter starts. */
    for (int c = 'A'; c <= 'Z'; c++) {
        pf->first[c] = pf->first[c + ('a' - 'A')];
        pf->single[c] = pf->single[c + ('a' - 'A')];
    }
    ktag_prefilter_nibbles(pf);
    free(keyed);
    if (!b->blob && KTAG_RESERVE(b->blob, b->blob_cap, 8))
        return KTAG_ERR_NOMEM;
    memset(b->blob + b->blob_len, 0, 8);   /* room reserved by builder_add */
    pf->blob = b->blob;
    pf->blob_len = b->blob_len;
    b->blob = NULL;
    return 0;
}

static void s_prefilter_free(ktag_prefilter_t *pf)
{
    free(pf->bloom);
    free(pf->slots);
    free(pf->pats);
    free(pf->blob);
}

/*  True when text[0, n) equals the folded pattern bytes, ASCII case aside;
    the pattern may be read 8 bytes at a time (the blob is padded), the
    text only up to `n`. */
static inline bool s_equal_folded(const uint8_t *text, const uint8_t *pattern, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t want;
        memcpy(&want, pattern + i, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        want = __builtin_bswap64(want);
#endif
        uint64_t diff = ktag_fold8(ktag_load8(text, n, i)) ^ want;
        if (n - i < 8)
            diff &= (1ull << (8 * (n - i))) - 1;
        if (diff)
            return false;
    }
    return true;
}

static inline int s_emit(ktag_match_vec_t *out, uint32_t id, size_t end)
{
    if (out->count == out->capacity && KTAG_RESERVE(out->items, out->capacity, out->count + 1))
        return KTAG_ERR_NOMEM;
    out->items[out->count++] = (ktag_match_t) { id, (uint32_t) end };
    return 0;
}

int ktag_prefilter_verify(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, size_t i, uint64_t key,
                          unsigned rung, uint32_t h, ktag_match_vec_t *out)
{
    const ktag_slot_t *slot;
    for (uint32_t at = h & pf->slot_mask;; at = (at + 1) & pf->slot_mask) {
        slot = &pf->slots[at];
        if (!slot->info)
            return 0;
        if (slot->key == key && KTAG_SLOT_RUNG(slot) == rung)
            break;
    }
    size_t k = ktag_rung_len[rung];
    if (slot->info & KTAG_SLOT_EXACT)
        return i + k <= len ? s_emit(out, slot->begin, i + k) : 0;
    /*  The patterns of a key (often several: names sharing their first
        syllables) are told apart by their next 8 bytes, one compare each;
        only a pattern longer than key + 8 bytes reads the blob. */
    uint64_t next = ktag_fold8(ktag_load8(text, len, i + k));
    for (const ktag_pat_t *pat = &pf->pats[slot->begin], *end = pat + (slot->info >> 4); pat < end; pat++) {
        size_t rest = pat->len - k;
        uint64_t mask = rest >= 8 ? ~0ull : (1ull << (8 * rest)) - 1;
        if (pat->len <= len - i && (next & mask) == pat->next
            && (rest <= 8
                || s_equal_folded(text + i + k + 8, (const uint8_t *) pf->blob + pat->offset + k + 8, rest - 8))
            && s_emit(out, pat->id, i + pat->len))
            return KTAG_ERR_NOMEM;
    }
    return 0;
}

int ktag_prefilter_single(const ktag_prefilter_t *pf, const uint8_t *text, size_t i, ktag_match_vec_t *out)
{
    return s_emit(out, (uint32_t) pf->single[text[i]], i + 1);
}

/* ------------------------------------------------------------ matcher */

ktag_matcher_t *ktag_matcher_compile(ktag_matcher_builder_t **builder_p)
{
    ktag_matcher_builder_t *b = *builder_p;
    ktag_matcher_t *self = calloc(1, sizeof *self);
    if (!self)
        goto done;
    self->impl = s_choose_impl();
    self->count = ktag_automaton_builder_count(b->automaton);
    if (self->impl == S_IMPL_AUTOMATON)
        self->automaton = ktag_automaton_compile(&b->automaton);
    else if (s_prefilter_build(&self->prefilter, b, self->count) == 0)
        self->prefilter.ready = true;
    self->lens = b->lens;
    b->lens = NULL;
    if (!self->automaton && !self->prefilter.ready)
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
    s_prefilter_free(&self->prefilter);
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
    const uint8_t *bytes = (const uint8_t *) text;
    switch (self->impl) {
    case S_IMPL_AVX512:
        return ktag_prefilter_scan_avx512(&self->prefilter, bytes, len, out);
    case S_IMPL_AVX2:
        return ktag_prefilter_scan_avx2(&self->prefilter, bytes, len, out);
    case S_IMPL_PORTABLE:
        return ktag_prefilter_scan_from(&self->prefilter, bytes, len, 0, out);
    case S_IMPL_AUTOMATON:
        break;
    }
    size_t first = out->count;
    int rc = ktag_automaton_scan(self->automaton, text, len, out);
    if (rc == 0 && out->count - first > 1)
        rc = s_sort_by_start(self, out->items + first, out->count - first);
    return rc;
}

const char *ktag_matcher_impl(const ktag_matcher_t *self)
{
    return s_impl_names[self->impl];
}

size_t ktag_matcher_memory(const ktag_matcher_t *self)
{
    size_t bytes = sizeof *self + self->count * sizeof(uint32_t);
    if (self->automaton)
        return bytes + ktag_automaton_memory(self->automaton);
    const ktag_prefilter_t *pf = &self->prefilter;
    size_t words = (size_t) 1 << (32 - pf->bloom_shift);
    return bytes + words * sizeof(uint32_t) + (pf->slot_mask + 1) * sizeof(ktag_slot_t)
           + pf->pat_count * sizeof(ktag_pat_t) + pf->blob_len;
}
