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
        if (pf->first[b])
            pf->nibbles[(b >> 7) * 16 + (b & 15)] |= (uint8_t) (1u << ((b >> 4) & 7));
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>


static const uint8_t s_high_bits[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128 };

/*  Probe every candidate of `mask` (bit j = position base + j). */
static inline int s_candidates(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, size_t base,
                               uint64_t mask, ktag_match_vec_t *out)
{
    while (mask) {
        size_t i = base + (size_t) __builtin_ctzll(mask);
        mask &= mask - 1;
        if (ktag_prefilter_at(pf, text, len, i, ktag_load8(text, len, i), out))
            return KTAG_ERR_NOMEM;
    }
    return 0;
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
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *) (text + i));
        __m256i low = _mm256_shuffle_epi8(low_table, _mm256_and_si256(v, index_mask));
        __m256i high = _mm256_shuffle_epi8(high_table, _mm256_and_si256(_mm256_xor_si256(v, flip), index_mask));
        __m256i bit = _mm256_shuffle_epi8(bits, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
        __m256i hit = _mm256_and_si256(_mm256_or_si256(low, high), bit);
        uint32_t mask = ~(uint32_t) _mm256_movemask_epi8(_mm256_cmpeq_epi8(hit, zero));
        if (mask && s_candidates(pf, text, len, i, mask, out))
            return KTAG_ERR_NOMEM;
    }
    return ktag_prefilter_scan_from(pf, text, len, i, out);
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
    for (size_t i = 0; i < len; i += 64) {
        /*  The last block loads only the bytes of the text (masked lanes
            read as zero and never fault); zero starts no pattern. */
        __mmask64 valid = len - i >= 64 ? ~(__mmask64) 0 : ((__mmask64) 1 << (len - i)) - 1;
        __m512i v = _mm512_maskz_loadu_epi8(valid, text + i);
        __m512i low = _mm512_shuffle_epi8(low_table, _mm512_and_si512(v, index_mask));
        __m512i high = _mm512_shuffle_epi8(high_table, _mm512_and_si512(_mm512_xor_si512(v, flip), index_mask));
        __m512i bit = _mm512_shuffle_epi8(bits, _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble));
        uint64_t mask = _mm512_test_epi8_mask(_mm512_or_si512(low, high), bit) & valid;
        if (mask && s_candidates(pf, text, len, i, mask, out))
            return KTAG_ERR_NOMEM;
    }
    return 0;
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
