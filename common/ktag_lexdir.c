/*  ktag_lexdir.c - lexicon directory resolution shared by ktag and ktagd. */
#include "ktag_lexdir.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ktag/ktag.h>

#ifndef KTAG_BUILD_ROOT
#error "KTAG_BUILD_ROOT must be defined by the build (common/meson.build)"
#endif
#ifndef KTAG_SOURCE_LEXICONS
#error "KTAG_SOURCE_LEXICONS must be defined by the build (common/meson.build)"
#endif

int
ktag_lexdir_in_build_tree(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    /* Compare canonical paths: the build root may itself be reached through
     * a symlink, while /proc/self/exe is always resolved. */
    char root[PATH_MAX];
    const char *r = realpath(KTAG_BUILD_ROOT, root) ? root : KTAG_BUILD_ROOT;
    size_t len = strlen(r);
    return strncmp(exe, r, len) == 0 && exe[len] == '/';
}

static int
s_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

typedef enum { S_FLAG, S_ENV, S_BUILD, S_INSTALLED } s_origin_t;

/* The default set: the build tree's lexicons, else the installed ones. */
static s_origin_t
s_resolve_default(const char **dir)
{
    if (ktag_lexdir_in_build_tree() && s_is_dir(KTAG_SOURCE_LEXICONS)) {
        *dir = KTAG_SOURCE_LEXICONS;
        return S_BUILD;
    }
    *dir = ktag_default_lexicon_dir();
    return S_INSTALLED;
}

static s_origin_t
s_resolve(const char *flag, const char **dir)
{
    if (flag && *flag) {
        *dir = flag;
        return S_FLAG;
    }
    const char *env = getenv("KTAG_LEXICONS");
    if (env && *env) {
        *dir = env;
        return S_ENV;
    }
    return s_resolve_default(dir);
}

const char *
ktag_lexdir_origin(const char *flag)
{
    static const char *const names[] = {"flag", "env", "build-tree", "installed"};
    const char *dir;
    return names[s_resolve(flag, &dir)];
}

static const char *
s_default_dir(void)
{
    const char *dir;
    s_resolve_default(&dir);
    return dir;
}

size_t
ktag_lexdir_resolve_many(const char *const *flags, size_t nflags, const char **dirs)
{
    if (nflags > KTAG_LEXDIR_MAX)
        return 0;
    if (nflags > 0) {
        for (size_t i = 0; i < nflags; i++)
            dirs[i] = *flags[i] ? flags[i] : s_default_dir();
        return nflags;
    }
    const char *env = getenv("KTAG_LEXICONS");
    if (!env || !*env) {
        dirs[0] = s_default_dir();
        return 1;
    }
    /* $KTAG_LEXICONS as found at the first call, split on ':' in place and
       kept until exit: the directories point into it. */
    static char *split;
    static size_t split_len;
    if (!split) {
        split_len = strlen(env);
        if (!(split = strdup(env)))
            return 0;
        for (char *p = split; (p = strchr(p, ':'));)
            *p++ = '\0';
    }
    size_t n = 0;
    for (const char *part = split; part <= split + split_len; part += strlen(part) + 1) {
        if (n == KTAG_LEXDIR_MAX)
            return 0;
        dirs[n++] = *part ? part : s_default_dir();
    }
    return n;
}
