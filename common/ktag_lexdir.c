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
    if (ktag_lexdir_in_build_tree() && s_is_dir(KTAG_SOURCE_LEXICONS)) {
        *dir = KTAG_SOURCE_LEXICONS;
        return S_BUILD;
    }
    *dir = ktag_default_lexicon_dir();
    return S_INSTALLED;
}

const char *
ktag_lexdir_resolve(const char *flag)
{
    const char *dir;
    s_resolve(flag, &dir);
    return dir;
}

const char *
ktag_lexdir_origin(const char *flag)
{
    static const char *const names[] = {"flag", "env", "build-tree", "installed"};
    const char *dir;
    return names[s_resolve(flag, &dir)];
}
