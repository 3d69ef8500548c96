/*  error.c - status strings, error records and the library's log hook. */
#include <stdio.h>

#include "ktag/ktag.h"
#include "util.h"

static ktag_log_fn *s_log_fn;
static void *s_log_user;

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

int ktag_error_set(ktag_error_t *err, int code, const char *format, ...)
{
    if (err) {
        err->code = code;
        va_list args;
        va_start(args, format);
        vsnprintf(err->message, sizeof err->message, format, args);
        va_end(args);
    }
    return code;
}

void ktag_set_log_handler(ktag_log_fn *fn, void *user)
{
    s_log_fn = fn;
    s_log_user = user;
}

int ktag_log_enabled(ktag_log_level_t level)
{
    (void) level;
    return s_log_fn != NULL;
}

void ktag_log(ktag_log_level_t level, const char *format, ...)
{
    if (!s_log_fn)
        return;
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
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
