/*  progress.c - a one-line progress bar on stderr: documents, MB, MB/s and,
    when the total input size is known, percent and ETA.  Only the writer
    thread calls it, so it needs no lock.
*/
#include "ktag_cli.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct ktag_cli_progress {
    uint64_t total;             /* input bytes, 0 = unknown */
    uint64_t bytes, docs;
    double start, last_draw;
    bool drawn;
};

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

ktag_cli_progress_t *
ktag_cli_progress_new(int mode, uint64_t total_bytes)
{
    if (mode == 0 || (mode < 0 && !isatty(2)))
        return NULL;
    ktag_cli_progress_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->total = total_bytes;
    self->start = self->last_draw = s_now();
    return self;
}

static void
s_draw(ktag_cli_progress_t *self, double now)
{
    double elapsed = now - self->start;
    double mb = (double) self->bytes / 1e6;
    double rate = elapsed > 0 ? mb / elapsed : 0;
    char eta[32] = "";
    char pct[16] = "";
    if (self->total > 0) {
        double frac = (double) self->bytes / (double) self->total;
        if (frac > 1)
            frac = 1;
        snprintf(pct, sizeof pct, " %5.1f%%", frac * 100);
        if (rate > 0 && frac < 1) {
            long left = (long) (((double) self->total / 1e6 - mb) / rate + 0.5);
            snprintf(eta, sizeof eta, "  ETA %ld:%02ld", left / 60, left % 60);
        }
    }
    fprintf(stderr, "\r\033[K%s %llu docs  %.1f MB  %.1f MB/s%s",
            pct, (unsigned long long) self->docs, mb, rate, eta);
    fflush(stderr);
    self->drawn = true;
    self->last_draw = now;
}

void
ktag_cli_progress_add(ktag_cli_progress_t *self, size_t bytes)
{
    if (!self)
        return;
    self->docs++;
    self->bytes += bytes;
    /* Reading the clock per document is cheap next to tagging it, but a
     * redraw is not: at most five per second. */
    if ((self->docs & 15) == 0 || bytes > 65536) {
        double now = s_now();
        if (now - self->last_draw >= 0.2)
            s_draw(self, now);
    }
}

void
ktag_cli_progress_clear(ktag_cli_progress_t *self)
{
    if (self && self->drawn) {
        fputs("\r\033[K", stderr);
        self->drawn = false;
    }
}

void
ktag_cli_progress_destroy(ktag_cli_progress_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_cli_progress_t *self = *self_p;
    s_draw(self, s_now());
    fputc('\n', stderr);
    free(self);
    *self_p = NULL;
}
