/*  error.c - status strings, error records and the library's log hook. */
#include <stdio.h>
#include <string.h>

#include "ktag/ktag.h"
#include "util.h"

static ktag_log_fn *s_log_fn;
static void *s_log_user;
static ktag_log_level_t s_log_level = KTAG_LOG_DEBUG;

const char *ktag_strerror(int code)
{
    switch (code) {
    case KTAG_OK: return "success";
    case KTAG_ERR_IO: return "cannot read file";
    case KTAG_ERR_LEXICON: return "malformed lexicon";
    case KTAG_ERR_BAD_UTF8: return "invalid UTF-8";
    case KTAG_ERR_NOMEM: return "out of memory";
    case KTAG_ERR_UNICODE: return "Unicode normalization failed";
    case KTAG_ERR_INVALID: return "invalid argument";
    case KTAG_ERR_TOO_LARGE: return "input too large";
    default: return "unknown error";
    }
}

/*  Format into out[0, size), cut at a character boundary. */
static void s_format(char *out, size_t size, const char *format, va_list args)
{
    char line[1024 + 4];   /* the bytes after the cut tell where a character starts */
    int len = vsnprintf(line, sizeof line, format, args);
    size_t have = len < 0 ? 0 : (size_t) len < sizeof line ? (size_t) len : sizeof line - 1;
    size_t max = size - 1 < sizeof line - 4 ? size - 1 : sizeof line - 4;
    size_t kept = ktag_utf8_truncate(line, have, max);
    memcpy(out, line, kept);
    out[kept] = '\0';
}

int ktag_error_set(ktag_error_t *err, int code, const char *format, ...)
{
    if (err) {
        err->code = code;
        va_list args;
        va_start(args, format);
        s_format(err->message, sizeof err->message, format, args);
        va_end(args);
    }
    return code;
}

void ktag_set_log_handler(ktag_log_fn *fn, void *user)
{
    s_log_fn = fn;
    s_log_user = user;
}

void ktag_set_log_level(ktag_log_level_t level)
{
    s_log_level = level;
}

int ktag_log_enabled(ktag_log_level_t level)
{
    return s_log_fn != NULL && level <= s_log_level;
}

void ktag_log(ktag_log_level_t level, const char *format, ...)
{
    if (!ktag_log_enabled(level))
        return;
    char message[1024];
    va_list args;
    va_start(args, format);
    s_format(message, sizeof message, format, args);
    va_end(args);
    s_log_fn(s_log_user, level, message);
}

const char *ktag_version(void)
{
    return KTAG_VERSION;
}

const char *ktag_default_lexicon_dir(void)
{
    return KTAG_INSTALLED_LEXICONS;
}
