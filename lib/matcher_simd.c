/*  matcher_simd.c - the prefilter's scan with AVX2 and with AVX-512.

    The positions whose byte can start a pattern come out of a vector test,
    32 or 64 bytes at a time, as a bit mask.  A byte's membership in the set
    of first bytes is exact, with two shuffles of 16-entry tables: for each
    low nibble, a byte whose bit h says whether the byte with high nibble h
    (h < 8 in one table, h >= 8 in the other) is in the set; a third
    shuffle turns the high nibble into that bit.

    The candidates' positions then go into batches, of 16 lanes for AVX-512
    (a compress per 16 bytes) and 8 for AVX2: the 8 bytes at each are
    gathered as two 32-bit halves and ASCII-folded, and for each rung that
    some candidate's byte allows, the keys are hashed lane by lane
    (ktag_key_hash) and their Bloom words gathered.  The few lanes that pass
    are verified by the portable code, in position order.

    Each function carries its target attribute, so the library builds
    without special flags and runs on CPUs that lack both (the caller asks
    ktag_cpu_has_* first).
*/
#include "matcher_internal.h"

/*  The two nibble tables of the first-byte set: [0..15] for bytes below
    0x80, [16..31] for the others. */
void ktag_prefilter_nibbles(ktag_prefilter_t *pf)
{
    memset(pf->nibbles, 0, sizeof pf->nibbles);
    for (int b = 0; b < 256; b++)
        pf->first32[b] = pf->first[b];
    for (int b = 0; b < 256; b++)
        if (pf->first[b])
            pf->nibbles[(b >> 7) * 16 + (b & 15)] |= (uint8_t) (1u << ((b >> 4) & 7));
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

static const uint8_t s_high_bits[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128 };

/*  A batch of candidates: their positions in `base` (a pointer to gather 8
    bytes from at each), which is the text shifted by `offset`; AVX-512
    probes 16 at once while up to 16 more wait, AVX2 probes 8. */
typedef struct {
    const uint8_t *base;
    size_t offset;
    uint32_t pos[32];
    unsigned n;
} s_batch_t;

/*  After a batch of probes: for each lane (ascending, so positions stay in
    order) whose rung probes passed, verify those rungs longest first, then
    its 1-byte pattern.  pass[r] and `singles` hold one bit per lane. */
static int s_follow_up(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, const s_batch_t *batch,
                       const unsigned pass[KTAG_RUNGS], unsigned singles, ktag_match_vec_t *out)
{
    unsigned any = singles;
    for (unsigned r = 0; r < KTAG_RUNGS; r++)
        any |= pass[r];
    for (; any; any &= any - 1) {
        unsigned lane = (unsigned) __builtin_ctz(any);
        size_t i = batch->offset + batch->pos[lane];
        uint64_t word = ktag_fold8(ktag_load8(text, len, i));
        for (unsigned r = 0; r < KTAG_RUNGS; r++) {
            if (!(pass[r] >> lane & 1))
                continue;
            uint64_t key = word & ktag_rung_masks[r];
            if (ktag_prefilter_verify(pf, text, len, i, key, r, ktag_key_hash(key, r), out))
                return KTAG_ERR_NOMEM;
        }
        if (singles >> lane & 1 && ktag_prefilter_single(pf, text, i, out))
            return KTAG_ERR_NOMEM;
    }
    return 0;
}

/*  Probe the batch (up to 16 lanes): the 8 bytes at each candidate come in
    two gathers of 32-bit halves, and each rung's hash and Bloom word are
    computed and gathered 16 lanes at a time. */
__attribute__((target("avx512f,avx512bw,bmi")))
static int s_probe16(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, const s_batch_t *batch,
                     unsigned n, ktag_match_vec_t *out)
{
    const __m512i zero = _mm512_setzero_si512(), five_bits = _mm512_set1_epi32(31);
    const __m512i multiplier = _mm512_set1_epi32((int) KTAG_HASH_MULTIPLIER), mix = _mm512_set1_epi32((int) KTAG_HASH_MIX);
    __mmask16 live = (__mmask16) ((1u << n) - 1);
    __m512i index = _mm512_loadu_si512(batch->pos);
    __m512i low = _mm512_mask_i32gather_epi32(zero, live, index, batch->base, 1);
    __m512i high = _mm512_mask_i32gather_epi32(zero, live, index, batch->base + 4, 1);
    __m512i allowed = _mm512_mask_i32gather_epi32(zero, live, _mm512_and_si512(low, _mm512_set1_epi32(0xFF)),
                                                  pf->first32, 4);
    unsigned rungs = (unsigned) _mm512_reduce_or_epi32(allowed);
    const __m512i a = _mm512_set1_epi8('A'), z = _mm512_set1_epi8(25), to_small = _mm512_set1_epi8(0x20);
    low = _mm512_or_si512(low, _mm512_maskz_mov_epi8(_mm512_cmple_epu8_mask(_mm512_sub_epi8(low, a), z), to_small));
    high = _mm512_or_si512(high, _mm512_maskz_mov_epi8(_mm512_cmple_epu8_mask(_mm512_sub_epi8(high, a), z), to_small));
    const __m128i word_shift = _mm_cvtsi32_si128((int) pf->bloom_shift);
    unsigned pass[KTAG_RUNGS] = { 0 }, any = 0;
    for (unsigned r = 0; r < KTAG_RUNGS; r++) {
        if (!(rungs & (1u << r)))
            continue;   /* no lane's byte allows it */
        uint64_t mask = ktag_rung_masks[r];
        __m512i f = _mm512_xor_si512(_mm512_and_si512(low, _mm512_set1_epi32((int) (uint32_t) mask)),
                                     _mm512_and_si512(high, _mm512_set1_epi32((int) (uint32_t) (mask >> 32))));
        __m512i h = _mm512_mullo_epi32(_mm512_xor_si512(f, _mm512_set1_epi32((int) ktag_rung_salts[r])), multiplier);
        h = _mm512_mullo_epi32(_mm512_xor_si512(h, _mm512_srli_epi32(h, 16)), mix);
        h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 13));
        __m512i bloom = _mm512_mask_i32gather_epi32(zero, live, _mm512_srl_epi32(h, word_shift), pf->bloom, 4);
        __m512i bit = _mm512_and_si512(_mm512_srlv_epi32(bloom, _mm512_and_si512(h, five_bits)),
                                       _mm512_srlv_epi32(bloom, _mm512_and_si512(_mm512_srli_epi32(h, 5), five_bits)));
        __mmask16 wanted = _mm512_test_epi32_mask(allowed, _mm512_set1_epi32(1 << r));
        pass[r] = _mm512_mask_test_epi32_mask(wanted, bit, _mm512_set1_epi32(1));
        any |= pass[r];
    }
    unsigned singles = _mm512_mask_test_epi32_mask(live, allowed, _mm512_set1_epi32(KTAG_FIRST_SINGLE));
    return any | singles ? s_follow_up(pf, text, len, batch, pass, singles, out) : 0;
}

