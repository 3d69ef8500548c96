/*  matcher_bench.c - the scan alone: ktag's matcher, each implementation in
    turn, and Vectorscan (when built with it) over the same patterns and the
    same documents, in interleaved passes of one process, one thread.

    The patterns are the lexicon's normalized surface forms, as vs_bench
    takes them (ktag_lexicon_surfaces), or with --all every pattern the
    engine scans for (surface forms, context cues, stop phrases, sentiment
    terms).  Duplicates are dropped so both matchers see the same set.  Each
    document is scanned as it is in the corpus, one call per document:
    ktag_matcher_scan() filling a reused vector, hs_scan() in block mode with
    HS_FLAG_CASELESS (ASCII case folding, as ktag's matcher does) counting
    matches in its callback.  Every pass checks that each implementation
    found the same matches (count and a checksum of pattern and end) and
    as many as Vectorscan.

    Prints one JSON object on stdout (see bench/README.md).
*/
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef KTAG_BENCH_HAVE_HS
#include <hs/hs.h>
#endif

#include "bench_util.h"
#include "lexicon_internal.h"
#include "matcher.h"

static const char *const s_impls[] = { "avx512", "avx2", "portable", "automaton" };
#define S_IMPL_COUNT 4

typedef struct {
    const char *name;
    ktag_matcher_t *matcher;
    double compile_ms;
    double *times;
    unsigned long long matches;
    uint64_t checksum;
} s_run_t;

typedef struct {
    const char **items;
    unsigned *lens;
    size_t count, cap;
    ktag_matcher_builder_t *dedup;
} s_patterns_t;

static void s_add(s_patterns_t *self, const char *form, size_t len)
{
    if ((size_t) ktag_matcher_builder_add(self->dedup, form, len) != self->count)
        return;   /* a duplicate, or not UTF-8 */
    if (self->count == self->cap) {
        self->cap = self->cap ? 2 * self->cap : 1024;
        self->items = realloc(self->items, self->cap * sizeof *self->items);
        self->lens = realloc(self->lens, self->cap * sizeof *self->lens);
        if (!self->items || !self->lens) {
            fprintf(stderr, "matcher_bench: out of memory\n");
            exit(1);
        }
    }
    self->items[self->count] = form;
    self->lens[self->count++] = (unsigned) len;
}

static void s_on_surface(void *user, const char *surface, size_t len, ktag_type_t type, const char *id)
{
    s_add(user, surface, len);
}

static ktag_matcher_t *s_compile(const char *impl, const s_patterns_t *patterns, double *ms)
{
    setenv("KTAG_MATCHER", impl, 1);
    double t0 = bench_now();
    ktag_matcher_builder_t *builder = ktag_matcher_builder_new();
    for (size_t p = 0; builder && p < patterns->count; p++)
        ktag_matcher_builder_add(builder, patterns->items[p], patterns->lens[p]);
    ktag_matcher_t *matcher = builder ? ktag_matcher_compile(&builder) : NULL;
    *ms = (bench_now() - t0) * 1e3;
    unsetenv("KTAG_MATCHER");
    return matcher;
}

/*  One pass of `run` over the corpus.  @returns seconds. */
static double s_pass(s_run_t *run, const bench_corpus_t *corpus, ktag_match_vec_t *vec)
{
    unsigned long long matches = 0;
    uint64_t checksum = 0;
    double start = bench_now();
    for (size_t i = 0; i < corpus->count; i++) {
        vec->count = 0;
        if (ktag_matcher_scan(run->matcher, corpus->docs[i], corpus->lens[i], vec)) {
            fprintf(stderr, "matcher_bench: out of memory\n");
            exit(1);
        }
        matches += vec->count;
        for (size_t m = 0; m < vec->count; m++)
            checksum = (checksum ^ (vec->items[m].pattern * 0x9E3779B97F4A7C15ull + vec->items[m].end + i))
                       * 0x100000001B3ull;
    }
    double elapsed = bench_now() - start;
    run->matches = matches;
    run->checksum = checksum;
    return elapsed;
}

