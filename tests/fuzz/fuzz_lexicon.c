/*  fuzz_lexicon.c - libFuzzer target: the lexicon loader and checker on
    arbitrary files.

    The input is cut at NUL bytes into up to four parts, written as
    a.tsv, b.tsv, c.tsv and VERSION in a private directory (a lexicon set
    is a directory, and several files exercise the cross-file rules:
    an alias naming two ids, rows that continue an id, merged attributes).
    Then:
      - ktag_lexicon_check() must return a count >= 0 and hand over
        well-formed problems;
      - ktag_lexicon_open() either fails with a message, or yields a lexicon
        that tags a fixed headline and the input's own text without breaking
        the result invariants (fuzz_common.h);
      - a set that open() refuses must get at least one problem from
        check(): `ktag lexicon check` may never call a broken set clean.
*/
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

static char s_dir[256];
static const char *s_names[] = { "a.tsv", "b.tsv", "c.tsv", "VERSION" };
#define S_PARTS (sizeof s_names / sizeof s_names[0])
static ktag_result_t *s_result;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_cleanup(void)
{
    char path[512];
    for (size_t i = 0; i < S_PARTS; i++) {
        snprintf(path, sizeof path, "%s/%s", s_dir, s_names[i]);
        unlink(path);
    }
    rmdir(s_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* tmpfs when there is one: a file write per execution. */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(s_dir, sizeof s_dir, "%s/ktag-fuzz-lexicon-XXXXXX", base);
    FUZZ_ASSERT(mkdtemp(s_dir) != NULL);
    atexit(s_cleanup);
    s_result = ktag_result_new();
    FUZZ_ASSERT(s_result);
    return 0;
}

static void
s_write(const char *name, const uint8_t *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_ASSERT(fd >= 0);
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        FUZZ_ASSERT(n > 0);
        data += n;
        len -= (size_t) n;
    }
    close(fd);
}

static void
s_problem(void *user, const char *file, int line, const char *message)
{
    int *count = user;
    FUZZ_ASSERT(message && *message);
    FUZZ_ASSERT(line >= 0);
    if (file) {
        int known = 0;
        for (size_t i = 0; i < S_PARTS; i++)
            known |= strcmp(file, s_names[i]) == 0;
        FUZZ_ASSERT(known);
    }
    (*count)++;
}

static void
s_tag(ktag_lexicon_t *lexicon, const char *text, size_t len)
{
    ktag_options_t options;
    ktag_options_init(&options);
    options.explain = true;
    ktag_error_t err;
    memset(&err, 0, sizeof err);
    int rc = ktag_tag(s_result, lexicon, text, len, NULL, 0, &options, &err);
    fuzz_check_result(s_result, rc, &err, text, len, NULL, 0, &options);
    options.overlaps = true;
    options.offsets = KTAG_OFFSETS_UTF16;
    rc = ktag_tag(s_result, lexicon, text, len, NULL, 0, &options, &err);
    fuzz_check_result(s_result, rc, &err, text, len, NULL, 0, &options);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *part = data, *end = data + size;
    size_t parts = 0;
    while (parts < S_PARTS) {
        const uint8_t *nul = part < end ? memchr(part, '\0', (size_t) (end - part)) : NULL;
        const uint8_t *stop = (nul && parts + 1 < S_PARTS) ? nul : end;
        s_write(s_names[parts++], part, (size_t) (stop - part));
        if (stop == end)
            break;
        part = stop + 1;
    }
    /* Files of the previous input that this one does not have. */
    for (size_t i = parts; i < S_PARTS; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", s_dir, s_names[i]);
        unlink(path);
    }

    int problems = 0;
    int rc = ktag_lexicon_check(s_dir, s_problem, &problems);
    FUZZ_ASSERT(rc >= 0);
    FUZZ_ASSERT(rc == problems);

    ktag_error_t err;
    memset(&err, 0, sizeof err);
    ktag_lexicon_t *lexicon = ktag_lexicon_open(s_dir, &err);
    if (!lexicon) {
        FUZZ_ASSERT(err.code < 0 && err.message[0] != '\0');
        FUZZ_ASSERT(err.code != KTAG_ERR_NOMEM);
        FUZZ_ASSERT(problems > 0);
        return 0;
    }
    FUZZ_ASSERT(ktag_lexicon_version(lexicon) && ktag_lexicon_dir(lexicon));
    static const char headline[] = "SK하이닉스가 HBM3E 공급 계약… 삼성전자 주가 9% 급등, CB 발행";
    s_tag(lexicon, headline, sizeof headline - 1);
    s_tag(lexicon, (const char *) data, size);
    ktag_lexicon_destroy(&lexicon);
    FUZZ_ASSERT(lexicon == NULL);
    return 0;
}