/*  Add the candidates of `mask` (bit j = position block + j of
    batch->base) to the batch, 16 positions at a time with a compress, and
    probe each full 16.  @returns 0 or KTAG_ERR_NOMEM. */
__attribute__((target("avx512f,avx512bw,bmi,popcnt")))
static inline int s_add(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, s_batch_t *batch,
                        size_t block, uint64_t mask, ktag_match_vec_t *out)
{
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (size_t at = block; mask; at += 16, mask >>= 16) {
        __mmask16 some = (__mmask16) mask;
        if (!some)
            continue;
        __m512i positions = _mm512_add_epi32(iota, _mm512_set1_epi32((int) at));
        _mm512_storeu_si512(batch->pos + batch->n, _mm512_maskz_compress_epi32(some, positions));
        batch->n += (unsigned) __builtin_popcount(some);
        if (batch->n >= 16) {
            if (s_probe16(pf, text, len, batch, 16, out))
                return KTAG_ERR_NOMEM;
            batch->n -= 16;
            _mm512_storeu_si512(batch->pos, _mm512_loadu_si512(batch->pos + 16));
        }
    }
    return 0;
}

/*  Probe what the batch holds.  @returns 0 or KTAG_ERR_NOMEM. */
__attribute__((target("avx512f,avx512bw,bmi,popcnt")))
static inline int s_flush(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, s_batch_t *batch,
                          ktag_match_vec_t *out)
{
    int rc = batch->n ? s_probe16(pf, text, len, batch, batch->n, out) : 0;
    batch->n = 0;
    return rc;
}

