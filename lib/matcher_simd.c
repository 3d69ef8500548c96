/*  matcher_simd.c - the prefilter's scan with AVX2 and with AVX-512: the
    positions whose byte can start a pattern come out of a vector test, 32
    or 64 bytes at a time, as a bit mask; the per-position work is the
    portable path's.

    A byte's membership in the set of first bytes is exact, with two
    shuffles of 16-entry tables: for each low nibble, a byte whose bit h
    says whether the byte with high nibble h (h < 8 in one table, h >= 8 in
    the other) is in the set; a third shuffle turns the high nibble into
    that bit.  Each function carries its target attribute, so the library
    builds without special flags and runs on CPUs that lack both (the
    caller asks ktag_cpu_has_* first).
*/
#include "matcher_internal.h"

/*  The two nibble tables of the first-byte set: [0..15] for bytes below
    0x80, [16..31] for the others. */
void ktag_prefilter_nibbles(ktag_prefilter_t *pf)
{
    memset(pf->nibbles, 0, sizeof pf->nibbles);
    for (int b = 0; b < 256; b++)
        pf->first64[b] = pf->first[b];
    for (int b = 0; b < 256; b++)
        if (pf->first[b])
            pf->nibbles[(b >> 7) * 16 + (b & 15)] |= (uint8_t) (1u << ((b >> 4) & 7));
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>


static const uint8_t s_high_bits[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128 };

/*  After a batch of probes: for each lane (ascending, so positions stay in
    order) whose rung probes passed, verify those rungs longest first, then
    its 1-byte pattern.  pass[r] and `singles` hold one bit per lane. */
static int s_follow_up(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, const uint32_t *pos,
                       const unsigned pass[KTAG_RUNGS], unsigned singles, ktag_match_vec_t *out)
{
    unsigned any = singles;
    for (unsigned r = 0; r < KTAG_RUNGS; r++)
        any |= pass[r];
    for (; any; any &= any - 1) {
        unsigned lane = (unsigned) __builtin_ctz(any);
        size_t i = pos[lane];
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

/*  Probe the candidates at pos[0, n) (n <= 4; each with 8 bytes of text
    from it) four lanes at a time: gather the words, fold ASCII, and for
    each rung hash the key and gather its Bloom word. */
__attribute__((target("avx2,bmi")))
static int s_probe4(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, const uint32_t *pos, unsigned n,
                    unsigned rungs, ktag_match_vec_t *out)
{
    const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi64x(1), six_bits = _mm256_set1_epi64x(63);
    const __m256i low32 = _mm256_set1_epi64x(0xFFFFFFFF), multiplier = _mm256_set1_epi64x(KTAG_HASH_MULTIPLIER);
    __m256i live = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
    __m128i index = _mm_loadu_si128((const __m128i *) pos);
    __m256i words = _mm256_mask_i32gather_epi64(zero, (const long long *) text, index, live, 1);
    __m256i allowed = _mm256_mask_i64gather_epi64(zero, (const long long *) pf->first64,
                                                  _mm256_and_si256(words, _mm256_set1_epi64x(0xFF)), live, 8);
    __m256i shifted = _mm256_sub_epi8(words, _mm256_set1_epi8('A'));
    __m256i capital = _mm256_cmpeq_epi8(_mm256_min_epu8(shifted, _mm256_set1_epi8(25)), shifted);
    words = _mm256_or_si256(words, _mm256_and_si256(capital, _mm256_set1_epi8(0x20)));
    const __m128i word_shift = _mm_cvtsi32_si128((int) (32 + pf->bloom_shift));
    unsigned pass[KTAG_RUNGS] = { 0 }, any = 0;
    for (unsigned r = 0; r < KTAG_RUNGS; r++) {
        if (!(rungs & (1u << r)))
            continue;   /* no lane's byte allows it */
        __m256i key = _mm256_and_si256(words, _mm256_set1_epi64x((long long) ktag_rung_masks[r]));
        __m256i f = _mm256_xor_si256(_mm256_xor_si256(key, _mm256_srli_epi64(key, 32)),
                                     _mm256_set1_epi64x(ktag_rung_salts[r]));
        __m256i m = _mm256_mul_epu32(f, multiplier);
        __m256i h = _mm256_and_si256(_mm256_xor_si256(m, _mm256_srli_epi64(m, 32)), low32);
        __m256i bloom = _mm256_i64gather_epi64((const long long *) pf->bloom,
                                               _mm256_srl_epi64(_mm256_slli_epi64(h, 32), word_shift), 8);
        __m256i bit = _mm256_and_si256(_mm256_srlv_epi64(bloom, _mm256_and_si256(h, six_bits)),
                                       _mm256_srlv_epi64(bloom, _mm256_and_si256(_mm256_srli_epi64(h, 6), six_bits)));
        bit = _mm256_and_si256(_mm256_and_si256(bit, _mm256_srli_epi64(allowed, (int) r)), one);
        pass[r] = (unsigned) _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(bit, one))) & ((1u << n) - 1);
        any |= pass[r];
    }
    __m256i single = _mm256_and_si256(_mm256_srli_epi64(allowed, KTAG_RUNGS), one);
    unsigned singles = (unsigned) _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(single, one))) & ((1u << n) - 1);
    if (!(any | singles))
        return 0;
    return s_follow_up(pf, text, len, pos, pass, singles, out);
}

