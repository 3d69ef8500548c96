/*  vs_bench.c - the Vectorscan peer: scan the lexicon's surface forms over
    a corpus in block mode, one hs_scan() per document, on one thread.

    The patterns are the very surface forms ktag matches, taken from the
    lexicon through ktag_lexicon_surfaces() (NFKC + case-folded UTF-8), or
    from a file with one pattern per line.  They are compiled as literals
    with hs_compile_lit_multi() and HS_FLAG_CASELESS only: Vectorscan then
    reports every end of every occurrence of every pattern, overlapping ones
    included, which is at least as much matching work as ktag's candidates.
    No HS_FLAG_SOM_LEFTMOST: the start of a literal match is its end minus
    the pattern's length, so asking for it would only slow the peer down.
    HS_FLAG_CASELESS folds ASCII only; ktag also folds full-width forms and
    the rest of Unicode, which is extra work on ktag's side.

    Prints one JSON object on stdout (see bench/README.md).
*/
#include <getopt.h>
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ktag/ktag.h>

#include "bench_util.h"

typedef struct {
    char **items;
    size_t *lens;
    size_t count, cap;
} s_patterns_t;

static int
s_patterns_add(s_patterns_t *self, const char *s, size_t len)
{
    if (len == 0)
        return 0;       /* an empty pattern would match everywhere */
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 1024;
        char **items = realloc(self->items, cap * sizeof *items);
        size_t *lens = items ? realloc(self->lens, cap * sizeof *lens) : NULL;
        if (items)
            self->items = items;
        if (!items || !lens)
            return -1;
        self->lens = lens;
        self->cap = cap;
    }
    self->items[self->count] = strndup(s, len);
    if (!self->items[self->count])
        return -1;
    self->lens[self->count++] = len;
    return 0;
}

static void
s_on_surface(void *user, const char *surface, size_t len, ktag_type_t type, const char *id)
{
    if (s_patterns_add(user, surface, len) != 0) {
        fprintf(stderr, "vs_bench: out of memory\n");
        exit(1);
    }
}

static int
s_patterns_from_lexicon(s_patterns_t *self, const char *dir)
{
    ktag_error_t err;
    ktag_lexicon_t *lex = ktag_lexicon_open(dir, &err);
    if (!lex) {
        fprintf(stderr, "vs_bench: %s: %s\n", dir, err.message);
        return -1;
    }
    ktag_lexicon_surfaces(lex, s_on_surface, self);
    ktag_lexicon_destroy(&lex);
    return 0;
}

static int
s_patterns_from_file(s_patterns_t *self, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "vs_bench: cannot open %s\n", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        rc = s_patterns_add(self, line, (size_t) n);
    }
    free(line);
    fclose(f);
    return rc;
}

static int
s_patterns_write(const s_patterns_t *self, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "vs_bench: cannot write %s\n", path);
        return -1;
    }
    for (size_t i = 0; i < self->count; i++) {
        /* rg/grep -f and Python read one pattern per line */
        if (!memchr(self->items[i], '\n', self->lens[i]))
            fprintf(f, "%s\n", self->items[i]);
    }
    return fclose(f) == 0 ? 0 : -1;
}

static int
s_on_match(unsigned int id, unsigned long long from, unsigned long long to,
           unsigned int flags, void *context)
{
    (*(unsigned long long *) context)++;
    return 0;
}

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: vs_bench (-L LEXDIR | -p PATTERNS) [-w OUT] [-r REPS] [-n DOCS] CORPUS\n"
        "  -L, --lexicons DIR   take the surface forms from this ktag lexicon set\n"
        "  -p, --patterns FILE  or from FILE, one literal per line\n"
        "  -w, --write FILE     also write the patterns there (for rg, grep, pyahocorasick)\n"
        "  -r, --reps N         timed passes over the corpus (default 5); prints the median\n"
        "  -n, --docs N         use only the first N documents\n"
        "CORPUS holds one document per line.\n");
}

