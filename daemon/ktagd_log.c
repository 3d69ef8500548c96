/*  ktagd_log.c - leveled one-line logging to stderr (see ktagd_log.h). */
#include "ktagd_log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int ktagd_log_threshold = KTAG_LOG_INFO;
static bool s_timestamps = true;

static const char *s_names[] = { "error", "warning", "info", "debug" };

int
ktagd_log_level_from_name(const char *name, int *level)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, s_names[i]) == 0) {
            *level = i;
            return 0;
        }
    if (strcmp(name, "warn") == 0) {
        *level = KTAG_LOG_WARNING;
        return 0;
    }
    return -1;
}

const char *
ktagd_log_level_name(int level)
{
    return level >= 0 && level < 4 ? s_names[level] : "debug";
}

void
ktagd_log_init(int level)
{
    ktagd_log_threshold = level;
    const char *journal = getenv("JOURNAL_STREAM");
    s_timestamps = !(journal && *journal);
}

void
ktagd_log_write(int level, const char *format, ...)
{
    char line[2048];
    size_t n = 0;
    if (s_timestamps) {
        struct timeval tv;
        struct tm tm;
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
        n += snprintf(line + n, sizeof line - n, ".%03ldZ ", (long) (tv.tv_usec / 1000));
    }
    n += snprintf(line + n, sizeof line - n, "%s ktagd: ", ktagd_log_level_name(level));
    size_t start = n;
    va_list ap;
    va_start(ap, format);
    int m = vsnprintf(line + n, sizeof line - n - 1, format, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += (size_t) m < sizeof line - n - 1 ? (size_t) m : sizeof line - n - 2;
    for (size_t i = start; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    /* One write per line keeps lines from different threads whole. */
    ssize_t w = write(STDERR_FILENO, line, n);
    (void) w;
}

void
ktagd_log_lib(void *user, ktag_log_level_t level, const char *message)
{
    KTAGD_LOG((int) level, "libktag: %s", message);
}