#ifdef KTAG_BENCH_HAVE_HS
static int s_on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                      void *context)
{
    (*(unsigned long long *) context)++;
    return 0;
}
#endif

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: matcher_bench -L LEXDIR [-r REPS] [-n DOCS] [-m IMPL]... [--all] [--no-vectorscan] CORPUS\n"
            "  -L, --lexicons DIR   take the patterns from this ktag lexicon set\n"
            "  -r, --reps N         timed passes over the corpus (default 5); prints the medians\n"
            "  -n, --docs N         use only the first N documents\n"
            "  -m, --matcher IMPL   avx512, avx2, portable or automaton (default: each the CPU has)\n"
            "      --all            every pattern the engine scans for, not only surface forms\n"
            "      --no-vectorscan  time ktag's matcher only\n"
            "CORPUS holds one document per line.\n");
}

int main(int argc, char **argv)
{
    const char *lexdir = NULL, *wanted[S_IMPL_COUNT];
    size_t wanted_count = 0, limit = 0;
    int reps = 5, all = 0, vectorscan = 1;
    static const struct option longopts[] = {
        { "lexicons", required_argument, NULL, 'L' },
        { "reps", required_argument, NULL, 'r' },
        { "docs", required_argument, NULL, 'n' },
        { "matcher", required_argument, NULL, 'm' },
        { "all", no_argument, NULL, 'A' },
        { "no-vectorscan", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "L:r:n:m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'L': lexdir = optarg; break;
        case 'r': reps = atoi(optarg); break;
        case 'n': limit = strtoul(optarg, NULL, 10); break;
        case 'm':
            if (wanted_count == S_IMPL_COUNT) {
                s_usage(stderr);
                return 2;
            }
            wanted[wanted_count++] = optarg;
            break;
        case 'A': all = 1; break;
        case 'V': vectorscan = 0; break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (!lexdir || optind != argc - 1 || reps < 1) {
        s_usage(stderr);
        return 2;
    }
    ktag_error_t err;
    ktag_lexicon_t *lex = ktag_lexicon_open(lexdir, &err);
    if (!lex) {
        fprintf(stderr, "matcher_bench: %s: %s\n", lexdir, err.message);
        return 1;
    }
    s_patterns_t patterns = { .dedup = ktag_matcher_builder_new() };
    if (all)
        for (size_t p = 0; p < lex->pattern_count; p++)
            s_add(&patterns, lex->forms[p], lex->patterns[p].len);
    else
        ktag_lexicon_surfaces(lex, s_on_surface, &patterns);
    ktag_matcher_builder_destroy(&patterns.dedup);

    if (wanted_count == 0)
        for (size_t i = 0; i < S_IMPL_COUNT; i++)
            wanted[wanted_count++] = s_impls[i];
    s_run_t runs[S_IMPL_COUNT];
    size_t run_count = 0;
    for (size_t w = 0; w < wanted_count; w++) {
        s_run_t *run = &runs[run_count];
        run->matcher = s_compile(wanted[w], &patterns, &run->compile_ms);
        if (!run->matcher) {
            fprintf(stderr, "matcher_bench: cannot compile the %s matcher\n", wanted[w]);
            return 1;
        }
        run->name = ktag_matcher_impl(run->matcher);
        if (strcmp(run->name, wanted[w]) != 0) {   /* not on this CPU */
            fprintf(stderr, "matcher_bench: no %s here, skipped\n", wanted[w]);
            ktag_matcher_destroy(&run->matcher);
            continue;
        }
        run->times = malloc((size_t) reps * sizeof *run->times);
        run_count++;
    }

#ifdef KTAG_BENCH_HAVE_HS
    hs_database_t *db = NULL;
    hs_scratch_t *scratch = NULL;
    double hs_compile_ms = 0;
    size_t db_size = 0;
    if (vectorscan) {
        unsigned *flags = malloc(patterns.count * sizeof *flags), *ids = malloc(patterns.count * sizeof *ids);
        size_t *lens = malloc(patterns.count * sizeof *lens);
        for (size_t p = 0; p < patterns.count; p++) {
            flags[p] = HS_FLAG_CASELESS;
            ids[p] = (unsigned) p;
            lens[p] = patterns.lens[p];
        }
        hs_compile_error_t *cerr = NULL;
        double t0 = bench_now();
        if (hs_compile_lit_multi(patterns.items, flags, ids, lens, (unsigned) patterns.count, HS_MODE_BLOCK, NULL,
                                 &db, &cerr)
                != HS_SUCCESS
            || hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
            fprintf(stderr, "matcher_bench: Vectorscan: %s\n", cerr ? cerr->message : "no scratch");
            return 1;
        }
        hs_compile_ms = (bench_now() - t0) * 1e3;
        hs_database_size(db, &db_size);
        free(flags);
        free(ids);
        free(lens);
    }
    double *hs_times = malloc((size_t) reps * sizeof *hs_times);
    unsigned long long hs_matches = 0;
#else
    vectorscan = 0;
#endif

    bench_corpus_t *corpus = bench_corpus_load(argv[optind], limit);
    if (!corpus)
        return 1;
    ktag_match_vec_t vec = { 0 };
    /*  An untimed warm-up pass of each, then the timed passes, interleaved:
        a change in the machine's load hits every contender alike. */
    for (int r = -1; r < reps; r++) {
#ifdef KTAG_BENCH_HAVE_HS
        if (vectorscan) {
            unsigned long long count = 0;
            double start = bench_now();
            for (size_t i = 0; i < corpus->count; i++)
                if (hs_scan(db, corpus->docs[i], (unsigned) corpus->lens[i], 0, scratch, s_on_match, &count)
                    != HS_SUCCESS) {
                    fprintf(stderr, "matcher_bench: hs_scan failed on document %zu\n", i);
                    return 1;
                }
            if (r >= 0)
                hs_times[r] = bench_now() - start;
            hs_matches = count;
        }
#endif
        for (size_t k = 0; k < run_count; k++) {
            double t = s_pass(&runs[k], corpus, &vec);
            if (r >= 0)
                runs[k].times[r] = t;
            if (runs[k].matches != runs[0].matches || runs[k].checksum != runs[0].checksum) {
                fprintf(stderr, "matcher_bench: %s and %s disagree (%llu and %llu matches)\n", runs[k].name,
                        runs[0].name, runs[k].matches, runs[0].matches);
                return 1;
            }
        }
    }

    printf("{\"tool\":\"matcher\",\"cpu\":");
    bench_print_json_string(bench_cpu_model());
    printf(",\"patterns\":%zu,\"pattern_set\":\"%s\",\"docs\":%zu,\"bytes\":%zu,\"reps\":%d", patterns.count,
           all ? "all" : "surfaces", corpus->count, corpus->text_bytes, reps);
    printf(",\"matchers\":{");
    for (size_t k = 0; k < run_count; k++) {
        double med = bench_median(runs[k].times, (size_t) reps);
        double mbps = corpus->text_bytes / med / 1e6;
        printf("%s\"%s\":{\"median_s\":%.6f,\"mb_per_s\":%.2f,\"matches\":%llu,\"compile_ms\":%.2f,"
               "\"memory_bytes\":%zu}",
               k ? "," : "", runs[k].name, med, mbps, runs[k].matches, runs[k].compile_ms,
               ktag_matcher_memory(runs[k].matcher));
    }
    printf("}");
#ifdef KTAG_BENCH_HAVE_HS
    if (vectorscan) {
        double med = bench_median(hs_times, (size_t) reps);
        double mbps = corpus->text_bytes / med / 1e6;
        printf(",\"vectorscan\":{\"median_s\":%.6f,\"mb_per_s\":%.2f,\"matches\":%llu,\"compile_ms\":%.1f,"
               "\"db_bytes\":%zu,\"flags\":\"HS_FLAG_CASELESS, literals, block mode\"}",
               med, mbps, hs_matches, hs_compile_ms, db_size);
        for (size_t k = 0; k < run_count; k++)
            printf(",\"ratio_%s\":%.3f", runs[k].name,
                   med / bench_median(runs[k].times, (size_t) reps));
        if (run_count && hs_matches != runs[0].matches)
            fprintf(stderr, "matcher_bench: Vectorscan found %llu matches, ktag's matcher %llu\n", hs_matches,
                    runs[0].matches);
        hs_free_scratch(scratch);
        hs_free_database(db);
    }
    free(hs_times);
#endif
    printf("}\n");
    for (size_t k = 0; k < run_count; k++) {
        ktag_matcher_destroy(&runs[k].matcher);
        free(runs[k].times);
    }
    free(vec.items);
    free(patterns.items);
    free(patterns.lens);
    bench_corpus_destroy(&corpus);
    ktag_lexicon_destroy(&lex);
    return 0;
}
