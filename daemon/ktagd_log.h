/*  ktagd_log.h - ktagd's log: one line per event on stderr, with a level.

    Lines look like `2026-11-29T18:40:00.123Z info ktagd: listening on ...`.
    Under systemd (JOURNAL_STREAM set) the timestamp is left out, since the
    journal stamps every line itself.  The macros check the level before
    evaluating their arguments, so a debug line costs one comparison when
    debug is off.  Thread-safe: each line is written with one write(2).
*/
#ifndef KTAGD_LOG_H_INCLUDED
#define KTAGD_LOG_H_INCLUDED

#include <ktag/ktag.h>

/** The current threshold; lines above it are not written. */
extern int ktagd_log_threshold;

/** Parse "error", "warning", "info" or "debug".  @returns 0 and sets
 *  *level, or -1 for an unknown name. */
int ktagd_log_level_from_name(const char *name, int *level);

/** @returns the name of a ktag_log_level_t. */
const char *ktagd_log_level_name(int level);

/** Set the threshold and decide about timestamps (see above). */
void ktagd_log_init(int level);

/** Write one line at `level`, printf-style.  Newlines in the formatted
 *  message are replaced by spaces so one event stays one line. */
void ktagd_log_write(int level, const char *format, ...) __attribute__((format(printf, 2, 3)));

/** A ktag_log_fn that forwards libktag's messages to the daemon log. */
void ktagd_log_lib(void *user, ktag_log_level_t level, const char *message);

#define KTAGD_LOG(level, ...) \
    do { if ((level) <= ktagd_log_threshold) ktagd_log_write((level), __VA_ARGS__); } while (0)
#define log_error(...) KTAGD_LOG(KTAG_LOG_ERROR, __VA_ARGS__)
#define log_warning(...) KTAGD_LOG(KTAG_LOG_WARNING, __VA_ARGS__)
#define log_info(...) KTAGD_LOG(KTAG_LOG_INFO, __VA_ARGS__)
#define log_debug(...) KTAGD_LOG(KTAG_LOG_DEBUG, __VA_ARGS__)

#endif
