/*  util.h - (internal) logging, error filling and growable arrays shared by
    the modules of libktag. */
#ifndef KTAG_UTIL_H_INCLUDED
#define KTAG_UTIL_H_INCLUDED

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

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

/** Make room for `needed` elements of `size` bytes in *array (capacity in
 *  *capacity), growing geometrically.  @returns 0 or KTAG_ERR_NOMEM, leaving
 *  the array untouched on failure. */
static inline int ktag_reserve(void **array, size_t *capacity, size_t needed, size_t size)
{
    if (needed <= *capacity)
        return 0;
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

#define KTAG_RESERVE(array, capacity, needed) \
    ktag_reserve((void **) &(array), &(capacity), (needed), sizeof *(array))

#endif
