/*  replay_main.c - runs a fuzz target without libFuzzer, for `meson test`.

    Every build (gcc, clang, the ASan+UBSan one) replays the seed corpora
    and the regression inputs (every crash a fuzz run ever found) through
    the same LLVMFuzzerTestOneInput the fuzzer calls, so a fixed bug stays
    fixed without needing clang.  Arguments are files or directories (read
    one level deep, in name order); an input that breaks an invariant aborts.
    Exit 0 when all inputs ran, 1 when an argument cannot be read, 77 (skip)
    when there was no input at all.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int s_inputs;

static int
s_run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    /* Exactly `len` bytes, so that ASan catches a read one past the end. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    s_inputs++;
    return 0;
}

static int
s_by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int
s_run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return s_run_file(path);
    struct dirent **names;
    int count = scandir(path, &names, NULL, s_by_name);
    if (count < 0) {
        perror(path);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < count; i++) {
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, names[i]->d_name);
        struct stat cst;
        if (names[i]->d_name[0] != '.' && stat(child, &cst) == 0 && S_ISREG(cst.st_mode)
            && s_run_file(child) != 0)
            rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int
main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (s_run_path(argv[i]) != 0)
            rc = 1;
    printf("%s: %d inputs replayed%s\n", argv[0], s_inputs, rc ? ", some unreadable" : "");
    if (rc)
        return 1;
    return s_inputs ? 0 : 77;
}
