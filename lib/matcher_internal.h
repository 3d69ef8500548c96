/*  matcher_internal.h - (internal) the compiled prefilter that matcher.c
    builds and scans portably, and matcher_simd.c scans with AVX2 or
    AVX-512.

    Each pattern is keyed on its first k bytes, k the longest rung of the
    ladder 2, 3, 4, 6, 8 that fits it (1-byte patterns sit in a table by
    byte).  The scan looks at the positions whose byte can start a pattern
    (`first`), and for each rung that byte allows, hashes the k bytes there
    into a blocked Bloom filter (two bits in one 32-bit word); a key that
    passes is looked up exactly, and each pattern of that key is verified
    to its end.  A pattern's rung bounds its length (2, 3: exactly; 4: 4-5;
    6: 6-7; 8: 8 and more), so trying the rungs longest first and each
    key's patterns longest first reports a position's matches longest
    first, as the interface wants, with no sort.
*/
#ifndef KTAG_MATCHER_INTERNAL_H_INCLUDED
#define KTAG_MATCHER_INTERNAL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "matcher.h"
#include "util.h"

/** Rungs of the key ladder, longest first; bit r of `first` is rung r. */
#define KTAG_RUNGS 5
static const uint8_t ktag_rung_len[KTAG_RUNGS] = { 8, 6, 4, 3, 2 };
#define KTAG_FIRST_SINGLE (1u << KTAG_RUNGS)   /**< a 1-byte pattern is this byte */

typedef struct {
    uint64_t key;       /**< the k first bytes, little-endian, zero above */
    uint32_t begin;     /**< first pattern of the key in `pats` */
    uint32_t info;      /**< patterns << 4 | KTAG_SLOT_EXACT | rung; 0 = empty */
} ktag_slot_t;
#define KTAG_SLOT_RUNG(slot) ((slot)->info & 7u)
/** The key is the one pattern of the slot, whose id is `begin`. */
#define KTAG_SLOT_EXACT 8u

typedef struct {
    uint64_t next;      /**< its 8 bytes after the key, zero past its end */
    uint32_t id;
    uint32_t len;
    uint32_t offset;    /**< of its (folded) bytes in `blob` */
} ktag_pat_t;

typedef struct {
    uint8_t first[256];     /**< rung bits (and KTAG_FIRST_SINGLE) a byte allows */
    uint8_t nibbles[32];    /**< the set of first bytes, for the SIMD test (matcher_simd.c) */
    uint32_t first32[256];  /**< `first` widened, for the SIMD gathers */
    int32_t single[256];    /**< the 1-byte pattern that is this byte, or -1 */
    uint32_t *bloom;
    uint32_t bloom_shift;   /**< 32 - log2(words) */
    ktag_slot_t *slots;
    uint32_t slot_mask;
    ktag_pat_t *pats;
    size_t pat_count;
    char *blob;             /**< folded pattern bytes, 8 zero bytes after */
    size_t blob_len;
    bool ready;             /**< built */
} ktag_prefilter_t;

/** ASCII capitals to small letters, eight bytes at once (others kept). */
static inline uint64_t ktag_fold8(uint64_t x)
{
    const uint64_t high = 0x8080808080808080ull, ones = 0x0101010101010101ull;
    uint64_t low7 = x & ~high;
    uint64_t at_least_a = low7 + ones * (0x80 - 'A');
    uint64_t above_z = low7 + ones * (0x80 - 'Z' - 1);
    return x | (((at_least_a & ~above_z & ~x) & high) >> 2);
}

/** The 8 bytes at text[i] as a little-endian word, zeros past `len`. */
static inline uint64_t ktag_load8(const uint8_t *text, size_t len, size_t i)
{
    uint64_t word = 0;
    if (len - i >= 8)
        memcpy(&word, text + i, 8);
    else
        memcpy(&word, text + i, len - i);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    return word;
}

static const uint64_t ktag_rung_masks[KTAG_RUNGS] = {
    ~0ull, 0xFFFFFFFFFFFFull, 0xFFFFFFFFull, 0xFFFFFFull, 0xFFFFull,
};

