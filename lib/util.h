/*  util.h - (internal) logging, error filling and growable arrays shared by
    the modules of libktag. */
#ifndef KTAG_UTIL_H_INCLUDED
#define KTAG_UTIL_H_INCLUDED

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ktag/ktag_error.h"

/** Fill `err` (if not NULL) with `code` and a printf-style message.
 *  @returns `code`, so callers can `return ktag_error_set(...)`. */
int ktag_error_set(ktag_error_t *err, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/** True when a log handler is set and wants `level`: lets callers skip
 *  formatting messages nobody reads. */
int ktag_log_enabled(ktag_log_level_t level);

/** Log a printf-style message at `level` through the handler, if any. */
void ktag_log(ktag_log_level_t level, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#define KTAG_LOG(level, ...)                \
    do {                                    \
        if (ktag_log_enabled(level))        \
            ktag_log(level, __VA_ARGS__);   \
    } while (0)

/*  The growth of ktag_reserve(), out of line and cold: the inline part is a
    compare, so that the hot loops that append stay small. */
__attribute__((noinline, cold, unused)) static int ktag_grow(void **array, size_t *capacity, size_t needed,
                                                                size_t size)
{
    if (needed > SIZE_MAX / 2 / size)
        return KTAG_ERR_NOMEM;
    size_t grown = *capacity ? *capacity : 16;
    while (grown < needed)
        grown *= 2;
    void *larger = realloc(*array, grown * size);
    if (!larger)
        return KTAG_ERR_NOMEM;
    *array = larger;
    *capacity = grown;
    return 0;
}

/** Make room for `needed` elements of `size` (> 0) bytes in *array
 *  (capacity in *capacity), growing geometrically.  @returns 0 or
 *  KTAG_ERR_NOMEM (also when the byte count would overflow), leaving the
 *  array untouched on failure. */
static inline int ktag_reserve(void **array, size_t *capacity, size_t needed, size_t size)
{
    if (__builtin_expect(needed <= *capacity, 1))
        return 0;
    return ktag_grow(array, capacity, needed, size);
}

#define KTAG_RESERVE(array, capacity, needed) \
    ktag_reserve((void **) &(array), &(capacity), (needed), sizeof *(array))

/** Sort like qsort, but do nothing for items already in order (the usual
 *  case: the stages produce sorted lists) and use insertion sort without
 *  qsort's call overhead for the handful of items of a headline.  Items are
 *  at most 32 bytes. */
static inline void ktag_sort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *))
{
    char *items = base;
    size_t i = 1;
    while (i < count && compare(items + (i - 1) * size, items + i * size) <= 0)
        i++;
    if (i >= count)
        return;
    if (count > 24) {
        qsort(base, count, size, compare);
        return;
    }
    char tmp[32];
    for (; i < count; i++) {
        memcpy(tmp, items + i * size, size);
        size_t j = i;
        for (; j > 0 && compare(items + (j - 1) * size, tmp) > 0; j--)
            memcpy(items + j * size, items + (j - 1) * size, size);
        memcpy(items + j * size, tmp, size);
    }
}

/** FNV-1a, the hash of the lexicon's id table and files and of the guess
 *  stage's names: continue `hash` over `len` bytes (start from
 *  KTAG_FNV1A_START), so a prefix's hash extends byte by byte. */
#define KTAG_FNV1A_START 2166136261u
static inline uint32_t ktag_fnv1a(uint32_t hash, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        hash ^= p[i];
        hash *= 16777619u;
    }
    return hash;
}

/** In items [from, to) of a list sorted by start whose items of `size`
 *  bytes each begin with their `uint32_t start` (spans, term hits,
 *  mentions, contributions): @returns the index of the first item starting
 *  at `at` or after, or `to`.  A bisection, so that a walk from each of
 *  many positions stays linear overall.  `items` may be NULL when the
 *  range is empty. */
static inline size_t ktag_first_starting_at(const void *items, size_t from, size_t to, size_t size, uint32_t at)
{
    const char *base = items;
    size_t lo = from, hi = to;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t start;
        memcpy(&start, base + mid * size, sizeof start);
        if (start < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/** Explanation lines and messages are cut to this many bytes. */
#define KTAG_EXPLAIN_MAX 511

/** The length to keep of UTF-8 text[0, len) so that it is at most `max`
 *  bytes and does not end inside a character: `len` when it fits, else
 *  `max` moved back over at most 3 continuation bytes to the start of the
 *  character it would cut (ill-formed text may still be cut at a byte).
 *  text[max] must be readable.  Can't fail. */
static inline size_t ktag_utf8_truncate(const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    /*  Back over at most 3 continuation bytes to the lead byte of the
        character that text[cut] belongs to. */
    for (size_t back = 0; back < 3 && cut > 0 && ((unsigned char) text[cut] & 0xC0) == 0x80; back++)
        cut--;
    return cut;
}

#endif
