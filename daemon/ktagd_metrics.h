/*  ktagd_metrics.h - the Prometheus endpoint: `ktagd --metrics HOST:PORT`
    serves GET /metrics in the Prometheus text exposition format 0.0.4
    (docs/OPERATIONS.md, "Metrics").

    The HTTP server is libmicrohttpd, on its own thread; a scrape reads the
    daemon's counters (ktagd_stats.h, atomics) and the current lexicon
    (ktagd_lexholder.h, a reference) and never blocks a request.  Other
    paths answer 404, methods other than GET and HEAD 405.

    Use (ktagd_server.c):
        ktagd_metrics_t *m = ktagd_metrics_start(cfg->metrics, stats, lexicons,
                                                 broker, err, sizeof err);
        ...
        ktagd_metrics_stop(&m);     // before the stats and lexicons go
*/
#ifndef KTAGD_METRICS_H_INCLUDED
#define KTAGD_METRICS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "ktagd_lexholder.h"
#include "ktagd_stats.h"

typedef struct ktagd_metrics ktagd_metrics_t;

/** Read a --metrics value: `PORT` (loopback, 127.0.0.1), `HOST:PORT` with
 *  HOST an IPv4 address or a name that resolves, or `[IPV6]:PORT`.  PORT
 *  0 asks the system for a free port.
 *  @returns 0 with the address in `addr`/`*addrlen`, or -1 with a message
 *  in `err` (`errlen` bytes) that quotes the value. */
int ktagd_metrics_parse_address(const char *spec, struct sockaddr_storage *addr,
                                socklen_t *addrlen, char *err, size_t errlen);

/** @returns true when `addr` is a loopback address (127.0.0.0/8, ::1). */
bool ktagd_metrics_is_loopback(const struct sockaddr_storage *addr);

/** Log a warning when `spec` (a valid --metrics value) can be reached from
 *  other hosts: the endpoint has no authentication.  This function can't fail. */
void ktagd_metrics_check_exposure(const char *spec);

/** Write the exposition text of `stats` and of the lexicon `lexicons` holds
 *  now (NULL: none, as in broker mode) into a new string.  `broker` adds
 *  the broker's counters.
 *  @returns the text (NUL-terminated, `*len` bytes; the caller frees it
 *  with free()), or NULL when out of memory. */
char *ktagd_metrics_render(ktagd_stats_t *stats, ktagd_lexholder_t *lexicons, bool broker,
                           size_t *len);

/** Bind `spec` and serve GET /metrics from a thread of libmicrohttpd's.
 *  `stats` and `lexicons` are borrowed and must outlive the server.
 *  @returns a new server (stop it with ktagd_metrics_stop()), or NULL with
 *  a message in `err`: a bad address, or the port cannot be bound. */
ktagd_metrics_t *ktagd_metrics_start(const char *spec, ktagd_stats_t *stats,
                                     ktagd_lexholder_t *lexicons, bool broker, char *err,
                                     size_t errlen);

/** @returns the port the server listens on (useful after port 0). */
int ktagd_metrics_port(const ktagd_metrics_t *self);

/** @returns the URL scrapers use, e.g. "http://127.0.0.1:9464/metrics".  Borrowed. */
const char *ktagd_metrics_url(const ktagd_metrics_t *self);

/** Stop serving (waits for a scrape in progress) and free.  Accepts NULL. */
void ktagd_metrics_stop(ktagd_metrics_t **self_p);

#endif
