/*  bench_util.h - what the benchmark programs share: a corpus of documents
    read into memory (one document per line), a monotonic clock, medians.

    These are measuring tools, not library code: on a fatal problem they
    print one line to stderr and the program exits non-zero.
*/
#ifndef BENCH_UTIL_H_INCLUDED
#define BENCH_UTIL_H_INCLUDED

#include <stddef.h>

/** A file of documents, one per line, held in one buffer.  Each document is
 *  NUL-terminated in place (the newline is overwritten), so `docs[i]` is
 *  both a (pointer, length) pair and a C string. */
typedef struct {
    char *buf;              /**< the whole file */
    size_t count;           /**< number of documents (non-empty lines) */
    const char **docs;      /**< start of each document */
    size_t *lens;           /**< byte length of each document, without the newline */
    size_t text_bytes;      /**< sum of lens: what every tool is asked to scan */
} bench_corpus_t;

/** Read `path`; empty lines are skipped.  `limit` > 0 keeps only the first
 *  `limit` documents.  @returns a new corpus; caller frees it with
 *  bench_corpus_destroy().  NULL (and a line on stderr) on failure. */
bench_corpus_t *bench_corpus_load(const char *path, size_t limit);

/** Free a corpus; sets *self_p to NULL; accepts NULL. */
void bench_corpus_destroy(bench_corpus_t **self_p);

/** @returns seconds from CLOCK_MONOTONIC. */
double bench_now(void);

/** @returns the median of `n` values (n > 0); sorts `values` in place. */
double bench_median(double *values, size_t n);

/** Print `s` as a JSON string literal (quotes and escapes) on stdout. */
void bench_print_json_string(const char *s);

/** @returns a short description of this CPU ("model name" of /proc/cpuinfo),
 *  static storage; "unknown" when it cannot be read. */
const char *bench_cpu_model(void);

#endif