__attribute__((target("avx2,bmi")))
static inline uint32_t s_mask32(const uint8_t *bytes, const ktag_prefilter_t *pf)
{
    const __m256i low_table = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) pf->nibbles));
    const __m256i high_table = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) (pf->nibbles + 16)));
    const __m256i bits = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) s_high_bits));
    const __m256i index_mask = _mm256_set1_epi8((char) 0x8F);
    __m256i v = _mm256_loadu_si256((const __m256i *) bytes);
    __m256i low = _mm256_shuffle_epi8(low_table, _mm256_and_si256(v, index_mask));
    __m256i high = _mm256_shuffle_epi8(high_table, _mm256_and_si256(_mm256_xor_si256(v, _mm256_set1_epi8((char) 0x80)),
                                                                    index_mask));
    __m256i bit = _mm256_shuffle_epi8(bits, _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0F)));
    __m256i hit = _mm256_and_si256(_mm256_or_si256(low, high), bit);
    return ~(uint32_t) _mm256_movemask_epi8(_mm256_cmpeq_epi8(hit, _mm256_setzero_si256()));
}

__attribute__((target("avx512f,avx512bw,bmi")))
static inline uint64_t s_mask64(const uint8_t *bytes, const ktag_prefilter_t *pf)
{
    const __m512i low_table = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *) pf->nibbles));
    const __m512i high_table = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *) (pf->nibbles + 16)));
    const __m512i bits = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *) s_high_bits));
    const __m512i index_mask = _mm512_set1_epi8((char) 0x8F);
    __m512i v = _mm512_loadu_si512(bytes);
    __m512i low = _mm512_shuffle_epi8(low_table, _mm512_and_si512(v, index_mask));
    __m512i high = _mm512_shuffle_epi8(high_table, _mm512_and_si512(_mm512_xor_si512(v, _mm512_set1_epi8((char) 0x80)),
                                                                    index_mask));
    __m512i bit = _mm512_shuffle_epi8(bits, _mm512_and_si512(_mm512_srli_epi16(v, 4), _mm512_set1_epi8(0x0F)));
    return _mm512_test_epi8_mask(_mm512_or_si512(low, high), bit);
}

/*  Probe the batch (up to 8 lanes) with AVX2: as s_probe16, in 8 lanes. */
__attribute__((target("avx2,bmi")))
static int s_probe8(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, const s_batch_t *batch,
                     unsigned n, ktag_match_vec_t *out)
{
    const __m256i zero = _mm256_setzero_si256(), five_bits = _mm256_set1_epi32(31), one = _mm256_set1_epi32(1);
    const __m256i multiplier = _mm256_set1_epi32((int) KTAG_HASH_MULTIPLIER), mix = _mm256_set1_epi32((int) KTAG_HASH_MIX);
    unsigned lanes = (1u << n) - 1;
    __m256i live = _mm256_cmpgt_epi32(_mm256_set1_epi32((int) n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i index = _mm256_loadu_si256((const __m256i *) batch->pos);
    __m256i low = _mm256_mask_i32gather_epi32(zero, (const int *) batch->base, index, live, 1);
    __m256i high = _mm256_mask_i32gather_epi32(zero, (const int *) (batch->base + 4), index, live, 1);
    __m256i allowed = _mm256_mask_i32gather_epi32(zero, (const int *) pf->first32,
                                                  _mm256_and_si256(low, _mm256_set1_epi32(0xFF)), live, 4);
    const __m256i a = _mm256_set1_epi8('A'), z = _mm256_set1_epi8(25), to_small = _mm256_set1_epi8(0x20);
    __m256i shifted = _mm256_sub_epi8(low, a);
    low = _mm256_or_si256(low, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(shifted, z), shifted), to_small));
    shifted = _mm256_sub_epi8(high, a);
    high = _mm256_or_si256(high, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(shifted, z), shifted), to_small));
    __m128i either = _mm_or_si128(_mm256_castsi256_si128(allowed), _mm256_extracti128_si256(allowed, 1));
    either = _mm_or_si128(either, _mm_shuffle_epi32(either, 0x4E));
    unsigned rungs = (unsigned) _mm_cvtsi128_si32(_mm_or_si128(either, _mm_shuffle_epi32(either, 0xB1)));
    const __m128i word_shift = _mm_cvtsi32_si128((int) pf->bloom_shift);
    unsigned pass[KTAG_RUNGS] = { 0 }, any = 0;
    for (unsigned r = 0; r < KTAG_RUNGS; r++) {
        if (!(rungs & (1u << r)))
            continue;   /* no lane's byte allows it */
        uint64_t mask = ktag_rung_masks[r];
        __m256i f = _mm256_xor_si256(_mm256_and_si256(low, _mm256_set1_epi32((int) (uint32_t) mask)),
                                     _mm256_and_si256(high, _mm256_set1_epi32((int) (uint32_t) (mask >> 32))));
        __m256i h = _mm256_mullo_epi32(_mm256_xor_si256(f, _mm256_set1_epi32((int) ktag_rung_salts[r])), multiplier);
        h = _mm256_mullo_epi32(_mm256_xor_si256(h, _mm256_srli_epi32(h, 16)), mix);
        h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
        __m256i bloom = _mm256_mask_i32gather_epi32(zero, (const int *) pf->bloom, _mm256_srl_epi32(h, word_shift), live, 4);
        __m256i bit = _mm256_and_si256(_mm256_srlv_epi32(bloom, _mm256_and_si256(h, five_bits)),
                                       _mm256_srlv_epi32(bloom, _mm256_and_si256(_mm256_srli_epi32(h, 5), five_bits)));
        bit = _mm256_and_si256(_mm256_and_si256(bit, _mm256_srli_epi32(allowed, (int) r)), one);
        pass[r] = (unsigned) _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(bit, one))) & lanes;
        any |= pass[r];
    }
    __m256i single = _mm256_and_si256(_mm256_srli_epi32(allowed, KTAG_RUNGS), one);
    unsigned singles = (unsigned) _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(single, one))) & lanes;
    return any | singles ? s_follow_up(pf, text, len, batch, pass, singles, out) : 0;
}

