/*  ktag_error.h - status codes, the error record, and the library's log hook.

    Every libktag function that can fail returns 0 or a negative
    ktag_status_t, and fills an optional ktag_error_t that says where and
    what: "companies.tsv:12: alias '대상' also names 001680".  The library
    never prints; it reports through the log handler set here.
*/
#ifndef KTAG_ERROR_H_INCLUDED
#define KTAG_ERROR_H_INCLUDED

#include <stddef.h>

#include "ktag_export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    KTAG_OK = 0,
    KTAG_ERR_IO = -1,          /**< a file could not be opened or read */
    KTAG_ERR_LEXICON = -2,     /**< a lexicon file is malformed */
    KTAG_ERR_BAD_UTF8 = -3,    /**< input is not valid UTF-8 */
    KTAG_ERR_NOMEM = -4,       /**< out of memory */
    KTAG_ERR_UNICODE = -5,     /**< ICU failed (normalizer unavailable) */
    KTAG_ERR_INVALID = -6,     /**< an argument or option is invalid */
    KTAG_ERR_TOO_LARGE = -7,   /**< input exceeds what the engine accepts */
} ktag_status_t;

/** Where an error happened and what it was.  Filled by functions that take
 *  a `ktag_error_t *err` argument when they fail; NULL is accepted and means
 *  "don't tell me". */
typedef struct {
    int code;           /**< a ktag_status_t */
    size_t offset;      /**< KTAG_ERR_BAD_UTF8: byte offset of the bad byte */
    char message[512];  /**< human-readable, names file:line or byte offset */
} ktag_error_t;

/** @returns a static description of a status code; never NULL. */
KTAG_EXPORT const char *ktag_strerror(int code);

typedef enum {
    KTAG_LOG_ERROR = 0,
    KTAG_LOG_WARNING = 1,
    KTAG_LOG_INFO = 2,
    KTAG_LOG_DEBUG = 3,
} ktag_log_level_t;

typedef void (ktag_log_fn)(void *user, ktag_log_level_t level, const char *message);

/** Route the library's log messages (lexicon warnings, load times) to `fn`.
 *  NULL silences them (the default).  Not thread-safe: set it once at
 *  start-up, before loading lexicons. */
KTAG_EXPORT void ktag_set_log_handler(ktag_log_fn *fn, void *user);

/** Pass only messages at `level` or more severe to the handler (the
 *  default: KTAG_LOG_DEBUG, all of them); the others are not even
 *  formatted.  Not thread-safe, like ktag_set_log_handler(). */
KTAG_EXPORT void ktag_set_log_level(ktag_log_level_t level);

#ifdef __cplusplus
}
#endif

#endif