/*  The same, eight lanes at a time. */
__attribute__((target("avx512f,avx512bw,bmi")))
static int s_probe8(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, const uint32_t *pos, unsigned n,
                    unsigned rungs, ktag_match_vec_t *out)
{
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi64(1), six_bits = _mm512_set1_epi64(63);
    const __m512i multiplier = _mm512_set1_epi64(KTAG_HASH_MULTIPLIER);
    __mmask8 live = (__mmask8) ((1u << n) - 1);
    __m256i index = _mm256_loadu_si256((const __m256i *) pos);
    __m512i words = _mm512_mask_i32gather_epi64(zero, live, index, text, 1);
    __m512i allowed = _mm512_mask_i64gather_epi64(zero, live, _mm512_and_si512(words, _mm512_set1_epi64(0xFF)),
                                                  pf->first64, 8);
    __mmask64 capital = _mm512_cmple_epu8_mask(_mm512_sub_epi8(words, _mm512_set1_epi8('A')), _mm512_set1_epi8(25));
    words = _mm512_or_si512(words, _mm512_maskz_mov_epi8(capital, _mm512_set1_epi8(0x20)));
    const __m128i word_shift = _mm_cvtsi32_si128((int) (32 + pf->bloom_shift));
    unsigned pass[KTAG_RUNGS] = { 0 }, any = 0;
    for (unsigned r = 0; r < KTAG_RUNGS; r++) {
        if (!(rungs & (1u << r)))
            continue;   /* no lane's byte allows it */
        __m512i key = _mm512_and_si512(words, _mm512_set1_epi64((long long) ktag_rung_masks[r]));
        __m512i f = _mm512_xor_si512(_mm512_xor_si512(key, _mm512_srli_epi64(key, 32)),
                                     _mm512_set1_epi64(ktag_rung_salts[r]));
        __m512i m = _mm512_mul_epu32(f, multiplier);
        __m512i h = _mm512_xor_si512(m, _mm512_srli_epi64(m, 32));
        __m512i bloom = _mm512_mask_i64gather_epi64(zero, live, _mm512_srl_epi64(_mm512_slli_epi64(h, 32), word_shift),
                                                    pf->bloom, 8);
        __m512i bit = _mm512_and_si512(_mm512_srlv_epi64(bloom, _mm512_and_si512(h, six_bits)),
                                       _mm512_srlv_epi64(bloom, _mm512_and_si512(_mm512_srli_epi64(h, 6), six_bits)));
        pass[r] = _mm512_mask_test_epi64_mask(_mm512_test_epi64_mask(allowed, _mm512_set1_epi64(1ll << r)), bit, one);
        any |= pass[r];
    }
    unsigned singles = _mm512_mask_test_epi64_mask(live, allowed, _mm512_set1_epi64(KTAG_FIRST_SINGLE));
    if (!(any | singles))
        return 0;
    return s_follow_up(pf, text, len, pos, pass, singles, out);
}

/*  The candidates of `mask` (bit j = position base + j) go into the batch
    pos[0, n), the rungs their bytes allow into `rungs`; a full batch is
    probed.  A candidate with fewer than 8 bytes of text after it stops the
    batching: `tail` gets its position (the rest is the scalar tail's). */
