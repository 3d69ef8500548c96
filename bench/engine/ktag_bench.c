/*  ktag_bench.c - the engine on one thread: lexicon load time, then
    ktag_tag() over every document of a corpus, several passes, median.

    What is timed is exactly what a caller of libktag pays per document:
    validation, normalization, matching, boundaries, overlap resolution and
    (unless --no-sentiment) sentiment, with one reused ktag_result_t.  The
    corpus is read before timing starts; nothing is printed while timing.
    After the timed passes, one more pass times each document on its own
    for the latency percentiles.

    Prints one JSON object on stdout (see bench/README.md).
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ktag/ktag.h>

#include "bench_util.h"

/* Resident set size of this process from /proc, in KiB; -1 if unknown. */
static long
s_status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kib = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: ktag_bench -L LEXDIR [-r REPS] [-l LOADS] [-n DOCS] [--no-sentiment] [--no-events] [CORPUS]\n"
        "  -L, --lexicons DIR    lexicon set to load\n"
        "  -r, --reps N          timed passes over the corpus (default 5); prints the median\n"
        "  -l, --loads N         times the lexicon is loaded to time it (default 5)\n"
        "  -n, --docs N          use only the first N documents\n"
        "      --no-sentiment    entities only\n"
        "      --no-events       no events analyzer\n"
        "      --overlaps        report every mention, not only leftmost-longest\n"
        "CORPUS holds one document per line; without it only the load is timed.\n");
}

int
main(int argc, char **argv)
{
    const char *lexdir = NULL;
    int reps = 5, loads = 5;
    size_t limit = 0;
    int no_sentiment = 0, overlaps = 0, no_events = 0;
    static const struct option longopts[] = {
        {"lexicons", required_argument, NULL, 'L'},
        {"reps", required_argument, NULL, 'r'},
        {"loads", required_argument, NULL, 'l'},
        {"docs", required_argument, NULL, 'n'},
        {"no-sentiment", no_argument, NULL, 'S'},
        {"no-events", no_argument, NULL, 'E'},
        {"overlaps", no_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "L:r:l:n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'L': lexdir = optarg; break;
        case 'r': reps = atoi(optarg); break;
        case 'l': loads = atoi(optarg); break;
        case 'n': limit = strtoul(optarg, NULL, 10); break;
        case 'S': no_sentiment = 1; break;
        case 'E': no_events = 1; break;
        case 'O': overlaps = 1; break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (!lexdir || optind < argc - 1 || reps < 1 || loads < 1) {
        s_usage(stderr);
        return 2;
    }

    /* Load time: wall clock around ktag_lexicon_open(), several times, so
     * the page cache is warm after the first and the median is stable. */
    double *load_ms = malloc((size_t) loads * sizeof *load_ms);
    ktag_lexicon_t *lex = NULL;
    ktag_error_t err;
    for (int i = 0; i < loads; i++) {
        ktag_lexicon_destroy(&lex);
        double t0 = bench_now();
        lex = ktag_lexicon_open(lexdir, &err);
        load_ms[i] = (bench_now() - t0) * 1e3;
        if (!lex) {
            fprintf(stderr, "ktag_bench: %s: %s\n", lexdir, err.message);
            return 1;
        }
    }
    double first_load_ms = load_ms[0];
    double load_med = bench_median(load_ms, (size_t) loads);
    long rss_lexicon_kib = s_status_kib("VmRSS");

    printf("{\"tool\":\"ktag\",\"version\":");
    bench_print_json_string(ktag_version());
    printf(",\"lexicon\":");
    bench_print_json_string(ktag_lexicon_version(lex));
    printf(",\"surfaces\":{");
    for (int t = 0; t < KTAG_TYPE_COUNT; t++)
        printf("%s\"%s\":%zu", t ? "," : "", ktag_type_name((ktag_type_t) t),
               ktag_lexicon_alias_count(lex, (ktag_type_t) t));
    printf("},\"load_ms\":%.2f,\"first_load_ms\":%.2f,\"lib_load_ms\":%.2f,"
           "\"rss_after_load_kib\":%ld,\"sentiment\":%s,\"events\":%s,\"overlaps\":%s",
           load_med, first_load_ms, ktag_lexicon_load_ms(lex), rss_lexicon_kib,
           no_sentiment ? "false" : "true", no_events ? "false" : "true", overlaps ? "true" : "false");

    if (optind == argc) {
        printf("}\n");
        ktag_lexicon_destroy(&lex);
        free(load_ms);
        return 0;
    }

    bench_corpus_t *corpus = bench_corpus_load(argv[optind], limit);
    if (!corpus)
        return 1;
    ktag_options_t opts;
    ktag_options_init(&opts);
    opts.sentiment = !no_sentiment;
    opts.events = !no_events;
    opts.overlaps = overlaps;
    ktag_result_t *res = ktag_result_new();
    if (!res)
        return 1;

    /* An untimed warm-up over the first documents: caches, branch
     * predictors and the result's buffers start warm in every timed pass. */
    for (size_t i = 0; i < corpus->count && i < 2000; i++)
        ktag_tag(res, lex, corpus->docs[i], corpus->lens[i], NULL, 0, &opts, &err);
    double *times = malloc((size_t) reps * sizeof *times);
    unsigned long long mentions = 0, failed = 0;
    for (int r = 0; r < reps; r++) {
        unsigned long long count = 0, bad = 0;
        double start = bench_now();
        for (size_t i = 0; i < corpus->count; i++) {
            if (ktag_tag(res, lex, corpus->docs[i], corpus->lens[i], NULL, 0, &opts, &err) != 0)
                bad++;
            else
                count += ktag_result_entity_count(res);
        }
        times[r] = bench_now() - start;
        mentions = count;
        failed = bad;
    }
    double min = times[0];
    for (int r = 1; r < reps; r++)
        min = times[r] < min ? times[r] : min;
    double med = bench_median(times, (size_t) reps);

    /* One more pass, timing each document, for the latency distribution;
     * kept apart so the clock reads do not weigh on the throughput. */
    double *lat = malloc(corpus->count * sizeof *lat);
    if (!lat)
        return 1;
    for (size_t i = 0; i < corpus->count; i++) {
        double t0 = bench_now();
        ktag_tag(res, lex, corpus->docs[i], corpus->lens[i], NULL, 0, &opts, &err);
        lat[i] = (bench_now() - t0) * 1e6;
    }
    double p50 = bench_median(lat, corpus->count);
    double p99 = lat[(size_t) ((double) (corpus->count - 1) * 0.99)];
    double pmax = lat[corpus->count - 1];
    free(lat);

    printf(",\"p50_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.1f", p50, p99, pmax);
    printf(",\"docs\":%zu,\"bytes\":%zu,\"reps\":%d,\"median_s\":%.6f,\"min_s\":%.6f,"
           "\"docs_per_s\":%.1f,\"mb_per_s\":%.2f,\"matches\":%llu,\"failed\":%llu,"
           "\"peak_rss_kib\":%ld}\n",
           corpus->count, corpus->text_bytes, reps, med, min, corpus->count / med,
           corpus->text_bytes / med / 1e6, mentions, failed, s_status_kib("VmHWM"));

    free(times);
    free(load_ms);
    ktag_result_destroy(&res);
    bench_corpus_destroy(&corpus);
    ktag_lexicon_destroy(&lex);
    return failed ? 1 : 0;
}