/** Per-rung salts: the same bytes under two rungs hash apart. */
static const uint32_t ktag_rung_salts[KTAG_RUNGS] = {
    0x5BD1E995u, 0xCC9E2D51u, 0x1B873593u, 0xE6546B64u, 0x85EBCA6Bu,
};
#define KTAG_HASH_MULTIPLIER 0x9E3779B1u
#define KTAG_HASH_MIX 0x85EBCA6Bu

/** The hash of a key: its halves xored with the rung's salt, then two
 *  32-bit multiply-xorshift rounds.  Only 32-bit lane operations, so the
 *  AVX-512 path computes the very same value 16 lanes at a time. */
static inline uint32_t ktag_key_hash(uint64_t key, unsigned rung)
{
    uint32_t h = ((uint32_t) key ^ (uint32_t) (key >> 32) ^ ktag_rung_salts[rung]) * KTAG_HASH_MULTIPLIER;
    h = (h ^ (h >> 16)) * KTAG_HASH_MIX;
    return h ^ (h >> 13);
}

/** 1 when the Bloom filter may hold the key of hash `h`: two bits of one
 *  32-bit word, so one load. */
static inline unsigned ktag_bloom_test(const ktag_prefilter_t *pf, uint32_t h)
{
    uint32_t word = pf->bloom[h >> pf->bloom_shift];
    return (word >> (h & 31)) & (word >> ((h >> 5) & 31)) & 1;
}

/** Append the matches of the patterns keyed (rung, key) that start at
 *  text[i], longest first.  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_prefilter_verify(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, size_t i, uint64_t key,
                          unsigned rung, uint32_t h, ktag_match_vec_t *out);

/** Append the 1-byte pattern at text[i].  @returns 0 or KTAG_ERR_NOMEM. */
int ktag_prefilter_single(const ktag_prefilter_t *pf, const uint8_t *text, size_t i, ktag_match_vec_t *out);

/** Everything that starts at text[i], in order, given the 8 bytes there
 *  (ktag_load8), ASCII-folded here.  The rungs the byte allows are probed
 *  first, all of them (independent loads the CPU overlaps); one branch then
 *  skips the position, as it does nearly always.  @returns 0 or
 *  KTAG_ERR_NOMEM. */
static inline int ktag_prefilter_at(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, size_t i,
                                    uint64_t word, ktag_match_vec_t *out)
{
    unsigned allowed = pf->first[text[i]], pass = 0;
    word = ktag_fold8(word);
    for (unsigned rung = 0; rung < KTAG_RUNGS; rung++)
        if (allowed & (1u << rung))
            pass |= ktag_bloom_test(pf, ktag_key_hash(word & ktag_rung_masks[rung], rung)) << rung;
    if (__builtin_expect(!(pass | (allowed & KTAG_FIRST_SINGLE)), 1))
        return 0;
    for (; pass; pass &= pass - 1) {
        unsigned rung = (unsigned) __builtin_ctz(pass);
        uint64_t key = word & ktag_rung_masks[rung];
        if (ktag_prefilter_verify(pf, text, len, i, key, rung, ktag_key_hash(key, rung), out))
            return KTAG_ERR_NOMEM;
    }
    return allowed & KTAG_FIRST_SINGLE ? ktag_prefilter_single(pf, text, i, out) : 0;
}

/** ktag_prefilter_at for every position from `from` on whose byte can
 *  start a pattern: the portable scan, and the tail of the AVX2 one.
 *  @returns 0 or KTAG_ERR_NOMEM. */
static inline int ktag_prefilter_scan_from(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, size_t from,
                                           ktag_match_vec_t *out)
{
    for (size_t i = from; i < len; i++)
        if (pf->first[text[i]] && ktag_prefilter_at(pf, text, len, i, ktag_load8(text, len, i), out))
            return KTAG_ERR_NOMEM;
    return 0;
}

/** The SIMD scans (matcher_simd.c); same output as the portable one.
 *  Call only when the CPU has the instructions. */
int ktag_prefilter_scan_avx2(const ktag_prefilter_t *pf, const uint8_t *text, size_t len, ktag_match_vec_t *out);
int ktag_prefilter_scan_avx512(const ktag_prefilter_t *pf, const uint8_t *text, size_t len,
                               ktag_match_vec_t *out);
/** Fill `nibbles` and `first32` from `first`. */
void ktag_prefilter_nibbles(ktag_prefilter_t *pf);
bool ktag_cpu_has_avx2(void);
bool ktag_cpu_has_avx512(void);

#endif