/*  The scans take whole blocks whose every position has 8 bytes of text
    after it straight from the text.  The rest (fewer than a block plus 7
    bytes) is the portable code's for AVX2; AVX-512 reads it from a
    zero-padded copy: zero starts no pattern (patterns hold no NUL), and a
    key read there ends in zeros as ktag_load8's do.  (AVX2 batches of 4
    64-bit lanes measured slower than probing each candidate in scalar
    code; batches of 8 32-bit lanes, faster.) */

__attribute__((target("avx2,bmi")))
int ktag_prefilter_scan_avx2(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, ktag_match_vec_t *out)
{
    s_batch_t batch = { .base = text };
    size_t safe = len >= 7 ? len - 7 : 0, block = 0;
    for (; block + 32 <= safe; block += 32)
        for (uint32_t mask = s_mask32(text + block, pf); mask; mask &= mask - 1) {
            batch.pos[batch.n++] = (uint32_t) (block + (size_t) __builtin_ctz(mask));
            if (batch.n == 8) {
                if (s_probe8(pf, text, len, &batch, 8, out))
                    return KTAG_ERR_NOMEM;
                batch.n = 0;
            }
        }
    if (batch.n && s_probe8(pf, text, len, &batch, batch.n, out))
        return KTAG_ERR_NOMEM;
    return ktag_prefilter_scan_from(pf, text, len, block, out);
}

__attribute__((target("avx512f,avx512bw,bmi,popcnt")))
int ktag_prefilter_scan_avx512(const ktag_prefilter_t *pf, const uint8_t *text, size_t len,
                               ktag_match_vec_t *out)
{
    s_batch_t batch = { .base = text };
    size_t safe = len >= 7 ? len - 7 : 0, block = 0;
    for (; block + 64 <= safe; block += 64)
        if (s_add(pf, text, len, &batch, block, s_mask64(text + block, pf), out))
            return KTAG_ERR_NOMEM;
    if (s_flush(pf, text, len, &batch, out))
        return KTAG_ERR_NOMEM;
    uint8_t padded[2 * 64 + 8] = { 0 };
    if (len > block)
        memcpy(padded, text + block, len - block);
    batch = (s_batch_t) { .base = padded, .offset = block };
    for (size_t at = 0; at < len - block; at += 64)
        if (s_add(pf, text, len, &batch, at, s_mask64(padded + at, pf), out))
            return KTAG_ERR_NOMEM;
    return s_flush(pf, text, len, &batch, out);
}

bool ktag_cpu_has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi");
}

bool ktag_cpu_has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("bmi")
           && __builtin_cpu_supports("popcnt");
}

#else /* not x86: the portable path only */

int ktag_prefilter_scan_avx2(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, ktag_match_vec_t *out)
{
    return ktag_prefilter_scan_from(pf, text, len, 0, out);
}

int ktag_prefilter_scan_avx512(const ktag_prefilter_t *pf, const uint8_t *text, size_t len,
                               ktag_match_vec_t *out)
{
    return ktag_prefilter_scan_from(pf, text, len, 0, out);
}

bool ktag_cpu_has_avx2(void)
{
    return false;
}

bool ktag_cpu_has_avx512(void)
{
    return false;
}

#endif