#define S_BATCH(probe, lanes)                                                   \
    while (mask) {                                                              \
        size_t p = base + (size_t) __builtin_ctzll(mask);                      \
        mask &= mask - 1;                                                       \
        if (p + 8 > len) {                                                      \
            tail = p;                                                           \
            break;                                                              \
        }                                                                       \
        pos[n++] = (uint32_t) p;                                                \
        rungs |= pf->first[text[p]];                                            \
        if (n == (lanes)) {                                                     \
            if (probe(pf, text, len, pos, n, rungs, out))                       \
                return KTAG_ERR_NOMEM;                                          \
            n = rungs = 0;                                                      \
        }                                                                       \
    }

__attribute__((target("avx2,bmi")))
int ktag_prefilter_scan_avx2(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, ktag_match_vec_t *out)
{
    const uint8_t *tables = pf->nibbles;
    const __m256i low_table = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) tables));
    const __m256i high_table = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) (tables + 16)));
    const __m256i bits = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) s_high_bits));
    const __m256i nibble = _mm256_set1_epi8(0x0F), index_mask = _mm256_set1_epi8((char) 0x8F);
    const __m256i flip = _mm256_set1_epi8((char) 0x80), zero = _mm256_setzero_si256();
    uint32_t pos[8];
    unsigned n = 0, rungs = 0;
    size_t tail = len, base = 0;
    for (; base + 32 <= len && tail == len; base += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *) (text + base));
        __m256i low = _mm256_shuffle_epi8(low_table, _mm256_and_si256(v, index_mask));
        __m256i high = _mm256_shuffle_epi8(high_table, _mm256_and_si256(_mm256_xor_si256(v, flip), index_mask));
        __m256i bit = _mm256_shuffle_epi8(bits, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
        __m256i hit = _mm256_and_si256(_mm256_or_si256(low, high), bit);
        uint64_t mask = ~(uint32_t) _mm256_movemask_epi8(_mm256_cmpeq_epi8(hit, zero));
        S_BATCH(s_probe4, 4)
    }
    if (n && s_probe4(pf, text, len, pos, n, rungs, out))
        return KTAG_ERR_NOMEM;
    return ktag_prefilter_scan_from(pf, text, len, tail < base ? tail : base, out);
}

__attribute__((target("avx512f,avx512bw,bmi")))
int ktag_prefilter_scan_avx512(const ktag_prefilter_t *pf, const uint8_t *text, size_t len,
                               ktag_match_vec_t *out)
{
    const uint8_t *tables = pf->nibbles;
    const __m512i low_table = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *) tables));
    const __m512i high_table = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *) (tables + 16)));
    const __m512i bits = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *) s_high_bits));
    const __m512i nibble = _mm512_set1_epi8(0x0F), index_mask = _mm512_set1_epi8((char) 0x8F);
    const __m512i flip = _mm512_set1_epi8((char) 0x80);
    uint32_t pos[8];
    unsigned n = 0, rungs = 0;
    size_t tail = len, base = 0;
    for (; base < len && tail == len; base += 64) {
        /*  The last block loads only the bytes of the text (masked lanes
            read as zero and never fault); zero starts no pattern. */
        __mmask64 valid = len - base >= 64 ? ~(__mmask64) 0 : ((__mmask64) 1 << (len - base)) - 1;
        __m512i v = _mm512_maskz_loadu_epi8(valid, text + base);
        __m512i low = _mm512_shuffle_epi8(low_table, _mm512_and_si512(v, index_mask));
        __m512i high = _mm512_shuffle_epi8(high_table, _mm512_and_si512(_mm512_xor_si512(v, flip), index_mask));
        __m512i bit = _mm512_shuffle_epi8(bits, _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble));
        uint64_t mask = _mm512_test_epi8_mask(_mm512_or_si512(low, high), bit) & valid;
        S_BATCH(s_probe8, 8)
    }
    if (n && s_probe8(pf, text, len, pos, n, rungs, out))
        return KTAG_ERR_NOMEM;
    return tail < len ? ktag_prefilter_scan_from(pf, text, len, tail, out) : 0;
}

bool ktag_cpu_has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi");
}

bool ktag_cpu_has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("bmi");
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
