/*  bench_util.c - corpus loading, clock and medians for the bench programs. */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bench_corpus_t *
bench_corpus_load(const char *path, size_t limit)
{
    bench_corpus_t *self = calloc(1, sizeof *self);
    FILE *f = fopen(path, "rb");
    if (!self || !f) {
        fprintf(stderr, "bench: cannot open %s\n", path);
        goto fail;
    }
    if (fseek(f, 0, SEEK_END) != 0)
        goto fail_io;
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto fail_io;
    self->buf = malloc((size_t) size + 1);
    if (!self->buf)
        goto fail_io;
    if (fread(self->buf, 1, (size_t) size, f) != (size_t) size)
        goto fail_io;
    self->buf[size] = '\n';
    fclose(f);
    f = NULL;

    size_t cap = 0;
    for (long i = 0; i <= size; i++)
        cap += self->buf[i] == '\n';
    self->docs = malloc((cap + 1) * sizeof *self->docs);
    self->lens = malloc((cap + 1) * sizeof *self->lens);
    if (!self->docs || !self->lens)
        goto fail;
    char *p = self->buf, *end = self->buf + size;
    while (p < end && (limit == 0 || self->count < limit)) {
        char *nl = memchr(p, '\n', (size_t) (end - p) + 1);
        size_t len = (size_t) (nl - p);
        if (len > 0 && p[len - 1] == '\r')
            len--;
        p[len] = '\0';
        if (len > 0) {
            self->docs[self->count] = p;
            self->lens[self->count] = len;
            self->text_bytes += len;
            self->count++;
        }
        p = nl + 1;
    }
    if (self->count == 0) {
        fprintf(stderr, "bench: %s holds no documents\n", path);
        goto fail;
    }
    return self;

fail_io:
    fprintf(stderr, "bench: cannot read %s\n", path);
fail:
    if (f)
        fclose(f);
    bench_corpus_destroy(&self);
    return NULL;
}

void
bench_corpus_destroy(bench_corpus_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bench_corpus_t *self = *self_p;
    free(self->buf);
    free(self->docs);
    free(self->lens);
    free(self);
    *self_p = NULL;
}

double
bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

double
bench_median(double *values, size_t n)
{
    qsort(values, n, sizeof *values, s_cmp_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void
bench_print_json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

const char *
bench_cpu_model(void)
{
    static char model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return model;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                snprintf(model, sizeof model, "%s", colon + 2);
                model[strcspn(model, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(f);
    return model;
}