int
main(int argc, char **argv)
{
    const char *lexdir = NULL, *pattern_file = NULL, *write_file = NULL;
    int reps = 5;
    size_t limit = 0;
    static const struct option longopts[] = {
        {"lexicons", required_argument, NULL, 'L'},
        {"patterns", required_argument, NULL, 'p'},
        {"write", required_argument, NULL, 'w'},
        {"reps", required_argument, NULL, 'r'},
        {"docs", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "L:p:w:r:n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'L': lexdir = optarg; break;
        case 'p': pattern_file = optarg; break;
        case 'w': write_file = optarg; break;
        case 'r': reps = atoi(optarg); break;
        case 'n': limit = strtoul(optarg, NULL, 10); break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || (!lexdir == !pattern_file) || reps < 1) {
        s_usage(stderr);
        return 2;
    }

    s_patterns_t pats = {0};
    if ((lexdir ? s_patterns_from_lexicon(&pats, lexdir)
                : s_patterns_from_file(&pats, pattern_file)) != 0)
        return 1;
    if (pats.count == 0) {
        fprintf(stderr, "vs_bench: no patterns\n");
        return 1;
    }
    if (write_file && s_patterns_write(&pats, write_file) != 0)
        return 1;

    unsigned *flags = malloc(pats.count * sizeof *flags);
    unsigned *ids = malloc(pats.count * sizeof *ids);
    if (!flags || !ids)
        return 1;
    for (size_t i = 0; i < pats.count; i++) {
        flags[i] = HS_FLAG_CASELESS;
        ids[i] = (unsigned) i;
    }
    hs_database_t *db = NULL;
    hs_compile_error_t *cerr = NULL;
    double t0 = bench_now();
    if (hs_compile_lit_multi((const char *const *) pats.items, flags, ids, pats.lens,
                             (unsigned) pats.count, HS_MODE_BLOCK, NULL, &db, &cerr)
        != HS_SUCCESS) {
        fprintf(stderr, "vs_bench: hs_compile_lit_multi: pattern %d: %s\n",
                cerr->expression, cerr->message);
        hs_free_compile_error(cerr);
        return 1;
    }
    double compile_ms = (bench_now() - t0) * 1e3;
    hs_scratch_t *scratch = NULL;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
        fprintf(stderr, "vs_bench: hs_alloc_scratch failed\n");
        return 1;
    }
    size_t db_size = 0;
    hs_database_size(db, &db_size);

    bench_corpus_t *corpus = bench_corpus_load(argv[optind], limit);
    if (!corpus)
        return 1;

    /* An untimed warm-up over the first documents: caches, branch
     * predictors and the result's buffers start warm in every timed pass. */
    unsigned long long warm = 0;
    for (size_t i = 0; i < corpus->count && i < 2000; i++)
        hs_scan(db, corpus->docs[i], (unsigned) corpus->lens[i], 0, scratch, s_on_match, &warm);
    double *times = malloc((size_t) reps * sizeof *times);
    unsigned long long matches = 0;
    for (int r = 0; r < reps; r++) {
        unsigned long long count = 0;
        double start = bench_now();
        for (size_t i = 0; i < corpus->count; i++) {
            if (hs_scan(db, corpus->docs[i], (unsigned) corpus->lens[i], 0, scratch,
                        s_on_match, &count) != HS_SUCCESS) {
                fprintf(stderr, "vs_bench: hs_scan failed on document %zu\n", i);
                return 1;
            }
        }
        times[r] = bench_now() - start;
        matches = count;
    }
    double min = times[0];
    for (int r = 1; r < reps; r++)
        min = times[r] < min ? times[r] : min;
    double med = bench_median(times, (size_t) reps);

    char version[64];
    snprintf(version, sizeof version, "%s", hs_version());
    for (size_t n = strlen(version); n > 0 && version[n - 1] == ' '; n--)
        version[n - 1] = '\0';
    printf("{\"tool\":\"vectorscan\",\"version\":");
    bench_print_json_string(version);
    printf(",\"flags\":\"HS_FLAG_CASELESS, literals, block mode\",\"patterns\":%zu,"
           "\"compile_ms\":%.1f,\"db_bytes\":%zu,\"docs\":%zu,\"bytes\":%zu,\"reps\":%d,"
           "\"median_s\":%.6f,\"min_s\":%.6f,\"docs_per_s\":%.1f,\"mb_per_s\":%.2f,"
           "\"matches\":%llu}\n",
           pats.count, compile_ms, db_size, corpus->count, corpus->text_bytes, reps,
           med, min, corpus->count / med, corpus->text_bytes / med / 1e6, matches);

    free(times);
    bench_corpus_destroy(&corpus);
    hs_free_scratch(scratch);
    hs_free_database(db);
    free(flags);
    free(ids);
    for (size_t i = 0; i < pats.count; i++)
        free(pats.items[i]);
    free(pats.items);
    free(pats.lens);
    return 0;
}
